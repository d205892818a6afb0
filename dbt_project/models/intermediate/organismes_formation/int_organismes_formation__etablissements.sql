-- One row per declaring establishment (SIRET): its latest NDA and whether it is certified.
with declarations as (
    select * from {{ ref('int_organismes_formation__declarations') }}
    where siret is not null
),

final as (
    select
        siret,
        -- an establishment holding several numbers (a new declaration after a move) shows
        -- the one it declared last
        first(
            numero_declaration_activite
            order by date_derniere_declaration desc nulls last, numero_declaration_activite desc
        ) as numero_declaration_activite,
        bool_or(est_qualiopi) as est_qualiopi
    from declarations
    group by siret
)

select * from final
