"""The dbt project as Dagster assets: staging, intermediate, marts and seeds, with dbt tests as
asset checks. The lake sources map to the normalize assets (``meta.dagster.asset_key`` in the
sources YAML), so the graph shows which Parquet file each model reads.
"""

import json
import os
import re
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.snapshots import prepare_previous
from sources.config import Settings, settings_from_env

ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = ROOT / "dbt_project"
WAREHOUSE_GROUP = "warehouse"

# dbt installed beside this Python (the project's virtual environment), found without PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(dbt_project.profiles_dir),
        dbt_executable=DBT_EXECUTABLE,
    )


def dbt_env(settings: Settings) -> None:
    """Hand the run's settings to dbt, which reads them with env_var() in its YAML and SQL."""
    os.environ["FCE_WAREHOUSE"] = str(settings.warehouse)
    os.environ["FCE_AS_OF"] = settings.as_of.isoformat()


def _newest_source_mtime() -> float:
    patterns = ("*.sql", "*.yml", "*.csv")
    files = [p for pattern in patterns for p in DBT_DIR.rglob(pattern) if "target" not in p.parts]
    return max(p.stat().st_mtime for p in files)


def ensure_manifest() -> Path:
    """Parse the dbt project when its manifest is missing or older than a model, YAML or seed.

    ``make install`` parses once; this keeps tests and ``dagster dev`` right after an edit.
    """
    manifest = dbt_project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime():
        dbt_env(settings_from_env())
        dbt_resource().cli(["parse", "--quiet"], target_path=manifest.parent).wait()
    return manifest


class FceDbtTranslator(DagsterDbtTranslator):
    """Every dbt node in the ``warehouse`` group; marts keep their bare names as asset keys."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return WAREHOUSE_GROUP


AS_OF_VAR = re.compile(r"""var\(\s*['"]as_of['"]""")


def as_of_models(manifest: Path | None = None) -> list[dg.AssetKey]:
    """The models whose SQL reads var('as_of'): what they hold changes with the reference date
    alone, even when none of their inputs changed.
    """
    nodes = json.loads((manifest or ensure_manifest()).read_text(encoding="utf-8"))["nodes"]
    translator = FceDbtTranslator()
    return sorted(
        (
            translator.get_asset_key(node)
            for node in nodes.values()
            if node.get("resource_type") == "model" and AS_OF_VAR.search(node.get("raw_code", ""))
        ),
        key=lambda k: k.to_user_string(),
    )


def with_as_of(selection: dg.AssetSelection) -> dg.AssetSelection:
    """``selection`` and the models that count from the reference date, with what they feed.

    A run that publishes builds them again, whatever source it refreshes: otherwise a fiche
    rebuilt after a SIRENE file would join the services' figures of the date of an older run
    (the indicators are tables, built once per run, not views evaluated by each reader).
    """
    return selection | dg.AssetSelection.assets(*as_of_models()).downstream()


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    dagster_dbt_translator=FceDbtTranslator(),
    name="dbt_warehouse",
)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """dbt build: seeds, models and their tests, into build/fce.duckdb (never read by users)."""
    settings = settings_from_env()
    dbt_env(settings)
    (settings.warehouse / "build" / "spill").mkdir(parents=True, exist_ok=True)
    previous, rows = prepare_previous(settings.lake)
    context.log.info(
        "changements compares with snapshot %s (%d establishments)", previous or "none", rows
    )
    invocation = dbt.cli(["build"], context=context)
    yield from invocation.stream()
    timings = keep_timings(invocation.target_path, settings.build_db.parent)
    if timings:
        slowest = ", ".join(f"{t['name']} {t['seconds']:.1f} s" for t in timings[:5])
        context.log.info("dbt's slowest nodes: %s (all in %s)", slowest, TIMINGS_FILE)
    # Each invocation writes its own target folder; a successful one is not needed any more
    # (a failed one stays, for its dbt.log, which the error message points to).
    shutil.rmtree(invocation.target_path, ignore_errors=True)


TIMINGS_FILE = "dbt_timings.json"
"""In the build folder: seconds of every model, seed and test of the last successful build."""


def keep_timings(target_path: Path, build_dir: Path) -> list[dict[str, Any]]:
    """Write the seconds of each node of dbt's ``run_results.json`` to ``build_dir``, slowest
    first, and return them: the target folder is removed, the figures are kept."""
    results = Path(target_path) / "run_results.json"
    if not results.is_file():
        return []
    nodes = json.loads(results.read_text(encoding="utf-8")).get("results", [])
    timings = sorted(
        (
            {
                "name": node["unique_id"].split(".", 1)[-1],
                "kind": node["unique_id"].split(".", 1)[0],
                "seconds": round(float(node.get("execution_time") or 0.0), 3),
                "status": node.get("status"),
            }
            for node in nodes
        ),
        key=lambda t: -t["seconds"],
    )
    target = build_dir / TIMINGS_FILE
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(timings, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return timings
