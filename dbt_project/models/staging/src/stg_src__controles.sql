-- One row per distinct line of the MDF export: a vocational-training control case, the SIRET
-- rebuilt by the normalize step from SIREN and NIC. `occurrence` = 1 marks the line kept for
-- its case number (the last one in the file).
with source as (
    select * from {{ source('lake', 'src_controles') }}
),

renamed as (
    select
        "Numero dossier" as numero_dossier,
        "N° SIREN" as siren,
        "N° Etablissement" as numero_etablissement,
        siret,
        "Code region" as code_region,
        "Libelle region" as libelle_region,
        "Type de contrôle" as type_controle,
        "Date creation" as date_creation,
        "Date derniere Modification" as date_derniere_modification,
        "Date cloture" as date_cloture,
        "Cols" as clos,
        "Clos automatiquement" as clos_automatiquement,
        "Nature du contrôle" as nature_controle,
        "Cible du contrôle" as cible_controle,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by
            numero_dossier, siren, numero_etablissement, siret, code_region, libelle_region,
            type_controle, date_creation, date_derniere_modification, date_cloture, clos,
            clos_automatiquement, nature_controle, cible_controle
        order by source_line
    ) = 1
),

final as (
    select
        *,
        row_number() over (
            partition by numero_dossier order by source_line desc
        ) as occurrence
    from deduplicated
)

select * from final
