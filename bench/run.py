"""Benchmark of the FCE refresh at a scale factor of the national SIRENE stock.

.venv/bin/python bench/run.py --scale 0.01 [--out bench/results] [--keep] [--skip-postgres]

One run generates the inputs with the sample generators, then measures on the same files:
the raw limit (polars CSV -> Parquet, one streaming pass), the project (``fce run``), the fiche
lookups, the incremental refresh (one new Wiki'T file) and the peer method (PostgreSQL COPY and
a SQL build of the core of fiche_etablissement). See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NATIONAL_ETABLISSEMENTS = 42_900_000
NATIONAL_UNITES_LEGALES = 29_300_000
NATIONAL_DSN_PER_MONTH = 2_000_000
DSN_SHARE = 0.42  # share of `etablissements` inbox_hr puts in each dsn_effectifs month
AS_OF = dt.date(2026, 12, 15)  # FCE_AS_OF of both runs
BASE_INBOX_DAY = dt.date(2026, 12, 1)  # as_of of the generated inbox
NEW_WIKIT_DAY = dt.date(2026, 12, 15)  # as_of of the Wiki'T extract dropped for the increment
SIRENE_ZIPS = (
    "StockEtablissement_utf8.zip",
    "StockUniteLegale_utf8.zip",
    "StockEtablissementLiensSuccession_utf8.zip",
)
TARGETS = {
    "full_over_raw_max": 2.5,
    "peer_over_project_min": 2.0,
    "step_peak_rss_max_bytes": 8 * 1024**3,
    "incremental_over_full_max": 0.05,
    "lookup_median_max_ms": 20.0,
    "search_median_max_ms": 300.0,
}
DISK_BYTES_AT_FULL_SCALE = 220 * 10**9
"""Disk a run needs at scale 1.0 (it scales with --scale), ten times what a run at 0.1 used at
its fullest, during the peer: the working folder after the incremental refresh (13.4 GB:
inputs, unzipped SIRENE, landing, lake, dbt's two files, published file, two export
snapshots), the public archives unzipped again (1.5 GB) and the peer's PostgreSQL database
(6.4 GB). ``disk`` in the report gives them as measured."""
PAGE = os.sysconf("SC_PAGE_SIZE")
CHILDREN: list[subprocess.Popen] = []


# ---------------------------------------------------------------------------------------------
# Memory of a process tree, sampled


class TreeSampler(threading.Thread):
    """Samples the summed resident memory of a process and its descendants every `period` s."""

    def __init__(self, pid: int, period: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.period = period
        self.samples: list[tuple[float, int]] = []
        self.hwm: dict[int, int] = {}
        self._halt = threading.Event()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def _sample(self) -> None:
        total = 0
        for pid in self._tree():
            try:
                with open(f"/proc/{pid}/statm", "rb") as handle:
                    total += int(handle.read().split()[1]) * PAGE
                with open(f"/proc/{pid}/status", "rb") as handle:
                    for line in handle:
                        if line.startswith(b"VmHWM:"):
                            kib = int(line.split()[1]) * 1024
                            self.hwm[pid] = max(self.hwm.get(pid, 0), kib)
                            break
            except (OSError, ValueError, IndexError):
                continue
        self.samples.append((time.time(), total))

    def run(self) -> None:
        while not self._halt.is_set():
            self._sample()
            self._halt.wait(self.period)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def peak(self, start: float | None = None, end: float | None = None) -> int:
        """Highest summed RSS between `start` and `end` (epoch seconds), sampled."""
        values = [
            rss
            for t, rss in self.samples
            if (start is None or t >= start - self.period) and (end is None or t <= end + 0.5)
        ]
        return max(values, default=0)

    def peak_process_hwm(self) -> int:
        return max(self.hwm.values(), default=0)


def run_measured(cmd: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT) -> dict:
    """Run `cmd`, its output in `log`; return wall time, exit code and peak memory."""
    started = time.time()
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        CHILDREN.append(process)
        sampler = TreeSampler(process.pid)
        sampler.start()
        code = process.wait()
        sampler.stop()
        CHILDREN.remove(process)
    ended = time.time()
    return {
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "returncode": code,
        "seconds": round(ended - started, 3),
        "started": started,
        "ended": ended,
        "peak_rss_tree_bytes": sampler.peak(),
        "peak_rss_single_process_bytes": sampler.peak_process_hwm(),
        "sampler": sampler,
    }


# ---------------------------------------------------------------------------------------------
# Inputs


def count_lines(path: Path) -> int:
    """Data rows of a CSV (lines minus the header; no quoted line ends in these files)."""
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            lines += chunk.count(b"\n")
    return max(0, lines - 1)


GENERATION_WORKERS = 2
"""Processes generating the files that only need the SIRENE stock (the machine's two cores)."""


def _ids(csv: Path, column: str) -> list[str]:
    import polars as pl

    return pl.scan_csv(csv, infer_schema=False).select(column).collect()[column].to_list()


def _generate(task: str, work: Path, etablissements: int, hr_size: int, seed: int) -> float:
    """Write one generator's files (in a worker process); return its seconds.

    Each generator draws from its own seed, so the files are the same bytes whether the tasks
    run one after the other or side by side.
    """
    from sources.sample.inbox_controls import generate_controls
    from sources.sample.inbox_hr import generate_hr
    from sources.sample.public import ENRICHMENT

    t0 = time.perf_counter()
    if task in ("controls", "hr"):
        csv_dir, inbox = work / "sirene_csv", work / "inbox"
        sirets = _ids(csv_dir / "StockEtablissement_utf8.csv", "siret")
        sirens = _ids(csv_dir / "StockUniteLegale_utf8.csv", "siren")
        if task == "controls":
            generate_controls(
                inbox, sirets, sirens, etablissements, seed=seed, as_of=BASE_INBOX_DAY
            )
        else:
            generate_hr(inbox, sirets, sirens, hr_size, seed=seed, as_of=BASE_INBOX_DAY)
    else:
        [generate] = [g for g in ENRICHMENT if g.__name__ == task]
        generate(work / "mirror", etablissements, seed)
    return time.perf_counter() - t0


def generate_inputs(work: Path, etablissements: int, hr_size: int, seed: int) -> dict:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from sources.sample.public import ENRICHMENT
    from sources.sample.sirene import generate_sirene

    mirror, inbox, csv_dir = work / "mirror", work / "inbox", work / "sirene_csv"
    for folder in (mirror, inbox, csv_dir):
        folder.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    generate_sirene(mirror, etablissements, seed)
    timings["sirene"] = time.perf_counter() - t0
    csvs = unzip_sirene(mirror, csv_dir)
    # every other file only reads the stock: the generators run side by side, the slowest
    # (HR, SIRENE history) first
    tasks = ["hr", "generate_sirene_historique", "controls"]
    tasks += [g.__name__ for g in ENRICHMENT if g.__name__ not in tasks]
    t0 = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(GENERATION_WORKERS, mp_context=spawn) as pool:
        futures = {
            task: pool.submit(_generate, task, work, etablissements, hr_size, seed)
            for task in tasks
        }
        for task, future in futures.items():
            timings[task.removeprefix("generate_")] = future.result()
    timings["side_by_side_wall"] = time.perf_counter() - t0
    files = {
        name: {"rows": count_lines(path), "bytes": path.stat().st_size}
        for name, path in csvs.items()
    }
    for path in sorted(mirror.iterdir()):
        if path.name not in SIRENE_ZIPS:  # the public enrichment files: rows in raw_limit
            files[f"mirror/{path.name}"] = {"rows": None, "bytes": path.stat().st_size}
    for path in sorted(inbox.glob("*/*")):
        if path.is_file():
            rows = count_lines(path) if path.suffix.lower() == ".csv" else None
            key = f"inbox/{path.parent.name}/{path.name}"
            files[key] = {"rows": rows, "bytes": path.stat().st_size}
    per_source: dict[str, int] = {}
    for key, info in files.items():
        if key.startswith("mirror/"):
            continue
        source = key.split("/")[1] if key.startswith("inbox/") else "sirene"
        per_source[source] = per_source.get(source, 0) + (info["rows"] or 0)
    return {
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "files": files,
        "rows_per_source": per_source,
        "sirene_csv": {k: str(v) for k, v in csvs.items()},
    }


def reuse_inputs(work: Path, inputs_file: Path, etablissements: int, seed: int) -> dict:
    """The inputs of an earlier run in ``work``, its warehouse and increment removed."""
    if not inputs_file.is_file():
        raise SystemExit(f"--reuse-inputs: {inputs_file} is missing; generate the inputs first")
    inputs = json.loads(inputs_file.read_text())
    if (inputs.get("etablissements"), inputs.get("seed")) != (etablissements, seed):
        raise SystemExit(
            f"--reuse-inputs: {inputs_file} holds {inputs.get('etablissements')} etablissements "
            f"(seed {inputs.get('seed')}), not {etablissements} (seed {seed})"
        )
    generated = {k.removeprefix("inbox/") for k in inputs["files"] if k.startswith("inbox/")}
    for path in sorted((work / "inbox").glob("*/*")):
        if path.is_file() and f"{path.parent.name}/{path.name}" not in generated:
            path.unlink()  # the increment of the earlier run
    for folder in ("warehouse", "raw", "raw_input", "increment"):
        shutil.rmtree(work / folder, ignore_errors=True)
    return inputs


def unzip_member(archive_path: Path, target: Path) -> None:
    """Write the single member of ``archive_path`` (the producers' zips hold one) to ``target``."""
    with zipfile.ZipFile(archive_path) as archive:
        member = archive.namelist()[0]
        with archive.open(member) as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)


