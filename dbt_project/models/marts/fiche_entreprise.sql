-- One row per company (SIREN) of the SIRENE stock, with counts of its establishments and
-- what the services' files say of it and its establishments at the reference date. The
-- public columns come built from int_fiches__entreprises; the services' figures, counted
-- from as_of, are joined here, at every build.
with unites_legales as (
    select * from {{ ref('int_fiches__entreprises') }}
),

indicateurs as (
    select * from {{ ref('int_services__indicateurs_entreprises') }}
),

final as (
    select
        u.*,
        {{ services_indicator_columns('i') }}
    from unites_legales as u
    left join indicateurs as i on u.siren = i.siren
)

select * from final
order by siren
