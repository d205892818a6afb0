"""D@ccord (DGT): company agreements, one row per agreement with its theme counts."""

from sources.contracts import Contract, Kind
from sources.internal import INBOX, INTERNAL_GUARDS, col

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

ACCORDS = Contract(
    source="daccord",
    dataset="daccord_accords",
    producer="DGT",
    system="D@ccord",
    public=False,
    arrival=INBOX,
    file_name="daccord_accords.csv",
    file_pattern="Daccord-Gestion-Extraction*",
    member=None,
    origin_url=None,
    rhythm_days=31,
    encoding="utf-8",
    separator=";",
    key=("num_dos",),
    newest_data_column="dt_sign",
    decode_html=True,
    guards=INTERNAL_GUARDS,
    description="Company agreements: one row per agreement (num_dos).",
    columns=(
        col("num_dos", not_null=True),
        col("siret", Kind.SIRET, not_null=True),
        col("dt_sign", Kind.DATE, formats=("%Y-%m-%d", "%d/%m/%Y")),
        *(col(theme, Kind.INTEGER) for theme in THEMES),
    ),
)

CONTRACTS = (ACCORDS,)
