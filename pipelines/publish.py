"""Publish: the checked marts, from dbt's marts file to the analysts' file, atomically.

dbt writes the marts and the nomenclatures they publish into a file of their own,
``build/marts.duckdb`` (dbt_project/profiles.yml), each table sorted by its key
(``PUBLISHED_TABLES``; every mart's SQL ends with that ``order by``). Once every dbt test passed,
the publication:

1. opens the marts file, checks that every published table is there, and builds the search
   index of ``fce search`` in it when what the index is made of changed (the index's
   fingerprint is kept beside it, ``_recherche_empreinte``): an unchanged index is not built
   again;
2. copies the marts file as a file under a temporary name in the build folder (on the
   warehouse's file system, where analysts do not look) and drops from the copy anything that
   is not published. Copying the tables one by one would compress every row again (about 9 s
   for the 4.3 M rows of fiche_etablissement at scale 0.1); copying the file takes a fraction
   of a second;
3. adds ``_publication`` (when, as of which date) and ``_publication_tables``: for each table
   (and ``_recherche``, the search index) its rows, a fingerprint of its content
   (``table_fingerprint``) and the publication that last changed it. The exports compare these
   fingerprints to link the files that did not change;
4. checks the copy (it opens, every table has the row count of the marts file), flushes it to
   disk and renames it over the previous one.

A reader that opened the previous file keeps reading it; a new reader gets the new one; a run
that fails or is killed before the rename leaves the previous file as it was. A copy left by a
killed run is removed by the next publication.

DuckDB reuses the blocks of a dropped table but does not give them back to the file system, and
dbt drops the previous version of each table it builds: measured at scale 0.1, a marts file is
about 40 % free blocks once its tables have been built twice. When more than
``MAX_FREE_SHARE`` of it is free, or with ``FCE_PUBLISH_REWRITE=1``, the publication writes a
compact new file instead, table by table, each sorted by its key (mode ``new file``, about
30 s at scale 0.1 instead of 2). The published file of a ``copy`` therefore carries up to that
share of free space.
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
index) with its rows, fingerprint and the publication that last changed it."""
SEARCH_INDEX = "_recherche"
SEARCH_TABLES = frozenset(INDEX_TABLES)
SEARCH_FINGERPRINT = "_recherche_empreinte"
"""Table of the marts file: the fingerprint of the search index built there."""
MAX_FREE_SHARE = 0.5
"""Above this share of free blocks in the marts file, a publication writes a compact new file."""

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
    changed: tuple[str, ...] = ()
    """Tables (and ``_recherche``) whose content differs from the previous publication's."""
    unchanged: tuple[str, ...] = ()
    """Tables (and ``_recherche``) with the content of the previous publication."""
    mode: str = "copy"
    """``copy`` (of the marts file) or ``new file`` (compact, written table by table)."""
    free_share: float = 0.0
    """Share of free blocks in the marts file when it was published."""


@dataclass(frozen=True)
class _Marts:
    """What the publication read in the marts file."""

    fingerprints: dict[str, str]
    counts: dict[str, int]
    free_share: float


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


def _previous_fingerprints(published_db: Path) -> dict[str, tuple[str, object]]:
    """Table → (fingerprint, written_at) of the published file; empty if it has none."""
    if not published_db.is_file():
        return {}
    try:
        with duckdb.connect(str(published_db), read_only=True) as con:
            listed = {
                r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()
            }
            if FINGERPRINTS not in listed:
                return {}
            rows = con.execute(f"select table_name, fingerprint, written_at from {FINGERPRINTS}")
            return {name: (fp, written) for name, fp, written in rows.fetchall()}
    except duckdb.Error as exc:
        log.warning("%s cannot be read (%s): every table counts as changed", published_db, exc)
        return {}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _bound_memory(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """The same bound as the dbt build (profiles.yml): beyond it, DuckDB spills to disk."""
    spill = folder / "spill"
    spill.mkdir(exist_ok=True)
    con.execute(f"set memory_limit = {_quote(os.environ.get('FCE_DUCKDB_MEMORY_LIMIT', '6GB'))}")
    con.execute(f"set temp_directory = {_quote(str(spill))}")


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() "
            "where database_name = ? and schema_name = 'main'",
            [database],
        ).fetchall()
    }


