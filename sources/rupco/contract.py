"""SI PSE-RUPCO (DGEFP): layoff procedures (PSE, RCC, collective dismissals).

Two files: the procedures (by company, SIREN) and their establishments (by SIRET), both keyed
by the case number.
"""

from sources.contracts import Column, Kind
from sources.internal import DAY_FIRST, col, inbox_contract


def _procedure_columns() -> tuple[Column, ...]:
    return (
        col("NUMERO DE DOSSIER", not_null=True),
        col("TYPE DE DOSSIER"),
        col("DATE ENREGISTREMENT", Kind.DATE, formats=DAY_FIRST),
        col("ETAT DU DOSSIER"),
        col("SIREN ENTREPRISE", Kind.SIREN),
        col("EFFECTIF ENTREPRISE", Kind.INTEGER),
        col("EFFECTIF GROUPE", Kind.INTEGER, required=False),
        col("NOM GROUPE", required=False),
        col("DATE JUGEMENT", Kind.DATE, required=False, formats=DAY_FIRST),
        col("SITUATION JURIDIQUE", required=False),
    )


PROCEDURES = inbox_contract(
    source="rupco",
    dataset="rupco_procedures",
    producer="DGEFP",
    system="SI PSE-RUPCO",
    file_pattern="*export_procedure*.csv",
    key=("NUMERO DE DOSSIER",),
    newest_data_column="DATE ENREGISTREMENT",
    description="Layoff procedures: one row per case (dossier), by company.",
    columns=_procedure_columns(),
)

ETABLISSEMENTS = inbox_contract(
    source="rupco",
    dataset="rupco_etablissements",
    producer="DGEFP",
    system="SI PSE-RUPCO",
    file_pattern="*export_etablissement*.csv",
    key=("NUMERO DE DOSSIER", "SIRET ETABLISSEMENT"),
    newest_data_column="DATE ENREGISTREMENT",
    description="Establishments of layoff procedures: one row per case and SIRET.",
    columns=(
        *_procedure_columns(),
        col("SIREN ETABLISSEMENT", Kind.SIREN),
        col("EFFECTIF ETABLISSEMENT", Kind.INTEGER),
        col("SIRET ETABLISSEMENT", Kind.SIRET, not_null=True),
        col("Nombre de Ruptures de Contrats en début de procédure Etab", Kind.INTEGER),
        col("Nombre de Ruptures de Contrats en fin de procédure Etab", Kind.INTEGER),
    ),
)

CONTRACTS = (PROCEDURES, ETABLISSEMENTS)
