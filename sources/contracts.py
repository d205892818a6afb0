"""Source contracts: each source is declared once, and generic code reads the declaration.

A contract names the producer, how the file arrives, its format and every column it carries, with
the column's type and whether it is required. Column names are the producer's, exactly as they
arrive; the lake keeps them, and dbt staging renames them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import polars as pl

log = logging.getLogger("fce.contracts")

MASKED = "[ND]"
"""INSEE's literal for a value withheld under partial diffusion; kept as it is, never guessed."""


class ContractError(ValueError):
    """The file does not match its contract (header, encoding, structure)."""


class Kind(StrEnum):
    """Column types. Identifiers stay strings with their leading zeros."""

    STRING = "string"
    SIREN = "siren"
    NIC = "nic"
    SIRET = "siret"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    DECIMAL = "decimal"


@dataclass(frozen=True)
class FileContext:
    """What a derived column or a row check may know besides the row: the file and the date."""

    file_name: str
    as_of: dt.date


IDENTIFIER_WIDTH = {Kind.SIREN: 9, Kind.NIC: 5, Kind.SIRET: 14}


@dataclass(frozen=True)
class Column:
    """One column as it arrives.

    ``required``: the header must carry it (a missing one stops the run). An optional column that
    is missing is added empty, with a warning. ``not_null``: a row without a value is rejected.
    ``masked``: the column may hold ``[ND]``, which is then kept verbatim. ``formats``: for a
    date or a datetime, the strptime formats tried in order (ISO when empty). ``derive``: the
    column is not in the file but computed from the others (seen as text, identifiers padded)
    and from the file's context, e.g. a SIRET from SIREN and NIC, a month from the file name.
    """

    name: str
    kind: Kind = Kind.STRING
    required: bool = False
    not_null: bool = False
    masked: bool = False
    description: str = ""
    formats: tuple[str, ...] = ()
    derive: Callable[[FileContext], pl.Expr] | None = None


def required(
    name: str,
    kind: Kind = Kind.STRING,
    *,
    not_null: bool = False,
    masked: bool = False,
    formats: tuple[str, ...] = (),
) -> Column:
    """A column the header must carry (a missing one stops the run)."""
    return Column(name, kind, required=True, not_null=not_null, masked=masked, formats=formats)


def optional(
    name: str, kind: Kind = Kind.STRING, *, masked: bool = False, formats: tuple[str, ...] = ()
) -> Column:
    """A column loaded when present and added empty, with a warning, when not."""
    return Column(name, kind, masked=masked, formats=formats)


@dataclass(frozen=True)
class RowCheck:
    """A rule over a whole row, for what is specific to one source.

    ``broken`` builds a polars expression that is true on a row breaking the rule; such a row is
    rejected with ``reason``. It sees the columns as text, identifiers already left-padded, and
    the derived columns.
    """

    name: str
    reason: str
    broken: Callable[[FileContext], pl.Expr]


@dataclass(frozen=True)
class Guards:
    """Thresholds that block a publication, per source; they do not change how a file is read.

    ``min_row_ratio``: a load with fewer rows than this share of the previous load blocks.
    ``max_row_ratio``: a load with more rows than this multiple of the previous one blocks.
    ``max_reject_ratio``: a file with a larger share of rejected rows blocks.
    ``stale_after_days``: newest data older than this at FCE_AS_OF is a warning.
    """

    min_row_ratio: float = 0.9
    max_row_ratio: float = 5.0
    max_reject_ratio: float = 0.01
    stale_after_days: int = 45


