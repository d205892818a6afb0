"""Publish: copy the checked marts from the build database to the analysts' file, atomically.

The published file is written under a temporary name in the build folder (on the warehouse's
file system, where analysts do not look), checked (it opens, every table has the row count of
the build), flushed to disk, then renamed over the previous one. A reader that opened the
previous file keeps reading it; a new reader gets the new one; a run that fails or is killed
before the rename leaves the previous file as it was. A copy left by a killed run is removed by
the next publication.

Only what changed is written again. Every published table has a fingerprint: a hash of its
columns (names, types, comments), its row count and the sum of the hashes of its rows
(``table_fingerprint``). The published file keeps them in ``_publication_tables``. When the
previous publication has them, the new file starts as a byte copy of it, and only the tables
whose fingerprint in the build differs are dropped and copied from the build; the others stay as
they were (their row count is checked). The search index is rebuilt only when the names,
states, head-office flags, départements or NAF codes it is made of changed (its own fingerprint,
``_recherche`` in the same table). A file whose free blocks (left by the tables dropped in
earlier publications) exceed ``MAX_FREE_SHARE`` of its size, a previous file without
fingerprints, or ``FCE_PUBLISH_REWRITE=1`` gets a whole new file instead. The fingerprints of
``_publication_tables`` are trusted: a table changed by hand in the published file, keeping its
row count, would be kept as it is until the build changes it (``FCE_PUBLISH_REWRITE=1`` then).
"""

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from pipelines.metadata import markdown_preview
from pipelines.search import INDEX_TABLES, build_search_index, index_inputs_sql, index_recipe
from sources.config import settings_from_env
from sources.faults import pause_point, remove_abandoned

log = logging.getLogger("fce.publish")

PUBLISH_GROUP = "publish"

PUBLISHED_TABLES: dict[str, str | None] = {
    # table: sort key (a lookup by key then reads few row groups)
    "fiche_etablissement": "siret",
    "fiche_entreprise": "siren",
    "etablissements_historique": "siret, date_debut",
    "interactions": "siret, date_intervention",
    "changements": "siret, type_changement",
    "signaux_coordination": "siret, date_acte_2",
    "activite_partielle": "siret, numero_convention, numero_avenant",
    "procedures_rupco": "siren, numero_dossier",
    "procedures_rupco_etablissements": "siret, numero_dossier",
    "accords_entreprise": "siret, date_signature",
    "effectifs_mensuels": "siret, mois",
    "contrats_apprentissage": "siret, date_debut",
    "salaries_detaches": "siren, siret, annee",
    "accidents_travail": "siret",
    "agrements_iae": "siret",
    "conventions_collectives": "siret, code_idcc",
    "organismes_formation": "siret, numero_declaration_activite",
    "egapro": "siren, annee",
    "marches_publics": "siret, date_notification_initiale, marche_uid",
    "procedures_collectives": "siren, date_jugement, annonce_id",
    "sources_fraicheur": "dataset",
    "rejets": "dataset, line",
    "naf": "code_naf",
    "categories_juridiques": "code_categorie_juridique",
    "tranches_effectifs": "code_tranche",
    "communes": "code_commune",
    "departements": "code_departement",
    "regions": "code_region",
}


FINGERPRINTS = "_publication_tables"
"""Table of the published file: one row per published table (and ``_recherche``, the search
index) with its rows, fingerprint and the publication that last wrote it."""
SEARCH_INDEX = "_recherche"
SEARCH_TABLES = frozenset(INDEX_TABLES)
MAX_FREE_SHARE = 0.3
"""Above this share of free blocks in the previous file, a publication writes a new file."""

TMP_PREFIX = ".publishing."
"""Name start of the copy being published, in the build folder, followed by the writer's pid."""


class PublishError(RuntimeError):
    """The build cannot be published; the previous publication is untouched."""


@dataclass(frozen=True)
class Published:
    path: Path
    row_counts: dict[str, int]
    size_bytes: int
    published_at: str
    rewritten: tuple[str, ...] = ()
    """Tables (and ``_recherche``) written from the build by this publication."""
    kept: tuple[str, ...] = ()
    """Tables (and ``_recherche``) kept as they were in the previous publication."""
    mode: str = "new file"
    """``new file`` or ``update`` (a copy of the previous file, changed tables replaced)."""