def unzip_sirene(mirror: Path, csv_dir: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    csv_dir.mkdir(parents=True, exist_ok=True)
    for name in SIRENE_ZIPS:
        target = csv_dir / name.replace(".zip", ".csv")
        if not target.exists():
            unzip_member(mirror / name, target)
        out[name] = target
    return out


def new_wikit_file(work: Path, etablissements: int, seed: int) -> Path:
    """A new Wiki'T extract (another seed, a later date), written outside the inbox."""
    from sources.sample.inbox_controls import generate_controls

    scratch = work / "increment"
    shutil.rmtree(scratch, ignore_errors=True)
    sirets = _ids(work / "sirene_csv" / "StockEtablissement_utf8.csv", "siret")
    sirens = _ids(work / "sirene_csv" / "StockUniteLegale_utf8.csv", "siren")
    written = generate_controls(
        scratch, sirets, sirens, etablissements, seed=seed + 1, as_of=NEW_WIKIT_DAY
    )
    return next(p for p in written["wikit"] if p.suffix == ".csv")


# ---------------------------------------------------------------------------------------------
# (1) raw limit: one polars pass per file the project reads, in a child process


def unzip_other_public(mirror: Path, out_dir: Path) -> None:
    """Unzip the public archives other than the SIRENE stock's three (history, geolocation)."""
    from sources.registry import PUBLIC

    out_dir.mkdir(parents=True, exist_ok=True)
    for contract in PUBLIC:
        if contract.file_name in SIRENE_ZIPS or not contract.file_name.endswith(".zip"):
            continue
        unzip_member(
            mirror / contract.file_name, out_dir / contract.file_name.replace(".zip", ".csv")
        )


def raw_jobs(work: Path) -> list[dict]:
    """One job per file the project reads: every public file and every inbox CSV."""
    from sources.inbox import matching_files
    from sources.registry import INTERNAL, PUBLIC

    jobs = [
        {
            "src": str(work / "sirene_csv" / n.replace(".zip", ".csv")),
            "sep": ",",
            "kind": "csv",
            "dataset": None,  # the SIRENE stock: loaded by the peer under its own names
            "encoding": "utf-8",
        }
        for n in SIRENE_ZIPS
    ]
    for contract in PUBLIC:
        name = contract.file_name
        if name in SIRENE_ZIPS:
            continue
        if name.endswith(".zip"):
            src = work / "raw_input" / name.replace(".zip", ".csv")
        else:
            src = work / "mirror" / name
        job = {
            "src": str(src),
            "sep": contract.separator,
            "kind": contract.file_format,
            "dataset": contract.dataset,
            "encoding": contract.encoding,
        }
        if contract.sheet:
            job["sheet"] = contract.sheet
        jobs.append(job)
    for contract in INTERNAL:
        if contract.json_records:
            continue
        for path in matching_files(work / "inbox" / contract.source, contract):
            jobs.append(
                {
                    "src": str(path),
                    "sep": contract.separator,
                    "kind": "csv",
                    "dataset": contract.dataset,
                    "encoding": contract.encoding,
                }
            )
    for index, job in enumerate(jobs):
        job["dst"] = str(work / "raw" / f"{index:03d}_{Path(job['src']).stem}.parquet")
    return jobs


def raw_pass(spec: Path) -> None:
    """Child side of the raw limit: every string, no typing, no check."""
    import polars as pl

    jobs = json.loads(spec.read_text())
    results = []
    for job in jobs:
        Path(job["dst"]).parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        if job["kind"] == "parquet":
            pl.scan_parquet(job["src"]).sink_parquet(job["dst"])
        elif job["kind"] == "xlsx":
            # no streaming reader for a workbook: the project reads it whole too
            pl.read_excel(
                job["src"], sheet_name=job["sheet"], engine="calamine", infer_schema_length=0
            ).write_parquet(job["dst"])
        else:
            pl.scan_csv(
                job["src"],
                separator=job["sep"],
                infer_schema=False,
                encoding="utf8-lossy",
                quote_char='"',
                truncate_ragged_lines=True,
            ).sink_parquet(job["dst"])
        results.append({"file": Path(job["src"]).name, "seconds": time.perf_counter() - t0})
    print(json.dumps(results))


def measure_raw(work: Path, python: str, logs: Path) -> dict:
    import polars as pl

    jobs = raw_jobs(work)
    spec = work / "raw_jobs.json"
    spec.write_text(json.dumps(jobs))
    cmd = [python, str(Path(__file__).resolve()), "--raw-pass", str(spec)]
    measured = run_measured(cmd, dict(os.environ), logs / "raw.log")
    measured.pop("sampler")
    if measured["returncode"] != 0:
        raise RuntimeError(f"raw pass failed, see {logs / 'raw.log'}")
    per_file = json.loads((logs / "raw.log").read_text().strip().splitlines()[-1])
    rows = 0
    for job, result in zip(jobs, per_file, strict=True):
        result["rows"] = pl.scan_parquet(job["dst"]).select(pl.len()).collect().item()
        result["seconds"] = round(result["seconds"], 3)
        rows += result["rows"]
    return {**measured, "rows": rows, "files": per_file}


# ---------------------------------------------------------------------------------------------
# (2) and (4): the project's job in a subprocess


def job_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FCE_")}
    warehouse = work / "warehouse"
    env.update(
        FCE_WAREHOUSE=str(warehouse),
        FCE_AS_OF=AS_OF.isoformat(),
        FCE_DOWNLOAD_MIRROR=str(work / "mirror"),
        FCE_INBOX=str(work / "inbox"),
        DAGSTER_HOME=str(ROOT),
        FCE_DAGSTER_STORAGE=str(warehouse / ".dagster"),
    )
    env.pop("FCE_POSTGRES_DSN", None)
    return env


def step_stats(storage: Path) -> tuple[str | None, list[dict]]:
    """Step keys, status, start and end of the newest run, read from Dagster's storage."""
    os.environ["DAGSTER_HOME"] = str(ROOT)
    os.environ["FCE_DAGSTER_STORAGE"] = str(storage)
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return None, []
        run = runs[0]
        stats = instance.get_run_step_stats(run.run_id)
    steps = [
        {
            "step": s.step_key,
            "status": s.status.value if s.status else None,
            "start": s.start_time,
            "end": s.end_time,
        }
        for s in stats
    ]
    return run.run_id, sorted(steps, key=lambda s: s["start"] or 0)


def published_rows(db: Path) -> dict[str, int]:
    import duckdb

    if not db.exists():
        return {}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}


