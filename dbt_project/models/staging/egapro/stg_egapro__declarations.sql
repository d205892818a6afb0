-- One row per line of the Egapro sheet: a declaration of a company or of a UES for a year,
-- renamed, its notes turned into integers. `NC` (not computable) becomes null and is listed
-- in notes_non_calculables, never 0; an empty note does not apply to the company's size.
-- `occurrence` = 1 marks the line kept for its (SIREN, year): the last one in the sheet.
{% set notes = [
    ("Note Ecart rémunération", "note_ecart_remuneration"),
    ("Note Ecart taux d'augmentation (hors promotion)",
        "note_ecart_taux_augmentation_hors_promotion"),
    ("Note Ecart taux de promotion", "note_ecart_taux_promotion"),
    ("Note Ecart taux d'augmentation", "note_ecart_taux_augmentation"),
    ("Note Retour congé maternité", "note_retour_conge_maternite"),
    ("Note Hautes rémunérations", "note_hautes_remunerations"),
    ("Note Index", "note_index"),
] %}
with source as (
    select * from {{ source('lake', 'egapro_index') }}
),

renamed as (
    select
        "SIREN" as siren,
        "Année" as annee,
        "Structure" as structure,
        "Tranche d'effectifs" as tranche_effectifs,
        "Raison Sociale" as raison_sociale,
        "Nom UES" as nom_ues,
        "Entreprises UES (SIREN)" as entreprises_ues,
        "Région" as region,
        "Département" as departement,
        "Pays" as pays,
        "Code NAF" as code_naf_et_libelle,
        {%- for column, name in notes %}
        "{{ column }}" as {{ name }}_texte,
        {%- endfor %}
        source_line
    from source
),

parsed as (
    select
        siren,
        annee,
        structure,
        nom_ues is not null or structure ilike 'unit%' as est_ues,
        tranche_effectifs,
        raison_sociale,
        nom_ues,
        entreprises_ues,
        -- members written "NAME (SIREN),NAME2 (SIREN2)"; a name may hold parentheses too,
        -- so only a parenthesised run of 9 digits (spaces allowed inside) counts
        list_transform(
            regexp_extract_all(entreprises_ues, '\(\s*(\d[\d ]{7,12}\d)\s*\)', 1),
            lambda m: replace(m, ' ', '')
        ) as sirens_membres_ues,
        region,
        departement,
        pays,
        nullif(trim(split_part(code_naf_et_libelle, ' - ', 1)), '') as code_naf,
        nullif(
            trim(substr(code_naf_et_libelle, strpos(code_naf_et_libelle, ' - ') + 3)), ''
        ) as libelle_naf,
        {%- for column, name in notes %}
        case
            when {{ name }}_texte = 'NC' then null
            else cast(cast({{ name }}_texte as double) as integer)
        end as {{ name }},
        {%- endfor %}
        {{ notes[-1][1] }}_texte is distinct from 'NC' and {{ notes[-1][1] }}_texte is not null
            as est_index_calculable,
        nullif(concat_ws(', '
            {%- for column, name in notes %},
            case when {{ name }}_texte = 'NC' then '{{ name }}' end
            {%- endfor %}
        ), '') as notes_non_calculables,
        source_line
    from renamed
),

final as (
    select
        *,
        row_number() over (
            partition by siren, annee order by source_line desc
        ) as occurrence
    from parsed
)

select * from final
