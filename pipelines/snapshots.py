"""Snapshots of the published fiches, kept in the lake, and the fiche as it was on a given day.

Each publication is a snapshot, named by its publication time (``20261203T180000Z``, the name of
its export folder). Once the Parquet export of a snapshot is in place, its two fiches are kept
under ``lake/_snapshots/<snapshot>/`` (``fiche_etablissement.parquet``,
``fiche_entreprise.parquet``) with a ``snapshot.json`` saying when it was published, its
reference date (FCE_AS_OF), the month of the SIRENE stock and the date of the newest internal
file it was built from. The files are hard links to the export's files (no copy, same bytes;
a copy where the file system refuses links), and the last ``KEEP_SNAPSHOTS`` are kept, so that
the fiche can be asked "as of" any of the last 24 publications (``fce fiche --as-of``), after the
export itself is pruned.

Before each dbt build, ``prepare_previous`` writes ``lake/fiche_precedente.parquet``: the
columns of the newest kept snapshot that the ``changements`` model compares (``COMPARED``), so
that dbt finds the differences between the last publication and the build it is making. With no
snapshot yet (the first build), the file has no row, and ``changements`` none either. A column
the previous snapshot lacks (it was published by an older version) is null there, which reads
as "unknown before", not as a change.
"""

import datetime as dt
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from sources.faults import remove_abandoned

log = logging.getLogger("fce.snapshots")

KEEP_SNAPSHOTS = 24
SNAPSHOTS = "_snapshots"
TABLES = ("fiche_etablissement", "fiche_entreprise")
INFO = "snapshot.json"
PREVIOUS = "fiche_precedente.parquet"

COMPARED: dict[str, str] = {
    # column of fiche_etablissement: its DuckDB type (the types of the dbt contract)
    "siret": "varchar",
    "siren": "varchar",
    "etat_administratif": "varchar",
    "est_siege": "boolean",
    "adresse": "varchar",
    "code_commune": "varchar",
    "code_naf": "varchar",
    "derniere_intervention_pole_t": "date",
    "derniere_intervention_pole_c": "date",
    "derniere_intervention_pole_3e": "date",
    "date_derniere_procedure_rupco": "date",
    "date_derniere_decision_activite_partielle": "date",
    "effectif_dsn": "double",
    "mois_effectif_dsn": "date",
}
"""What ``changements`` compares between two snapshots, and ``lake/fiche_precedente.parquet``
holds (with ``snapshot`` and ``as_of`` of the previous publication)."""


PREVIOUS_FICHE = dg.AssetSpec(
    key=dg.AssetKey(["lake", "fiche_precedente"]),
    group_name="warehouse",
    kinds={"parquet"},
    description="lake/fiche_precedente.parquet: the establishments' fiche of the last "
    "publication, reduced to what `changements` compares; written by the dbt step just before "
    "its build, from the newest snapshot kept in lake/_snapshots/ (no row before the first).",
)
"""The file dbt's `changements` reads, declared so the graph shows where it comes from."""


class SnapshotError(LookupError):
    """No kept snapshot answers the question."""


@dataclass(frozen=True)
class Snapshot:
    name: str
    folder: Path
    published_at: dt.datetime
    as_of: dt.date
    stock_sirene: str | None
    """Month (YYYY-MM) of the SIRENE stock the snapshot was built from."""
    fichiers_services: str | None
    """Date of the newest internal file the snapshot was built from."""

    def table(self, name: str) -> Path:
        return self.folder / f"{name}.parquet"


def snapshots_dir(lake: Path) -> Path:
    return lake / SNAPSHOTS


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _built_from(published_db: Path) -> tuple[str | None, str | None]:
    """The SIRENE stock month and the newest internal file's arrival date of a publication."""
    from sources.registry import INTERNAL

    internal = ", ".join(sorted({_quote(c.source) for c in INTERNAL}))
    with duckdb.connect(str(published_db), read_only=True) as con:
        stock, services = con.execute(
            "select strftime(max(newest_data_date) filter (where source = 'sirene'), '%Y-%m'), "
            "left(cast(max(arrived_at) filter (where file <> '' and source in ("
            f"{internal})) as varchar), 10) from sources_fraicheur"
        ).fetchone()
    return stock, services


