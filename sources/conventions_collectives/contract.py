"""Collective agreements by establishment: the DSN extract of the Ministry of Labour (public).

Published on data.gouv.fr as "Liste des conventions collectives par entreprise (SIRET)"
(siret2idcc), from the DSN, updated a few times a year with several months of delay. One CSV,
UTF-8, comma separated, header ``MOIS,SIRET,IDCC,DATE_MAJ``, one line per SIRET and IDCC
declared in the month, e.g. ``2026-07,40416412100141,2614  ,2026/08/25``:

- IDCC is padded with trailing spaces (trimmed like every text value); ``9999`` means the
  employer declared no determined agreement, and is kept as such;
- a SIRET that lost its leading zero (13 digits) is left-padded to 14 like everywhere else;
- MOIS is ``YYYY-MM`` (checked here, turned into a date in staging); DATE_MAJ is ``YYYY/MM/DD``.

The producer names its copy WEEZ.csv (github.com/SocialGouv/siret2idcc); the resource behind
the stable link carries no other stable name.
"""

import polars as pl

from sources.contracts import Column, Contract, Guards, Kind, RowCheck

DATA_GOUV = "https://www.data.gouv.fr/datasets/r/"

# About 2 million lines; the file is replaced a few times a year, late by design: a month of
# data is published three to six months after it ends.
GUARDS = Guards(min_row_ratio=0.8, max_row_ratio=1.5, max_reject_ratio=0.01, stale_after_days=270)

CONVENTIONS = Contract(
    source="conventions_collectives",
    dataset="conventions_collectives_siret",
    producer="Ministère du Travail",
    system="DSN",
    public=True,
    arrival="http",
    file_name="WEEZ.csv",
    member=None,
    origin_url=DATA_GOUV + "a22e54f7-b937-4483-9a72-aad2ea1316f1",
    rhythm_days=92,
    guards=GUARDS,
    encoding="utf-8",
    separator=",",
    key=("SIRET", "IDCC", "MOIS"),
    newest_data_column="DATE_MAJ",
    description="Collective agreements declared in the DSN: one row per SIRET, IDCC and month.",
    row_checks=(
        RowCheck(
            name="mois_is_a_month",
            reason="MOIS is not a month written YYYY-MM",
            broken=lambda _: ~pl.col("MOIS").str.contains(r"^\d{4}-(0[1-9]|1[0-2])$"),
        ),
        RowCheck(
            name="idcc_is_a_number",
            reason="IDCC is not a number of 1 to 4 digits",
            broken=lambda _: ~pl.col("IDCC").str.contains(r"^\d{1,4}$"),
        ),
    ),
    columns=(
        Column(
            "MOIS",
            required=True,
            not_null=True,
            description="Month of the declarations, YYYY-MM.",
        ),
        Column("SIRET", Kind.SIRET, required=True, not_null=True),
        Column(
            "IDCC",
            required=True,
            not_null=True,
            description="Agreement number, trailing spaces trimmed; 9999 = not determined.",
        ),
        Column("DATE_MAJ", Kind.DATE, formats=("%Y/%m/%d", "%Y-%m-%d")),
    ),
)

CONTRACTS = (CONVENTIONS,)
