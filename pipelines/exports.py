"""Parquet exports for the portal: one folder per published snapshot, and a ``current`` pointer.

Two audiences read them. ``exports/<snapshot>/agents/`` has every published table, whole;
``exports/<snapshot>/public/`` has only what the public sources (INSEE SIRENE, the nomenclatures)
say: no table, column or row that comes from a service's file. Each folder holds one Parquet file
per table, sorted by its key (a lookup by SIRET reads few row groups), and its own
``manifest.json`` (tables, row counts, sha256, schema, snapshot, FCE_AS_OF). The snapshot folder
also keeps a ``manifest.json`` at its top, the agents' one with paths under ``agents/``, which is
what ``pipelines.postgres`` loads from ``exports/current``. `[ND]` values are copied as they are,
masked, for both audiences.

What is internal is declared once, in the dbt YAML, and read here from the dbt manifest:
``config: meta: {acces: interne}`` on a model withholds the table; ``meta: {acces: interne}`` on
a column withholds the column; ``config: meta: {acces_par_ligne: COLUMN}`` keeps only the rows
whose COLUMN names a public source (``sources.registry.PUBLIC``): any other value, null
included, is internal. A published table the dbt
manifest does not describe, or whose row filter column is missing, is left out of the public
export rather than guessed.

The snapshot is written under a temporary name, renamed, and only then is ``exports/current``
(a symbolic link) switched to it by an atomic rename: a reader of ``exports/current/`` sees one
whole snapshot, both audiences, or the previous one. The newest snapshots are kept
(``KEEP_SNAPSHOTS``); older ones are removed after the switch.

Exports are made from the published DuckDB file, so they hold exactly what analysts see, in the
order the publication stored each table (sorted by its key): they are not sorted again.

A file whose content would be the same as in the current snapshot is not written again: each
manifest entry has a ``content_key`` (a hash of the table's fingerprint in the published file's
``_publication_tables``, or, when the audience sees only some of its columns or rows, of the
fingerprint of that part, computed here; of the query that selects it for the audience and of the
Parquet settings), and an entry whose key equals the current snapshot's is a hard link to that file
(a copy where the file system refuses links). Its rows, sha256 and schema are those of the
linked file. A published file without fingerprints gets every file written. A table the public
sees whole (every column, every row) has the same bytes for both audiences: the public file is
a hard link to the agents' one of the same snapshot.
"""

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.publish import PUBLISH_GROUP, PUBLISHED_TABLES, content_fingerprint
from sources import registry
from sources.config import settings_from_env

log = logging.getLogger("fce.exports")

KEEP_SNAPSHOTS = 24
CURRENT = "current"
ROW_GROUP_ROWS = 100_000
LOOKUP_ROW_GROUP_ROWS = 20_000
"""Row groups of the fiches, which the portal reads by SIRET or SIREN: a lookup decodes one
row group, so a smaller one answers faster (the files grow by a few per cent)."""
ROW_GROUPS: dict[str, int] = {
    "fiche_etablissement": LOOKUP_ROW_GROUP_ROWS,
    "fiche_entreprise": LOOKUP_ROW_GROUP_ROWS,
}
EXPORT_FORMAT = "parquet zstd v1"
"""Part of every content key: a change of how files are written writes them all again."""
AGENTS = "agents"
PUBLIC = "public"
AUDIENCES = (AGENTS, PUBLIC)
MANIFEST = "manifest.json"

META_ACCESS = "acces"
META_INTERNAL = "interne"
META_ROW_ACCESS = "acces_par_ligne"
PUBLIC_SOURCES: tuple[str, ...] = tuple(sorted({c.source for c in registry.PUBLIC}))
"""Values of a row-access column (``source``) that make a row public; any other is internal."""


