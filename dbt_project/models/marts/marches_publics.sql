-- One row per public contract and holder (DECP), in its latest state: the highest
-- modification. Every holder is kept whatever its identifier; siret is filled only for a
-- SIRET of 14 digits, so a VAT number is kept but never joined. A SIRET absent from SIRENE is
-- kept, with est_dans_sirene false.
with marches as (
    select * from {{ ref('int_decp__marches_titulaires') }}
),

etablissements as (
    select siret from {{ ref('int_sirene__etablissements') }}
),

final as (
    select
        m.marche_uid,
        m.titulaire_id,
        m.titulaire_type_identifiant,
        m.titulaire_nom,
        m.siret,
        left(m.siret, 9) as siren,
        m.marche_id,
        m.acheteur_siret,
        m.acheteur_nom,
        m.nature,
        m.techniques,
        m.est_accord_cadre,
        m.objet,
        m.type_marche,
        m.code_cpv,
        m.procedure_passation,
        m.montant,
        m.duree_mois,
        m.date_notification_initiale,
        m.date_notification,
        m.date_publication,
        m.modification_id,
        m.nb_titulaires,
        coalesce(m.siret in (select siret from etablissements), false) as est_dans_sirene
    from marches as m
)

select * from final
order by siret, date_notification_initiale, marche_uid
