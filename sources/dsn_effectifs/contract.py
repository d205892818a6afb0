"""DSN (DARES): monthly headcounts per establishment.

One file a month, ``TRANS-SISSMO-effectifs_MMYYYY.csv``; the files accumulate into a history
(SIRET × month), a newer file for the same month replacing that month. The MOIS column is known
to lag: the month is the one in the file name (column ``mois_fichier``; ``MOIS`` is kept as it
arrived).
"""

from sources.contracts import Kind
from sources.internal import col, derived, inbox_contract, month_from_file_name

FILE_MONTH = r"effectifs_(?P<month>\d{2})(?P<year>\d{4})"

EFFECTIFS = inbox_contract(
    source="dsn_effectifs",
    dataset="dsn_effectifs",
    producer="DARES",
    system="DSN",
    file_pattern="TRANS-SISSMO-effectifs_*.csv",
    separator=",",
    key=("SIRET", "mois_fichier"),
    newest_data_column="mois_fichier",
    history_key="mois_fichier",
    description="Monthly headcounts: one row per SIRET and month.",
    columns=(
        col("MOIS", required=False),
        col("SIRET", Kind.SIRET, not_null=True),
        col("EFF_TOTAL", Kind.DECIMAL),
        col("EFF_HOMME", Kind.DECIMAL, required=False),
        col("EFF_FEMME", Kind.DECIMAL, required=False),
        col("NB_CDD", Kind.DECIMAL, required=False),
        col("NB_CDI", Kind.DECIMAL, required=False),
        col("NB_CDI_INTER", Kind.DECIMAL, required=False),
        col("NB_INTER_MISSION", Kind.DECIMAL, required=False),
        col("NB_INTERIM", Kind.DECIMAL, required=False),
        col("DATE_MAJ", Kind.DATE, required=False, formats=("%Y/%m/%d", "%Y-%m-%d")),
        derived("mois_fichier", Kind.DATE, month_from_file_name(FILE_MONTH), not_null=True),
    ),
    decode_html=False,
)

CONTRACTS = (EFFECTIFS,)
