-- One row per distinct line of the APART export: an amendment of a partial-activity
-- convention, with the hours authorised and consumed. `occurrence` = 1 marks the line kept
-- for its (convention, amendment) (the last one in the file).
with source as (
    select * from {{ source('lake', 'apart_conventions') }}
),

renamed as (
    select
        "SIRET" as siret,
        "NUM_CONVENTION" as numero_convention,
        "DATE_DECISION" as date_decision,
        "NUM_AVENANT" as numero_avenant,
        "DA_INIT" as date_da_init,
        "NB_H_AUTO_AVN" as heures_autorisees_avenant,
        "NB_H_AUTO_CUM" as heures_autorisees_cumulees,
        "NB_H_CONSO_CUM" as heures_consommees_cumulees,
        "CAUSE" as cause,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by
            siret, numero_convention, date_decision, numero_avenant, date_da_init,
            heures_autorisees_avenant, heures_autorisees_cumulees, heures_consommees_cumulees,
            cause
        order by source_line
    ) = 1
),

final as (
    select
        *,
        row_number() over (
            partition by numero_convention, numero_avenant order by source_line desc
        ) as occurrence
    from deduplicated
)

select * from final
