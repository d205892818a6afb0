-- One row per dataset now in the lake: the load record the normalize step wrote beside its
-- Parquet file (sources/lake.py), with explicit types so that nothing is guessed.
with records as (
    select *
    from read_json(
        '{{ env_var("FCE_WAREHOUSE") }}/lake/*.load.json',
        format = 'auto',
        columns = {{ load_record_columns() }}
    )
),

final as (
    select
        source,
        dataset,
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
    from records
)

select * from final
