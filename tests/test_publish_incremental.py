"""Publishing dbt's marts file as a file, and exporting only what changed: the publication says
which tables changed since the previous one, builds the search index again only when its names
changed, writes a compact file when the marts file holds too many free blocks, and unchanged
export files are linked; what is published reads the same whichever way it was written."""

import datetime as dt
import os
import re
from pathlib import Path

import duckdb
import pytest

from pipelines import exports
from pipelines.publish import (
    FINGERPRINTS,
    PUBLISHED_TABLES,
    SEARCH_INDEX,
    publish_duckdb,
)
from pipelines.search import INDEX_TABLES, search
from tests.test_search import ETABLISSEMENTS, SIGLES, write_fiches

AS_OF = dt.date(2026, 12, 1)
ALL = (*PUBLISHED_TABLES, SEARCH_INDEX)
POSTAL_CODE_INTERNAL = exports.Access(
    internal_tables=frozenset({"interactions"}),
    internal_columns={"fiche_etablissement": frozenset({"code_postal"})},
)
"""What the public does not see in these tests: one table, one column of the fiche."""


@pytest.fixture
def build(tmp_path):
    """A marts file with both fiches of the search tests and every other table, small."""
    path = tmp_path / "build" / "marts.duckdb"
    path.parent.mkdir()
    with duckdb.connect(str(path)) as con:
        write_fiches(con, ETABLISSEMENTS, SIGLES)
        for table, order in PUBLISHED_TABLES.items():
            if table in ("fiche_etablissement", "fiche_entreprise"):
                continue
            keys = [k.strip() for k in (order or "id").split(",")]
            columns = ", ".join(f"cast(i as varchar) as {k}" for k in keys)
            con.execute(f"create table {table} as select {columns}, i from range(3) t(i)")
            con.execute(f"comment on table {table} is 'the table {table}'")
        con.execute("comment on column interactions.siret is 'SIRET of the establishment'")
    return path


def _contents(db) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        return {
            t: con.execute(f"select * from {t} order by all").fetchall()
            for t in names
            if t not in ("_publication", FINGERPRINTS)
        }


def _written_at(db) -> dict[str, dt.datetime]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute(f"select table_name, written_at from {FINGERPRINTS}").fetchall())


def test_an_unchanged_build_is_published_again_without_building_the_index(
    build, tmp_path, monkeypatch
):
    published = tmp_path / "fce.duckdb"
    first = publish_duckdb(build, published, AS_OF)
    assert first.mode == "copy" and set(first.changed) == set(ALL)
    before, written = _contents(published), _written_at(published)

    built = []
    monkeypatch.setattr("pipelines.publish.build_search_index", built.append)
    second = publish_duckdb(build, published, AS_OF)
    assert built == []
    assert second.mode == "copy"
    assert second.changed == () and set(second.unchanged) == set(ALL)
    assert second.row_counts == first.row_counts
    assert _contents(published) == before
    assert _written_at(published) == written  # unchanged tables say when they last changed
    with duckdb.connect(str(published), read_only=True) as con:
        table_comment = con.execute(
            "select comment from duckdb_tables() where table_name = 'egapro'"
        ).fetchone()[0]
        comment = con.execute(
            "select comment from duckdb_columns() "
            "where table_name = 'interactions' and column_name = 'siret'"
        ).fetchone()[0]
    assert (table_comment, comment) == ("the table egapro", "SIRET of the establishment")


def test_the_changed_tables_are_named_and_the_index_follows_the_names(build, tmp_path):
    published = tmp_path / "fce.duckdb"
    publish_duckdb(build, published, AS_OF)
    with duckdb.connect(str(build)) as con:
        con.execute("update interactions set i = i + 10 where i = 0")
        # a column the search index does not read
        con.execute("alter table fiche_etablissement add column effectif_dsn double")
        con.execute("update fiche_etablissement set effectif_dsn = 12")
    second = publish_duckdb(build, published, AS_OF)
    assert set(second.changed) == {"interactions", "fiche_etablissement"}
    assert SEARCH_INDEX in second.unchanged
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select max(i) from interactions").fetchone()[0] == 10
        assert con.execute("select min(effectif_dsn) from fiche_etablissement").fetchone()[0] == 12
        # the fiche is still sorted for lookups
        sirets = [r[0] for r in con.execute("select siret from fiche_etablissement").fetchall()]
    assert sirets == sorted(sirets)

    # a new name changes the index: it is built again and finds the name
    with duckdb.connect(str(build)) as con:
        con.execute(
            "update fiche_etablissement set enseigne = 'Épicerie Fine' "
            "where siret = '88888888800018'"
        )
    third = publish_duckdb(build, published, AS_OF)
    assert set(third.changed) == {"fiche_etablissement", SEARCH_INDEX}
    assert [r["siret"] for r in search(published, "epicerie")] == ["88888888800018"]

    # the same content as a publication that writes everything again
    fresh = tmp_path / "fresh.duckdb"
    os.environ["FCE_PUBLISH_REWRITE"] = "1"
    try:
        rewritten = publish_duckdb(build, fresh, AS_OF)
    finally:
        del os.environ["FCE_PUBLISH_REWRITE"]
    assert rewritten.mode == "new file"
    assert _contents(published) == _contents(fresh)


