"""The benchmark script runs end to end at the smallest size and writes its JSON report.

Only completion and the report's shape are checked: timings depend on the machine.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCALE = "0.00005"  # the generator's floor of 2000 etablissements: the job's fixed cost dominates


@pytest.mark.e2e
def test_bench_writes_its_report(tmp_path: Path) -> None:
    out = tmp_path / "results"
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--scale",
            SCALE,
            "--out",
            str(out),
            "--work",
            str(tmp_path / "work"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    reports = list(out.glob("*.json"))
    assert len(reports) == 1
    report = json.loads(reports[0].read_text())
    expected = {
        "scale",
        "date",
        "machine",
        "etablissements",
        "inputs",
        "raw_limit",
        "project",
        "lookups",
        "incremental",
        "peer",
        "ratios",
        "targets",
        "status",
    }
    assert expected <= report.keys()
    assert report["status"] == "ok"
    for part in ("raw_limit", "project", "incremental", "peer"):
        assert {"seconds", "rows"} <= report[part].keys()
    assert {"seconds", "peak_rss_tree_bytes", "steps"} <= report["project"].keys()
    assert {"duckdb", "parquet", "parquet_duckdb"} == report["lookups"].keys()
    for figures in report["lookups"].values():
        assert figures["found"] == figures["lookups"]  # every SIRET asked has its fiche
    assert {"project_over_raw", "peer_over_project", "incremental_over_full"} == set(
        report["ratios"]
    )
    assert not (tmp_path / "work").exists()  # removed without --keep
