"""DECA (DGEFP): apprenticeship contracts, one row per contract."""

from sources.contracts import Contract, Kind
from sources.internal import DAY_FIRST, INBOX, INTERNAL_GUARDS, col

CONTRATS = Contract(
    source="apprentissage",
    dataset="apprentissage_contrats",
    producer="DGEFP",
    system="DECA",
    public=False,
    arrival=INBOX,
    file_name="apprentissage_contrats.csv",
    file_pattern="ExtractFCE_App*.csv",
    member=None,
    origin_url=None,
    rhythm_days=31,
    encoding="utf-8",
    separator=";",
    key=("NumeroEnregistrement",),
    newest_data_column="Contrat DateDebut",
    decode_html=True,
    guards=INTERNAL_GUARDS,
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
