-- One row per distinct line of the Wiki'T controls export: a SIRET, the date of its last
-- labour-inspection control and the control unit (UC) owning it. `occurrence` = 1 marks the
-- line kept for its SIRET (the last one in the file).
with source as (
    select * from {{ source('lake', 'wikit_controles') }}
),

renamed as (
    select
        "Siret" as siret,
        "Date de dernier controle" as date_dernier_controle,
        "Propriétaire" as code_uc,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by siret, date_dernier_controle, code_uc
        order by source_line
    ) = 1
),

final as (
    select
        *,
        row_number() over (partition by siret order by source_line desc) as occurrence
    from deduplicated
)

select * from final
