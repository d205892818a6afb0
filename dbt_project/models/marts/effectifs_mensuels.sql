-- One row per establishment (SIRET) and month: its DSN headcounts.
-- An identifier absent from SIRENE is kept, with est_dans_sirene false.
with source_rows as (
    select * from {{ ref('stg_dsn_effectifs__effectifs') }}
    where occurrence = 1
),

etablissements as (
    select siret from {{ ref('int_sirene__etablissements') }}
),

final as (
    select
        r.siret,
        r.mois,
        left(r.siret, 9) as siren,
        r.effectif_total,
        r.effectif_hommes,
        r.effectif_femmes,
        r.nb_cdd,
        r.nb_cdi,
        r.nb_cdi_interimaires,
        r.nb_interimaires_en_mission,
        r.nb_interim,
        r.mois_declare,
        r.date_mise_a_jour,
        r.siret in (select siret from etablissements) as est_dans_sirene
    from source_rows as r
)

select * from final
order by siret, mois
