{#- The services' figures appended to both fiches, from an int_services__indicateurs_* model
    joined as `alias`; counts are 0 when a service has nothing, other figures stay null. They
    count the establishment's own records only: the interventions a successor inherits from its
    predecessors (est_heritee in interactions) are not counted. -#}
{% macro services_indicator_columns(alias) -%}
        {{ alias }}.derniere_intervention_pole_t,
        {{ alias }}.derniere_intervention_pole_c,
        {{ alias }}.derniere_intervention_pole_3e,
        {{ alias }}.derniere_intervention,
        coalesce({{ alias }}.nb_interventions_24_mois, 0) as nb_interventions_24_mois,
        {{ alias }}.effectif_dsn,
        {{ alias }}.mois_effectif_dsn,
        {{ alias }}.heures_activite_partielle_autorisees_24_mois,
        {{ alias }}.heures_activite_partielle_consommees_24_mois,
        {{ alias }}.date_derniere_decision_activite_partielle,
        coalesce({{ alias }}.nb_procedures_rupco_36_mois, 0) as nb_procedures_rupco_36_mois,
        {{ alias }}.date_derniere_procedure_rupco,
        coalesce({{ alias }}.nb_accords, 0) as nb_accords,
        {{ alias }}.date_dernier_accord,
        coalesce({{ alias }}.nb_contrats_apprentissage_12_mois, 0)
            as nb_contrats_apprentissage_12_mois,
        {{ alias }}.accidents_travail_total,
        {{ alias }}.salaries_detaches,
        {{ alias }}.agrements_iae
{%- endmacro %}
