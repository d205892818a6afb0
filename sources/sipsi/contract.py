"""SIPSI (DGT): posted workers (prestations de service internationales), by client.

Two files, one keyed by SIREN and one by SIRET, each covering two years:
``ClientsPSI-Siren-YYYY-ddmmyyyy.csv`` with columns ``salaries_distincts_<year>``. The year in
the column names changes with the file: they are read as ``salaries_distincts_annee`` (the
file's year) and ``salaries_distincts_annee_precedente``, and the year is kept in ``annee``.
"""

import re

import polars as pl

from sources.contracts import Contract, FileContext, Kind
from sources.internal import col, derived, inbox_contract

FILE_YEAR = re.compile(r"ClientsPSI-Sire[nt]-(?P<year>\d{4})-")
COUNT = re.compile(r"^salaries_distincts_(?P<year>\d{4})$")


def _file_year(ctx: FileContext) -> int | None:
    found = FILE_YEAR.search(ctx.file_name)
    return int(found.group("year")) if found else None


def _alias(name: str, ctx: FileContext) -> str:
    found = COUNT.match(name)
    year = _file_year(ctx)
    if not found or year is None:
        return name
    if int(found.group("year")) == year:
        return "salaries_distincts_annee"
    if int(found.group("year")) == year - 1:
        return "salaries_distincts_annee_precedente"
    return name


def _annee(ctx: FileContext) -> pl.Expr:
    year = _file_year(ctx)
    return pl.lit(str(year) if year else None, dtype=pl.String)


def _contract(key_column: str, kind: Kind, dataset: str, pattern: str, grain: str) -> Contract:
    return inbox_contract(
        source="sipsi",
        dataset=dataset,
        producer="DGT",
        system="SIPSI",
        file_pattern=pattern,
        rhythm_days=92,
        separator=",",
        key=(key_column,),
        header_alias=_alias,
        description=f"Posted workers: one row per {grain}, distinct workers over two years.",
        columns=(
            col(key_column, kind, not_null=True),
            col("salaries_distincts_annee", Kind.INTEGER),
            col("salaries_distincts_annee_precedente", Kind.INTEGER, required=False),
            derived("annee", Kind.INTEGER, _annee, not_null=True),
        ),
        decode_html=False,
    )


PAR_SIREN = _contract(
    "client_siren", Kind.SIREN, "sipsi_siren", "ClientsPSI-Siren-*.csv", "client company (SIREN)"
)
PAR_SIRET = _contract(
    "siret", Kind.SIRET, "sipsi_siret", "ClientsPSI-Siret-*.csv", "client establishment (SIRET)"
)

CONTRACTS = (PAR_SIREN, PAR_SIRET)
