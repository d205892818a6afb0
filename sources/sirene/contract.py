"""Contracts of the INSEE SIRENE stock files (monthly, public, data.gouv.fr stable links).

Each file is a zip holding one UTF-8 CSV, comma separated, ``"`` quoted, with a header row. The
column lists follow INSEE's order; the header is still checked by name. Required columns are the
ones the fiche is built from; the others are loaded when present and added empty when not.
"""

from __future__ import annotations

import polars as pl

from sources.contracts import Contract, Guards, Kind, RowCheck, optional, required

DATA_GOUV = "https://www.data.gouv.fr/datasets/r/"

# The stock shrinks by far less than 2 % from one month to the next: more is a broken file.
# INSEE publishes monthly, so data older than 45 days at FCE_AS_OF means a missed release.
SIRENE_GUARDS = Guards(
    min_row_ratio=0.98, max_row_ratio=1.5, max_reject_ratio=0.001, stale_after_days=45
)

S, D, DT, B, INT = Kind.STRING, Kind.DATE, Kind.DATETIME, Kind.BOOLEAN, Kind.INTEGER


UNITES_LEGALES = Contract(
    source="sirene",
    dataset="sirene_unites_legales",
    producer="INSEE",
    system="SIRENE",
    public=True,
    arrival="http",
    file_name="StockUniteLegale_utf8.zip",
    member="StockUniteLegale_utf8.csv",
    origin_url=DATA_GOUV + "825f4199-cadd-486c-ac46-a65a8ea1a047",
    rhythm_days=31,
    ends_with_newline=True,
    guards=SIRENE_GUARDS,
    encoding="utf-8",
    separator=",",
    key=("siren",),
    newest_data_column="dateDernierTraitementUniteLegale",
    description="Stock of legal units (unités légales): one row per SIREN, current state.",
    columns=(
        required("siren", Kind.SIREN, not_null=True),
        required("statutDiffusionUniteLegale", not_null=True),
        optional("unitePurgeeUniteLegale", B),
        required("dateCreationUniteLegale", D),
        required("sigleUniteLegale", masked=True),
        optional("sexeUniteLegale", masked=True),
        required("prenom1UniteLegale", masked=True),
        optional("prenom2UniteLegale", masked=True),
        optional("prenom3UniteLegale", masked=True),
        optional("prenom4UniteLegale", masked=True),
        required("prenomUsuelUniteLegale", masked=True),
        optional("pseudonymeUniteLegale", masked=True),
        optional("identifiantAssociationUniteLegale"),
        required("trancheEffectifsUniteLegale"),
        optional("anneeEffectifsUniteLegale", INT),
        required("dateDernierTraitementUniteLegale", DT),
        optional("nombrePeriodesUniteLegale", INT),
        required("categorieEntreprise"),
        optional("anneeCategorieEntreprise", INT),
        optional("dateDebut", D),
        required("etatAdministratifUniteLegale", not_null=True),
        required("nomUniteLegale", masked=True),
        required("nomUsageUniteLegale", masked=True),
        required("denominationUniteLegale", masked=True),
        required("denominationUsuelle1UniteLegale", masked=True),
        optional("denominationUsuelle2UniteLegale", masked=True),
        optional("denominationUsuelle3UniteLegale", masked=True),
        required("categorieJuridiqueUniteLegale"),
        required("activitePrincipaleUniteLegale"),
        required("nomenclatureActivitePrincipaleUniteLegale"),
        required("nicSiegeUniteLegale", Kind.NIC),
        required("economieSocialeSolidaireUniteLegale"),
        optional("societeMissionUniteLegale"),
        optional("caractereEmployeurUniteLegale"),
        optional("activitePrincipaleNAF25UniteLegale"),
    ),
)

