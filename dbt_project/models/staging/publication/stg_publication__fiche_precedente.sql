-- A view: lake/fiche_precedente.parquet is written again before every dbt build (also a build
-- of one source's models), and the view reads it as it is then.
{{ config(materialized='view') }}
-- One row per establishment of the last publication, as it was published.
with source as (
    select * from {{ source('lake', 'fiche_precedente') }}
),

final as (
    select
        snapshot,
        as_of as as_of_precedent,
        siret,
        siren,
        etat_administratif,
        est_siege,
        adresse,
        code_commune,
        code_naf,
        derniere_intervention_pole_t,
        derniere_intervention_pole_c,
        derniere_intervention_pole_3e,
        date_derniere_procedure_rupco,
        date_derniere_decision_activite_partielle,
        effectif_dsn,
        mois_effectif_dsn
    from source
)

select * from final
