"""D@ccord (DGT): company agreements, one row per agreement with its theme counts."""

from sources.contracts import Kind
from sources.internal import col, inbox_contract

THEMES = (
    "groth2_01_epargne_salariale",
    "groth2_02_remuneration",
    "groth2_03_duree_amenagement_temps_travail",
    "groth2_04_conditions_travail",
    "groth2_05_emploi",
    "groth2_06_egalite_professionnelle",
    "groth2_07_classifications",
    "groth2_08_formation_professionnelle",
    "groth2_09_protection_sociale",
    "groth2_10_droit_syndical",
    "groth2_11_autres",
    "groth2_12_nouvelles_technos_numeriques",
)

ACCORDS = inbox_contract(
    source="daccord",
    dataset="daccord_accords",
    producer="DGT",
    system="D@ccord",
    file_pattern="Daccord-Gestion-Extraction*",
    key=("num_dos",),
    newest_data_column="dt_sign",
    description="Company agreements: one row per agreement (num_dos).",
    columns=(
        col("num_dos", not_null=True),
        col("siret", Kind.SIRET, not_null=True),
        col("dt_sign", Kind.DATE, formats=("%Y-%m-%d", "%d/%m/%Y")),
        *(col(theme, Kind.INTEGER) for theme in THEMES),
    ),
)

CONTRACTS = (ACCORDS,)
