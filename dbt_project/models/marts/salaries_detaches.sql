-- One row per SIPSI client (company by SIREN or establishment by SIRET) and year: the
-- distinct workers posted to it; niveau says which identifier keys the row. A client absent
-- from SIRENE is kept, with est_dans_sirene false.
with clients as (
    select * from {{ ref('int_services__salaries_detaches') }}
),

unites_legales as (
    select siren from {{ ref('int_sirene__unites_legales') }}
),

etablissements as (
    select siret from {{ ref('int_sirene__etablissements') }}
),

final as (
    select
        c.niveau,
        c.siren,
        c.siret,
        c.annee,
        c.nb_salaries_detaches,
        case
            when c.niveau = 'siret' then c.siret in (select siret from etablissements)
            else c.siren in (select siren from unites_legales)
        end as est_dans_sirene
    from clients as c
)

select * from final
order by siren, siret, annee
