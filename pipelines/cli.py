"""``fce``: run the warehouse and look a fiche up, from a terminal.

fce run [--job refresh_all] [--source SOURCE]
                                materialize every asset (or what SOURCE changes), publish
fce fiche SIRET_OR_SIREN [--json] [--as-of YYYY-MM-DD | --snapshot NAME | --parquet]
fce snapshots                   the publications kept, to ask a fiche "as of"
fce search "TEXT" [--departement 31] [--naf 62.01Z] [--actif] [--siege] [--limit 20] [--json]
"""

import argparse
import json
import logging
import os
import sys
from pathlib import Path

import duckdb

from sources.config import ConfigError, settings_from_env


def _prepare_dagster_home() -> None:
    """Point Dagster at the project's dagster.yaml, its storage under the warehouse."""
    root = Path(__file__).resolve().parent.parent
    os.environ.setdefault("DAGSTER_HOME", str(root))
    settings = settings_from_env()
    storage = settings.warehouse / ".dagster"
    storage.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("FCE_DAGSTER_STORAGE", str(storage))


def _identity(path: Path) -> tuple[int, int] | None:
    """Inode and modification time: tells whether a file was swapped."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def fiche_key(identifier: str) -> tuple[str, str, str]:
    """The identifier without spaces, the fiche table it looks up and that table's key."""
    ident = identifier.replace(" ", "")
    if not ident.isdigit() or len(ident) not in (9, 14):
        raise ValueError(f"{identifier!r} is neither a SIRET (14 digits) nor a SIREN (9 digits)")
    if len(ident) == 14:
        return ident, "fiche_etablissement", "siret"
    return ident, "fiche_entreprise", "siren"


