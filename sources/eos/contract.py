"""EOS (DGE): economic-development visits (pôle 3E, SEER).

Visits dated 31 December or after the reference date are placeholders the users type while a
visit is planned: they are set aside with that reason.
"""

import polars as pl

from sources.contracts import Kind, RowCheck
from sources.internal import DAY_FIRST, col, inbox_contract

DATE = "Date de la visite"


def _placeholder(ctx) -> pl.Expr:
    parsed = pl.coalesce(*[pl.col(DATE).str.to_date(f, strict=False) for f in DAY_FIRST])
    return ((parsed.dt.month() == 12) & (parsed.dt.day() == 31)) | (parsed > pl.lit(ctx.as_of))


VISITES = inbox_contract(
    source="eos",
    dataset="eos_visites",
    producer="DGE",
    system="EOS",
    file_pattern="*_Tableau_donnees_API_EOS_*.csv",
    key=("SIRET", DATE),
    newest_data_column=DATE,
    description="Economic-development visits: one row per visit.",
    columns=(
        col("SIRET", Kind.SIRET, not_null=True),
        col(DATE, Kind.DATE, not_null=True, formats=DAY_FIRST),
        col("Région de l'utilisateur propriétaire de la visite"),
        col("Visite effectuée par"),
        col("Filière(s) stratégique(s) - Tous les  libellés", required=False),
        col("Type de suivi", required=False),
        col("Type de suivi ETI/Pépite", required=False),
    ),
    row_checks=(
        RowCheck(
            "placeholder_visit",
            "placeholder visit (dated 31 December or after the reference date)",
            _placeholder,
        ),
    ),
)

CONTRACTS = (VISITES,)
