-- A view, unlike the other staging models: it reads the load records of every dataset, and a
-- run that rebuilds only what one source changes does not select it; as a view, the records
-- are read again by whatever queries it, so sources_fraicheur is never stale.
{{ config(materialized='view') }}
-- One row per file now in the lake: the load record the normalize step wrote beside its
-- Parquet file (sources/lake.py), with explicit types so that nothing is guessed. A dataset
-- kept as monthly parts (dsn_effectifs) has one record per part, in its own folder.
with records as (
    select *
    from read_json(
        -- `**` also matches no folder at all: lake/x.load.json and lake/x/part.load.json
        '{{ env_var("FCE_WAREHOUSE") }}/lake/**/*.load.json',
        format = 'auto',
        columns = {{ load_record_columns() }},
        filename = true
    )
),

parted as (
    select
        *,
        -- a part's record is named after the part's month (YYYY-MM-01); null for whole files
        try_cast(
            regexp_extract(filename, '/(\d{4}-\d{2}-\d{2})\.load\.json$', 1) as date
        ) as part_date
    from records
),

final as (
    select
        dataset || coalesce('/' || cast(part_date as varchar), '') as load_id,
        source,
        dataset,
        part_date,
        producer,
        system,
        file,
        origin,
        sha256,
        size as size_bytes,
        arrival_id,
        cast(arrived_at as timestamp) as arrived_at,
        cast(loaded_at as timestamp) as loaded_at,
        cast(newest_data as date) as newest_data_date,
        rows_read,
        rows_loaded,
        rows_rejected,
        identifiers_padded,
        columns_missing,
        columns_extra,
        contract_version,
        stale_after_days,
        seconds as normalize_seconds
    from parted
)

select * from final
