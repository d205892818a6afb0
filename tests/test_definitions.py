"""The Dagster code location loads as the UI loads it, with the graph README describes."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs
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
