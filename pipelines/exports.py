"""Parquet exports for the portal: one folder per published snapshot, and a ``current`` pointer.

``$FCE_WAREHOUSE/exports/<snapshot>/`` holds one Parquet file per published table, sorted by its
key (a lookup by SIRET reads few row groups), and ``manifest.json`` (tables, row counts, sha256,
schema, snapshot, FCE_AS_OF). The folder is written under a temporary name, renamed, and only
then is ``exports/current`` (a symbolic link) switched to it by an atomic rename: a reader of
``exports/current/`` sees one whole snapshot or the previous one. The newest snapshots are kept
(``KEEP_SNAPSHOTS``); older ones are removed after the switch.

Exports are made from the published DuckDB file, so they hold exactly what analysts see.
"""

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.publish import PUBLISH_GROUP, PUBLISHED_TABLES
from sources.config import settings_from_env

log = logging.getLogger("fce.exports")

KEEP_SNAPSHOTS = 24
CURRENT = "current"
ROW_GROUP_ROWS = 100_000


@dataclass(frozen=True)
class Export:
    folder: Path
    snapshot: str
    row_counts: dict[str, int]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def current_snapshot(exports: Path) -> str | None:
    """The snapshot ``exports/current`` points at, if any."""
    link = exports / CURRENT
    return os.readlink(link) if link.is_symlink() else None


def _switch_current(exports: Path, snapshot: str) -> None:
    tmp = exports / f".{CURRENT}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(snapshot, tmp)
    os.replace(tmp, exports / CURRENT)
    fd = os.open(exports, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(exports: Path, keep: int) -> None:
    current = current_snapshot(exports)
    snapshots = sorted(
        p
        for p in exports.iterdir()
        if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
    )
    for old in snapshots[:-keep]:
        if old.name != current:
            shutil.rmtree(old)
    for stale in exports.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def export_parquet(published_db: Path, exports: Path, keep: int = KEEP_SNAPSHOTS) -> Export:
    """Write the snapshot of ``published_db`` under ``exports`` and point ``current`` at it."""
    exports.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(published_db), read_only=True) as con:
        published_at, as_of = con.execute("select published_at, as_of from _publication").fetchone()
        snapshot = published_at.strftime("%Y%m%dT%H%M%SZ")
        final = exports / snapshot
        if final.is_dir():
            log.info("snapshot %s already exported", snapshot)
            _switch_current(exports, snapshot)
            manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
            counts = {t: v["rows"] for t, v in manifest["tables"].items()}
            return Export(final, snapshot, counts)
        tmp = exports / f".tmp-{snapshot}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        tables: dict[str, dict[str, object]] = {}
        try:
            for table, order in PUBLISHED_TABLES.items():
                path = tmp / f"{table}.parquet"
                order_by = f" order by {order}" if order else ""
                con.execute(
                    f"copy (select * from {table}{order_by}) to {_quote(str(path))} "
                    f"(format parquet, compression zstd, row_group_size {ROW_GROUP_ROWS})"
                )
                schema = con.execute(
                    "select column_name, data_type from duckdb_columns() "
                    "where table_name = ? and schema_name = 'main' order by column_index",
                    [table],
                ).fetchall()
                rows = con.execute(f"select count(*) from {table}").fetchone()[0]
                tables[table] = {
                    "file": path.name,
                    "rows": rows,
                    "sha256": _sha256(path),
                    "sorted_by": order,
                    "schema": dict(schema),
                }
            manifest = {
                "snapshot": snapshot,
                "published_at": published_at.isoformat(),
                "as_of": as_of.isoformat(),
                "tables": tables,
            }
            (tmp / "manifest.json").write_text(
                json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
            )
            os.rename(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    _switch_current(exports, snapshot)
    _prune(exports, keep)
    log.info("exported snapshot %s to %s", snapshot, final)
    return Export(final, snapshot, {t: int(v["rows"]) for t, v in tables.items()})


@dg.asset(
    key=dg.AssetKey(["published", "parquet_exports"]),
    deps=[dg.AssetKey(["published", "fce_duckdb"])],
    group_name=PUBLISH_GROUP,
    kinds={"parquet"},
    description="Parquet exports for the portal: $FCE_WAREHOUSE/exports/<snapshot>/ with a "
    "manifest, and exports/current switched to it atomically; the last 24 snapshots are kept.",
)
def parquet_exports(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = settings_from_env()
    result = export_parquet(settings.published_db, settings.warehouse / "exports")
    context.log.info("exports/current -> %s", result.snapshot)
    return dg.MaterializeResult(
        metadata={
            "snapshot": result.snapshot,
            "path": dg.MetadataValue.path(str(result.folder)),
            **{f"rows_{t}": dg.MetadataValue.int(n) for t, n in result.row_counts.items()},
        }
    )
