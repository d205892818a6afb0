-- One row per distinct line of the SORA export: an intervention of the competition and
-- consumer-protection services at a SIRET, its date (rebuilt by the normalize step from
-- year, French month name and day) and whether it was followed up. `occurrence` = 1 marks
-- the line kept for its (SIRET, date) (the last one in the file).
with source as (
    select * from {{ source('lake', 'sora_interventions') }}
),

renamed as (
    select
        "Etob Siret" as siret,
        "Année de Visite Date Intervention" as annee_intervention,
        "Mois de Visite Date Intervention" as mois_intervention,
        "Jour de Visite Date Intervention" as jour_intervention,
        date_intervention,
        "Suite (1 = oui, 0 = non)" as est_avec_suite,
        "Unfct Libelle" as libelle_unite,
        "Messagerie" as messagerie,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by
            siret, annee_intervention, mois_intervention, jour_intervention,
            date_intervention, est_avec_suite, libelle_unite, messagerie
        order by source_line
    ) = 1
),

final as (
    select
        *,
        row_number() over (
            partition by siret, date_intervention order by source_line desc
        ) as occurrence
    from deduplicated
)

select * from final