def measure_job(work: Path, python: str, log: Path, *args: str) -> dict:
    env = job_env(work)
    cmd = [python, "-m", "pipelines.cli", "run", *args]
    measured = run_measured(cmd, env, log)
    sampler: TreeSampler = measured.pop("sampler")
    run_id, steps = step_stats(Path(env["FCE_DAGSTER_STORAGE"]))
    for step in steps:
        if step["start"] and step["end"]:
            step["seconds"] = round(step["end"] - step["start"], 3)
            step["peak_rss_tree_bytes"] = sampler.peak(step["start"], step["end"])
    measured["run_id"] = run_id
    measured["steps"] = steps
    measured["max_step_peak_rss_bytes"] = max(
        (s.get("peak_rss_tree_bytes", 0) for s in steps), default=0
    )
    measured["dbt"] = dbt_breakdown(Path(env["FCE_WAREHOUSE"]) / "build" / "dbt_timings.json")
    rows = published_rows(Path(env["FCE_WAREHOUSE"]) / "fce.duckdb")
    measured["published_rows"] = rows
    measured["rows"] = rows.get("fiche_etablissement")
    if measured["returncode"] != 0:
        measured["error_tail"] = log.read_text(errors="replace")[-3000:]
    return measured


def dbt_breakdown(timings_file: Path, slowest: int = 25) -> dict | None:
    """Where the dbt step's time goes: seconds summed by kind (model, test, seed, unit test)
    and the slowest nodes, from the timings the dbt asset keeps (pipelines/dbt.py). Nodes run
    two at a time (dbt threads), so the sums exceed the step's wall time."""
    if not timings_file.is_file():
        return None
    timings = json.loads(timings_file.read_text())
    by_kind: dict[str, dict] = {}
    for node in timings:
        kind = by_kind.setdefault(node["kind"], {"nodes": 0, "seconds": 0.0})
        kind["nodes"] += 1
        kind["seconds"] = round(kind["seconds"] + node["seconds"], 3)
    return {"by_kind": by_kind, "slowest": timings[:slowest]}


