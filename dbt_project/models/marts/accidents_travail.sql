-- One row per establishment (SIRET): its work accidents (DAT'IA) and the sector's rates.
-- An identifier absent from SIRENE is kept, with est_dans_sirene false.
with source_rows as (
    select * from {{ ref('stg_accidents_travail__etablissements') }}
    where occurrence = 1
),

etablissements as (
    select siret from {{ ref('int_sirene__etablissements') }}
),

final as (
    select
        r.siret,
        left(r.siret, 9) as siren,
        r.nb_accidents_travail,
        r.nb_accidents_mortels,
        r.nb_accidents_avec_arret,
        r.nb_accidents_sans_arret,
        r.code_section_naf,
        r.taux_accidents_pour_1000_salaries,
        r.taux_france_secteur,
        r.taux_region_secteur,
        r.siret in (select siret from etablissements) as est_dans_sirene
    from source_rows as r
)

select * from final
order by siret
