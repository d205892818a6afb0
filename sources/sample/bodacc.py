"""Sample of the BODACC export (annonces commerciales), from the sample stock's companies.

`generate_bodacc` writes ``annonces-commerciales.csv`` as the opendatasoft export does: UTF-8,
``;`` separated, ``"`` quoting where a value needs it (every JSON document does), ``\\r\\n``
line ends, the nested parts as JSON documents with their accents as they are. The planted
announcements come first (`planted_announcements`): a company's three judgements in three date
formats, a safeguard with an unspaced ``registre``, one announcement garbled once (repairable)
and one garbled beyond repair, an announcement of another family, and three that the load must
reject (no SIREN, a date in no known form, a ``jugement`` that is not JSON). Then about one
collective announcement per twelve establishments, for companies drawn from the stock.

Known shortcomings, harmless for tests: addresses, courts and people are drawn from short lists,
not from the company's own address; rectifications and cancellations are not drawn.
"""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from datetime import date, timedelta
from pathlib import Path

from sources.sample.sirene import PLANTED

FILE_NAME = "annonces-commerciales.csv"
COLUMNS: tuple[str, ...] = (
    "id",
    "publicationavis",
    "publicationavis_facette",
    "parution",
    "dateparution",
    "numeroannonce",
    "typeavis",
    "typeavis_lib",
    "familleavis",
    "familleavis_lib",
    "numerodepartement",
    "departement_nom_officiel",
    "region_code",
    "region_nom_officiel",
    "tribunal",
    "commercant",
    "ville",
    "registre",
    "cp",
    "pdf_parution_subfolder",
    "ispdf_unitaire",
    "listepersonnes",
    "listeetablissements",
    "jugement",
    "acte",
    "modificationsgenerales",
    "radiationaurcs",
    "depot",
    "listeprecedentexploitant",
)
LAST_PARUTION = date(2026, 11, 30)
FIRST_JUGEMENT = date(2020, 1, 6)

FRENCH_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)  # fmt: skip

# (famille, nature, kind word used in the complement)
_JUGEMENTS = (
    ("Jugement d'ouverture", "Jugement d'ouverture de liquidation judiciaire", 55),
    ("Jugement d'ouverture", "Jugement d'ouverture d'une procédure de redressement judiciaire", 25),
    ("Jugement d'ouverture", "Jugement d'ouverture d'une procédure de sauvegarde", 5),
    ("Jugement de clôture", "Jugement de clôture pour insuffisance d'actif", 10),
    ("Jugement arrêtant le plan", "Jugement arrêtant le plan de redressement", 5),
)
_TRIBUNAUX = (
    ("75", "Paris", "11", "Île-de-France", "Tribunal de commerce de Paris", "75001", "Paris"),
    ("69", "Rhône", "84", "Auvergne-Rhône-Alpes", "Tribunal de commerce de Lyon", "69003", "Lyon"),
    ("13", "Bouches-du-Rhône", "93", "Provence-Alpes-Côte d'Azur",
     "Tribunal de commerce de Marseille", "13002", "Marseille"),
    ("31", "Haute-Garonne", "76", "Occitanie", "Tribunal de commerce de Toulouse", "31000",
     "Toulouse"),
    ("44", "Loire-Atlantique", "52", "Pays de la Loire", "Tribunal de commerce de Nantes",
     "44000", "Nantes"),
    ("59", "Nord", "32", "Hauts-de-France", "Tribunal de commerce de Lille Métropole", "59000",
     "Lille"),
)  # fmt: skip
_MANDATAIRES = ("SELARL MJ Synergie", "SCP Thévenot Partners", "SELAS Ajassociés", "Me Bérard")


def _long_date(day: date) -> str:
    """The French long form, as some announcements write it: 1er mars 2026, 12 mars 2026."""
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {FRENCH_MONTHS[day.month - 1]} {day.year}"


