"""Sample DECP file (public procurement, consolidated), in the exact format of decp-processing's
``decp.parquet``, with holders drawn from the SIRENE sample.

`generate_decp` writes one Parquet file with every column of the consolidated table, typed as the
producer types them (text identifiers, float amounts, dates, booleans, integer modification
numbers), one row per contract, holder and modification. Planted contracts come first (see
`planted_rows`); the rest are drawn for about one active establishment in five (fewer at national
scale, so that the file keeps the real one's size, about 1.5 million rows), with a share of
framework agreements (``nature`` "Accord-cadre" in the 2019 format, ``techniques`` "Accord-cadre"
in the 2022 one), groupings of two holders, and modifications that change the amount.
A few holders are identified the way the real file shows them and the warehouse must not join:
a VAT number, a SIRET that lost a leading zero, a SIRET typed with spaces; one row has no holder
identifier at all and is rejected. Buyers, amounts and subjects are invented; buyer SIRETs are
not in the SIRENE sample.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from sources.decp.contract import MARCHES
from sources.sample.sirene import ETABLISSEMENT_FILE, PLANTED, UNITE_LEGALE_FILE

FILE_NAME = MARCHES.file_name
STRING_COLUMNS = {c.name for c in MARCHES.columns if c.kind.value == "string"}
SCHEMA: dict[str, pl.DataType] = {
    c.name: {
        "string": pl.String(),
        "decimal": pl.Float64(),
        "date": pl.Date(),
        "boolean": pl.Boolean(),
        "integer": pl.Int64(),
    }[c.kind.value]
    for c in MARCHES.columns
}
# decp-processing types these as integers, not floats
SCHEMA.update(dureeMois=pl.Int64(), offresRecues=pl.Int64(), titulaire_distance=pl.Int64())

LATEST = date(2026, 11, 27)  # last publication day of the sample
CHUNK_ROWS = 50_000

_SIEGE = str(PLANTED["siege_actif"]["siret"])
_SUCCESSEUR = str(PLANTED["successeur"]["siret"])
_ETRANGER = str(PLANTED["etranger"]["siret"])
_ZEROS = str(PLANTED["siren_zeros"]["siret"])
_VIRGULE = str(PLANTED["virgule_echappee"]["siret"])

_BUYERS = (
    ("21750001600019", "VILLE DE PARIS", "75056", "Paris", "75", "Paris", "11"),
    ("21690123100011", "VILLE DE LYON", "69123", "Lyon", "69", "Rhône", "84"),
    ("21310555400017", "COMMUNE DE TOULOUSE", "31555", "Toulouse", "31", "Haute-Garonne", "76"),
    (
        "22440002800011",
        "DEPARTEMENT DE LOIRE ATLANTIQUE",
        "44109",
        "Nantes",
        "44",
        "Loire-Atlantique",
        "52",
    ),
    (
        "20005372300013",
        "METROPOLE AIX MARSEILLE PROVENCE",
        "13055",
        "Marseille",
        "13",
        "Bouches-du-Rhône",
        "93",
    ),
    (
        "26750045200018",
        "ASSISTANCE PUBLIQUE HOPITAUX DE PARIS",
        "75112",
        "Paris",
        "75",
        "Paris",
        "11",
    ),
    ("11000201100044", "MINISTERE DE L'INTERIEUR", "75108", "Paris", "75", "Paris", "11"),
    ("23974001200012", "REGION REUNION", "97411", "Saint-Denis", "974", "La Réunion", "04"),
)
_REGION_NAMES = {
    "11": "Île-de-France", "84": "Auvergne-Rhône-Alpes", "76": "Occitanie",
    "52": "Pays de la Loire", "93": "Provence-Alpes-Côte d'Azur", "04": "La Réunion",
}  # fmt: skip
_OBJETS = (
    ("Travaux de réfection de voirie", "45233142-6", "Travaux"),
    ("Maintenance des systèmes informatiques", "72267000-4", "Services"),
    (
        "Fourniture de denrées alimentaires pour la restauration scolaire",
        "15800000-6",
        "Fournitures",
    ),
    ("Nettoyage des locaux administratifs", "90919200-4", "Services"),
    ("Transport de personnes", "60130000-8", "Services"),
    ("Assistance à maîtrise d'ouvrage", "71541000-2", "Services"),
    ("Acquisition de véhicules utilitaires", "34136000-9", "Fournitures"),
    ("Développement d'une application\nde gestion des demandes", "72212000-4", "Services"),
)
_PROCEDURES = (
    "Procédure adaptée", "Appel d'offres ouvert", "Marché passé sans publicité ni mise en "
    "concurrence préalable", "Procédure avec négociation",
)  # fmt: skip


def _row(
    uid_suffix: str,
    titulaire_id: str | None,
    titulaire_nom: str,
    notified: date,
    montant: float,
    *,
    buyer: int = 0,
    nature: str = "Marché",
    techniques: str | None = "Sans objet",
    type_identifiant: str = "SIRET",
    modification_id: int = 0,
    actuelles: bool = True,
    duree: int = 12,
    objet: int = 1,
) -> dict[str, object]:
    """One row of the table: a contract's state (initial or modified) for one holder."""
    siret, nom, commune, commune_nom, dep, dep_nom, region = _BUYERS[buyer]
    intitule, cpv, kind = _OBJETS[objet]
    published = min(notified + timedelta(days=21), LATEST)
    row: dict[str, object] = dict.fromkeys(SCHEMA)
    row.update(
        uid=siret + uid_suffix,
        id=uid_suffix,
        nature=nature,
        acheteur_id=siret,
        acheteur_nom=nom,
        titulaire_id=titulaire_id,
        titulaire_typeIdentifiant=type_identifiant,
        titulaire_nom=titulaire_nom,
        objet=intitule,
        montant=montant,
        type=kind,
        codeCPV=cpv,
        procedure=_PROCEDURES[buyer % len(_PROCEDURES)],
        techniques=techniques,
        dureeMois=duree,
        dateNotification=notified,
        datePublicationDonnees=published,
        formePrix="Forfaitaire",
        attributionAvance=False,
        marcheInnovant=False,
        sousTraitanceDeclaree=False,
        lieuExecution_code=commune,
        lieuExecution_typeCode="Code commune",
        acheteur_commune_code=commune,
        acheteur_commune_nom=commune_nom,
        acheteur_departement_code=dep,
        acheteur_departement_nom=dep_nom,
        acheteur_region_code=region,
        acheteur_region_nom=_REGION_NAMES[region],
        modification_id=modification_id,
        donneesActuelles=actuelles,
        sourceDataset="decp_aife",
        sourceFile="https://www.data.gouv.fr/datasets/r/16962018-5c31-4296-9454-5998585496d2",
    )
    return row


