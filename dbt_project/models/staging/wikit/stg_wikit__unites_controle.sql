-- One row per distinct line of the Wiki'T control units file: a unit code, its label and
-- mailbox. `occurrence` = 1 marks the line kept for its code (the last one in the file).
with source as (
    select * from {{ source('lake', 'wikit_unites_controle') }}
),

renamed as (
    select
        "CODE_UC" as code_uc,
        "LIB_UC" as libelle_uc,
        "Courrier électronique" as courriel,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by code_uc, libelle_uc, courriel
        order by source_line
    ) = 1
),

final as (
    select
        *,
        row_number() over (partition by code_uc order by source_line desc) as occurrence
    from deduplicated
)

select * from final