def table_fingerprint(con: duckdb.DuckDBPyConnection, database: str, table: str) -> str:
    """A hash of ``database.main.table``'s columns, comments, row count and rows.

    The rows' hashes are summed, so their order does not matter; duplicates count each time.
    """
    schema = con.execute(
        "select column_name, data_type, comment from duckdb_columns() "
        "where database_name = ? and schema_name = 'main' and table_name = ? "
        "order by column_index",
        [database, table],
    ).fetchall()
    comment = con.execute(
        "select comment from duckdb_tables() "
        "where database_name = ? and schema_name = 'main' and table_name = ?",
        [database, table],
    ).fetchone()
    return content_fingerprint(con, f"{database}.main.{table}", [schema, comment])


def content_fingerprint(con: duckdb.DuckDBPyConnection, relation: str, extra: object) -> str:
    """A hash of ``relation``'s rows (in any order) and of ``extra`` (its schema, its recipe)."""
    rows, total = con.execute(
        f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from {relation} as t"
    ).fetchone()
    text = json.dumps([extra, rows, str(total)], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def search_fingerprint(con: duckdb.DuckDBPyConnection, database: str) -> str:
    """A hash of what the search index is built from in ``database`` (and of how)."""
    sql = index_inputs_sql(f"{database}.main.")
    return content_fingerprint(con, f"({sql})", [sql, index_recipe()])


def _previous_fingerprints(published_db: Path) -> dict[str, tuple[str, int]] | None:
    """Table → (fingerprint, rows) of the published file, or None when it cannot be updated."""
    if os.environ.get("FCE_PUBLISH_REWRITE", "").strip() in ("1", "true", "yes"):
        log.info("FCE_PUBLISH_REWRITE is set: a new file is written")
        return None
    if not published_db.is_file():
        return None
    try:
        with duckdb.connect(str(published_db), read_only=True) as con:
            listed = con.execute("select table_name from duckdb_tables()").fetchall()
            if FINGERPRINTS not in {r[0] for r in listed}:
                log.info("%s has no %s: a new file is written", published_db, FINGERPRINTS)
                return None
            total, free = con.execute(
                "select total_blocks, free_blocks from pragma_database_size()"
            ).fetchone()
            if total and free / total > MAX_FREE_SHARE:
                log.info(
                    "%s has %d free blocks of %d: a new file is written", published_db, free, total
                )
                return None
            rows = con.execute(f"select table_name, fingerprint, rows from {FINGERPRINTS}")
            return {name: (fingerprint, count) for name, fingerprint, count in rows.fetchall()}
    except duckdb.Error as exc:
        log.warning("%s cannot be read (%s): a new file is written", published_db, exc)
        return None


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_duckdb(build_db: Path, published_db: Path, as_of: dt.date) -> Published:
    """Copy ``PUBLISHED_TABLES`` with their comments from ``build_db`` into ``published_db``.

    The copy is made in ``build_db``'s folder, which must be on the file system of
    ``published_db`` for the rename to be atomic (``os.replace`` refuses otherwise).
    """
    if not build_db.exists():
        raise PublishError(f"no build database at {build_db}: run the dbt assets first")
    published_db.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned(build_db.parent, f"{TMP_PREFIX}*")  # copies (and WAL) of killed runs
    tmp = build_db.with_name(f"{TMP_PREFIX}{os.getpid()}.{published_db.name}")
    tmp.unlink(missing_ok=True)
    published_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    previous = _previous_fingerprints(published_db)
    counts: dict[str, int] = {}
    rewritten: list[str] = []
    kept: list[str] = []
    try:
        if previous is not None:
            shutil.copyfile(published_db, tmp)
        with duckdb.connect(str(tmp)) as con:
            # the same bound as the dbt build (profiles.yml): beyond it, DuckDB spills to disk
            limit = os.environ.get("FCE_DUCKDB_MEMORY_LIMIT", "6GB")
            spill = build_db.parent / "spill"
            spill.mkdir(exist_ok=True)
            con.execute(f"set memory_limit = {_quote(limit)}")
            con.execute(f"set temp_directory = {_quote(str(spill))}")
            con.execute(f"attach {_quote(str(build_db))} as build (read_only)")
            present = {
                row[0]
                for row in con.execute(
                    "select table_name from duckdb_tables() where database_name = 'build' "
                    "and schema_name = 'main'"
                ).fetchall()
            }
            missing = [t for t in PUBLISHED_TABLES if t not in present]
            if missing:
                raise PublishError(
                    f"{build_db} lacks table(s) {missing}: the dbt build did not complete"
                )
            fingerprints = {t: table_fingerprint(con, "build", t) for t in PUBLISHED_TABLES}
            fingerprints[SEARCH_INDEX] = search_fingerprint(con, "build")
            in_file = {
                r[0]
                for r in con.execute(
                    "select table_name from duckdb_tables() "
                    "where database_name = current_database()"
                ).fetchall()
            }
            for table in [*PUBLISHED_TABLES, SEARCH_INDEX]:
                before = (previous or {}).get(table)
                there = table in in_file or (table == SEARCH_INDEX and in_file >= SEARCH_TABLES)
                if before is not None and there and before[0] == fingerprints[table]:
                    kept.append(table)
                else:
                    rewritten.append(table)
            # dropped first, so that their blocks can be used again; with them, any table of
            # the previous file that is not published any more
            known = {*PUBLISHED_TABLES, *SEARCH_TABLES, "_publication", FINGERPRINTS}
            dropped = [t for t in rewritten if t in PUBLISHED_TABLES]
            for table in [*dropped, *sorted(in_file - known)]:
                con.execute(f"drop table if exists main.{table}")
            if previous is not None:
                con.execute("checkpoint")
            for table in kept:
                if table in PUBLISHED_TABLES:
                    counts[table] = con.execute(f"select count(*) from main.{table}").fetchone()[0]
                    if counts[table] != previous[table][1]:
                        raise PublishError(
                            f"{published_db}: {table} has {counts[table]} rows, its fingerprint "
                            f"says {previous[table][1]}: the file was changed outside the "
                            "publication; publish again with FCE_PUBLISH_REWRITE=1"
                        )
            for table in rewritten:
                if table not in PUBLISHED_TABLES:
                    continue
                order = PUBLISHED_TABLES[table]
                order_by = f" order by {order}" if order else ""
                con.execute(
                    f"create table main.{table} as select * from build.main.{table}{order_by}"
                )
                counts[table] = con.execute(f"select count(*) from main.{table}").fetchone()[0]
                expected = con.execute(f"select count(*) from build.main.{table}").fetchone()[0]
                if counts[table] != expected:
                    raise PublishError(f"{table}: copied {counts[table]} rows of {expected}")
            _copy_comments(con, [t for t in rewritten if t in PUBLISHED_TABLES])
            con.execute("drop table if exists main._publication")
            con.execute(
                "create table main._publication as select "
                f"cast({_quote(published_at)} as timestamp) as published_at, "
                f"cast({_quote(as_of.isoformat())} as date) as as_of"
            )
            con.execute("detach build")
            if SEARCH_INDEX in rewritten:
                counts.update(build_search_index(con))  # the tables of `fce search`
            else:
                for table in SEARCH_TABLES:
                    counts[table] = con.execute(f"select count(*) from main.{table}").fetchone()[0]
            _write_fingerprints(con, fingerprints, counts, previous, kept, published_at)
            con.execute("checkpoint")
        with duckdb.connect(str(tmp), read_only=True) as check:
            for table, count in counts.items():
                seen = check.execute(f"select count(*) from {table}").fetchone()[0]
                if seen != count:
                    raise PublishError(f"{tmp}: {table} reads {seen} rows, wrote {count}")
        _fsync(tmp)
        pause_point("publish")
        os.replace(tmp, published_db)
        _fsync(published_db.parent)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    size = published_db.stat().st_size
    mode = "update" if previous is not None else "new file"
    log.info(
        "published %s (%s, %d bytes); written again: %s; kept: %s; rows: %s",
        published_db,
        mode,
        size,
        ", ".join(rewritten) or "none",
        ", ".join(kept) or "none",
        ", ".join(f"{t} {n}" for t, n in counts.items()),
    )
    return Published(published_db, counts, size, published_at, tuple(rewritten), tuple(kept), mode)


def _write_fingerprints(
    con: duckdb.DuckDBPyConnection,
    fingerprints: dict[str, str],
    counts: dict[str, int],
    previous: dict[str, tuple[str, int]] | None,
    kept: list[str],
    published_at: str,
) -> None:
    """Replace ``_publication_tables``: what each table holds, and when it was last written."""
    written_before: dict[str, object] = {}
    if previous is not None and kept:
        written_before = dict(
            con.execute(f"select table_name, written_at from main.{FINGERPRINTS}").fetchall()
        )
    rows = []
    for table, fingerprint in fingerprints.items():
        rows_of = counts.get(table, counts.get("recherche_etablissements", 0))
        written = written_before.get(table) if table in kept else None
        rows.append((table, rows_of, fingerprint, written or published_at))
    con.execute(f"drop table if exists main.{FINGERPRINTS}")
    con.execute(
        f"create table main.{FINGERPRINTS} (table_name varchar primary key, rows bigint, "
        "fingerprint varchar, written_at timestamp)"
    )
    con.executemany(f"insert into main.{FINGERPRINTS} values (?, ?, ?, ?)", rows)
    con.execute(
        f"comment on table main.{FINGERPRINTS} is 'One row per published table (and "
        "_recherche, the search index): its rows, a fingerprint of its content, and the "
        "publication that last wrote it (a table whose content did not change is kept as it "
        "was, not written again).'"
    )


def _copy_comments(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """Carry the dbt descriptions (persisted as comments in the build) to ``tables``."""
    if not tables:
        return
    names = ", ".join(_quote(t) for t in tables)
    described = con.execute(
        "select table_name, comment from duckdb_tables() where database_name = 'build' "
        f"and schema_name = 'main' and comment is not null and table_name in ({names})"
    ).fetchall()
    for table, comment in described:
        con.execute(f"comment on table main.{table} is {_quote(comment)}")
    columns = con.execute(
        "select table_name, column_name, comment from duckdb_columns() "
        "where database_name = 'build' and schema_name = 'main' and comment is not null "
        f"and table_name in ({names})"
    ).fetchall()
    for table, column, comment in columns:
        con.execute(f'comment on column main.{table}."{column}" is {_quote(comment)}')


@dg.asset(
    key=dg.AssetKey(["published", "fce_duckdb"]),
    deps=[dg.AssetKey([t]) for t in PUBLISHED_TABLES],
    group_name=PUBLISH_GROUP,
    kinds={"duckdb"},
    description="The analysts' database $FCE_WAREHOUSE/fce.duckdb: the marts and nomenclatures, "
    "copied from the build once every dbt test passed, swapped in by an atomic rename.",
)
def published_duckdb(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = settings_from_env()
    try:
        result = publish_duckdb(settings.build_db, settings.published_db, settings.as_of)
    except PublishError as exc:
        raise dg.Failure(str(exc), allow_retries=False) from exc
    with duckdb.connect(str(result.path), read_only=True) as con:
        cursor = con.execute(
            "select siret, denomination, etat_administratif, code_naf, libelle_commune "
            "from fiche_etablissement limit 5"
        )
        columns = [d[0] for d in cursor.description]
        preview = pl.DataFrame(cursor.fetchall(), schema=columns, orient="row")
    context.log.info("published %s", result.path)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "size_bytes": dg.MetadataValue.int(result.size_bytes),
            "published_at": result.published_at,
            "as_of": settings.as_of.isoformat(),
            "mode": result.mode,
            "tables_written": ", ".join(result.rewritten) or "none",
            "tables_kept": ", ".join(result.kept) or "none",
            **{f"rows_{t}": dg.MetadataValue.int(n) for t, n in result.row_counts.items()},
            "dagster/row_count": dg.MetadataValue.int(result.row_counts["fiche_etablissement"]),
            "preview": dg.MetadataValue.md(markdown_preview(preview)),
        }
    )
