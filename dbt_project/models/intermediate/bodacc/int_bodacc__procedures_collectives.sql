-- One row per announcement of the family "Procédures collectives" (familleavis collective),
-- with the kind of procedure it concerns, read from the judgement's nature and family, else
-- from its text: a closure or a plan names its procedure there only.
with annonces as (
    select * from {{ ref('stg_bodacc__annonces') }}
    where occurrence = 1 and famille_avis = 'collective'
),

worded as (
    select
        *,
        lower(concat_ws(' ', nature_jugement, famille_jugement)) as intitule,
        lower(coalesce(complement_jugement, '')) as texte
    from annonces
),

final as (
    select
        annonce_id,
        siren,
        date_jugement,
        date_parution,
        -- a conversion names both procedures: liquidation first, then redressement
        case
            when intitule like '%liquidation%' then 'liquidation judiciaire'
            when intitule like '%redressement%' then 'redressement judiciaire'
            when intitule like '%sauvegarde%' then 'sauvegarde'
            when texte like '%liquidation%' then 'liquidation judiciaire'
            when texte like '%redressement%' then 'redressement judiciaire'
            when texte like '%sauvegarde%' then 'sauvegarde'
            else 'autre'
        end as type_procedure,
        famille_jugement,
        nature_jugement,
        complement_jugement,
        tribunal,
        commercant,
        type_avis,
        publication,
        parution,
        numero_annonce,
        est_texte_altere
    from worded
)

select * from final
