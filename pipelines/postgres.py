"""PostgreSQL export for the portal: one exports snapshot loaded, then swapped in as schema ``fce``.

The tables of a Parquet snapshot (``exports/<snapshot>/``, see ``pipelines.exports``) are loaded
into a fresh schema ``fce_load_<snapshot>`` in one transaction: tables typed from the manifest,
rows streamed by ``COPY ... FROM STDIN`` one Parquet batch at a time, counts checked against the
manifest, indexes, comments, ANALYZE. A second transaction then swaps it with the live schema:
it locks every table of ``fce``, renames ``fce`` to ``fce_old_<snapshot>`` and the load schema to
``fce``, records the snapshot in ``fce._publication`` and drops the old schema.

Why the swap locks the old tables first. A query resolves ``fce.<table>`` by name when it
starts; a repeatable-read transaction that read the old table and asked again after the rename
would get the new table through its old snapshot (so no rows, or the new rows when they were
frozen). Taking ACCESS EXCLUSIVE on the old tables makes the swap wait until every transaction
that read them has ended: a transaction keeps the tables it already read until it ends (a table
it opens for the first time after the swap is the new one, rows loaded). The wait is taken
in short tries (``SWAP_LOCK_TIMEOUT_MS``, below the server's default ``deadlock_timeout`` of 1 s)
with pauses between them: portal queries queue behind the swap for a fraction of a second at
most, and a reader that asks for a second table mid-swap is never chosen as a deadlock victim.
A portal that keeps a transaction open for longer than ``swap_wait`` seconds makes the export
fail instead, with ``fce`` as it was.

The old schema is dropped inside the swap transaction: its tables are already locked there, so
the drop waits for nobody, and a run killed at any point leaves no ``fce_old_*`` schema.

One export runs at a time per database and target schema (a session advisory lock, released
when the connection ends, so a killed run does not keep it). Any failure before the swap commits
drops the load schema and leaves ``fce`` untouched; load or old schemas left by a killed run are
removed by the next export. The schema ``fce`` belongs to this export: anything else created in
it is dropped at the next swap, and grants on it are not carried over (give the portal's role
``ALTER DEFAULT PRIVILEGES ... GRANT USAGE ON SCHEMAS`` and ``... GRANT SELECT ON TABLES``
for the exporting role, once). Column descriptions are not copied: the manifest does not carry
them.
"""

import hashlib
import json
import logging
import os
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl
import psycopg
from psycopg import sql

from pipelines.publish import PUBLISH_GROUP, PUBLISHED_TABLES
from sources.config import settings_from_env

log = logging.getLogger("fce.postgres")

DSN_VARIABLE = "FCE_POSTGRES_DSN"
APPLICATION_NAME = "fce_postgres_export"
BATCH_ROWS = 50_000
SWAP_LOCK_TIMEOUT_MS = 300
SWAP_RETRY_PAUSE_S = 1.0
SWAP_WAIT_S = 600.0
LOCK_NAMESPACE = 0x46CE
"""First key of the advisory lock; the second is derived from the target schema name."""

PG_TYPES: dict[str, str] = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "DOUBLE": "double precision",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "VARCHAR[]": "text[]",
}
"""DuckDB type (as the manifest writes it) to PostgreSQL type; any other type is loaded as text."""

INDEXES: dict[str, tuple[tuple[str, bool], ...]] = {
    # table: (column, unique); a column the table lacks is skipped
    "fiche_etablissement": (
        ("siret", True),
        ("siren", False),
        ("departement", False),
        ("code_naf", False),
        ("etat_administratif", False),
    ),
    "fiche_entreprise": (("siren", True),),
}

_SNAPSHOT = re.compile(r"[0-9A-Za-z_]+")


class PgExportError(RuntimeError):
    """The snapshot cannot be exported; the live schema is untouched."""


@dataclass(frozen=True)
class PgExport:
    """What one export did: the live schema, its snapshot and what it holds."""

    schema: str
    snapshot: str
    row_counts: dict[str, int]
    seconds: float
    database: str
    loaded: bool
    """False when the snapshot was already live and nothing was loaded."""


def pg_type(duckdb_type: str) -> str:
    """The PostgreSQL type a column of this DuckDB type is created with."""
    return PG_TYPES.get(duckdb_type.strip().upper(), "text")


