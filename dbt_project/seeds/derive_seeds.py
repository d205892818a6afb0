"""Derive the nomenclature seeds of the dbt project from public reference data.

Run it from a scratch folder outside the repository, then point it at that folder:

    cd "$(mktemp -d)"
    npm pack @socialgouv/codes-naf@1.1.1 @etalab/decoupage-administratif@6.0.0
    for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
    python /path/to/dbt_project/seeds/derive_seeds.py "$PWD"

The two unpacked packages are found anywhere under the folder by the name and version in their
package.json. The six CSV files are rewritten next to this script (or in --out) and their row
counts printed; a second run with the same packages writes the same bytes.

What comes from where (the same is recorded in _seeds.yml):
- naf.csv: divisions to sub-classes from @socialgouv/codes-naf; the 21 sections and the division
  ranges of each section are written below from the INSEE NAF rév. 2.
- categories_juridiques.csv: written below from the INSEE nomenclature of September 2022, as
  carried by annuaire-entreprises-data-gouv-fr/site (see CATEGORIES_JURIDIQUES_SOURCE).
- tranches_effectifs.csv: written below from the INSEE documentation of trancheEffectifs.
- communes.csv, departements.csv, regions.csv: from @etalab/decoupage-administratif.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

NAF_PACKAGE = ("@socialgouv/codes-naf", "1.1.1")
COG_PACKAGE = ("@etalab/decoupage-administratif", "6.0.0")

Row = dict[str, str]

# NAF rév. 2 sections (INSEE labels) with the first and last division of each.
NAF_SECTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("A", "Agriculture, sylviculture et pêche", "01", "03"),
    ("B", "Industries extractives", "05", "09"),
    ("C", "Industrie manufacturière", "10", "33"),
    (
        "D",
        "Production et distribution d'électricité, de gaz, de vapeur et d'air conditionné",
        "35",
        "35",
    ),
    (
        "E",
        "Production et distribution d'eau ; assainissement, gestion des déchets et dépollution",
        "36",
        "39",
    ),
    ("F", "Construction", "41", "43"),
    ("G", "Commerce ; réparation d'automobiles et de motocycles", "45", "47"),
    ("H", "Transports et entreposage", "49", "53"),
    ("I", "Hébergement et restauration", "55", "56"),
    ("J", "Information et communication", "58", "63"),
    ("K", "Activités financières et d'assurance", "64", "66"),
    ("L", "Activités immobilières", "68", "68"),
    ("M", "Activités spécialisées, scientifiques et techniques", "69", "75"),
    ("N", "Activités de services administratifs et de soutien", "77", "82"),
    ("O", "Administration publique", "84", "84"),
    ("P", "Enseignement", "85", "85"),
    ("Q", "Santé humaine et action sociale", "86", "88"),
    ("R", "Arts, spectacles et activités récréatives", "90", "93"),
    ("S", "Autres activités de services", "94", "96"),
    (
        "T",
        "Activités des ménages en tant qu'employeurs ; activités indifférenciées des ménages "
        "en tant que producteurs de biens et services pour usage propre",
        "97",
        "98",
    ),
    ("U", "Activités extra-territoriales", "99", "99"),
)

NAF_EXPECTED_COUNTS = {
    "section": 21,
    "division": 88,
    "groupe": 272,
    "classe": 615,
    "sous_classe": 732,
}

# Shape of each NAF code below the section, from the most detailed level up.
NAF_LEVEL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("sous_classe", re.compile(r"\d{2}\.\d{2}[A-Z]")),
    ("classe", re.compile(r"\d{2}\.\d{2}")),
    ("groupe", re.compile(r"\d{2}\.\d")),
    ("division", re.compile(r"\d{2}")),
)

CATEGORIES_JURIDIQUES_SOURCE = (
    "github.com/annuaire-entreprises-data-gouv-fr/site, "
    "utils/helpers/formatting/metadata/categories-juridiques*.ts"
)

# Level I. The public copy lists 1 to 9; code 0 has a single child (00, then 0000) and takes
# its label, so that every level-II and level-III code has a parent row.
CATEGORIES_JURIDIQUES_NIVEAU_I: tuple[tuple[str, str], ...] = (
    ("0", "Organisme de placement collectif en valeurs mobilières sans personnalité morale"),
    ("1", "Entrepreneur individuel"),
    ("2", "Groupement de droit privé non doté de la personnalité morale"),
    ("3", "Personne morale de droit étranger"),
    ("4", "Personne morale de droit public soumise au droit commercial"),
    ("5", "Société commerciale"),
    ("6", "Autre personne morale immatriculée au RCS"),
    ("7", "Personne morale et organisme soumis au droit administratif"),
    ("8", "Organisme privé spécialisé"),
    ("9", "Groupement de droit privé"),
)

CATEGORIES_JURIDIQUES_NIVEAU_II: tuple[tuple[str, str], ...] = (
    ("00", "Organisme de placement collectif en valeurs mobilières sans personnalité morale"),
    ("10", "Entrepreneur individuel"),
    ("21", "Indivision"),
    ("22", "Société créée de fait"),
    ("23", "Société en participation"),
    ("24", "Fiducie"),
    ("27", "Paroisse hors zone concordataire"),
    ("28", "Assujetti unique à la TVA"),
    ("29", "Autre groupement de droit privé non doté de la personnalité morale"),
    (
        "31",
        "Personne morale de droit étranger, immatriculée au RCS "
        "(registre du commerce et des sociétés)",
    ),
    ("32", "Personne morale de droit étranger, non immatriculée au RCS"),
    ("41", "Etablissement public ou régie à caractère industriel ou commercial"),
    ("51", "Société coopérative commerciale particulière"),
    ("52", "Société en nom collectif"),
    ("53", "Société en commandite"),
    ("54", "Société à responsabilité limitée (SARL)"),
    ("55", "Société anonyme à conseil d'administration"),
    ("56", "Société anonyme à directoire"),
    ("57", "Société par actions simplifiée"),
    ("58", "Société européenne"),
    ("61", "Caisse d'épargne et de prévoyance"),
    ("62", "Groupement d'intérêt économique"),
    ("63", "Société coopérative agricole"),
    ("64", "Société d'assurance mutuelle"),
    ("65", "Société civile"),
    ("69", "Autre personne morale de droit privé inscrite au registre du commerce et des sociétés"),
    ("71", "Administration de l'état"),
    ("72", "Collectivité territoriale"),
    ("73", "Etablissement public administratif"),
    ("74", "Autre personne morale de droit public administratif"),
    ("81", "Organisme gérant un régime de protection sociale à adhésion obligatoire"),
    ("82", "Organisme mutualiste"),
    ("83", "Comité d'entreprise"),
    ("84", "Organisme professionnel"),
    ("85", "Organisme de retraite à adhésion non obligatoire"),
    ("91", "Syndicat de propriétaires"),
    ("92", "Association loi 1901 ou assimilé"),
    ("93", "Fondation"),
    ("99", "Autre personne morale de droit privé"),
)

CATEGORIES_JURIDIQUES_NIVEAU_III: tuple[tuple[str, str], ...] = (
    ("0000", "Organisme de placement collectif en valeurs mobilières sans personnalité morale"),
    ("1000", "Entrepreneur individuel"),
    ("2110", "Indivision entre personnes physiques"),
    ("2120", "Indivision avec personne morale"),
    ("2210", "Société créée de fait entre personnes physiques"),
    ("2220", "Société créée de fait avec personne morale"),
    ("2310", "Société en participation entre personnes physiques"),
    ("2320", "Société en participation avec personne morale"),
    ("2385", "Société en participation de professions libérales"),
    ("2400", "Fiducie"),
    ("2700", "Paroisse hors zone concordataire"),
    ("2800", "Assujetti unique à la TVA"),
    ("2900", "Autre groupement de droit privé non doté de la personnalité morale"),
    (
        "3110",
        "Représentation ou agence commerciale d'état ou organisme public étranger immatriculé"
        " au RCS",
    ),
    ("3120", "Société commerciale étrangère immatriculée au RCS"),
    ("3205", "Organisation internationale"),
    ("3210", "État, collectivité ou établissement public étranger"),
    ("3220", "Société étrangère non immatriculée au RCS"),
    ("3290", "Autre personne morale de droit étranger"),
    (
        "4110",
        "Établissement public national à caractère industriel ou commercial doté d'un "
        "comptable public",
    ),
    (
        "4120",
        "Établissement public national à caractère industriel ou commercial non doté d'un "
        "comptable public",
    ),
    ("4130", "Exploitant public"),
    ("4140", "Établissement public local à caractère industriel ou commercial"),
    ("4150", "Régie d'une collectivité locale à caractère industriel ou commercial"),
    ("4160", "Institution Banque de France"),
    ("5191", "Société de caution mutuelle"),
    ("5192", "Société coopérative de banque populaire"),
    ("5193", "Caisse de crédit maritime mutuel"),
    ("5194", "Caisse (fédérale) de crédit mutuel"),
    ("5195", "Association coopérative inscrite (droit local Alsace Moselle)"),
    ("5196", "Caisse d'épargne et de prévoyance à forme coopérative"),
    ("5202", "Société en nom collectif"),
    ("5203", "Société en nom collectif coopérative"),
    ("5306", "Société en commandite simple"),
    ("5307", "Société en commandite simple coopérative"),
    ("5308", "Société en commandite par actions"),
    ("5309", "Société en commandite par actions coopérative"),
    ("5310", "Société en libre partenariat (SLP)"),
    (
        "5370",
        "Société de Participations Financières de Profession Libérale Société en commandite "
        "par actions (SPFPL SCA)",
    ),
    ("5385", "Société d'exercice libéral en commandite par actions"),
    ("5410", "SARL nationale"),
    ("5415", "SARL d'économie mixte"),
    ("5422", "SARL immobilière pour le commerce et l'industrie (SICOMI)"),
    ("5426", "SARL immobilière de gestion"),
    ("5430", "SARL d'aménagement foncier et d'équipement rural (SAFER)"),
    ("5431", "SARL mixte d'intérêt agricole (SMIA)"),
    ("5432", "SARL d'intérêt collectif agricole (SICA)"),
    ("5442", "SARL d'attribution"),
    ("5443", "SARL coopérative de construction"),
    ("5451", "SARL coopérative de consommation"),
    ("5453", "SARL coopérative artisanale"),
    ("5454", "SARL coopérative d'intérêt maritime"),
    ("5455", "SARL coopérative de transport"),
    ("5458", "SARL coopérative de production (SCOP)"),
    ("5459", "SARL union de sociétés coopératives"),
    ("5460", "Autre SARL coopérative"),
    (
        "5470",
        "Société de Participations Financières de Profession Libérale Société à "
        "responsabilité limitée (SPFPL SARL)",
    ),
    ("5485", "Société d'exercice libéral à responsabilité limitée"),
    ("5499", "Société à responsabilité limitée (sans autre indication)"),
    ("5505", "SA à participation ouvrière à conseil d'administration"),
    ("5510", "SA nationale à conseil d'administration"),
    ("5515", "SA d'économie mixte à conseil d'administration"),
    ("5520", "Fonds à forme sociétale à conseil d'administration"),
    ("5522", "SA immobilière pour le commerce et l'industrie (SICOMI) à conseil d'administration"),
    ("5525", "SA immobilière d'investissement à conseil d'administration"),
    ("5530", "SA d'aménagement foncier et d'équipement rural (SAFER) à conseil d'administration"),
    ("5531", "Société anonyme mixte d'intérêt agricole (SMIA) à conseil d'administration"),
    ("5532", "SA d'intérêt collectif agricole (SICA) à conseil d'administration"),
    ("5542", "SA d'attribution à conseil d'administration"),
    ("5543", "SA coopérative de construction à conseil d'administration"),
    ("5546", "SA de HLM à conseil d'administration"),
    ("5547", "SA coopérative de production de HLM à conseil d'administration"),
    ("5548", "SA de crédit immobilier à conseil d'administration"),
    ("5551", "SA coopérative de consommation à conseil d'administration"),
    ("5552", "SA coopérative de commerçants-détaillants à conseil d'administration"),
    ("5553", "SA coopérative artisanale à conseil d'administration"),
    ("5554", "SA coopérative (d'intérêt) maritime à conseil d'administration"),
    ("5555", "SA coopérative de transport à conseil d'administration"),
    ("5558", "SA coopérative de production (SCOP) à conseil d'administration"),
    ("5559", "SA union de sociétés coopératives à conseil d'administration"),
    ("5560", "Autre SA coopérative à conseil d'administration"),
    (
        "5570",
        "Société de Participations Financières de Profession Libérale Société anonyme à "
        "conseil d'administration (SPFPL SA à conseil d'administration)",
    ),
    ("5585", "Société d'exercice libéral à forme anonyme à conseil d'administration"),
    ("5599", "SA à conseil d'administration (s.a.i.)"),
    ("5605", "SA à participation ouvrière à directoire"),
    ("5610", "SA nationale à directoire"),
    ("5615", "SA d'économie mixte à directoire"),
    ("5620", "Fonds à forme sociétale à directoire"),
    ("5622", "SA immobilière pour le commerce et l'industrie (SICOMI) à directoire"),
    ("5625", "SA immobilière d'investissement à directoire"),
    ("5630", "Safer anonyme à directoire"),
    ("5631", "SA mixte d'intérêt agricole (SMIA)"),
    ("5632", "SA d'intérêt collectif agricole (SICA)"),
    ("5642", "SA d'attribution à directoire"),
    ("5643", "SA coopérative de construction à directoire"),
    ("5646", "SA de HLM à directoire"),
    ("5647", "Société coopérative de production de HLM anonyme à directoire"),
    ("5648", "SA de crédit immobilier à directoire"),
    ("5651", "SA coopérative de consommation à directoire"),
    ("5652", "SA coopérative de commerçants-détaillants à directoire"),
    ("5653", "SA coopérative artisanale à directoire"),
    ("5654", "SA coopérative d'intérêt maritime à directoire"),
    ("5655", "SA coopérative de transport à directoire"),
    ("5658", "SA coopérative de production (SCOP) à directoire"),
    ("5659", "SA union de sociétés coopératives à directoire"),
    ("5660", "Autre SA coopérative à directoire"),
    (
        "5670",
        "Société de Participations Financières de Profession Libérale Société anonyme à "
        "Directoire (SPFPL SA à directoire)",
    ),
    ("5685", "Société d'exercice libéral à forme anonyme à directoire"),
    ("5699", "SA à directoire (s.a.i.)"),
    ("5710", "SAS, société par actions simplifiée"),
    (
        "5770",
        "Société de Participations Financières de Profession Libérale Société par actions "
        "simplifiée (SPFPL SAS)",
    ),
    ("5785", "Société d'exercice libéral par action simplifiée"),
    ("5800", "Société européenne"),
    ("6100", "Caisse d'Épargne et de Prévoyance"),
    ("6210", "Groupement européen d'intérêt économique (GEIE)"),
    ("6220", "Groupement d'intérêt économique (GIE)"),
    ("6316", "Coopérative d'utilisation de matériel agricole en commun (CUMA)"),
    ("6317", "Société coopérative agricole"),
    ("6318", "Union de sociétés coopératives agricoles"),
    ("6411", "Société d'assurance à forme mutuelle"),
    ("6511", "Sociétés Interprofessionnelles de Soins Ambulatoires"),
    ("6521", "Société civile de placement collectif immobilier (SCPI)"),
    ("6532", "Société civile d'intérêt collectif agricole (SICA)"),
    ("6533", "Groupement agricole d'exploitation en commun (GAEC)"),
    ("6534", "Groupement foncier agricole"),
    ("6535", "Groupement agricole foncier"),
    ("6536", "Groupement forestier"),
    ("6537", "Groupement pastoral"),
    ("6538", "Groupement foncier et rural"),
    ("6539", "Société civile foncière"),
    ("6540", "Société civile immobilière"),
    ("6541", "Société civile immobilière de construction-vente"),
    ("6542", "Société civile d'attribution"),
    ("6543", "Société civile coopérative de construction"),
    ("6544", "Société civile immobilière d' accession progressive à la propriété"),
    ("6551", "Société civile coopérative de consommation"),
    ("6554", "Société civile coopérative d'intérêt maritime"),
    ("6558", "Société civile coopérative entre médecins"),
    ("6560", "Autre société civile coopérative"),
    ("6561", "SCP d'avocats"),
    ("6562", "SCP d'avocats aux conseils"),
    ("6563", "SCP d'avoués d'appel"),
    ("6564", "SCP d'huissiers"),
    ("6565", "SCP de notaires"),
    ("6566", "SCP de commissaires-priseurs"),
    ("6567", "SCP de greffiers de tribunal de commerce"),
    ("6568", "SCP de conseils juridiques"),
    ("6569", "SCP de commissaires aux comptes"),
    ("6571", "SCP de médecins"),
    ("6572", "SCP de dentistes"),
    ("6573", "SCP d'infirmiers"),
    ("6574", "SCP de masseurs-kinésithérapeutes"),
    ("6575", "SCP de directeurs de laboratoire d'analyse médicale"),
    ("6576", "SCP de vétérinaires"),
    ("6577", "SCP de géomètres experts"),
    ("6578", "SCP d'architectes"),
    ("6585", "Autre société civile professionnelle"),
    ("6589", "Société civile de moyens"),
    ("6595", "Caisse locale de crédit mutuel"),
    ("6596", "Caisse de crédit agricole mutuel"),
    ("6597", "Société civile d'exploitation agricole"),
    ("6598", "Exploitation agricole à responsabilité limitée"),
    ("6599", "Autre société civile"),
    ("6901", "Autre personne de droit privé inscrite au registre du commerce et des sociétés"),
    ("7111", "Autorité constitutionnelle"),
    ("7112", "Autorité administrative ou publique indépendante"),
    ("7113", "Ministère"),
    ("7120", "Service central d'un ministère"),
    ("7150", "Service du ministère de la Défense"),
    ("7160", "Service déconcentré à compétence nationale d'un ministère (hors Défense)"),
    ("7171", "Service déconcentré de l'État à compétence (inter) régionale"),
    ("7172", "Service déconcentré de l'État à compétence (inter) départementale"),
    ("7179", "(Autre) Service déconcentré de l'État à compétence territoriale"),
    ("7190", "Ecole nationale non dotée de la personnalité morale"),
    ("7210", "Commune et commune nouvelle"),
    ("7220", "Département"),
    ("7225", "Collectivité et territoire d'Outre Mer"),
    ("7229", "(Autre) Collectivité territoriale"),
    ("7230", "Région"),
    ("7312", "Commune associée et commune déléguée"),
    ("7313", "Section de commune"),
    ("7314", "Ensemble urbain"),
    ("7321", "Association syndicale autorisée"),
    ("7322", "Association foncière urbaine"),
    ("7323", "Association foncière de remembrement"),
    ("7331", "Établissement public local d'enseignement"),
    ("7340", "Pôle métropolitain"),
    ("7341", "Secteur de commune"),
    ("7342", "District urbain"),
    ("7343", "Communauté urbaine"),
    ("7344", "Métropole"),
    ("7345", "Syndicat intercommunal à vocation multiple (SIVOM)"),
    ("7346", "Communauté de communes"),
    ("7347", "Communauté de villes"),
    ("7348", "Communauté d'agglomération"),
    ("7349", "Autre établissement public local de coopération non spécialisé ou entente"),
    ("7351", "Institution interdépartementale ou entente"),
    ("7352", "Institution interrégionale ou entente"),
    ("7353", "Syndicat intercommunal à vocation unique (SIVU)"),
    ("7354", "Syndicat mixte fermé"),
    ("7355", "Syndicat mixte ouvert"),
    ("7356", "Commission syndicale pour la gestion des biens indivis des communes"),
    ("7357", "Pôle d'équilibre territorial et rural (PETR)"),
    ("7361", "Centre communal d'action sociale"),
    ("7362", "Caisse des écoles"),
    ("7363", "Caisse de crédit municipal"),
    ("7364", "Établissement d'hospitalisation"),
    ("7365", "Syndicat inter hospitalier"),
    ("7366", "Établissement public local social et médico-social"),
    ("7367", "Centre Intercommunal d'action sociale (CIAS)"),
    ("7371", "Office public d'habitation à loyer modéré (OPHLM)"),
    ("7372", "Service départemental d'incendie et de secours (SDIS)"),
    ("7373", "Établissement public local culturel"),
    ("7378", "Régie d'une collectivité locale à caractère administratif"),
    ("7379", "(Autre) Établissement public administratif local"),
    ("7381", "Organisme consulaire"),
    ("7382", "Établissement public national ayant fonction d'administration centrale"),
    ("7383", "Établissement public national à caractère scientifique culturel et professionnel"),
    ("7384", "Autre établissement public national d'enseignement"),
    ("7385", "Autre établissement public national administratif à compétence territoriale limitée"),
    ("7389", "Établissement public national à caractère administratif"),
    ("7410", "Groupement d'intérêt public (GIP)"),
    ("7430", "Établissement public des cultes d'Alsace-Lorraine"),
    ("7450", "Etablissement public administratif, cercle et foyer dans les armées"),
    ("7470", "Groupement de coopération sanitaire à gestion publique"),
    ("7490", "Autre personne morale de droit administratif"),
    ("8110", "Régime général de la Sécurité Sociale"),
    ("8120", "Régime spécial de Sécurité Sociale"),
    ("8130", "Institution de retraite complémentaire"),
    ("8140", "Mutualité sociale agricole"),
    ("8150", "Régime maladie des non-salariés non agricoles"),
    ("8160", "Régime vieillesse ne dépendant pas du régime général de la Sécurité Sociale"),
    ("8170", "Régime d'assurance chômage"),
    ("8190", "Autre régime de prévoyance sociale"),
    ("8210", "Mutuelle"),
    ("8250", "Assurance mutuelle agricole"),
    ("8290", "Autre organisme mutualiste"),
    ("8310", "Comité social économique d’entreprise"),
    ("8311", "Comité social économique d'établissement"),
    ("8410", "Syndicat de salariés"),
    ("8420", "Syndicat patronal"),
    ("8450", "Ordre professionnel ou assimilé"),
    ("8470", "Centre technique industriel ou comité professionnel du développement économique"),
    ("8490", "Autre organisme professionnel"),
    ("8510", "Institution de prévoyance"),
    ("8520", "Institution de retraite supplémentaire"),
    ("9110", "Syndicat de copropriété"),
    ("9150", "Association syndicale libre"),
    ("9210", "Association non déclarée"),
    ("9220", "Association déclarée"),
    ("9221", "Association déclarée d'insertion par l'économique"),
    ("9222", "Association intermédiaire"),
    ("9223", "Groupement d'employeurs"),
    ("9224", "Association d'avocats à responsabilité professionnelle individuelle"),
    ("9230", "Association déclarée, reconnue d'utilité publique"),
    ("9240", "Congrégation"),
    ("9260", "Association de droit local (Bas-Rhin, Haut-Rhin et Moselle)"),
    ("9300", "Fondation"),
    ("9900", "Autre personne morale de droit privé"),
    ("9970", "Groupement de coopération sanitaire à gestion privée"),
)

# SIRENE trancheEffectifs: code, label, lowest and highest headcount (None when open or absent).
TRANCHES_EFFECTIFS: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("NN", "Unité non employeuse", None, None),
    ("00", "0 salarié", 0, 0),
    ("01", "1 ou 2 salariés", 1, 2),
    ("02", "3 à 5 salariés", 3, 5),
    ("03", "6 à 9 salariés", 6, 9),
    ("11", "10 à 19 salariés", 10, 19),
    ("12", "20 à 49 salariés", 20, 49),
    ("21", "50 à 99 salariés", 50, 99),
    ("22", "100 à 199 salariés", 100, 199),
    ("31", "200 à 249 salariés", 200, 249),
    ("32", "250 à 499 salariés", 250, 499),
    ("41", "500 à 999 salariés", 500, 999),
    ("42", "1 000 à 1 999 salariés", 1000, 1999),
    ("51", "2 000 à 4 999 salariés", 2000, 4999),
    ("52", "5 000 à 9 999 salariés", 5000, 9999),
    ("53", "10 000 salariés et plus", 10000, None),
)

COMMUNE_TYPES_KEPT = ("commune-actuelle", "arrondissement-municipal")
COMMUNE_TYPES_OLD = ("commune-deleguee", "commune-associee")

SEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "naf": (
        "code_naf",
        "niveau",
        "libelle_naf",
        "code_section",
        "code_division",
        "code_groupe",
        "code_classe",
    ),
    "categories_juridiques": (
        "code_categorie_juridique",
        "niveau",
        "libelle_categorie_juridique",
        "code_niveau_1",
        "code_niveau_2",
    ),
    "tranches_effectifs": ("code_tranche", "libelle_tranche", "effectif_min", "effectif_max"),
    "communes": (
        "code_commune",
        "libelle_commune",
        "type_commune",
        "code_departement",
        "code_region",
        "codes_postaux",
    ),
    "departements": ("code_departement", "libelle_departement", "code_region"),
    "regions": ("code_region", "libelle_region"),
}


class SeedError(Exception):
    """Raised when the reference data does not have the expected shape."""


def clean_label(label: str) -> str:
    """Trim a label and collapse its inner runs of spaces to one."""
    return " ".join(label.split())


def find_package(root: Path, name: str, version: str) -> Path:
    """Return the folder of the unpacked npm package `name` at `version` under `root`."""
    found = []
    for manifest in sorted(root.rglob("package.json")):
        if "node_modules" in manifest.parts:
            continue
        meta = json.loads(manifest.read_text(encoding="utf-8"))
        if meta.get("name") == name:
            found.append((manifest.parent, meta.get("version")))
    matching = [folder for folder, found_version in found if found_version == version]
    if matching:
        return matching[0]
    if found:
        versions = ", ".join(sorted(str(v) for _, v in found))
        raise SeedError(
            f"{name} found under {root} in version {versions}, expected {version}; "
            "unpack the expected version or update the version here and in _seeds.yml"
        )
    raise SeedError(f"{name}@{version} not found under {root}: run `npm pack` and untar it there")


def read_json(path: Path) -> list[dict]:
    """Load a JSON array from a package file."""
    return json.loads(path.read_text(encoding="utf-8"))


def section_of_division(division: str) -> str:
    """Return the NAF section letter that contains a two-digit division."""
    for code, _, first, last in NAF_SECTIONS:
        if first <= division <= last:
            return code
    raise SeedError(f"NAF division {division} falls in no section range")


def naf_level(code: str) -> str:
    """Return the level name of a NAF code below the section."""
    for level, pattern in NAF_LEVEL_PATTERNS:
        if pattern.fullmatch(code):
            return level
    raise SeedError(f"NAF code {code!r} has an unknown shape")


def naf_rows(entries: Iterable[dict]) -> list[Row]:
    """Build one row per NAF code, sections included, with the codes of its parents."""
    rows = [
        {
            "code_naf": code,
            "niveau": "section",
            "libelle_naf": label,
            "code_section": code,
            "code_division": "",
            "code_groupe": "",
            "code_classe": "",
        }
        for code, label, _, _ in NAF_SECTIONS
    ]
    for entry in entries:
        code = entry["id"]
        level = naf_level(code)
        rows.append(
            {
                "code_naf": code,
                "niveau": level,
                "libelle_naf": clean_label(entry["label"]),
                "code_section": section_of_division(code[:2]),
                "code_division": code[:2],
                "code_groupe": code[:4] if level != "division" else "",
                "code_classe": code[:5] if level in ("classe", "sous_classe") else "",
            }
        )
    counts = Counter(row["niveau"] for row in rows)
    if dict(counts) != NAF_EXPECTED_COUNTS:
        raise SeedError(f"NAF counts {dict(counts)} differ from {NAF_EXPECTED_COUNTS}")
    check_parents(rows, "code_naf", ("code_section", "code_division", "code_groupe", "code_classe"))
    return rows


def categorie_juridique_rows() -> list[Row]:
    """Build one row per catégorie juridique of the three levels."""
    levels = (
        ("1", CATEGORIES_JURIDIQUES_NIVEAU_I),
        ("2", CATEGORIES_JURIDIQUES_NIVEAU_II),
        ("3", CATEGORIES_JURIDIQUES_NIVEAU_III),
    )
    rows = []
    for level, entries in levels:
        for code, label in entries:
            if len(code) != {"1": 1, "2": 2, "3": 4}[level]:
                raise SeedError(f"catégorie juridique {code} does not fit level {level}")
            rows.append(
                {
                    "code_categorie_juridique": code,
                    "niveau": level,
                    "libelle_categorie_juridique": clean_label(label),
                    "code_niveau_1": code[:1],
                    "code_niveau_2": code[:2] if level != "1" else "",
                }
            )
    check_parents(rows, "code_categorie_juridique", ("code_niveau_1", "code_niveau_2"))
    return rows


def tranche_rows() -> list[Row]:
    """Build one row per SIRENE tranche d'effectifs."""
    return [
        {
            "code_tranche": code,
            "libelle_tranche": label,
            "effectif_min": "" if low is None else str(low),
            "effectif_max": "" if high is None else str(high),
        }
        for code, label, low, high in TRANCHES_EFFECTIFS
    ]


