"""Wiki'T (DGT): labour-inspection controls (pôle T), and the control units they belong to.

The CSV lists, per establishment, the date of its last control and the unit (UC) that owns it;
a JSON file beside it maps unit codes to names and e-mail addresses. The newest file of each
kind replaces the previous one.
"""

import polars as pl

from sources.contracts import Contract, Kind, RowCheck
from sources.internal import DAY_FIRST, INBOX, INTERNAL_GUARDS, col

CONTROLES = Contract(
    source="wikit",
    dataset="wikit_controles",
    producer="DGT",
    system="Wiki'T",
    public=False,
    arrival=INBOX,
    file_name="wikit_controles.csv",
    file_pattern="EtablissementActifsControl*s_*.csv",
    member=None,
    origin_url=None,
    rhythm_days=31,
    encoding="utf-8",
    separator=";",
    key=("Siret",),
    newest_data_column="Date de dernier controle",
    decode_html=True,
    guards=INTERNAL_GUARDS,
    description="Labour-inspection controls: one row per establishment, its last control.",
    columns=(
        col("Siret", Kind.SIRET, not_null=True),
        col("Date de dernier controle", Kind.DATE, not_null=True, formats=DAY_FIRST),
        col("Propriétaire"),
    ),
)

UNITES_CONTROLE = Contract(
    source="wikit",
    dataset="wikit_unites_controle",
    producer="DGT",
    system="Wiki'T",
    public=False,
    arrival=INBOX,
    file_name="wikit_unites_controle.json",
    file_pattern="*_WIKIT_UC.json",
    member=None,
    origin_url=None,
    rhythm_days=31,
    encoding="utf-8",
    separator=";",
    key=("CODE_UC",),
    json_records="UC",
    decode_html=True,
    guards=INTERNAL_GUARDS,
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