def record_snapshot(lake: Path, export_folder: Path, published_db: Path | None = None) -> Path:
    """Keep the fiches of the export ``exports/<snapshot>/`` in the lake; return the folder.

    Idempotent: a snapshot already kept is left as it is. The folder is filled under a
    temporary name and renamed, so a kept snapshot is always whole.
    """
    root = snapshots_dir(lake)
    final = root / export_folder.name
    if (final / INFO).is_file():
        return final
    root.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((export_folder / "manifest.json").read_text(encoding="utf-8"))
    remove_abandoned(root, ".tmp.*")
    tmp = root / f".tmp.{os.getpid()}.{export_folder.name}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for table in TABLES:
            entry = manifest["tables"][table]
            _link_or_copy(export_folder / entry["file"], tmp / f"{table}.parquet")
        stock, services = _built_from(published_db) if published_db else (None, None)
        info = {
            "snapshot": export_folder.name,
            "published_at": manifest["published_at"],
            "as_of": manifest["as_of"],
            "stock_sirene": stock,
            "fichiers_services": services,
            "rows": {t: manifest["tables"][t]["rows"] for t in TABLES},
        }
        (tmp / INFO).write_text(json.dumps(info, indent=2), encoding="utf-8")
        os.rename(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("kept snapshot %s in %s", export_folder.name, final)
    prune(lake)
    return final


def prune(lake: Path, keep: int = KEEP_SNAPSHOTS) -> None:
    """Remove all but the newest ``keep`` snapshots, and what killed runs left behind."""
    root = snapshots_dir(lake)
    if not root.is_dir():
        return
    remove_abandoned(root, ".tmp.*")
    kept = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in kept[:-keep] if keep else kept:
        shutil.rmtree(old)


def list_snapshots(lake: Path) -> list[Snapshot]:
    """The kept snapshots, oldest first."""
    root = snapshots_dir(lake)
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        info_file = folder / INFO
        if folder.name.startswith(".") or not info_file.is_file():
            continue
        info = json.loads(info_file.read_text(encoding="utf-8"))
        found.append(
            Snapshot(
                name=folder.name,
                folder=folder,
                published_at=dt.datetime.fromisoformat(info["published_at"]),
                as_of=dt.date.fromisoformat(info["as_of"]),
                stock_sirene=info.get("stock_sirene"),
                fichiers_services=info.get("fichiers_services"),
            )
        )
    return found


def snapshot_at(lake: Path, day: dt.date | None = None, name: str | None = None) -> Snapshot:
    """The snapshot named ``name``, or the last one published on or before ``day`` (UTC)."""
    kept = list_snapshots(lake)
    if not kept:
        raise SnapshotError(f"no snapshot kept under {snapshots_dir(lake)}: nothing published")
    if name is not None:
        for snapshot in kept:
            if snapshot.name == name:
                return snapshot
        names = ", ".join(s.name for s in kept)
        raise SnapshotError(f"no snapshot {name!r}; kept: {names}")
    if day is None:
        return kept[-1]
    before = [s for s in kept if s.published_at.date() <= day]
    if not before:
        raise SnapshotError(
            f"no snapshot published on or before {day}: the oldest kept is {kept[0].name} "
            f"({len(kept)} kept)"
        )
    return before[-1]


def lookup_snapshot(snapshot: Snapshot, identifier: str) -> list[dict[str, object]]:
    """The fiche of a SIRET or a SIREN as the snapshot published it."""
    from pipelines.cli import fiche_key, records

    ident, table, key = fiche_key(identifier)
    with duckdb.connect() as con:
        relation = f"read_parquet({_quote(str(snapshot.table(table)))})"
        return records(con.execute(f"select * from {relation} where {key} = ?", [ident]))


def prepare_previous(lake: Path) -> tuple[str | None, int]:
    """Write ``lake/fiche_precedente.parquet`` from the newest snapshot (or empty).

    Returns the snapshot's name (None when there is none) and its row count.
    """
    kept = list_snapshots(lake)
    target = lake / PREVIOUS
    wanted = kept[-1].name if kept else None
    if target.is_file():
        # already written from that snapshot (or empty, and still nothing published), with the
        # columns compared today: keep it
        with duckdb.connect() as con:
            path = _quote(str(target))
            written = con.execute(
                f"select first(snapshot), count(*) from read_parquet({path})"
            ).fetchone()
            described = con.execute(f"describe select * from read_parquet({path})").fetchall()
            columns = [r[0] for r in described]
        if written[0] == wanted and columns == ["snapshot", "as_of", *COMPARED]:
            log.info("previous fiche for changements: %s, unchanged", wanted or "none")
            return wanted, written[1]
    lake.mkdir(parents=True, exist_ok=True)
    remove_abandoned(lake, f".{PREVIOUS}.*.tmp")
    tmp = target.with_name(f".{PREVIOUS}.{os.getpid()}.tmp")
    with duckdb.connect() as con:
        if kept:
            newest = kept[-1]
            source = _quote(str(newest.table("fiche_etablissement")))
            present = {
                row[0]
                for row in con.execute(f"select name from parquet_schema({source})").fetchall()
            }
            columns = [
                f"{c}::{t} as {c}" if c in present else f"null::{t} as {c}"
                for c, t in COMPARED.items()
            ]
            relation = f"from read_parquet({source})"
            name, as_of = _quote(newest.name), _quote(newest.as_of.isoformat())
        else:
            columns = [f"null::{t} as {c}" for c, t in COMPARED.items()]
            relation = "limit 0"
            name, as_of = "null", "null"
        con.execute(
            f"copy (select {name}::varchar as snapshot, {as_of}::date as as_of, "
            f"{', '.join(columns)} {relation}) to {_quote(str(tmp))} "
            "(format parquet, compression zstd)"
        )
        rows = con.execute(f"select count(*) from read_parquet({_quote(str(tmp))})").fetchone()[0]
    os.replace(tmp, target)
    log.info("previous fiche for changements: %s (%d rows)", wanted or "none, first build", rows)
    return wanted, rows