def lock_keys(schema: str) -> tuple[int, int]:
    """The two int4 keys of the advisory lock that serializes exports to ``schema``."""
    crc = zlib.crc32(schema.encode("utf-8"))
    return LOCK_NAMESPACE, crc - (1 << 32) if crc >= 1 << 31 else crc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(snapshot_dir: Path) -> dict:
    """The manifest of a snapshot, checked: every published table is there, files match."""
    path = snapshot_dir / "manifest.json"
    if not path.is_file():
        raise PgExportError(f"{snapshot_dir} has no manifest.json: not an exports snapshot")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    snapshot = str(manifest.get("snapshot", ""))
    if not _SNAPSHOT.fullmatch(snapshot):
        raise PgExportError(f"{path}: snapshot {snapshot!r} is not a usable schema suffix")
    tables = manifest.get("tables", {})
    missing = [t for t in PUBLISHED_TABLES if t not in tables]
    if missing:
        raise PgExportError(f"{path} lacks table(s) {missing}")
    for table, entry in tables.items():
        file = snapshot_dir / entry["file"]
        if not file.is_file():
            raise PgExportError(f"{table}: {file} is missing")
        if _sha256(file) != entry["sha256"]:
            raise PgExportError(f"{table}: {file} does not match the sha256 of the manifest")
    return manifest


def _array_literal(column: str) -> pl.Expr:
    """A list column written as a PostgreSQL array literal (``{"a","b",NULL}``)."""
    element = (
        pl.element()
        .cast(pl.String)
        .str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all('"', '\\"', literal=True)
    )
    quoted = pl.concat_str([pl.lit('"'), element, pl.lit('"')]).fill_null(pl.lit("NULL"))
    joined = pl.col(column).list.eval(quoted).list.join(",")
    return pl.concat_str([pl.lit("{"), joined, pl.lit("}")]).alias(column)


def _csv_ready(frame: pl.DataFrame, types: dict[str, str]) -> pl.DataFrame:
    """Columns turned into what PostgreSQL's CSV input reads for their target type."""
    exprs = []
    for column, target in types.items():
        dtype = frame.schema[column]
        if isinstance(dtype, pl.List | pl.Array):
            exprs.append(_array_literal(column))
        elif isinstance(dtype, pl.Struct):
            exprs.append(pl.col(column).struct.json_encode())
        elif target == "text" and dtype != pl.String:
            exprs.append(pl.col(column).cast(pl.String))
        else:
            exprs.append(pl.col(column))
    return frame.select(exprs)


def _batches(path: Path, columns: list[str]) -> Iterator[pl.DataFrame]:
    """The rows of one Parquet file, ``BATCH_ROWS`` at a time, in file order."""
    yield from pl.scan_parquet(path).select(columns).collect_batches(chunk_size=BATCH_ROWS)


def copy_table(
    conn: psycopg.Connection, schema: str, table: str, path: Path, types: dict[str, str]
) -> int:
    """Stream ``path`` into ``schema.table`` (created in this transaction); rows copied."""
    statement = sql.SQL("copy {}.{} ({}) from stdin (format csv, freeze)").format(
        sql.Identifier(schema),
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(c) for c in types),
    )
    with conn.cursor() as cur:
        with cur.copy(statement) as copy:
            for batch in _batches(path, list(types)):
                text = _csv_ready(batch, types).write_csv(
                    include_header=False, quote_style="non_numeric"
                )
                copy.write(text.encode("utf-8"))
        return cur.rowcount