def planted_rows() -> list[dict[str, object]]:
    """Contracts written first in every sample; the tests assert the fiche values they give.

    At FCE_AS_OF 2026-12-01 the Paris head office has won, within 36 months: contract 2025-INF-014
    (notified 2025-03-10, 120 000 EUR, raised to 150 000 by its modification) and, with the
    Saint-Herblain establishment, 2026-GRP-002 (300 000); and two framework agreements, whose
    ceilings add up to 700 000 (2024-AC-007, 2022 format, and 2024-AC-001, 2019 format).
    2022-INF-031 is older than 36 months.
    """
    nom = "NUMERIQUE CONSEIL PARIS"
    return [
        _row("2025-INF-014", _SIEGE, nom, date(2025, 3, 10), 120_000.0, actuelles=False),
        _row("2025-INF-014", _SIEGE, nom, date(2025, 9, 1), 150_000.0, modification_id=1),
        _row("2024-AC-007", _SIEGE, nom, date(2024, 6, 15), 500_000.0, buyer=5,
             techniques="Accord-cadre", duree=48),
        _row("2024-AC-001", _SIEGE, nom, date(2024, 1, 15), 200_000.0, buyer=6,
             nature="Accord-cadre", techniques=None, duree=36),
        _row("2022-INF-031", _SIEGE, nom, date(2022, 5, 2), 80_000.0, buyer=1),
        _row("2026-GRP-002", _SIEGE, nom, date(2026, 2, 1), 300_000.0, buyer=3, objet=7),
        _row("2026-GRP-002", _SUCCESSEUR, "TRANSPORTS LOIRE ATLANTIQUE", date(2026, 2, 1),
             300_000.0, buyer=3, objet=7),
        # a Belgian holder known by its VAT number: kept, never joined to a SIRET
        _row("2025-TR-044", "BE0531239879", "BRUSSELS TRADING COMPANY", date(2025, 11, 3),
             64_000.0, buyer=2, type_identifiant="TVA", objet=6),
        # the Lyon association's SIRET stored as a number upstream: one leading zero lost
        _row("2025-CUL-003", _ZEROS[1:], "ASSOCIATION DES AMIS DU VIEUX LYON",
             date(2025, 4, 22), 18_500.0, buyer=1, objet=5),
        # the Marseille restaurant's SIRET typed with spaces: found once they are removed
        _row("2025-RES-019", f"{_VIRGULE[:3]} {_VIRGULE[3:6]} {_VIRGULE[6:9]} {_VIRGULE[9:]}",
             "LA CRIEE DU VIEUX PORT", date(2025, 6, 30), 45_000.0, buyer=4, objet=2),
        # no holder identifier at all: rejected
        _row("2025-NET-008", None, "SOCIETE INCONNUE", date(2025, 7, 7), 12_000.0, buyer=2,
             objet=3),
    ]  # fmt: skip


