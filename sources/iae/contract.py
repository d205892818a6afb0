"""ASP: inclusion agreements (insertion par l'activité économique), one row per SIRET."""

from sources.contracts import Contract, Kind
from sources.internal import INBOX, INTERNAL_GUARDS, col

KINDS = ("kind_aci", "kind_ai", "kind_ea", "kind_ei", "kind_etti")

AGREMENTS = Contract(
    source="iae",
    dataset="iae_agrements",
    producer="ASP",
    system="IAE",
    public=False,
    arrival=INBOX,
    file_name="iae_agrements.csv",
    file_pattern="*iae*.csv",
    member=None,
    origin_url=None,
    rhythm_days=92,
    encoding="utf-8",
    separator=";",
    key=("siret",),
    guards=INTERNAL_GUARDS,
    description="Inclusion agreements: one row per establishment, a flag per kind of structure "
    "(ACI, AI, EA, EI, ETTI).",
    columns=(
        col("siret", Kind.SIRET, not_null=True),
        *(col(kind, Kind.BOOLEAN) for kind in KINDS),
    ),
)

CONTRACTS = (AGREMENTS,)
