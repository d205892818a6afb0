-- One row per SIRET: the kept line of the stock with its signboard names, its address on
-- one line and its département. Masked parts (`[ND]`) are shown as such, never guessed.
with etablissements as (
    select * from {{ ref('stg_sirene__etablissements') }}
    where occurrence = 1
),

addressed as (
    select
        *,
        case
            when '[ND]' in (complement_adresse, numero_voie, type_voie, libelle_voie)
                then '[ND]'
            else nullif(concat_ws(
                ', ',
                complement_adresse,
                nullif(concat_ws(
                    ' ',
                    numero_voie || coalesce(indice_repetition, ''),
                    type_voie,
                    libelle_voie
                ), ''),
                distribution_speciale
            ), '')
        end as voie,
        case
            when '[ND]' in (enseigne_1, enseigne_2, enseigne_3) then '[ND]'
            else nullif(concat_ws(' ', enseigne_1, enseigne_2, enseigne_3), '')
        end as enseigne,
        case
            when code_commune is null then null
            -- overseas départements and collectivités have 3-character codes (971, 987…)
            when left(code_commune, 2) in ('97', '98') then left(code_commune, 3)
            else left(code_commune, 2)
        end as departement
    from etablissements
),

final as (
    select
        *,
        nullif(concat_ws(
            ', ',
            voie,
            nullif(concat_ws(
                ' ',
                coalesce(code_cedex, code_postal),
                coalesce(libelle_cedex, libelle_commune, libelle_commune_etranger)
            ), ''),
            libelle_pays_etranger
        ), '') as adresse
    from addressed
)

select * from final
