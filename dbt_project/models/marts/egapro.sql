-- One row per company (SIREN) and year with a gender pay equality index (Egapro): its own
-- declaration, or its UES's (est_via_ues). A SIREN absent from SIRENE is kept.
with index_entreprises as (
    select * from {{ ref('int_egapro__index_entreprises') }}
),

unites_legales as (
    select siren from {{ ref('int_sirene__unites_legales') }}
),

final as (
    select
        i.siren,
        i.annee,
        i.est_via_ues,
        i.siren_declarant,
        i.raison_sociale_declarant,
        i.structure,
        i.nom_ues,
        i.tranche_effectifs,
        i.code_naf,
        i.libelle_naf,
        i.region,
        i.departement,
        i.pays,
        i.note_ecart_remuneration,
        i.note_ecart_taux_augmentation_hors_promotion,
        i.note_ecart_taux_promotion,
        i.note_ecart_taux_augmentation,
        i.note_retour_conge_maternite,
        i.note_hautes_remunerations,
        i.note_index,
        i.est_index_calculable,
        i.notes_non_calculables,
        i.siren in (select siren from unites_legales) as est_dans_sirene
    from index_entreprises as i
)

select * from final
order by siren, annee
