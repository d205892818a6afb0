"""Sample of the DGEFP public list of training organisations, in its real format.

`generate_organismes_formation` writes ``liste-publique-des-of-v2.csv`` next to the SIRENE zips it
reads, as the Opendatasoft export with labels sends it: UTF-8, ``;``, the producer's 43 French
column labels in order, ``"`` quoting only where a value holds ``;`` or ``"``, booleans as
``true``/``false``, dates ``YYYY-MM-DD``, ``\\n`` line ends. The rows of `planted_rows` come
first whatever the size and the seed; then about 10 % of the active head offices of the stock are
training organisations, about 45 % of them Qualiopi-certified. One planted row is broken (a
declaration date that does not exist) and is rejected.

Known shortcomings, harmless for tests and benchmarks:
- Specialities are drawn from a short list of the NSF codes, independently of the NAF code.
- A natural person whose name SIRENE masks (``[ND]``) is listed without a name.
- The previous declaration number, the foreign organisation represented and the EPCI are never
  filled; ``geocodageban`` and ``Organisme Formation Géocodé`` hold the commune's code, not
  coordinates.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from sources.organismes_formation.contract import HEADER, ORGANISMES
from sources.sample.conventions_collectives import stock_etablissements
from sources.sample.sirene import COMMUNES_SEED, PLANTED

FILE_NAME = ORGANISMES.file_name
SEEDS = COMMUNES_SEED.parent
FLAGS = (
    ("Actions de formations", "Actions de formation"),
    ("Bilans de compétences", "Bilans de compétences"),
    ("VAE", "VAE"),
    ("Actions de formations par apprentissage", "Actions de formation par apprentissage"),
)
"""(column, label written in Certifications) for each kind of certified action."""
SPECIALITES = (
    ("326", "Informatique, traitement de l'information, réseaux de transmission des données"),
    ("311", "Transport, manutention, magasinage"),
    ("331", "Santé"),
    ("413", "Développement des capacités comportementales et relationnelles"),
    ("312", "Commerce, vente"),
    ("334", "Accueil, hôtellerie, tourisme"),
    ("315", "Ressources humaines, gestion du personnel, gestion de l'emploi"),
    ("136", "Langues vivantes, civilisations étrangères et régionales"),
    ("230", "Spécialités pluritechnologiques génie civil, construction, bois"),
    ("344", "Sécurité des biens et des personnes, police, surveillance"),
)
SHARE = 0.1
QUALIOPI_SHARE = 0.45

_SIEGE = PLANTED["siege_actif"]
_SUCCESSEUR = PLANTED["successeur"]
_CORSE = PLANTED["corse"]


def planted_rows() -> list[dict[str, str]]:
    """The rows written first: a certified organisation, an uncertified one, a broken one."""
    certified = {
        "Numéro Déclaration Activité": "11755555575",
        "denomination": str(_SIEGE["denomination"]),
        "Code SIREN": str(_SIEGE["siren"]),
        "Siret Etablissement Déclarant": str(_SIEGE["siret"]),
        "Adresse Organisme de Formation": "12 RUE DE LA CHAUSSEE D'ANTIN",
        "Code Postal Organisme de Formation": "75009",
        "Ville Organisme de Formation": "PARIS",
        "Code Région Organisme de Formation": "11",
        "Actions de formations": "true",
        "Date dernière déclaration": "2026-04-28",
        "Début d'exercice": "2025-01-01",
        "Fin d'exercice": "2025-12-31",
        "Code Spécialité 1": SPECIALITES[0][0],
        "Libellé Spécialité 1": SPECIALITES[0][1],
        "Nombre de stagiaires": "148",
        "Nombre de stagiaires confiés par un autre Organisme de formation": "0",
        "Effectifs de formateurs": "6",
        "Code Commune": "75109",
        "Nom Officiel Commune / Arrondissement Municipal": "Paris 9e Arrondissement",
        "Code Officiel Département": "75",
        "Nom Officiel Département": "Paris",
        "Nom Officiel Région": "Île-de-France",
        "Code Officiel Région": "11",
        "Toutes spécialités de l'organisme de formation": SPECIALITES[0][1],
        "Certifications": "Actions de formation",
    }
    uncertified = {
        "Numéro Déclaration Activité": "52440987644",
        "denomination": str(_SUCCESSEUR["denomination"]),
        "Code SIREN": str(_SUCCESSEUR["siren"]),
        "Siret Etablissement Déclarant": str(_SUCCESSEUR["siret"]),
        "Adresse Organisme de Formation": "3 RUE DU CHENE VERT",
        "Code Postal Organisme de Formation": "44800",
        "Ville Organisme de Formation": "SAINT-HERBLAIN",
        "Code Région Organisme de Formation": "52",
        "Date dernière déclaration": "2026-03-12",
        "Début d'exercice": "2025-01-01",
        "Fin d'exercice": "2025-12-31",
        "Code Spécialité 1": SPECIALITES[1][0],
        "Libellé Spécialité 1": SPECIALITES[1][1],
        "Nombre de stagiaires": "21",
        "Nombre de stagiaires confiés par un autre Organisme de formation": "0",
        "Effectifs de formateurs": "2",
        "Code Commune": "44162",
        "Nom Officiel Commune / Arrondissement Municipal": "Saint-Herblain",
        "Code Officiel Département": "44",
        "Nom Officiel Département": "Loire-Atlantique",
        "Nom Officiel Région": "Pays de la Loire",
        "Code Officiel Région": "52",
        "Toutes spécialités de l'organisme de formation": SPECIALITES[1][1],
        "Certifications": "",
    }
    broken = {
        "Numéro Déclaration Activité": "94200123420",
        "denomination": str(_CORSE["denomination"]),
        "Code SIREN": str(_CORSE["siren"]),
        "Siret Etablissement Déclarant": str(_CORSE["siret"]),
        "Code Postal Organisme de Formation": "20000",
        "Ville Organisme de Formation": "AJACCIO",
        "Date dernière déclaration": "31/02/2026",  # no such day: rejected
        "Nombre de stagiaires": "12",
        "Effectifs de formateurs": "1",
        "Code Commune": "2A004",
        "Certifications": "",
    }
    return [_complete(row, i) for i, row in enumerate((certified, uncertified, broken))]


def _complete(row: dict[str, str], index: int) -> dict[str, str]:
    """Every column of the header, unset flags false, unset values empty."""
    filled = {name: row.get(name, "") for name in HEADER}
    for column, _ in FLAGS:
        filled[column] = filled[column] or "false"
    filled["random_id"] = str(index + 1)
    return filled


def _names(out_dir: Path) -> dict[str, str]:
    """The name of every unité légale of the sample, by SIREN (the person's name when no
    company name)."""
    with zipfile.ZipFile(Path(out_dir) / "StockUniteLegale_utf8.zip") as archive:
        data = archive.read(archive.namelist()[0])
    ul = pl.read_csv(
        io.BytesIO(data),
        columns=["siren", "denominationUniteLegale", "nomUniteLegale", "prenom1UniteLegale"],
        infer_schema=False,
    )
    shown = [pl.col(c).replace("[ND]", None) for c in ("prenom1UniteLegale", "nomUniteLegale")]
    names = ul.select(
        "siren",
        pl.coalesce(
            "denominationUniteLegale", pl.concat_str(shown, separator=" "), pl.lit("")
        ).alias("name"),
    )
    return dict(names.iter_rows())


def _places() -> dict[str, tuple[str, str, str, str, str]]:
    """By commune code: its name, département code and name, région code and name."""
    communes = pl.read_csv(COMMUNES_SEED, infer_schema=False)
    departements = pl.read_csv(SEEDS / "departements.csv", infer_schema=False)
    regions = pl.read_csv(SEEDS / "regions.csv", infer_schema=False)
    joined = (
        communes.select("code_commune", "libelle_commune", "code_departement", "code_region")
        .join(departements.select("code_departement", "libelle_departement"), "code_departement")
        .join(regions, "code_region")
    )
    return {
        row[0]: row[1:]
        for row in joined.select(
            "code_commune",
            "libelle_commune",
            "code_departement",
            "libelle_departement",
            "code_region",
            "libelle_region",
        ).iter_rows()
    }


def generate_organismes_formation(out_dir: Path, etablissements: int, seed: int) -> dict[str, Path]:
    """Write the list of training organisations from the SIRENE sample in ``out_dir``."""
    del etablissements  # the size follows the stock already written
    rng = random.Random(f"organismes_formation-{seed}")
    stock = stock_etablissements(
        out_dir,
        [
            "siren",
            "siret",
            "etablissementSiege",
            "etatAdministratifEtablissement",
            "codeCommuneEtablissement",
            "codePostalEtablissement",
            "libelleCommuneEtablissement",
        ],
    )
    names = _names(out_dir)
    places = _places()
    planted = {str(record["siren"]) for record in PLANTED.values()}
    rows = planted_rows()
    start = date(2025, 1, 15)
    serial = 0
    for siren, siret, siege, etat, commune, postal, ville in stock.iter_rows():
        if siege != "true" or etat != "A" or siren in planted or commune not in places:
            continue
        if rng.random() >= SHARE:
            continue
        serial += 1
        libelle_commune, dept, libelle_dept, region, libelle_region = places[commune]
        dept2 = dept[:2]
        flags = [rng.random() < 0.8, rng.random() < 0.15, rng.random() < 0.1, rng.random() < 0.2]
        certified = rng.random() < QUALIOPI_SHARE and any(flags)
        code, label = rng.choice(SPECIALITES)
        row = {
            "Numéro Déclaration Activité": f"{region[-2:]}{dept2}{serial:05d}{dept2}",
            "denomination": names.get(siren, ""),
            "Code SIREN": siren,
            "Siret Etablissement Déclarant": siret,
            "Code Postal Organisme de Formation": postal or "",
            "Ville Organisme de Formation": ville or "",
            "Code Région Organisme de Formation": region,
            "Date dernière déclaration": (start + timedelta(days=rng.randrange(680))).isoformat(),
            "Début d'exercice": "2025-01-01",
            "Fin d'exercice": "2025-12-31",
            "Code Spécialité 1": code,
            "Libellé Spécialité 1": label,
            "Nombre de stagiaires": str(rng.randrange(0, 400)),
            "Nombre de stagiaires confiés par un autre Organisme de formation": str(
                rng.randrange(0, 20)
            ),
            "Effectifs de formateurs": str(rng.randrange(1, 25)),
            "Code Commune": commune,
            "Nom Officiel Commune / Arrondissement Municipal": libelle_commune,
            "Code Officiel Département": dept,
            "Nom Officiel Département": libelle_dept,
            "Nom Officiel Région": libelle_region,
            "Code Officiel Région": region,
            "Toutes spécialités de l'organisme de formation": label,
            "Organisme Formation Géocodé": commune,
            "geocodageban": commune,
            "Certifications": ", ".join(
                text for (_, text), on in zip(FLAGS, flags, strict=True) if on and certified
            ),
        }
        for (column, _), on in zip(FLAGS, flags, strict=True):
            row[column] = "true" if on and certified else "false"
        rows.append(_complete(row, len(rows)))
    path = Path(out_dir) / FILE_NAME
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows([row[name] for name in HEADER] for row in rows)
    return {FILE_NAME: path}
