-- One row per line of StockEtablissement, renamed. A SIRET present on several lines is kept
-- once downstream: `occurrence` = 1 is the line with the latest processing date.
with source as (
    select * from {{ source('lake', 'sirene_etablissements') }}
),

renamed as (
    select
        siret,
        siren,
        nic,
        statutDiffusionEtablissement as statut_diffusion,
        dateCreationEtablissement as date_creation,
        trancheEffectifsEtablissement as tranche_effectifs,
        anneeEffectifsEtablissement as annee_effectifs,
        activitePrincipaleRegistreMetiersEtablissement as activite_registre_metiers,
        dateDernierTraitementEtablissement as date_dernier_traitement,
        etablissementSiege as est_siege,
        nombrePeriodesEtablissement as nombre_periodes,
        complementAdresseEtablissement as complement_adresse,
        numeroVoieEtablissement as numero_voie,
        indiceRepetitionEtablissement as indice_repetition,
        typeVoieEtablissement as type_voie,
        libelleVoieEtablissement as libelle_voie,
        codePostalEtablissement as code_postal,
        libelleCommuneEtablissement as libelle_commune,
        libelleCommuneEtrangerEtablissement as libelle_commune_etranger,
        distributionSpecialeEtablissement as distribution_speciale,
        codeCommuneEtablissement as code_commune,
        codeCedexEtablissement as code_cedex,
        libelleCedexEtablissement as libelle_cedex,
        codePaysEtrangerEtablissement as code_pays_etranger,
        libellePaysEtrangerEtablissement as libelle_pays_etranger,
        identifiantAdresseEtablissement as identifiant_adresse,
        coordonneeLambertAbscisseEtablissement as coordonnee_lambert_x,
        coordonneeLambertOrdonneeEtablissement as coordonnee_lambert_y,
        dateDebut as date_debut,
        etatAdministratifEtablissement as etat_administratif,
        enseigne1Etablissement as enseigne_1,
        enseigne2Etablissement as enseigne_2,
        enseigne3Etablissement as enseigne_3,
        denominationUsuelleEtablissement as denomination_usuelle,
        activitePrincipaleEtablissement as code_naf,
        nomenclatureActivitePrincipaleEtablissement as nomenclature_naf,
        caractereEmployeurEtablissement as caractere_employeur,
        activitePrincipaleNAF25Etablissement as code_naf_2025,
        source_line
    from source
),

final as (
    {{ with_occurrence('renamed', ['siret'], 'date_dernier_traitement desc nulls last, source_line desc') }}
)

select * from final
