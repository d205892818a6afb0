-- One row per line of the DECP file: a contract's state (as notified, or after a
-- modification) for one holder, renamed. `siret` is the holder's identifier only when the
-- file says it is a SIRET and it holds 14 digits once spaces are removed; a VAT number or any
-- other identifier stays in titulaire_id. `occurrence` = 1 marks the latest modification of
-- each contract and holder.
with source as (
    select * from {{ source('lake', 'decp_marches') }}
),

renamed as (
    select
        uid as marche_uid,
        id as marche_id,
        nature,
        techniques,
        acheteur_id as acheteur_siret,
        acheteur_nom,
        acheteur_departement_code,
        titulaire_id,
        titulaire_typeIdentifiant as titulaire_type_identifiant,
        titulaire_nom,
        objet,
        montant,
        "type" as type_marche,
        codeCPV as code_cpv,
        "procedure" as procedure_passation,
        dureeMois as duree_mois,
        dateNotification as date_notification,
        datePublicationDonnees as date_publication,
        formePrix as forme_prix,
        idAccordCadre as id_accord_cadre,
        modification_id,
        donneesActuelles as est_donnees_actuelles,
        sourceDataset as source_dataset,
        source_line
    from source
),

identified as (
    select
        *,
        regexp_replace(titulaire_id, '\s', '', 'g') as titulaire_id_compact
    from renamed
),

final as (
    select
        * exclude (titulaire_id_compact),
        case
            when upper(titulaire_type_identifiant) = 'SIRET'
                and regexp_full_match(titulaire_id_compact, '\d{14}')
                then titulaire_id_compact
        end as siret,
        -- the 2019 format calls a framework agreement a nature, the 2022 one a technique
        coalesce(
            nature ilike 'accord%cadre' or techniques ilike '%accord%cadre%', false
        ) as est_accord_cadre,
        -- the contract as notified, before any modification (modification 0)
        coalesce(
            min(date_notification) filter (where modification_id = 0) over (
                partition by marche_uid, titulaire_id
            ),
            min(date_notification) over (partition by marche_uid, titulaire_id)
        ) as date_notification_initiale,
        row_number() over (
            partition by marche_uid, titulaire_id
            order by
                modification_id desc nulls last,
                date_publication desc nulls last,
                source_line desc
        ) as occurrence
    from identified
)

select * from final
