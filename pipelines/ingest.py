"""Extract and normalize assets, made from the source contracts.

For each dataset two assets: ``landing/<dataset>`` fetches the file (public sources) or takes it
from the inbox (internal sources) and keeps it as it arrived; ``lake/<dataset>`` turns the landed
files the lake does not hold yet into typed Parquet. Neither opens a database.
"""

import os
import shutil
from pathlib import Path

import dagster as dg
import polars as pl

from pipelines import checks
from pipelines.metadata import markdown_preview
from sources.config import settings_from_env
from sources.contracts import Contract
from sources.download import DownloadError, fetch
from sources.faults import remove_abandoned
from sources.inbox import collect, pending, source_dir
from sources.internal import INBOX
from sources.lake import current_record, load, previous_record, write_empty
from sources.landing import land_file
from sources.mirror import ensure_sample_inbox, url_for

EXTRACT_GROUP = "extract"
NORMALIZE_GROUP = "normalize"

network_retry = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)
"""Runs retry a failed download step: fetch() already retries each request, this covers a
mirror that stays down a few minutes. Data errors are raised as Failure, which is not retried."""


def landing_key(contract: Contract) -> dg.AssetKey:
    return dg.AssetKey(["landing", contract.dataset])


def lake_key(contract: Contract) -> dg.AssetKey:
    return dg.AssetKey(["lake", contract.dataset])


def _describe(contract: Contract) -> str:
    access = "public" if contract.public else "internal"
    return f"{contract.description} {contract.producer} / {contract.system}, {access}."


