-- A view: only fiche_etablissement reads it. It counts from the reference date (var as_of),
-- so every run that publishes builds the fiche again (pipelines.dbt.with_as_of).
{{ config(materialized='view') }}
-- One row per holder SIRET of a public contract: the contracts it won within the 36 months
-- ending on the reference date (var as_of), by initial notification date. Framework
-- agreements are counted apart: their amount is a ceiling, not what was bought.
{% set as_of = "cast('" ~ var('as_of') ~ "' as date)" %}
with marches as (
    select * from {{ ref('int_decp__marches_titulaires') }}
    where siret is not null
        and date_notification_initiale > {{ as_of }} - interval 36 month
        and date_notification_initiale <= {{ as_of }}
),

final as (
    select
        siret,
        count(*) filter (where not est_accord_cadre) as nb_marches_publics_36_mois,
        {{ stable_sum('montant') }} filter (where not est_accord_cadre)
            as montant_marches_publics_36_mois,
        count(*) filter (where est_accord_cadre) as nb_accords_cadres_36_mois,
        {{ stable_sum('montant') }} filter (where est_accord_cadre)
            as montant_max_accords_cadres_36_mois
    from marches
    group by siret
)

select * from final
