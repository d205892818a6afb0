-- One row per establishment (SIRET) of the SIRENE stock, with the labels of its codes and
-- what the services' files say of it at the reference date (var as_of). The public columns
-- come built from int_fiches__etablissements; the figures counted from as_of (public
-- contracts, the services') are joined here, at every build.
with etablissements as (
    select * from {{ ref('int_fiches__etablissements') }}
),

marches_publics as (
    select * from {{ ref('int_decp__indicateurs_etablissements') }}
),

indicateurs as (
    select * from {{ ref('int_services__indicateurs_etablissements') }}
),

final as (
    select
        e.*,
        coalesce(mp.nb_marches_publics_36_mois, 0) as nb_marches_publics_36_mois,
        mp.montant_marches_publics_36_mois,
        coalesce(mp.nb_accords_cadres_36_mois, 0) as nb_accords_cadres_36_mois,
        mp.montant_max_accords_cadres_36_mois,
        {{ services_indicator_columns('i') }}
    from etablissements as e
    left join marches_publics as mp on e.siret = mp.siret
    left join indicateurs as i on e.siret = i.siret
)

select * from final
order by siret
