-- One row per company (SIREN) of the list: its NDA count and whether any is certified.
with declarations as (
    select * from {{ ref('int_organismes_formation__declarations') }}
),

final as (
    select
        siren,
        count(*) as nb_declarations_activite,
        bool_or(est_qualiopi) as est_qualiopi
    from declarations
    group by siren
)

select * from final
