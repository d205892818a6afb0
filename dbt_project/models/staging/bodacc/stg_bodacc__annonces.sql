-- One row per line of the BODACC export (an announcement of any family), renamed.
-- `occurrence` = 1 marks the line kept for its announcement id (the last one in the file).
with source as (
    select * from {{ source('lake', 'bodacc_annonces') }}
),

renamed as (
    select
        id as annonce_id,
        siren,
        registre,
        publicationavis as publication,
        parution,
        dateparution as date_parution,
        numeroannonce as numero_annonce,
        typeavis as type_avis,
        typeavis_lib as libelle_type_avis,
        familleavis as famille_avis,
        familleavis_lib as libelle_famille_avis,
        numerodepartement as departement,
        tribunal,
        commercant,
        ville,
        cp as code_postal,
        date_jugement,
        famille_jugement,
        nature_jugement,
        complement_jugement,
        -- what the load's mojibake table could not repair (a lost byte, a double decoding)
        regexp_matches(
            concat_ws(' ', commercant, tribunal, ville, jugement),
            'Ã|Â|â€|�'
        ) as est_texte_altere,
        source_line
    from source
),

final as (
    select
        *,
        row_number() over (
            partition by annonce_id order by source_line desc
        ) as occurrence
    from renamed
)

select * from final
