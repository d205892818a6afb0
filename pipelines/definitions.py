"""The Dagster code location of the FCE warehouse: ``dagster dev`` and ``fce run`` load this."""

import dagster as dg

from pipelines.alerts import ALERT_SENSORS
from pipelines.dbt import dbt_resource, warehouse_models, with_as_of
from pipelines.exports import parquet_exports
from pipelines.ingest import EXTRACT_GROUP, NORMALIZE_GROUP, ingest_assets
from pipelines.postgres import postgres_export
from pipelines.publish import PUBLISH_GROUP, published_duckdb
from pipelines.sensors import inbox_sensor
from pipelines.snapshots import PREVIOUS_FICHE
from sources.registry import ALL

everything = dg.AssetSelection.all()

refresh_all = dg.define_asset_job(
    "refresh_all",
    selection=everything,
    description="Fetch every source, normalize, build the warehouse with dbt, test, publish.",
)

refresh_sirene = dg.define_asset_job(
    "refresh_sirene",
    selection=with_as_of(dg.AssetSelection.tag("source", "sirene").downstream()),
    description="The SIRENE files and everything built from them, up to the publication, and "
    "the figures that count from the reference date.",
)

sirene_monthly = dg.ScheduleDefinition(
    name="sirene_monthly",
    job=refresh_sirene,
    # INSEE publishes the stock on the 1st of each month (image of the previous month's end).
    cron_schedule="0 9 1 * *",
    execution_timezone="Europe/Paris",
    description="Monthly refresh on the day INSEE publishes the SIRENE stock.",
)

defs = dg.Definitions(
    assets=[
        *ingest_assets(ALL),
        warehouse_models,
        published_duckdb,
        parquet_exports,
        postgres_export,
        PREVIOUS_FICHE,
    ],
    jobs=[refresh_all, refresh_sirene],
    schedules=[sirene_monthly],
    sensors=[*ALERT_SENSORS, inbox_sensor],
    resources={"dbt": dbt_resource()},
)

GROUPS = (EXTRACT_GROUP, NORMALIZE_GROUP, "warehouse", PUBLISH_GROUP)
