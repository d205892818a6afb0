-- One row per activity declaration number (NDA) of the DGEFP public list of training
-- organisations, with its Qualiopi certifications and last declared financial year. An
-- establishment absent from SIRENE is kept, with est_dans_sirene false.
with declarations as (
    select * from {{ ref('int_organismes_formation__declarations') }}
),

etablissements as (
    select siret from {{ ref('int_sirene__etablissements') }}
),

final as (
    select
        d.numero_declaration_activite,
        d.siren,
        d.siret,
        d.denomination,
        d.est_qualiopi,
        d.est_certifie_actions_formation,
        d.est_certifie_bilans_competences,
        d.est_certifie_vae,
        d.est_certifie_apprentissage,
        d.certifications,
        d.date_derniere_declaration,
        d.date_debut_exercice,
        d.date_fin_exercice,
        d.nb_stagiaires,
        d.nb_stagiaires_confies,
        d.nb_formateurs,
        d.libelle_specialite_1,
        d.specialites,
        d.numero_declaration_activite_precedent,
        d.adresse,
        d.code_postal,
        d.ville,
        d.code_commune,
        coalesce(d.siret in (select siret from etablissements), false) as est_dans_sirene
    from declarations as d
)

select * from final
order by siret, numero_declaration_activite