def _prepare_marts(marts_db: Path) -> _Marts:
    """Check the marts file, bring its search index up to date, and read what is published."""
    with duckdb.connect(str(marts_db)) as con:
        _bound_memory(con, marts_db.parent)
        database = con.execute("select current_database()").fetchone()[0]
        present = _tables(con, database)
        missing = [t for t in PUBLISHED_TABLES if t not in present]
        if missing:
            raise PublishError(
                f"{marts_db} lacks table(s) {missing}: the dbt build did not complete; "
                "run the warehouse assets again (fce run)"
            )
        fingerprints = {t: table_fingerprint(con, database, t) for t in PUBLISHED_TABLES}
        fingerprints[SEARCH_INDEX] = search_fingerprint(con, database)
        built = None
        if SEARCH_FINGERPRINT in present:
            built = con.execute(f"select fingerprint from main.{SEARCH_FINGERPRINT}").fetchone()
        if built is None or built[0] != fingerprints[SEARCH_INDEX] or not present >= SEARCH_TABLES:
            build_search_index(con)  # the tables of `fce search`
            con.execute(
                f"create or replace table main.{SEARCH_FINGERPRINT} as "
                f"select {_quote(fingerprints[SEARCH_INDEX])} as fingerprint"
            )
        else:
            log.info("search index of %s unchanged: not built again", marts_db)
        counts = {
            t: con.execute(f"select count(*) from main.{t}").fetchone()[0]
            for t in [*PUBLISHED_TABLES, *sorted(SEARCH_TABLES)]
        }
        con.execute("checkpoint")
        total, free = con.execute(
            "select total_blocks, free_blocks from pragma_database_size()"
        ).fetchone()
    return _Marts(fingerprints, counts, free / total if total else 0.0)


def _copy_file(marts_db: Path, tmp: Path) -> None:
    """The marts file as a file; what is not published is dropped from the copy."""
    shutil.copyfile(marts_db, tmp)
    with duckdb.connect(str(tmp)) as con:
        database = con.execute("select current_database()").fetchone()[0]
        for (view,) in con.execute(
            "select view_name from duckdb_views() "
            "where database_name = ? and schema_name = 'main' and not internal",
            [database],
        ).fetchall():
            con.execute(f'drop view main."{view}"')
        for table in sorted(_tables(con, database) - {*PUBLISHED_TABLES, *SEARCH_TABLES}):
            con.execute(f'drop table main."{table}"')
        con.execute("checkpoint")


def _write_tables(marts_db: Path, tmp: Path) -> None:
    """A compact new file: the published tables written one by one, each sorted by its key."""
    with duckdb.connect(str(tmp)) as con:
        _bound_memory(con, marts_db.parent)
        con.execute(f"attach {_quote(str(marts_db))} as marts (read_only)")
        for table, order in PUBLISHED_TABLES.items():
            order_by = f" order by {order}" if order else ""
            con.execute(f"create table main.{table} as select * from marts.main.{table}{order_by}")
        for table in sorted(SEARCH_TABLES):  # stored in their order, which a scan keeps
            con.execute(f"create table main.{table} as select * from marts.main.{table}")
        _copy_comments(con, [*PUBLISHED_TABLES, *sorted(SEARCH_TABLES)])
        con.execute("detach marts")
        con.execute("checkpoint")


