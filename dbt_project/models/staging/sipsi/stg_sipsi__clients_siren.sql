-- One row per distinct line of the SIPSI file by client company (SIREN): the distinct posted
-- workers in the file's year (annee) and the year before. `occurrence` = 1 marks the line
-- kept for its siren (the last one in the file).
with source as (
    select * from {{ source('lake', 'sipsi_siren') }}
),

renamed as (
    select
        client_siren as siren,
        annee,
        salaries_distincts_annee as nb_salaries_detaches_annee,
        salaries_distincts_annee_precedente as nb_salaries_detaches_annee_precedente,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by
            siren, annee, nb_salaries_detaches_annee, nb_salaries_detaches_annee_precedente
        order by source_line
    ) = 1
),

final as (
    select
        *,
        row_number() over (partition by siren order by source_line desc) as occurrence
    from deduplicated
)

select * from final
