-- One row per distinct line of the monthly DSN headcount parts: a SIRET, the month and its
-- headcounts. `occurrence` = 1 marks the line kept for its (SIRET, month) (the last one in
-- its part).
with source as (
    select * from {{ source('lake', 'dsn_effectifs') }}
),

renamed as (
    select
        "SIRET" as siret,
        -- the month is the file name's (mois_fichier); MOIS, as the producer wrote it, is
        -- known to lag and kept for reference only
        mois_fichier as mois,
        "MOIS" as mois_declare,
        "EFF_TOTAL" as effectif_total,
        "EFF_HOMME" as effectif_hommes,
        "EFF_FEMME" as effectif_femmes,
        "NB_CDD" as nb_cdd,
        "NB_CDI" as nb_cdi,
        "NB_CDI_INTER" as nb_cdi_interimaires,
        "NB_INTER_MISSION" as nb_interimaires_en_mission,
        "NB_INTERIM" as nb_interim,
        "DATE_MAJ" as date_mise_a_jour,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by
            siret, mois, mois_declare, effectif_total, effectif_hommes, effectif_femmes,
            nb_cdd, nb_cdi, nb_cdi_interimaires, nb_interimaires_en_mission, nb_interim,
            date_mise_a_jour
        order by source_line
    ) = 1
),

final as (
    select
        *,
        row_number() over (
            partition by siret, mois order by source_line desc
        ) as occurrence
    from deduplicated
)

select * from final
