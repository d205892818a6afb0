-- One row per BODACC announcement of a collective procedure (sauvegarde, redressement,
-- liquidation and the judgements that follow them), by company (SIREN). A company absent from
-- SIRENE is kept, with est_dans_sirene false.
with procedures as (
    select * from {{ ref('int_bodacc__procedures_collectives') }}
),

unites_legales as (
    select siren from {{ ref('int_sirene__unites_legales') }}
),

final as (
    select
        p.siren,
        p.annonce_id,
        p.date_jugement,
        p.date_parution,
        p.type_procedure,
        p.famille_jugement,
        p.nature_jugement,
        p.complement_jugement,
        p.tribunal,
        p.commercant,
        p.type_avis,
        p.est_texte_altere,
        p.siren in (select siren from unites_legales) as est_dans_sirene
    from procedures as p
)

select * from final
order by siren, date_jugement, annonce_id