def test_only_the_published_tables_are_published(build, tmp_path):
    published = tmp_path / "fce.duckdb"
    with duckdb.connect(str(build)) as con:  # what dbt may leave beside the marts
        con.execute("create table ancienne_table as select 1 as x")
        con.execute("create table fiche_etablissement__dbt_tmp as select 1 as x")
        con.execute("create view une_vue as select 1 as x")
    for fresh in ("", "1"):
        os.environ["FCE_PUBLISH_REWRITE"] = fresh
        try:
            publish_duckdb(build, published, AS_OF)
        finally:
            del os.environ["FCE_PUBLISH_REWRITE"]
        with duckdb.connect(str(published), read_only=True) as con:
            tables = {
                r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()
            }
            views = con.execute("select count(*) from duckdb_views() where not internal")
            assert views.fetchone()[0] == 0
        assert tables == {*PUBLISHED_TABLES, *INDEX_TABLES, "_publication", FINGERPRINTS}


def test_a_table_changed_by_hand_in_the_published_file_is_replaced(build, tmp_path):
    published = tmp_path / "fce.duckdb"
    publish_duckdb(build, published, AS_OF)
    before = _contents(published)
    with duckdb.connect(str(published)) as con:
        con.execute("delete from egapro where i = 1")
    publish_duckdb(build, published, AS_OF)
    assert _contents(published) == before
    assert not list(build.parent.glob(".publishing.*"))


def test_a_marts_file_with_many_free_blocks_is_published_compact(build, tmp_path, monkeypatch):
    published, compact = tmp_path / "fce.duckdb", tmp_path / "compact.duckdb"
    with duckdb.connect(str(build)) as con:  # dbt built egapro again, in another order
        con.execute("create or replace table egapro as select * from egapro order by i desc")
    copied = publish_duckdb(build, published, AS_OF)
    monkeypatch.setattr("pipelines.publish.MAX_FREE_SHARE", -1.0)
    again = publish_duckdb(build, compact, AS_OF)
    assert copied.mode == "copy" and again.mode == "new file"
    assert _contents(compact) == _contents(published)
    with duckdb.connect(str(compact), read_only=True) as con:  # written sorted by its key
        sirens = [r[0] for r in con.execute("select siren from egapro").fetchall()]
    assert sirens == sorted(sirens)


def test_every_published_mart_is_built_sorted_by_its_key():
    """The publication copies the marts file as dbt wrote it: each mart's SQL sorts its rows
    by the key lookups use, the one PUBLISHED_TABLES gives."""
    marts = Path(__file__).resolve().parents[1] / "dbt_project" / "models" / "marts"
    for path in sorted(marts.glob("*.sql")):
        last = path.read_text(encoding="utf-8").strip().splitlines()[-1]
        assert re.fullmatch(r"order by (.+)", last), path.name
        assert last == f"order by {PUBLISHED_TABLES[path.stem]}", path.name


