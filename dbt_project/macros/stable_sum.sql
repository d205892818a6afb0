{#- The sum of a column of doubles, the same to the last digit at every build: summed in the
    order of the values. A plain sum() adds the rows in the order threads happen to meet them,
    and doubles summed in another order differ in their last digits (3 results in 4 builds of
    the DECP amounts at scale 0.1), so a table whose data had not changed looked changed: the
    publication counted it as changed and the exports wrote its Parquet files again. Sums of
    integers are exact in any order and do not need it. -#}
{% macro stable_sum(column) -%}
    sum({{ column }} order by {{ column }})
{%- endmacro %}
