-- One row per company (SIREN) with an Egapro declaration: the index of its latest year,
-- its own or its UES's. A latest year whose index is NC gives a null index with its year.
with index_entreprises as (
    select * from {{ ref('int_egapro__index_entreprises') }}
),

final as (
    select
        siren,
        note_index as index_egapro,
        annee as annee_index_egapro,
        est_via_ues as est_index_egapro_ues
    from index_entreprises
    -- the latest year the company (or its UES) declared
    qualify row_number() over (partition by siren order by annee desc) = 1
)

select * from final
