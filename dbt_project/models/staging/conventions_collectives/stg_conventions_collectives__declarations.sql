-- One row per distinct line of the DSN list of collective agreements: a SIRET, an IDCC and
-- its month. `occurrence` = 1 marks the line kept for its key (siret, code_idcc, mois).
with source as (
    select * from {{ source('lake', 'conventions_collectives_siret') }}
),

renamed as (
    select
        "SIRET" as siret,
        -- the DSN writes 4 digits; a value typed without its leading zeros gets them back
        lpad("IDCC", 4, '0') as code_idcc,
        cast(strptime("MOIS" || '-01', '%Y-%m-%d') as date) as mois,
        "DATE_MAJ" as date_mise_a_jour,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by siret, code_idcc, mois, date_mise_a_jour
        order by source_line
    ) = 1
),

final as (
    select
        *,
        row_number() over (
            partition by siret, code_idcc, mois order by source_line desc
        ) as occurrence
    from deduplicated
)

select * from final
