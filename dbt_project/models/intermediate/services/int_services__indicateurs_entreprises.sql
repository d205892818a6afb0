-- A table, built once per run and read by the fiches and the tests. It counts from the
-- reference date (var as_of): every run that publishes builds it again, also one that
-- refreshes a single source (pipelines.dbt.with_as_of selects the models reading as_of).
-- One row per SIREN found in at least one of the services' files: the indicators of its
-- establishments summed (counts, hours) or maxed (dates), and what the files key by SIREN
-- (RUPCO procedures by company, SIPSI by client company), at the build's reference date.
{% set as_of = "cast('" ~ var('as_of') ~ "' as date)" %}
with indicateurs_etablissements as (
    select * from {{ ref('int_services__indicateurs_etablissements') }}
),

effectifs as (
    select * from {{ ref('stg_dsn_effectifs__effectifs') }}
    where occurrence = 1 and mois <= {{ as_of }} and effectif_total is not null
),

procedures as (
    select * from {{ ref('stg_rupco__procedures') }}
    where occurrence = 1
),

salaries_detaches as (
    select * from {{ ref('int_services__salaries_detaches') }}
    where niveau = 'siren' and annee = year({{ as_of }})
),

par_siren as (
    select
        siren,
        max(derniere_intervention_pole_t) as derniere_intervention_pole_t,
        max(derniere_intervention_pole_c) as derniere_intervention_pole_c,
        max(derniere_intervention_pole_3e) as derniere_intervention_pole_3e,
        max(derniere_intervention) as derniere_intervention,
        cast(sum(nb_interventions_24_mois) as bigint) as nb_interventions_24_mois,
        {{ stable_sum('heures_activite_partielle_autorisees_24_mois') }}
            as heures_activite_partielle_autorisees_24_mois,
        {{ stable_sum('heures_activite_partielle_consommees_24_mois') }}
            as heures_activite_partielle_consommees_24_mois,
        max(date_derniere_decision_activite_partielle)
            as date_derniere_decision_activite_partielle,
        cast(sum(nb_accords) as bigint) as nb_accords,
        max(date_dernier_accord) as date_dernier_accord,
        cast(sum(nb_contrats_apprentissage_12_mois) as bigint)
            as nb_contrats_apprentissage_12_mois,
        cast(sum(accidents_travail_total) as bigint) as accidents_travail_total
    from indicateurs_etablissements
    group by siren
),

agrements as (
    select
        siren,
        string_agg(distinct agrement, ', ' order by agrement) as agrements_iae
    from (
        select siren, unnest(string_split(agrements_iae, ', ')) as agrement
        from indicateurs_etablissements
        where agrements_iae is not null
    )
    group by siren
),

effectifs_par_mois as (
    select
        left(siret, 9) as siren,
        mois,
        {{ stable_sum('effectif_total') }} as effectif_total
    from effectifs
    group by left(siret, 9), mois
),

dernier_effectif as (
    select
        siren,
        effectif_total as effectif_dsn,
        mois as mois_effectif_dsn
    from effectifs_par_mois
    -- the fiche shows the company's latest month known at the reference date
    qualify row_number() over (partition by siren order by mois desc) = 1
),

procedures_par_siren as (
    select
        siren,
        count(distinct numero_dossier) filter (
            where date_enregistrement > {{ as_of }} - interval 36 month
        ) as nb_procedures_rupco_36_mois,
        max(date_enregistrement) as date_derniere_procedure_rupco
    from procedures
    where date_enregistrement <= {{ as_of }}
    group by siren
),

sirens as (
    select siren from par_siren
    union
    select siren from dernier_effectif
    union
    select siren from procedures_par_siren
    union
    select siren from salaries_detaches
),

final as (
    select
        s.siren,
        i.derniere_intervention_pole_t,
        i.derniere_intervention_pole_c,
        i.derniere_intervention_pole_3e,
        i.derniere_intervention,
        coalesce(i.nb_interventions_24_mois, 0) as nb_interventions_24_mois,
        e.effectif_dsn,
        e.mois_effectif_dsn,
        i.heures_activite_partielle_autorisees_24_mois,
        i.heures_activite_partielle_consommees_24_mois,
        i.date_derniere_decision_activite_partielle,
        coalesce(p.nb_procedures_rupco_36_mois, 0) as nb_procedures_rupco_36_mois,
        p.date_derniere_procedure_rupco,
        coalesce(i.nb_accords, 0) as nb_accords,
        i.date_dernier_accord,
        coalesce(i.nb_contrats_apprentissage_12_mois, 0) as nb_contrats_apprentissage_12_mois,
        i.accidents_travail_total,
        sd.nb_salaries_detaches as salaries_detaches,
        a.agrements_iae
    from sirens as s
    left join par_siren as i on s.siren = i.siren
    left join dernier_effectif as e on s.siren = e.siren
    left join procedures_par_siren as p on s.siren = p.siren
    left join salaries_detaches as sd on s.siren = sd.siren
    left join agrements as a on s.siren = a.siren
)

select * from final