def _load(conn: psycopg.Connection, load: str, snapshot_dir: Path, manifest: dict) -> dict:
    """Create, fill, index, comment and analyze every table of the snapshot in ``load``."""
    snapshot = manifest["snapshot"]
    counts: dict[str, int] = {}
    with conn.transaction():
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(load)))
        for table, entry in manifest["tables"].items():
            types = {c: pg_type(t) for c, t in entry["schema"].items()}
            conn.execute(
                sql.SQL("create table {}.{} ({})").format(
                    sql.Identifier(load),
                    sql.Identifier(table),
                    sql.SQL(", ").join(
                        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
                        for c, t in types.items()
                    ),
                )
            )
            counts[table] = copy_table(conn, load, table, snapshot_dir / entry["file"], types)
            if counts[table] != entry["rows"]:
                raise PgExportError(
                    f"{table}: loaded {counts[table]} rows, the manifest says {entry['rows']}"
                )
            for column, unique in INDEXES.get(table, ()):
                if column in types:
                    conn.execute(
                        sql.SQL("create {}index {} on {}.{} ({})").format(
                            sql.SQL("unique " if unique else ""),
                            sql.Identifier(f"{table}_{column}_idx"),
                            sql.Identifier(load),
                            sql.Identifier(table),
                            sql.Identifier(column),
                        )
                    )
            conn.execute(
                sql.SQL("comment on table {}.{} is {}").format(
                    sql.Identifier(load),
                    sql.Identifier(table),
                    sql.Literal(f"FCE export snapshot {snapshot} (FCE_AS_OF {manifest['as_of']})"),
                )
            )
            log.info("loaded %s.%s: %d rows", load, table, counts[table])
        conn.execute(
            sql.SQL(
                "create table {}._publication "
                "(snapshot text not null, published_at timestamptz not null, as_of date not null)"
            ).format(sql.Identifier(load))
        )
        conn.execute(
            sql.SQL("comment on table {}._publication is {}").format(
                sql.Identifier(load),
                sql.Literal("The snapshot this schema holds and when it was swapped in."),
            )
        )
        conn.execute(
            sql.SQL("analyze {}").format(
                sql.SQL(", ").join(
                    sql.SQL("{}.{}").format(sql.Identifier(load), sql.Identifier(t)) for t in counts
                )
            )
        )
    return counts


def _schema_exists(conn: psycopg.Connection, name: str) -> bool:
    row = conn.execute("select 1 from pg_namespace where nspname = %s", [name]).fetchone()
    return row is not None


def _drop_leftovers(conn: psycopg.Connection, schema: str) -> None:
    """Drop load and old schemas of ``schema`` left by killed runs (the lock is held)."""
    rows = conn.execute(
        "select nspname from pg_namespace where left(nspname, length(%s)) = %s "
        "or left(nspname, length(%s)) = %s",
        [f"{schema}_load_", f"{schema}_load_", f"{schema}_old_", f"{schema}_old_"],
    ).fetchall()
    for (name,) in rows:
        log.warning("dropping schema %s, left by an export that was killed", name)
        conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(name)))


def _swap(
    conn: psycopg.Connection, schema: str, load: str, old: str, manifest: dict, wait: float
) -> None:
    """Put ``load`` in place of ``schema`` in one transaction, once no reader holds the old."""
    deadline = time.monotonic() + wait
    while True:
        try:
            with conn.transaction():
                conn.execute(
                    sql.SQL("set local lock_timeout = {}").format(
                        sql.Literal(f"{SWAP_LOCK_TIMEOUT_MS}ms")
                    )
                )
                if _schema_exists(conn, schema):
                    tables = conn.execute(
                        "select tablename from pg_tables where schemaname = %s order by 1",
                        [schema],
                    ).fetchall()
                    if tables:
                        conn.execute(
                            sql.SQL("lock table {} in access exclusive mode").format(
                                sql.SQL(", ").join(
                                    sql.SQL("{}.{}").format(
                                        sql.Identifier(schema), sql.Identifier(t)
                                    )
                                    for (t,) in tables
                                )
                            )
                        )
                    conn.execute(
                        sql.SQL("alter schema {} rename to {}").format(
                            sql.Identifier(schema), sql.Identifier(old)
                        )
                    )
                conn.execute(
                    sql.SQL("alter schema {} rename to {}").format(
                        sql.Identifier(load), sql.Identifier(schema)
                    )
                )
                conn.execute(
                    sql.SQL("insert into {}._publication values (%s, now(), %s)").format(
                        sql.Identifier(schema)
                    ),
                    [manifest["snapshot"], manifest["as_of"]],
                )
                conn.execute(
                    sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(old))
                )
            return
        except psycopg.errors.LockNotAvailable as exc:
            if time.monotonic() >= deadline:
                raise PgExportError(
                    f"schema {schema} is still read by open transactions after {wait:.0f} s; "
                    "the new snapshot was not swapped in"
                ) from exc
            log.info("schema %s is being read; retrying the swap", schema)
            time.sleep(SWAP_RETRY_PAUSE_S)


def _drop_quietly(conn: psycopg.Connection, name: str) -> None:
    """Drop schema ``name`` after a failure, without hiding that failure if the drop fails too.

    When the connection is gone, the load was rolled back by the server or is dropped by the
    next export.
    """
    if conn.broken or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return
    try:
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        log.warning("could not drop %s after the failure: %s", name, exc)


