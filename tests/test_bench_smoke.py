"""The benchmark script runs end to end at the smallest size and writes its JSON report.

Only completion and the report's shape are checked: timings depend on the machine.
"""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCALE = "0.01"  # 429 000 etablissements, the size the issue names; about 3 minutes here


def _bench_module():
    spec = importlib.util.spec_from_file_location("fce_bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    assert report["disk"]["work_bytes"] > 0
    assert report["disk"]["peer_database_bytes"] > 0
    parts = report["disk"]["parts_bytes"]
    assert {"mirror", "warehouse/build", "warehouse/exports"} <= parts.keys()
    assert not (tmp_path / "work").exists()  # removed without --keep


def test_bench_stops_before_generating_when_the_disk_is_too_small(tmp_path, monkeypatch):
    bench = _bench_module()
    monkeypatch.setattr(shutil, "disk_usage", lambda path: SimpleNamespace(free=10**9))
    needed = f"{bench.DISK_BYTES_AT_FULL_SCALE / 1e9:.0f} GB"
    with pytest.raises(SystemExit, match=rf"scale 1 needs about {needed} .* has 1 GB free"):
        bench.main(["--scale", "1.0", "--work", str(tmp_path / "work"), "--out", str(tmp_path)])
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == []  # nothing generated
    assert not list(tmp_path.glob("*.json"))
