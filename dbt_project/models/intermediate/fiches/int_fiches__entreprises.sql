-- One row per company (SIREN) of the SIRENE stock: the columns of fiche_entreprise that come
-- from public files, counts of its establishments included. A table, so that a build after
-- one service's new file reads it as it is and only joins the services' figures to it.
with unites_legales as (
    select * from {{ ref('int_sirene__unites_legales') }}
),

etablissements as (
    select * from {{ ref('int_sirene__etablissements') }}
),

naf as (
    select * from {{ ref('naf') }}
),

categories_juridiques as (
    select * from {{ ref('categories_juridiques') }}
    where niveau = '3'
),

tranches_effectifs as (
    select * from {{ ref('tranches_effectifs') }}
),

counted as (
    select
        siren,
        count(*) as nb_etablissements,
        count(*) filter (where etat_administratif = 'A') as nb_etablissements_actifs
    from etablissements
    group by siren
),

organismes_formation as (
    select * from {{ ref('int_organismes_formation__entreprises') }}
),

procedures_collectives as (
    select * from {{ ref('int_bodacc__dernieres_procedures') }}
),

egapro as (
    select * from {{ ref('int_egapro__derniers_index') }}
),

final as (
    select
        u.siren,
        u.nom_affiche as denomination,
        u.sigle,
        u.categorie_juridique,
        cj.libelle_categorie_juridique,
        u.code_naf,
        u.nomenclature_naf,
        naf.libelle_naf,
        u.etat_administratif,
        u.date_creation,
        case when u.nic_siege is not null then u.siren || u.nic_siege end as siret_siege,
        coalesce(n.nb_etablissements, 0) as nb_etablissements,
        coalesce(n.nb_etablissements_actifs, 0) as nb_etablissements_actifs,
        u.tranche_effectifs,
        te.libelle_tranche as libelle_tranche_effectifs,
        u.annee_effectifs,
        u.categorie_entreprise,
        u.economie_sociale_solidaire,
        u.statut_diffusion,
        u.date_dernier_traitement,
        coalesce(ofo.nb_declarations_activite, 0) as nb_declarations_activite,
        ofo.est_qualiopi,
        pc.type_procedure as derniere_procedure_collective,
        pc.date_jugement as date_derniere_procedure_collective,
        pc.nature_jugement as nature_derniere_procedure_collective,
        eg.index_egapro,
        eg.annee_index_egapro,
        eg.est_index_egapro_ues
    from unites_legales as u
    left join counted as n on u.siren = n.siren
    left join egapro as eg on u.siren = eg.siren
    left join organismes_formation as ofo on u.siren = ofo.siren
    left join procedures_collectives as pc on u.siren = pc.siren
    left join naf
        on u.code_naf = naf.code_naf and u.nomenclature_naf = 'NAFRev2'
    left join categories_juridiques as cj
        on u.categorie_juridique = cj.code_categorie_juridique
    left join tranches_effectifs as te on u.tranche_effectifs = te.code_tranche
)

select * from final
