"""SORA (DGCCRF): competition and consumer-protection interventions (pôle C).

The date arrives in three columns, the month as a French name (janvier…décembre); the date is
rebuilt from them, and a month name the contract does not know rejects the row. Comma separated.
"""

import polars as pl

from sources.contracts import Kind, RowCheck
from sources.internal import col, derived, french_month_number, inbox_contract

YEAR = "Année de Visite Date Intervention"
MONTH = "Mois de Visite Date Intervention"
DAY = "Jour de Visite Date Intervention"


def _date_intervention(_) -> pl.Expr:
    return pl.concat_str(
        pl.col(YEAR).str.strip_chars(),
        french_month_number(MONTH),
        pl.col(DAY).str.strip_chars().str.pad_start(2, "0"),
        separator="-",
    )


INTERVENTIONS = inbox_contract(
    source="sora",
    dataset="sora_interventions",
    producer="DGCCRF",
    system="SORA",
    file_pattern="donnee_FCE_extract*.csv",
    separator=",",
    key=("Etob Siret", "date_intervention"),
    newest_data_column="date_intervention",
    description="Competition and consumer-protection interventions: one row per intervention.",
    columns=(
        col("Etob Siret", Kind.SIRET, not_null=True),
        col(YEAR, not_null=True),
        col(MONTH, not_null=True),
        col(DAY, not_null=True),
        col("Suite (1 = oui, 0 = non)", Kind.BOOLEAN),
        col("Unfct Libelle"),
        col("Messagerie", required=False),
        derived("date_intervention", Kind.DATE, _date_intervention),
    ),
    row_checks=(
        RowCheck(
            "known_month",
            "Mois de Visite Date Intervention is not a French month name (janvier…décembre)",
            lambda _: pl.col(MONTH).is_not_null() & french_month_number(MONTH).is_null(),
        ),
    ),
)

CONTRACTS = (INTERVENTIONS,)
