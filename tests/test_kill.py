"""Kill-anywhere safety: runs killed with SIGKILL at each stage leave the publication intact.

A run (``python -m pipelines.cli run``, the ``fce run`` command) works in its own process group
on a sample served by a local HTTP server. After a first publication, the establishments file
changes and four runs are killed, one per stage: while downloading, between the normalized
Parquet and its rename into the lake, while dbt writes the build, and between the checked
published copy and its rename. Each kill must leave the published file byte for byte as it was,
no temporary file beside it and a readable lake; a rerun then publishes the new content. Last, a
reader keeps querying the published file while a run replaces it.

The kill points other than dbt's are ``sources.faults.pause_point`` calls; for dbt the test
waits until the build database changes. The tests build on one another, so they are numbered.
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest

from sources.sample import generate_public
from tests.http_server import Server, serve

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
ETAB_ZIP = "StockEtablissement_utf8.zip"
ETAB_CSV = "StockEtablissement_utf8.csv"
ETABLISSEMENTS = 800
DATASETS = ("sirene_etablissements", "sirene_unites_legales", "sirene_liens_succession")
DROPPED = 8
"""Lines dropped from the establishments file per new input: under the 2 % drop guard."""
WAIT_SECONDS = 240
"""Bound on every wait for a run to reach its kill point or to finish."""


@dataclass
class World:
    """The served mirror, the warehouse and the environment of the runs."""

    www: Path
    server: Server
    warehouse: Path
    logs: Path
    env: dict[str, str]

    @property
    def published(self) -> Path:
        return self.warehouse / "fce.duckdb"

    @property
    def build_db(self) -> Path:
        return self.warehouse / "build" / "fce.duckdb"


@dataclass(frozen=True)
class Snapshot:
    """The published file as analysts see it: its bytes and what it holds."""

    sha256: str
    size: int
    etablissements: int
    published_at: str
    exports: str | None


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A sample on a local HTTP server and a warehouse where a first run published it."""
    root = tmp_path_factory.mktemp("kill")
    www = root / "www"
    generate_public(www, etablissements=ETABLISSEMENTS, seed=11)
    logs = root / "logs"
    logs.mkdir()
    with serve(www) as server:
        env = {k: v for k, v in os.environ.items() if k not in ("FCE_PAUSE_AT", "FCE_PAUSE_MARKER")}
        env.update(
            FCE_WAREHOUSE=str(root / "warehouse"),
            FCE_DOWNLOAD_MIRROR=server.url,
            FCE_AS_OF="2026-12-01",
            DAGSTER_HOME=str(ROOT),
            FCE_DAGSTER_STORAGE=str(root / "dagster"),
        )
        yield World(www, server, root / "warehouse", logs, env)


def start_run(world: World, name: str, pause_at: str | None = None) -> subprocess.Popen[bytes]:
    """Start ``fce run`` in a new process group (so that a kill reaches dbt too)."""
    env = dict(world.env)
    if pause_at:
        env.update(FCE_PAUSE_AT=pause_at, FCE_PAUSE_MARKER=str(marker(world, pause_at)))
    log = (world.logs / f"{name}.log").open("wb")
    with log:
        return subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def marker(world: World, point: str) -> Path:
    return world.logs / f"paused-at-{point}"


