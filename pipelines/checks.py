"""Guards on every lake dataset, evaluated by the normalize asset and shown as asset checks.

Blocking checks (severity ERROR) stop the run before dbt and publish: the published warehouse
stays as it was. They keep blocking on later runs while the same file is the newest one, until
a better file arrives or a person accepts the load with ``FCE_ACCEPT_LOAD=<dataset>`` (several
separated by commas) for one run. Warnings are shown in the UI and do not block.
"""

import datetime as dt
import os

import dagster as dg

from sources.contracts import Contract
from sources.lake import LoadRecord

ROW_COUNT = "row_count_vs_previous_load"
REJECT_RATE = "reject_rate"
FRESHNESS = "freshness"
SCHEMA = "columns_match_contract"


def check_specs(contract: Contract, asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    g = contract.guards
    return [
        dg.AssetCheckSpec(
            ROW_COUNT,
            asset=asset_key,
            blocking=True,
            description=f"Blocks when the rows loaded fall below {g.min_row_ratio:.0%} or rise "
            f"above {g.max_row_ratio:g} times the previous load of another file.",
        ),
        dg.AssetCheckSpec(
            REJECT_RATE,
            asset=asset_key,
            blocking=True,
            description=f"Blocks when more than {g.max_reject_ratio:.1%} of the rows are rejected.",
        ),
        dg.AssetCheckSpec(
            FRESHNESS,
            asset=asset_key,
            description=f"Warns when the newest data is more than {g.stale_after_days} days "
            "older than FCE_AS_OF.",
        ),
        dg.AssetCheckSpec(
            SCHEMA,
            asset=asset_key,
            description="Warns when the file has columns the contract does not know, or lacks "
            "optional ones (a missing required column already stops the load).",
        ),
    ]


def _accepted(contract: Contract) -> bool:
    wanted = {d.strip() for d in os.environ.get("FCE_ACCEPT_LOAD", "").split(",")}
    return contract.dataset in wanted


def row_count(
    contract: Contract, record: LoadRecord, previous: LoadRecord | None
) -> dg.AssetCheckResult:
    g = contract.guards
    meta = {"rows_loaded": record.rows_loaded}
    if previous is None:
        return dg.AssetCheckResult(
            check_name=ROW_COUNT,
            passed=True,
            description="No earlier load of another file to compare with.",
            metadata=meta,
        )
    meta["previous_rows_loaded"] = previous.rows_loaded
    meta["previous_file"] = f"{previous.file} ({previous.arrival_id})"
    ratio = record.rows_loaded / previous.rows_loaded if previous.rows_loaded else float("inf")
    meta["ratio"] = round(ratio, 4)
    if g.min_row_ratio <= ratio <= g.max_row_ratio:
        return dg.AssetCheckResult(
            check_name=ROW_COUNT,
            passed=True,
            metadata=meta,
            description=f"{record.rows_loaded} rows, {ratio:.1%} of the "
            f"previous load ({previous.rows_loaded}).",
        )
    direction = "fell" if ratio < g.min_row_ratio else "rose"
    message = (
        f"{contract.dataset}: {record.file} ({record.arrival_id}) loaded {record.rows_loaded} "
        f"rows against {previous.rows_loaded} for {previous.file} ({previous.arrival_id}): it "
        f"{direction} to {ratio:.1%}, outside [{g.min_row_ratio:.0%}, {g.max_row_ratio:g}x]. "
        "Check the file with its producer; if it is right, rerun with "
        f"FCE_ACCEPT_LOAD={contract.dataset}."
    )
    if _accepted(contract):
        return dg.AssetCheckResult(
            check_name=ROW_COUNT,
            passed=True,
            metadata=meta,
            description="Accepted by FCE_ACCEPT_LOAD: " + message,
        )
    return dg.AssetCheckResult(
        check_name=ROW_COUNT,
        passed=False,
        metadata=meta,
        severity=dg.AssetCheckSeverity.ERROR,
        description=message,
    )


def reject_rate(contract: Contract, record: LoadRecord) -> dg.AssetCheckResult:
    g = contract.guards
    share = record.rows_rejected / record.rows_read if record.rows_read else 0.0
    meta = {
        "rows_read": record.rows_read,
        "rows_rejected": record.rows_rejected,
        "reject_share": round(share, 6),
    }
    if share <= g.max_reject_ratio or _accepted(contract):
        return dg.AssetCheckResult(
            check_name=REJECT_RATE,
            passed=True,
            metadata=meta,
            description=f"{record.rows_rejected} rejected ({share:.2%}).",
        )
    return dg.AssetCheckResult(
        check_name=REJECT_RATE,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=meta,
        description=f"{contract.dataset}: {record.file} ({record.arrival_id}) has "
        f"{record.rows_rejected} of {record.rows_read} rows rejected ({share:.2%}, more than "
        f"{g.max_reject_ratio:.1%}); the reasons are in {record.rejects_path}. If they are "
        f"acceptable, rerun with FCE_ACCEPT_LOAD={contract.dataset}.",
    )


def freshness(contract: Contract, record: LoadRecord, as_of: dt.date) -> dg.AssetCheckResult:
    g = contract.guards
    if not record.newest_data:
        return dg.AssetCheckResult(
            check_name=FRESHNESS, passed=True, description="The file carries no date to judge by."
        )
    newest = dt.date.fromisoformat(record.newest_data[:10])
    age = (as_of - newest).days
    meta = {"newest_data": newest.isoformat(), "age_days": age, "as_of": as_of.isoformat()}
    if age <= g.stale_after_days:
        return dg.AssetCheckResult(
            check_name=FRESHNESS,
            passed=True,
            metadata=meta,
            description=f"Newest data {age} days old.",
        )
    return dg.AssetCheckResult(
        check_name=FRESHNESS,
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=meta,
        description=f"{contract.dataset}: newest data {newest} is {age} days old at "
        f"{as_of} (more than {g.stale_after_days}): has the producer published a new file?",
    )


def schema(record: LoadRecord) -> dg.AssetCheckResult:
    meta = {
        "columns_extra": ", ".join(record.columns_extra) or "none",
        "columns_missing": ", ".join(record.columns_missing) or "none",
    }
    if not record.columns_extra and not record.columns_missing:
        return dg.AssetCheckResult(check_name=SCHEMA, passed=True, metadata=meta)
    return dg.AssetCheckResult(
        check_name=SCHEMA,
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=meta,
        description=f"{record.file}: columns not in the contract (ignored): "
        f"{meta['columns_extra']}; optional columns absent (loaded empty): "
        f"{meta['columns_missing']}. Update the contract if the producer changed the file.",
    )


def evaluate(
    contract: Contract, record: LoadRecord, previous: LoadRecord | None, as_of: dt.date
) -> list[dg.AssetCheckResult]:
    """Every guard of one load, in the order of ``check_specs``."""
    return [
        row_count(contract, record, previous),
        reject_rate(contract, record),
        freshness(contract, record, as_of),
        schema(record),
    ]
