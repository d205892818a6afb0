"""DECA (DGEFP): apprenticeship contracts, one row per contract."""

from sources.contracts import Kind
from sources.internal import DAY_FIRST, col, inbox_contract

CONTRATS = inbox_contract(
    source="apprentissage",
    dataset="apprentissage_contrats",
    producer="DGEFP",
    system="DECA",
    file_pattern="ExtractFCE_App*.csv",
    key=("NumeroEnregistrement",),
    newest_data_column="Contrat DateDebut",
    description="Apprenticeship contracts: one row per registered contract.",
    columns=(
        col("Contrat DateDebut", Kind.DATE, formats=DAY_FIRST),
        col("TypeContrat"),
        col("NumeroEnregistrement", not_null=True),
        col("Employeur Siret", Kind.SIRET, not_null=True),
        col("DateRupture", Kind.DATE, formats=DAY_FIRST),
    ),
)

CONTRACTS = (CONTRATS,)
