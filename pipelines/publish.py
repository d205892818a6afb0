"""Publish: copy the checked marts from the build database to the analysts' file, atomically.

The published file is written under a temporary name in the build folder (on the warehouse's
file system, where analysts do not look), checked (it opens, every table has the row count of
the build), flushed to disk, then renamed over the previous one. A reader that opened the
previous file keeps reading it; a new reader gets the new one; a run that fails or is killed
before the rename leaves the previous file as it was. A copy left by a killed run is removed by
the next publication.
"""

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from pipelines.metadata import markdown_preview
from pipelines.search import build_search_index
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
    counts: dict[str, int] = {}
    try:
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
            for table, order in PUBLISHED_TABLES.items():
                order_by = f" order by {order}" if order else ""
                con.execute(
                    f"create table main.{table} as select * from build.main.{table}{order_by}"
                )
                counts[table] = con.execute(f"select count(*) from main.{table}").fetchone()[0]
                expected = con.execute(f"select count(*) from build.main.{table}").fetchone()[0]
                if counts[table] != expected:
                    raise PublishError(f"{table}: copied {counts[table]} rows of {expected}")
            _copy_comments(con)
            con.execute(
                "create table main._publication as select "
                f"cast({_quote(published_at)} as timestamp) as published_at, "
                f"cast({_quote(as_of.isoformat())} as date) as as_of"
            )
            con.execute("detach build")
            counts.update(build_search_index(con))  # the tables of `fce search`
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
    log.info(
        "published %s (%d bytes): %s",
        published_db,
        size,
        ", ".join(f"{t} {n}" for t, n in counts.items()),
    )
    return Published(published_db, counts, size, published_at)


def _copy_comments(con: duckdb.DuckDBPyConnection) -> None:
    """Carry the dbt descriptions (persisted as comments in the build) to the published tables."""
    names = ", ".join(_quote(t) for t in PUBLISHED_TABLES)
    tables = con.execute(
        "select table_name, comment from duckdb_tables() where database_name = 'build' "
        f"and schema_name = 'main' and comment is not null and table_name in ({names})"
    ).fetchall()
    for table, comment in tables:
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
            **{f"rows_{t}": dg.MetadataValue.int(n) for t, n in result.row_counts.items()},
            "dagster/row_count": dg.MetadataValue.int(result.row_counts["fiche_etablissement"]),
            "preview": dg.MetadataValue.md(markdown_preview(preview)),
        }
    )
