-- One row per distinct line of the D@ccord export: a company agreement, its signature date
-- and, per theme, the count the producer gives. `occurrence` = 1 marks the line kept for its
-- case number (the last one in the file).
with source as (
    select * from {{ source('lake', 'daccord_accords') }}
),

renamed as (
    select
        num_dos as numero_dossier,
        siret,
        dt_sign as date_signature,
        groth2_01_epargne_salariale as theme_epargne_salariale,
        groth2_02_remuneration as theme_remuneration,
        groth2_03_duree_amenagement_temps_travail as theme_duree_amenagement_temps_travail,
        groth2_04_conditions_travail as theme_conditions_travail,
        groth2_05_emploi as theme_emploi,
        groth2_06_egalite_professionnelle as theme_egalite_professionnelle,
        groth2_07_classifications as theme_classifications,
        groth2_08_formation_professionnelle as theme_formation_professionnelle,
        groth2_09_protection_sociale as theme_protection_sociale,
        groth2_10_droit_syndical as theme_droit_syndical,
        groth2_11_autres as theme_autres,
        groth2_12_nouvelles_technos_numeriques as theme_nouvelles_technos_numeriques,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by
            numero_dossier, siret, date_signature,
            theme_epargne_salariale, theme_remuneration, theme_duree_amenagement_temps_travail,
            theme_conditions_travail, theme_emploi, theme_egalite_professionnelle,
            theme_classifications, theme_formation_professionnelle, theme_protection_sociale,
            theme_droit_syndical, theme_autres, theme_nouvelles_technos_numeriques
        order by source_line
    ) = 1
),

final as (
    select
        *,
        row_number() over (
            partition by numero_dossier order by source_line desc
        ) as occurrence
    from deduplicated
)

select * from final