def publish_duckdb(marts_db: Path, published_db: Path, as_of: dt.date) -> Published:
    """Publish ``marts_db`` (dbt's marts file) as ``published_db``.

    The copy is made in ``marts_db``'s folder, which must be on the file system of
    ``published_db`` for the rename to be atomic (``os.replace`` refuses otherwise).
    """
    if not marts_db.exists():
        raise PublishError(f"no marts database at {marts_db}: run the dbt assets first")
    published_db.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned(marts_db.parent, f"{TMP_PREFIX}*")  # copies (and WAL) of killed runs
    tmp = marts_db.with_name(f"{TMP_PREFIX}{os.getpid()}.{published_db.name}")
    tmp.unlink(missing_ok=True)
    published_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    previous = _previous_fingerprints(published_db)
    try:
        marts = _prepare_marts(marts_db)
        rewrite = os.environ.get("FCE_PUBLISH_REWRITE", "").strip() in ("1", "true", "yes")
        if rewrite or marts.free_share > MAX_FREE_SHARE:
            mode = "new file"
            log.info(
                "%s: %.0f %% free blocks%s: a compact file is written, table by table",
                marts_db,
                100 * marts.free_share,
                ", FCE_PUBLISH_REWRITE is set" if rewrite else "",
            )
            _write_tables(marts_db, tmp)
        else:
            mode = "copy"
            _copy_file(marts_db, tmp)
        changed = [t for t, fp in marts.fingerprints.items() if previous.get(t, (None,))[0] != fp]
        unchanged = [t for t in marts.fingerprints if t not in changed]
        with duckdb.connect(str(tmp)) as con:
            con.execute("drop table if exists main._publication")
            con.execute(
                "create table main._publication as select "
                f"cast({_quote(published_at)} as timestamp) as published_at, "
                f"cast({_quote(as_of.isoformat())} as date) as as_of"
            )
            _write_fingerprints(con, marts, previous, published_at)
            con.execute("checkpoint")
        with duckdb.connect(str(tmp), read_only=True) as check:
            for table, count in marts.counts.items():
                seen = check.execute(f"select count(*) from {table}").fetchone()[0]
                if seen != count:
                    raise PublishError(f"{tmp}: {table} reads {seen} rows, the marts {count}")
        _fsync(tmp)
        pause_point("publish")
        os.replace(tmp, published_db)
        _fsync(published_db.parent)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    size = published_db.stat().st_size
    log.info(
        "published %s (%s, %d bytes, %.0f %% free blocks in the marts file); changed: %s; "
        "unchanged: %s; rows: %s",
        published_db,
        mode,
        size,
        100 * marts.free_share,
        ", ".join(changed) or "none",
        ", ".join(unchanged) or "none",
        ", ".join(f"{t} {n}" for t, n in marts.counts.items()),
    )
    return Published(
        published_db,
        marts.counts,
        size,
        published_at,
        tuple(changed),
        tuple(unchanged),
        mode,
        round(marts.free_share, 4),
    )


def _write_fingerprints(
    con: duckdb.DuckDBPyConnection,
    marts: _Marts,
    previous: dict[str, tuple[str, object]],
    published_at: str,
) -> None:
    """Replace ``_publication_tables``: what each table holds, and when it last changed."""
    rows = []
    for table, fingerprint in marts.fingerprints.items():
        rows_of = marts.counts.get(table, marts.counts.get("recherche_etablissements", 0))
        before, written = previous.get(table, (None, None))
        rows.append((table, rows_of, fingerprint, written if before == fingerprint else None))
    con.execute(f"drop table if exists main.{FINGERPRINTS}")
    con.execute(
        f"create table main.{FINGERPRINTS} (table_name varchar primary key, rows bigint, "
        "fingerprint varchar, written_at timestamp)"
    )
    con.executemany(
        f"insert into main.{FINGERPRINTS} values (?, ?, ?, coalesce(?, ?::timestamp))",
        [(*row, published_at) for row in rows],
    )
    con.execute(
        f"comment on table main.{FINGERPRINTS} is 'One row per published table (and "
        "_recherche, the search index): its rows, a fingerprint of its content, and the "
        "publication that last changed it (written_at).'"
    )


def _copy_comments(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """Carry the dbt descriptions (persisted as comments in the marts file, attached as
    ``marts``) to ``tables``."""
    if not tables:
        return
    names = ", ".join(_quote(t) for t in tables)
    described = con.execute(
        "select table_name, comment from duckdb_tables() where database_name = 'marts' "
        f"and schema_name = 'main' and comment is not null and table_name in ({names})"
    ).fetchall()
    for table, comment in described:
        con.execute(f"comment on table main.{table} is {_quote(comment)}")
    columns = con.execute(
        "select table_name, column_name, comment from duckdb_columns() "
        "where database_name = 'marts' and schema_name = 'main' and comment is not null "
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
    "copied as a file from dbt's marts file once every dbt test passed, with the search index, "
    "swapped in by an atomic rename.",
)
def published_duckdb(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = settings_from_env()
    try:
        result = publish_duckdb(settings.marts_db, settings.published_db, settings.as_of)
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
            "marts_free_share": dg.MetadataValue.float(result.free_share),
            "tables_changed": ", ".join(result.changed) or "none",
            "tables_unchanged": ", ".join(result.unchanged) or "none",
            **{f"rows_{t}": dg.MetadataValue.int(n) for t, n in result.row_counts.items()},
            "dagster/row_count": dg.MetadataValue.int(result.row_counts["fiche_etablissement"]),
            "preview": dg.MetadataValue.md(markdown_preview(preview)),
        }
    )