def test_unchanged_export_files_are_links_to_the_previous_snapshot(build, tmp_path, monkeypatch):
    published, root = tmp_path / "fce.duckdb", tmp_path / "exports"
    access = exports.Access(internal_tables=frozenset({"interactions"}))
    publish_duckdb(build, published, AS_OF)
    first = exports.export_parquet(published, root, access=access)
    with duckdb.connect(str(build)) as con:
        con.execute("update egapro set i = i + 10")
    monkeypatch.setattr("pipelines.publish.dt", _LaterClock)  # a new snapshot name
    publish_duckdb(build, published, AS_OF)
    second = exports.export_parquet(published, root, access=access)
    assert second.snapshot != first.snapshot
    assert "agents/egapro" not in second.linked
    assert {"agents/fiche_etablissement", "public/fiche_etablissement"} <= set(second.linked)
    for audience in exports.AUDIENCES:
        old, new = first.folder.parent / audience, second.folder.parent / audience
        for path in sorted(new.glob("*.parquet")):
            same_file = os.path.samefile(path, old / path.name)
            assert same_file == (path.stem != "egapro"), (audience, path.name)
            # the manifest still says the truth of every file
            entry = _manifest(new)["tables"][path.stem]
            assert entry["sha256"] == exports._sha256(path)
            with duckdb.connect() as con:
                rows = con.execute(f"select count(*) from '{path}'").fetchone()[0]
            assert entry["rows"] == rows
        assert "interactions" not in _manifest(new)["tables"] or audience == exports.AGENTS
    with duckdb.connect() as con:
        egapro = second.folder / "egapro.parquet"
        assert con.execute(f"select min(i) from '{egapro}'").fetchone()[0] == 10


def test_a_public_file_is_linked_when_only_what_the_public_does_not_see_changed(
    build, tmp_path, monkeypatch
):
    published, root = tmp_path / "fce.duckdb", tmp_path / "exports"
    access = POSTAL_CODE_INTERNAL
    publish_duckdb(build, published, AS_OF)
    first = exports.export_parquet(published, root, access=access)
    with duckdb.connect(str(build)) as con:  # a service's column changes, nothing public
        con.execute("update fiche_etablissement set code_postal = '00000'")
    monkeypatch.setattr("pipelines.publish.dt", _LaterClock)
    publish_duckdb(build, published, AS_OF)
    second = exports.export_parquet(published, root, access=access)
    assert "agents/fiche_etablissement" not in second.linked
    assert "public/fiche_etablissement" in second.linked
    public = second.folder.parent / exports.PUBLIC / "fiche_etablissement.parquet"
    assert os.path.samefile(public, first.folder.parent / exports.PUBLIC / public.name)
    with duckdb.connect() as con:
        agents = second.folder / "fiche_etablissement.parquet"
        assert con.execute(f"select distinct code_postal from '{agents}'").fetchall() == [
            ("00000",)
        ]
        columns = [r[0] for r in con.execute(f"describe select * from '{public}'").fetchall()]
        assert "code_postal" not in columns


def test_a_table_the_public_sees_whole_is_one_file_for_both_audiences(build, tmp_path):
    published, root = tmp_path / "fce.duckdb", tmp_path / "exports"
    access = POSTAL_CODE_INTERNAL
    publish_duckdb(build, published, AS_OF)
    result = exports.export_parquet(published, root, access=access)
    agents, public = result.folder, result.folder.parent / exports.PUBLIC
    assert os.path.samefile(agents / "egapro.parquet", public / "egapro.parquet")
    assert not os.path.samefile(
        agents / "fiche_etablissement.parquet", public / "fiche_etablissement.parquet"
    )
    assert _manifest(public)["tables"]["egapro"] == _manifest(agents)["tables"]["egapro"]


def test_exported_files_keep_the_order_the_publication_stored(build, tmp_path, monkeypatch):
    published, root = tmp_path / "fce.duckdb", tmp_path / "exports"
    with duckdb.connect(str(build)) as con:  # built in another order than the key's
        con.execute("create or replace table egapro as select * from egapro order by i desc")
    monkeypatch.setattr("pipelines.publish.MAX_FREE_SHARE", -1.0)  # written sorted by key
    publish_duckdb(build, published, AS_OF)
    result = exports.export_parquet(published, root, access=exports.Access(frozenset()))
    with duckdb.connect() as con:
        sirets = con.execute(
            f"select siret from '{result.folder / 'fiche_etablissement.parquet'}'"
        ).fetchall()
        sirens = con.execute(f"select siren from '{result.folder / 'egapro.parquet'}'").fetchall()
    assert sirets == sorted(sirets) and len(sirets) == len(ETABLISSEMENTS)
    assert sirens == sorted(sirens)


def _manifest(folder) -> dict:
    import json

    return json.loads((folder / exports.MANIFEST).read_text(encoding="utf-8"))


class _LaterClock:
    """``datetime`` of pipelines.publish with ``now`` an hour later."""

    date = dt.date
    UTC = dt.UTC

    class datetime(dt.datetime):  # noqa: N801 - the name the module uses
        @classmethod
        def now(cls, tz=None):
            return dt.datetime.now(tz) + dt.timedelta(hours=1)
