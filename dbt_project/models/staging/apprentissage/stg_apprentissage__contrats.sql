-- One row per distinct line of the DECA export: an apprenticeship contract, its employer
-- SIRET, start and break-off dates. `occurrence` = 1 marks the line kept for its
-- registration number (the last one in the file).
with source as (
    select * from {{ source('lake', 'apprentissage_contrats') }}
),

renamed as (
    select
        "NumeroEnregistrement" as numero_enregistrement,
        "Employeur Siret" as siret,
        "TypeContrat" as type_contrat,
        "Contrat DateDebut" as date_debut,
        "DateRupture" as date_rupture,
        source_line
    from source
),

deduplicated as (
    select * from renamed
    -- a line repeated word for word carries nothing new: the first copy stays, the others
    -- are listed in rejets
    qualify row_number() over (
        partition by numero_enregistrement, siret, type_contrat, date_debut, date_rupture
        order by source_line
    ) = 1
),

final as (
    select
        *,
        row_number() over (
            partition by numero_enregistrement order by source_line desc
        ) as occurrence
    from deduplicated
)

select * from final
