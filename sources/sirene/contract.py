"""Contracts of the INSEE SIRENE stock files (monthly, public, data.gouv.fr stable links).

Each file is a zip holding one UTF-8 CSV, comma separated, ``"`` quoted, with a header row. The
column lists follow INSEE's order; the header is still checked by name. Required columns are the
ones the fiche is built from; the others are loaded when present and added empty when not.
"""

from __future__ import annotations

import polars as pl

from sources.contracts import Column, Contract, Guards, Kind, RowCheck

DATA_GOUV = "https://www.data.gouv.fr/datasets/r/"

# The stock shrinks by far less than 2 % from one month to the next: more is a broken file.
# INSEE publishes monthly, so data older than 45 days at FCE_AS_OF means a missed release.
SIRENE_GUARDS = Guards(
    min_row_ratio=0.98, max_row_ratio=1.5, max_reject_ratio=0.001, stale_after_days=45
)

S, D, DT, B, INT = Kind.STRING, Kind.DATE, Kind.DATETIME, Kind.BOOLEAN, Kind.INTEGER


def _req(name: str, kind: Kind = S, *, not_null: bool = False, masked: bool = False) -> Column:
    return Column(name, kind, required=True, not_null=not_null, masked=masked)


def _opt(name: str, kind: Kind = S, *, masked: bool = False) -> Column:
    return Column(name, kind, masked=masked)


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
        _req("siren", Kind.SIREN, not_null=True),
        _req("statutDiffusionUniteLegale", not_null=True),
        _opt("unitePurgeeUniteLegale", B),
        _req("dateCreationUniteLegale", D),
        _req("sigleUniteLegale", masked=True),
        _opt("sexeUniteLegale", masked=True),
        _req("prenom1UniteLegale", masked=True),
        _opt("prenom2UniteLegale", masked=True),
        _opt("prenom3UniteLegale", masked=True),
        _opt("prenom4UniteLegale", masked=True),
        _req("prenomUsuelUniteLegale", masked=True),
        _opt("pseudonymeUniteLegale", masked=True),
        _opt("identifiantAssociationUniteLegale"),
        _req("trancheEffectifsUniteLegale"),
        _opt("anneeEffectifsUniteLegale", INT),
        _req("dateDernierTraitementUniteLegale", DT),
        _opt("nombrePeriodesUniteLegale", INT),
        _req("categorieEntreprise"),
        _opt("anneeCategorieEntreprise", INT),
        _opt("dateDebut", D),
        _req("etatAdministratifUniteLegale", not_null=True),
        _req("nomUniteLegale", masked=True),
        _req("nomUsageUniteLegale", masked=True),
        _req("denominationUniteLegale", masked=True),
        _req("denominationUsuelle1UniteLegale", masked=True),
        _opt("denominationUsuelle2UniteLegale", masked=True),
        _opt("denominationUsuelle3UniteLegale", masked=True),
        _req("categorieJuridiqueUniteLegale"),
        _req("activitePrincipaleUniteLegale"),
        _req("nomenclatureActivitePrincipaleUniteLegale"),
        _req("nicSiegeUniteLegale", Kind.NIC),
        _req("economieSocialeSolidaireUniteLegale"),
        _opt("societeMissionUniteLegale"),
        _opt("caractereEmployeurUniteLegale"),
        _opt("activitePrincipaleNAF25UniteLegale"),
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
        _req("siren", Kind.SIREN, not_null=True),
        _req("nic", Kind.NIC, not_null=True),
        _req("siret", Kind.SIRET, not_null=True),
        _req("statutDiffusionEtablissement", not_null=True),
        _req("dateCreationEtablissement", D),
        _req("trancheEffectifsEtablissement"),
        _opt("anneeEffectifsEtablissement", INT),
        _opt("activitePrincipaleRegistreMetiersEtablissement"),
        _req("dateDernierTraitementEtablissement", DT),
        _req("etablissementSiege", B, not_null=True),
        _opt("nombrePeriodesEtablissement", INT),
        _req("complementAdresseEtablissement", masked=True),
        _req("numeroVoieEtablissement", masked=True),
        _req("indiceRepetitionEtablissement", masked=True),
        _opt("dernierNumeroVoieEtablissement", masked=True),
        _opt("indiceRepetitionDernierNumeroVoieEtablissement", masked=True),
        _req("typeVoieEtablissement", masked=True),
        _req("libelleVoieEtablissement", masked=True),
        _req("codePostalEtablissement"),
        _req("libelleCommuneEtablissement"),
        _req("libelleCommuneEtrangerEtablissement"),
        _req("distributionSpecialeEtablissement", masked=True),
        _req("codeCommuneEtablissement"),
        _req("codeCedexEtablissement"),
        _req("libelleCedexEtablissement"),
        _req("codePaysEtrangerEtablissement"),
        _req("libellePaysEtrangerEtablissement"),
        _opt("identifiantAdresseEtablissement", masked=True),
        # Lambert coordinates stay text: the projection depends on the territory and the value
        # is `[ND]` for masked establishments.
        _opt("coordonneeLambertAbscisseEtablissement", masked=True),
        _opt("coordonneeLambertOrdonneeEtablissement", masked=True),
        _opt("complementAdresse2Etablissement", masked=True),
        _opt("numeroVoie2Etablissement", masked=True),
        _opt("indiceRepetition2Etablissement", masked=True),
        _opt("typeVoie2Etablissement", masked=True),
        _opt("libelleVoie2Etablissement", masked=True),
        _opt("codePostal2Etablissement"),
        _opt("libelleCommune2Etablissement"),
        _opt("libelleCommuneEtranger2Etablissement"),
        _opt("distributionSpeciale2Etablissement", masked=True),
        _opt("codeCommune2Etablissement"),
        _opt("codeCedex2Etablissement"),
        _opt("libelleCedex2Etablissement"),
        _opt("codePaysEtranger2Etablissement"),
        _opt("libellePaysEtranger2Etablissement"),
        _req("dateDebut", D),
        _req("etatAdministratifEtablissement", not_null=True),
        _req("enseigne1Etablissement", masked=True),
        _opt("enseigne2Etablissement", masked=True),
        _opt("enseigne3Etablissement", masked=True),
        _req("denominationUsuelleEtablissement", masked=True),
        _req("activitePrincipaleEtablissement"),
        _req("nomenclatureActivitePrincipaleEtablissement"),
        _opt("caractereEmployeurEtablissement"),
        _opt("activitePrincipaleNAF25Etablissement"),
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
        _req("siretEtablissementPredecesseur", Kind.SIRET, not_null=True),
        _req("siretEtablissementSuccesseur", Kind.SIRET, not_null=True),
        _req("dateLienSuccession", D, not_null=True),
        _req("transfertSiege", B),
        _req("continuiteEconomique", B),
        _opt("dateDernierTraitementLienSuccession", DT),
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
        _req("siren", Kind.SIREN, not_null=True),
        _req("nic", Kind.NIC, not_null=True),
        _req("siret", Kind.SIRET, not_null=True),
        _req("dateFin", D),
        # INSEE leaves the start of some very old first periods empty: a value may be missing.
        _req("dateDebut", D),
        _req("etatAdministratifEtablissement", not_null=True),
        _req("changementEtatAdministratifEtablissement", B),
        _req("enseigne1Etablissement", masked=True),
        _opt("enseigne2Etablissement", masked=True),
        _opt("enseigne3Etablissement", masked=True),
        _req("changementEnseigneEtablissement", B),
        _req("denominationUsuelleEtablissement", masked=True),
        _req("changementDenominationUsuelleEtablissement", B),
        _req("activitePrincipaleEtablissement"),
        _req("nomenclatureActivitePrincipaleEtablissement"),
        _req("changementActivitePrincipaleEtablissement", B),
        _opt("caractereEmployeurEtablissement"),
        _opt("changementCaractereEmployeurEtablissement", B),
    ),
)

CONTRACTS = (UNITES_LEGALES, ETABLISSEMENTS, LIENS_SUCCESSION, HISTORIQUE_ETABLISSEMENTS)
