-- One row per distinct line of the IAE file: a SIRET and a flag per kind of inclusion
-- structure. `occurrence` = 1 marks the line kept for its SIRET (the last one in the file).
with source as (
    select * from {{ source('lake', 'iae_agrements') }}
),

renamed as (
    select
        siret,
        kind_aci as est_aci,
        kind_ai as est_ai,
        kind_ea as est_ea,
        kind_ei as est_ei,
        kind_etti as est_etti,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by siret, est_aci, est_ai, est_ea, est_ei, est_etti
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
