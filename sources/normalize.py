"""Generic normalization: one CSV file to typed Parquet in the lake, rejected rows kept apart.

Everything streams (polars streaming engine); no step holds a national file in memory. The CSV
is read once, as text (leading zeros and ``[ND]`` survive): identifiers are left-padded and every
rule of the contract is evaluated into a ``_reason`` column; from that one stream polars writes
three outputs together (``polars.collect_all`` of lazy sinks, sharing the scan and the rules):

- rows without a reason, cast to their types, to the lake;
- rows with a reason to the rejects, with file, line and the raw values as JSON;
- the counts (read, rejected, padded identifiers) and the newest date of the data.

Line numbers count the header as line 1. A quoted value spanning several lines would shift the
numbers of the rows after it; SIRENE files have none.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sources.contracts import (
    IDENTIFIER_WIDTH,
    MASKED,
    Column,
    Contract,
    ContractError,
    FileContext,
    Kind,
    check_header,
)
from sources.faults import pause_point, remove_abandoned

log = logging.getLogger("fce.normalize")

LINE = "_line"
REASON = "_reason"
SOURCE_LINE = "source_line"
REJECT_COLUMNS = ("dataset", "file", "arrival_id", "line", "reason", "raw")

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
TRUE_VALUES = ("true", "1", "oui", "vrai", "yes")
FALSE_VALUES = ("false", "0", "non", "faux", "no")
UTF8 = ("utf-8", "utf8")

HTML_ENTITIES = {
    "&amp;": "&",
    "&lt;": "<",
    "&gt;": ">",
    "&quot;": '"',
    "&apos;": "'",
    "&#39;": "'",
    "&#039;": "'",
    "&nbsp;": " ",
    "&#160;": " ",
    "&eacute;": "é",
    "&egrave;": "è",
    "&ecirc;": "ê",
    "&euml;": "ë",
    "&agrave;": "à",
    "&acirc;": "â",
    "&ccedil;": "ç",
    "&icirc;": "î",
    "&iuml;": "ï",
    "&ocirc;": "ô",
    "&ouml;": "ö",
    "&ugrave;": "ù",
    "&ucirc;": "û",
    "&uuml;": "ü",
    "&Eacute;": "É",
    "&Egrave;": "È",
    "&Agrave;": "À",
    "&Ccedil;": "Ç",
    "&oelig;": "œ",
    "&OElig;": "Œ",
    "&rsquo;": "’",
    "&laquo;": "«",
    "&raquo;": "»",
    "&euro;": "€",
    "&deg;": "°",
    "&#233;": "é",
    "&#232;": "è",
    "&#224;": "à",
}
"""Entities found in the services' exports. A fixed table keeps the work in polars' streaming
engine; an entity not listed here stays as it is."""


def _mojibake_table() -> dict[str, str]:
    """Each French letter or sign as it reads once its UTF-8 bytes are decoded as windows-1252
    or Latin-1 ("Ã©" for "é", "â€™" for "’"), mapped back to itself."""
    table: dict[str, str] = {}
    for char in "éèêëàâäîïôöùûüçÿÉÈÊËÀÂÄÎÏÔÖÙÛÜÇœŒæÆ’‘“”«»°€–—… ":
        for codec in ("cp1252", "latin-1"):
            try:
                garbled = char.encode("utf-8").decode(codec)
            except UnicodeDecodeError:
                continue  # a byte windows-1252 leaves undefined: only Latin-1 shows it
            table[garbled] = char
    return table


MOJIBAKE = _mojibake_table()
"""Repair of UTF-8 text that went once through a single-byte decoding. Every sequence of the
table maps back to exactly one character, so the repair is safe where it applies; text garbled
twice, or whose bytes were replaced by "?" or "�" on the way, is not in the table and stays as it
is (a fixed table keeps the work in polars' streaming engine)."""


@dataclass(frozen=True)
class NormalizeResult:
    """Counts and findings of one normalization."""

    rows_read: int
    rows_loaded: int
    rows_rejected: int
    identifiers_padded: int
    newest_data: str | None
    columns_missing: tuple[str, ...]
    columns_extra: tuple[str, ...]


def read_header(path: Path, contract: Contract, file_label: str) -> list[str]:
    """Return the header fields; an empty file or a wrong encoding is a ``ContractError``."""
    if path.stat().st_size == 0:
        raise ContractError(f"{file_label}: the file is empty (0 bytes)")
    with path.open("rb") as handle:
        first_bytes = handle.readline()
    try:
        first = first_bytes.decode(contract.encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ContractError(
            f"{file_label}: line 1 is not valid {contract.encoding} ({exc.reason} at byte "
            f"{exc.start}); the contract expects {contract.encoding}"
        ) from exc
    if not first.strip():
        raise ContractError(f"{file_label}: the first line is empty; expected a header")
    header = next(csv.reader([first], delimiter=contract.separator, quotechar='"'))
    if len(header) == 1 and len(contract.columns) > 1:
        raise ContractError(
            f"{file_label}: the header has a single column {header[0][:80]!r}; "
            f"expected fields separated by {contract.separator!r}"
        )
    return header


def refuse_utf8(path: Path, encoding: str, file_label: str) -> None:
    """Refuse a UTF-8 file where a single-byte encoding (windows-1252) is declared.

    Such a file decodes without error in the declared encoding, as mojibake (``Ã©`` for ``é``):
    a file that is valid UTF-8 and holds non-ASCII bytes was almost surely written in UTF-8.
    """
    any_high = False
    with path.open("rb") as handle:
        for line in handle:
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return
            any_high = True
    if any_high:
        raise ContractError(
            f"{file_label}: the file is UTF-8, but the contract expects {encoding}: ask the "
            "producer for the usual export, or change the contract if the format changed"
        )


def transcode_to_utf8(path: Path, encoding: str, target: Path, file_label: str) -> Path:
    """Rewrite a file declared in another encoding as UTF-8, line by line, for polars.

    A byte the declared encoding does not define is refused with its line number.
    """
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as out:
        for number, line in enumerate(source, start=1):
            try:
                out.write(line.decode(encoding))
            except UnicodeDecodeError as exc:
                raise ContractError(
                    f"{file_label}: line {number} is not valid {encoding} ({exc.reason}); the "
                    f"contract expects {encoding}"
                ) from exc
    return target


def _check_tail(path: Path, n_fields: int, contract: Contract, file_label: str) -> None:
    """Refuse a file cut in the middle of a line (a copy still in progress, a failed download)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - 65536))
        tail = handle.read()
    if tail.endswith(b"\n"):
        return
    if contract.ends_with_newline:
        raise ContractError(
            f"{file_label}: the file does not end with a line end, as every file of "
            f"{contract.producer} / {contract.system} does: it is truncated; have it sent or "
            "downloaded again"
        )
    last = tail.rsplit(b"\n", 1)[-1].decode(contract.encoding, errors="replace")
    fields = next(csv.reader([last], delimiter=contract.separator, quotechar='"'), [])
    if len(fields) < n_fields:
        raise ContractError(
            f"{file_label}: the last line stops after {len(fields)} of {n_fields} fields and "
            f"has no line end: the file is truncated; have it sent or downloaded again"
        )


def _locate_error(path: Path, encoding: str, separator: str, n_fields: int) -> str | None:
    """Say where a file stops being readable (slow; only run once reading failed)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError as exc:
                return f"line {number} is not valid {encoding} ({exc.reason})"
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=separator, quotechar='"')
        for row in reader:
            if len(row) > n_fields:
                return f"line {reader.line_num} has {len(row)} fields, the header {n_fields}"
    return None


def _empty_as_null(expr: pl.Expr) -> pl.Expr:
    """``expr`` with "" made null. Elementwise, so the streaming engine keeps it in its
    pipeline: ``Expr.replace("", None)`` made polars hold the whole file in memory (a 400 MB
    CSV took 3.7 GiB instead of 0.5)."""
    return pl.when(expr != "").then(expr)


def _identifier(name: str, width: int) -> pl.Expr:
    """Remove spaces inside an identifier and left-pad one that lost its leading zeros."""
    col = _empty_as_null(pl.col(name).str.replace_all(r"[\s\u00a0]", ""))
    return (
        pl.when(col.str.contains(r"^\d+$") & (col.str.len_chars() < width))
        .then(col.str.pad_start(width, "0"))
        .otherwise(col)
        .alias(name)
    )


def _parsed_date(col: pl.Expr, fmt: str) -> pl.Expr:
    if "%H" in fmt:
        return col.str.to_datetime(fmt, strict=False, time_unit="us").dt.date()
    return col.str.to_date(fmt, strict=False)


def _typed(column: Column) -> pl.Expr:
    """Cast a text column to its type; ``strict=False`` gives null where the text does not parse."""
    kind = column.kind
    col = pl.col(column.name)
    if column.masked:
        col = pl.when(col == MASKED).then(None).otherwise(col)
    if kind is Kind.DATE:
        formats = column.formats or (DATE_FORMAT,)
        return pl.coalesce(*[_parsed_date(col, f) for f in formats])
    if kind is Kind.DATETIME:
        formats = column.formats or (DATETIME_FORMAT,)
        return pl.coalesce(*[col.str.to_datetime(f, strict=False, time_unit="us") for f in formats])
    if kind is Kind.DECIMAL:
        return col.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    if kind is Kind.BOOLEAN:
        lowered = col.str.to_lowercase()
        return (
            pl.when(lowered.is_in(TRUE_VALUES))
            .then(True)
            .when(lowered.is_in(FALSE_VALUES))
            .then(False)
            .otherwise(None)
        )
    if kind is Kind.INTEGER:
        return col.cast(pl.Int64, strict=False)
    return col


def _rule_breaks(contract: Contract, present: set[str], context: FileContext) -> list[pl.Expr]:
    """One expression per rule, giving the reason text on rows that break it, else null."""
    reasons: list[pl.Expr] = []
    for column in contract.columns:
        name = column.name
        raw = pl.col(name)
        if column.not_null:
            reasons.append(pl.when(raw.is_null()).then(pl.lit(f"{name}: value missing")))
        if column.kind in IDENTIFIER_WIDTH:
            width = IDENTIFIER_WIDTH[column.kind]
            bad = raw.is_not_null() & ~raw.str.contains(rf"^\d{{{width}}}$")
            reasons.append(
                pl.when(bad).then(
                    pl.format(f"{name}: {{}} is not a {column.kind} of {width} digits", raw)
                )
            )
        elif column.kind is not Kind.STRING and name in present:
            parsed = _typed(column)
            kept = raw.is_not_null() & ~(raw == MASKED if column.masked else pl.lit(False))
            reasons.append(
                pl.when(kept & parsed.is_null()).then(
                    pl.format(f"{name}: {{}} is not a valid {column.kind}", raw)
                )
            )
    for check in contract.row_checks:
        reasons.append(pl.when(check.broken(context).fill_null(False)).then(pl.lit(check.reason)))
    return reasons


def _atomic_replace(tmp: Path, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, final)


def normalize_csv(
    contract: Contract,
    csv_path: Path,
    *,
    lake_path: Path,
    rejects_path: Path,
    file_label: str,
    arrival_id: str,
    context: FileContext | None = None,
) -> NormalizeResult:
    """Write the lake file and the rejects of one CSV.

    Both outputs are written to temporary names and renamed into place at the end, rejects first:
    a failure leaves the previous lake file untouched.
    """
    context = context or FileContext(file_name=csv_path.name, as_of=dt.date.today())

    def rename(name: str) -> str:
        name = name.strip()
        return contract.header_alias(name, context) if contract.header_alias else name

    if contract.encoding.lower() not in UTF8:
        refuse_utf8(csv_path, contract.encoding, file_label)
    header = [rename(h) for h in read_header(csv_path, contract, file_label)]
    report = check_header(contract, header, file_label)
    _check_tail(csv_path, len(header), contract, file_label)
    derived = [c for c in contract.columns if c.derive is not None]
    present = set(report.present) | {c.name for c in derived}

    texts: list[pl.Expr] = []
    for column in contract.columns:
        if column.derive is not None:
            continue
        if column.name not in present:
            texts.append(pl.lit(None, dtype=pl.String).alias(column.name))
        elif column.kind in IDENTIFIER_WIDTH:
            texts.append(_identifier(column.name, IDENTIFIER_WIDTH[column.kind]))
        else:
            text = _empty_as_null(pl.col(column.name).str.strip_chars(" "))
            if contract.decode_html and column.kind is Kind.STRING:
                text = text.str.replace_many(HTML_ENTITIES)
            if contract.repair_mojibake and column.kind is Kind.STRING:
                text = text.str.replace_many(MOJIBAKE)
            texts.append(text)
    derivations = [c.derive(context).cast(pl.String).alias(c.name) for c in derived]
    padded_flags = [
        (pl.col(c.name).str.len_chars() < IDENTIFIER_WIDTH[c.kind]).fill_null(False)
        for c in contract.columns
        if c.kind in IDENTIFIER_WIDTH and c.name in report.present
    ]

    utf8_copy = lake_path.with_name(f".{lake_path.stem}.{os.getpid()}.utf8.tmp")
    lake_tmp = lake_path.with_name(f".{lake_path.name}.{os.getpid()}.tmp")
    rejects_tmp = rejects_path.with_name(f".{rejects_path.name}.{os.getpid()}.tmp")
    lake_path.parent.mkdir(parents=True, exist_ok=True)
    rejects_path.parent.mkdir(parents=True, exist_ok=True)
    # What a normalization killed before its renames left; the names carry the writer's pid.
    remove_abandoned(lake_path.parent, f".{lake_path.stem}.*.scratch.parquet")
    remove_abandoned(lake_path.parent, f".{lake_path.stem}.*.utf8.tmp")
    remove_abandoned(lake_path.parent, f".{lake_path.name}.*.tmp")
    remove_abandoned(rejects_path.parent, ".*.parquet.*.tmp")
    try:
        readable, encoding = csv_path, contract.encoding
        if contract.encoding.lower() not in UTF8:
            readable = transcode_to_utf8(csv_path, contract.encoding, utf8_copy, file_label)
            encoding = "utf-8"
        scan = pl.scan_csv(
            readable,
            separator=contract.separator,
            quote_char='"',
            infer_schema=False,
            encoding="utf8",
            row_index_name=LINE,
            row_index_offset=2,
            raise_if_empty=False,
            with_column_names=lambda names: [n if n == LINE else rename(n) for n in names],
        )
        stage = scan.select(
            pl.col(LINE).cast(pl.Int64),
            (pl.any_horizontal(padded_flags) if padded_flags else pl.lit(False)).alias("_padded"),
            *[pl.col(name) for name in report.present],
        ).with_columns(texts)
        if derivations:
            stage = stage.with_columns(derivations)
        reasons = _rule_breaks(contract, present, context)
        stage = stage.with_columns(
            _empty_as_null(pl.concat_str(reasons, separator="; ", ignore_nulls=True)).alias(REASON)
        )

        typed = [
            _typed(c).alias(c.name)
            if c.kind not in (Kind.STRING, *IDENTIFIER_WIDTH)
            else pl.col(c.name)
            for c in contract.columns
        ]
        good = stage.filter(pl.col(REASON).is_null()).select(
            *typed, pl.col(LINE).alias(SOURCE_LINE)
        )
        raw_names = [c.name for c in contract.columns if c.name in report.present]
        rejected = stage.filter(pl.col(REASON).is_not_null()).select(
            pl.lit(contract.dataset).alias("dataset"),
            pl.lit(file_label).alias("file"),
            pl.lit(arrival_id).alias("arrival_id"),
            pl.col(LINE).alias("line"),
            pl.col(REASON).alias("reason"),
            pl.struct(raw_names).struct.json_encode().alias("raw"),
        )
        statistics = [
            pl.len().alias("read"),
            pl.col(REASON).is_not_null().sum().alias("rejected"),
            pl.col("_padded").sum().alias("padded"),
        ]
        if contract.newest_data_column:
            newest_of = next(c for c in contract.columns if c.name == contract.newest_data_column)
            loaded = pl.col(REASON).is_null()
            statistics.append(_typed(newest_of).filter(loaded).max().alias("newest"))
        counts = stage.select(statistics)
        # One reading of the CSV feeds the three outputs: polars runs the plans together and
        # shares their common part (the scan, the texts and the reasons).
        try:
            results = pl.collect_all(
                [
                    good.sink_parquet(
                        lake_tmp,
                        lazy=True,
                        metadata={
                            "fce.dataset": contract.dataset,
                            "fce.arrival_id": arrival_id,
                            "fce.contract_version": contract.version,
                        },
                    ),
                    rejected.sink_parquet(rejects_tmp, lazy=True),
                    counts,
                ],
                engine="streaming",
            )
        except pl.exceptions.ComputeError as exc:
            where = _locate_error(readable, encoding, contract.separator, len(header))
            where = where or str(exc).splitlines()[0]
            raise ContractError(
                f"{file_label}: cannot be read as {contract.encoding} CSV separated by "
                f"{contract.separator!r}: {where}"
            ) from exc
        stats = results[-1].row(0, named=True)
        rows_read, rows_rejected, padded = (
            int(stats[k] or 0) for k in ("read", "rejected", "padded")
        )
        if rows_read == 0:
            raise ContractError(f"{file_label}: the file has a header but no data rows")
        value = stats.get("newest")
        newest = value.isoformat() if value is not None else None
        pause_point("normalize")
        _atomic_replace(rejects_tmp, rejects_path)
        _atomic_replace(lake_tmp, lake_path)
    finally:
        for leftover in (lake_tmp, rejects_tmp, utf8_copy):
            leftover.unlink(missing_ok=True)
    return NormalizeResult(
        rows_read=rows_read,
        rows_loaded=rows_read - rows_rejected,
        rows_rejected=rows_rejected,
        identifiers_padded=padded,
        newest_data=newest,
        columns_missing=report.missing_optional,
        columns_extra=report.extra,
    )
