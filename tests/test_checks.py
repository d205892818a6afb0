"""The guards of a lake dataset, on load records made by the tests."""

import dataclasses
import datetime as dt

import dagster as dg

from pipelines import checks
from sources.lake import LoadRecord
from sources.sirene.contract import ETABLISSEMENTS

BASE = LoadRecord(
    source="sirene",
    dataset="sirene_etablissements",
    producer="INSEE",
    system="SIRENE",
    file="StockEtablissement_utf8.zip",
    origin="http://mirror/StockEtablissement_utf8.zip",
    sha256="a" * 64,
    size=1,
    arrival_id="20261101T000000Z-aaaaaaaa",
    arrived_at="2026-11-01T00:00:00Z",
    contract_version="v",
    loaded_at="2026-11-01T00:10:00+00:00",
    lake_path="lake.parquet",
    rejects_path="rejects.parquet",
    rows_read=10_000,
    rows_loaded=10_000,
    rows_rejected=0,
    identifiers_padded=0,
    newest_data="2026-10-31T20:00:00",
    columns_missing=[],
    columns_extra=[],
    seconds=1.0,
)


def later(**changes) -> LoadRecord:
    defaults = {"arrival_id": "20261201T000000Z-bbbbbbbb", "loaded_at": "2026-12-01T00:10:00+00:00"}
    return dataclasses.replace(BASE, **{**defaults, **changes})


def test_first_load_passes():
    assert checks.row_count(ETABLISSEMENTS, BASE, None).passed


def test_small_drop_passes_and_large_drop_blocks_with_both_counts():
    assert checks.row_count(ETABLISSEMENTS, later(rows_loaded=9_850), BASE).passed
    result = checks.row_count(ETABLISSEMENTS, later(rows_loaded=9_700), BASE)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert "9700" in result.description and "10000" in result.description
    assert "FCE_ACCEPT_LOAD=sirene_etablissements" in result.description


def test_ten_times_more_rows_blocks():
    result = checks.row_count(ETABLISSEMENTS, later(rows_loaded=100_000), BASE)
    assert not result.passed and "rose" in result.description


def test_a_person_can_accept_a_load(monkeypatch):
    monkeypatch.setenv("FCE_ACCEPT_LOAD", "other, sirene_etablissements")
    result = checks.row_count(ETABLISSEMENTS, later(rows_loaded=10), BASE)
    assert result.passed and result.description.startswith("Accepted by FCE_ACCEPT_LOAD")


def test_reject_rate_blocks_above_the_source_threshold():
    assert checks.reject_rate(ETABLISSEMENTS, later(rows_rejected=10)).passed  # 0.1 %
    result = checks.reject_rate(ETABLISSEMENTS, later(rows_rejected=11))
    assert not result.passed and "11 of 10000 rows rejected" in result.description


def test_freshness_warns_after_45_days_for_sirene():
    assert checks.freshness(ETABLISSEMENTS, BASE, dt.date(2026, 12, 15)).passed
    result = checks.freshness(ETABLISSEMENTS, BASE, dt.date(2026, 12, 16))
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert "46 days old" in result.description


def test_schema_drift_is_a_warning_naming_the_columns():
    result = checks.schema(later(columns_extra=["nouvelleColonne"]))
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert "nouvelleColonne" in result.description
    assert checks.schema(BASE).passed


def test_specs_match_the_results_in_order():
    key = dg.AssetKey(["lake", "sirene_etablissements"])
    specs = checks.check_specs(ETABLISSEMENTS, key)
    results = checks.evaluate(ETABLISSEMENTS, BASE, None, dt.date(2026, 12, 1))
    assert [s.name for s in specs] == [r.check_name for r in results]
    assert [s.blocking for s in specs] == [True, True, False, False]
