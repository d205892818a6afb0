"""The public list of training organisations (organismes de formation) of the DGEFP.

"Liste publique des organismes de formation (L.6351-7-1 du Code du travail)": every provider
holding an activity declaration number (numéro de déclaration d'activité, NDA), with its SIREN,
the SIRET of the declaring establishment, its Qualiopi certifications by kind of action, what it
declared of its last financial year (trainees, trainers) and its specialities. One CSV, UTF-8,
``;`` separated, header with the producer's French labels (the Opendatasoft export with
``use_labels=true``), one line per declaration number. The list is refreshed daily.

Qualiopi: an organisation is certified when ``Certifications`` is not empty, or when one of the
four flags (actions de formation, bilans de compétences, VAE, apprentissage) is true.
"""

from sources.contracts import Column, Contract, Guards, Kind

ORIGIN = (
    "https://dgefp.opendatasoft.com/api/explore/v2.1/catalog/datasets/liste-publique-des-of-v2"
    "/exports/csv?lang=fr&timezone=Europe%2FBerlin&use_labels=true&delimiter=%3B"
)

# About 150 000 declarations; the list moves by a few percent a month. Declarations typed by
# the organisations themselves carry bad dates and counts now and then: up to 5 % is tolerated.
GUARDS = Guards(min_row_ratio=0.9, max_row_ratio=1.5, max_reject_ratio=0.05, stale_after_days=45)

S, B, D, INT = Kind.STRING, Kind.BOOLEAN, Kind.DATE, Kind.INTEGER
DATES = ("%Y-%m-%d", "%d/%m/%Y")


def _req(name: str, kind: Kind = S, *, not_null: bool = False) -> Column:
    return Column(name, kind, required=True, not_null=not_null, formats=DATES if kind is D else ())


def _opt(name: str, kind: Kind = S) -> Column:
    return Column(name, kind, formats=DATES if kind is D else ())


ORGANISMES = Contract(
    source="organismes_formation",
    dataset="organismes_formation_liste",
    producer="DGEFP",
    system="Mon Activité Formation",
    public=True,
    arrival="http",
    file_name="liste-publique-des-of-v2.csv",
    member=None,
    origin_url=ORIGIN,
    rhythm_days=31,
    guards=GUARDS,
    encoding="utf-8",
    separator=";",
    key=("Numéro Déclaration Activité",),
    newest_data_column="Date dernière déclaration",
    description="Training organisations: one row per activity declaration number (NDA).",
    columns=(
        _req("Numéro Déclaration Activité", not_null=True),
        _opt("Numéro Déclaration Activité Précédent"),
        _req("denomination"),
        _req("Code SIREN", Kind.SIREN, not_null=True),
        _req("Siret Etablissement Déclarant", Kind.SIRET),
        _opt("Adresse Organisme de Formation"),
        _opt("Code Postal Organisme de Formation"),
        _opt("Ville Organisme de Formation"),
        _opt("Code Région Organisme de Formation"),
        _opt("geocodageban"),
        _req("Actions de formations", B),
        _req("Bilans de compétences", B),
        _req("VAE", B),
        _req("Actions de formations par apprentissage", B),
        _opt("Dénomination Organisme Etranger Représenté"),
        _opt("Adresse Organisme Etranger Représenté"),
        _opt("Code Postal Organisme Etranger Représenté"),
        _opt("Ville Organisme Etranger Représenté"),
        _opt("Pays Organisme Etranger Représenté"),
        _req("Date dernière déclaration", D),
        _opt("Début d'exercice", D),
        _opt("Fin d'exercice", D),
        _opt("Code Spécialité 1"),
        _opt("Libellé Spécialité 1"),
        _opt("Code Spécialité 2"),
        _opt("Libellé Spécialité 2"),
        _opt("Code Spécialité 3"),
        _opt("Libellé Spécialité 3"),
        _req("Nombre de stagiaires", INT),
        _opt("Nombre de stagiaires confiés par un autre Organisme de formation", INT),
        _req("Effectifs de formateurs", INT),
        _opt("Code Commune"),
        _opt("Nom Officiel Commune / Arrondissement Municipal"),
        _opt("Code Officiel EPCI"),
        _opt("Nom Officiel EPCI"),
        _opt("Code Officiel Département"),
        _opt("Nom Officiel Département"),
        _opt("Nom Officiel Région"),
        _opt("Code Officiel Région"),
        _opt("Toutes spécialités de l'organisme de formation"),
        _opt("Organisme Formation Géocodé"),
        _req("Certifications"),
        _opt("random_id"),
    ),
)

HEADER: tuple[str, ...] = tuple(c.name for c in ORGANISMES.columns)
"""The producer's header, in its order (the sample writes it as is)."""

CONTRACTS = (ORGANISMES,)