def _spaced(siren: str) -> str:
    return f"{siren[:3]} {siren[3:6]} {siren[6:]}"


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _announcement(
    number: int,
    siren: str | None,
    denomination: str,
    parution: date,
    *,
    registre: str | None = None,
    famille: str | None = None,
    nature: str | None = None,
    date_jugement: str | None = None,
    complement: str | None = None,
    tribunal: tuple[str, ...] = _TRIBUNAUX[0],
    familleavis: str = "collective",
    jugement: str | None = None,
) -> dict[str, str]:
    """One announcement of the export; the collective family unless said otherwise."""
    dept, dept_name, region, region_name, court, cp, ville = tribunal
    parution_number = f"{parution.year}{parution.timetuple().tm_yday // 2 + 1:04d}"
    publication = "A" if familleavis == "collective" else "B"
    if registre is None:
        registre = f"{_spaced(siren)},{siren}" if siren else ""
    personne = {
        "personne": {
            "typePersonne": "pm",
            "denomination": denomination,
            "formeJuridique": "Société à responsabilité limitée",
            "numeroImmatriculation": {
                "codeRCS": "RCS",
                "numeroIdentification": _spaced(siren) if siren else "",
                "nomGreffeImmat": ville,
            },
            "adresseSiegeSocial": {"ville": ville, "codePostal": cp, "pays": "france"},
        }
    }
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        id=f"{publication}{parution_number}{number:04d}",
        publicationavis=publication,
        publicationavis_facette=f"Bodacc {publication}",
        parution=parution_number,
        dateparution=parution.isoformat(),
        numeroannonce=str(number),
        typeavis="annonce",
        typeavis_lib="Avis initial",
        familleavis=familleavis,
        familleavis_lib="Procédures collectives" if familleavis == "collective" else "Créations",
        numerodepartement=dept,
        departement_nom_officiel=dept_name,
        region_code=region,
        region_nom_officiel=region_name,
        tribunal=court,
        commercant=denomination,
        ville=ville,
        registre=registre,
        cp=cp,
        pdf_parution_subfolder=parution_number,
        ispdf_unitaire="false",
        listepersonnes=_json(personne),
    )
    if familleavis == "collective":
        row["jugement"] = jugement or _json(
            {
                "type": "initial",
                "famille": famille,
                "nature": nature,
                "date": date_jugement,
                "complementJugement": complement or f"{nature}.",
            }
        )
    else:
        row["acte"] = _json(
            {
                "creation": {"categorieCreation": "Création d'un fonds de commerce"},
                "dateCommencementActivite": parution.isoformat(),
            }
        )
    return row


def planted_announcements() -> list[dict[str, str]]:
    """The fixed announcements, for the companies of `PLANTED` and the load's rejects."""
    cessee = PLANTED["ul_cessee"]
    loire = PLANTED["ferme_avec_successeur"]
    corse = PLANTED["corse"]
    reunion = PLANTED["outre_mer"]
    siege = PLANTED["siege_actif"]
    toulouse, nantes = _TRIBUNAUX[3], _TRIBUNAUX[4]
    ajaccio = ("2A", "Corse-du-Sud", "94", "Corse", "Tribunal de commerce d'Ajaccio", "20000",
               "Ajaccio")  # fmt: skip
    saint_denis = ("974", "La Réunion", "04", "La Réunion",
                   "Tribunal mixte de commerce de Saint-Denis", "97400", "Saint-Denis")  # fmt: skip
    redressement = "Jugement d'ouverture d'une procédure de redressement judiciaire"
    return [
        # one company, three judgements, three ways of writing their date
        _announcement(
            1, str(cessee["siren"]), str(cessee["denomination"]), date(2019, 3, 24),
            famille="Jugement d'ouverture", nature=redressement,
            date_jugement=_long_date(date(2019, 3, 12)), tribunal=toulouse,
        ),
        _announcement(
            2, str(cessee["siren"]), str(cessee["denomination"]), date(2019, 9, 29),
            famille="Jugement de conversion", nature="Jugement de conversion en liquidation "
            "judiciaire", date_jugement="17/09/2019", tribunal=toulouse,
        ),
        _announcement(
            3, str(cessee["siren"]), str(cessee["denomination"]), date(2020, 7, 12),
            famille="Jugement de clôture",
            nature="Jugement de clôture pour insuffisance d'actif", date_jugement="2020-06-30",
            complement="Jugement prononçant la clôture de la procédure de liquidation "
            "judiciaire pour insuffisance d'actif.", tribunal=toulouse,
        ),
        # registre without its spaced form
        _announcement(
            4, str(loire["siren"]), str(loire["denomination"]), date(2024, 2, 18),
            registre=str(loire["siren"]), famille="Jugement d'ouverture",
            nature="Jugement d'ouverture d'une procédure de sauvegarde",
            date_jugement="2024-02-06", tribunal=nantes,
        ),
        # UTF-8 read once as windows-1252: repaired on load
        _announcement(
            5, str(corse["siren"]), str(corse["denomination"]), date(2026, 2, 12),
            famille="Jugement d'ouverture", nature=_garbled(redressement),
            date_jugement=_garbled(_long_date(date(2026, 2, 1))),
            complement=_garbled(f"{redressement}, date de cessation des paiements le "
                                "15/01/2026, désignant mandataire judiciaire Me Bérard."),
            tribunal=ajaccio,
        ),  # fmt: skip
        # garbled beyond repair: a byte was lost ("Ã?"); loaded as it is and flagged
        _announcement(
            6, str(reunion["siren"]), str(reunion["denomination"]), date(2026, 10, 27),
            famille="Jugement d'ouverture",
            nature="Jugement d'ouverture de liquidation judiciaire",
            date_jugement=_long_date(date(2026, 10, 15)),
            complement="Jugement prononÃ§ant la liquidation judiciaire, dÃ©signant "
            "liquidateur SELARL Ã?quinoxe.", tribunal=saint_denis,
        ),
        # another family: in the lake, not in procedures_collectives
        _announcement(
            7, str(siege["siren"]), str(siege["denomination"]), date(2026, 5, 4),
            familleavis="creation",
        ),
        # rejected: no SIREN in registre (a person outside the trade register)
        _announcement(
            8, None, "MARTIN JEAN", date(2026, 6, 9), famille="Jugement d'ouverture",
            nature="Jugement d'ouverture de liquidation judiciaire", date_jugement="2026-05-28",
        ),
        # rejected: a date in no known form
        _announcement(
            9, "732829320", "ATELIERS DU BOCAGE", date(2026, 6, 9),
            famille="Jugement d'ouverture", nature=redressement,
            date_jugement="31 brumaire 2026",
        ),
        # rejected: jugement is not JSON (cut short)
        _announcement(
            10, "732829320", "ATELIERS DU BOCAGE", date(2026, 6, 16),
            jugement='{"type": "initial", "famille": "Jugement d\'ouverture", "nature": "Jug',
        ),
    ]  # fmt: skip


