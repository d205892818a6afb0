-- One row per distinct line of the EOS export: an economic-development visit to a SIRET
-- (placeholder visits were already set aside by the normalize step). `occurrence` = 1 marks
-- the line kept for its (SIRET, visit date) (the last one in the file).
with source as (
    select * from {{ source('lake', 'eos_visites') }}
),

renamed as (
    select
        "SIRET" as siret,
        "Date de la visite" as date_visite,
        "Région de l'utilisateur propriétaire de la visite" as region_utilisateur,
        "Visite effectuée par" as visite_effectuee_par,
        "Filière(s) stratégique(s) - Tous les  libellés" as filieres_strategiques,
        "Type de suivi" as type_suivi,
        "Type de suivi ETI/Pépite" as type_suivi_eti_pepite,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by
            siret, date_visite, region_utilisateur, visite_effectuee_par,
            filieres_strategiques, type_suivi, type_suivi_eti_pepite
        order by source_line
    ) = 1
),

final as (
    select
        *,
        row_number() over (
            partition by siret, date_visite order by source_line desc
        ) as occurrence
    from deduplicated
)

select * from final