@dataclass(frozen=True)
class Access:
    """What the public export leaves out, per published table, as the dbt YAML declares it."""

    internal_tables: frozenset[str]
    internal_columns: dict[str, frozenset[str]] = field(default_factory=dict)
    row_filters: dict[str, str] = field(default_factory=dict)
    """table: column whose value, unless it names a public source, makes the row internal."""


@dataclass(frozen=True)
class Export:
    folder: Path
    """The agents' export, ``exports/<snapshot>/agents``: every table, whole."""
    snapshot: str
    row_counts: dict[str, int]
    """Rows per table of the agents' export."""
    public_row_counts: dict[str, int] = field(default_factory=dict)
    """Rows per table of the public export (``folder.parent / "public"``)."""
    linked: tuple[str, ...] = ()
    """Files (``audience/table``) linked to the previous snapshot's, not written again."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _is_internal(*metas: object) -> bool:
    return any(isinstance(m, dict) and m.get(META_ACCESS) == META_INTERNAL for m in metas)


def read_access(dbt_manifest: Path) -> Access:
    """The access declarations of the published tables, from dbt's ``manifest.json``.

    A published table that is neither a model nor a seed of the manifest is internal: nothing
    says it is public.
    """
    manifest = json.loads(dbt_manifest.read_text(encoding="utf-8"))
    nodes = {
        node["name"]: node
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") in ("model", "seed")
    }
    internal_tables: set[str] = set()
    internal_columns: dict[str, frozenset[str]] = {}
    row_filters: dict[str, str] = {}
    for table in PUBLISHED_TABLES:
        node = nodes.get(table)
        if node is None:
            log.warning(
                "%s is not in the dbt manifest %s: left out of the public export",
                table,
                dbt_manifest,
            )
            internal_tables.add(table)
            continue
        meta = node.get("config", {}).get("meta") or {}
        if _is_internal(meta, node.get("meta")):
            internal_tables.add(table)
            continue
        columns = frozenset(
            name
            for name, column in node.get("columns", {}).items()
            if _is_internal(column.get("meta"), column.get("config", {}).get("meta"))
        )
        if columns:
            internal_columns[table] = columns
        if meta.get(META_ROW_ACCESS):
            row_filters[table] = str(meta[META_ROW_ACCESS])
    return Access(frozenset(internal_tables), internal_columns, row_filters)


def default_access() -> Access:
    """The declarations of the dbt project, parsed again when a model or YAML is newer."""
    from pipelines.dbt import ensure_manifest

    return read_access(ensure_manifest())


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


def _public_query(table: str, columns: list[str], access: Access) -> tuple[list[str], str] | None:
    """The columns and ``where`` clause of ``table`` for the public, or None to leave it out."""
    if table in access.internal_tables:
        return None
    hidden = access.internal_columns.get(table, frozenset())
    kept = [c for c in columns if c not in hidden]
    where = ""
    row_column = access.row_filters.get(table)
    if row_column is not None:
        if row_column not in columns:
            log.warning(
                "%s has no column %s to filter internal rows on: left out of the public export",
                table,
                row_column,
            )
            return None
        public = ", ".join(_quote(s) for s in PUBLIC_SOURCES)
        # only what a public source says is shown: an unknown or null source is not
        where = f" where coalesce({_ident(row_column)} in ({public}), false)"
    if not kept:
        return None
    return kept, where


def _fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Table → fingerprint of the published file (``pipelines.publish``), empty if it has none."""
    from pipelines.publish import FINGERPRINTS

    present = con.execute(
        "select count(*) from duckdb_tables() where table_name = ?", [FINGERPRINTS]
    ).fetchone()[0]
    if not present:
        return {}
    return dict(con.execute(f"select table_name, fingerprint from {FINGERPRINTS}").fetchall())


def _previous_entries(exports: Path, audience: str) -> tuple[Path, dict[str, dict]] | None:
    """The folder and manifest entries of ``audience`` in the current snapshot, if any."""
    snapshot = current_snapshot(exports)
    if snapshot is None:
        return None
    folder = exports / snapshot / audience
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return folder, manifest.get("tables", {})


