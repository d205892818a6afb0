-- One row per establishment (SIRET) and period of the INSEE history: state, activity, enseigne
-- and usual name over time, and what changed when each period began. `[ND]` stays masked.
with periodes as (
    select * from {{ ref('int_sirene__etablissements_historique') }}
),

naf as (
    select * from {{ ref('naf') }}
),

final as (
    select
        p.siret,
        p.siren,
        p.date_debut,
        p.date_fin,
        p.est_periode_courante,
        p.etat_administratif,
        p.code_naf,
        p.nomenclature_naf,
        naf.libelle_naf,
        p.enseigne,
        p.denomination_usuelle,
        p.caractere_employeur,
        p.est_changement_etat_administratif,
        p.est_changement_naf,
        p.est_changement_enseigne,
        p.est_changement_denomination_usuelle,
        p.est_changement_caractere_employeur,
        p.changements
    from periodes as p
    left join naf
        on p.code_naf = naf.code_naf and p.nomenclature_naf = 'NAFRev2'
)

select * from final
order by siret, date_debut
