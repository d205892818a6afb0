"""MDF (DGEFP): vocational-training controls (pôle 3E, SRC).

Windows-1252, comma separated. The SIRET is rebuilt from "N° SIREN" and "N° Etablissement"
(the NIC, left-padded to 5); SIREN 0 is the tool's placeholder for "no company" and is rejected.
"""

import polars as pl

from sources.contracts import Kind, RowCheck
from sources.internal import DAY_FIRST_TIME, col, derived, inbox_contract

SIREN = "N° SIREN"
NIC = "N° Etablissement"


def _siret(_) -> pl.Expr:
    nic = pl.col(NIC).str.replace_all(r"\s", "").str.pad_start(5, "0")
    return pl.concat_str(pl.col(SIREN), nic)


CONTROLES = inbox_contract(
    source="src",
    dataset="src_controles",
    producer="DGEFP",
    system="MDF",
    file_pattern="exportMSDC_src*.csv",
    encoding="windows-1252",
    separator=",",
    key=("Numero dossier",),
    newest_data_column="Date creation",
    description="Vocational-training controls: one row per case (dossier).",
    columns=(
        col("Numero dossier", not_null=True),
        col(SIREN, Kind.SIREN, not_null=True),
        col(NIC),
        col("Code region"),
        col("Libelle region"),
        col("Type de contrôle"),
        col("Date creation", Kind.DATE, formats=DAY_FIRST_TIME),
        col("Date derniere Modification", Kind.DATE, formats=DAY_FIRST_TIME),
        col("Date cloture", Kind.DATE, formats=DAY_FIRST_TIME),
        col("Cols"),
        col("Clos automatiquement", required=False),
        col("Nature du contrôle"),
        col("Cible du contrôle", required=False),
        derived("siret", Kind.SIRET, _siret),
    ),
    row_checks=(
        RowCheck(
            "siren_placeholder",
            "N° SIREN is 0, the tool's placeholder for no company",
            lambda _: pl.col(SIREN).str.contains(r"^0+$"),
        ),
    ),
)

CONTRACTS = (CONTROLES,)
