"""Sample Index Egapro workbook, in the producer's exact format, from the SIRENE sample.

`generate_egapro` writes ``index-egalite-fh.xlsx`` as the Ministry of Labour publishes it: one
sheet named ``Données publiques Index Egapro``, the 18 columns of the real header, the year as a
number, the SIREN as text, each note as a number, ``NC`` (not computable) or an empty cell (the
note does not apply to the company's size band), UES members as ``NAME (SIREN),NAME2 (SIREN2)``.

Planted declarations come first (see `PLANTED_EGAPRO`), then declarations drawn for about one
company in twelve of the SIRENE sample, over one to seven years; at national scale the share
falls so that the file keeps the real one's size (about 45 000 companies, 200 000 rows).
Two rows are broken the way the real file can be: a SIREN stored as a number, which lost its
leading zeros, and a SIREN of eleven digits. The notes are drawn independently of the company's
real size, and the index is the sum of the computed notes scaled to 100, which is how the
producer computes it.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import xlsxwriter

from sources.egapro.contract import INDEX, NOT_COMPUTED, NOTES
from sources.sample.sirene import PLANTED, UNITE_LEGALE_FILE

FILE_NAME = INDEX.file_name
HEADER: tuple[str, ...] = tuple(c.name for c in INDEX.columns)
ENTREPRISE = "Entreprise"
UES = "Unité Economique et Sociale (UES)"
PETITE, MOYENNE, GRANDE = "50 à 250", "251 à 999", "1000 et plus"
_CREATED = datetime(2026, 12, 1, 6, 0, 0)  # fixed, so that the same seed gives the same bytes

_SIEGE = str(PLANTED["siege_actif"]["siren"])
_TRANSPORTS = str(PLANTED["ferme_avec_successeur"]["siren"])
_CORSE = str(PLANTED["corse"]["siren"])
_OUTRE_MER = str(PLANTED["outre_mer"]["siren"])
_CESSEE = str(PLANTED["ul_cessee"]["siren"])
_ZEROS = str(PLANTED["siren_zeros"]["siren"])

NOTE_NAMES = dict(
    zip(
        (
            "remuneration",
            "hors_promotion",
            "promotion",
            "augmentation",
            "maternite",
            "hautes",
            "index",
        ),
        NOTES,
        strict=True,
    )
)


def _row(
    annee: int,
    siren: str | int,
    raison_sociale: str,
    *,
    structure: str = ENTREPRISE,
    tranche: str = PETITE,
    nom_ues: str | None = None,
    membres: str | None = None,
    region: str = "Île-de-France",
    departement: str = "Paris",
    naf: str = "62.01Z - Programmation informatique",
    **notes: int | str | None,
) -> list[object]:
    values: dict[str, object] = {
        "Année": annee,
        "Structure": structure,
        "Tranche d'effectifs": tranche,
        "SIREN": siren,
        "Raison Sociale": raison_sociale,
        "Nom UES": nom_ues,
        "Entreprises UES (SIREN)": membres,
        "Région": region,
        "Département": departement,
        "Pays": "FRANCE",
        "Code NAF": naf,
    }
    values.update({NOTE_NAMES[k]: v for k, v in notes.items()})
    return [values.get(name) for name in HEADER]


# Declarations written first in every sample; the tests assert the fiche values they give.
PLANTED_EGAPRO: tuple[list[object], ...] = (
    # the Paris head office: NC in 2023, then computed; its latest index is 89 (2025)
    _row(
        2023,
        _SIEGE,
        "NUMERIQUE CONSEIL PARIS",
        remuneration=NOT_COMPUTED,
        augmentation=NOT_COMPUTED,
        maternite=NOT_COMPUTED,
        hautes=NOT_COMPUTED,
        index=NOT_COMPUTED,
    ),
    _row(
        2024,
        _SIEGE,
        "NUMERIQUE CONSEIL PARIS",
        remuneration=34,
        augmentation=35,
        maternite=15,
        hautes=0,
        index=84,
    ),
    _row(
        2025,
        _SIEGE,
        "NUMERIQUE CONSEIL PARIS",
        remuneration=36,
        augmentation=35,
        maternite=NOT_COMPUTED,
        hautes=5,
        index=89,
    ),
    # a UES declared by the Nantes transport company; the Corsican hotel and the Réunion bakery
    # are its members and get its index, marked as coming from the UES
    _row(
        2025,
        _TRANSPORTS,
        "TRANSPORTS LOIRE ATLANTIQUE",
        structure=UES,
        tranche=MOYENNE,
        nom_ues="UES LOIRE ILES",
        membres=f"HOTEL DU GOLFE AJACCIEN ({_CORSE}),BOULANGERIE DU BARACHOIS ({_OUTRE_MER})",
        region="Pays de la Loire",
        departement="Loire-Atlantique",
        naf="49.41A - Transports routiers de fret interurbains",
        remuneration=39,
        hors_promotion=20,
        promotion=10,
        maternite=15,
        hautes=0,
        index=84,
    ),
    # the Réunion bakery also declared alone, the year before: its own index stays for 2024
    _row(
        2024,
        _OUTRE_MER,
        "BOULANGERIE DU BARACHOIS",
        region="La Réunion",
        departement="La Réunion",
        naf="10.71C - Boulangerie et boulangerie-pâtisserie",
        remuneration=40,
        augmentation=35,
        maternite=NOT_COMPUTED,
        hautes=0,
        index=88,
    ),
    # the ceased Toulouse company: its last declaration could not be computed
    _row(
        2022,
        _CESSEE,
        "GARONNE RESTAURATION",
        region="Occitanie",
        departement="Haute-Garonne",
        naf="56.10A - Restauration traditionnelle",
        remuneration=NOT_COMPUTED,
        augmentation=NOT_COMPUTED,
        maternite=NOT_COMPUTED,
        hautes=NOT_COMPUTED,
        index=NOT_COMPUTED,
    ),
    # the Lyon association's SIREN stored as a number: its two leading zeros are lost
    _row(
        2025,
        int(_ZEROS),
        "ASSOCIATION DES AMIS DU VIEUX LYON",
        region="Auvergne-Rhône-Alpes",
        departement="Rhône",
        naf="94.99Z - Autres organisations fonctionnant par adhésion volontaire",
        remuneration=40,
        augmentation=25,
        maternite=15,
        hautes=10,
        index=90,
    ),
    # an eleven-digit SIREN typed by hand: rejected
    _row(
        2025,
        "55208131700",
        "NUMERIQUE CONSEIL PARIS",
        remuneration=30,
        augmentation=35,
        maternite=15,
        hautes=5,
        index=85,
    ),
)

_REGIONS = (
    ("Île-de-France", ("Paris", "Hauts-de-Seine", "Seine-Saint-Denis", "Yvelines")),
    ("Auvergne-Rhône-Alpes", ("Rhône", "Isère", "Puy-de-Dôme")),
    ("Occitanie", ("Haute-Garonne", "Hérault", "Gard")),
    ("Hauts-de-France", ("Nord", "Pas-de-Calais", "Somme")),
    ("Nouvelle-Aquitaine", ("Gironde", "Pyrénées-Atlantiques", "Vienne")),
    ("Grand Est", ("Bas-Rhin", "Moselle", "Marne")),
    ("Bretagne", ("Ille-et-Vilaine", "Finistère")),
)


def _unites_legales(sirene_dir: Path) -> Iterator[dict[str, str]]:
    """The companies of the SIRENE sample (companies only: sole traders declare no index)."""
    path = sirene_dir / f"{UNITE_LEGALE_FILE}.zip"
    with zipfile.ZipFile(path) as archive, archive.open(f"{UNITE_LEGALE_FILE}.csv") as raw:
        for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")):
            if row["categorieJuridiqueUniteLegale"] != "1000" and row["denominationUniteLegale"]:
                yield row


def _naf_labels() -> dict[str, str]:
    seed = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "naf.csv"
    with seed.open(encoding="utf-8", newline="") as handle:
        return {r["code_naf"]: r["libelle_naf"] for r in csv.DictReader(handle)}


def _notes(rng: random.Random, tranche: str) -> dict[str, int | str | None]:
    """Notes of one declaration; an index NC (too few comparable employees) makes all NC."""
    petite = tranche == PETITE
    if rng.random() < 0.08:
        notes: dict[str, int | str | None] = dict.fromkeys(
            ("remuneration", "maternite", "hautes", "index"), NOT_COMPUTED
        )
        notes["augmentation" if petite else "hors_promotion"] = NOT_COMPUTED
        if not petite:
            notes["promotion"] = NOT_COMPUTED
        return notes
    drawn: dict[str, tuple[int, int | str]] = {
        "remuneration": (40, rng.choice((29, 33, 36, 38, 39, 40))),
        "hautes": (10, rng.choice((0, 5, 5, 10))),
        "maternite": (15, rng.choice((15, 15, 0, NOT_COMPUTED))),
    }
    if petite:
        drawn["augmentation"] = (35, rng.choice((35, 35, 25, 15, NOT_COMPUTED)))
    else:
        drawn["hors_promotion"] = (20, rng.choice((20, 20, 10, 5)))
        drawn["promotion"] = (15, rng.choice((15, 15, 10, 0)))
    computed = [(top, value) for top, value in drawn.values() if value != NOT_COMPUTED]
    points = sum(int(value) for _, value in computed)
    maximum = sum(top for top, _ in computed)
    notes = {name: value for name, (_, value) in drawn.items()}
    notes["index"] = round(points * 100 / maximum) if maximum >= 75 else NOT_COMPUTED
    return notes


def _drawn_rows(rng: random.Random, sirene_dir: Path, share: float) -> Iterator[list[object]]:
    labels = _naf_labels()
    planted = {_SIEGE, _TRANSPORTS, _CORSE, _OUTRE_MER, _CESSEE, _ZEROS}
    members_pool: list[tuple[str, str]] = []
    for ul in _unites_legales(sirene_dir):
        siren = ul["siren"]
        if siren in planted:
            continue
        if rng.random() >= share:
            if rng.random() < 0.05:
                members_pool.append((ul["denominationUniteLegale"], siren))
            continue
        tranche = rng.choices((PETITE, MOYENNE, GRANDE), weights=(70, 22, 8))[0]
        region, departements = rng.choice(_REGIONS)
        departement = rng.choice(departements)
        code = ul["activitePrincipaleUniteLegale"]
        naf = f"{code} - {labels[code]}" if code in labels else None
        structure, nom_ues, membres = ENTREPRISE, None, None
        if rng.random() < 0.06 and len(members_pool) >= 3:
            structure, nom_ues = UES, f"UES {ul['denominationUniteLegale']}"
            picked = rng.sample(members_pool, rng.randint(1, 3))
            membres = ",".join(f"{name} ({member})" for name, member in picked)
        first = rng.randint(2019, 2025)
        for annee in range(first, 2026):
            yield _row(
                annee,
                siren,
                ul["denominationUniteLegale"],
                structure=structure,
                tranche=tranche,
                nom_ues=nom_ues,
                membres=membres,
                region=region,
                departement=departement,
                naf=naf,
                **_notes(rng, tranche),
            )


def generate_egapro(out_dir: Path, etablissements: int, seed: int) -> dict[str, Path]:
    """Write ``index-egalite-fh.xlsx`` into ``out_dir`` (holding the SIRENE sample)."""
    out_dir = Path(out_dir)
    rng = random.Random(f"egapro-{seed}")
    path = out_dir / FILE_NAME
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    workbook.set_properties({"created": _CREATED, "author": "Egapro"})
    sheet = workbook.add_worksheet(INDEX.sheet)
    sheet.write_row(0, 0, HEADER)
    # about 1.45 establishments per company; the real file covers some 45 000 companies
    share = min(0.08, 65_000 / max(etablissements, 1))
    rows = [*PLANTED_EGAPRO, *_drawn_rows(rng, out_dir, share)]
    for number, values in enumerate(rows, start=1):
        for column, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, int):
                sheet.write_number(number, column, value)
            else:
                sheet.write_string(number, column, str(value))
    workbook.close()
    return {FILE_NAME: path}