def _content_key(fingerprint: str | None, select: str, order: str | None, rows: int) -> str | None:
    if fingerprint is None:
        return None
    text = json.dumps([fingerprint, select, order, rows, EXPORT_FORMAT])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _write_audience(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    audience: str,
    access: Access,
    previous: tuple[Path, dict[str, dict]] | None = None,
    whole: tuple[Path, dict[str, dict]] | None = None,
) -> tuple[dict[str, dict[str, object]], list[str]]:
    """Write the Parquet files of one audience into ``folder``; their manifest entries and the
    tables linked rather than written.

    A file whose content key is the one of ``previous`` (the current snapshot's folder and
    entries) is linked to it instead. ``whole`` (the agents' folder and entries of the same
    snapshot) gives the files of the tables this audience sees whole, every column and row:
    the same bytes, linked rather than written twice.
    """
    folder.mkdir()
    con.execute("set preserve_insertion_order = true")
    fingerprints = _fingerprints(con)
    tables: dict[str, dict[str, object]] = {}
    linked: list[str] = []
    for table, order in PUBLISHED_TABLES.items():
        schema = con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where table_name = ? and schema_name = 'main' order by column_index",
            [table],
        ).fetchall()
        columns = [name for name, _ in schema]
        where = ""
        if audience == PUBLIC:
            public = _public_query(table, columns, access)
            if public is None:
                continue
            columns, where = public
        types = dict(schema)
        path = folder / f"{table}.parquet"
        select = f"select {', '.join(_ident(c) for c in columns)} from {table}{where}"
        row_group = ROW_GROUPS.get(table, ROW_GROUP_ROWS)
        fingerprint = fingerprints.get(table)
        if fingerprint is not None and (where or len(columns) < len(schema)):
            # the audience sees part of the table: its file is the same as long as that part
            # is, whatever changed in the columns and rows it does not see
            fingerprint = content_fingerprint(con, f"({select})", [(c, types[c]) for c in columns])
        key = _content_key(fingerprint, select, order, row_group)
        before = previous[1].get(table) if previous else None
        if key is not None and before is not None and before.get("content_key") == key:
            source = previous[0] / str(before["file"])
            if source.is_file():
                _link_or_copy(source, path)
                linked.append(table)
                tables[table] = {**before, "file": path.name}
                continue
        same = whole[1].get(table) if whole and not where and len(columns) == len(schema) else None
        if same is not None and same.get("content_key") == key:
            _link_or_copy(whole[0] / str(same["file"]), path)
            tables[table] = {**same, "file": path.name}
            continue
        # no order by: the published table is stored sorted by its key (pipelines.publish)
        # and a scan returns it in that order (preserve_insertion_order, set above)
        con.execute(
            f"copy ({select}) to {_quote(str(path))} "
            f"(format parquet, compression zstd, row_group_size {row_group})"
        )
        rows = con.execute(f"select count(*) from {table}{where}").fetchone()[0]
        tables[table] = {
            "file": path.name,
            "rows": rows,
            "sha256": _sha256(path),
            "sorted_by": order,
            "schema": {c: types[c] for c in columns},
            "content_key": key,
        }
    if linked:
        log.info(
            "%s: %d file(s) unchanged, linked to %s: %s",
            audience,
            len(linked),
            previous[0] if previous else "",
            ", ".join(linked),
        )
    return tables, linked


def _write_manifest(path: Path, manifest: dict[str, object]) -> None:
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")


def _rows(manifest: dict) -> dict[str, int]:
    return {t: int(v["rows"]) for t, v in manifest["tables"].items()}


