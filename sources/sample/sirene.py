"""Sample SIRENE stock: the three INSEE zips, written offline in their exact real format.

`generate_sirene` writes StockUniteLegale, StockEtablissement and StockEtablissementLiensSuccession
as INSEE publishes them (same zip and member names, same columns in the same order, UTF-8 without
BOM, comma, `"` quoting only where needed, `\\n` line ends, empty string for a missing value). The
records listed in `PLANTED` come first in every file, whatever the size and seed, so that tests
downstream can assert a known fiche; the rest is drawn at random, reproducibly for a seed.

Rows are generated and written by chunks of `CHUNK_ROWS` établissements with vectorised polars
expressions, so the memory used does not grow with the size asked for.

Known shortcomings, all harmless for tests and benchmarks:
- Communes are drawn uniformly, not by population (only the arrondissements of Paris, Lyon and
  Marseille get a fixed share); Lambert coordinates fall inside the territory's bounding box, not
  inside the commune.
- activitePrincipaleNAF25 holds a plausible NAF 2025 code from a short hand-made table, not the
  official NAF rév. 2 → NAF 2025 correspondence; activitePrincipaleRegistreMetiers, the second
  address (`...2Etablissement` columns) and dernierNumeroVoie are never filled (the last one
  holds `[ND]` when masked).
- Names, enseignes and NAF codes are drawn independently: a `BOULANGERIE` may sell insurance.
- A backslash is only ever written as part of `\\,`, so every value holding one also holds a comma
  and is quoted; a lone backslash would be written unquoted by polars.
- Sirens come from an affine permutation of the 8-digit bodies, so at most 10^8 unités légales can
  be drawn and their first digits are uniform (real sirens are not).
- Bytes are identical for a seed across machines, but a new polars (arithmetic, CSV writer) or
  zlib may change them; the dependencies are pinned for that reason.
- For masked natural persons sexeUniteLegale holds `[ND]` as the names do; INSEE's documentation
  is not explicit on that field.
"""

from __future__ import annotations

import io
import math
import os
import random
import zipfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import IO

import polars as pl

UNITE_LEGALE_COLUMNS: tuple[str, ...] = (
    "siren",
    "statutDiffusionUniteLegale",
    "unitePurgeeUniteLegale",
    "dateCreationUniteLegale",
    "sigleUniteLegale",
    "sexeUniteLegale",
    "prenom1UniteLegale",
    "prenom2UniteLegale",
    "prenom3UniteLegale",
    "prenom4UniteLegale",
    "prenomUsuelUniteLegale",
    "pseudonymeUniteLegale",
    "identifiantAssociationUniteLegale",
    "trancheEffectifsUniteLegale",
    "anneeEffectifsUniteLegale",
    "dateDernierTraitementUniteLegale",
    "nombrePeriodesUniteLegale",
    "categorieEntreprise",
    "anneeCategorieEntreprise",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "nomUniteLegale",
    "nomUsageUniteLegale",
    "denominationUniteLegale",
    "denominationUsuelle1UniteLegale",
    "denominationUsuelle2UniteLegale",
    "denominationUsuelle3UniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "societeMissionUniteLegale",
    "caractereEmployeurUniteLegale",
    "activitePrincipaleNAF25UniteLegale",
)

ETABLISSEMENT_COLUMNS: tuple[str, ...] = (
    "siren",
    "nic",
    "siret",
    "statutDiffusionEtablissement",
    "dateCreationEtablissement",
    "trancheEffectifsEtablissement",
    "anneeEffectifsEtablissement",
    "activitePrincipaleRegistreMetiersEtablissement",
    "dateDernierTraitementEtablissement",
    "etablissementSiege",
    "nombrePeriodesEtablissement",
    "complementAdresseEtablissement",
    "numeroVoieEtablissement",
    "indiceRepetitionEtablissement",
    "dernierNumeroVoieEtablissement",
    "indiceRepetitionDernierNumeroVoieEtablissement",
    "typeVoieEtablissement",
    "libelleVoieEtablissement",
    "codePostalEtablissement",
    "libelleCommuneEtablissement",
    "libelleCommuneEtrangerEtablissement",
    "distributionSpecialeEtablissement",
    "codeCommuneEtablissement",
    "codeCedexEtablissement",
    "libelleCedexEtablissement",
    "codePaysEtrangerEtablissement",
    "libellePaysEtrangerEtablissement",
    "identifiantAdresseEtablissement",
    "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement",
    "complementAdresse2Etablissement",
    "numeroVoie2Etablissement",
    "indiceRepetition2Etablissement",
    "typeVoie2Etablissement",
    "libelleVoie2Etablissement",
    "codePostal2Etablissement",
    "libelleCommune2Etablissement",
    "libelleCommuneEtranger2Etablissement",
    "distributionSpeciale2Etablissement",
    "codeCommune2Etablissement",
    "codeCedex2Etablissement",
    "libelleCedex2Etablissement",
    "codePaysEtranger2Etablissement",
    "libellePaysEtranger2Etablissement",
    "dateDebut",
    "etatAdministratifEtablissement",
    "enseigne1Etablissement",
    "enseigne2Etablissement",
    "enseigne3Etablissement",
    "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
    "activitePrincipaleNAF25Etablissement",
)

LIENS_SUCCESSION_COLUMNS: tuple[str, ...] = (
    "siretEtablissementPredecesseur",
    "siretEtablissementSuccesseur",
    "dateLienSuccession",
    "transfertSiege",
    "continuiteEconomique",
    "dateDernierTraitementLienSuccession",
)

UNITE_LEGALE_FILE = "StockUniteLegale_utf8"
ETABLISSEMENT_FILE = "StockEtablissement_utf8"
LIENS_SUCCESSION_FILE = "StockEtablissementLiensSuccession_utf8"

# The stock is an image of the last day of a month; every drawn date falls on or before it.
STOCK_DATE = date(2026, 11, 30)
CHUNK_ROWS = 50_000
# Sirens are drawn from 10^8 bodies; at ~1.45 établissements per unité this bound keeps clear.
MAX_ETABLISSEMENTS = 100_000_000
COMMUNES_SEED = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "communes.csv"

NON_DIFFUSIBLE = "[ND]"
_ZIP_DATE_TIME = (2026, 12, 1, 0, 0, 0)
_ZIP_LEVEL = 1  # deflate level: the fastest, as the format does not depend on it
_PLANTED_TRAITEMENT = "2026-11-02T08:15:00"


def _planted(**values: object) -> dict[str, object]:
    """One planted établissement with its unité légale; keys not given are None (empty)."""
    keys = (
        "siret",
        "siren",
        "nic",
        "statut_diffusion",
        "etablissement_siege",
        "etat_administratif",
        "date_creation",
        "date_debut",
        "date_fermeture",
        "etat_administratif_unite_legale",
        "categorie_juridique",
        "denomination",
        "nom",
        "prenom",
        "sexe",
        "code_naf",
        "nomenclature_naf",
        "tranche_effectifs",
        "annee_effectifs",
        "categorie_entreprise",
        "enseigne",
        "numero_voie",
        "type_voie",
        "libelle_voie",
        "code_postal",
        "libelle_commune",
        "code_commune",
        "code_pays_etranger",
        "libelle_pays_etranger",
        "libelle_commune_etranger",
        "siret_successeur",
        "siret_predecesseur",
        "date_lien_succession",
        "transfert_siege",
        "continuite_economique",
    )
    unknown = set(values) - set(keys)
    if unknown:
        raise ValueError(f"unknown planted keys: {sorted(unknown)}")
    record: dict[str, object] = dict.fromkeys(keys)
    record.update(
        statut_diffusion="O",
        etablissement_siege=True,
        etat_administratif="A",
        etat_administratif_unite_legale="A",
        nomenclature_naf="NAFRev2",
    )
    record.update(values)
    return record


