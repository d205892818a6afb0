-- One row per intervention of a service at an establishment, all services together, and on a
-- successor establishment one row more per intervention of each of its predecessors, marked
-- inherited (est_heritee, siret_origine). An identifier absent from SIRENE is kept, with
-- est_dans_sirene false.
{#- Longest chain of successions followed back from an establishment; a cycle in the links stops
    earlier, as an establishment already on the chain is never added again. -#}
{% set profondeur_max = 20 %}
with recursive source_rows as (
    select * from {{ ref('int_services__interventions') }}
),

liens as (
    select * from {{ ref('stg_sirene__liens_succession') }}
),

etablissements as (
    select siret from {{ ref('int_sirene__etablissements') }}
),

liens_distincts as (
    -- a link repeated with other dates is followed once; a self-link passes nothing on
    select distinct siret_predecesseur, siret_successeur
    from liens
    where siret_predecesseur <> siret_successeur
),

ascendances as (
    -- every establishment a successor descends from, following the chain A -> B -> C back
    select
        siret_successeur as siret,
        siret_predecesseur as siret_origine,
        1 as profondeur,
        [siret_successeur, siret_predecesseur] as chemin
    from liens_distincts
    union all
    select
        a.siret,
        l.siret_predecesseur as siret_origine,
        a.profondeur + 1 as profondeur,
        list_append(a.chemin, l.siret_predecesseur) as chemin
    from ascendances as a
    inner join liens_distincts as l on a.siret_origine = l.siret_successeur
    where
        a.profondeur < {{ profondeur_max }}
        and not list_contains(a.chemin, l.siret_predecesseur)
),

origines as (
    -- two paths to the same predecessor (a split then a merger) pass its rows on once
    select distinct siret, siret_origine
    from ascendances
),

propres as (
    select
        *,
        false as est_heritee,
        cast(null as varchar) as siret_origine
    from source_rows
),

heritees as (
    select
        r.intervention_id,
        o.siret,
        r.pole,
        r.source,
        r.date_intervention,
        r.unite,
        r.libelle_unite,
        r.type_intervention,
        true as est_heritee,
        o.siret_origine
    from origines as o
    inner join source_rows as r on o.siret_origine = r.siret
),

lignes as (
    select * from propres
    union all by name
    select * from heritees
),

final as (
    select
        l.intervention_id,
        l.siret,
        left(l.siret, 9) as siren,
        l.pole,
        l.source,
        l.date_intervention,
        l.unite,
        l.libelle_unite,
        l.type_intervention,
        l.est_heritee,
        l.siret_origine,
        l.siret in (select siret from etablissements) as est_dans_sirene
    from lignes as l
)

select * from final
order by siret, date_intervention
