-- One row per succession link (predecessor, successor, date); exact repeats kept once.
with source as (
    select * from {{ source('lake', 'sirene_liens_succession') }}
),

final as (
    select
        siretEtablissementPredecesseur as siret_predecesseur,
        siretEtablissementSuccesseur as siret_successeur,
        dateLienSuccession as date_lien,
        transfertSiege as est_transfert_siege,
        continuiteEconomique as est_continuite_economique,
        dateDernierTraitementLienSuccession as date_dernier_traitement,
        source_line
    from source
    -- the file may repeat a link; the latest processed line of each link is kept
    qualify row_number() over (
        partition by siret_predecesseur, siret_successeur, date_lien
        order by date_dernier_traitement desc nulls last, source_line desc
    ) = 1
)

select * from final
