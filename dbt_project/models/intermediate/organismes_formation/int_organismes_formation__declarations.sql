-- One row per activity declaration number (NDA), with whether it is Qualiopi-certified.
with declarations as (
    select * from {{ ref('stg_organismes_formation__declarations') }}
    where occurrence = 1
),

final as (
    select
        *,
        coalesce(
            certifications is not null
            or est_certifie_actions_formation
            or est_certifie_bilans_competences
            or est_certifie_vae
            or est_certifie_apprentissage,
            false
        ) as est_qualiopi
    from declarations
)

select * exclude (occurrence) from final
