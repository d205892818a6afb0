-- One row per apprenticeship contract (DECA), with its employer.
-- An identifier absent from SIRENE is kept, with est_dans_sirene false.
with source_rows as (
    select * from {{ ref('stg_apprentissage__contrats') }}
    where occurrence = 1
),

etablissements as (
    select siret from {{ ref('int_sirene__etablissements') }}
),

final as (
    select
        r.numero_enregistrement,
        r.siret,
        left(r.siret, 9) as siren,
        r.type_contrat,
        r.date_debut,
        r.date_rupture,
        r.siret in (select siret from etablissements) as est_dans_sirene
    from source_rows as r
)

select * from final
order by siret, date_debut
