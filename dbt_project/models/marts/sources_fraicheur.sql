-- One row per source file now loaded in the lake: who produced it, how fresh it is, and what
-- became of its rows. Rows set aside in staging (duplicated keys) count as rejected. Ages are
-- counted at the build's reference date (FCE_AS_OF). A dataset kept as monthly parts
-- (dsn_effectifs) has one row per part.
with loads as (
    select * from {{ ref('stg_lake__loads') }}
),

rejets as (
    select * from {{ ref('rejets') }}
),

rejected_in_staging as (
    select dataset, arrival_id, count(*) as rows_rejected_staging
    from rejets
    where stage = 'staging'
    group by dataset, arrival_id
),

final as (
    select
        l.load_id,
        l.source,
        l.dataset,
        l.part_date,
        l.producer,
        l.system,
        l.file,
        l.origin,
        l.sha256,
        l.size_bytes,
        l.arrival_id,
        l.arrived_at,
        l.loaded_at as imported_at,
        l.newest_data_date,
        date_diff('day', l.newest_data_date, cast('{{ var("as_of") }}' as date))
            as age_days,
        l.stale_after_days,
        -- judged on the dataset's newest data: an old month of an accumulating dataset
        -- (DSN) is history, not staleness
        coalesce(
            date_diff(
                'day',
                max(l.newest_data_date) over (partition by l.dataset),
                cast('{{ var("as_of") }}' as date)
            ) > l.stale_after_days,
            false
        ) as est_perime,
        l.rows_read,
        l.rows_loaded - coalesce(r.rows_rejected_staging, 0) as rows_loaded,
        l.rows_rejected + coalesce(r.rows_rejected_staging, 0) as rows_rejected,
        l.identifiers_padded,
        l.normalize_seconds
    from loads as l
    left join rejected_in_staging as r
        on l.dataset = r.dataset and l.arrival_id = r.arrival_id
)

select * from final
order by dataset
