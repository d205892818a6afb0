-- One row per line of StockUniteLegale, renamed. A SIREN present on several lines is kept
-- once downstream: `occurrence` = 1 is the line with the latest processing date.
with source as (
    select * from {{ source('lake', 'sirene_unites_legales') }}
),

renamed as (
    select
        siren,
        statutDiffusionUniteLegale as statut_diffusion,
        unitePurgeeUniteLegale as est_purgee,
        dateCreationUniteLegale as date_creation,
        sigleUniteLegale as sigle,
        sexeUniteLegale as sexe,
        prenom1UniteLegale as prenom_1,
        prenom2UniteLegale as prenom_2,
        prenom3UniteLegale as prenom_3,
        prenom4UniteLegale as prenom_4,
        prenomUsuelUniteLegale as prenom_usuel,
        pseudonymeUniteLegale as pseudonyme,
        identifiantAssociationUniteLegale as identifiant_association,
        trancheEffectifsUniteLegale as tranche_effectifs,
        anneeEffectifsUniteLegale as annee_effectifs,
        dateDernierTraitementUniteLegale as date_dernier_traitement,
        nombrePeriodesUniteLegale as nombre_periodes,
        categorieEntreprise as categorie_entreprise,
        anneeCategorieEntreprise as annee_categorie_entreprise,
        dateDebut as date_debut,
        etatAdministratifUniteLegale as etat_administratif,
        nomUniteLegale as nom,
        nomUsageUniteLegale as nom_usage,
        denominationUniteLegale as denomination,
        denominationUsuelle1UniteLegale as denomination_usuelle_1,
        denominationUsuelle2UniteLegale as denomination_usuelle_2,
        denominationUsuelle3UniteLegale as denomination_usuelle_3,
        categorieJuridiqueUniteLegale as categorie_juridique,
        activitePrincipaleUniteLegale as code_naf,
        nomenclatureActivitePrincipaleUniteLegale as nomenclature_naf,
        nicSiegeUniteLegale as nic_siege,
        economieSocialeSolidaireUniteLegale as economie_sociale_solidaire,
        societeMissionUniteLegale as societe_mission,
        caractereEmployeurUniteLegale as caractere_employeur,
        activitePrincipaleNAF25UniteLegale as code_naf_2025,
        source_line
    from source
),

final as (
    {{ with_occurrence('renamed', ['siren'], 'date_dernier_traitement desc nulls last, source_line desc') }}
)

select * from final
