-- One row per company (SIREN) and year with an Egapro index: its own declaration, or else
-- the declaration of a UES that lists it among its members (est_via_ues). A company's own
-- declaration wins over a UES's for the same year; of two UES listing it the same year, the
-- one declared under the smaller SIREN is kept.
{% set declared = [
    "structure", "nom_ues", "tranche_effectifs", "region", "departement", "pays", "code_naf",
    "libelle_naf", "note_ecart_remuneration", "note_ecart_taux_augmentation_hors_promotion",
    "note_ecart_taux_promotion", "note_ecart_taux_augmentation",
    "note_retour_conge_maternite", "note_hautes_remunerations", "note_index",
    "est_index_calculable", "notes_non_calculables", "source_line",
] %}
with declarations as (
    select * from {{ ref('stg_egapro__declarations') }}
    where occurrence = 1
),

own as (
    select
        siren,
        annee,
        false as est_via_ues,
        siren as siren_declarant,
        raison_sociale as raison_sociale_declarant,
        {{ declared | join(', ') }}
    from declarations
),

members as (
    select
        unnest(sirens_membres_ues) as siren,
        annee,
        true as est_via_ues,
        siren as siren_declarant,
        raison_sociale as raison_sociale_declarant,
        {{ declared | join(', ') }}
    from declarations
    where est_ues and len(sirens_membres_ues) > 0
),

candidates as (
    select * from own
    union all by name
    select * from members
    where siren <> siren_declarant
),

final as (
    select * from candidates
    -- one row per company and year: its own declaration first, then the UES of the
    -- smallest declaring SIREN
    qualify row_number() over (
        partition by siren, annee order by est_via_ues, siren_declarant
    ) = 1
)

select * from final
