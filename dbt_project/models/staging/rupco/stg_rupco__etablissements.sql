-- One row per distinct line of the RUPCO establishments export: an establishment concerned
-- by a layoff case, with the case's own columns repeated. `occurrence` = 1 marks the line
-- kept for its (case, SIRET) (the last one in the file).
with source as (
    select * from {{ source('lake', 'rupco_etablissements') }}
),

renamed as (
    select
        "NUMERO DE DOSSIER" as numero_dossier,
        "TYPE DE DOSSIER" as type_dossier,
        "DATE ENREGISTREMENT" as date_enregistrement,
        "ETAT DU DOSSIER" as etat_dossier,
        "SIREN ENTREPRISE" as siren_entreprise,
        "EFFECTIF ENTREPRISE" as effectif_entreprise,
        "EFFECTIF GROUPE" as effectif_groupe,
        "NOM GROUPE" as nom_groupe,
        "DATE JUGEMENT" as date_jugement,
        "SITUATION JURIDIQUE" as situation_juridique,
        "SIREN ETABLISSEMENT" as siren_etablissement,
        "EFFECTIF ETABLISSEMENT" as effectif_etablissement,
        "SIRET ETABLISSEMENT" as siret,
        "Nombre de Ruptures de Contrats en début de procédure Etab" as nb_ruptures_debut,
        "Nombre de Ruptures de Contrats en fin de procédure Etab" as nb_ruptures_fin,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by
            numero_dossier, type_dossier, date_enregistrement, etat_dossier, siren_entreprise,
            effectif_entreprise, effectif_groupe, nom_groupe, date_jugement, situation_juridique,
            siren_etablissement, effectif_etablissement, siret, nb_ruptures_debut,
            nb_ruptures_fin
        order by source_line
    ) = 1
),

final as (
    select
        *,
        row_number() over (
            partition by numero_dossier, siret order by source_line desc
        ) as occurrence
    from deduplicated
)

select * from final
