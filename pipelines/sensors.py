"""The inbox sensor: a run for each internal source whose files changed, once they are complete.

Every minute it lists each source's folder under ``$FCE_INBOX`` (the files matching the source's
contracts, with size and modification time). A listing equal to the previous look is settled:
no file is still being copied. A settled listing different from the one last run starts a run
of that source's extract and normalize assets and of everything built on them (dbt, publish);
the public sources are not fetched again. With FCE_INBOX unset there is nothing to watch.
"""

import hashlib
import json
from collections import defaultdict

import dagster as dg

from pipelines.dbt import with_as_of
from pipelines.ingest import lake_key, landing_key
from sources.config import settings_from_env
from sources.contracts import Contract
from sources.inbox import matching_files
from sources.registry import INTERNAL

BY_SOURCE: dict[str, list[Contract]] = defaultdict(list)
for _contract in INTERNAL:
    BY_SOURCE[_contract.source].append(_contract)


def listing(folder, contracts: list[Contract]) -> dict[str, list[int]]:
    """Name → [size, modification time in ns] of the source's files in ``folder``."""
    files = {p for c in contracts for p in matching_files(folder, c)}
    return {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in sorted(files)}


def fingerprint(files: dict[str, list[int]]) -> str:
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]


def source_refresh(source: str) -> dg.AssetSelection:
    """What a new file of an internal source changes: its assets and everything downstream
    (the dbt models reading it, the fiches, the publication), and the models that count from
    the reference date (``with_as_of``); nothing else of the other sources."""
    contracts = BY_SOURCE[source]
    keys = [k for c in contracts for k in (landing_key(c), lake_key(c))]
    return with_as_of(dg.AssetSelection.assets(*keys).downstream())


@dg.sensor(
    name="inbox_files",
    target=dg.AssetSelection.all(),
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a run for an internal source once its new files in $FCE_INBOX have "
    "stopped changing (same sizes and times on two looks a minute apart).",
)
def inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    settings = settings_from_env()
    if settings.inbox_folder is None:
        return dg.SkipReason("FCE_INBOX is not set: there is no inbox to watch")
    state = json.loads(context.cursor) if context.cursor else {}
    seen: dict = state.get("seen", {})
    done: dict = state.get("done", {})
    graph = context.repository_def.asset_graph
    requests = []
    for source, contracts in BY_SOURCE.items():
        files = listing(settings.inbox / source, contracts)
        previous, seen[source] = seen.get(source), files
        if not files:
            continue
        if files != previous:
            context.log.info(
                "%s: %d file(s) seen, waiting one more look for them to settle", source, len(files)
            )
            continue
        mark = fingerprint(files)
        if done.get(source) == mark:
            continue
        selection = source_refresh(source).resolve(graph)
        requests.append(
            dg.RunRequest(
                run_key=f"{source}:{mark}",
                asset_selection=sorted(selection, key=lambda k: k.to_user_string()),
                tags={"source": source, "trigger": "inbox"},
            )
        )
        done[source] = mark
        context.log.info("%s: files settled (%s), run requested", source, ", ".join(files))
    return dg.SensorResult(run_requests=requests, cursor=json.dumps({"seen": seen, "done": done}))