ETABLISSEMENTS = Contract(
    source="sirene",
    dataset="sirene_etablissements",
    producer="INSEE",
    system="SIRENE",
    public=True,
    arrival="http",
    file_name="StockEtablissement_utf8.zip",
    member="StockEtablissement_utf8.csv",
    origin_url=DATA_GOUV + "0651fb76-bcf3-4f6a-a38d-bc04fa708576",
    rhythm_days=31,
    ends_with_newline=True,
    guards=SIRENE_GUARDS,
    encoding="utf-8",
    separator=",",
    key=("siret",),
    newest_data_column="dateDernierTraitementEtablissement",
    description="Stock of establishments (établissements): one row per SIRET, current state.",
    row_checks=(
        RowCheck(
            name="siret_is_siren_nic",
            reason="siret is not siren followed by nic",
            broken=lambda _: pl.col("siret") != pl.concat_str("siren", "nic"),
        ),
    ),
    columns=(
        required("siren", Kind.SIREN, not_null=True),
        required("nic", Kind.NIC, not_null=True),
        required("siret", Kind.SIRET, not_null=True),
        required("statutDiffusionEtablissement", not_null=True),
        required("dateCreationEtablissement", D),
        required("trancheEffectifsEtablissement"),
        optional("anneeEffectifsEtablissement", INT),
        optional("activitePrincipaleRegistreMetiersEtablissement"),
        required("dateDernierTraitementEtablissement", DT),
        required("etablissementSiege", B, not_null=True),
        optional("nombrePeriodesEtablissement", INT),
        required("complementAdresseEtablissement", masked=True),
        required("numeroVoieEtablissement", masked=True),
        required("indiceRepetitionEtablissement", masked=True),
        optional("dernierNumeroVoieEtablissement", masked=True),
        optional("indiceRepetitionDernierNumeroVoieEtablissement", masked=True),
        required("typeVoieEtablissement", masked=True),
        required("libelleVoieEtablissement", masked=True),
        required("codePostalEtablissement"),
        required("libelleCommuneEtablissement"),
        required("libelleCommuneEtrangerEtablissement"),
        required("distributionSpecialeEtablissement", masked=True),
        required("codeCommuneEtablissement"),
        required("codeCedexEtablissement"),
        required("libelleCedexEtablissement"),
        required("codePaysEtrangerEtablissement"),
        required("libellePaysEtrangerEtablissement"),
        optional("identifiantAdresseEtablissement", masked=True),
        # Lambert coordinates stay text: the projection depends on the territory and the value
        # is `[ND]` for masked establishments.
        optional("coordonneeLambertAbscisseEtablissement", masked=True),
        optional("coordonneeLambertOrdonneeEtablissement", masked=True),
        optional("complementAdresse2Etablissement", masked=True),
        optional("numeroVoie2Etablissement", masked=True),
        optional("indiceRepetition2Etablissement", masked=True),
        optional("typeVoie2Etablissement", masked=True),
        optional("libelleVoie2Etablissement", masked=True),
        optional("codePostal2Etablissement"),
        optional("libelleCommune2Etablissement"),
        optional("libelleCommuneEtranger2Etablissement"),
        optional("distributionSpeciale2Etablissement", masked=True),
        optional("codeCommune2Etablissement"),
        optional("codeCedex2Etablissement"),
        optional("libelleCedex2Etablissement"),
        optional("codePaysEtranger2Etablissement"),
        optional("libellePaysEtranger2Etablissement"),
        required("dateDebut", D),
        required("etatAdministratifEtablissement", not_null=True),
        required("enseigne1Etablissement", masked=True),
        optional("enseigne2Etablissement", masked=True),
        optional("enseigne3Etablissement", masked=True),
        required("denominationUsuelleEtablissement", masked=True),
        required("activitePrincipaleEtablissement"),
        required("nomenclatureActivitePrincipaleEtablissement"),
        optional("caractereEmployeurEtablissement"),
        optional("activitePrincipaleNAF25Etablissement"),
    ),
)

LIENS_SUCCESSION = Contract(
    source="sirene",
    dataset="sirene_liens_succession",
    producer="INSEE",
    system="SIRENE",
    public=True,
    arrival="http",
    file_name="StockEtablissementLiensSuccession_utf8.zip",
    member="StockEtablissementLiensSuccession_utf8.csv",
    origin_url=DATA_GOUV + "9c4d5d9c-4bbb-4b9c-837a-6155cb589e26",
    rhythm_days=31,
    ends_with_newline=True,
    guards=SIRENE_GUARDS,
    encoding="utf-8",
    separator=",",
    key=("siretEtablissementPredecesseur", "siretEtablissementSuccesseur", "dateLienSuccession"),
    newest_data_column="dateDernierTraitementLienSuccession",
    description="Succession links between establishments: one row per predecessor, successor "
    "and date of the link.",
    columns=(
        required("siretEtablissementPredecesseur", Kind.SIRET, not_null=True),
        required("siretEtablissementSuccesseur", Kind.SIRET, not_null=True),
        required("dateLienSuccession", D, not_null=True),
        required("transfertSiege", B),
        required("continuiteEconomique", B),
        optional("dateDernierTraitementLienSuccession", DT),
    ),
)

HISTORIQUE_ETABLISSEMENTS = Contract(
    source="sirene",
    dataset="sirene_etablissements_historique",
    producer="INSEE",
    system="SIRENE",
    public=True,
    arrival="http",
    file_name="StockEtablissementHistorique_utf8.zip",
    member="StockEtablissementHistorique_utf8.csv",
    origin_url=DATA_GOUV + "88fbb6b4-0320-443e-b739-b4376a012c32",
    rhythm_days=31,
    ends_with_newline=True,
    guards=SIRENE_GUARDS,
    encoding="utf-8",
    separator=",",
    key=("siret", "dateDebut"),
    # The file has no processing date: the start of the newest period stands for the image date
    # (some establishment changes on most days, so it is close to the last day of the month).
    newest_data_column="dateDebut",
    description="History of establishments: one row per SIRET and period, a period starting "
    "whenever the state, the enseigne, the usual name, the activity or the employer character "
    "changed; `dateFin` is empty for the current period.",
    row_checks=(
        RowCheck(
            name="siret_is_siren_nic",
            reason="siret is not siren followed by nic",
            broken=lambda _: pl.col("siret") != pl.concat_str("siren", "nic"),
        ),
    ),
    columns=(
        required("siren", Kind.SIREN, not_null=True),
        required("nic", Kind.NIC, not_null=True),
        required("siret", Kind.SIRET, not_null=True),
        required("dateFin", D),
        # INSEE leaves the start of some very old first periods empty: a value may be missing.
        required("dateDebut", D),
        required("etatAdministratifEtablissement", not_null=True),
        required("changementEtatAdministratifEtablissement", B),
        required("enseigne1Etablissement", masked=True),
        optional("enseigne2Etablissement", masked=True),
        optional("enseigne3Etablissement", masked=True),
        required("changementEnseigneEtablissement", B),
        required("denominationUsuelleEtablissement", masked=True),
        required("changementDenominationUsuelleEtablissement", B),
        required("activitePrincipaleEtablissement"),
        required("nomenclatureActivitePrincipaleEtablissement"),
        required("changementActivitePrincipaleEtablissement", B),
        optional("caractereEmployeurEtablissement"),
        optional("changementCaractereEmployeurEtablissement", B),
    ),
)

CONTRACTS = (UNITES_LEGALES, ETABLISSEMENTS, LIENS_SUCCESSION, HISTORIQUE_ETABLISSEMENTS)
