-- One row per establishment (SIRET) of the SIRENE stock: the columns of fiche_etablissement
-- that come from public files and do not depend on the reference date (var as_of). A table,
-- so that a build after one service's new file (the inbox sensor's runs) reads it as it is
-- and only joins the services' figures to it, instead of joining every public source again.
with etablissements as (
    select * from {{ ref('int_sirene__etablissements') }}
),

unites_legales as (
    select * from {{ ref('int_sirene__unites_legales') }}
),

successions as (
    select * from {{ ref('int_sirene__successions') }}
),

fermetures as (
    select * from {{ ref('int_sirene__fermetures') }}
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

communes as (
    select * from {{ ref('communes') }}
),

departements as (
    select * from {{ ref('departements') }}
),

regions as (
    select * from {{ ref('regions') }}
),

conventions_collectives as (
    select * from {{ ref('int_conventions_collectives__etablissements') }}
),

organismes_formation as (
    select * from {{ ref('int_organismes_formation__etablissements') }}
),

coordonnees as (
    select * from {{ ref('int_geolocalisation__coordonnees') }}
),

final as (
    select
        e.siret,
        e.siren,
        e.nic,
        e.est_siege,
        e.etat_administratif,
        e.date_creation,
        -- the history's last change to F; the stock's current period only starts on the
        -- closing day when nothing changed since, so it is the fallback
        case
            when e.etat_administratif = 'F' then coalesce(f.date_fermeture, e.date_debut)
        end as date_fermeture,
        e.statut_diffusion,
        u.nom_affiche as denomination,
        e.enseigne,
        e.denomination_usuelle,
        e.code_naf,
        e.nomenclature_naf,
        naf.libelle_naf,
        u.categorie_juridique,
        cj.libelle_categorie_juridique,
        e.tranche_effectifs,
        te.libelle_tranche as libelle_tranche_effectifs,
        e.annee_effectifs,
        e.adresse,
        e.code_postal,
        e.code_commune,
        coalesce(c.libelle_commune, e.libelle_commune) as libelle_commune,
        e.departement,
        d.libelle_departement,
        coalesce(c.code_region, d.code_region) as region,
        r.libelle_region,
        e.libelle_pays_etranger as pays_etranger,
        s.siret_predecesseur,
        s.siret_successeur,
        e.date_dernier_traitement,
        cc.codes_idcc,
        cc.conventions_collectives,
        ofo.numero_declaration_activite,
        ofo.est_qualiopi,
        geo.latitude,
        geo.longitude
    from etablissements as e
    left join unites_legales as u on e.siren = u.siren
    left join successions as s on e.siret = s.siret
    left join fermetures as f on e.siret = f.siret
    left join conventions_collectives as cc on e.siret = cc.siret
    left join organismes_formation as ofo on e.siret = ofo.siret
    left join coordonnees as geo on e.siret = geo.siret
    left join naf
        on e.code_naf = naf.code_naf and e.nomenclature_naf = 'NAFRev2'
    left join categories_juridiques as cj
        on u.categorie_juridique = cj.code_categorie_juridique
    left join tranches_effectifs as te on e.tranche_effectifs = te.code_tranche
    left join communes as c on e.code_commune = c.code_commune
    left join departements as d on e.departement = d.code_departement
    left join regions as r on coalesce(c.code_region, d.code_region) = r.code_region
)

select * from final
