"""The Dagster code location loads as the UI loads it, with the graph README describes."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.dbt import as_of_models
from pipelines.definitions import defs
from pipelines.sensors import BY_SOURCE, source_refresh
from sources.registry import ALL

ROOT = Path(__file__).resolve().parent.parent


def test_dagster_cli_validates_the_definitions(tmp_path):
    env = {
        **os.environ,
        "FCE_WAREHOUSE": str(tmp_path),
        "DAGSTER_HOME": str(ROOT),
        "FCE_DAGSTER_STORAGE": str(tmp_path / ".dagster"),
    }
    dagster = Path(sys.executable).parent / "dagster"
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "pipelines.definitions"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_assets_are_grouped_by_stage_and_described():
    graph = defs.resolve_asset_graph()
    groups: dict[str, set[str]] = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        groups.setdefault(node.group_name, set()).add(key.to_user_string())
        assert node.description, f"{key.to_user_string()} has no description"
    datasets = {c.dataset for c in ALL}
    assert groups["extract"] == {f"landing/{d}" for d in datasets}
    assert groups["normalize"] == {f"lake/{d}" for d in datasets}
    assert {"fiche_etablissement", "fiche_entreprise", "sources_fraicheur", "rejets"} <= groups[
        "warehouse"
    ]
    assert groups["publish"] == {
        "published/fce_duckdb",
        "published/parquet_exports",
        "published/postgres",
    }


def test_dbt_models_read_the_lake_assets():
    graph = defs.resolve_asset_graph()
    staging = graph.get(dg.AssetKey("stg_sirene__etablissements"))
    assert dg.AssetKey(["lake", "sirene_etablissements"]) in staging.parent_keys


def test_jobs_and_monthly_schedule():
    assert {"refresh_all", "refresh_sirene"} <= {j.name for j in defs.resolve_all_job_defs()}
    schedule = defs.resolve_schedule_def("sirene_monthly")
    assert schedule.cron_schedule == "0 9 1 * *"
    assert schedule.execution_timezone == "Europe/Paris"
    selected = defs.resolve_job_def("refresh_sirene").asset_layer.selected_asset_keys
    assert dg.AssetKey(["published", "fce_duckdb"]) in selected


def test_every_run_that_publishes_builds_again_what_counts_from_the_reference_date():
    """The services' indicators are tables: a run refreshing SIRENE or one service's file must
    build them again at its own FCE_AS_OF, or the fiches would join an older date's figures."""
    as_of = set(as_of_models())
    assert {
        dg.AssetKey("int_services__indicateurs_etablissements"),
        dg.AssetKey("int_services__indicateurs_entreprises"),
        dg.AssetKey("int_decp__indicateurs_etablissements"),
        dg.AssetKey("signaux_coordination"),
        dg.AssetKey("sources_fraicheur"),
    } <= as_of
    assert dg.AssetKey("int_fiches__etablissements") not in as_of
    graph = defs.resolve_asset_graph()
    assert as_of <= defs.resolve_job_def("refresh_sirene").asset_layer.selected_asset_keys
    for source in BY_SOURCE:
        selected = source_refresh(source).resolve(graph)
        assert as_of <= selected, source
        assert dg.AssetKey(["published", "fce_duckdb"]) in selected
