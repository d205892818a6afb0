-- One row per SIRET that has a predecessor or a successor: the most recent link each way.
with liens as (
    select * from {{ ref('stg_sirene__liens_succession') }}
),

latest_predecessor as (
    select
        siret_successeur as siret,
        siret_predecesseur,
        date_lien as date_lien_predecesseur
    from liens
    -- several predecessors are possible (mergers); the fiche shows the latest link
    qualify row_number() over (
        partition by siret_successeur order by date_lien desc, siret_predecesseur
    ) = 1
),

latest_successor as (
    select
        siret_predecesseur as siret,
        siret_successeur,
        date_lien as date_lien_successeur
    from liens
    qualify row_number() over (
        partition by siret_predecesseur order by date_lien desc, siret_successeur
    ) = 1
),

final as (
    select
        coalesce(p.siret, s.siret) as siret,
        p.siret_predecesseur,
        p.date_lien_predecesseur,
        s.siret_successeur,
        s.date_lien_successeur
    from latest_predecessor as p
    full outer join latest_successor as s on p.siret = s.siret
)

select * from final