# Fixed records, written first in every sample, one per établissement with its unité légale's
# values. Keys use the fiche's names; dates are `date`, booleans `bool`, None an empty field.
# Sirets are Luhn-valid; 55208131766522 was chosen by the team for the Paris head office (it is
# a real siret: every other value here is invented).
PLANTED: dict[str, dict[str, object]] = {
    "siege_actif": _planted(
        siret="55208131766522",
        siren="552081317",
        nic="66522",
        date_creation=date(2004, 3, 15),
        date_debut=date(2015, 9, 1),
        categorie_juridique="5710",
        denomination="NUMERIQUE CONSEIL PARIS",
        code_naf="62.01Z",
        tranche_effectifs="12",
        annee_effectifs="2024",
        categorie_entreprise="PME",
        enseigne="NCP STUDIO",
        numero_voie="12",
        type_voie="RUE",
        libelle_voie="DE LA CHAUSSEE D'ANTIN",
        code_postal="75009",
        libelle_commune="PARIS 9",
        code_commune="75109",
    ),
    "personne_physique_nd": _planted(
        siret="84123456000016",
        siren="841234560",
        nic="00016",
        statut_diffusion="P",
        date_creation=date(2018, 6, 4),
        date_debut=date(2018, 6, 4),
        categorie_juridique="1000",
        nom=NON_DIFFUSIBLE,
        prenom=NON_DIFFUSIBLE,
        sexe=NON_DIFFUSIBLE,
        code_naf="96.02A",
        tranche_effectifs="NN",
        enseigne=NON_DIFFUSIBLE,
        numero_voie=NON_DIFFUSIBLE,
        type_voie=NON_DIFFUSIBLE,
        libelle_voie=NON_DIFFUSIBLE,
        code_postal="69003",
        libelle_commune="LYON 3",
        code_commune="69383",
    ),
    "ferme_avec_successeur": _planted(
        siret="81234567600017",
        siren="812345676",
        nic="00017",
        etablissement_siege=False,
        etat_administratif="F",
        date_creation=date(2015, 7, 1),
        date_debut=date(2024, 6, 30),
        date_fermeture=date(2024, 6, 30),
        categorie_juridique="5499",
        denomination="TRANSPORTS LOIRE ATLANTIQUE",
        code_naf="49.41A",
        tranche_effectifs="03",
        annee_effectifs="2023",
        categorie_entreprise="PME",
        numero_voie="8",
        type_voie="QUAI",
        libelle_voie="DE LA FOSSE",
        code_postal="44000",
        libelle_commune="NANTES",
        code_commune="44109",
        siret_successeur="81234567600025",
        date_lien_succession=date(2024, 6, 30),
        transfert_siege=True,
        continuite_economique=True,
    ),
    "successeur": _planted(
        siret="81234567600025",
        siren="812345676",
        nic="00025",
        date_creation=date(2024, 7, 1),
        date_debut=date(2024, 7, 1),
        categorie_juridique="5499",
        denomination="TRANSPORTS LOIRE ATLANTIQUE",
        code_naf="49.41A",
        tranche_effectifs="11",
        annee_effectifs="2024",
        categorie_entreprise="PME",
        numero_voie="3",
        type_voie="RUE",
        libelle_voie="DU CHENE VERT",
        code_postal="44800",
        libelle_commune="SAINT-HERBLAIN",
        code_commune="44162",
        siret_predecesseur="81234567600017",
        date_lien_succession=date(2024, 6, 30),
        transfert_siege=True,
        continuite_economique=True,
    ),
    "corse": _planted(
        siret="40912345200016",
        siren="409123452",
        nic="00016",
        date_creation=date(1996, 10, 1),
        date_debut=date(2008, 1, 1),
        categorie_juridique="5499",
        denomination="HOTEL DU GOLFE AJACCIEN",
        code_naf="55.10Z",
        tranche_effectifs="02",
        annee_effectifs="2024",
        categorie_entreprise="PME",
        enseigne="HOTEL DU GOLFE",
        numero_voie="5",
        type_voie="BD",
        libelle_voie="PASCAL ROSSINI",
        code_postal="20000",
        libelle_commune="AJACCIO",
        code_commune="2A004",
    ),
    "outre_mer": _planted(
        siret="38756123600010",
        siren="387561236",
        nic="00010",
        date_creation=date(1992, 4, 20),
        date_debut=date(2008, 1, 1),
        categorie_juridique="5710",
        denomination="BOULANGERIE DU BARACHOIS",
        code_naf="10.71C",
        tranche_effectifs="01",
        annee_effectifs="2024",
        categorie_entreprise="PME",
        enseigne="LE FOURNIL CREOLE",
        numero_voie="27",
        type_voie="RUE",
        libelle_voie="DE PARIS",
        code_postal="97400",
        libelle_commune="SAINT-DENIS",
        code_commune="97411",
    ),
    "etranger": _planted(
        siret="53123987900012",
        siren="531239879",
        nic="00012",
        date_creation=date(2011, 2, 14),
        date_debut=date(2011, 2, 14),
        categorie_juridique="3120",
        denomination="BRUSSELS TRADING COMPANY",
        code_naf="46.90Z",
        tranche_effectifs="NN",
        categorie_entreprise="PME",
        numero_voie="40",
        type_voie="AV",
        libelle_voie="LOUISE",
        code_pays_etranger="99131",
        libelle_pays_etranger="BELGIQUE",
        libelle_commune_etranger="BRUXELLES",
    ),
    "virgule_echappee": _planted(
        siret="79345612000013",
        siren="793456120",
        nic="00013",
        date_creation=date(2013, 5, 2),
        date_debut=date(2013, 5, 2),
        categorie_juridique="5499",
        denomination="LA CRIEE DU VIEUX PORT",
        code_naf="56.10A",
        tranche_effectifs="03",
        annee_effectifs="2024",
        categorie_entreprise="PME",
        enseigne="CHEZ PAUL\\, BAR A HUITRES",
        numero_voie="14",
        type_voie="QUAI",
        libelle_voie="DU PORT\\, QUAI NORD",
        code_postal="13002",
        libelle_commune="MARSEILLE 2",
        code_commune="13202",
    ),
    "siren_zeros": _planted(
        siret="00312345200017",
        siren="003123452",
        nic="00017",
        date_creation=date(1985, 9, 12),
        date_debut=date(2008, 1, 1),
        categorie_juridique="9220",
        denomination="ASSOCIATION DES AMIS DU VIEUX LYON",
        code_naf="94.99Z",
        tranche_effectifs="00",
        annee_effectifs="2024",
        categorie_entreprise="PME",
        numero_voie="2",
        type_voie="PL",
        libelle_voie="DES TERREAUX",
        code_postal="69001",
        libelle_commune="LYON 1",
        code_commune="69381",
    ),
    "ul_cessee": _planted(
        siret="49812345400015",
        siren="498123454",
        nic="00015",
        etat_administratif="F",
        date_creation=date(2007, 5, 10),
        date_debut=date(2019, 12, 31),
        date_fermeture=date(2019, 12, 31),
        etat_administratif_unite_legale="C",
        categorie_juridique="5499",
        denomination="GARONNE RESTAURATION",
        code_naf="56.10A",
        numero_voie="21",
        type_voie="RUE",
        libelle_voie="DES FILATIERS",
        code_postal="31000",
        libelle_commune="TOULOUSE",
        code_commune="31555",
    ),
    "ul_cessee_secondaire": _planted(
        siret="49812345400023",
        siren="498123454",
        nic="00023",
        etablissement_siege=False,
        etat_administratif="F",
        date_creation=date(2012, 3, 1),
        date_debut=date(2018, 9, 30),
        date_fermeture=date(2018, 9, 30),
        etat_administratif_unite_legale="C",
        categorie_juridique="5499",
        denomination="GARONNE RESTAURATION",
        code_naf="56.10C",
        enseigne="GARONNE SNACK",
        numero_voie="102",
        type_voie="AV",
        libelle_voie="DE GRANDE BRETAGNE",
        code_postal="31300",
        libelle_commune="TOULOUSE",
        code_commune="31555",
    ),
}

