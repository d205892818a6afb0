"""DAT'IA: work accidents per establishment, with sector and regional rates for comparison."""

from sources.contracts import Kind
from sources.internal import col, inbox_contract

COMPTES = inbox_contract(
    source="accidents_travail",
    dataset="accidents_travail",
    producer="DGT",
    system="DAT'IA",
    file_pattern="DAT-nb-at-par-SIRET*.csv",
    rhythm_days=366,
    key=("01_SIRET",),
    description="Work accidents: one row per establishment (SIRET), counts and rates.",
    columns=(
        col("01_SIRET", Kind.SIRET, not_null=True),
        col("02_nb_at_total", Kind.INTEGER),
        col("03_nb_at_mortels", Kind.INTEGER),
        col("04_nb_at_avec_arret_travail", Kind.INTEGER),
        col("05_nb_at_sans_arret_travail", Kind.INTEGER),
        col("06_NAF_NIV1", required=False),
        col("07_nb_at_pour_1000salaries", Kind.DECIMAL, required=False),
        col("08_nb_at_pour_1000salaries_france_secteur", Kind.DECIMAL, required=False),
        col("09_nb_at_pour_1000salaries_region_secteur", Kind.DECIMAL, required=False),
    ),
    decode_html=False,
)

CONTRACTS = (COMPTES,)
