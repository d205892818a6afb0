-- One row per SIRET and IDCC declared in the SIRET's latest month of the DSN list, with the
-- agreement's titles (null for an IDCC the seed does not list).
with declarations as (
    select * from {{ ref('stg_conventions_collectives__declarations') }}
    where occurrence = 1
),

idcc as (
    select * from {{ ref('conventions_collectives_idcc') }}
),

latest_month as (
    select * from declarations
    -- an establishment's agreements are those of its latest declared month: an agreement it
    -- left before that month is not current
    qualify mois = max(mois) over (partition by siret)
),

final as (
    select
        d.siret,
        left(d.siret, 9) as siren,
        d.code_idcc,
        i.libelle_idcc,
        i.libelle_court_idcc,
        d.code_idcc <> '9999' as est_determinee,
        d.mois,
        d.date_mise_a_jour
    from latest_month as d
    left join idcc as i on d.code_idcc = i.code_idcc
)

select * from final