def export_parquet(
    published_db: Path,
    exports: Path,
    keep: int = KEEP_SNAPSHOTS,
    access: Access | None = None,
) -> Export:
    """Write the snapshot of ``published_db`` under ``exports`` and point ``current`` at it.

    ``access`` says what the public export leaves out; by default it is read from the dbt
    project's manifest.
    """
    exports.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(published_db), read_only=True) as con:
        published_at, as_of = con.execute("select published_at, as_of from _publication").fetchone()
        snapshot = published_at.strftime("%Y%m%dT%H%M%SZ")
        final = exports / snapshot
        if final.is_dir():
            log.info("snapshot %s already exported", snapshot)
            _switch_current(exports, snapshot)
            top = json.loads((final / MANIFEST).read_text(encoding="utf-8"))
            public = final / PUBLIC / MANIFEST  # absent from a snapshot of an older layout
            public_rows = (
                _rows(json.loads(public.read_text(encoding="utf-8"))) if public.is_file() else {}
            )
            return Export(final / AGENTS, snapshot, _rows(top), public_rows)
        if access is None:
            access = default_access()
        tmp = exports / f".tmp-{snapshot}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        common = {
            "snapshot": snapshot,
            "published_at": published_at.isoformat(),
            "as_of": as_of.isoformat(),
        }
        manifests: dict[str, dict] = {}
        linked: list[str] = []
        try:
            for audience in AUDIENCES:
                previous = _previous_entries(exports, audience)
                whole = (tmp / AGENTS, manifests[AGENTS]["tables"]) if manifests else None
                tables, same = _write_audience(
                    con, tmp / audience, audience, access, previous, whole
                )
                linked += [f"{audience}/{t}" for t in same]
                manifests[audience] = {**common, "audience": audience, "tables": tables}
                _write_manifest(tmp / audience / MANIFEST, manifests[audience])
            # the agents' manifest again at the top, for readers of exports/current/ (PostgreSQL)
            top_tables = {
                t: {**v, "file": f"{AGENTS}/{v['file']}"}
                for t, v in manifests[AGENTS]["tables"].items()
            }
            _write_manifest(
                tmp / MANIFEST,
                {
                    **common,
                    "audience": AGENTS,
                    "audiences": {a: f"{a}/{MANIFEST}" for a in AUDIENCES},
                    "tables": top_tables,
                },
            )
            os.rename(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    _switch_current(exports, snapshot)
    _prune(exports, keep)
    log.info("exported snapshot %s to %s", snapshot, final)
    return Export(
        final / AGENTS,
        snapshot,
        _rows(manifests[AGENTS]),
        _rows(manifests[PUBLIC]),
        tuple(linked),
    )


@dg.asset(
    key=dg.AssetKey(["published", "parquet_exports"]),
    deps=[dg.AssetKey(["published", "fce_duckdb"])],
    group_name=PUBLISH_GROUP,
    kinds={"parquet"},
    description="Parquet exports for the portal: $FCE_WAREHOUSE/exports/<snapshot>/agents/ "
    "(everything) and public/ (public sources only), each with a manifest, and exports/current "
    "switched to the snapshot atomically; the last 24 snapshots are kept.",
)
def parquet_exports(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from pipelines.snapshots import record_snapshot

    settings = settings_from_env()
    result = export_parquet(settings.published_db, settings.warehouse / "exports")
    context.log.info("exports/current -> %s", result.snapshot)
    kept = record_snapshot(settings.lake, result.folder.parent, settings.published_db)
    context.log.info("fiches of snapshot %s kept in %s", result.snapshot, kept)
    return dg.MaterializeResult(
        metadata={
            "snapshot": result.snapshot,
            "path": dg.MetadataValue.path(str(result.folder.parent)),
            "lake_snapshot": dg.MetadataValue.path(str(kept)),
            "files_linked": dg.MetadataValue.int(len(result.linked)),
            "files_linked_names": ", ".join(result.linked) or "none",
            **{f"rows_{t}": dg.MetadataValue.int(n) for t, n in result.row_counts.items()},
            **{
                f"public_rows_{t}": dg.MetadataValue.int(n)
                for t, n in result.public_row_counts.items()
            },
        }
    )
