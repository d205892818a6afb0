"""The inbox sensor: it waits for files to settle and runs only the source that changed."""

import os

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.sensors import inbox_sensor


@pytest.fixture
def inbox(tmp_path, monkeypatch):
    monkeypatch.setenv("FCE_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("FCE_WAREHOUSE", str(tmp_path / "warehouse"))
    (tmp_path / "inbox" / "sora").mkdir(parents=True)
    return tmp_path / "inbox"


def tick(cursor: str | None = None):
    context = dg.build_sensor_context(cursor=cursor, definitions=defs)
    return inbox_sensor(context)


def test_no_inbox_configured_means_nothing_to_watch(monkeypatch):
    monkeypatch.delenv("FCE_INBOX", raising=False)
    assert isinstance(tick(), dg.SkipReason)


def test_a_settled_file_starts_a_run_of_its_source_only(inbox):
    drop = inbox / "sora" / "donnee_FCE_extract_20261201.csv"
    drop.write_text("half of a file")
    first = tick()
    assert first.run_requests == []  # seen once: maybe still being copied

    drop.write_text("half of a file, and the rest")  # the copy went on
    second = tick(first.cursor)
    assert second.run_requests == []

    third = tick(second.cursor)
    [request] = third.run_requests
    keys = {k.to_user_string() for k in request.asset_selection}
    assert {
        "landing/sora_interventions",
        "lake/sora_interventions",
        "interactions",
        "fiche_etablissement",
        "published/fce_duckdb",
    } <= keys
    assert not any("sirene" in k or "wikit" in k for k in keys if k.startswith(("landing", "lake")))
    assert request.tags["source"] == "sora"

    assert tick(third.cursor).run_requests == []  # the same files do not run twice


def test_a_new_file_of_the_same_source_runs_again(inbox):
    drop = inbox / "sora" / "donnee_FCE_extract_20261201.csv"
    drop.write_text("a")
    cursor = tick(tick().cursor).cursor
    newer = inbox / "sora" / "donnee_FCE_extract_20270101.csv"
    newer.write_text("b")
    os.utime(newer, ns=(drop.stat().st_mtime_ns + 10**9,) * 2)
    cursor = tick(cursor).cursor
    assert len(tick(cursor).run_requests) == 1


def test_files_not_matching_the_pattern_are_ignored(inbox):
    (inbox / "sora" / "notes.txt").write_text("not an export")
    assert tick(tick().cursor).run_requests == []