# ---------------------------------------------------------------------------------------------
# Fiche lookups


LOOKUP_TARGETS = ("duckdb", "parquet")
"""The lookups the 20 ms target applies to: the published file and the Parquet export, each
read the project's way; ``parquet_duckdb`` (DuckDB on the export) is there to compare."""


def measure_lookups(warehouse: Path, count: int = 200, seed: int = 7) -> dict:
    import duckdb

    from pipelines.parquet_fiches import ParquetFiches

    db = warehouse / "fce.duckdb"
    parquet = warehouse / "exports" / "current" / "fiche_etablissement.parquet"
    if not parquet.exists():  # exports split in sub-folders: take the fullest copy
        found = sorted((warehouse / "exports" / "current").glob("*/fiche_etablissement.parquet"))
        parquet = max(found, key=lambda p: p.stat().st_size) if found else parquet
    with duckdb.connect(str(db), read_only=True) as con:
        sirets = [r[0] for r in con.execute("select siret from fiche_etablissement").fetchall()]
    rng = random.Random(seed)
    picks = [rng.choice(sirets) for _ in range(count)]
    warm = [rng.choice(sirets) for _ in range(20)]
    del sirets

    def timed(find) -> dict:
        for siret in warm:
            find(siret)
        durations, found = [], 0
        for siret in picks:
            t0 = time.perf_counter()
            found += len(find(siret))
            durations.append((time.perf_counter() - t0) * 1000)
        durations.sort()
        return {
            "lookups": count,
            "found": found,
            "median_ms": round(statistics.median(durations), 3),
            "p95_ms": round(durations[int(0.95 * (count - 1))], 3),
            "max_ms": round(durations[-1], 3),
        }

    def on(con: duckdb.DuckDBPyConnection, sql: str):
        return lambda siret: con.execute(sql, [siret]).fetchall()

    with duckdb.connect(str(db), read_only=True) as con:
        on_db = timed(on(con, "select * from fiche_etablissement where siret = ?"))
    # the portal's way (pipelines.parquet_fiches): polars, the footer read once, the key
    # column decoded first and the other columns of the matching row only
    on_parquet = timed(ParquetFiches(parquet.parent).lookup)
    on_parquet["file"] = str(parquet.relative_to(warehouse))
    on_parquet["reader"] = "pipelines.parquet_fiches.ParquetFiches (polars)"
    with duckdb.connect() as con:
        # DuckDB on the same file decodes every column of the row group it reads
        con.execute("set parquet_metadata_cache = true")
        path = str(parquet).replace("'", "''")
        on_duckdb = timed(on(con, f"select * from read_parquet('{path}') where siret = ?"))
    on_duckdb["file"] = on_parquet["file"]
    on_duckdb["reader"] = "duckdb read_parquet, parquet_metadata_cache = true"
    return {"duckdb": on_db, "parquet": on_parquet, "parquet_duckdb": on_duckdb}


