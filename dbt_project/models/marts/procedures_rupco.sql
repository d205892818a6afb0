-- One row per layoff case (RUPCO: PSE, RCC, collective dismissal), by company (SIREN), with
-- the number of its establishments listed in the establishments file. A company absent from
-- SIRENE is kept, with est_dans_sirene false.
with procedures as (
    select * from {{ ref('stg_rupco__procedures') }}
    where occurrence = 1
),

procedures_etablissements as (
    select * from {{ ref('stg_rupco__etablissements') }}
    where occurrence = 1
),

unites_legales as (
    select siren from {{ ref('int_sirene__unites_legales') }}
),

etablissements_par_dossier as (
    select numero_dossier, count(*) as nb_etablissements
    from procedures_etablissements
    group by numero_dossier
),

final as (
    select
        p.numero_dossier,
        p.siren,
        p.type_dossier,
        p.date_enregistrement,
        p.etat_dossier,
        p.effectif_entreprise,
        p.effectif_groupe,
        p.nom_groupe,
        p.date_jugement,
        p.situation_juridique,
        coalesce(e.nb_etablissements, 0) as nb_etablissements,
        p.siren in (select siren from unites_legales) as est_dans_sirene
    from procedures as p
    left join etablissements_par_dossier as e on p.numero_dossier = e.numero_dossier
)

select * from final
order by siren, numero_dossier