def commune_rows(communes: Sequence[dict]) -> list[Row]:
    """Build one row per commune code: current communes, municipal arrondissements, old codes.

    A commune déléguée or associée is kept only when no current commune holds its code; the
    package gives such communes no postal codes, so theirs stay empty.
    """
    current = {c["code"]: c for c in communes if c["type"] == "commune-actuelle"}
    rows: dict[str, Row] = {}
    for commune in communes:
        kind = commune["type"]
        code = commune["code"]
        if kind in COMMUNE_TYPES_OLD and code in current:
            continue
        if kind not in COMMUNE_TYPES_KEPT + COMMUNE_TYPES_OLD:
            continue
        parent = current.get(commune.get("commune", ""), {})
        if code in rows:
            raise SeedError(f"commune code {code} appears twice among the kept types")
        rows[code] = {
            "code_commune": code,
            "libelle_commune": clean_label(commune["nom"]),
            "type_commune": kind,
            "code_departement": commune.get("departement") or parent.get("departement", ""),
            "code_region": commune.get("region") or parent.get("region", ""),
            "codes_postaux": " ".join(sorted(set(commune.get("codesPostaux", [])))),
        }
    return list(rows.values())


def departement_rows(departements: Iterable[dict]) -> list[Row]:
    """Build one row per département."""
    return [
        {
            "code_departement": d["code"],
            "libelle_departement": clean_label(d["nom"]),
            "code_region": d["region"],
        }
        for d in departements
    ]


