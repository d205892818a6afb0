-- One row per establishment (SIRET) and kind of change between the last publication
-- (stg_publication__fiche_precedente) and this build's fiche_etablissement. Empty on the
-- first build: with nothing published before, nothing changed.
{% set seuil_pct = var('changements_seuil_effectif_pct') %}
{% set seuil_min = var('changements_seuil_effectif_min') %}
with actuelle as (
    select * from {{ ref('fiche_etablissement') }}
),

precedente as (
    select * from {{ ref('stg_publication__fiche_precedente') }}
),

publication_precedente as (
    select distinct snapshot, as_of_precedent from precedente
),

paires as (
    -- every establishment of either side, once a previous publication exists
    select
        coalesce(a.siret, p.siret) as siret,
        coalesce(a.siren, p.siren) as siren,
        p.siret is not null as avant,
        a.siret is not null as apres,
        p.etat_administratif as etat_avant,
        a.etat_administratif as etat_apres,
        p.est_siege as siege_avant,
        a.est_siege as siege_apres,
        p.adresse as adresse_avant,
        a.adresse as adresse_apres,
        p.code_commune as commune_avant,
        a.code_commune as commune_apres,
        p.code_naf as naf_avant,
        a.code_naf as naf_apres,
        p.derniere_intervention_pole_t as pole_t_avant,
        a.derniere_intervention_pole_t as pole_t_apres,
        p.derniere_intervention_pole_c as pole_c_avant,
        a.derniere_intervention_pole_c as pole_c_apres,
        p.derniere_intervention_pole_3e as pole_3e_avant,
        a.derniere_intervention_pole_3e as pole_3e_apres,
        p.date_derniere_procedure_rupco as rupco_avant,
        a.date_derniere_procedure_rupco as rupco_apres,
        p.date_derniere_decision_activite_partielle as apart_avant,
        a.date_derniere_decision_activite_partielle as apart_apres,
        p.effectif_dsn as effectif_avant,
        a.effectif_dsn as effectif_apres
    from actuelle as a
    full outer join precedente as p on a.siret = p.siret
    where exists (select 1 from precedente)
),

changes as (
    select
        siret, siren, 'ouverture' as type_changement, 'sirene' as source,
        etat_avant as valeur_avant, etat_apres as valeur_apres
    from paires
    where etat_apres = 'A' and (not avant or etat_avant = 'F')

    union all
    select
        siret, siren, 'fermeture', 'sirene', etat_avant, etat_apres
    from paires
    where etat_avant = 'A' and etat_apres = 'F'

    union all
    select
        siret, siren, 'demenagement', 'sirene',
        concat_ws(' | ', commune_avant, adresse_avant),
        concat_ws(' | ', commune_apres, adresse_apres)
    from paires
    where
        avant and apres
        and (
            (commune_avant is not null and commune_avant is distinct from commune_apres)
            or (adresse_avant is not null and adresse_avant is distinct from adresse_apres)
        )

    union all
    select siret, siren, 'changement_naf', 'sirene', naf_avant, naf_apres
    from paires
    where avant and apres and naf_avant is not null and naf_avant is distinct from naf_apres

    union all
    select
        siret, siren, 'transfert_siege', 'sirene',
        case when siege_avant then 'siège' else 'établissement secondaire' end,
        case when siege_apres then 'siège' else 'établissement secondaire' end
    from paires
    where avant and apres and siege_avant is not null and siege_avant <> siege_apres

    {#- news of the services: a date newer than the previous publication's (or a first one) #}
    {%- for kind, source, column in [
        ('nouveau_controle_pole_t', 'wikit', 'pole_t'),
        ('nouveau_controle_pole_c', 'sora', 'pole_c'),
        ('nouvelle_intervention_pole_3e', 'eos, src', 'pole_3e'),
        ('nouvelle_procedure_rupco', 'rupco', 'rupco'),
        ('nouvelle_activite_partielle', 'apart', 'apart'),
    ] %}
    union all
    select
        siret, siren, '{{ kind }}', '{{ source }}',
        cast({{ column }}_avant as varchar), cast({{ column }}_apres as varchar)
    from paires
    where {{ column }}_apres > coalesce({{ column }}_avant, date '0001-01-01')
    {% endfor %}

    union all
    select
        siret, siren,
        case when effectif_apres > effectif_avant then 'hausse_effectif' else 'baisse_effectif' end,
        'dsn_effectifs',
        -- as text without a decimal part (80, not 80.0): DSN headcounts are whole numbers
        cast(cast(effectif_avant as decimal(18, 0)) as varchar),
        cast(cast(effectif_apres as decimal(18, 0)) as varchar)
    from paires
    where
        abs(effectif_apres - effectif_avant) >= {{ seuil_min }}
        and abs(effectif_apres - effectif_avant) * 100 >= {{ seuil_pct }} * effectif_avant
),

final as (
    select
        c.siret,
        c.siren,
        c.type_changement,
        c.source,
        c.valeur_avant,
        c.valeur_apres,
        p.snapshot as snapshot_precedent,
        p.as_of_precedent,
        cast('{{ var("as_of") }}' as date) as as_of
    from changes as c
    cross join publication_precedente as p
)

select * from final
order by siret, type_changement