def live_snapshot(conn: psycopg.Connection, schema: str = "fce") -> str | None:
    """The snapshot ``schema`` holds, or None when it has none."""
    row = conn.execute(
        "select 1 from pg_tables where schemaname = %s and tablename = '_publication'", [schema]
    ).fetchone()
    if row is None:
        return None
    row = conn.execute(
        sql.SQL("select snapshot from {}._publication").format(sql.Identifier(schema))
    ).fetchone()
    return None if row is None else row[0]


def export_postgres(
    snapshot_dir: Path, dsn: str, schema: str = "fce", swap_wait: float = SWAP_WAIT_S
) -> PgExport:
    """Load the exports snapshot in ``snapshot_dir`` into PostgreSQL and swap it in as ``schema``.

    ``swap_wait`` bounds, in seconds, how long the swap waits for transactions still reading
    the previous tables.
    """
    started = time.monotonic()
    snapshot_dir = snapshot_dir.resolve()
    manifest = read_manifest(snapshot_dir)
    snapshot = manifest["snapshot"]
    load = f"{schema}_load_{snapshot.lower()}"
    old = f"{schema}_old_{snapshot.lower()}"
    with psycopg.connect(dsn, autocommit=True, application_name=APPLICATION_NAME) as conn:
        database = f"{conn.info.user}@{conn.info.host}:{conn.info.port}/{conn.info.dbname}"
        keys = lock_keys(schema)
        if not conn.execute("select pg_try_advisory_lock(%s, %s)", keys).fetchone()[0]:
            raise PgExportError(
                f"another export to schema {schema} of {database} is running; try again later"
            )
        try:
            _drop_leftovers(conn, schema)
            if live_snapshot(conn, schema) == snapshot:
                log.info("%s already holds snapshot %s", schema, snapshot)
                counts = {t: int(e["rows"]) for t, e in manifest["tables"].items()}
                return PgExport(
                    schema, snapshot, counts, time.monotonic() - started, database, False
                )
            try:
                counts = _load(conn, load, snapshot_dir, manifest)
                _swap(conn, schema, load, old, manifest, swap_wait)
            except BaseException:
                _drop_quietly(conn, load)
                raise
        finally:
            if not conn.broken:
                conn.execute("select pg_advisory_unlock(%s, %s)", keys)
    seconds = time.monotonic() - started
    log.info("%s now holds snapshot %s (%.1f s)", schema, snapshot, seconds)
    return PgExport(schema, snapshot, counts, seconds, database, True)


@dg.asset(
    key=dg.AssetKey(["published", "postgres"]),
    deps=[dg.AssetKey(["published", "parquet_exports"])],
    group_name=PUBLISH_GROUP,
    kinds={"postgres"},
    description="The portal's PostgreSQL schema fce: the current Parquet export loaded into a "
    "fresh schema, indexed, then swapped with fce in one transaction. Off when "
    f"{DSN_VARIABLE} is not set.",
)
def postgres_export(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    dsn = os.environ.get(DSN_VARIABLE, "").strip()
    if not dsn:
        context.log.info("PostgreSQL export is off: %s is not set", DSN_VARIABLE)
        return dg.MaterializeResult(
            metadata={"enabled": False, "reason": f"{DSN_VARIABLE} is not set"}
        )
    current = settings_from_env().warehouse / "exports" / "current"
    if not current.is_dir():
        raise dg.Failure(f"no Parquet export at {current}: materialize published/parquet_exports")
    try:
        result = export_postgres(current, dsn)
    except PgExportError as exc:
        raise dg.Failure(str(exc), allow_retries=False) from exc
    context.log.info("%s of %s holds snapshot %s", result.schema, result.database, result.snapshot)
    return dg.MaterializeResult(
        metadata={
            "enabled": True,
            "schema": result.schema,
            "snapshot": result.snapshot,
            "database": result.database,
            "loaded": result.loaded,
            "seconds": dg.MetadataValue.float(round(result.seconds, 3)),
            **{f"rows_{t}": dg.MetadataValue.int(n) for t, n in result.row_counts.items()},
            "dagster/row_count": dg.MetadataValue.int(result.row_counts["fiche_etablissement"]),
        }
    )
