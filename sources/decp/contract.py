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

from sources.contracts import Column, Contract, Guards, Kind

S, D, B, INT, DEC = Kind.STRING, Kind.DATE, Kind.BOOLEAN, Kind.INTEGER, Kind.DECIMAL


def _req(name: str, kind: Kind = S, *, not_null: bool = False) -> Column:
    return Column(name, kind, required=True, not_null=not_null)


def _opt(name: str, kind: Kind = S) -> Column:
    return Column(name, kind)


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
        _req("uid", not_null=True),
        _req("id"),
        _req("nature"),
        _req("acheteur_id"),
        _req("acheteur_nom"),
        _req("titulaire_id", not_null=True),
        _req("titulaire_typeIdentifiant"),
        _req("titulaire_nom"),
        _req("objet"),
        _req("montant", DEC),
        _opt("type"),
        _req("codeCPV"),
        _req("procedure"),
        _req("techniques"),
        _req("dureeMois", DEC),
        _opt("dureeRestanteMois", DEC),
        _opt("offresRecues", DEC),
        _req("dateNotification", D),
        _req("datePublicationDonnees", D),
        _opt("formePrix"),
        _opt("typesPrix"),
        _opt("attributionAvance", B),
        _opt("tauxAvance", DEC),
        _opt("marcheInnovant", B),
        _opt("modalitesExecution"),
        _opt("considerationsSociales"),
        _opt("considerationsEnvironnementales"),
        _opt("ccag"),
        _opt("sousTraitanceDeclaree", B),
        _opt("typeGroupementOperateurs"),
        _opt("origineUE", DEC),
        _opt("origineFrance", DEC),
        _opt("lieuExecution_code"),
        _opt("lieuExecution_typeCode"),
        _opt("idAccordCadre"),
        _opt("titulaire_distance", DEC),
        _opt("acheteur_commune_code"),
        _opt("acheteur_commune_nom"),
        _opt("acheteur_departement_code"),
        _opt("acheteur_departement_nom"),
        _opt("acheteur_region_code"),
        _opt("acheteur_region_nom"),
        _opt("acheteur_latitude", DEC),
        _opt("acheteur_longitude", DEC),
        _opt("titulaire_categorie"),
        _opt("titulaire_commune_code"),
        _opt("titulaire_commune_nom"),
        _opt("titulaire_departement_code"),
        _opt("titulaire_departement_nom"),
        _opt("titulaire_region_code"),
        _opt("titulaire_region_nom"),
        _opt("titulaire_latitude", DEC),
        _opt("titulaire_longitude", DEC),
        _req("modification_id", INT),
        _req("donneesActuelles", B),
        _opt("sourceDataset"),
        _opt("sourceFile"),
    ),
)

CONTRACTS = (MARCHES,)
