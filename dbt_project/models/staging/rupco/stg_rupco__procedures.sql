-- One row per distinct line of the RUPCO procedures export: a layoff case (PSE, RCC,
-- collective dismissal) of a company. `occurrence` = 1 marks the line kept for its case
-- number (the last one in the file).
with source as (
    select * from {{ source('lake', 'rupco_procedures') }}
),

renamed as (
    select
        "NUMERO DE DOSSIER" as numero_dossier,
        "TYPE DE DOSSIER" as type_dossier,
        "DATE ENREGISTREMENT" as date_enregistrement,
        "ETAT DU DOSSIER" as etat_dossier,
        "SIREN ENTREPRISE" as siren,
        "EFFECTIF ENTREPRISE" as effectif_entreprise,
        "EFFECTIF GROUPE" as effectif_groupe,
        "NOM GROUPE" as nom_groupe,
        "DATE JUGEMENT" as date_jugement,
        "SITUATION JURIDIQUE" as situation_juridique,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by
            numero_dossier, type_dossier, date_enregistrement, etat_dossier, siren,
            effectif_entreprise, effectif_groupe, nom_groupe, date_jugement, situation_juridique
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
