{#- The columns of the load records written by the normalize step (sources/lake.py,
    LoadRecord), typed explicitly so that read_json never guesses them. -#}
{% macro load_record_columns() -%}
{
    'source': 'varchar', 'dataset': 'varchar', 'producer': 'varchar',
    'system': 'varchar', 'file': 'varchar', 'origin': 'varchar', 'sha256': 'varchar',
    'size': 'bigint', 'arrival_id': 'varchar', 'arrived_at': 'varchar',
    'contract_version': 'varchar', 'loaded_at': 'varchar', 'lake_path': 'varchar',
    'rejects_path': 'varchar', 'rows_read': 'bigint', 'rows_loaded': 'bigint',
    'rows_rejected': 'bigint', 'identifiers_padded': 'bigint', 'newest_data': 'varchar',
    'columns_missing': 'varchar[]', 'columns_extra': 'varchar[]', 'seconds': 'double',
    'stale_after_days': 'integer'
}
{%- endmacro %}
