-- One row per establishment (SIRET) and collective agreement (IDCC) of its latest month in
-- the DSN list, with the agreement's titles. An identifier absent from SIRENE is kept, with
-- est_dans_sirene false.
with conventions as (
    select * from {{ ref('int_conventions_collectives__conventions') }}
),

etablissements as (
    select siret from {{ ref('int_sirene__etablissements') }}
),

final as (
    select
        c.siret,
        c.siren,
        c.code_idcc,
        c.libelle_idcc,
        c.libelle_court_idcc,
        c.est_determinee,
        c.mois,
        c.date_mise_a_jour,
        c.siret in (select siret from etablissements) as est_dans_sirene
    from conventions as c
)

select * from final
order by siret, code_idcc