# Reference lists. Weights are rough shares, not measured ones. Catégories juridiques are
# codes of the INSEE list in dbt_project/seeds (which has no 5498 nor 5720).
# fmt: off
_CATEGORIES_JURIDIQUES = (
    ("1000", 38.0), ("5499", 19.0), ("5710", 21.0), ("6540", 9.0), ("9220", 7.0),
    ("5485", 1.5), ("5599", 1.2), ("5202", 1.0), ("5306", 0.5), ("7210", 0.3),
)
_GROUPE = {"1000": "pp", "9220": "asso", "7210": "pub", "6540": "sci"}
_NAF_POOLS: dict[str, tuple[str, ...]] = {
    "pp": (
        "01.11Z", "01.21Z", "10.71C", "43.21A", "43.22A", "43.32A", "43.34Z", "45.20A", "47.11B",
        "47.71Z", "47.91B", "49.32Z", "56.10A", "56.10C", "62.01Z", "68.20A", "70.22Z", "74.10Z",
        "81.21Z", "85.59A", "86.21Z", "86.90D", "90.01Z", "96.02A", "96.09Z",
    ),
    "soc": (
        "10.13A", "10.71C", "25.62B", "41.20A", "43.21A", "43.22A", "45.20A", "46.90Z", "47.11B",
        "47.11D", "47.11F", "47.73Z", "49.41A", "52.29A", "55.10Z", "56.10A", "56.10C", "56.30Z",
        "62.01Z", "62.02A", "64.20Z", "66.22Z", "68.20B", "68.31Z", "69.10Z", "69.20Z", "70.10Z",
        "70.22Z", "71.12B", "73.11Z", "81.21Z", "86.21Z",
    ),
    "sci": ("68.20A", "68.20B"),
    "asso": ("94.99Z", "85.59A", "93.12Z", "88.10A", "90.01Z", "85.20Z"),
    "pub": ("84.11Z",),
}
_NAF_REV1 = ("74.1A", "52.1D", "55.3A", "45.2B", "70.2A", "60.2M", "52.4C", "93.0D")
# Closed before this day: the current period is coded in NAF rév. 1.
_NAF_REV1_UNTIL = date(2008, 1, 1)
_NAF25 = {
    "62.01Z": "62.10Y", "62.02A": "62.20Y", "70.22Z": "70.20Y", "43.21A": "43.21A",
    "86.21Z": "86.21Y", "10.71C": "10.71C", "49.41A": "49.41A", "68.20A": "68.20A",
    "68.20B": "68.20B", "85.59A": "85.59A", "94.99Z": "94.99Y", "84.11Z": "84.11Y",
    "96.02A": "96.21A", "56.30Z": "56.30Y", "69.10Z": "69.10Y", "69.20Z": "69.20Y",
    "64.20Z": "64.21Y", "55.10Z": "55.10Y", "47.73Z": "47.73Y", "81.21Z": "81.21Y",
}
_TRANCHES_SOCIETE = (
    (None, 18.0), ("NN", 22.0), ("00", 14.0), ("01", 14.0), ("02", 10.0), ("03", 8.0), ("11", 6.0),
    ("12", 4.0), ("21", 1.5), ("22", 0.8), ("31", 0.3), ("32", 0.3), ("41", 0.15), ("42", 0.07),
    ("51", 0.04), ("52", 0.02), ("53", 0.01),
)
_TRANCHES_PERSONNE = ((None, 30.0), ("NN", 55.0), ("00", 7.0), ("01", 6.0), ("02", 2.0))
_ANNEES_EFFECTIFS = (("2024", 7.0), ("2023", 2.0), ("2022", 1.0))
_ETABLISSEMENTS_PAR_UL = ((1, 75.0), (2, 14.0), (3, 6.0), (4, 2.5), (5, 1.5), (7, 1.0))

_NOMS = (
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU",
    "LAURENT", "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL",
    "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT",
    "MULLER", "FAURE", "ANDRE", "MERCIER", "BLANC", "GUERIN", "BOYER", "GARNIER", "CHEVALIER",
    "LEGRAND", "GAUTHIER", "GARCIA", "PERRIN", "ROBIN", "CLEMENT", "MORIN", "NICOLAS", "HENRY",
    "MASSON", "NGUYEN", "DIALLO", "DA SILVA", "HOARAU", "PAYET", "LUCIANI", "SANTONI", "LE GALL",
)
_PRENOMS_M = (
    "JEAN", "PIERRE", "MICHEL", "PHILIPPE", "NICOLAS", "JULIEN", "THOMAS", "KARIM", "LUCAS",
    "ANTOINE", "DAVID", "FRANCOIS", "MEHDI", "HUGO", "YANNICK", "PASCAL", "ERIC", "LOUIS",
)
_PRENOMS_F = (
    "MARIE", "NATHALIE", "ISABELLE", "SOPHIE", "CAMILLE", "JULIE", "SANDRINE", "LEA", "EMMA",
    "CHRISTINE", "AMINA", "CELINE", "ANNE", "MANON", "CHLOE", "FATIMA", "LAURA", "CLAIRE",
)
_DENOMINATION_DEBUT = (
    "TRANSPORTS", "BOULANGERIE", "GARAGE", "CABINET", "SOCIETE", "ETABLISSEMENTS", "HOLDING",
    "IMMOBILIERE", "CONSEIL", "BATIMENT", "RESTAURANT", "ATELIER", "PHARMACIE", "AMBULANCES",
    "ELECTRICITE", "MENUISERIE", "GROUPE", "INFORMATIQUE", "DISTRIBUTION", "SERVICES",
)
_DENOMINATION_FIN = (
    "DU LAC", "DES ALPES", "DE LA GARE", "DU MOULIN", "DU CENTRE", "DE L'OUEST", "MEDITERRANEE",
    "ATLANTIQUE", "DU VAL", "DES PINS", "DU PORT", "DES COLLINES", "DU NORD", "DE PROVENCE",
)
_ASSOCIATION_DEBUT = (
    "ASSOCIATION SPORTIVE", "COMITE DES FETES", "ASSOCIATION CULTURELLE", "AMICALE",
    "ASSOCIATION DES PARENTS D'ELEVES", "CLUB DE RANDONNEE", "ASSOCIATION D'AIDE A DOMICILE",
)
_ENSEIGNES = (
    "LE PETIT CAFE", "AU BON PAIN", "L'ATELIER", "LA BELLE EPOQUE", "LES DELICES", "LE RELAIS",
    "O SALON", "LA TABLE D'HOTES", "CENTRE AUTO", "PHARMACIE DU MARCHE", "LE COMPTOIR", "L'ESCALE",
    "BIO ET SENS", "LE FOURNIL", "TAXI EXPRESS", "AUX QUATRE SAISONS",
)
_TYPES_VOIE = (
    ("RUE", 55.0), ("AV", 15.0), ("BD", 6.0), ("CHE", 8.0), ("PL", 4.0), ("IMP", 4.0), ("ALL", 4.0),
    ("RTE", 4.0),
)
_LIBELLES_VOIE = (
    "DE LA REPUBLIQUE", "VICTOR HUGO", "JEAN JAURES", "DU GENERAL DE GAULLE", "DE LA GARE",
    "PASTEUR", "DES ECOLES", "DU MOULIN", "DE L'EGLISE", "NATIONALE", "DES LILAS", "GAMBETTA",
    "DU MARECHAL FOCH", "DE PARIS", "DU STADE", "DES CHAMPS", "DU PORT", "DE LA LIBERATION",
    "DES TILLEULS", "DE BRETAGNE", "DU COMMERCE", "DES VIGNES", "DU CHATEAU", "DES ARTISANS",
)
_SUITES_VIRGULE = ("QUAI NORD", "BATIMENT A", "ZONE ARTISANALE", "LOT 3", "ENTREE B")
_COMPLEMENTS = (
    "BATIMENT B", "ZI DES ESSARTS", "RESIDENCE LES PINS", "ZA DU MOULIN", "CENTRE COMMERCIAL",
    "2EME ETAGE", "LIEU DIT LA FONTAINE",
)
_PAYS = (
    ("99131", "BELGIQUE", "BRUXELLES"), ("99109", "ALLEMAGNE", "FRANCFORT"),
    ("99134", "ESPAGNE", "MADRID"), ("99127", "ITALIE", "MILAN"), ("99140", "SUISSE", "GENEVE"),
    ("99137", "LUXEMBOURG", "LUXEMBOURG"), ("99132", "ROYAUME-UNI", "LONDRES"),
    ("99404", "ETATS-UNIS", "NEW YORK"), ("99350", "MAROC", "CASABLANCA"),
)
# Bounding boxes (x min, x max, y min, y max) in each territory's projection.
_LAMBERT_BOXES = {
    "971": (640_000, 700_000, 1_760_000, 1_830_000),
    "972": (690_000, 740_000, 1_590_000, 1_650_000),
    "973": (150_000, 400_000, 250_000, 600_000),
    "974": (315_000, 380_000, 7_635_000, 7_690_000),
    "976": (505_000, 530_000, 8_565_000, 8_600_000),
    "": (120_000, 1_240_000, 6_060_000, 7_100_000),
}

_COMMUNES_PAR_ARRONDISSEMENT = ("75056", "69123", "13055")
_PART_ARRONDISSEMENTS = 0.08  # roughly their share of French établissements
_SIREN_STRIDE = 61_803_397  # coprime with 10^8: ordinal -> 8-digit body is a permutation
_MASKED_UL = (
    "sexeUniteLegale", "prenom1UniteLegale", "prenom2UniteLegale", "prenom3UniteLegale",
    "prenom4UniteLegale", "prenomUsuelUniteLegale", "pseudonymeUniteLegale", "nomUniteLegale",
    "nomUsageUniteLegale",
)
_MASKED_ETABLISSEMENT = (
    "enseigne1Etablissement", "enseigne2Etablissement", "enseigne3Etablissement",
    "denominationUsuelleEtablissement", "complementAdresseEtablissement", "numeroVoieEtablissement",
    "indiceRepetitionEtablissement", "dernierNumeroVoieEtablissement",
    "indiceRepetitionDernierNumeroVoieEtablissement", "typeVoieEtablissement",
    "libelleVoieEtablissement", "identifiantAdresseEtablissement",
    "coordonneeLambertAbscisseEtablissement", "coordonneeLambertOrdonneeEtablissement",
)
# fmt: on


