-- One row per partial-activity convention and amendment (APART), with its hours.
-- An identifier absent from SIRENE is kept, with est_dans_sirene false.
with source_rows as (
    select * from {{ ref('stg_apart__conventions') }}
    where occurrence = 1
),

etablissements as (
    select siret from {{ ref('int_sirene__etablissements') }}
),

final as (
    select
        r.numero_convention,
        r.numero_avenant,
        r.siret,
        left(r.siret, 9) as siren,
        r.date_decision,
        r.date_da_init,
        r.heures_autorisees_avenant,
        r.heures_autorisees_cumulees,
        r.heures_consommees_cumulees,
        r.cause,
        r.siret in (select siret from etablissements) as est_dans_sirene
    from source_rows as r
)

select * from final
order by siret, numero_convention, numero_avenant
