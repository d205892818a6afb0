"""Contract of the DECP (données essentielles de la commande publique), consolidated into one
Parquet file by the decp-processing project and published on data.gouv.fr every weekday.

One row per contract (``uid``: buyer SIRET followed by the buyer's own ``id``), holder
(``titulaire_id``, whose kind is in ``titulaire_typeIdentifiant``: SIRET, TVA, TAHITI, RIDET,
FRWF, IREP, HORS-UE) and modification (``modification_id`` 0 for the contract as notified, 1 for
its first modification…). ``montant`` is the amount of the row's state of the contract, for the
whole contract and not the holder's share; for a framework agreement it is a ceiling.

The Parquet file is typed (dates, float amounts, booleans); the converter of sources/formats.py
writes every column as text and the contract reads it back, so the rules are those of any CSV.
Columns are the ones of decp-processing's ``schema_base.json``; those the warehouse uses are
required, the others optional (added empty when missing).
"""

from __future__ import annotations

from sources.contracts import Contract, Guards, Kind, optional, required

S, D, B, INT, DEC = Kind.STRING, Kind.DATE, Kind.BOOLEAN, Kind.INTEGER, Kind.DECIMAL


MARCHES = Contract(
    source="decp",
    dataset="decp_marches",
    producer="DAJ (Bercy) / data.gouv.fr",
    system="DECP consolidées (decp-processing)",
    public=True,
    arrival="http",
    file_name="decp.parquet",
    member=None,
    # Dataset "Données essentielles de la commande publique consolidées (format tabulaire)",
    # 608c055b35eb4e6ee20eb325; this resource is the Parquet file, replaced on each build.
    origin_url="https://www.data.gouv.fr/datasets/r/11cea8e8-df3e-4ed1-932b-781e2635e432",
    rhythm_days=1,
    # Rebuilt from scratch each weekday: the history only grows; a far smaller file is a failed
    # consolidation. A week without new publication dates means the build has stopped.
    guards=Guards(
        min_row_ratio=0.95, max_row_ratio=1.5, max_reject_ratio=0.02, stale_after_days=10
    ),
    encoding="utf-8",
    separator=",",
    file_format="parquet",
    key=("uid", "titulaire_id", "modification_id"),
    newest_data_column="datePublicationDonnees",
    description="Public procurement contracts: one row per contract, holder and modification.",
    columns=(
        required("uid", not_null=True),
        required("id"),
        required("nature"),
        required("acheteur_id"),
        required("acheteur_nom"),
        required("titulaire_id", not_null=True),
        required("titulaire_typeIdentifiant"),
        required("titulaire_nom"),
        required("objet"),
        required("montant", DEC),
        optional("type"),
        required("codeCPV"),
        required("procedure"),
        required("techniques"),
        required("dureeMois", DEC),
        optional("dureeRestanteMois", DEC),
        optional("offresRecues", DEC),
        required("dateNotification", D),
        required("datePublicationDonnees", D),
        optional("formePrix"),
        optional("typesPrix"),
        optional("attributionAvance", B),
        optional("tauxAvance", DEC),
        optional("marcheInnovant", B),
        optional("modalitesExecution"),
        optional("considerationsSociales"),
        optional("considerationsEnvironnementales"),
        optional("ccag"),
        optional("sousTraitanceDeclaree", B),
        optional("typeGroupementOperateurs"),
        optional("origineUE", DEC),
        optional("origineFrance", DEC),
        optional("lieuExecution_code"),
        optional("lieuExecution_typeCode"),
        optional("idAccordCadre"),
        optional("titulaire_distance", DEC),
        optional("acheteur_commune_code"),
        optional("acheteur_commune_nom"),
        optional("acheteur_departement_code"),
        optional("acheteur_departement_nom"),
        optional("acheteur_region_code"),
        optional("acheteur_region_nom"),
        optional("acheteur_latitude", DEC),
        optional("acheteur_longitude", DEC),
        optional("titulaire_categorie"),
        optional("titulaire_commune_code"),
        optional("titulaire_commune_nom"),
        optional("titulaire_departement_code"),
        optional("titulaire_departement_nom"),
        optional("titulaire_region_code"),
        optional("titulaire_region_nom"),
        optional("titulaire_latitude", DEC),
        optional("titulaire_longitude", DEC),
        required("modification_id", INT),
        required("donneesActuelles", B),
        optional("sourceDataset"),
        optional("sourceFile"),
    ),
)

CONTRACTS = (MARCHES,)