def records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """The rows of an executed query, each as {column: value}."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def lookup(db: Path, identifier: str) -> list[dict[str, object]]:
    """The fiche(s) of a SIRET (one establishment) or a SIREN (the company), read-only."""
    ident, table, key = fiche_key(identifier)
    with duckdb.connect(str(db), read_only=True) as con:
        return records(con.execute(f"select * from {table} where {key} = ?", [ident]))


def format_fiche(row: dict[str, object]) -> str:
    width = max(len(k) for k in row)
    return "\n".join(f"{k.ljust(width)}  {'' if v is None else v}" for k, v in row.items())


def _cmd_fiche(args: argparse.Namespace) -> int:
    if args.as_of or args.snapshot:
        return _cmd_fiche_as_of(args)
    if args.parquet:
        return _cmd_fiche_parquet(args)
    db = settings_from_env().published_db
    if not db.exists():
        print(f"no published warehouse at {db}: run `make run` first", file=sys.stderr)
        return 2
    rows = lookup(db, args.identifier)
    if not rows:
        print(f"{args.identifier}: no fiche in {db}", file=sys.stderr)
        return 1
    _print_fiche(rows[0], args.json)
    return 0


def _print_fiche(row: dict[str, object], as_json: bool) -> None:
    if as_json:
        print(json.dumps(row, default=str, ensure_ascii=False, indent=2))
    else:
        print(format_fiche(row))


def _cmd_fiche_parquet(args: argparse.Namespace) -> int:
    from pipelines.parquet_fiches import ParquetFiches

    folder = settings_from_env().warehouse / "exports" / "current" / "agents"
    rows = ParquetFiches(folder).lookup(args.identifier)
    if not rows:
        print(f"{args.identifier}: no fiche in {folder}", file=sys.stderr)
        return 1
    _print_fiche(rows[0], args.json)
    return 0


def _cmd_fiche_as_of(args: argparse.Namespace) -> int:
    import datetime as dt

    from pipelines.snapshots import lookup_snapshot, snapshot_at

    day = dt.date.fromisoformat(args.as_of) if args.as_of else None
    snapshot = snapshot_at(settings_from_env().lake, day=day, name=args.snapshot)
    rows = lookup_snapshot(snapshot, args.identifier)
    print(
        f"snapshot {snapshot.name}: published {snapshot.published_at:%Y-%m-%d %H:%M} UTC, "
        f"as of {snapshot.as_of}, SIRENE stock {snapshot.stock_sirene or '?'}, "
        f"services' files up to {snapshot.fichiers_services or '?'}",
        file=sys.stderr,
    )
    if not rows:
        print(f"{args.identifier}: no fiche in snapshot {snapshot.name}", file=sys.stderr)
        return 1
    _print_fiche(rows[0], args.json)
    return 0


def _cmd_snapshots(args: argparse.Namespace) -> int:
    from pipelines.snapshots import list_snapshots

    kept = list_snapshots(settings_from_env().lake)
    if not kept:
        print("no snapshot kept yet: run `make run` first", file=sys.stderr)
        return 1
    for s in kept:
        print(
            f"{s.name}  published {s.published_at:%Y-%m-%d %H:%M} UTC  as of {s.as_of}  "
            f"SIRENE {s.stock_sirene or '?'}  services {s.fichiers_services or '?'}"
        )
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from pipelines.search import format_results, search

    db = settings_from_env().published_db
    if not db.exists():
        print(f"no published warehouse at {db}: run `make run` first", file=sys.stderr)
        return 2
    rows = search(
        db,
        args.text,
        departement=args.departement,
        naf=args.naf,
        actif=args.actif,
        siege=args.siege,
        limit=args.limit,
    )
    if args.json:
        print(json.dumps(rows, default=str, ensure_ascii=False, indent=2))
    elif rows:
        print(format_results(rows))
    if not rows:
        print(f"{args.text}: no establishment found in {db}", file=sys.stderr)
        return 1
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    _prepare_dagster_home()
    import dagster as dg

    from pipelines.definitions import defs

    settings = settings_from_env()
    before = _identity(settings.published_db)
    selection = None
    if args.source:
        from pipelines.sensors import BY_SOURCE, source_refresh

        if args.source not in BY_SOURCE:
            raise ValueError(
                f"--source {args.source}: not an inbox source ({', '.join(BY_SOURCE)})"
            )
        selection = sorted(source_refresh(args.source).resolve(defs.resolve_asset_graph()))
    with dg.DagsterInstance.get() as instance:
        job = defs.resolve_job_def(args.job)
        result = job.execute_in_process(
            instance=instance,
            asset_selection=selection,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
    if not result.success:
        failed = [e for e in result.all_events if e.is_step_failure]
        for event in failed:
            error = event.step_failure_data.error
            print(
                f"step {event.step_key} failed: {error.message.strip() if error else ''}",
                file=sys.stderr,
            )
        kept = _identity(settings.published_db) == before
        state = "was not changed" if kept else "was replaced before the failure"
        print(
            f"run {result.run_id} failed; the published warehouse {settings.published_db} {state}",
            file=sys.stderr,
        )
        return 1
    db = settings.published_db
    print(f"\nThe warehouse is published at {db}")
    print(
        f"Analysts open it read-only, e.g. duckdb.connect({str(db)!r}, read_only=True): "
        "fiche_etablissement, fiche_entreprise, sources_fraicheur, rejets"
    )
    with duckdb.connect(str(db), read_only=True) as con:
        siret = con.execute(
            "select siret from fiche_etablissement where etat_administratif = 'A' and est_siege "
            "and statut_diffusion = 'O' "
            # the establishment the most services looked at shows the most of a fiche
            "order by nb_interventions_24_mois desc, siret limit 1"
        ).fetchone()
    if siret:
        print(f"\nOne fiche ({siret[0]}; any other: fce fiche SIRET_OR_SIREN):\n")
        print(format_fiche(lookup(db, siret[0])[0]))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fce", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="refresh every source and publish")
    run.add_argument("--job", default="refresh_all", help="job to run (default refresh_all)")
    run.add_argument(
        "--source",
        help="only what one internal source's new files change (what the inbox sensor runs), "
        "e.g. wikit",
    )
    run.set_defaults(func=_cmd_run)
    fiche = sub.add_parser("fiche", help="print the fiche of a SIRET or a SIREN")
    fiche.add_argument("identifier")
    fiche.add_argument("--json", action="store_true", help="print JSON")
    when = fiche.add_mutually_exclusive_group()
    when.add_argument(
        "--as-of", help="the fiche as last published on or before this day (YYYY-MM-DD)"
    )
    when.add_argument("--snapshot", help="the fiche of this snapshot (see fce snapshots)")
    when.add_argument(
        "--parquet",
        action="store_true",
        help="read the agents' Parquet export (exports/current/agents) instead of fce.duckdb",
    )
    fiche.set_defaults(func=_cmd_fiche)
    kept = sub.add_parser("snapshots", help="list the publications kept (last 24)")
    kept.set_defaults(func=_cmd_snapshots)
    find = sub.add_parser("search", help="find establishments by name, SIRET or SIREN")
    find.add_argument("text", help="a name (any of them), a SIRET or a SIREN")
    find.add_argument("--departement", help="département code, e.g. 31 or 2A")
    find.add_argument("--naf", help="NAF code or its start, e.g. 62.01Z or 62")
    find.add_argument("--actif", action="store_true", help="open establishments only")
    find.add_argument("--siege", action="store_true", help="head offices only")
    find.add_argument("--limit", type=int, default=20, help="at most this many (default 20)")
    find.add_argument("--json", action="store_true", help="print JSON")
    find.set_defaults(func=_cmd_search)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        return args.func(args)
    except (ConfigError, ValueError, LookupError) as exc:
        print(f"fce: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
