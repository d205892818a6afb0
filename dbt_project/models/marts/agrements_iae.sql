-- One row per establishment (SIRET) holding an inclusion agreement (IAE), a flag per kind.
-- An identifier absent from SIRENE is kept, with est_dans_sirene false.
with source_rows as (
    select * from {{ ref('stg_iae__agrements') }}
    where occurrence = 1
),

etablissements as (
    select siret from {{ ref('int_sirene__etablissements') }}
),

final as (
    select
        r.siret,
        left(r.siret, 9) as siren,
        r.est_aci,
        r.est_ai,
        r.est_ea,
        r.est_ei,
        r.est_etti,
        r.siret in (select siret from etablissements) as est_dans_sirene
    from source_rows as r
)

select * from final
order by siret