def _garbled(text: str) -> str:
    """``text`` as it reads when its UTF-8 bytes are decoded as windows-1252."""
    return text.encode("utf-8").decode("cp1252")


def _companies(stock_zip: Path) -> list[tuple[str, str]]:
    """(siren, name) of the stock's companies that have a name to show."""
    planted = {str(record["siren"]) for record in PLANTED.values()}
    with zipfile.ZipFile(stock_zip) as archive:
        (member,) = archive.namelist()
        with archive.open(member) as raw:
            reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
            return [
                (row["siren"], row["denominationUniteLegale"])
                for row in reader
                if row["denominationUniteLegale"] not in ("", "[ND]")
                and row["siren"] not in planted
            ]


def _random_announcements(
    rng: random.Random, companies: list[tuple[str, str]], count: int, first_number: int
) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    weights = [w for _, _, w in _JUGEMENTS]
    span = (LAST_PARUTION - FIRST_JUGEMENT).days - 20
    for number in range(first_number, first_number + count):
        siren, name = companies[rng.randrange(len(companies))]
        famille, nature, _ = rng.choices(_JUGEMENTS, weights)[0]
        day = FIRST_JUGEMENT + timedelta(days=rng.randrange(span))
        form = rng.random()
        if form < 0.7:
            written = day.isoformat()
        elif form < 0.9:
            written = day.strftime("%d/%m/%Y")
        else:
            written = _long_date(day)
        registre = f"{_spaced(siren)},{siren}" if rng.random() < 0.8 else siren
        complement = (
            f"{nature}, date de cessation des paiements le "
            f"{(day - timedelta(days=rng.randrange(30, 200))).strftime('%d/%m/%Y')}, "
            f"désignant mandataire judiciaire {rng.choice(_MANDATAIRES)}."
        )
        rows.append(
            _announcement(
                number,
                siren,
                name,
                day + timedelta(days=rng.randrange(5, 21)),
                registre=registre,
                famille=famille,
                nature=nature,
                date_jugement=written,
                complement=complement,
                tribunal=rng.choice(_TRIBUNAUX),
            )
        )
    return rows


def generate_bodacc(out_dir: Path, etablissements: int, seed: int) -> dict[str, Path]:
    """Write the BODACC export into ``out_dir``, from its StockUniteLegale zip."""
    out_dir = Path(out_dir)
    rng = random.Random(seed * 7919 + 17)
    companies = _companies(out_dir / "StockUniteLegale_utf8.zip")
    rows = planted_announcements()
    if companies:
        count = max(60, etablissements // 12)
        rows += _random_announcements(rng, companies, count, first_number=len(rows) + 1)
    target = out_dir / FILE_NAME
    partial = out_dir / f".{FILE_NAME}.partial"
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows([row[column] for column in COLUMNS] for row in rows)
    partial.replace(target)
    return {target.name: target}
