"""Snapshots kept in the lake: the fiche "as of" a past publication, and what `changements`
compares with (lake/fiche_precedente.parquet)."""

import datetime as dt
import json

import duckdb
import polars as pl
import pytest

from pipelines import exports, snapshots
from pipelines.cli import main
from tests.test_exports import make_published


@pytest.fixture(scope="module")
def access() -> exports.Access:
    return exports.Access(internal_tables=frozenset())


def publish(tmp_path, access, published_at: str, rows: int) -> snapshots.Path:
    """Publish and export a small warehouse at ``published_at``; keep its snapshot."""
    db = tmp_path / "fce.duckdb"
    make_published(db, published_at, rows=rows)
    with duckdb.connect(str(db)) as con:
        con.execute("drop table sources_fraicheur")
        con.execute(
            "create table sources_fraicheur as select * from (values "
            "('sirene', 'x.zip', date '2026-10-31', timestamp '2026-11-02 08:00:00'), "
            "('wikit', 'w.csv', date '2026-11-20', timestamp '2026-11-25 09:00:00'), "
            "('sora', '', null, timestamp '2026-11-28 09:00:00')"
            ") t(source, file, newest_data_date, arrived_at), (select 'd' as dataset)"
        )
        # the fiche carries one compared column, so that the others are missing
        con.execute(
            "create or replace table fiche_etablissement as select lpad(siret, 14, '0') as siret, "
            f"case when i < {rows} - 1 then 'A' else 'F' end as etat_administratif, i "
            "from fiche_etablissement"
        )
    result = exports.export_parquet(db, tmp_path / "exports", access=access)
    return snapshots.record_snapshot(tmp_path / "lake", result.folder.parent, db)


def test_a_published_snapshot_is_kept_with_what_it_was_built_from(tmp_path, access):
    kept = publish(tmp_path, access, "2026-12-01 10:00:00", rows=5)
    assert kept == tmp_path / "lake/_snapshots/20261201T100000Z"
    info = json.loads((kept / "snapshot.json").read_text())
    assert info["as_of"] == "2026-12-01"
    assert info["stock_sirene"] == "2026-10"
    assert info["fichiers_services"] == "2026-11-25"  # a file arrived, not an empty stand-in
    exported = tmp_path / "exports/20261201T100000Z/agents/fiche_etablissement.parquet"
    assert (kept / "fiche_etablissement.parquet").read_bytes() == exported.read_bytes()
    # recording it again (a run that died after its export) changes nothing
    assert snapshots.record_snapshot(tmp_path / "lake", exported.parent.parent) == kept


def test_the_fiche_is_asked_as_of_a_day_or_a_snapshot(tmp_path, access, capsys, monkeypatch):
    publish(tmp_path, access, "2026-11-01 10:00:00", rows=3)
    publish(tmp_path, access, "2026-12-01 10:00:00", rows=4)
    lake = tmp_path / "lake"
    assert [s.name for s in snapshots.list_snapshots(lake)] == [
        "20261101T100000Z",
        "20261201T100000Z",
    ]
    assert snapshots.snapshot_at(lake, dt.date(2026, 11, 30)).name == "20261101T100000Z"
    assert snapshots.snapshot_at(lake, dt.date(2026, 12, 1)).name == "20261201T100000Z"
    assert snapshots.snapshot_at(lake).name == "20261201T100000Z"
    with pytest.raises(snapshots.SnapshotError, match="oldest kept is 20261101T100000Z"):
        snapshots.snapshot_at(lake, dt.date(2026, 10, 1))
    with pytest.raises(snapshots.SnapshotError, match="no snapshot 'x'"):
        snapshots.snapshot_at(lake, name="x")

    # SIRET ...2 was the last (closed) one in November, open in December
    siret = "00000000000002"
    november = snapshots.snapshot_at(lake, dt.date(2026, 11, 15))
    assert snapshots.lookup_snapshot(november, siret)[0]["etat_administratif"] == "F"
    december = snapshots.snapshot_at(lake, name="20261201T100000Z")
    assert snapshots.lookup_snapshot(december, siret)[0]["etat_administratif"] == "A"

    monkeypatch.setenv("FCE_WAREHOUSE", str(tmp_path))
    assert main(["fiche", siret, "--as-of", "2026-11-15", "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["etat_administratif"] == "F"
    assert "snapshot 20261101T100000Z" in out.err
    assert main(["fiche", siret, "--as-of", "2026-10-15"]) == 2
    assert "no snapshot published on or before 2026-10-15" in capsys.readouterr().err
    assert main(["snapshots"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == ["20261101T100000Z", "20261201T100000Z"]


def test_only_the_newest_snapshots_are_kept(tmp_path, access):
    for day in range(1, 5):
        publish(tmp_path, access, f"2026-11-0{day} 10:00:00", rows=2)
    snapshots.prune(tmp_path / "lake", keep=2)
    assert [s.name for s in snapshots.list_snapshots(tmp_path / "lake")] == [
        "20261103T100000Z",
        "20261104T100000Z",
    ]


def test_previous_fiche_is_empty_before_the_first_publication(tmp_path):
    name, rows = snapshots.prepare_previous(tmp_path / "lake")
    assert (name, rows) == (None, 0)
    frame = pl.read_parquet(tmp_path / "lake/fiche_precedente.parquet")
    assert frame.columns == ["snapshot", "as_of", *snapshots.COMPARED]
    assert frame.schema["est_siege"] == pl.Boolean
    assert frame.schema["effectif_dsn"] == pl.Float64


def test_previous_fiche_is_the_newest_snapshot_with_missing_columns_null(tmp_path, access):
    publish(tmp_path, access, "2026-11-01 10:00:00", rows=3)
    publish(tmp_path, access, "2026-12-01 10:00:00", rows=4)
    name, rows = snapshots.prepare_previous(tmp_path / "lake")
    assert (name, rows) == ("20261201T100000Z", 4)
    frame = pl.read_parquet(tmp_path / "lake/fiche_precedente.parquet").sort("siret")
    assert frame["snapshot"].unique().to_list() == ["20261201T100000Z"]
    assert frame["as_of"].unique().to_list() == [dt.date(2026, 12, 1)]
    assert frame["etat_administratif"].to_list() == ["A", "A", "A", "F"]
    assert frame["code_naf"].null_count() == 4  # the snapshot had no such column


def test_previous_fiche_is_written_again_only_for_a_newer_snapshot(tmp_path, access):
    lake = tmp_path / "lake"
    publish(tmp_path, access, "2026-11-01 10:00:00", rows=3)
    assert snapshots.prepare_previous(lake) == ("20261101T100000Z", 3)
    written = (lake / "fiche_precedente.parquet").stat().st_mtime_ns
    assert snapshots.prepare_previous(lake) == ("20261101T100000Z", 3)
    assert (lake / "fiche_precedente.parquet").stat().st_mtime_ns == written
    publish(tmp_path, access, "2026-12-01 10:00:00", rows=4)
    assert snapshots.prepare_previous(lake) == ("20261201T100000Z", 4)
