"""PostgreSQL export: the portal's schema ``fce`` holds one whole snapshot, old or new.

These tests run against a real PostgreSQL server, each in a database of its own that it drops
at the end. The server is reached through ``FCE_TEST_POSTGRES_DSN`` (default: the local socket,
database ``test``).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from pipelines import postgres
from pipelines.exports import export_parquet
from pipelines.publish import PUBLISHED_TABLES

SERVER_DSN_VARIABLE = "FCE_TEST_POSTGRES_DSN"
SNAPSHOT_A = "20261201T100000Z"
SNAPSHOT_B = "20270101T100000Z"

FICHE_ETABLISSEMENT = r"""
create table fiche_etablissement as select
    lpad(cast(i as varchar), 14, '0') as siret,
    lpad(cast(i // 2 as varchar), 9, '0') as siren,
    case when i % 3 = 0 then '75' else '13' end as departement,
    '62.01Z' as code_naf,
    case when i % 5 = 0 then 'F' else 'A' end as etat_administratif,
    case i when 0 then 'a "quoted", comma' when 1 then '' when 2 then null when 3 then '\.'
        when 4 then 'line one
line two \ backslash' else 'nom ' || i end as denomination,
    date '2020-01-01' + cast(i as integer) as date_creation,
    timestamp '2026-12-01 10:00:00' + to_seconds(i) as updated_at,
    cast(i as integer) as effectif,
    cast(i as double) / 4 as score,
    i % 2 = 0 as siege,
    case i % 4 when 0 then null when 1 then [] else ['a"b', null, 'c,d', '{x}\'] end as liens,
    cast(i as decimal(10, 2)) as montant,
    i
from range({rows}) t(i)
"""


def make_published(path: Path, published_at: str, rows: int) -> None:
    """A small published file with every table of the publication and the types of the marts."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        for table, order in PUBLISHED_TABLES.items():
            if table == "fiche_etablissement":
                con.execute(FICHE_ETABLISSEMENT.replace("{rows}", str(rows)))
                continue
            keys = [k.strip() for k in (order or "id").split(",")]
            cols = ", ".join(f"cast(i as varchar) as {k}" for k in keys)
            con.execute(f"create table {table} as select {cols}, i from range({rows}) t(i)")
        con.execute(
            f"create table _publication as select timestamp '{published_at}' as published_at, "
            "date '2026-12-01' as as_of"
        )


def snapshot(tmp_path: Path, published_at: str, rows: int) -> Path:
    """Publish and export a snapshot; the folder ``exports/current`` then points at."""
    db = tmp_path / "fce.duckdb"
    make_published(db, published_at, rows)
    return export_parquet(db, tmp_path / "exports").folder


@pytest.fixture
def pg() -> Iterator[str]:
    """The DSN of a fresh database on the test server, dropped afterwards."""
    import os

    server = os.environ.get(SERVER_DSN_VARIABLE) or "postgresql:///test"
    name = f"fce_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(server, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {server} ({exc}). Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, "
            f"or point {SERVER_DSN_VARIABLE} at a server where this user may create databases."
        )
    with admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        try:
            yield make_conninfo(server, dbname=name)
        finally:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


def scalar(dsn: str, query: str, params: list | None = None) -> object:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchone()[0]


def schemas(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("select nspname from pg_namespace where nspname like 'fce%'")
        return {r[0] for r in rows}


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` if it never does."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.05)


def test_export_creates_schema_fce_with_tables_counts_types_and_indexes(tmp_path, pg):
    folder = snapshot(tmp_path, "2026-12-01 10:00:00", rows=50)
    result = postgres.export_postgres(tmp_path / "exports" / "current", pg)
    assert (result.schema, result.snapshot, result.loaded) == ("fce", SNAPSHOT_A, True)
    assert result.row_counts == {t: 50 for t in PUBLISHED_TABLES}
    assert schemas(pg) == {"fce"}
    with psycopg.connect(pg) as conn:
        tables = {
            r[0] for r in conn.execute("select tablename from pg_tables where schemaname='fce'")
        }
        assert tables == {*PUBLISHED_TABLES, "_publication"}
        for table in PUBLISHED_TABLES:
            count = conn.execute(
                sql.SQL("select count(*) from fce.{}").format(sql.Identifier(table))
            )
            assert count.fetchone()[0] == 50, table
        assert conn.execute("select snapshot, as_of from fce._publication").fetchall() == [
            (SNAPSHOT_A, dt.date(2026, 12, 1))
        ]
        types = dict(
            conn.execute(
                "select attname, format_type(atttypid, atttypmod) from pg_attribute "
                "where attrelid = 'fce.fiche_etablissement'::regclass and attnum > 0"
            ).fetchall()
        )
        assert types == {
            "siret": "text",
            "siren": "text",
            "departement": "text",
            "code_naf": "text",
            "etat_administratif": "text",
            "denomination": "text",
            "date_creation": "date",
            "updated_at": "timestamp without time zone",
            "effectif": "integer",
            "score": "double precision",
            "siege": "boolean",
            "liens": "text[]",
            "montant": "text",
            "i": "bigint",
        }
        indexes = dict(
            conn.execute(
                "select indexname, indexdef like 'CREATE UNIQUE%%' from pg_indexes "
                "where schemaname = 'fce'"
            ).fetchall()
        )
        assert indexes == {
            "fiche_etablissement_siret_idx": True,
            "fiche_etablissement_siren_idx": False,
            "fiche_etablissement_departement_idx": False,
            "fiche_etablissement_code_naf_idx": False,
            "fiche_etablissement_etat_administratif_idx": False,
            "fiche_entreprise_siren_idx": True,
        }
        comment = conn.execute("select obj_description('fce.fiche_entreprise'::regclass)")
        assert SNAPSHOT_A in comment.fetchone()[0]
        loaded = conn.execute(
            "select siret, siren, departement, etat_administratif, denomination, date_creation, "
            "updated_at, effectif, score, siege, liens, montant, i "
            "from fce.fiche_etablissement order by siret"
        ).fetchall()
    expected = pl.read_parquet(folder / "fiche_etablissement.parquet").sort("siret")
    columns = ["siret", "siren", "departement", "etat_administratif", "denomination"]
    columns += ["date_creation", "updated_at", "effectif", "score", "siege", "liens"]
    assert [row[:11] for row in loaded] == expected.select(columns).rows()
    assert [row[11] for row in loaded] == [f"{i}.00" for i in range(50)]
    assert [row[12] for row in loaded] == list(range(50))
    assert loaded[0][4] == 'a "quoted", comma'
    assert loaded[1][4] == ""
    assert loaded[2][4] is None
    assert loaded[3][4] == "\\."
    assert loaded[4][4] == "line one\nline two \\ backslash"
    assert (loaded[0][10], loaded[1][10]) == (None, [])
    assert loaded[2][10] == ['a"b', None, "c,d", "{x}\\"]


def test_newer_snapshot_swaps_after_open_readers_end(tmp_path, pg):
    snapshot(tmp_path, "2026-12-01 10:00:00", rows=50)
    postgres.export_postgres(tmp_path / "exports" / "current", pg)
    snapshot(tmp_path, "2027-01-01 10:00:00", rows=60)
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = postgres.export_postgres(tmp_path / "exports" / "current", pg)
        except BaseException as exc:
            outcome["error"] = exc

    with psycopg.connect(pg) as reader, psycopg.connect(pg, autocommit=True) as watcher:
        reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        count = "select count(*) from fce.fiche_etablissement"
        assert reader.execute(count).fetchone()[0] == 50
        assert reader.execute("select snapshot from fce._publication").fetchone()[0] == SNAPSHOT_A
        export = threading.Thread(target=run)
        export.start()

        def swap_waits() -> bool:
            if not export.is_alive():
                pytest.fail(f"the export ended while a reader held the old tables: {outcome}")
            waiting = watcher.execute(
                "select count(*) from pg_stat_activity where application_name = %s "
                "and datname = current_database() and wait_event_type = 'Lock'",
                [postgres.APPLICATION_NAME],
            )
            return waiting.fetchone()[0] > 0

        wait_for(swap_waits, "the swap waiting for the reader's lock")
        assert "fce_load_20270101t100000z" in schemas(pg)
        assert reader.execute(count).fetchone()[0] == 50
        assert reader.execute("select count(*) from fce.fiche_entreprise").fetchone()[0] == 50
        assert reader.execute("select snapshot from fce._publication").fetchone()[0] == SNAPSHOT_A
        assert scalar(pg, "select snapshot from fce._publication") == SNAPSHOT_A
        reader.commit()
        export.join(timeout=120)
        assert not export.is_alive()
        assert "error" not in outcome, outcome
        assert reader.execute(count).fetchone()[0] == 60
        reader.commit()
    assert outcome["result"].snapshot == SNAPSHOT_B
    assert scalar(pg, "select snapshot from fce._publication") == SNAPSHOT_B
    assert scalar(pg, "select count(*) from fce.fiche_entreprise") == 60
    assert schemas(pg) == {"fce"}


def test_export_failing_half_way_leaves_the_previous_snapshot(tmp_path, pg, monkeypatch):
    snapshot(tmp_path, "2026-12-01 10:00:00", rows=50)
    postgres.export_postgres(tmp_path / "exports" / "current", pg)
    snapshot(tmp_path, "2027-01-01 10:00:00", rows=60)
    real = postgres.copy_table
    calls: list[str] = []

    def failing(conn, schema, table, path, types):
        calls.append(table)
        if len(calls) == 3:
            raise OSError("connection reset while copying")
        return real(conn, schema, table, path, types)

    monkeypatch.setattr(postgres, "copy_table", failing)
    with pytest.raises(OSError, match="connection reset"):
        postgres.export_postgres(tmp_path / "exports" / "current", pg)
    assert len(calls) == 3
    assert schemas(pg) == {"fce"}
    assert scalar(pg, "select snapshot from fce._publication") == SNAPSHOT_A
    assert scalar(pg, "select count(*) from fce.fiche_etablissement") == 50
    monkeypatch.setattr(postgres, "copy_table", real)
    assert postgres.export_postgres(tmp_path / "exports" / "current", pg).snapshot == SNAPSHOT_B
    assert scalar(pg, "select count(*) from fce.fiche_etablissement") == 60


def test_a_second_export_refuses_while_one_runs(tmp_path, pg):
    snapshot(tmp_path, "2026-12-01 10:00:00", rows=5)
    with psycopg.connect(pg, autocommit=True) as other:
        other.execute("select pg_advisory_lock(%s, %s)", postgres.lock_keys("fce"))
        with pytest.raises(postgres.PgExportError, match="another export"):
            postgres.export_postgres(tmp_path / "exports" / "current", pg)
    assert schemas(pg) == set()


def test_leftovers_of_a_killed_run_are_dropped_and_same_snapshot_is_not_reloaded(tmp_path, pg):
    snapshot(tmp_path, "2026-12-01 10:00:00", rows=5)
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute("create schema fce_load_20251101t100000z")
        conn.execute("create table fce_load_20251101t100000z.fiche_etablissement (siret text)")
        conn.execute("create schema fce_old_20251001t100000z")
    first = postgres.export_postgres(tmp_path / "exports" / "current", pg)
    assert first.loaded
    assert schemas(pg) == {"fce"}
    again = postgres.export_postgres(tmp_path / "exports" / "current", pg)
    assert (again.loaded, again.snapshot, again.row_counts) == (False, SNAPSHOT_A, first.row_counts)
    assert scalar(pg, "select count(*) from fce._publication") == 1


def test_unknown_types_load_as_text():
    assert postgres.pg_type("VARCHAR[]") == "text[]"
    assert postgres.pg_type("DOUBLE") == "double precision"
    assert postgres.pg_type("DECIMAL(10,2)") == "text"
    assert postgres.pg_type("STRUCT(a INTEGER)") == "text"


def _materialize(monkeypatch, tmp_path: Path) -> dict:
    monkeypatch.setenv("FCE_WAREHOUSE", str(tmp_path))
    result = dg.materialize([postgres.postgres_export])
    assert result.success
    [event] = result.get_asset_materialization_events()
    assert event.asset_key == dg.AssetKey(["published", "postgres"])
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_asset_without_dsn_does_nothing_and_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv(postgres.DSN_VARIABLE, raising=False)
    metadata = _materialize(monkeypatch, tmp_path)
    assert metadata == {"enabled": False, "reason": "FCE_POSTGRES_DSN is not set"}


def test_asset_exports_the_current_snapshot(tmp_path, pg, monkeypatch):
    snapshot(tmp_path, "2026-12-01 10:00:00", rows=7)
    monkeypatch.setenv(postgres.DSN_VARIABLE, pg)
    metadata = _materialize(monkeypatch, tmp_path)
    assert metadata["schema"] == "fce"
    assert metadata["snapshot"] == SNAPSHOT_A
    assert metadata["rows_fiche_etablissement"] == 7
    assert metadata["seconds"] >= 0
    assert scalar(pg, "select snapshot from fce._publication") == SNAPSHOT_A
