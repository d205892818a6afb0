-- One row per public contract and holder, in its latest state (the highest modification):
-- what the mart marches_publics shows and the fiche counts.
with lignes as (
    select * from {{ ref('stg_decp__marches') }}
),

latest as (
    select * from lignes
    where occurrence = 1
),

final as (
    select
        *,
        -- holders of a grouping all carry the contract's whole amount
        count(*) over (partition by marche_uid) as nb_titulaires
    from latest
)

select * from final
