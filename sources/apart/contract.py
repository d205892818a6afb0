"""APART (DGEFP): partial activity (activité partielle), one row per convention amendment."""

from sources.contracts import Kind
from sources.internal import DAY_FIRST, col, inbox_contract

CONVENTIONS = inbox_contract(
    source="apart",
    dataset="apart_conventions",
    producer="DGEFP",
    system="APART",
    file_pattern="APART_Extraction_FCE_S*.csv",
    key=("NUM_CONVENTION", "NUM_AVENANT"),
    newest_data_column="DATE_DECISION",
    description="Partial-activity authorisations: one row per convention and amendment.",
    columns=(
        col("SIRET", Kind.SIRET, not_null=True),
        col("NUM_CONVENTION", not_null=True),
        col("DATE_DECISION", Kind.DATE, formats=DAY_FIRST),
        col("NUM_AVENANT", Kind.INTEGER),
        col("DA_INIT", Kind.DATE, formats=DAY_FIRST),
        col("NB_H_AUTO_AVN", Kind.DECIMAL),
        col("NB_H_AUTO_CUM", Kind.DECIMAL),
        col("NB_H_CONSO_CUM", Kind.DECIMAL),
        col("CAUSE"),
    ),
)

CONTRACTS = (CONVENTIONS,)