def inbox_asset(contract: Contract) -> dg.AssetsDefinition:
    """The asset that lands ``contract``'s new files from the services' inbox."""

    @dg.asset(
        key=landing_key(contract),
        group_name=EXTRACT_GROUP,
        description=f"Takes the files matching {contract.file_pattern} from the inbox folder "
        f"{contract.source}/ and keeps them as they arrived. " + _describe(contract),
        kinds={"file"},
        tags={"source": contract.source},
    )
    def _extract(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = settings_from_env()
        if settings.inbox_folder is None:
            ensure_sample_inbox(settings)
        try:
            landed = collect(settings, contract)
        except FileNotFoundError as exc:
            context.log.warning(str(exc))
            return dg.MaterializeResult(metadata={"files_landed": 0, "note": str(exc)})
        except (ValueError, DownloadError) as exc:
            raise dg.Failure(str(exc), allow_retries=False) from exc
        for item in landed:
            context.log.info(
                "%s: landed %s (%d bytes, sha256 %s)",
                contract.dataset,
                item.origin,
                item.size,
                item.sha256[:12],
            )
        return dg.MaterializeResult(
            metadata={
                "files_landed": dg.MetadataValue.int(len(landed)),
                "origins": ", ".join(item.origin for item in landed) or "nothing new",
                "inbox": dg.MetadataValue.path(str(source_dir(settings, contract))),
            }
        )

    return _extract


def extract_asset(contract: Contract) -> dg.AssetsDefinition:
    """The asset that fetches ``contract``'s file into landing/."""
    if contract.arrival == INBOX:
        return inbox_asset(contract)

    @dg.asset(
        key=landing_key(contract),
        group_name=EXTRACT_GROUP,
        description=f"Fetches {contract.file_name} and keeps it as it arrived. "
        + _describe(contract),
        kinds={"file"},
        retry_policy=network_retry,
        tags={"source": contract.source},
    )
    def _extract(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = settings_from_env()
        url = url_for(settings, contract)
        remove_abandoned(settings.work, f"download-{contract.dataset}.*")
        tmp = settings.work / f"download-{contract.dataset}.{os.getpid()}"
        try:
            fetched = fetch(url, tmp)
            landed = land_file(
                settings.warehouse,
                contract.source,
                fetched.path,
                origin=fetched.final_url,
                file_name=contract.file_name,
                sha256=fetched.sha256,
                size=fetched.size,
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        state = "new file" if landed.is_new else "unchanged since the last arrival"
        context.log.info(
            "%s from %s: %s, %d bytes, sha256 %s",
            contract.file_name,
            url,
            state,
            landed.size,
            landed.sha256,
        )
        return dg.MaterializeResult(
            metadata={
                "origin": landed.origin,
                "path": dg.MetadataValue.path(str(landed.path)),
                "sha256": landed.sha256,
                "size_bytes": dg.MetadataValue.int(landed.size),
                "arrival_id": landed.arrival_id,
                "arrived_at": landed.arrived_at,
                "is_new": landed.is_new,
            },
            data_version=dg.DataVersion(landed.sha256),
        )

    return _extract


def normalize_asset(contract: Contract) -> dg.AssetsDefinition:
    """The asset that loads the newest landed file of ``contract`` into the lake."""

    @dg.asset(
        key=lake_key(contract),
        deps=[landing_key(contract)],
        group_name=NORMALIZE_GROUP,
        description=f"Typed Parquet of the newest {contract.file_name}; rows breaking the "
        "contract go to rejects/. " + _describe(contract),
        kinds={"polars", "parquet"},
        tags={"source": contract.source},
        check_specs=checks.check_specs(contract, lake_key(contract)),
    )
    def _normalize(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = settings_from_env()
        loads = []
        try:
            for landed in pending(settings, contract):
                loads.append(load(settings, contract, landed))
        except (ValueError, DownloadError) as exc:  # bad file or archive: retrying won't help
            raise dg.Failure(str(exc), allow_retries=False) from exc
        if loads:
            record, loaded = loads[-1]
        elif (kept := current_record(settings, contract)) is not None:
            record, loaded = kept, False
        elif contract.arrival == INBOX:
            record, loaded = write_empty(settings, contract), True
        else:
            raise dg.Failure(
                f"no landed file for {contract.dataset} under {settings.landing}: "
                f"materialize {landing_key(contract).to_user_string()} first"
            )
        path = Path(record.lake_path)
        preview = pl.scan_parquet(path).head(5).collect()
        context.log.info(
            "%s: read %d, loaded %d, rejected %d%s",
            contract.dataset,
            record.rows_read,
            record.rows_loaded,
            record.rows_rejected,
            "" if loaded else " (unchanged, kept)",
        )
        guards = checks.evaluate(
            contract, record, previous_record(settings, contract, record), settings.as_of
        )
        return dg.MaterializeResult(
            check_results=guards,
            metadata={
                "rows_read": dg.MetadataValue.int(record.rows_read),
                "rows_loaded": dg.MetadataValue.int(record.rows_loaded),
                "rows_rejected": dg.MetadataValue.int(record.rows_rejected),
                "identifiers_padded": dg.MetadataValue.int(record.identifiers_padded),
                "dagster/row_count": dg.MetadataValue.int(record.rows_loaded),
                "size_bytes": dg.MetadataValue.int(path.stat().st_size),
                "source_sha256": record.sha256,
                "source_file": record.file,
                "arrival_id": record.arrival_id,
                "newest_data": record.newest_data or "",
                "columns_extra": ", ".join(record.columns_extra) or "none",
                "columns_missing": ", ".join(record.columns_missing) or "none",
                "normalize_seconds": dg.MetadataValue.float(record.seconds),
                "reprocessed": loaded,
                "files_loaded": dg.MetadataValue.int(len(loads)),
                "path": dg.MetadataValue.path(str(path)),
                "preview": dg.MetadataValue.md(markdown_preview(preview)),
            },
            data_version=dg.DataVersion(f"{record.sha256[:16]}-{record.contract_version}"),
        )

    return _normalize


def ingest_assets(contracts: tuple[Contract, ...]) -> list[dg.AssetsDefinition]:
    """Extract and normalize assets for every contract given."""
    assets: list[dg.AssetsDefinition] = []
    for contract in contracts:
        assets += [extract_asset(contract), normalize_asset(contract)]
    return assets
