"""ASP: inclusion agreements (insertion par l'activité économique), one row per SIRET."""

from sources.contracts import Kind
from sources.internal import col, inbox_contract

KINDS = ("kind_aci", "kind_ai", "kind_ea", "kind_ei", "kind_etti")

AGREMENTS = inbox_contract(
    source="iae",
    dataset="iae_agrements",
    producer="ASP",
    system="IAE",
    file_pattern="*iae*.csv",
    rhythm_days=92,
    key=("siret",),
    description="Inclusion agreements: one row per establishment, a flag per kind of structure "
    "(ACI, AI, EA, EI, ETTI).",
    columns=(
        col("siret", Kind.SIRET, not_null=True),
        *(col(kind, Kind.BOOLEAN) for kind in KINDS),
    ),
    decode_html=False,
)

CONTRACTS = (AGREMENTS,)