def measure_search(warehouse: Path) -> dict:
    """``fce search`` on the published file: the fixed queries of bench/search.py, 3 runs each."""
    from bench.search import QUERIES, measure_queries, summary

    per_query, timings, cpu = measure_queries(warehouse / "fce.duckdb", list(QUERIES), repeat=3)
    return {"queries": per_query, **summary(timings, cpu)}


# ---------------------------------------------------------------------------------------------
# (3) peer: PostgreSQL COPY of the unzipped CSVs and a SQL build of the core fiche


SEEDS = (
    "naf",
    "categories_juridiques",
    "tranches_effectifs",
    "communes",
    "departements",
    "regions",
)

PEER_BUILD = """
create table fiche_etablissement as
select
    e.siret,
    e.siren,
    e.nic,
    e."etablissementSiege" = 'true' as est_siege,
    e."etatAdministratifEtablissement" as etat_administratif,
    e."dateCreationEtablissement" as date_creation,
    e."statutDiffusionEtablissement" as statut_diffusion,
    coalesce(u."denominationUniteLegale", nullif(concat_ws(' ',
        coalesce(u."prenomUsuelUniteLegale", u."prenom1UniteLegale"),
        coalesce(u."nomUsageUniteLegale", u."nomUniteLegale")), '')) as denomination,
    nullif(concat_ws(' ', e."enseigne1Etablissement", e."enseigne2Etablissement",
        e."enseigne3Etablissement"), '') as enseigne,
    e."activitePrincipaleEtablissement" as code_naf,
    naf.libelle_naf,
    u."categorieJuridiqueUniteLegale" as categorie_juridique,
    cj.libelle_categorie_juridique,
    e."trancheEffectifsEtablissement" as tranche_effectifs,
    te.libelle_tranche as libelle_tranche_effectifs,
    nullif(concat_ws(', ', e."complementAdresseEtablissement",
        nullif(concat_ws(' ', e."numeroVoieEtablissement", e."typeVoieEtablissement",
            e."libelleVoieEtablissement"), ''),
        nullif(concat_ws(' ', e."codePostalEtablissement", e."libelleCommuneEtablissement"), '')
    ), '') as adresse,
    e."codePostalEtablissement" as code_postal,
    e."codeCommuneEtablissement" as code_commune,
    coalesce(c.libelle_commune, e."libelleCommuneEtablissement") as libelle_commune,
    dep.code_departement as departement,
    dep.libelle_departement,
    r.code_region as region,
    r.libelle_region
from etablissement as e
left join unite_legale as u on u.siren = e.siren
left join naf on naf.code_naf = e."activitePrincipaleEtablissement"
    and e."nomenclatureActivitePrincipaleEtablissement" = 'NAFRev2'
left join categories_juridiques as cj
    on cj.code_categorie_juridique = u."categorieJuridiqueUniteLegale" and cj.niveau = '3'
left join tranches_effectifs as te on te.code_tranche = e."trancheEffectifsEtablissement"
left join communes as c on c.code_commune = e."codeCommuneEtablissement"
left join departements as dep on dep.code_departement = case
    when left(e."codeCommuneEtablissement", 2) in ('97', '98')
        then left(e."codeCommuneEtablissement", 3)
    else left(e."codeCommuneEtablissement", 2) end
left join regions as r on r.code_region = coalesce(c.code_region, dep.code_region)
"""

PEER_INDEXES = (
    "create unique index on unite_legale (siren)",
    "create index on naf (code_naf)",
    "create index on categories_juridiques (code_categorie_juridique, niveau)",
    "create index on tranches_effectifs (code_tranche)",
    "create index on communes (code_commune)",
    "create index on departements (code_departement)",
    "create index on regions (code_region)",
)


def _backend_hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


PG_ENCODINGS = {"utf-8": "UTF8", "windows-1252": "WIN1252"}


def _peer_copy(con, table: str, path: Path, sep: str, encoding: str, create: bool) -> None:
    """``COPY`` one CSV into ``table`` (text columns named from its header, made if ``create``)."""
    import csv

    from psycopg import sql

    if create:
        python_encoding = "utf-8-sig" if encoding == "utf-8" else encoding
        with path.open(encoding=python_encoding, newline="") as handle:
            header = next(csv.reader(handle, delimiter=sep))
        names: list[str] = []
        for raw in header:
            name = raw.strip()[:60] or "colonne"
            while name in names:  # PostgreSQL wants distinct names
                name += "_"
            names.append(name)
        columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(n)) for n in names)
        con.execute(sql.SQL("create unlogged table {} ({})").format(sql.Identifier(table), columns))
    copy = sql.SQL(
        "copy {} from stdin with (format csv, header true, delimiter {}, encoding {})"
    ).format(sql.Identifier(table), sql.Literal(sep), sql.Literal(PG_ENCODINGS[encoding]))
    with con.cursor() as cur, cur.copy(copy) as writer, path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            writer.write(chunk)


