"""Files that are not CSV (an XLSX workbook, a Parquet file), turned into the CSV the generic
reader expects, with the contract's separator and a header row.

The conversion keeps one CSV line per record, in the file's order, every value as text, so the
contract's header check, types, rejects and line numbers work as for any CSV (line 2 is the
first record: row 2 of a sheet, record 1 of a Parquet file).
"""

from __future__ import annotations

from pathlib import Path

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
