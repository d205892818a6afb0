-- Warns on every identifier that a service's file names but the SIRENE stock does not hold:
-- such rows are kept in interactions and the detail tables (est_dans_sirene false), never
-- dropped; this test counts them, one row per table and identifier.
{{ config(severity='warn') }}

with interactions as (
    select siret from {{ ref('interactions') }} where not est_dans_sirene
),

activite_partielle as (
    select siret from {{ ref('activite_partielle') }} where not est_dans_sirene
),

procedures_rupco as (
    select siren from {{ ref('procedures_rupco') }} where not est_dans_sirene
),

procedures_rupco_etablissements as (
    select siret from {{ ref('procedures_rupco_etablissements') }} where not est_dans_sirene
),

accords_entreprise as (
    select siret from {{ ref('accords_entreprise') }} where not est_dans_sirene
),

effectifs_mensuels as (
    select siret from {{ ref('effectifs_mensuels') }} where not est_dans_sirene
),

contrats_apprentissage as (
    select siret from {{ ref('contrats_apprentissage') }} where not est_dans_sirene
),

salaries_detaches as (
    select niveau, coalesce(siret, siren) as identifiant
    from {{ ref('salaries_detaches') }}
    where not est_dans_sirene
),

accidents_travail as (
    select siret from {{ ref('accidents_travail') }} where not est_dans_sirene
),

agrements_iae as (
    select siret from {{ ref('agrements_iae') }} where not est_dans_sirene
),

final as (
    select distinct 'interactions' as table_name, siret as identifiant from interactions
    union
    select distinct 'activite_partielle', siret from activite_partielle
    union
    select distinct 'procedures_rupco', siren from procedures_rupco
    union
    select distinct 'procedures_rupco_etablissements', siret from procedures_rupco_etablissements
    union
    select distinct 'accords_entreprise', siret from accords_entreprise
    union
    select distinct 'effectifs_mensuels', siret from effectifs_mensuels
    union
    select distinct 'contrats_apprentissage', siret from contrats_apprentissage
    union
    select distinct 'salaries_detaches', identifiant from salaries_detaches
    union
    select distinct 'accidents_travail', siret from accidents_travail
    union
    select distinct 'agrements_iae', siret from agrements_iae
)

select * from final