def region_rows(regions: Iterable[dict]) -> list[Row]:
    """Build one row per région."""
    return [{"code_region": r["code"], "libelle_region": clean_label(r["nom"])} for r in regions]


def check_parents(rows: Sequence[Row], key: str, parent_columns: Sequence[str]) -> None:
    """Fail when a filled parent column names a code absent from the same seed."""
    codes = {row[key] for row in rows}
    for row in rows:
        for column in parent_columns:
            if row[column] and row[column] not in codes:
                raise SeedError(f"{row[key]}: {column} {row[column]} is not a code of the seed")


def check_references(rows: Sequence[Row], column: str, parents: Sequence[Row]) -> None:
    """Fail when a row points to a code missing from another seed."""
    known = {parent[column] for parent in parents}
    missing = sorted({row[column] for row in rows} - known)
    if missing:
        raise SeedError(f"{column} values with no parent row: {', '.join(missing[:10])}")


def write_seed(folder: Path, name: str, rows: list[Row]) -> None:
    """Write one seed as a UTF-8 CSV sorted by its key, after checking the key is unique."""
    columns = SEED_COLUMNS[name]
    key = columns[0]
    duplicates = [code for code, n in Counter(row[key] for row in rows).items() if n > 1]
    if duplicates:
        raise SeedError(f"{name}: duplicate {key} {', '.join(sorted(duplicates)[:10])}")
    if any(not row[key] for row in rows):
        raise SeedError(f"{name}: a row has an empty {key}")
    path = folder / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda row: row[key]))
    print(f"{path.name}: {len(rows)} rows")


