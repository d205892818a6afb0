"""From a landed file to its lake dataset, with the load record the UI and the marts show.

Lake layout, under ``<warehouse>/lake``:

- ``<dataset>.parquet``: the typed rows of the newest loaded file (replaced atomically);
- ``<dataset>.load.json``: the load record of that file (origin, sha256, counts, seconds), written
  right after the Parquet file. A run killed between the two leaves a record whose sha256 differs
  from the newest landed file, so the next run loads it again;
- ``_history/<dataset>/<loaded_at>-<arrival_id>.json``: every load record ever written, which the
  circuit breakers compare with.

Rejected rows go to ``<warehouse>/rejects/<dataset>/<arrival_id>.parquet`` and are kept.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sources.config import Settings
from sources.contracts import Contract
from sources.download import check_zip, extract_member
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


def lake_file(settings: Settings, contract: Contract) -> Path:
    return settings.lake / f"{contract.dataset}.parquet"


def record_file(settings: Settings, contract: Contract) -> Path:
    return settings.lake / f"{contract.dataset}.load.json"


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
    """The load record matching the lake file now in place, if any."""
    if not lake_file(settings, contract).exists():
        return None
    return LoadRecord.read(record_file(settings, contract))


def is_loaded(settings: Settings, contract: Contract, landed: Landed) -> LoadRecord | None:
    """The current record if this very file was loaded under this contract version, else None."""
    record = current_record(settings, contract)
    if record and record.sha256 == landed.sha256 and record.contract_version == contract.version:
        return record
    return None


def _csv_of(settings: Settings, contract: Contract, landed: Landed, scratch: Path) -> Path:
    """The CSV to read: the landed file itself, or its single member streamed out of the zip."""
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
    scratch = settings.work / f"{contract.dataset}-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    rejects_path = settings.rejects / contract.dataset / f"{landed.arrival_id}.parquet"
    try:
        csv_path = _csv_of(settings, contract, landed, scratch)
        label = f"{landed.file_name} ({landed.arrival_id})"
        if csv_path != landed.path:
            label = f"{landed.file_name}/{csv_path.name} ({landed.arrival_id})"
        result = normalize_csv(
            contract,
            csv_path,
            lake_path=lake_file(settings, contract),
            rejects_path=rejects_path,
            file_label=label,
            arrival_id=landed.arrival_id,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
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
        lake_path=str(lake_file(settings, contract)),
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
    _write_json(record_file(settings, contract), record)
    stamp = record.loaded_at.replace(":", "").replace("-", "")
    _write_json(history_dir(settings, contract) / f"{stamp}-{record.arrival_id}.json", record)
    log.info(
        "%s: %s read %d rows, loaded %d, rejected %d (%d identifiers left-padded) in %.1f s",
        contract.dataset,
        landed.file_name,
        record.rows_read,
        record.rows_loaded,
        record.rows_rejected,
        record.identifiers_padded,
        record.seconds,
    )
    return record, True
