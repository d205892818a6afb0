-- One row per distinct line of the DAT'IA file: the work accidents of a SIRET, with the
-- sector's rates for comparison. `occurrence` = 1 marks the line kept for its SIRET (the
-- last one in the file).
with source as (
    select * from {{ source('lake', 'accidents_travail') }}
),

renamed as (
    select
        "01_SIRET" as siret,
        "02_nb_at_total" as nb_accidents_travail,
        "03_nb_at_mortels" as nb_accidents_mortels,
        "04_nb_at_avec_arret_travail" as nb_accidents_avec_arret,
        "05_nb_at_sans_arret_travail" as nb_accidents_sans_arret,
        "06_NAF_NIV1" as code_section_naf,
        "07_nb_at_pour_1000salaries" as taux_accidents_pour_1000_salaries,
        "08_nb_at_pour_1000salaries_france_secteur" as taux_france_secteur,
        "09_nb_at_pour_1000salaries_region_secteur" as taux_region_secteur,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by
            siret, nb_accidents_travail, nb_accidents_mortels, nb_accidents_avec_arret,
            nb_accidents_sans_arret, code_section_naf, taux_accidents_pour_1000_salaries,
            taux_france_secteur, taux_region_secteur
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
