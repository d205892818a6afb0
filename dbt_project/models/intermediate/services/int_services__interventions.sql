-- One row per intervention of a service at an establishment, all services together: labour
-- inspection (Wiki'T, pôle T), competition and consumer protection (SORA, pôle C), economic
-- development (EOS) and vocational training (MDF) (pôle 3E). Only the lines kept for their
-- key in staging (`occurrence` = 1) are used; the others are in rejets.
with wikit_controles as (
    select * from {{ ref('stg_wikit__controles') }}
    where occurrence = 1
),

wikit_unites_controle as (
    select * from {{ ref('stg_wikit__unites_controle') }}
    where occurrence = 1
),

sora_interventions as (
    select * from {{ ref('stg_sora__interventions') }}
    where occurrence = 1
),

eos_visites as (
    select * from {{ ref('stg_eos__visites') }}
    where occurrence = 1
),

src_controles as (
    select * from {{ ref('stg_src__controles') }}
    where occurrence = 1
),

wikit as (
    select
        'wikit:' || c.siret as intervention_id,
        c.siret,
        'T' as pole,
        'wikit' as source,
        c.date_dernier_controle as date_intervention,
        c.code_uc as unite,
        u.libelle_uc as libelle_unite,
        'controle' as type_intervention
    from wikit_controles as c
    left join wikit_unites_controle as u on c.code_uc = u.code_uc
),

sora as (
    select
        'sora:' || siret || ':' || cast(date_intervention as varchar) as intervention_id,
        siret,
        'C' as pole,
        'sora' as source,
        date_intervention,
        libelle_unite as unite,
        libelle_unite,
        case
            when est_avec_suite then 'intervention avec suite'
            when not est_avec_suite then 'intervention sans suite'
            else 'intervention'
        end as type_intervention
    from sora_interventions
),

eos as (
    select
        'eos:' || siret || ':' || cast(date_visite as varchar) as intervention_id,
        siret,
        '3E' as pole,
        'eos' as source,
        date_visite as date_intervention,
        visite_effectuee_par as unite,
        visite_effectuee_par as libelle_unite,
        type_suivi as type_intervention
    from eos_visites
),

src as (
    select
        'src:' || numero_dossier as intervention_id,
        siret,
        '3E' as pole,
        'src' as source,
        -- MDF gives no date of the control itself: the case's creation stands for it
        date_creation as date_intervention,
        libelle_region as unite,
        libelle_region as libelle_unite,
        type_controle as type_intervention
    from src_controles
),

final as (
    select * from wikit
    union all
    select * from sora
    union all
    select * from eos
    union all
    select * from src
)

select * from final
