-- One row per input row that did not reach the fiches, with its file, line and reason:
-- rows refused by the normalize step (contract rules) and rows set aside in staging
-- (a key present on several lines: the line with the latest processing date is kept; for the
-- services' files, an exact copy of a line, and a key on several lines: the last line is kept).
{#- the services' datasets: staging model, key as shown in the reason, and the column of the
    monthly part a line belongs to (dsn_effectifs only; the month of the file name, mois_fichier) -#}
{% set services = [
    ('wikit_controles', 'stg_wikit__controles', 'siret', none),
    ('wikit_unites_controle', 'stg_wikit__unites_controle', 'code_uc', none),
    ('sora_interventions', 'stg_sora__interventions', 'siret, date_intervention', none),
    ('eos_visites', 'stg_eos__visites', 'siret, date_visite', none),
    ('src_controles', 'stg_src__controles', 'numero_dossier', none),
    ('apart_conventions', 'stg_apart__conventions', 'numero_convention, numero_avenant', none),
    ('rupco_procedures', 'stg_rupco__procedures', 'numero_dossier', none),
    ('rupco_etablissements', 'stg_rupco__etablissements', 'numero_dossier, siret', none),
    ('daccord_accords', 'stg_daccord__accords', 'numero_dossier', none),
    ('dsn_effectifs', 'stg_dsn_effectifs__effectifs', 'siret, mois', 'mois_fichier'),
    ('sipsi_siren', 'stg_sipsi__clients_siren', 'siren', none),
    ('sipsi_siret', 'stg_sipsi__clients_siret', 'siret', none),
    ('apprentissage_contrats', 'stg_apprentissage__contrats', 'numero_enregistrement', none),
    ('accidents_travail', 'stg_accidents_travail__etablissements', 'siret', none),
    ('iae_agrements', 'stg_iae__agrements', 'siret', none),
    ('conventions_collectives_siret', 'stg_conventions_collectives__declarations',
        'siret, code_idcc, mois', none),
    ('organismes_formation_liste', 'stg_organismes_formation__declarations',
        'numero_declaration_activite', none),
    ('bodacc_annonces', 'stg_bodacc__annonces', 'annonce_id', none),
    ('geolocalisation_etablissements', 'stg_geolocalisation__etablissements', 'siret', none),
    ('egapro_index', 'stg_egapro__declarations', 'siren, annee', none),
] %}
with loads as (
    select dataset, part_date, file, arrival_id from {{ ref('stg_lake__loads') }}
),
{% for dataset, model, key, part in services %}
{{ dataset }}_lines as (
    select * from {{ source('lake', dataset) }}
),

{{ dataset }}_kept as (
    select * from {{ ref(model) }}
),
{% endfor %}

normalize_rejects as (
    select
        r.dataset,
        r.file,
        r.arrival_id,
        'normalize' as stage,
        r.line,
        r.reason,
        r.raw
    from read_parquet(
        '{{ env_var("FCE_WAREHOUSE") }}/rejects/*/*.parquet', union_by_name = true
    ) as r
    -- keep the rejects of the files now loaded; older ones stay on disk
    semi join loads as l on r.dataset = l.dataset and r.arrival_id = l.arrival_id
),

etablissements_duplicated as (
    select
        'sirene_etablissements' as dataset,
        source_line as line,
        'siret ' || siret || ' also on another line; kept the most recently processed one'
            as reason,
        to_json(e) as raw
    from {{ ref('stg_sirene__etablissements') }} as e
    where occurrence > 1
),

unites_legales_duplicated as (
    select
        'sirene_unites_legales' as dataset,
        source_line as line,
        'siren ' || siren || ' also on another line; kept the most recently processed one'
            as reason,
        to_json(u) as raw
    from {{ ref('stg_sirene__unites_legales') }} as u
    where occurrence > 1
),

etablissements_historique_duplicated as (
    select
        'sirene_etablissements_historique' as dataset,
        source_line as line,
        'period of ' || siret || ' from '
            || coalesce(cast(date_debut as varchar), 'an unknown date')
            || ' also on a later line; kept the last line' as reason,
        to_json(h) as raw
    from {{ ref('stg_sirene__etablissements_historique') }} as h
    where occurrence > 1
),

{%- for dataset, model, key, part in services %}
{{ dataset }}_set_aside as (
    select
        '{{ dataset }}' as dataset,
        {{ 'l.' ~ part if part else 'cast(null as date)' }} as part_date,
        l.source_line as line,
        case
            when k.source_line is null
                then 'exact copy of an earlier line, kept once'
            else 'key ({{ key }}) also on a later line; kept the last line'
        end as reason,
        to_json(l) as raw
    from {{ dataset }}_lines as l
    left join {{ dataset }}_kept as k
        on l.source_line = k.source_line{% if part %} and l.{{ part }} = k.mois{% endif %}
    where k.source_line is null or k.occurrence > 1
),
{% endfor %}
staging_rejects as (
    select
        d.dataset,
        l.file,
        l.arrival_id,
        'staging' as stage,
        d.line,
        d.reason,
        cast(d.raw as varchar) as raw
    from (
        select * from etablissements_duplicated
        union all
        select * from unites_legales_duplicated
        union all
        select * from etablissements_historique_duplicated
    ) as d
    inner join loads as l on d.dataset = l.dataset
),

services_rejects as (
    select
        d.dataset,
        l.file,
        l.arrival_id,
        'staging' as stage,
        d.line,
        d.reason,
        cast(d.raw as varchar) as raw
    from (
        {%- for dataset, model, key, part in services %}
        select * from {{ dataset }}_set_aside
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ) as d
    inner join loads as l
        on d.dataset = l.dataset and d.part_date is not distinct from l.part_date
),

final as (
    select * from normalize_rejects
    union all
    select * from staging_rejects
    union all
    select * from services_rejects
)

select * from final
order by dataset, line
