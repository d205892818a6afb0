-- One row per client (company by SIREN, or establishment by SIRET) and year: the distinct
-- workers posted to it, unpivoted from SIPSI's two yearly columns (the file's year and the
-- year before). A year without a count is left out.
with clients_siren as (
    select * from {{ ref('stg_sipsi__clients_siren') }}
    where occurrence = 1
),

clients_siret as (
    select * from {{ ref('stg_sipsi__clients_siret') }}
    where occurrence = 1
),

by_client as (
    select
        'siren' as niveau,
        siren,
        cast(null as varchar) as siret,
        annee,
        nb_salaries_detaches_annee,
        nb_salaries_detaches_annee_precedente
    from clients_siren
    union all
    select
        'siret' as niveau,
        left(siret, 9) as siren,
        siret,
        annee,
        nb_salaries_detaches_annee,
        nb_salaries_detaches_annee_precedente
    from clients_siret
),

unpivoted as (
    select
        niveau,
        siren,
        siret,
        annee,
        nb_salaries_detaches_annee as nb_salaries_detaches
    from by_client
    union all
    select
        niveau,
        siren,
        siret,
        annee - 1 as annee,
        nb_salaries_detaches_annee_precedente as nb_salaries_detaches
    from by_client
),

final as (
    select * from unpivoted
    where nb_salaries_detaches is not null
)

select * from final
