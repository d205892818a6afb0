"""Contract of the Index Egapro file (gender pay equality index), published by the Ministry of
Labour as one XLSX workbook.

The workbook holds one sheet, ``Données publiques Index Egapro``, one row per declaration: a
company (SIREN) or an economic and social unit (UES, declared under the SIREN of one of its
companies, its members listed in ``Entreprises UES (SIREN)`` as ``NAME (SIREN),NAME2 (SIREN2)``)
and a year. Every cell is read as text: the producer writes the SIREN as text, the year and the
notes as numbers, ``NC`` for a note that could not be computed and an empty cell for a note that
does not apply to the company's size (companies of 50 to 250 employees have one raise-and-
promotion note instead of two). The notes stay text in the lake, checked here, and become
integers in dbt staging, where ``NC`` is kept apart from 0.
"""

from __future__ import annotations

import polars as pl

from sources.contracts import Column, Contract, Guards, Kind, RowCheck, required

SHEET = "Données publiques Index Egapro"

NOTES: tuple[str, ...] = (
    "Note Ecart rémunération",
    "Note Ecart taux d'augmentation (hors promotion)",
    "Note Ecart taux de promotion",
    "Note Ecart taux d'augmentation",
    "Note Retour congé maternité",
    "Note Hautes rémunérations",
    "Note Index",
)
NOT_COMPUTED = "NC"

# A note is 0 to 100 points, written as a whole number (40 or 40.0 once read as text), or NC.
_NOTE = r"^(NC|\d{1,3}(\.0+)?)$"


def _note_check(name: str) -> RowCheck:
    return RowCheck(
        name=f"note_{name}",
        reason=f"{name}: neither a whole number of points nor NC",
        broken=lambda _: pl.col(name).is_not_null() & ~pl.col(name).str.contains(_NOTE),
    )


INDEX = Contract(
    source="egapro",
    dataset="egapro_index",
    producer="Ministère du Travail (DGT)",
    system="Egapro",
    public=True,
    arrival="http",
    file_name="index-egalite-fh.xlsx",
    member=None,
    # The producer's own stable link, listed on data.gouv.fr (dataset 61a73dcfe3171089843587bf,
    # "Index Egalité Professionnelle F/H des entreprises de 50 salariés ou plus").
    origin_url="https://egapro.travail.gouv.fr/index-egalite-fh.xlsx",
    # Rebuilt every night from the declarations; most of them arrive by 1 March each year.
    rhythm_days=7,
    # The file only grows (a campaign adds a year of declarations); a much smaller one is a
    # broken export. There is no date of data in the file (a year only): no freshness check.
    guards=Guards(
        min_row_ratio=0.9, max_row_ratio=1.6, max_reject_ratio=0.02, stale_after_days=400
    ),
    encoding="utf-8",
    separator=";",
    file_format="xlsx",
    sheet=SHEET,
    key=("SIREN", "Année"),
    description="Gender pay equality index: one row per declaration (SIREN of the company or of "
    "the UES's declaring company, and year), with the notes of each indicator.",
    row_checks=tuple(_note_check(name) for name in NOTES),
    columns=(
        required("Année", Kind.INTEGER, not_null=True),
        required("Structure"),
        required("Tranche d'effectifs"),
        required("SIREN", Kind.SIREN, not_null=True),
        required("Raison Sociale"),
        required("Nom UES"),
        required("Entreprises UES (SIREN)"),
        Column("Région"),
        Column("Département"),
        Column("Pays"),
        Column("Code NAF"),
        *(required(name) for name in NOTES),
    ),
)

CONTRACTS = (INDEX,)