def main(argv: Sequence[str] | None = None) -> None:
    """Read the unpacked npm packages and write the six seeds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", type=Path, help="folder holding the unpacked npm packages")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent, help="seeds folder"
    )
    args = parser.parse_args(argv)

    naf_dir = find_package(args.packages, *NAF_PACKAGE)
    cog_dir = find_package(args.packages, *COG_PACKAGE) / "data"

    naf = naf_rows(read_json(naf_dir / "index.json"))
    for level, count in Counter(row["niveau"] for row in naf).items():
        print(f"naf {level}: {count}")
    regions = region_rows(read_json(cog_dir / "regions.json"))
    departements = departement_rows(read_json(cog_dir / "departements.json"))
    communes = commune_rows(read_json(cog_dir / "communes.json"))
    check_references(departements, "code_region", regions)
    check_references(communes, "code_departement", departements)
    check_references(communes, "code_region", regions)

    seeds = {
        "naf": naf,
        "categories_juridiques": categorie_juridique_rows(),
        "tranches_effectifs": tranche_rows(),
        "communes": communes,
        "departements": departements,
        "regions": regions,
    }
    for name, rows in seeds.items():
        write_seed(args.out, name, rows)


if __name__ == "__main__":
    try:
        main()
    except SeedError as error:
        raise SystemExit(f"derive_seeds: {error}") from error