def measure_peer(work: Path, csvs: dict[str, str], admin_dsn: str, others: list[dict]) -> dict:
    """The old method on the same files: every CSV the project reads copied into PostgreSQL
    (``others``: the raw limit's CSV jobs other than the SIRENE stock, one table per dataset),
    the label seeds, indexes, and the SQL build of the SIRENE core of the fiche."""
    import psycopg
    from psycopg import sql

    name = f"fce_bench_{os.getpid()}"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        dsn = psycopg.conninfo.make_conninfo(admin_dsn, dbname=name)
    try:
        # the SIRENE stock under the names PEER_BUILD reads, in the order of SIRENE_ZIPS
        stock = ("etablissement", "unite_legale", "lien_succession")
        files = [
            (table, Path(csvs[archive]), ",", "utf-8")
            for table, archive in zip(stock, SIRENE_ZIPS, strict=True)
        ]
        for seed in SEEDS:
            files.append((seed, ROOT / "dbt_project" / "seeds" / f"{seed}.csv", ",", "utf-8"))
        for job in others:
            files.append((job["dataset"], Path(job["src"]), job["sep"], job["encoding"]))
        timings: dict[str, float] = {}
        copy_seconds: dict[str, float] = {}
        rows: dict[str, int] = {}
        with psycopg.connect(dsn, autocommit=True) as con:
            backend = con.info.backend_pid
            t0 = time.perf_counter()
            for table, path, sep, encoding in files:
                t1 = time.perf_counter()
                _peer_copy(con, table, path, sep, encoding, create=table not in rows)
                copy_seconds[table] = copy_seconds.get(table, 0.0) + time.perf_counter() - t1
                rows[table] = con.execute(
                    sql.SQL("select count(*) from {}").format(sql.Identifier(table))
                ).fetchone()[0]
            timings["copy"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            for statement in PEER_INDEXES:
                con.execute(statement)
            con.execute("analyze")
            timings["indexes"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            con.execute(PEER_BUILD)
            timings["build"] = time.perf_counter() - t0
            rows["fiche_etablissement"] = con.execute(
                "select count(*) from fiche_etablissement"
            ).fetchone()[0]
            backend_hwm = _backend_hwm(backend)
            settings = dict(
                con.execute(
                    "select name, setting from pg_settings where name in "
                    "('shared_buffers', 'work_mem', 'maintenance_work_mem', "
                    "'max_parallel_workers_per_gather')"
                ).fetchall()
            )
            version = con.execute("show server_version").fetchone()[0]
            size = con.execute("select pg_database_size(current_database())").fetchone()
            database_bytes = size[0]
        return {
            "seconds": round(sum(timings.values()), 3),
            "steps_seconds": {k: round(v, 3) for k, v in timings.items()},
            "copy_seconds": {k: round(v, 3) for k, v in copy_seconds.items()},
            "rows": rows["fiche_etablissement"],
            "table_rows": rows,
            "peak_rss_backend_bytes": backend_hwm,
            "database_bytes": database_bytes,
            "server": {"version": version, **settings},
        }
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(name)))


# ---------------------------------------------------------------------------------------------
# Disk


def disk_use(work: Path) -> dict:
    """The working folder's bytes on disk, in all and by part: each top folder, and each part of
    the warehouse apart. One walk; a hard-linked file counts once in the total and once in each
    part that holds it."""
    seen: dict[str, set[tuple[int, int]]] = {}
    sizes: dict[str, int] = {p.name: 0 for p in work.iterdir() if p.is_dir()}
    total = "."
    for folder, dirs, files in os.walk(work):
        dirs.sort()
        relative = Path(folder).relative_to(work).parts
        for name in files:
            try:
                stat = os.lstat(os.path.join(folder, name))
            except FileNotFoundError:
                continue
            keys = [total]
            if relative:
                keys.append(relative[0])
            if relative[:1] == ("warehouse",):
                keys.append("warehouse/" + (relative[1] if len(relative) > 1 else name))
            for key in keys:
                inodes = seen.setdefault(key, set())
                if (stat.st_dev, stat.st_ino) not in inodes:
                    inodes.add((stat.st_dev, stat.st_ino))
                    sizes[key] = sizes.get(key, 0) + stat.st_blocks * 512
    work_bytes = sizes.pop(total, 0)
    return {"work_bytes": work_bytes, "parts_bytes": dict(sorted(sizes.items()))}


def check_disk(work: Path, scale: float) -> None:
    """Stop before generating anything when the working folder's disk cannot hold the run."""
    needed = DISK_BYTES_AT_FULL_SCALE * scale
    free = shutil.disk_usage(work).free
    if free < needed:
        raise SystemExit(
            f"bench: a run at scale {scale:g} needs about {needed / 1e9:.0f} GB of disk "
            f"(bench/run.py, DISK_BYTES_AT_FULL_SCALE) and {work} has {free / 1e9:.0f} GB "
            "free: give --work a folder on a larger disk, or pass --ignore-disk to try anyway"
        )


# ---------------------------------------------------------------------------------------------
# Report


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_bytes": os.sysconf("SC_PHYS_PAGES") * PAGE,
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
    }


def gib(value: int | None) -> str:
    return "-" if not value else f"{value / 1024**3:.2f} GiB"