def _holders(sirene_dir: Path) -> Iterator[tuple[str, str]]:
    """(siret, name) of the active establishments of the SIRENE sample."""
    names: dict[str, str] = {}
    ul_zip = sirene_dir / f"{UNITE_LEGALE_FILE}.zip"
    with zipfile.ZipFile(ul_zip) as archive, archive.open(f"{UNITE_LEGALE_FILE}.csv") as raw:
        for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")):
            names[row["siren"]] = row["denominationUniteLegale"] or " ".join(
                v for v in (row["prenom1UniteLegale"], row["nomUniteLegale"]) if v
            )
    et_zip = sirene_dir / f"{ETABLISSEMENT_FILE}.zip"
    with zipfile.ZipFile(et_zip) as archive, archive.open(f"{ETABLISSEMENT_FILE}.csv") as raw:
        for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")):
            if row["etatAdministratifEtablissement"] == "A":
                yield row["siret"], names.get(row["siren"], "")


def _drawn_rows(rng: random.Random, sirene_dir: Path, share: float) -> Iterator[dict[str, object]]:
    planted = {_SIEGE, _SUCCESSEUR, _ETRANGER, _ZEROS, _VIRGULE}
    span = (LATEST - date(2019, 1, 1)).days
    number = 0
    for siret, nom in _holders(sirene_dir):
        if siret in planted or rng.random() >= share:
            continue
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            number += 1
            notified = date(2019, 1, 1) + timedelta(days=rng.randrange(span))
            suffix = f"{notified.year}-{number:05d}"
            buyer = rng.randrange(len(_BUYERS))
            nature, techniques = "Marché", rng.choice(("Sans objet", "Sans objet", None))
            draw = rng.random()
            if draw < 0.06:
                nature, techniques = "Accord-cadre", None
            elif draw < 0.14:
                techniques = "Accord-cadre"
            elif draw < 0.18:
                nature = "Marché subséquent"
            montant = float(round(10 ** rng.uniform(3.5, 6.5), 2))
            common = dict(
                buyer=buyer,
                nature=nature,
                techniques=techniques,
                duree=rng.choice((3, 6, 12, 24, 36, 48)),
                objet=rng.randrange(len(_OBJETS)),
            )
            holders = [(siret, nom)]
            if rng.random() < 0.08:
                holders.append(("FR" + f"{rng.randrange(10**11):011d}", "GROUPEMENT PARTENAIRE"))
            modified = rng.random() < 0.15
            for holder_id, holder_nom in holders:
                kind = "SIRET" if holder_id.isdigit() else "TVA"
                args = (suffix, holder_id, holder_nom)
                yield _row(
                    *args, notified, montant, type_identifiant=kind,
                    actuelles=not modified, **common,
                )  # fmt: skip
                if modified:
                    later = min(notified + timedelta(days=rng.randrange(30, 400)), LATEST)
                    yield _row(
                        *args, later, round(montant * rng.uniform(1.02, 1.3), 2),
                        type_identifiant=kind, modification_id=1, **common,
                    )  # fmt: skip


def generate_decp(out_dir: Path, etablissements: int, seed: int) -> dict[str, Path]:
    """Write ``decp.parquet`` into ``out_dir`` (holding the SIRENE sample)."""
    out_dir = Path(out_dir)
    rng = random.Random(f"decp-{seed}")
    share = min(0.2, 900_000 / max(etablissements, 1))
    # rows become typed frames by chunks, so that Python objects never hold the whole file
    chunks: list[pl.DataFrame] = []
    pending = planted_rows()
    for row in _drawn_rows(rng, out_dir, share):
        pending.append(row)
        if len(pending) == CHUNK_ROWS:
            chunks.append(pl.DataFrame(pending, schema=SCHEMA, orient="row"))
            pending = []
    chunks.append(pl.DataFrame(pending, schema=SCHEMA, orient="row"))
    path = out_dir / FILE_NAME
    pl.concat(chunks, rechunk=False).write_parquet(path, compression="zstd")
    return {FILE_NAME: path}
