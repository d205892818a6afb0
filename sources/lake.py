"""From a landed file to its lake dataset, with the load record the UI and the marts show.

Lake layout, under ``<warehouse>/lake``:

- ``<dataset>.parquet``: the typed rows of the newest loaded file (replaced atomically);
- ``<dataset>.load.json``: the load record of that file (origin, sha256, counts, seconds), written
  right after the Parquet file. A run killed between the two leaves a record whose sha256 differs
  from the newest landed file, so the next run loads it again;
- ``_history/<dataset>/<loaded_at>-<arrival_id>.json``: every load record ever written, which the
  circuit breakers compare with.

A dataset whose files accumulate (``Contract.history_key``, e.g. monthly headcounts) is a folder
instead: ``<dataset>/<key value>.parquet`` and ``<dataset>/<key value>.load.json`` per part, a
newer file for the same key value replacing that part only.

Rejected rows go to ``<warehouse>/rejects/<dataset>/<arrival_id>.parquet`` and are kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl

from sources.config import Settings
from sources.contracts import Contract, ContractError, FileContext, Kind
from sources.download import check_zip, extract_member
from sources.faults import remove_abandoned
from sources.landing import Landed
from sources.normalize import normalize_csv

log = logging.getLogger("fce.lake")

MAX_UNCOMPRESSED_BYTES = 200 * 1024**3
"""Zip bomb guard: the national StockEtablissement CSV is about 10 GB once unpacked."""


@dataclass(frozen=True)
class LoadRecord:
    """What one load did; one per dataset is current, shown in ``sources_fraicheur``."""

    source: str
    dataset: str
    producer: str
    system: str
    file: str
    origin: str
    sha256: str
    size: int
    arrival_id: str
    arrived_at: str
    contract_version: str
    loaded_at: str
    lake_path: str
    rejects_path: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    identifiers_padded: int
    newest_data: str | None
    columns_missing: list[str]
    columns_extra: list[str]
    seconds: float
    stale_after_days: int = 45

    @classmethod
    def read(cls, path: Path) -> LoadRecord | None:
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def lake_file(settings: Settings, contract: Contract, part: str | None = None) -> Path:
    """The lake file of a dataset, or of one part of an accumulating dataset."""
    if contract.history_key:
        return settings.lake / contract.dataset / f"{part or '*'}.parquet"
    return settings.lake / f"{contract.dataset}.parquet"


def record_file(settings: Settings, contract: Contract, part: str | None = None) -> Path:
    if contract.history_key:
        return settings.lake / contract.dataset / f"{part or '*'}.load.json"
    return settings.lake / f"{contract.dataset}.load.json"


def part_records(settings: Settings, contract: Contract) -> list[LoadRecord]:
    """The load records of every part of an accumulating dataset, by part name."""
    folder = settings.lake / contract.dataset
    records = [LoadRecord.read(p) for p in sorted(folder.glob("*.load.json"))]
    return [r for r in records if r is not None]


def history_dir(settings: Settings, contract: Contract) -> Path:
    return settings.lake / "_history" / contract.dataset


def previous_record(
    settings: Settings, contract: Contract, current: LoadRecord
) -> LoadRecord | None:
    """The newest load of another file than ``current``'s, the reference of the breakers."""
    folder = history_dir(settings, contract)
    if not folder.is_dir():
        return None
    for path in sorted(folder.glob("*.json"), reverse=True):
        record = LoadRecord.read(path)
        if (
            record
            and record.arrival_id
            and record.arrival_id != current.arrival_id
            and record.loaded_at <= current.loaded_at
        ):
            return record
    return None


def _write_json(target: Path, record: LoadRecord) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(record), ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, target)


def current_record(settings: Settings, contract: Contract) -> LoadRecord | None:
    """The load record matching the lake file now in place (the newest part's), if any."""
    if contract.history_key:
        records = part_records(settings, contract)
        return max(records, key=lambda r: r.loaded_at) if records else None
    if not lake_file(settings, contract).exists():
        return None
    return LoadRecord.read(record_file(settings, contract))


