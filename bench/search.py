"""Benchmark of ``fce search`` on a published-like DuckDB file of N synthetic establishments.

.venv/bin/python bench/search.py --etablissements 1000000 [--repeat 5] [--scan-queries 3]

The file holds only what search reads: fiche_etablissement (the result columns, sorted by
siret) and fiche_entreprise (siren, denomination, sigle), written by DuckDB from SQL draws: 5 M
establishments take about a minute, far less than the whole job at that size. Names
use the vocabulary of the SIRENE sample generator (surnames, first names, company words,
enseignes) and a long tail of made-up words, the k-th most common drawn about 1/k as often, so
that a query meets very common tokens ("de", "sarl", "martin") and rare ones, as in the real
stock; some names carry an elision or an accent, or are masked ([ND]). Then it builds the
search index (``build_search_index``: seconds, bytes added to the file) and runs a fixed set of
queries (``QUERIES`` and some drawn from the file) ``--repeat`` times each after one warm-up,
and reports the median, p95 and max wall time and the CPU time. See bench/README.md. The report
goes to ``<out>/search-<etablissements>-<date>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from pipelines.search import build_search_index, search  # noqa: E402
from sources.sample.sirene import (  # noqa: E402
    _ASSOCIATION_DEBUT,
    _DENOMINATION_DEBUT,
    _DENOMINATION_FIN,
    _ENSEIGNES,
    _NOMS,
    _PRENOMS_F,
    _PRENOMS_M,
)

SYLLABLES = (
    "BA", "BE", "BI", "BO", "CA", "CHA", "CO", "DA", "DE", "DI", "DU", "FA", "FO", "GA", "GE",
    "GRA", "JA", "JO", "KA", "LA", "LE", "LI", "LO", "MA", "ME", "MI", "MO", "NA", "NE", "NI",
    "NO", "PA", "PE", "PI", "PO", "RA", "RE", "RI", "RO", "SA", "SE", "SI", "SO", "TA", "TE",
    "TI", "TO", "TRI", "VA", "VE", "VI", "ZA",
)  # fmt: skip
LEGAL_FORMS = ("SARL", "SAS", "SASU", "EURL", "SA", "SNC")
NAF_CODES = (
    "10.71C", "20.42Z", "41.20A", "43.21A", "45.20A", "47.11B", "47.73Z", "49.41A", "56.10A",
    "56.30Z", "62.01Z", "62.02A", "68.20A", "68.20B", "69.20Z", "70.10Z", "70.22Z", "81.21Z",
    "85.59A", "86.21Z", "88.10A", "90.01Z", "93.12Z", "94.99Z", "96.02A",
)  # fmt: skip
DEPARTEMENTS = tuple(f"{d:02d}" for d in range(1, 96) if d != 20) + ("2A", "2B", "971", "974")

QUERIES: tuple[dict[str, object], ...] = (
    {"text": "boulangerie martin"},
    {"text": "martin"},
    {"text": "boul mar"},
    {"text": "garage dupont", "departement": "31"},
    {"text": "transports"},
    {"text": "sci du moulin"},
    {"text": "l'atelier"},
    {"text": "latelier"},
    {"text": "association sportive", "actif": True},
    {"text": "pharmacie", "naf": "47.73Z", "siege": True},
    {"text": "jean michel"},
    {"text": "sarl de"},  # every token very common
    {"text": "de la"},
    {"text": "societe du"},
    {"text": "cafe"},
    {"text": "m"},
    # rare words and identifiers are drawn from the file itself (see `query_set`)
)
WARM_UP = 1


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _pick(values: tuple[str, ...], salt: str, key: str = "i") -> str:
    """SQL: one of ``values``, drawn uniformly by hashing ``key`` with ``salt``."""
    return f"{_sql_list(values)}[1 + cast(hash({key}, '{salt}') % {len(values)} as bigint)]"


def _flag(share: float, salt: str, key: str = "i") -> str:
    """SQL: true for about ``share`` of the rows."""
    return f"(hash({key}, '{salt}') % 10000 < {round(share * 10000)})"


def _tail_word(salt: str, key: str = "i") -> str:
    """SQL: a made-up word of 2 to 4 syllables, the k-th most common about 1/k as often."""
    draw = f"cast(hash({key}, '{salt}') % 1000003 as double) / 1000003.0"
    rank = f"cast(floor(exp({draw} * ln(5e6))) as bigint)"
    syllables = len(SYLLABLES)
    parts = [
        f"{_sql_list(SYLLABLES)}[1 + ({rank} // {syllables**p}) % {syllables}]" for p in range(4)
    ]
    return (
        f"({parts[0]} || {parts[1]} || case when {rank} >= {syllables**2} then {parts[2]} "
        f"else '' end || case when {rank} >= {syllables**3} then {parts[3]} else '' end)"
    )


def make_published(path: Path, etablissements: int) -> None:
    """Write fiche_entreprise and fiche_etablissement of ``etablissements`` rows into ``path``.

    Company c (0 <= c < E, E = etablissements / 1.45) owns establishments c, c + E, c + 2E …;
    the first one is its head office. Draws hash the row number with a salt, so a size always
    gives the same file.
    """
    entreprises = max(1, round(etablissements / 1.45))
    surname = f"case when {_flag(0.5, 'nc')} then {_pick(_NOMS, 'nom')} else {_tail_word('nt')} end"
    company = (
        f"case when {_flag(0.25, 'lf')} then {_pick(LEGAL_FORMS, 'lf2')} || ' ' else '' end"
        f" || {_pick(_DENOMINATION_DEBUT, 'debut')} || ' ' || "
        f"case when {_flag(0.5, 'cn')} then {surname} else {_tail_word('ct')} end"
        f" || case when {_flag(0.4, 'fin')} then ' ' || {_pick(_DENOMINATION_FIN, 'fin2')} "
        "else '' end"
    )
    kind = "hash(i, 'kind') % 100"
    name = (
        f"case when {_flag(0.02, 'nd')} then '[ND]' "
        f"when {kind} < 45 then {surname} || ' ' || {_pick(_PRENOMS_M + _PRENOMS_F, 'prenom')} "
        f"when {kind} < 80 then {company} "
        f"when {kind} < 88 then {_pick(_ASSOCIATION_DEBUT, 'asso')} || ' ' || {_tail_word('at')} "
        f"when {kind} < 97 then 'SCI ' || case when {_flag(0.3, 'sf')} "
        f"then {_pick(_DENOMINATION_FIN, 'sf2')} else {_tail_word('st')} end "
        f"else 'L''' || {_tail_word('et')} end"
    )
    enseigne = (
        f"case when {_flag(0.01, 'ndx')} then '[ND]' "
        f"when {_flag(0.12, 'ens')} then {_pick(_ENSEIGNES, 'ens2')} "
        f"when {_flag(0.06, 'ens3')} then 'CHEZ ' || {_tail_word('ens4')} end"
    )
    siren = "lpad(cast((c * 104729 + 100000000) % 1000000000 as varchar), 9, '0')"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table fiche_entreprise as "
            f"with drawn as (select i as c, {name} as denomination, "
            f"case when {_flag(0.08, 'sig')} then left({_tail_word('sg')}, 4) end as sigle "
            f"from range({entreprises}) as t(i)) "
            f"select {siren} as siren, "
            f"case when {_flag(0.05, 'acc', 'c')} then replace(denomination, 'E', 'É') "
            "else denomination end as denomination, sigle "
            "from drawn order by siren"
        )
        con.execute(
            "create table fiche_etablissement as "
            f"with placed as (select i, i % {entreprises} as c, i // {entreprises} as n "
            f"from range({etablissements}) as t(i)) "
            f"select {siren} || lpad(cast(n + 1 as varchar), 5, '0') as siret, "
            f"{siren} as siren, u.denomination, {enseigne} as enseigne, "
            f"case when {_flag(0.03, 'usu')} then {_tail_word('usu2')} end "
            "as denomination_usuelle, "
            "n = 0 as est_siege, "
            f"case when {_flag(0.6, 'etat')} then 'A' else 'F' end as etat_administratif, "
            f"{_pick(NAF_CODES, 'naf')} as code_naf, "
            f"{_pick(DEPARTEMENTS, 'dep')} as departement, "
            f"{_pick(DEPARTEMENTS, 'dep')} || '000' as code_postal, "
            f"'COMMUNE ' || {_pick(DEPARTEMENTS, 'dep')} as libelle_commune "
            f"from placed join fiche_entreprise as u on u.siren = {siren} "
            "order by siret"
        )


def query_set(path: Path) -> list[dict[str, object]]:
    """``QUERIES`` and, drawn from the file, rare names, a SIRET and a SIREN."""
    with duckdb.connect(str(path), read_only=True) as con:
        count = con.execute("select count(*) from fiche_etablissement").fetchall()[0][0]
        picks = [
            con.execute(
                "select siret, denomination, enseigne from fiche_etablissement "
                "where not contains(denomination, '[ND]') limit 1 offset ?",
                [count * k // 7],
            ).fetchall()[0]
            for k in range(1, 7)
        ]
    drawn: list[dict[str, object]] = [{"text": denomination} for _, denomination, _ in picks]
    drawn.append({"text": picks[0][1].split()[-1]})  # one word of a name, often a rare one
    drawn.append({"text": picks[1][1].split()[0][:4] + " " + picks[1][1].split()[-1][:3]})
    drawn.append({"text": picks[2][0]})
    drawn.append({"text": picks[3][0][:9]})
    return [*QUERIES, *drawn]


def measure_queries(
    path: Path, queries: list[dict[str, object]], repeat: int
) -> tuple[list[dict[str, object]], list[float], list[float]]:
    """Time ``search`` (a new read-only connection each time, as ``fce search`` does).

    Returns one summary per query, then every wall time and every CPU time (this process and
    DuckDB's threads), in ms: on a machine shared with other jobs the CPU time shows the work
    done when the wall time also counts the waiting.
    """
    per_query, timings, cpu = [], [], []
    for query in queries:
        kwargs = {k: v for k, v in query.items() if k != "text"}
        for _ in range(WARM_UP):
            search(path, str(query["text"]), **kwargs)
        walls, cpus = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            rows = search(path, str(query["text"]), **kwargs)
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - started_cpu) * 1000)
        timings += walls
        cpu += cpus
        per_query.append(
            {
                **query,
                "rows": len(rows),
                "median_ms": round(statistics.median(walls), 1),
                "max_ms": round(max(walls), 1),
                "median_cpu_ms": round(statistics.median(cpus), 1),
            }
        )
        print(
            f"  {query['text']!s:<32} {kwargs or ''!s:<36} {len(rows):>3} rows "
            f"{statistics.median(walls):>8.1f} ms (cpu {statistics.median(cpus):.1f})",
            flush=True,
        )
    return per_query, timings, cpu


def summary(timings: list[float], cpu: list[float]) -> dict[str, float]:
    return {
        "timings": len(timings),
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "max_ms": round(max(timings), 1),
        "median_cpu_ms": round(statistics.median(cpu), 1),
        "p95_cpu_ms": round(percentile(cpu, 0.95), 1),
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--etablissements", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each query")
    parser.add_argument(
        "--scan-queries",
        type=int,
        default=0,
        help="also time the first N queries on the file without the index (slow)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="fce-bench-search-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "fce.duckdb"
    path.unlink(missing_ok=True)
    result: dict[str, object] = {
        "etablissements": args.etablissements,
        "date": dt.date.today().isoformat(),
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        print(f"[search] writing {args.etablissements:,} establishments to {path}", flush=True)
        started = time.perf_counter()
        make_published(path, args.etablissements)
        result["generate_seconds"] = round(time.perf_counter() - started, 1)
        result["file_bytes_without_index"] = path.stat().st_size
        queries = query_set(path)
        if args.scan_queries:
            print("[search] without the index (every name scanned)", flush=True)
            per_query, timings, cpu = measure_queries(path, queries[: args.scan_queries], 1)
            result["scan"] = {"queries": per_query, **summary(timings, cpu)}
        print("[search] building the index", flush=True)
        with duckdb.connect(str(path)) as con:
            started, started_cpu = time.perf_counter(), time.process_time()
            result["index_rows"] = build_search_index(con)
            con.execute("checkpoint")
            result["index_build_seconds"] = round(time.perf_counter() - started, 1)
            result["index_build_cpu_seconds"] = round(time.process_time() - started_cpu, 1)
        result["file_bytes"] = path.stat().st_size
        result["index_bytes"] = path.stat().st_size - result["file_bytes_without_index"]
        print(
            f"[search] index: {result['index_build_seconds']} s "
            f"(cpu {result['index_build_cpu_seconds']} s), "
            f"{result['index_bytes'] / 1e6:.0f} MB, {result['index_rows']}",
            flush=True,
        )
        per_query, timings, cpu = measure_queries(path, queries, args.repeat)
        result["queries"] = per_query
        result["search"] = summary(timings, cpu)
    finally:
        result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        report = args.out / f"search-{args.etablissements}-{result['date']}.json"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(result, indent=2) + "\n")
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"[search] {result.get('search')} -> {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
