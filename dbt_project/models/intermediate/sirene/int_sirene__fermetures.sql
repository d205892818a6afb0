-- One row per SIRET that the history shows closed now: the start of the period in which it
-- last became F (after a closing, a reopening and a second closing, the second closing).
with periodes as (
    select * from {{ ref('int_sirene__etablissements_historique') }}
),

fermetures as (
    select
        siret,
        max(date_debut) as date_fermeture
    from periodes
    where etat_administratif = 'F' and est_changement_etat_administratif
    group by siret
),

fermes_maintenant as (
    select siret
    from periodes
    where est_periode_courante and etat_administratif = 'F'
),

final as (
    select
        f.siret,
        f.date_fermeture
    from fermetures as f
    semi join fermes_maintenant as m on f.siret = m.siret
)

select * from final
