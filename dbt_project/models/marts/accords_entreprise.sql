-- One row per company agreement (D@ccord), with the count of each of its 12 themes.
-- An identifier absent from SIRENE is kept, with est_dans_sirene false.
with source_rows as (
    select * from {{ ref('stg_daccord__accords') }}
    where occurrence = 1
),

etablissements as (
    select siret from {{ ref('int_sirene__etablissements') }}
),

final as (
    select
        r.numero_dossier,
        r.siret,
        left(r.siret, 9) as siren,
        r.date_signature,
        r.theme_epargne_salariale,
        r.theme_remuneration,
        r.theme_duree_amenagement_temps_travail,
        r.theme_conditions_travail,
        r.theme_emploi,
        r.theme_egalite_professionnelle,
        r.theme_classifications,
        r.theme_formation_professionnelle,
        r.theme_protection_sociale,
        r.theme_droit_syndical,
        r.theme_autres,
        r.theme_nouvelles_technos_numeriques,
        r.siret in (select siret from etablissements) as est_dans_sirene
    from source_rows as r
)

select * from final
order by siret, date_signature
