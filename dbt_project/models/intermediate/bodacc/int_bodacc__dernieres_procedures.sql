-- One row per company (SIREN) named in a collective-procedure announcement: the latest
-- judgement (by its date, then by publication).
with procedures as (
    select * from {{ ref('int_bodacc__procedures_collectives') }}
),

final as (
    select
        siren,
        type_procedure,
        date_jugement,
        nature_jugement,
        annonce_id
    from procedures
    -- the latest judgement stands for the company; an undated one counts by its publication
    qualify row_number() over (
        partition by siren
        order by
            coalesce(date_jugement, date_parution) desc,
            date_parution desc,
            annonce_id desc
    ) = 1
)

select * from final
