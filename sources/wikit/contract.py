"""Wiki'T (DGT): labour-inspection controls (pôle T), and the control units they belong to.

The CSV lists, per establishment, the date of its last control and the unit (UC) that owns it;
a JSON file beside it maps unit codes to names and e-mail addresses. The newest file of each
kind replaces the previous one.
"""

import polars as pl

from sources.contracts import Kind, RowCheck
from sources.internal import DAY_FIRST, col, inbox_contract

CONTROLES = inbox_contract(
    source="wikit",
    dataset="wikit_controles",
    producer="DGT",
    system="Wiki'T",
    file_pattern="EtablissementActifsControl*s_*.csv",
    key=("Siret",),
    newest_data_column="Date de dernier controle",
    description="Labour-inspection controls: one row per establishment, its last control.",
    columns=(
        col("Siret", Kind.SIRET, not_null=True),
        col("Date de dernier controle", Kind.DATE, not_null=True, formats=DAY_FIRST),
        col("Propriétaire"),
    ),
)

UNITES_CONTROLE = inbox_contract(
    source="wikit",
    dataset="wikit_unites_controle",
    producer="DGT",
    system="Wiki'T",
    file_pattern="*_WIKIT_UC.json",
    key=("CODE_UC",),
    json_records="UC",
    description="Labour-inspection control units (UC): one row per unit code. Arrives as JSON "
    '{"UC": [{"CODE_UC", "LIB_UC", "Courrier électronique"}]}.',
    columns=(
        col("CODE_UC", not_null=True),
        col("LIB_UC"),
        col("Courrier électronique", required=False),
    ),
    row_checks=(
        RowCheck(
            "code_uc_blank", "CODE_UC is blank", lambda _: pl.col("CODE_UC").str.strip_chars() == ""
        ),
    ),
)

CONTRACTS = (CONTROLES, UNITES_CONTROLE)