def finish(world: World, proc: subprocess.Popen[bytes], name: str) -> None:
    """Wait for a run and assert it succeeded, showing its log when it did not."""
    try:
        code = proc.wait(timeout=WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        code = None
    log = (world.logs / f"{name}.log").read_text(errors="replace")
    assert code == 0, f"run {name} ended with {code}:\n{log[-6000:]}"


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the run's whole process group and wait until none of it is left."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while True:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, "a process of the killed run survived SIGKILL"
        time.sleep(0.05)


def wait_for(proc: subprocess.Popen[bytes], ready: Callable[[], bool], what: str) -> None:
    """Poll ``ready`` until it holds; fail if the run ends or the bound passes first."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"the run ended (code {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            kill_group(proc)
            pytest.fail(f"no {what} within {WAIT_SECONDS} s")
        time.sleep(0.02)


def file_state(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def snapshot(world: World) -> Snapshot:
    """Read the published file read-only (so it must open) and hash its bytes."""
    data = world.published.read_bytes()
    with duckdb.connect(str(world.published), read_only=True) as con:
        count = con.execute("select count(*) from fiche_etablissement").fetchone()[0]
        published_at = con.execute("select published_at from _publication").fetchone()[0]
    current = world.warehouse / "exports" / "current"
    exports = os.readlink(current) if current.is_symlink() else None
    return Snapshot(hashlib.sha256(data).hexdigest(), len(data), count, str(published_at), exports)


def lake_state(world: World) -> dict[str, tuple[str, int]]:
    """Each lake file's sha256 and row count; reading it proves it is complete."""
    state = {}
    for dataset in DATASETS:
        path = world.warehouse / "lake" / f"{dataset}.parquet"
        rows = pl.read_parquet(path).height
        state[dataset] = (hashlib.sha256(path.read_bytes()).hexdigest(), rows)
    return state


def is_temporary(path: Path) -> bool:
    return path.name.startswith(".") or path.suffix in (".tmp", ".part", ".wal")


def stray_files(world: World) -> list[str]:
    """Temporary-looking entries where analysts and the portal read: the root and exports/."""
    found = [p for p in world.warehouse.iterdir() if p.name != ".dagster" and is_temporary(p)]
    exports = world.warehouse / "exports"
    if exports.is_dir():
        found += [p for p in exports.rglob("*") if is_temporary(p)]
    return sorted(str(p.relative_to(world.warehouse)) for p in found)


def leftovers(world: World, folder: str) -> list[str]:
    """Temporary files of killed runs under a working folder (lake/, rejects/)."""
    return sorted(p.name for p in (world.warehouse / folder).rglob("*") if is_temporary(p))


def drop_last_etablissements(world: World, count: int) -> None:
    """Serve a new StockEtablissement zip without its last ``count`` lines."""
    path = world.www / ETAB_ZIP
    with zipfile.ZipFile(path) as archive:
        lines = archive.read(ETAB_CSV).decode("utf-8").splitlines(keepends=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(ETAB_CSV, "".join(lines[:-count]))
    path.write_bytes(buffer.getvalue())


STATE: dict[str, object] = {}
"""What the numbered tests hand on to the next ones."""


def test_1_first_run_publishes(world: World) -> None:
    proc = start_run(world, "first")
    finish(world, proc, "first")
    first = snapshot(world)
    assert first.etablissements == ETABLISSEMENTS
    assert stray_files(world) == []
    STATE["published"] = first
    STATE["lake"] = lake_state(world)
    drop_last_etablissements(world, DROPPED)


@pytest.mark.parametrize("point", ["download", "normalize", "dbt", "publish"])
def test_2_a_killed_run_leaves_the_publication_as_it_was(world: World, point: str) -> None:
    before = STATE["published"]
    if point == "dbt":
        build = world.build_db
        wal = build.with_name(build.name + ".wal")
        build_before = file_state(build)
        proc = start_run(world, f"kill-{point}")
        wait_for(
            proc,
            lambda: wal.exists() or file_state(build) != build_before,
            "dbt writing the build database",
        )
    else:
        proc = start_run(world, f"kill-{point}", pause_at=point)
        wait_for(proc, marker(world, point).exists, f"the pause at {point}")
    kill_group(proc)

    assert snapshot(world) == before
    assert stray_files(world) == []
    if point == "publish":  # the checked copy was left where analysts do not look
        assert len(list(world.build_db.parent.glob(".publishing.*"))) == 1
    if point == "normalize":  # killed between the Parquet written and its rename
        assert leftovers(world, "lake") != []
    lake = lake_state(world)
    previous = STATE["lake"]
    if point in ("download", "normalize"):
        assert lake == previous
    else:
        assert lake["sirene_etablissements"][1] == ETABLISSEMENTS - DROPPED
        assert lake["sirene_unites_legales"] == previous["sirene_unites_legales"]


def test_3_a_rerun_publishes_the_new_content(world: World) -> None:
    before = STATE["published"]
    proc = start_run(world, "rerun")
    finish(world, proc, "rerun")
    after = snapshot(world)
    assert after.etablissements == ETABLISSEMENTS - DROPPED
    assert after.sha256 != before.sha256
    assert stray_files(world) == []
    assert list(world.build_db.parent.glob(".publishing.*")) == []  # the killed copy is gone
    assert leftovers(world, "lake") == [] and leftovers(world, "rejects") == []
    STATE["published"] = after


def test_4_a_reader_keeps_reading_while_a_run_publishes(world: World) -> None:
    before = STATE["published"]
    drop_last_etablissements(world, DROPPED)
    original = file_state(world.published)
    counts: list[int] = []
    swapped_seen: list[bool] = []
    errors: list[BaseException] = []
    con = duckdb.connect(str(world.published), read_only=True)
    try:
        proc = start_run(world, "with-reader")
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            ended = proc.poll() is not None or time.monotonic() > deadline
            try:
                counts.append(con.execute("select count(*) from fiche_etablissement").fetchone()[0])
                swapped_seen.append(file_state(world.published) != original)
            except duckdb.Error as exc:
                errors.append(exc)
            if ended:
                break
            time.sleep(0.05)
    finally:
        con.close()
    finish(world, proc, "with-reader")

    assert errors == []
    assert set(counts) == {before.etablissements}
    assert swapped_seen[-1], "the run ended without replacing the published file"
    assert snapshot(world).etablissements == ETABLISSEMENTS - 2 * DROPPED