def is_loaded(settings: Settings, contract: Contract, landed: Landed) -> LoadRecord | None:
    """The record of this very file if it is in the lake under this contract version."""
    if contract.history_key:
        candidates = part_records(settings, contract)
    else:
        record = current_record(settings, contract)
        candidates = [record] if record else []
    for record in candidates:
        if record.sha256 == landed.sha256 and record.contract_version == contract.version:
            return record
    return None


def origin_name(landed: Landed) -> str:
    """The file's name as the producer gave it (the landed copy may carry a stable name)."""
    return Path(urlsplit(landed.origin).path).name or landed.file_name


def _json_to_csv(contract: Contract, path: Path, target: Path, label: str) -> Path:
    """Write the records of a JSON file (a list under ``contract.json_records``) as a CSV."""
    try:
        document = json.loads(path.read_text(encoding=contract.encoding))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContractError(
            f"{label}: not a readable {contract.encoding} JSON file ({exc})"
        ) from exc
    records = document.get(contract.json_records) if isinstance(document, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ContractError(
            f"{label}: expected an object with a list of records under {contract.json_records!r}"
        )
    if not records:
        raise ContractError(f"{label}: the list {contract.json_records!r} is empty")
    names = list(dict.fromkeys(key for record in records for key in record))
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=contract.separator, lineterminator="\n")
        writer.writerow(names)
        for record in records:
            writer.writerow(["" if record.get(n) is None else str(record.get(n)) for n in names])
    return target


def _csv_of(settings: Settings, contract: Contract, landed: Landed, scratch: Path) -> Path:
    """The CSV to read: the landed file itself, its single member streamed out of the zip, or
    the CSV made from a JSON file."""
    if contract.json_records:
        label = f"{origin_name(landed)} ({landed.arrival_id})"
        return _json_to_csv(contract, landed.path, scratch / "records.csv", label)
    if contract.file_format != "csv":
        from sources.formats import to_csv

        label = f"{origin_name(landed)} ({landed.arrival_id})"
        return to_csv(contract, landed.path, scratch / "records.csv", label)
    if not landed.file_name.lower().endswith(".zip"):
        return landed.path
    members = check_zip(
        landed.path, expected_members=1, max_uncompressed_bytes=MAX_UNCOMPRESSED_BYTES
    )
    if contract.member and members[0] != contract.member:
        log.warning(
            "%s holds %s, expected %s; reading it anyway",
            landed.file_name,
            members[0],
            contract.member,
        )
    return extract_member(
        landed.path, members[0], scratch / Path(members[0]).name, max_bytes=MAX_UNCOMPRESSED_BYTES
    )


POLARS_TYPES = {
    Kind.DATE: pl.Date,
    Kind.DATETIME: pl.Datetime("us"),
    Kind.BOOLEAN: pl.Boolean,
    Kind.INTEGER: pl.Int64,
    Kind.DECIMAL: pl.Float64,
}
EMPTY_PART = "none"


def write_empty(settings: Settings, contract: Contract) -> LoadRecord:
    """An empty, typed lake file for a source that has dropped nothing yet.

    dbt reads every lake dataset; an internal source whose first file has not arrived must not
    stop the warehouse. Its load record says so (no file, no arrival) and the breakers ignore it.
    """
    schema = {c.name: POLARS_TYPES.get(c.kind, pl.String) for c in contract.columns}
    schema["source_line"] = pl.Int64
    part = EMPTY_PART if contract.history_key else None
    path = lake_file(settings, contract, part)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pl.DataFrame(schema=schema).write_parquet(tmp)
    os.replace(tmp, path)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    record = LoadRecord(
        source=contract.source,
        dataset=contract.dataset,
        producer=contract.producer,
        system=contract.system,
        file="",
        origin="",
        sha256="",
        size=0,
        arrival_id="",
        arrived_at=now,
        contract_version=contract.version,
        loaded_at=now,
        lake_path=str(path),
        rejects_path="",
        rows_read=0,
        rows_loaded=0,
        rows_rejected=0,
        identifiers_padded=0,
        newest_data=None,
        columns_missing=[],
        columns_extra=[],
        seconds=0.0,
        stale_after_days=contract.guards.stale_after_days,
    )
    _write_json(record_file(settings, contract, part), record)
    log.warning("%s: no file received yet; an empty dataset stands in", contract.dataset)
    return record


