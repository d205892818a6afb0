-- One row per layoff case (RUPCO) and establishment concerned.
-- An identifier absent from SIRENE is kept, with est_dans_sirene false.
with source_rows as (
    select * from {{ ref('stg_rupco__etablissements') }}
    where occurrence = 1
),

etablissements as (
    select siret from {{ ref('int_sirene__etablissements') }}
),

final as (
    select
        r.numero_dossier,
        r.siret,
        coalesce(r.siren_etablissement, left(r.siret, 9)) as siren,
        r.siren_entreprise,
        r.type_dossier,
        r.date_enregistrement,
        r.etat_dossier,
        r.effectif_etablissement,
        r.nb_ruptures_debut,
        r.nb_ruptures_fin,
        r.siret in (select siret from etablissements) as est_dans_sirene
    from source_rows as r
)

select * from final
order by siret, numero_dossier
