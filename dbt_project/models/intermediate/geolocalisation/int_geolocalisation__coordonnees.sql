-- One row per SIRET of INSEE's geolocation file, with the WGS84 point the fiche may show:
-- none for a random point in the commune (qualite_xy 33: INSEE does not know the place) nor
-- for an establishment whose diffusion is partial in SIRENE (its address is masked, so is its
-- point, even where the geolocation file would still give one).
with coordonnees as (
    select * from {{ ref('stg_geolocalisation__etablissements') }}
    where occurrence = 1
),

etablissements as (
    select siret, statut_diffusion from {{ ref('stg_sirene__etablissements') }}
    where occurrence = 1
),

final as (
    select
        c.siret,
        c.qualite_xy,
        c.epsg,
        c.code_commune,
        case
            when c.qualite_xy = '33' or e.statut_diffusion = 'P' then null
            else c.latitude
        end as latitude,
        case
            when c.qualite_xy = '33' or e.statut_diffusion = 'P' then null
            else c.longitude
        end as longitude
    from coordonnees as c
    left join etablissements as e on c.siret = e.siret
)

select * from final
