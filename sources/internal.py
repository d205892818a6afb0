"""Shared pieces of the contracts of the services' internal files (dropped in the inbox)."""

import re

import polars as pl

from sources.contracts import Column, Contract, FileContext, Guards, Kind

INBOX = "inbox"

DAY_FIRST = ("%d/%m/%Y", "%Y-%m-%d")
"""Dates as the services write them: dd/MM/yyyy, sometimes ISO."""

DAY_FIRST_TIME = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
)

INTERNAL_GUARDS = Guards(
    min_row_ratio=0.5, max_row_ratio=5.0, max_reject_ratio=0.05, stale_after_days=62
)
"""Monthly exports whose size varies more than SIRENE's: a halving or a five-fold growth blocks."""

FRENCH_MONTHS = {
    "janvier": "01",
    "février": "02",
    "fevrier": "02",
    "mars": "03",
    "avril": "04",
    "mai": "05",
    "juin": "06",
    "juillet": "07",
    "août": "08",
    "aout": "08",
    "septembre": "09",
    "octobre": "10",
    "novembre": "11",
    "décembre": "12",
    "decembre": "12",
}


def col(
    name: str,
    kind: Kind = Kind.STRING,
    *,
    required: bool = True,
    not_null: bool = False,
    formats: tuple[str, ...] = (),
) -> Column:
    """A column read from an internal file; required unless said otherwise."""
    return Column(name, kind, required=required, not_null=not_null, formats=formats)


def derived(
    name: str, kind: Kind, compute, *, not_null: bool = False, formats: tuple[str, ...] = ()
) -> Column:
    """A column computed from the others (see ``Column.derive``)."""
    return Column(name, kind, not_null=not_null, derive=compute, formats=formats)


def month_from_file_name(pattern: str):
    """A derive function giving the first day of the month found in the file name (MMYYYY)."""

    def compute(ctx: FileContext) -> pl.Expr:
        found = re.search(pattern, ctx.file_name)
        if not found:
            return pl.lit(None, dtype=pl.String)
        month, year = found.group("month"), found.group("year")
        return pl.lit(f"{year}-{month}-01")

    return compute


def french_month_number(column: str) -> pl.Expr:
    """The two-digit month of a French month name (any case, accents or not); null if unknown."""
    return (
        pl.col(column)
        .str.to_lowercase()
        .str.strip_chars()
        .replace_strict(FRENCH_MONTHS, default=None, return_dtype=pl.String)
    )


def inbox_contract(
    *,
    source: str,
    dataset: str,
    producer: str,
    system: str,
    file_pattern: str,
    key: tuple[str, ...],
    columns: tuple[Column, ...],
    description: str,
    separator: str = ";",
    encoding: str = "utf-8",
    rhythm_days: int = 31,
    guards: Guards = INTERNAL_GUARDS,
    decode_html: bool = True,
    **rest: object,
) -> Contract:
    """A contract for a file dropped by a service: what all of them share, filled in once.

    The landed copy takes the stable name ``<dataset>.<extension of the pattern>``; the
    producer's own name stays in the manifest (and in the file context, for a month or a year
    it carries).
    """
    extension = file_pattern.rsplit(".", 1)[-1] if "." in file_pattern else "csv"
    return Contract(
        source=source,
        dataset=dataset,
        producer=producer,
        system=system,
        public=False,
        arrival=INBOX,
        file_name=f"{dataset}.{extension.rstrip('*') or 'csv'}",
        member=None,
        origin_url=None,
        file_pattern=file_pattern,
        rhythm_days=rhythm_days,
        encoding=encoding,
        separator=separator,
        key=key,
        columns=columns,
        description=description,
        guards=guards,
        decode_html=decode_html,
        **rest,
    )