@dataclass(frozen=True)
class Contract:
    """Everything the generic readers need to know about one dataset of a source."""

    source: str
    dataset: str
    producer: str
    system: str
    public: bool
    arrival: str
    file_name: str
    member: str | None
    origin_url: str | None
    rhythm_days: int
    encoding: str
    separator: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    newest_data_column: str | None = None
    description: str = ""
    row_checks: tuple[RowCheck, ...] = field(default_factory=tuple)
    # True when the producer always ends the file with a line end: a file without one was cut,
    # even inside its last value. Without it, only a last line short of fields is refused.
    ends_with_newline: bool = False
    # Dropped files: the glob their names match in the source's inbox folder.
    file_pattern: str | None = None
    # Files that accumulate: the lake keeps one part per value of this column (a month, say),
    # and a newer file for the same value replaces that part only.
    history_key: str | None = None
    # A JSON file holding its records as a list under this key ({"UC": [{…}, …]}); it is
    # turned into a CSV with the contract's separator before the usual reading.
    json_records: str | None = None
    # HTML entities (&amp;, &eacute;, &#39;…) in text values are decoded.
    decode_html: bool = False
    # UTF-8 text once read as windows-1252 or Latin-1 ("Ã©" for "é") is repaired in text values,
    # from a fixed table of the French letters and signs (sources/normalize.py, MOJIBAKE).
    repair_mojibake: bool = False
    # Header names that vary (a year in a column name): maps an arriving name to the contract's.
    header_alias: Callable[[str, FileContext], str] | None = None
    guards: Guards = field(default_factory=Guards)
    # How the file is written: "csv" (read as it is), "xlsx" or "parquet" (turned into a CSV
    # with the contract's separator by sources.formats before the usual reading, so that the
    # checks, rejects and line numbers are the same for every format).
    file_format: str = "csv"
    # For an XLSX file: the sheet holding the rows (a renamed sheet stops the run).
    sheet: str | None = None

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"contract {self.dataset}: duplicated column names")
        unknown = set(self.key) - set(names)
        if unknown:
            raise ValueError(f"contract {self.dataset}: key columns {sorted(unknown)} not declared")

    @property
    def names(self) -> tuple[str, ...]:
        """The columns read from the file (derived ones excluded)."""
        return tuple(c.name for c in self.columns if c.derive is None)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def version(self) -> str:
        """A short hash of the declaration: a lake file made under another version is redone."""
        described = asdict(self)
        del described["guards"]
        payload = json.dumps(described, sort_keys=True, default=_code_of).encode()
        return hashlib.sha256(payload).hexdigest()[:12]


def _code_of(value: object) -> str:
    """A function stands for its source text in the version hash (an address would change)."""
    if callable(value):
        try:
            return inspect.getsource(value).strip()
        except (OSError, TypeError):
            return getattr(value, "__qualname__", type(value).__name__)
    return str(value)


@dataclass(frozen=True)
class HeaderReport:
    """What the header of a file says against its contract."""

    present: tuple[str, ...]
    missing_optional: tuple[str, ...]
    extra: tuple[str, ...]


def check_header(contract: Contract, header: list[str], file_label: str) -> HeaderReport:
    """Validate a header by name, never by position.

    A missing required column raises ``ContractError`` naming the file and every missing column;
    a duplicated name too. Extra columns (producers append some without notice) are logged and
    ignored; missing optional ones are reported so the reader adds them empty.
    """
    cleaned = [h.strip() for h in header]
    if not any(cleaned):
        raise ContractError(f"{file_label}: the header line is empty")
    seen: set[str] = set()
    duplicated = sorted({h for h in cleaned if h in seen or seen.add(h)})
    if duplicated:
        raise ContractError(f"{file_label}: column(s) {duplicated} appear more than once")
    declared = set(contract.names)
    read = [c for c in contract.columns if c.derive is None]
    missing_required = [c.name for c in read if c.required and c.name not in seen]
    if missing_required:
        near = {
            m: [h for h in cleaned if h not in declared and h.lower() == m.lower()]
            for m in missing_required
        }
        hints = "; ".join(f"found {v[0]!r} instead of {k!r}?" for k, v in near.items() if v)
        raise ContractError(
            f"{file_label}: required column(s) {missing_required} missing from the header "
            f"of {contract.dataset} ({contract.producer} / {contract.system}). "
            + (hints + " " if hints else "")
            + "The producer may have renamed them: update the contract in sources/ if so."
        )
    extra = tuple(h for h in cleaned if h not in declared)
    if extra:
        log.warning(
            "%s: %d column(s) not in the contract, ignored: %s",
            file_label,
            len(extra),
            ", ".join(extra),
        )
    missing_optional = tuple(c.name for c in read if c.name not in seen)
    if missing_optional:
        log.warning(
            "%s: optional column(s) absent, loaded empty: %s",
            file_label,
            ", ".join(missing_optional),
        )
    present = tuple(c.name for c in read if c.name in seen)
    return HeaderReport(present=present, missing_optional=missing_optional, extra=extra)
