{#- Fails on every combination of `columns` found on more than one row of the model; nulls
    count as equal values, so a key with an optional part is still checked. -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as nb_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
