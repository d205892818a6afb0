-- One row per establishment, coordination rule and pair of acts that fired it: two services
-- acted at the same establishment within signaux_fenetre_jours days of each other
-- (plusieurs_services), or a control came within that many days of an aid, before or after it
-- (controle_et_aide). The window is inclusive: acts 90 days apart fire, 91 days apart do not.
-- Only pairs whose later act falls in the signaux_periode_jours days ending on var as_of (as_of
-- included) are kept; acts after as_of are ignored. An establishment's own acts only: the
-- interventions a successor inherits are not counted.
{% set as_of = "cast('" ~ var('as_of') ~ "' as date)" %}
{% set fenetre = var('signaux_fenetre_jours') | int %}
{% set periode = var('signaux_periode_jours') | int %}
{% set regles = var('signaux_regles') %}
with interventions as (
    select * from {{ ref('int_services__interventions') }}
    where date_intervention <= {{ as_of }}
),

conventions as (
    select * from {{ ref('stg_apart__conventions') }}
    where occurrence = 1 and date_decision <= {{ as_of }}
),

contrats as (
    select * from {{ ref('stg_apprentissage__contrats') }}
    where occurrence = 1 and date_debut <= {{ as_of }}
),

etablissements as (
    select siret from {{ ref('int_sirene__etablissements') }}
),

actes as (
    select
        intervention_id as acte_id,
        siret,
        source,
        pole,
        libelle_unite,
        date_intervention as date_acte,
        case when source = 'eos' then 'visite' else 'controle' end as nature_acte,
        type_intervention as type_acte
    from interventions
    union all
    select
        'apart:' || numero_convention || ':' || coalesce(cast(numero_avenant as varchar), '')
            as acte_id,
        siret,
        'apart' as source,
        -- partial activity and apprenticeship are handled by the pôle 3E of the DREETS
        '3E' as pole,
        -- neither APART nor DECA names the unit that decided
        cast(null as varchar) as libelle_unite,
        date_decision as date_acte,
        'aide' as nature_acte,
        case
            when numero_avenant = 0 then 'activité partielle, décision initiale'
            when numero_avenant > 0
                then 'activité partielle, avenant ' || cast(numero_avenant as varchar)
            else 'activité partielle'
        end as type_acte
    from conventions
    union all
    select
        'apprentissage:' || numero_enregistrement as acte_id,
        siret,
        'apprentissage' as source,
        '3E' as pole,
        cast(null as varchar) as libelle_unite,
        date_debut as date_acte,
        'aide' as nature_acte,
        'contrat d''apprentissage, début (type ' || coalesce(type_contrat, 'inconnu') || ')'
            as type_acte
    from contrats
),

actes_recents as (
    -- an act older than this can pair only with an act outside the look-back period
    select * from actes
    where date_acte > {{ as_of }} - interval {{ periode + fenetre }} day
),

paires as (
    -- acte 1 is the earlier act of the pair (the smaller acte_id on the same day)
    select
        case
            when
                a.nature_acte <> 'aide' and b.nature_acte <> 'aide' and a.source <> b.source
                then 'plusieurs_services'
            when
                (a.nature_acte = 'controle' and b.nature_acte = 'aide')
                or (a.nature_acte = 'aide' and b.nature_acte = 'controle')
                then 'controle_et_aide'
        end as regle,
        a.siret,
        a.acte_id as acte_id_1,
        a.source as source_1,
        a.pole as pole_1,
        a.libelle_unite as libelle_unite_1,
        a.date_acte as date_acte_1,
        a.nature_acte as nature_acte_1,
        a.type_acte as type_acte_1,
        b.acte_id as acte_id_2,
        b.source as source_2,
        b.pole as pole_2,
        b.libelle_unite as libelle_unite_2,
        b.date_acte as date_acte_2,
        b.nature_acte as nature_acte_2,
        b.type_acte as type_acte_2,
        datediff('day', a.date_acte, b.date_acte) as nb_jours_ecart
    from actes_recents as a
    inner join actes_recents as b
        on
            a.siret = b.siret
            and (a.date_acte < b.date_acte or (a.date_acte = b.date_acte and a.acte_id < b.acte_id))
            and b.date_acte <= a.date_acte + interval {{ fenetre }} day
    where b.date_acte > {{ as_of }} - interval {{ periode }} day
),

final as (
    select
        p.siret,
        left(p.siret, 9) as siren,
        p.regle,
        p.nb_jours_ecart,
        p.acte_id_1,
        p.source_1,
        p.pole_1,
        p.libelle_unite_1,
        p.date_acte_1,
        p.nature_acte_1,
        p.type_acte_1,
        p.acte_id_2,
        p.source_2,
        p.pole_2,
        p.libelle_unite_2,
        p.date_acte_2,
        p.nature_acte_2,
        p.type_acte_2,
        p.siret in (select siret from etablissements) as est_dans_sirene
    from paires as p
    where
    {%- if regles %}
        p.regle in ({% for regle in regles %}'{{ regle }}'{{ ", " if not loop.last }}{% endfor %})
    {%- else %}
        false
    {%- endif %}
)

select * from final
order by siret, date_acte_2
