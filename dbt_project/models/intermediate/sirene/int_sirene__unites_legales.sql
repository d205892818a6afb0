-- One row per SIREN: the kept line of the stock with the name to show on a fiche.
with unites_legales as (
    select * from {{ ref('stg_sirene__unites_legales') }}
    where occurrence = 1
),

named as (
    select
        *,
        case
            when denomination is not null then denomination
            -- a natural person under partial diffusion: the name is withheld, say so
            when '[ND]' in (nom, nom_usage, prenom_1, prenom_usuel) then '[ND]'
            else nullif(
                concat_ws(' ', coalesce(prenom_usuel, prenom_1), coalesce(nom_usage, nom)),
                ''
            )
        end as nom_affiche
    from unites_legales
),

final as (
    select * from named
)

select * from final
