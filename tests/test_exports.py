"""Parquet exports: a whole snapshot behind ``current``, or the previous one."""

import datetime as dt
import json
import os

import duckdb
import polars as pl
import pytest

from pipelines import exports
from pipelines.publish import PUBLISHED_TABLES


def make_published(path, published_at: str, rows: int) -> None:
    """A published file with every table of the publication, small."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        for table, order in PUBLISHED_TABLES.items():
            keys = [k.strip() for k in (order or "id").split(",")]
            cols = ", ".join(f"cast(i as varchar) as {k}" for k in keys)
            con.execute(f"create table {table} as select {cols}, i from range({rows}) t(i)")
        con.execute(
            f"create table _publication as select timestamp '{published_at}' as published_at, "
            "date '2026-12-01' as as_of"
        )


def test_export_writes_a_snapshot_and_points_current_at_it(tmp_path):
    db = tmp_path / "fce.duckdb"
    make_published(db, "2026-12-01 10:00:00", rows=50)
    result = exports.export_parquet(db, tmp_path / "exports")
    assert result.snapshot == "20261201T100000Z"
    assert exports.current_snapshot(tmp_path / "exports") == "20261201T100000Z"
    manifest = json.loads((tmp_path / "exports/current/manifest.json").read_text())
    assert manifest["as_of"] == "2026-12-01"
    assert manifest["tables"]["fiche_etablissement"]["rows"] == 50
    assert manifest["tables"]["fiche_etablissement"]["schema"]["siret"] == "VARCHAR"
    frame = pl.read_parquet(tmp_path / "exports/current/fiche_etablissement.parquet")
    assert frame["siret"].to_list() == sorted(frame["siret"].to_list())


def test_interrupted_export_keeps_the_previous_snapshot(tmp_path, monkeypatch):
    db = tmp_path / "fce.duckdb"
    make_published(db, "2026-12-01 10:00:00", rows=50)
    exports.export_parquet(db, tmp_path / "exports")
    make_published(db, "2027-01-01 10:00:00", rows=60)
    calls = {"n": 0}
    real = exports._sha256

    def failing(path):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(path)

    monkeypatch.setattr(exports, "_sha256", failing)
    with pytest.raises(OSError):
        exports.export_parquet(db, tmp_path / "exports")
    assert exports.current_snapshot(tmp_path / "exports") == "20261201T100000Z"
    assert sorted(os.listdir(tmp_path / "exports")) == ["20261201T100000Z", "current"]


def test_old_snapshots_are_pruned_but_never_the_current(tmp_path):
    db = tmp_path / "fce.duckdb"
    start = dt.datetime(2026, 1, 1, 10)
    for month in range(4):
        make_published(db, str(start.replace(month=month + 1)), rows=5)
        exports.export_parquet(db, tmp_path / "exports", keep=2)
    kept = sorted(p for p in os.listdir(tmp_path / "exports") if p != "current")
    assert kept == ["20260301T100000Z", "20260401T100000Z"]
    assert exports.current_snapshot(tmp_path / "exports") == "20260401T100000Z"
