-- One row per line of INSEE's geolocation file, renamed. `occurrence` = 1 marks the line kept
-- for its SIRET (the last one in the file).
with source as (
    select * from {{ source('lake', 'geolocalisation_etablissements') }}
),

renamed as (
    select
        siret,
        x as coordonnee_x,
        y as coordonnee_y,
        epsg,
        qualite_xy,
        distance_precision,
        plg_code_commune as code_commune,
        plg_iris as code_iris,
        plg_qp24 as code_qp_2024,
        plg_qp15 as code_qp_2015,
        plg_zus as code_zus,
        plg_qva as code_qva,
        y_latitude as latitude,
        x_longitude as longitude,
        source_line
    from source
),

final as (
    select
        *,
        row_number() over (partition by siret order by source_line desc) as occurrence
    from renamed
)

select * from final