def luhn_is_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check that siren and siret carry."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _luhn_sum(value: pl.Expr, digits: int) -> pl.Expr:
    """Luhn sum of the `digits` last digits of an integer, doubling the rightmost one.

    That is the weighting of a body whose key is still to be appended on its right.
    """
    total = pl.lit(0, dtype=pl.Int64)
    for position in range(digits):
        digit = (value // 10**position) % 10
        if position % 2 == 0:
            digit = digit * 2 - (digit >= 5).cast(pl.Int64) * 9
        total = total + digit
    return total


def _luhn_key(total: pl.Expr) -> pl.Expr:
    """The digit that brings a Luhn sum to a multiple of ten."""
    return (10 - total % 10) % 10


def _nic(siren_sum: pl.Expr, ordre: pl.Expr) -> pl.Expr:
    """The nic of the `ordre`-th établissement (from 0): a 4-digit sequence and the siret key.

    In the 13-digit siret body the siren's last digit sits at an even distance from the key, so
    the siren's share of the sum is its own Luhn sum (`siren_sum`), computed once per unité.
    """
    sequence = ordre + 1
    return sequence * 10 + _luhn_key(siren_sum + _luhn_sum(sequence, 4))


class _Draws:
    """Uniform random draws as polars expressions, one value per row of the frame they run on.

    Each draw takes a 64-bit key from Python's seeded Mersenne Twister and hashes the row number
    with it (multiply, xor-shift, multiply, in wrapping unsigned arithmetic), so the whole draw
    runs inside polars and a seed gives the same values on every machine.
    """

    _MIX1 = 0xBF58476D1CE4E5B9
    _MIX2 = 0x94D049BB133111EB

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def raw(self) -> pl.Expr:
        """Integers uniform in [0, 2^32)."""

        def u64(value: int) -> pl.Expr:
            return pl.lit(value, dtype=pl.UInt64)

        key = u64(self.rng.getrandbits(64))
        z = (pl.int_range(0, pl.len(), dtype=pl.UInt64) + key) * u64(self._MIX1)
        z = z.xor(z // u64(2**29)) * u64(self._MIX2)
        return (z // u64(2**32)).cast(pl.Int64)

    def below(self, high: int) -> pl.Expr:
        """Integers in [0, high); the modulo bias is negligible for the small bounds used."""
        return self.raw() % high

    def unit(self) -> pl.Expr:
        """Floats in [0, 1)."""
        return self.raw() / 2**32

    def flag(self, probability: float) -> pl.Expr:
        """Booleans, true with the given probability."""
        return self.raw() < int(probability * 2**32)

    def pick(self, values: Sequence[object], weights: Sequence[float] | None = None) -> pl.Expr:
        """Values drawn from a list, uniformly or with weights; None draws a null."""
        choices = pl.lit(pl.Series(list(values)))
        if weights is None:
            return choices.gather(self.below(len(values)))
        total = sum(weights)
        bounds, running = [], 0.0
        for weight in weights[:-1]:
            running += weight
            bounds.append(int(running / total * 2**32))
        index = pl.lit(pl.Series(bounds, dtype=pl.Int64)).search_sorted(self.raw(), side="right")
        return choices.gather(index)

    def pick_weighted(self, pairs: Sequence[tuple[object, float]]) -> pl.Expr:
        """Values drawn from (value, weight) pairs."""
        return self.pick([value for value, _ in pairs], [weight for _, weight in pairs])


def load_communes(path: Path = COMMUNES_SEED) -> pl.DataFrame:
    """Communes where SIRENE places établissements, with their names as INSEE writes them.

    Keeps current communes and municipal arrondissements, minus Paris, Lyon and Marseille as a
    whole (SIRENE codes them by arrondissement). Names are upper case without accents, and
    `Paris 9e Arrondissement` becomes `PARIS 9`. Returns code_commune, libelle_commune,
    territoire (the overseas département, or empty, to pick a projection), is_arrondissement and
    codes_postaux (a list).
    """
    if not path.exists():
        raise FileNotFoundError(f"communes seed not found: {path} (needed to draw addresses)")
    communes = pl.read_csv(path, infer_schema=False).filter(
        pl.col("type_commune").is_in(["commune-actuelle", "arrondissement-municipal"])
        & ~pl.col("code_commune").is_in(_COMMUNES_PAR_ARRONDISSEMENT)
        & pl.col("codes_postaux").is_not_null()
    )
    if communes.is_empty():
        raise ValueError(f"no commune-actuelle nor arrondissement-municipal in {path}")
    libelle = (
        pl.col("libelle_commune")
        .str.replace(r"(?i)^(.*?) (\d+)(?:er|e|ème)? arrondissement$", "${1} ${2}")
        .str.replace_all("œ", "oe")
        .str.replace_all("Œ", "OE")
        .str.replace_all("æ", "ae")
        .str.replace_all("Æ", "AE")
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.to_uppercase()
    )
    return communes.sort("code_commune").select(
        "code_commune",
        libelle,
        pl.when(pl.col("code_commune").str.starts_with("97"))
        .then(pl.col("code_commune").str.slice(0, 3))
        .otherwise(pl.lit(""))
        .alias("territoire"),
        (pl.col("type_commune") == "arrondissement-municipal").alias("is_arrondissement"),
        pl.col("codes_postaux").str.split(" "),
    )


def _iso_date(days: pl.Expr) -> pl.Expr:
    """Days since 1970-01-01 as `YYYY-MM-DD`."""
    return days.cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d")


def _iso_datetime(seconds: pl.Expr) -> pl.Expr:
    """Seconds since 1970-01-01 as `YYYY-MM-DDTHH:MM:SS`."""
    return (seconds * 1000).cast(pl.Datetime("ms")).dt.strftime("%Y-%m-%dT%H:%M:%S")


def _days(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def _bool_text(flag: pl.Expr) -> pl.Expr:
    return pl.when(flag).then(pl.lit("true")).otherwise(pl.lit("false"))


def _unites_legales(
    rng: random.Random, first_ordinal: int, offset: int, target: int, skip: set[int]
) -> tuple[pl.DataFrame, int]:
    """Draw unités légales carrying at most `target` établissements in all.

    Returns the frame (INSEE columns plus helper columns prefixed `_`) and the next ordinal.
    """
    wanted = max(1, math.ceil(target / 1.45))
    d = _Draws(rng)
    frame = (
        pl.DataFrame(
            {
                "_ordinal": pl.int_range(first_ordinal, first_ordinal + wanted, eager=True),
            }
        )
        .with_columns(_k=d.pick_weighted(_ETABLISSEMENTS_PAR_UL).cast(pl.Int64))
        .with_columns(_body=(pl.col("_ordinal") * _SIREN_STRIDE + offset) % 10**8)
        .with_columns(_siren_int=pl.col("_body") * 10 + _luhn_key(_luhn_sum(pl.col("_body"), 8)))
        .filter(~pl.col("_siren_int").is_in(list(skip)))
        .with_columns(_siren_sum=_luhn_sum(pl.col("_siren_int"), 9))
    )
    # Keep the unités whose first établissement fits, and cut the last one to land on target.
    frame = (
        frame.with_columns(_avant=pl.col("_k").cum_sum() - pl.col("_k"))
        .filter(pl.col("_avant") < target)
        .with_columns(_k=pl.min_horizontal("_k", pl.lit(target) - pl.col("_avant")))
    )
    stock = _days(STOCK_DATE)
    start = _days(date(1950, 1, 1))
    categorie = d.pick_weighted(_CATEGORIES_JURIDIQUES)
    frame = frame.with_columns(
        categorieJuridiqueUniteLegale=categorie,
        _groupe=categorie.replace_strict(_GROUPE, default="soc"),
        _cessee=d.flag(0.17),
        _u_creation=d.unit(),
        _u_debut=d.unit(),
        _u_periodes=d.below(6),
        _u_traitement=d.unit(),
        _siege=pl.when(d.flag(0.8)).then(0).otherwise(d.below(2**31)),
        _sexe_f=d.flag(0.45),
        _diffusion_p=d.flag(0.085),
        _nom=d.pick(_NOMS),
        _nom_usage=pl.when(d.flag(0.1)).then(d.pick(_NOMS)),
        _prenom_m=d.pick(_PRENOMS_M),
        _prenom_f=d.pick(_PRENOMS_F),
        _prenom2=pl.when(d.flag(0.5)).then(d.pick(_PRENOMS_M + _PRENOMS_F)),
        _prenom3=pl.when(d.flag(0.2)).then(d.pick(_PRENOMS_M + _PRENOMS_F)),
        _prenom4=pl.when(d.flag(0.05)).then(d.pick(_PRENOMS_M + _PRENOMS_F)),
        _pseudonyme=pl.when(d.flag(0.005)).then(d.pick(_ENSEIGNES)),
        _denom_debut=d.pick(_DENOMINATION_DEBUT),
        _denom_fin=pl.when(d.flag(0.5)).then(d.pick(_NOMS)).otherwise(d.pick(_DENOMINATION_FIN)),
        _association=d.pick(_ASSOCIATION_DEBUT),
        _sigle=pl.when(d.flag(0.06)).then(
            pl.concat_str([d.pick(list("ABCDEFGHIJKLMNOPRSTV")) for _ in range(3)])
        ),
        _usuelle=pl.when(d.flag(0.03)).then(d.pick(_ENSEIGNES)),
        _rna=pl.when(d.flag(0.8)).then(pl.lit("W") + (d.below(10**9)).cast(pl.String).str.zfill(9)),
        _naf_index=d.below(10**6),
        _naf_rev1=d.pick(_NAF_REV1),
        _naf25=d.flag(0.35),
        _tranche_soc=d.pick_weighted(_TRANCHES_SOCIETE),
        _tranche_pp=d.pick_weighted(_TRANCHES_PERSONNE),
        _annee_effectifs=d.pick_weighted(_ANNEES_EFFECTIFS),
        _mission=d.flag(0.004),
        _purgee=d.flag(0.5),
        _commune=d.raw(),
        _commune_boost=d.flag(_PART_ARRONDISSEMENTS),
    )
    physique = pl.col("_groupe") == "pp"
    masque = physique & pl.col("_diffusion_p")
    cessee = pl.col("_cessee")
    creation = pl.lit(start) + ((stock - start) * pl.col("_u_creation").sqrt()).cast(pl.Int64)
    frame = frame.with_columns(
        _creation=creation,
        _siege=pl.col("_siege") % pl.col("_k"),
        _periodes=pl.when(cessee)
        .then(pl.col("_u_periodes") + 2)
        .when(pl.col("_u_periodes") < 2)
        .then(1)
        .otherwise(pl.col("_u_periodes")),
        siren=pl.col("_siren_int").cast(pl.String).str.zfill(9),
        nicSiegeUniteLegale=_nic(pl.col("_siren_sum"), pl.col("_siege") % pl.col("_k"))
        .cast(pl.String)
        .str.zfill(5),
        statutDiffusionUniteLegale=pl.when(masque).then(pl.lit("P")).otherwise(pl.lit("O")),
        etatAdministratifUniteLegale=pl.when(cessee).then(pl.lit("C")).otherwise(pl.lit("A")),
    ).with_columns(
        _debut=pl.when(pl.col("_periodes") == 1)
        .then(pl.col("_creation"))
        .otherwise(
            pl.col("_creation")
            + ((stock - pl.col("_creation")) * pl.col("_u_debut")).cast(pl.Int64)
        ),
    )
    ancienne = cessee & (pl.col("_debut") < _days(_NAF_REV1_UNTIL))
    naf = pl.when(ancienne).then(pl.col("_naf_rev1"))
    for groupe, codes in _NAF_POOLS.items():
        picked = pl.lit(pl.Series(codes)).gather(pl.col("_naf_index") % len(codes))
        naf = naf.when(pl.col("_groupe") == groupe).then(picked)
    tranche = pl.when(physique).then(pl.col("_tranche_pp")).otherwise(pl.col("_tranche_soc"))
    # A cessée unité keeps NN or nothing: INSEE no longer measures its staff.
    tranche = (
        pl.when(cessee)
        .then(pl.when(pl.col("_tranche_pp") == "NN").then(pl.lit("NN")))
        .otherwise(tranche)
    )
    prenom = pl.when(pl.col("_sexe_f")).then(pl.col("_prenom_f")).otherwise(pl.col("_prenom_m"))
    employeur = tranche.is_in(["NN", "00"]).not_() & tranche.is_not_null()

    def personne(value: pl.Expr) -> pl.Expr:
        return pl.when(masque).then(pl.lit(NON_DIFFUSIBLE)).when(physique).then(value)

    denomination = (
        pl.when(pl.col("_groupe") == "asso")
        .then(pl.concat_str([pl.col("_association"), pl.col("_nom")], separator=" "))
        .when(pl.col("_groupe") == "pub")
        .then(pl.lit("COMMUNE DE ") + pl.col("_nom"))
        .when(pl.col("_groupe") == "sci")
        .then(pl.lit("SCI ") + pl.col("_nom"))
        .when(~physique)
        .then(pl.concat_str([pl.col("_denom_debut"), pl.col("_denom_fin")], separator=" "))
    )
    traitement_from = pl.max_horizontal(pl.col("_debut"), pl.lit(_days(date(2008, 1, 1))))
    frame = frame.with_columns(
        _naf=naf,
        _tranche=tranche,
        _employeur=employeur,
        _traitement=traitement_from * 86_400
        + ((stock - traitement_from) * 86_400 * pl.col("_u_traitement")).cast(pl.Int64),
        sexeUniteLegale=personne(
            pl.when(pl.col("_sexe_f")).then(pl.lit("F")).otherwise(pl.lit("M"))
        ),
        prenom1UniteLegale=personne(prenom),
        prenom2UniteLegale=personne(pl.col("_prenom2")),
        prenom3UniteLegale=personne(pl.col("_prenom3")),
        prenom4UniteLegale=personne(pl.col("_prenom4")),
        prenomUsuelUniteLegale=personne(prenom),
        pseudonymeUniteLegale=personne(pl.col("_pseudonyme")),
        nomUniteLegale=personne(pl.col("_nom")),
        nomUsageUniteLegale=personne(pl.col("_nom_usage")),
        denominationUniteLegale=denomination,
        sigleUniteLegale=pl.when(~physique).then(pl.col("_sigle")),
        denominationUsuelle1UniteLegale=pl.when(~physique).then(pl.col("_usuelle")),
        identifiantAssociationUniteLegale=pl.when(pl.col("_groupe") == "asso").then(pl.col("_rna")),
        unitePurgeeUniteLegale=pl.when(
            cessee & (pl.col("_debut") < _days(date(2002, 1, 1))) & pl.col("_purgee")
        ).then(pl.lit("true")),
    )
    frame = frame.with_columns(
        dateCreationUniteLegale=_iso_date(pl.col("_creation")),
        dateDebut=_iso_date(pl.col("_debut")),
        dateDernierTraitementUniteLegale=_iso_datetime(pl.col("_traitement")),
        nombrePeriodesUniteLegale=pl.col("_periodes").cast(pl.String),
        trancheEffectifsUniteLegale=pl.col("_tranche"),
        anneeEffectifsUniteLegale=pl.when(
            pl.col("_tranche").is_not_null() & (pl.col("_tranche") != "NN")
        ).then(pl.col("_annee_effectifs")),
        categorieEntreprise=pl.when(~cessee).then(
            pl.when(pl.col("_tranche").is_in(["51", "52", "53"]))
            .then(pl.lit("GE"))
            .when(pl.col("_tranche").is_in(["32", "41", "42"]))
            .then(pl.lit("ETI"))
            .otherwise(pl.lit("PME"))
        ),
        anneeCategorieEntreprise=pl.when(~cessee).then(pl.lit("2023")),
        activitePrincipaleUniteLegale=pl.col("_naf"),
        nomenclatureActivitePrincipaleUniteLegale=pl.when(ancienne)
        .then(pl.lit("NAFRev1"))
        .otherwise(pl.lit("NAFRev2")),
        economieSocialeSolidaireUniteLegale=pl.when(pl.col("_groupe") == "asso")
        .then(pl.lit("O"))
        .otherwise(pl.lit("N")),
        societeMissionUniteLegale=pl.when(~physique & (pl.col("_groupe") == "soc")).then(
            pl.when(pl.col("_mission") & ~cessee).then(pl.lit("O")).otherwise(pl.lit("N"))
        ),
        caractereEmployeurUniteLegale=pl.when(cessee)
        .then(pl.lit("N"))
        .when(pl.col("_employeur"))
        .then(pl.lit("O"))
        .otherwise(pl.lit("N")),
        activitePrincipaleNAF25UniteLegale=pl.when(pl.col("_naf25") & ~ancienne).then(
            pl.col("_naf").replace_strict(_NAF25, default=None)
        ),
    )
    next_ordinal = first_ordinal + wanted
    return frame, next_ordinal


def _etablissements(rng: random.Random, ul: pl.DataFrame, communes: pl.DataFrame) -> pl.DataFrame:
    """Explode unités légales into their établissements, with INSEE columns and helpers."""
    frame = ul.select(
        "siren",
        "_siren_int",
        "_siren_sum",
        "_k",
        "_siege",
        "_creation",
        "_debut",
        "_cessee",
        "_naf",
        "_groupe",
        "_tranche",
        "statutDiffusionUniteLegale",
        "nomenclatureActivitePrincipaleUniteLegale",
        "_commune",
        "_commune_boost",
        _ordre=pl.int_ranges(0, pl.col("_k")),
    ).explode("_ordre")
    d = _Draws(rng)
    stock = _days(STOCK_DATE)
    n_communes = communes.height
    # Communes are drawn uniformly except for a share sent to the arrondissements of Paris, Lyon
    # and Marseille, which would hardly show otherwise. The siege and half of the other
    # établissements sit in their unité's commune, drawn once per unité.
    arrondissements = communes.with_row_index("_i").filter(pl.col("is_arrondissement"))["_i"]

    def commune_index(draw: pl.Expr, boost: pl.Expr) -> pl.Expr:
        if arrondissements.is_empty():
            return draw % n_communes
        arrondissement = pl.lit(arrondissements.cast(pl.Int64)).gather(draw % arrondissements.len())
        return pl.when(boost).then(arrondissement).otherwise(draw % n_communes)

    siege = pl.col("_ordre") == pl.col("_siege")
    frame = frame.with_columns(
        _siege_flag=siege,
        _commune_index=pl.when(siege | d.flag(0.5))
        .then(commune_index(pl.col("_commune"), pl.col("_commune_boost")))
        .otherwise(commune_index(d.raw(), d.flag(_PART_ARRONDISSEMENTS))),
        _ferme=pl.col("_cessee") | (~siege & d.flag(0.3)),
        _u_creation=d.unit(),
        _u_fin=d.unit(),
        _u_periodes=d.below(5),
        _u_traitement=d.unit(),
        _etranger=d.flag(0.003),
        _pays=d.below(len(_PAYS)),
        _postal=d.below(1000),
        _numero=pl.when(d.flag(0.8)).then((d.unit().pow(3) * 199).cast(pl.Int64) + 1),
        _indice=pl.when(d.flag(0.03)).then(d.pick(("B", "T", "Q"))),
        _type_voie=d.pick_weighted(_TYPES_VOIE),
        _libelle_voie=d.pick(_LIBELLES_VOIE),
        _virgule_voie=d.flag(0.003),
        _virgule_enseigne=d.flag(0.003),
        _suite=d.pick(_SUITES_VIRGULE),
        _nom_enseigne=d.pick(("BAR", "TABAC", "PRESSE", "SNACK", "TRAITEUR")),
        _complement=pl.when(d.flag(0.08)).then(d.pick(_COMPLEMENTS)),
        _distribution=pl.when(d.flag(0.02)).then(
            pl.lit("BP ") + (d.below(900) + 1).cast(pl.String)
        ),
        _cedex=d.flag(0.005),
        _adresse_ban=d.flag(0.6),
        _code_voie=d.below(10_000),
        _lambert=d.flag(0.85),
        _x=d.unit(),
        _y=d.unit(),
        _enseigne=pl.when(d.flag(0.2)).then(d.pick(_ENSEIGNES)),
        _enseigne2=pl.when(d.flag(0.01)).then(d.pick(_NOMS)),
        _usuelle=pl.when(d.flag(0.03)).then(d.pick(_ENSEIGNES)),
        _autre_naf=d.flag(0.15),
        _naf_index=d.below(10**6),
        _naf25=d.flag(0.35),
        _tranche_tiree=pl.when(pl.col("_groupe") == "pp")
        .then(d.pick_weighted(_TRANCHES_PERSONNE))
        .otherwise(d.pick_weighted(_TRANCHES_SOCIETE)),
        _annee_effectifs=d.pick_weighted(_ANNEES_EFFECTIFS),
    )

    def bound(side: int) -> pl.Expr:
        """One side of the commune's territory's Lambert box."""
        sides = {territoire: box[side] for territoire, box in _LAMBERT_BOXES.items()}
        return pl.col("territoire").replace_strict(sides, default=0, return_dtype=pl.Int64)

    picked = communes.select(
        "code_commune",
        "libelle_commune",
        "codes_postaux",
        _x_min=bound(0),
        _x_max=bound(1),
        _y_min=bound(2),
        _y_max=bound(3),
    )[frame["_commune_index"]]
    frame = pl.concat([frame, picked], how="horizontal")
    etranger = pl.col("_etranger")
    masque = pl.col("statutDiffusionUniteLegale") == "P"
    ferme = pl.col("_ferme")
    creation = (
        pl.when(pl.col("_ordre") == 0)
        .then(pl.col("_creation"))
        .otherwise(
            pl.col("_creation")
            + ((stock - pl.col("_creation")) * pl.col("_u_creation")).cast(pl.Int64)
        )
    )
    # A closed établissement of a cessée unité closes at the latest on the unit's closing date.
    fin_max = pl.when(pl.col("_cessee")).then(pl.col("_debut")).otherwise(stock)
    frame = frame.with_columns(_creation_et=pl.min_horizontal(creation, fin_max))
    debut = (
        pl.when(ferme & pl.col("_cessee") & pl.col("_siege_flag"))
        .then(pl.col("_debut"))
        .when(ferme | (pl.col("_u_periodes") > 1))
        .then(
            pl.col("_creation_et")
            + ((fin_max - pl.col("_creation_et")) * pl.col("_u_fin")).cast(pl.Int64)
        )
        .otherwise(pl.col("_creation_et"))
    )
    frame = frame.with_columns(_debut_et=debut)
    periodes = (
        pl.when(pl.col("_debut_et") == pl.col("_creation_et"))
        .then(1)
        .otherwise(pl.col("_u_periodes").clip(lower_bound=1) + 1)
    )
    numero = pl.col("_numero").cast(pl.String)
    libelle_voie = (
        pl.when(pl.col("_virgule_voie"))
        .then(pl.concat_str([pl.col("_libelle_voie"), pl.col("_suite")], separator="\\, "))
        .otherwise(pl.col("_libelle_voie"))
    )
    enseigne = (
        pl.when(pl.col("_virgule_enseigne") & pl.col("_enseigne").is_not_null())
        .then(pl.concat_str([pl.col("_enseigne"), pl.col("_nom_enseigne")], separator="\\, "))
        .otherwise(pl.col("_enseigne"))
    )

    def decimal(axis: str, unit: pl.Expr) -> pl.Expr:
        """A coordinate in the commune's box, written with one decimal as INSEE does."""
        low, high = pl.col(f"_{axis}_min"), pl.col(f"_{axis}_max")
        tenths = (low * 10 + ((high - low) * 10 * unit)).cast(pl.Int64)
        text = pl.concat_str([tenths // 10, tenths % 10], separator=".")
        return pl.when(pl.col("_lambert") & ~etranger).then(text)

    def adresse(value: pl.Expr) -> pl.Expr:
        return pl.when(masque).then(pl.lit(NON_DIFFUSIBLE)).otherwise(value)

    def france(value: pl.Expr) -> pl.Expr:
        return pl.when(~etranger).then(value)

    code_postal = pl.col("codes_postaux").list.get(
        pl.col("_postal") % pl.col("codes_postaux").list.len()
    )
    pool_naf = pl.lit(None, dtype=pl.String)
    for groupe, codes in _NAF_POOLS.items():
        choice = pl.lit(pl.Series(codes)).gather(pl.col("_naf_index") % len(codes))
        pool_naf = pl.when(pl.col("_groupe") == groupe).then(choice).otherwise(pool_naf)
    naf = (
        pl.when(
            pl.col("_autre_naf")
            & (pl.col("nomenclatureActivitePrincipaleUniteLegale") == "NAFRev2")
        )
        .then(pool_naf)
        .otherwise(pl.col("_naf"))
    )
    tranche = (
        pl.when(pl.col("_siege_flag"))
        .then(pl.col("_tranche"))
        .when(ferme)
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.col("_tranche_tiree"))
    )
    frame = frame.with_columns(_naf_et=naf, _tranche_et=tranche)
    nic = _nic(pl.col("_siren_sum"), pl.col("_ordre")).cast(pl.String).str.zfill(5)
    traitement_from = pl.max_horizontal(pl.col("_debut_et"), pl.lit(_days(date(2008, 1, 1))))
    employeur = pl.col("_tranche_et").is_not_null() & ~pl.col("_tranche_et").is_in(["NN", "00"])
    return frame.with_columns(
        nic=nic,
        _traitement=traitement_from * 86_400
        + ((stock - traitement_from) * 86_400 * pl.col("_u_traitement")).cast(pl.Int64),
    ).with_columns(
        siret=pl.col("siren") + pl.col("nic"),
        statutDiffusionEtablissement=pl.col("statutDiffusionUniteLegale"),
        dateCreationEtablissement=_iso_date(pl.col("_creation_et")),
        trancheEffectifsEtablissement=pl.col("_tranche_et"),
        anneeEffectifsEtablissement=pl.when(
            pl.col("_tranche_et").is_not_null() & (pl.col("_tranche_et") != "NN")
        ).then(pl.col("_annee_effectifs")),
        dateDernierTraitementEtablissement=_iso_datetime(pl.col("_traitement")),
        etablissementSiege=_bool_text(pl.col("_siege_flag")),
        nombrePeriodesEtablissement=periodes.cast(pl.String),
        complementAdresseEtablissement=adresse(pl.col("_complement")),
        numeroVoieEtablissement=adresse(numero),
        indiceRepetitionEtablissement=adresse(pl.when(numero.is_not_null()).then("_indice")),
        dernierNumeroVoieEtablissement=adresse(pl.lit(None, dtype=pl.String)),
        indiceRepetitionDernierNumeroVoieEtablissement=adresse(pl.lit(None, dtype=pl.String)),
        typeVoieEtablissement=adresse(pl.col("_type_voie")),
        libelleVoieEtablissement=adresse(libelle_voie),
        codePostalEtablissement=france(code_postal),
        libelleCommuneEtablissement=france(pl.col("libelle_commune")),
        libelleCommuneEtrangerEtablissement=pl.when(etranger).then(
            pl.col("_pays").replace_strict({i: p[2] for i, p in enumerate(_PAYS)})
        ),
        distributionSpecialeEtablissement=pl.col("_distribution"),
        codeCommuneEtablissement=france(pl.col("code_commune")),
        codeCedexEtablissement=pl.when(pl.col("_cedex")).then(france(code_postal)),
        libelleCedexEtablissement=pl.when(pl.col("_cedex")).then(
            france(pl.col("libelle_commune") + pl.lit(" CEDEX"))
        ),
        codePaysEtrangerEtablissement=pl.when(etranger).then(
            pl.col("_pays").replace_strict({i: p[0] for i, p in enumerate(_PAYS)})
        ),
        libellePaysEtrangerEtablissement=pl.when(etranger).then(
            pl.col("_pays").replace_strict({i: p[1] for i, p in enumerate(_PAYS)})
        ),
        identifiantAdresseEtablissement=adresse(
            pl.when(pl.col("_adresse_ban") & numero.is_not_null() & ~etranger).then(
                pl.concat_str(
                    [
                        pl.col("code_commune"),
                        pl.col("_code_voie").cast(pl.String).str.zfill(4),
                        numero.str.zfill(5),
                    ],
                    separator="_",
                )
            )
        ),
        coordonneeLambertAbscisseEtablissement=adresse(decimal("x", pl.col("_x"))),
        coordonneeLambertOrdonneeEtablissement=adresse(decimal("y", pl.col("_y"))),
        dateDebut=_iso_date(pl.col("_debut_et")),
        etatAdministratifEtablissement=pl.when(ferme).then(pl.lit("F")).otherwise(pl.lit("A")),
        enseigne1Etablissement=adresse(enseigne),
        enseigne2Etablissement=adresse(
            pl.when(pl.col("_enseigne").is_not_null()).then(pl.col("_enseigne2"))
        ),
        enseigne3Etablissement=adresse(pl.lit(None, dtype=pl.String)),
        denominationUsuelleEtablissement=adresse(pl.col("_usuelle")),
        activitePrincipaleEtablissement=pl.col("_naf_et"),
        nomenclatureActivitePrincipaleEtablissement=pl.col(
            "nomenclatureActivitePrincipaleUniteLegale"
        ),
        caractereEmployeurEtablissement=pl.when(ferme)
        .then(pl.lit("N"))
        .when(employeur)
        .then(pl.lit("O"))
        .otherwise(pl.lit("N")),
        activitePrincipaleNAF25Etablissement=pl.when(
            pl.col("_naf25") & (pl.col("nomenclatureActivitePrincipaleUniteLegale") == "NAFRev2")
        ).then(pl.col("_naf_et").replace_strict(_NAF25, default=None)),
    )


def _liens_succession(rng: random.Random, et: pl.DataFrame) -> pl.DataFrame:
    """Successions of closed établissements, as INSEE lists them.

    About one closed établissement in twenty gets a successor: within an active unité its siege
    (sometimes a seat transfer), for a cessée unité the active siege of another unité of the chunk.
    """
    d = _Draws(rng)
    stock_end = _days(STOCK_DATE) * 86_400 + 86_399
    et = et.select("siren", "siret", "_cessee", "_ferme", "_siege_flag", "_debut_et")
    fermes = et.filter(pl.col("_ferme")).with_columns(
        _u_lien=d.unit(),
        _cible=d.raw(),
        _transfert=d.flag(0.3),
        _continuite=d.flag(0.8),
        _delai=d.below(60 * 86_400),
    )
    sieges = et.filter(pl.col("_siege_flag") & ~pl.col("_ferme")).select(
        "siren", _successeur="siret"
    )
    internes = (
        fermes.filter(~pl.col("_cessee") & (pl.col("_u_lien") < 0.08))
        .join(sieges, on="siren", how="inner", maintain_order="left")
        .with_columns(_transfert_siege=pl.col("_transfert"))
    )
    externes = fermes.filter(pl.col("_cessee") & (pl.col("_u_lien") < 0.035))
    if sieges.height:
        externes = externes.with_columns(
            _successeur=sieges["_successeur"].gather(externes["_cible"] % sieges.height),
            _transfert_siege=pl.lit(False),
        )
    else:
        externes = externes.clear().with_columns(
            _successeur=pl.lit(None, dtype=pl.String), _transfert_siege=pl.lit(False)
        )
    columns = ["siret", "_successeur", "_debut_et", "_transfert_siege", "_continuite", "_delai"]
    liens = pl.concat([internes.select(columns), externes.select(columns)]).sort("siret")
    return liens.select(
        siretEtablissementPredecesseur="siret",
        siretEtablissementSuccesseur="_successeur",
        dateLienSuccession=_iso_date(pl.col("_debut_et")),
        transfertSiege=_bool_text(pl.col("_transfert_siege")),
        continuiteEconomique=_bool_text(pl.col("_continuite")),
        dateDernierTraitementLienSuccession=_iso_datetime(
            pl.min_horizontal(pl.col("_debut_et") * 86_400 + pl.col("_delai"), stock_end)
        ),
    )


def _text(value: object) -> str | None:
    """A planted value as INSEE writes it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _planted_frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The rows of the three files for the records of `PLANTED`.

    A unité légale takes its identity from its first record, its activity, effectif and nic from
    its siege, its creation date from its oldest établissement and, when cessée, its closing date
    from its siege.
    """
    unites: dict[str, dict[str, str | None]] = {}
    etablissements: list[dict[str, str | None]] = []
    liens: list[dict[str, str | None]] = []
    for record in PLANTED.values():
        r = {key: _text(value) for key, value in record.items()}
        masque = r["statut_diffusion"] == "P"
        physique = r["categorie_juridique"] == "1000"
        association = r["categorie_juridique"] == "9220"
        employeur = r["tranche_effectifs"] not in (None, "NN", "00")
        ul = unites.setdefault(
            str(r["siren"]),
            {
                "siren": r["siren"],
                "statutDiffusionUniteLegale": r["statut_diffusion"],
                "dateCreationUniteLegale": r["date_creation"],
                "sexeUniteLegale": r["sexe"],
                "prenom1UniteLegale": r["prenom"],
                "prenomUsuelUniteLegale": r["prenom"],
                "etatAdministratifUniteLegale": r["etat_administratif_unite_legale"],
                "nomUniteLegale": r["nom"],
                "denominationUniteLegale": r["denomination"],
                "categorieJuridiqueUniteLegale": r["categorie_juridique"],
                "economieSocialeSolidaireUniteLegale": "O" if association else "N",
                "societeMissionUniteLegale": None if physique or association else "N",
                "identifiantAssociationUniteLegale": "W691001234" if association else None,
                "dateDernierTraitementUniteLegale": _PLANTED_TRAITEMENT,
            },
        )
        if masque and physique:
            ul.update(dict.fromkeys(_MASKED_UL, NON_DIFFUSIBLE))
        if r["date_creation"] and r["date_creation"] < str(ul["dateCreationUniteLegale"]):
            ul["dateCreationUniteLegale"] = r["date_creation"]
        if record["etablissement_siege"]:
            cessee = r["etat_administratif_unite_legale"] == "C"
            ul.update(
                {
                    "nicSiegeUniteLegale": r["nic"],
                    "activitePrincipaleUniteLegale": r["code_naf"],
                    "nomenclatureActivitePrincipaleUniteLegale": r["nomenclature_naf"],
                    "trancheEffectifsUniteLegale": r["tranche_effectifs"],
                    "anneeEffectifsUniteLegale": r["annee_effectifs"],
                    "categorieEntreprise": r["categorie_entreprise"],
                    "anneeCategorieEntreprise": "2023" if r["categorie_entreprise"] else None,
                    "caractereEmployeurUniteLegale": "O" if employeur and not cessee else "N",
                    "nombrePeriodesUniteLegale": "2" if cessee else "1",
                    "dateDebut": r["date_fermeture"] if cessee else None,
                }
            )
        ferme = r["etat_administratif"] == "F"
        et: dict[str, str | None] = {
            "siren": r["siren"],
            "nic": r["nic"],
            "siret": r["siret"],
            "statutDiffusionEtablissement": r["statut_diffusion"],
            "dateCreationEtablissement": r["date_creation"],
            "trancheEffectifsEtablissement": r["tranche_effectifs"],
            "anneeEffectifsEtablissement": r["annee_effectifs"],
            "dateDernierTraitementEtablissement": _PLANTED_TRAITEMENT,
            "etablissementSiege": r["etablissement_siege"],
            "nombrePeriodesEtablissement": "1" if r["date_debut"] == r["date_creation"] else "2",
            "numeroVoieEtablissement": r["numero_voie"],
            "typeVoieEtablissement": r["type_voie"],
            "libelleVoieEtablissement": r["libelle_voie"],
            "codePostalEtablissement": r["code_postal"],
            "libelleCommuneEtablissement": r["libelle_commune"],
            "libelleCommuneEtrangerEtablissement": r["libelle_commune_etranger"],
            "codeCommuneEtablissement": r["code_commune"],
            "codePaysEtrangerEtablissement": r["code_pays_etranger"],
            "libellePaysEtrangerEtablissement": r["libelle_pays_etranger"],
            "dateDebut": r["date_debut"],
            "etatAdministratifEtablissement": r["etat_administratif"],
            "enseigne1Etablissement": r["enseigne"],
            "activitePrincipaleEtablissement": r["code_naf"],
            "nomenclatureActivitePrincipaleEtablissement": r["nomenclature_naf"],
            "caractereEmployeurEtablissement": "O" if employeur and not ferme else "N",
            "activitePrincipaleNAF25Etablissement": _NAF25.get(str(r["code_naf"])),
        }
        if masque:
            et.update(dict.fromkeys(_MASKED_ETABLISSEMENT, NON_DIFFUSIBLE))
        etablissements.append(et)
        if r["siret_successeur"]:
            liens.append(
                {
                    "siretEtablissementPredecesseur": r["siret"],
                    "siretEtablissementSuccesseur": r["siret_successeur"],
                    "dateLienSuccession": r["date_lien_succession"],
                    "transfertSiege": r["transfert_siege"],
                    "continuiteEconomique": r["continuite_economique"],
                    "dateDernierTraitementLienSuccession": _PLANTED_TRAITEMENT,
                }
            )
    for ul in unites.values():
        ul["dateDebut"] = ul["dateDebut"] or ul["dateCreationUniteLegale"]
    return (
        _string_frame(list(unites.values()), UNITE_LEGALE_COLUMNS),
        _string_frame(etablissements, ETABLISSEMENT_COLUMNS),
        _string_frame(liens, LIENS_SUCCESSION_COLUMNS),
    )


def _string_frame(rows: list[dict[str, str | None]], columns: Sequence[str]) -> pl.DataFrame:
    """Rows as a frame of string columns in file order; absent keys become empty values."""
    return pl.DataFrame(
        [[row.get(column) for column in columns] for row in rows],
        schema=dict.fromkeys(columns, pl.String),
        orient="row",
    )


class _ZipCsvWriter:
    """One INSEE zip holding one CSV member, written chunk by chunk.

    The member's timestamp is fixed so that a seed gives byte-identical zips. Serialising and
    compressing run in a background thread (polars and zlib release the GIL) while the next chunk
    is drawn, with at most one chunk waiting. The zip is written under a hidden partial name and
    renamed only once complete, so an interrupted run never leaves a truncated zip under the real
    name.
    """

    def __init__(self, out_dir: Path, stem: str, columns: Sequence[str]) -> None:
        self.path = out_dir / f"{stem}.zip"
        self.partial = out_dir / f".{stem}.zip.partial"
        self.member_name = f"{stem}.csv"
        self.columns = list(columns)
        self.rows = 0
        self._header = True
        self._zip: zipfile.ZipFile | None = None
        self._member: IO[bytes] | None = None
        self._compressor = ThreadPoolExecutor(max_workers=1)
        self._pending: Future[None] | None = None

    def __enter__(self) -> _ZipCsvWriter:
        self._zip = zipfile.ZipFile(
            self.partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL
        )
        info = zipfile.ZipInfo(self.member_name, date_time=_ZIP_DATE_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        # Python 3.11 offers no public way to give a ZipInfo its deflate level.
        info._compresslevel = _ZIP_LEVEL
        info.external_attr = 0o644 << 16
        self._member = self._zip.open(info, "w", force_zip64=True)
        return self

    def write(self, frame: pl.DataFrame) -> None:
        """Append rows (absent columns left empty); the first call also writes the header."""
        present = set(frame.columns)
        table = frame.select(
            pl.col(column).cast(pl.String)
            if column in present
            else pl.lit(None, dtype=pl.String).alias(column)
            for column in self.columns
        )
        header, self._header = self._header, False
        self._wait()
        self._pending = self._compressor.submit(self._append, table, header)
        self.rows += frame.height

    def _append(self, table: pl.DataFrame, header: bool) -> None:
        """Serialise and compress one chunk; runs in the background thread."""
        assert self._member is not None, "use the writer as a context manager"
        buffer = io.BytesIO()
        table.write_csv(
            buffer,
            include_header=header,
            quote_style="necessary",
            null_value="",
            line_terminator="\n",
        )
        self._member.write(buffer.getvalue())

    def _wait(self) -> None:
        """Wait for the chunk being compressed, raising its error if it failed."""
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        failed = exc_type is not None
        try:
            self._wait()
        except BaseException:
            failed = True
            raise
        finally:
            self._compressor.shutdown()
            if self._member is not None:
                self._member.close()
            if self._zip is not None:
                self._zip.close()
            if failed:
                self.partial.unlink(missing_ok=True)
            else:
                os.replace(self.partial, self.path)


def generate_sirene(
    out_dir: Path,
    etablissements: int = 2000,
    seed: int = 42,
    *,
    communes_csv: Path | None = None,
) -> dict[str, Path]:
    """Write the three SIRENE stock zips into `out_dir` and return {file name: path}.

    The établissement file holds `etablissements` rows (at least the planted ones), the planted
    records first; the same seed and size give byte-identical zips. `communes_csv` defaults to the
    dbt seed of communes.
    """
    if not 0 <= etablissements <= MAX_ETABLISSEMENTS:
        raise ValueError(
            f"etablissements must be between 0 and {MAX_ETABLISSEMENTS}, got {etablissements}"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    communes = load_communes(communes_csv or COMMUNES_SEED)
    rng = random.Random(seed)
    offset = rng.randrange(10**8)
    planted_ul, planted_et, planted_liens = _planted_frames()
    skip = {int(siren) for siren in planted_ul["siren"]}
    with (
        _ZipCsvWriter(out_dir, UNITE_LEGALE_FILE, UNITE_LEGALE_COLUMNS) as ul_out,
        _ZipCsvWriter(out_dir, ETABLISSEMENT_FILE, ETABLISSEMENT_COLUMNS) as et_out,
        _ZipCsvWriter(out_dir, LIENS_SUCCESSION_FILE, LIENS_SUCCESSION_COLUMNS) as liens_out,
    ):
        ul_out.write(planted_ul)
        et_out.write(planted_et)
        liens_out.write(planted_liens)
        remaining = etablissements - planted_et.height
        ordinal = 0
        while remaining > 0:
            ul, ordinal = _unites_legales(rng, ordinal, offset, min(CHUNK_ROWS, remaining), skip)
            et = _etablissements(rng, ul, communes)
            liens_out.write(_liens_succession(rng, et))
            ul_out.write(ul)
            et_out.write(et)
            remaining -= et.height
    writers = (ul_out, et_out, liens_out)
    return {writer.path.name: writer.path for writer in writers}