def _place_part(contract: Contract, incoming: Path, label: str) -> str:
    """Rename a freshly written part of an accumulating dataset after the key value it holds."""
    key = contract.history_key
    values = pl.scan_parquet(incoming).select(pl.col(key).unique()).collect()[key].to_list()
    if len(values) != 1 or values[0] is None:
        raise ContractError(
            f"{label}: a file of {contract.dataset} must hold one value of {key}, found "
            f"{values[:5]}"
        )
    part = values[0].isoformat() if hasattr(values[0], "isoformat") else str(values[0])
    final = incoming.with_name(f"{part}.parquet")
    os.replace(incoming, final)
    for placeholder in (f"{EMPTY_PART}.parquet", f"{EMPTY_PART}.load.json"):
        final.with_name(placeholder).unlink(missing_ok=True)
    log.info("%s: part %s written to %s", contract.dataset, part, final)
    return part


def load(settings: Settings, contract: Contract, landed: Landed) -> tuple[LoadRecord, bool]:
    """Normalize ``landed`` into the lake unless it is already there; return (record, loaded)."""
    done = is_loaded(settings, contract, landed)
    if done:
        log.info(
            "%s: %s (sha256 %s) already in the lake, not processed again",
            contract.dataset,
            landed.file_name,
            landed.sha256[:12],
        )
        return done, False
    start = time.monotonic()
    remove_abandoned(settings.work, f"{contract.dataset}.*")
    scratch = settings.work / f"{contract.dataset}.{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    rejects_path = settings.rejects / contract.dataset / f"{landed.arrival_id}.parquet"
    name = origin_name(landed)
    # An accumulating dataset is first written aside, then renamed to the part it holds.
    target = (
        settings.lake / contract.dataset / f".incoming-{landed.arrival_id}.parquet"
        if contract.history_key
        else lake_file(settings, contract)
    )
    # Its rejects as well, under a temporary name: a file refused when its part is placed must
    # leave no rejects behind.
    rejects_written = (
        rejects_path.with_name(f".{rejects_path.name}.{os.getpid()}.part.tmp")
        if contract.history_key
        else rejects_path
    )
    try:
        csv_path = _csv_of(settings, contract, landed, scratch)
        label = f"{name} ({landed.arrival_id})"
        if csv_path != landed.path and not contract.json_records and contract.file_format == "csv":
            label = f"{name}/{csv_path.name} ({landed.arrival_id})"
        result = normalize_csv(
            contract,
            csv_path,
            lake_path=target,
            rejects_path=rejects_written,
            file_label=label,
            arrival_id=landed.arrival_id,
            context=FileContext(file_name=name, as_of=settings.as_of),
        )
        part = None
        if contract.history_key:
            part = _place_part(contract, target, label)
            os.replace(rejects_written, rejects_path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if contract.history_key:
            target.unlink(missing_ok=True)
            rejects_written.unlink(missing_ok=True)
    record = LoadRecord(
        source=contract.source,
        dataset=contract.dataset,
        producer=contract.producer,
        system=contract.system,
        file=landed.file_name,
        origin=landed.origin,
        sha256=landed.sha256,
        size=landed.size,
        arrival_id=landed.arrival_id,
        arrived_at=landed.arrived_at,
        contract_version=contract.version,
        loaded_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        lake_path=str(lake_file(settings, contract, part)),
        rejects_path=str(rejects_path),
        rows_read=result.rows_read,
        rows_loaded=result.rows_loaded,
        rows_rejected=result.rows_rejected,
        identifiers_padded=result.identifiers_padded,
        newest_data=result.newest_data,
        columns_missing=list(result.columns_missing),
        columns_extra=list(result.columns_extra),
        seconds=round(time.monotonic() - start, 3),
        stale_after_days=contract.guards.stale_after_days,
    )
    _write_json(record_file(settings, contract, part), record)
    stamp = record.loaded_at.replace(":", "").replace("-", "")
    _write_json(history_dir(settings, contract) / f"{stamp}-{record.arrival_id}.json", record)
    log.info(
        "%s: %s read %d rows, loaded %d, rejected %d (%d identifiers left-padded) in %.1f s",
        contract.dataset,
        name,
        record.rows_read,
        record.rows_loaded,
        record.rows_rejected,
        record.identifiers_padded,
        record.seconds,
    )
    return record, True
