-- One row per distinct line of the DGEFP public list of training organisations.
-- `occurrence` = 1 marks the line kept for its activity declaration number.
with source as (
    select * from {{ source('lake', 'organismes_formation_liste') }}
),

renamed as (
    select
        "Numéro Déclaration Activité" as numero_declaration_activite,
        "Numéro Déclaration Activité Précédent" as numero_declaration_activite_precedent,
        denomination,
        "Code SIREN" as siren,
        "Siret Etablissement Déclarant" as siret,
        "Adresse Organisme de Formation" as adresse,
        "Code Postal Organisme de Formation" as code_postal,
        "Ville Organisme de Formation" as ville,
        "Code Commune" as code_commune,
        "Actions de formations" as est_certifie_actions_formation,
        "Bilans de compétences" as est_certifie_bilans_competences,
        "VAE" as est_certifie_vae,
        "Actions de formations par apprentissage" as est_certifie_apprentissage,
        "Certifications" as certifications,
        "Date dernière déclaration" as date_derniere_declaration,
        "Début d'exercice" as date_debut_exercice,
        "Fin d'exercice" as date_fin_exercice,
        "Libellé Spécialité 1" as libelle_specialite_1,
        "Toutes spécialités de l'organisme de formation" as specialites,
        "Nombre de stagiaires" as nb_stagiaires,
        "Nombre de stagiaires confiés par un autre Organisme de formation"
            as nb_stagiaires_confies,
        "Effectifs de formateurs" as nb_formateurs,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by
            numero_declaration_activite, numero_declaration_activite_precedent,
            denomination, siren, siret, adresse, code_postal, ville, code_commune,
            est_certifie_actions_formation, est_certifie_bilans_competences,
            est_certifie_vae, est_certifie_apprentissage, certifications,
            date_derniere_declaration, date_debut_exercice, date_fin_exercice,
            libelle_specialite_1, specialites, nb_stagiaires, nb_stagiaires_confies,
            nb_formateurs
        order by source_line
    ) = 1
),

final as (
    select
        *,
        row_number() over (
            partition by numero_declaration_activite order by source_line desc
        ) as occurrence
    from deduplicated
)

select * from final