def verdicts(result: dict) -> dict:
    out: dict[str, dict] = {}
    raw, full, inc = result["raw_limit"], result["project"], result.get("incremental")
    ratio = full["seconds"] / raw["seconds"]
    out["full_over_raw"] = {
        "value": round(ratio, 2),
        "target": "<= 2.5",
        "pass": ratio <= TARGETS["full_over_raw_max"],
        "margin": f"{ratio / TARGETS['full_over_raw_max']:.2f}x the limit",
    }
    peer = result.get("peer")
    if peer:
        speed = peer["seconds"] / full["seconds"]
        out["peer_over_project"] = {
            "value": round(speed, 2),
            "target": ">= 2",
            "pass": speed >= TARGETS["peer_over_project_min"],
            "margin": f"{speed / TARGETS['peer_over_project_min']:.2f}x the target",
        }
    step_peak = full["max_step_peak_rss_bytes"]
    out["step_peak_rss"] = {
        "value_bytes": step_peak,
        "target": "< 8 GiB",
        "pass": step_peak < TARGETS["step_peak_rss_max_bytes"],
        "margin": f"{step_peak / TARGETS['step_peak_rss_max_bytes']:.1%} of 8 GiB",
    }
    if inc:
        share = inc["seconds"] / full["seconds"]
        out["incremental_over_full"] = {
            "value": round(share, 3),
            "target": "< 0.05",
            "pass": share < TARGETS["incremental_over_full_max"],
            "margin": f"{share / 0.05:.1f}x the limit",
        }
    if result.get("search"):
        median = result["search"]["median_ms"]
        out["search_median"] = {
            "value_ms": median,
            "target": "< 300 ms",
            "pass": median < TARGETS["search_median_max_ms"],
            "margin": f"{median / TARGETS['search_median_max_ms']:.2f}x the limit",
        }
    for kind, figures in (result.get("lookups") or {}).items():
        if kind not in LOOKUP_TARGETS:
            continue
        median = figures["median_ms"]
        out[f"lookup_{kind}_median"] = {
            "value_ms": median,
            "target": "< 20 ms",
            "pass": median < TARGETS["lookup_median_max_ms"],
            "margin": f"{median / 20:.2f}x the limit",
        }
    return out


