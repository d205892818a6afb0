-- One row per line of StockEtablissementHistorique, renamed. A SIRET and period start present
-- on several lines is kept once downstream: `occurrence` = 1 is the last of those lines.
with source as (
    select * from {{ source('lake', 'sirene_etablissements_historique') }}
),

renamed as (
    select
        siret,
        siren,
        nic,
        dateDebut as date_debut,
        dateFin as date_fin,
        etatAdministratifEtablissement as etat_administratif,
        changementEtatAdministratifEtablissement as est_changement_etat_administratif,
        enseigne1Etablissement as enseigne_1,
        enseigne2Etablissement as enseigne_2,
        enseigne3Etablissement as enseigne_3,
        changementEnseigneEtablissement as est_changement_enseigne,
        denominationUsuelleEtablissement as denomination_usuelle,
        changementDenominationUsuelleEtablissement as est_changement_denomination_usuelle,
        activitePrincipaleEtablissement as code_naf,
        nomenclatureActivitePrincipaleEtablissement as nomenclature_naf,
        changementActivitePrincipaleEtablissement as est_changement_naf,
        caractereEmployeurEtablissement as caractere_employeur,
        changementCaractereEmployeurEtablissement as est_changement_caractere_employeur,
        source_line
    from source
),

final as (
    {{ with_occurrence('renamed', ['siret', 'date_debut'], 'source_line desc') }}
)

select * from final
