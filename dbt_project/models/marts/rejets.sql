-- One row per input row that did not reach the fiches, with its file, line and reason:
-- rows refused by the normalize step (contract rules) and rows set aside in staging
-- (a key present on several lines: the line with the latest processing date is kept).
with loads as (
    select dataset, file, arrival_id from {{ ref('stg_lake__loads') }}
),

normalize_rejects as (
    select
        r.dataset,
        r.file,
        r.arrival_id,
        'normalize' as stage,
        r.line,
        r.reason,
        r.raw
    from read_parquet(
        '{{ env_var("FCE_WAREHOUSE") }}/rejects/*/*.parquet', union_by_name = true
    ) as r
    -- keep the rejects of the files now loaded; older ones stay on disk
    semi join loads as l on r.dataset = l.dataset and r.arrival_id = l.arrival_id
),

etablissements_duplicated as (
    select
        'sirene_etablissements' as dataset,
        source_line as line,
        'siret ' || siret || ' also on another line; kept the most recently processed one'
            as reason,
        to_json(e) as raw
    from {{ ref('stg_sirene__etablissements') }} as e
    where occurrence > 1
),

unites_legales_duplicated as (
    select
        'sirene_unites_legales' as dataset,
        source_line as line,
        'siren ' || siren || ' also on another line; kept the most recently processed one'
            as reason,
        to_json(u) as raw
    from {{ ref('stg_sirene__unites_legales') }} as u
    where occurrence > 1
),

staging_rejects as (
    select
        d.dataset,
        l.file,
        l.arrival_id,
        'staging' as stage,
        d.line,
        d.reason,
        cast(d.raw as varchar) as raw
    from (
        select * from etablissements_duplicated
        union all
        select * from unites_legales_duplicated
    ) as d
    inner join loads as l on d.dataset = l.dataset
),

final as (
    select * from normalize_rejects
    union all
    select * from staging_rejects
)

select * from final