def print_table(result: dict) -> None:
    rows = [
        ("raw limit (polars CSV->Parquet)", result["raw_limit"]),
        ("project full refresh (fce run)", result["project"]),
    ]
    if result.get("incremental"):
        rows.append(("project incremental (new Wiki'T)", result["incremental"]))
    if result.get("peer"):
        rows.append(("peer (PostgreSQL COPY + SQL)", result["peer"]))
    print(f"\nscale {result['scale']}: {result['etablissements']:,} etablissements")
    print(f"{'measure':<36}{'seconds':>10}{'peak memory':>14}{'rows':>14}")
    for label, fig in rows:
        memory = fig.get("peak_rss_tree_bytes") or fig.get("peak_rss_backend_bytes")
        print(f"{label:<36}{fig['seconds']:>10.1f}{gib(memory):>14}{fig.get('rows') or 0:>14,}")
    for kind, fig in (result.get("lookups") or {}).items():
        print(
            f"lookup by SIRET on {kind:<17}median {fig['median_ms']:.2f} ms, "
            f"p95 {fig['p95_ms']:.2f} ms"
        )
    if result.get("search"):
        fig = result["search"]
        print(
            f"{'fce search (text queries)':<36}median {fig['median_ms']:.1f} ms, "
            f"p95 {fig['p95_ms']:.1f} ms"
        )
    print("\nratios and targets")
    for name, verdict in result["targets"].items():
        value = verdict.get("value", verdict.get("value_ms", verdict.get("value_bytes")))
        if name == "step_peak_rss":
            value = gib(value)
        state = "PASS" if verdict["pass"] else "MISS"
        print(
            f"  {name:<26}{value!s:>12}  target {verdict['target']:<8} {state} "
            f"({verdict['margin']})"
        )


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=0.01,
        help="share of the national stock (1.0 = 42.9 M etablissements)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "bench" / "results",
        help="folder of the JSON result (default bench/results)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated inputs and the warehouse"
    )
    parser.add_argument("--skip-postgres", action="store_true", help="skip the peer method")
    parser.add_argument(
        "--reuse-inputs",
        action="store_true",
        help="take the inputs an earlier run generated in --work (same scale and seed) and "
        "measure again on them; the warehouse is started afresh",
    )
    parser.add_argument(
        "--inputs-only", action="store_true", help="generate the inputs in --work and stop"
    )
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--postgres-dsn",
        default=os.environ.get("FCE_TEST_POSTGRES_DSN", "postgresql:///test"),
        help="server on which a throwaway database is created",
    )
    parser.add_argument(
        "--ignore-disk",
        action="store_true",
        help="start even when the working folder's disk looks too small for the scale",
    )
    parser.add_argument("--raw-pass", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.raw_pass:
        raw_pass(args.raw_pass)
        return 0
    if not 0 < args.scale <= 1.0:
        parser.error("--scale must be in (0, 1]")
    etablissements = max(2000, round(NATIONAL_ETABLISSEMENTS * args.scale))
    # inbox_hr sizes every HR source from one number; pick it so that dsn_effectifs has the
    # national ratio of about 2 M employer establishments a month for 42.9 M etablissements.
    hr_size = max(
        2000, round(etablissements * NATIONAL_DSN_PER_MONTH / (DSN_SHARE * NATIONAL_ETABLISSEMENTS))
    )
    python = sys.executable
    work = args.work or Path(tempfile.mkdtemp(prefix=f"fce-bench-{args.scale}-"))
    work.mkdir(parents=True, exist_ok=True)
    if not args.ignore_disk and not args.reuse_inputs:
        check_disk(work, args.scale)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    result: dict = {
        "scale": args.scale,
        "date": started.date().isoformat(),
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "etablissements": etablissements,
        "hr_size": hr_size,
        "as_of": AS_OF.isoformat(),
        "work": str(work),
        "status": "incomplete",
    }
    report = args.out / f"{args.scale:g}-{result['date']}.json"

    def save() -> None:
        if args.inputs_only:
            return
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(result, indent=2, default=str) + "\n")

    def interrupted(signum: int, frame: object) -> None:
        for child in CHILDREN:
            child.terminate()
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    try:
        inputs_file = work / "inputs.json"
        if args.reuse_inputs:
            result["inputs"] = reuse_inputs(work, inputs_file, etablissements, args.seed)
            print(f"[bench] reusing the inputs of {inputs_file}", flush=True)
        else:
            print(f"[bench] generating inputs in {work} ...", flush=True)
            result["inputs"] = generate_inputs(work, etablissements, hr_size, args.seed)
            result["inputs"]["etablissements"] = etablissements
            result["inputs"]["seed"] = args.seed
            inputs_file.write_text(json.dumps(result["inputs"], indent=2) + "\n")
        if args.inputs_only:
            result["status"] = "inputs only"
            return 0
        print(f"[bench] inputs: {result['inputs']['rows_per_source']}", flush=True)
        t0 = time.perf_counter()
        shutil.rmtree(work / "sirene_csv")
        csvs = unzip_sirene(work / "mirror", work / "sirene_csv")
        unzip_seconds = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        shutil.rmtree(work / "raw_input", ignore_errors=True)
        unzip_other_public(work / "mirror", work / "raw_input")
        unzip_other_seconds = round(time.perf_counter() - t0, 3)
        save()
        print("[bench] (1) raw limit ...", flush=True)
        raw = measure_raw(work, python, logs)
        # the unzipped copies and the raw Parquet are not needed any more: room for the job
        shutil.rmtree(work / "raw_input", ignore_errors=True)
        shutil.rmtree(work / "raw", ignore_errors=True)
        raw["unzip_seconds"] = round(unzip_seconds + unzip_other_seconds, 3)
        raw["convert_seconds"] = raw["seconds"]
        raw["seconds"] = round(raw["seconds"] + raw["unzip_seconds"], 3)
        result["raw_limit"] = raw
        save()
        print("[bench] (2) project, full refresh ...", flush=True)
        full = measure_job(work, python, logs / "job_full.log")
        result["project"] = full
        if full["returncode"] != 0:
            raise RuntimeError(f"the job failed, see {logs / 'job_full.log'}")
        save()
        print("[bench] fiche lookups ...", flush=True)
        result["lookups"] = measure_lookups(work / "warehouse")
        print("[bench] fce search ...", flush=True)
        result["search"] = measure_search(work / "warehouse")
        save()
        print("[bench] (4) incremental ...", flush=True)
        new_file = new_wikit_file(work, etablissements, args.seed)
        target = work / "inbox" / "wikit" / new_file.name
        shutil.copy2(new_file, target)
        os.utime(target)
        # what the inbox sensor runs for a new Wiki'T file: that source and what depends on it
        inc = measure_job(work, python, logs / "job_incremental.log", "--source", "wikit")
        inc["new_file"] = {
            "name": new_file.name,
            "rows": count_lines(target),
            "bytes": target.stat().st_size,
        }
        result["incremental"] = inc
        if inc["returncode"] != 0:
            raise RuntimeError(f"the incremental job failed, see {logs / 'job_incremental.log'}")
        result["disk"] = disk_use(work)
        published = work / "warehouse" / "fce.duckdb"
        # publishing copies the marts file next to it before the switch: one more such file
        result["disk"]["published_copy_bytes"] = published.stat().st_blocks * 512
        save()
        if args.skip_postgres:
            result["peer"] = None
        else:
            print("[bench] (3) peer: PostgreSQL ...", flush=True)
            # the public archives other than the SIRENE stock, unzipped again (and counted)
            t0 = time.perf_counter()
            unzip_other_public(work / "mirror", work / "raw_input")
            peer_unzip = unzip_seconds + time.perf_counter() - t0
            others = [j for j in raw_jobs(work) if j["kind"] == "csv" and j["dataset"]]
            peer = measure_peer(
                work, {k: str(v) for k, v in csvs.items()}, args.postgres_dsn, others
            )
            shutil.rmtree(work / "raw_input", ignore_errors=True)
            peer["unzip_seconds"] = round(peer_unzip, 3)
            peer["seconds"] = round(peer["seconds"] + peer_unzip, 3)
            result["peer"] = peer
            result["disk"]["peer_database_bytes"] = peer["database_bytes"]
        result["ratios"] = {
            "project_over_raw": round(full["seconds"] / raw["seconds"], 3),
            "peer_over_project": (
                round(result["peer"]["seconds"] / full["seconds"], 3) if result["peer"] else None
            ),
            "incremental_over_full": round(inc["seconds"] / full["seconds"], 4),
        }
        result["targets"] = verdicts(result)
        result["status"] = "ok"
    except Exception as exc:
        result["status"] = "failed"
        result["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        result["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        save()
        if not args.inputs_only:
            print(f"[bench] results in {report}", flush=True)
        if not args.keep and result.get("status") == "ok":
            shutil.rmtree(work, ignore_errors=True)
    print_table(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
