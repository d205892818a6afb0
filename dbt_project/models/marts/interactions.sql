-- One row per intervention of a service at an establishment, all services together.
-- An identifier absent from SIRENE is kept, with est_dans_sirene false.
with source_rows as (
    select * from {{ ref('int_services__interventions') }}
),

etablissements as (
    select siret from {{ ref('int_sirene__etablissements') }}
),

final as (
    select
        r.intervention_id,
        r.siret,
        left(r.siret, 9) as siren,
        r.pole,
        r.source,
        r.date_intervention,
        r.unite,
        r.libelle_unite,
        r.type_intervention,
        r.siret in (select siret from etablissements) as est_dans_sirene
    from source_rows as r
)

select * from final
