-- One row per SIRET of the DSN list: its agreements of the latest month as a sorted list of
-- IDCC and as the text the fiche shows ("1486 Bureaux d'études…; 9999 Non déterminée").
with conventions as (
    select * from {{ ref('int_conventions_collectives__conventions') }}
),

final as (
    select
        siret,
        list_sort(list(code_idcc)) as codes_idcc,
        string_agg(
            code_idcc || coalesce(' ' || libelle_court_idcc, ''), '; ' order by code_idcc
        ) as conventions_collectives,
        max(mois) as mois
    from conventions
    group by siret
)

select * from final
