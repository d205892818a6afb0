-- A table, built once per run and read by the fiches and the tests. It counts from the
-- reference date (var as_of): every run that publishes builds it again, also one that
-- refreshes a single source (pipelines.dbt.with_as_of selects the models reading as_of).
-- One row per SIRET found in at least one of the services' files, with what the fiches show,
-- computed at the build's reference date (var as_of, FCE_AS_OF): records dated after it are
-- ignored, windows ("within 24 months") end on it. The SIRET may be absent from SIRENE.
{% set as_of = "cast('" ~ var('as_of') ~ "' as date)" %}
with interventions as (
    select * from {{ ref('int_services__interventions') }}
    where date_intervention <= {{ as_of }}
),

conventions as (
    select * from {{ ref('stg_apart__conventions') }}
    where occurrence = 1 and date_decision <= {{ as_of }}
),

procedures_etablissements as (
    select * from {{ ref('stg_rupco__etablissements') }}
    where occurrence = 1
),

accords as (
    select * from {{ ref('stg_daccord__accords') }}
    where occurrence = 1 and (date_signature <= {{ as_of }} or date_signature is null)
),

effectifs as (
    select * from {{ ref('stg_dsn_effectifs__effectifs') }}
    where occurrence = 1 and mois <= {{ as_of }} and effectif_total is not null
),

contrats as (
    select * from {{ ref('stg_apprentissage__contrats') }}
    where occurrence = 1
),

accidents as (
    select * from {{ ref('stg_accidents_travail__etablissements') }}
    where occurrence = 1
),

salaries_detaches as (
    select * from {{ ref('int_services__salaries_detaches') }}
    where niveau = 'siret' and annee = year({{ as_of }})
),

agrements as (
    select * from {{ ref('stg_iae__agrements') }}
    where occurrence = 1
),

interventions_par_siret as (
    select
        siret,
        max(date_intervention) filter (where pole = 'T') as derniere_intervention_pole_t,
        max(date_intervention) filter (where pole = 'C') as derniere_intervention_pole_c,
        max(date_intervention) filter (where pole = '3E') as derniere_intervention_pole_3e,
        max(date_intervention) as derniere_intervention,
        count(*) filter (
            where date_intervention > {{ as_of }} - interval 24 month
        ) as nb_interventions_24_mois
    from interventions
    group by siret
),

dernier_effectif as (
    select
        siret,
        effectif_total as effectif_dsn,
        mois as mois_effectif_dsn
    from effectifs
    -- the fiche shows the latest month known at the reference date
    qualify row_number() over (partition by siret order by mois desc) = 1
),

conventions_decidees as (
    select
        siret,
        numero_convention,
        heures_autorisees_cumulees,
        heures_consommees_cumulees,
        -- the convention was decided with its first amendment
        min(date_decision) over (partition by numero_convention) as date_decision_convention
    from conventions
    -- the cumulative hours of a convention are those of its latest amendment
    qualify row_number() over (
        partition by numero_convention
        order by numero_avenant desc nulls last, date_decision desc
    ) = 1
),

activite_partielle_par_siret as (
    select
        siret,
        {{ stable_sum('heures_autorisees_cumulees') }}
            as heures_activite_partielle_autorisees_24_mois,
        {{ stable_sum('heures_consommees_cumulees') }}
            as heures_activite_partielle_consommees_24_mois
    from conventions_decidees
    where date_decision_convention > {{ as_of }} - interval 24 month
    group by siret
),

derniere_decision_par_siret as (
    select
        siret,
        max(date_decision_convention) as date_derniere_decision_activite_partielle
    from conventions_decidees
    group by siret
),

procedures_par_siret as (
    select
        siret,
        count(distinct numero_dossier) filter (
            where date_enregistrement > {{ as_of }} - interval 36 month
        ) as nb_procedures_rupco_36_mois,
        max(date_enregistrement) as date_derniere_procedure_rupco
    from procedures_etablissements
    where date_enregistrement <= {{ as_of }}
    group by siret
),

accords_par_siret as (
    select
        siret,
        count(*) as nb_accords,
        max(date_signature) as date_dernier_accord
    from accords
    group by siret
),

contrats_par_siret as (
    select
        siret,
        count(*) as nb_contrats_apprentissage_12_mois
    from contrats
    where date_debut <= {{ as_of }} and date_debut > {{ as_of }} - interval 12 month
    group by siret
),

agrements_par_siret as (
    select
        siret,
        nullif(concat_ws(
            ', ',
            case when est_aci then 'ACI' end,
            case when est_ai then 'AI' end,
            case when est_ea then 'EA' end,
            case when est_ei then 'EI' end,
            case when est_etti then 'ETTI' end
        ), '') as agrements_iae
    from agrements
),

sirets as (
    select siret from interventions_par_siret
    union
    select siret from dernier_effectif
    union
    select siret from derniere_decision_par_siret
    union
    select siret from procedures_par_siret
    union
    select siret from accords_par_siret
    union
    select siret from contrats_par_siret
    union
    select siret from accidents
    union
    select siret from salaries_detaches
    union
    select siret from agrements_par_siret
),

final as (
    select
        s.siret,
        left(s.siret, 9) as siren,
        i.derniere_intervention_pole_t,
        i.derniere_intervention_pole_c,
        i.derniere_intervention_pole_3e,
        i.derniere_intervention,
        coalesce(i.nb_interventions_24_mois, 0) as nb_interventions_24_mois,
        e.effectif_dsn,
        e.mois_effectif_dsn,
        ap.heures_activite_partielle_autorisees_24_mois,
        ap.heures_activite_partielle_consommees_24_mois,
        dd.date_derniere_decision_activite_partielle,
        coalesce(p.nb_procedures_rupco_36_mois, 0) as nb_procedures_rupco_36_mois,
        p.date_derniere_procedure_rupco,
        coalesce(ac.nb_accords, 0) as nb_accords,
        ac.date_dernier_accord,
        coalesce(c.nb_contrats_apprentissage_12_mois, 0) as nb_contrats_apprentissage_12_mois,
        acc.nb_accidents_travail as accidents_travail_total,
        sd.nb_salaries_detaches as salaries_detaches,
        ag.agrements_iae
    from sirets as s
    left join interventions_par_siret as i on s.siret = i.siret
    left join dernier_effectif as e on s.siret = e.siret
    left join activite_partielle_par_siret as ap on s.siret = ap.siret
    left join derniere_decision_par_siret as dd on s.siret = dd.siret
    left join procedures_par_siret as p on s.siret = p.siret
    left join accords_par_siret as ac on s.siret = ac.siret
    left join contrats_par_siret as c on s.siret = c.siret
    left join accidents as acc on s.siret = acc.siret
    left join salaries_detaches as sd on s.siret = sd.siret
    left join agrements_par_siret as ag on s.siret = ag.siret
)

select * from final
