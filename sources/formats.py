"""Files that are not CSV (an XLSX workbook, a Parquet file), turned into the CSV the generic
reader expects, with the contract's separator and a header row.

The conversion keeps one CSV line per record, in the file's order, every value as text, so the
contract's header check, types, rejects and line numbers work as for any CSV (line 2 is the
first record: row 2 of a sheet, record 1 of a Parquet file).
"""

from __future__ import annotations

from pathlib import Path

import fastexcel
import polars as pl

from sources.contracts import Contract, ContractError

CONVERTERS: dict[str, str] = {}
"""format: name of the function of this module that converts it (filled below)."""


def to_csv(contract: Contract, path: Path, target: Path, label: str) -> Path:
    """Write ``path`` (in ``contract.file_format``) as a CSV at ``target``; return ``target``."""
    name = CONVERTERS.get(contract.file_format)
    if name is None:
        raise ContractError(
            f"{label}: contract {contract.dataset} declares the format "
            f"{contract.file_format!r}, which the warehouse cannot read "
            f"(known: csv, {', '.join(sorted(CONVERTERS))})"
        )
    return globals()[name](contract, path, target, label)


LINE_BREAKS = r"[\r\n]+"
"""A line break inside a value (a cell typed on two lines) becomes a space, so that one record
stays one CSV line and the line numbers of the rejects stay those of the records."""


def _one_line(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(LINE_BREAKS, " ")


def _cause(exc: Exception) -> str:
    """The library's own words for a failure, on one line."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else 'no detail'}"


def _xlsx_to_csv(contract: Contract, path: Path, target: Path, label: str) -> Path:
    """Write the contract's sheet of an XLSX workbook as a CSV, every cell read as text.

    polars reads the sheet through fastexcel (calamine, in Rust) with no type inference, so a
    SIREN keeps its leading zeros when the producer stored it as text and a note stays ``NC``;
    a number stored as a number comes out without a decimal part when it has none (2025, not
    2025.0). The header is the sheet's first row. Empty rows at the end of the sheet (formatted
    but blank cells) are dropped; an empty row in the middle is kept, so that line n of the CSV
    is row n of the sheet. A workbook is read whole into memory: the Egapro file is a few tens
    of megabytes; a national-scale workbook would need a row-streaming reader.
    """
    try:
        sheets = fastexcel.read_excel(str(path)).sheet_names
    except Exception as exc:  # fastexcel raises its own types for every kind of bad file
        raise ContractError(f"{label}: not a readable XLSX workbook ({_cause(exc)})") from exc
    if contract.sheet not in sheets:
        raise ContractError(
            f"{label}: the workbook has no sheet {contract.sheet!r}; its sheets are {sheets}. "
            f"The producer ({contract.producer} / {contract.system}) may have renamed it: "
            "update Contract.sheet in sources/ if so."
        )
    try:
        # Empty rows and columns are kept: dropping them would shift the line numbers of the
        # rejects and lose a required column that happens to be empty in every row.
        frame = pl.read_excel(
            path,
            sheet_name=contract.sheet,
            engine="calamine",
            infer_schema_length=0,
            drop_empty_rows=False,
            drop_empty_cols=False,
            raise_if_empty=False,
        )
    except Exception as exc:
        raise ContractError(
            f"{label}: the sheet {contract.sheet!r} cannot be read ({_cause(exc)})"
        ) from exc
    if frame.width == 0:
        raise ContractError(f"{label}: the sheet {contract.sheet!r} is empty; expected a header")
    frame = frame.select(pl.all().cast(pl.String))
    filled = frame.select(pl.any_horizontal(pl.all().is_not_null()).alias("filled"))["filled"]
    frame = frame.head(int(filled.arg_true().max()) + 1 if filled.any() else 0)
    frame.select(_one_line(pl.all())).write_csv(
        target, separator=contract.separator, quote_style="necessary", line_terminator="\n"
    )
    return target


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    """One Parquet column as the text a CSV of the same data would hold."""
    col = pl.col(name)
    if dtype == pl.Date:
        text = col.dt.to_string("%Y-%m-%d")
    elif isinstance(dtype, pl.Datetime):
        text = col.dt.to_string("%Y-%m-%dT%H:%M:%S")
    elif isinstance(dtype, pl.List | pl.Array):
        text = col.cast(pl.List(pl.String)).list.join(", ")
    elif isinstance(dtype, pl.Struct):
        text = col.struct.json_encode()
    else:
        text = col.cast(pl.String)
    return _one_line(text).alias(name)


def _parquet_to_csv(contract: Contract, path: Path, target: Path, label: str) -> Path:
    """Stream a Parquet file into a CSV, every column cast to text, record by record.

    The file is scanned and sunk with polars' streaming engine, so a national file is never held
    in memory. Producers type their Parquet columns (a date, a float amount, a boolean); the text
    written is the one the contract's types read back: dates as ``YYYY-MM-DD``, timestamps as
    ``YYYY-MM-DDTHH:MM:SS``, booleans as ``true``/``false``, a list as its items joined by
    ``, ``. A missing column is then caught by the usual header check.
    """
    try:
        schema = pl.read_parquet_schema(path)
    except Exception as exc:  # polars raises ComputeError or OSError for a broken footer
        raise ContractError(f"{label}: not a readable Parquet file ({_cause(exc)})") from exc
    if not schema:
        raise ContractError(f"{label}: the Parquet file has no column")
    texts = [_as_text(name, dtype) for name, dtype in schema.items()]
    try:
        pl.scan_parquet(path).select(texts).sink_csv(
            target, separator=contract.separator, quote_style="necessary", engine="streaming"
        )
    except Exception as exc:  # a corrupt page surfaces only while reading
        raise ContractError(
            f"{label}: the Parquet file cannot be read to its end, it may be truncated or "
            f"corrupt ({_cause(exc)})"
        ) from exc
    return target


CONVERTERS.update(xlsx="_xlsx_to_csv", parquet="_parquet_to_csv")
