"""INSEE's geolocation of the SIRENE establishments "pour les études statistiques" (monthly).

A zip holding one UTF-8 CSV separated by ``;``: one row per geolocated establishment (SIRET),
with its coordinates in the projection of its territory (``x``, ``y``, ``epsg``: 2154 in
mainland France, UTM zones overseas), the same point in WGS84 (``y_latitude``,
``x_longitude``), the quality of the geocoding (``qualite_xy``: 11 the address number, 12 the
street, 21/22 a looser match, 33 a random point in the commune) and the statistical zones it
falls in (IRIS, quartiers prioritaires 2015 and 2024, ZUS, QVA). Masked establishments (partial
diffusion) carry ``[ND]`` instead of coordinates: such a row is loaded, its coordinates empty.

Columns are checked by name: INSEE renamed the priority-area columns when the 2024 map came
(``plg_qp`` became ``plg_qp24`` and ``plg_qp15``), so only the coordinates, the quality and the
commune are required.
"""

from sources.contracts import Contract, Guards, Kind, optional, required

# A monthly image of the stock: it moves like SIRENE's, a little less tightly.
GEOLOCALISATION_GUARDS = Guards(
    min_row_ratio=0.95, max_row_ratio=1.5, max_reject_ratio=0.01, stale_after_days=45
)

DEC, S = Kind.DECIMAL, Kind.STRING


COORDONNEES = Contract(
    source="geolocalisation",
    dataset="geolocalisation_etablissements",
    producer="INSEE",
    system="SIRENE géolocalisation",
    public=True,
    arrival="http",
    file_name="GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8.zip",
    member="GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8.csv",
    origin_url="https://files.data.gouv.fr/insee-sirene-geo/"
    "GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8.zip",
    rhythm_days=31,
    ends_with_newline=True,
    guards=GEOLOCALISATION_GUARDS,
    encoding="utf-8",
    separator=";",
    key=("siret",),
    description="Geolocation of the SIRENE establishments: one row per geolocated SIRET, with "
    "its projected and WGS84 coordinates and the quality of the geocoding.",
    columns=(
        required("siret", Kind.SIRET, not_null=True),
        required("x", DEC, masked=True),
        required("y", DEC, masked=True),
        required("qualite_xy", masked=True),
        required("epsg", Kind.INTEGER, masked=True),
        optional("plg_qp24"),
        optional("plg_iris"),
        optional("plg_zus"),
        optional("plg_qp15"),
        optional("plg_qva"),
        required("plg_code_commune"),
        optional("distance_precision", DEC, masked=True),
        optional("qualite_qp24"),
        optional("qualite_iris"),
        optional("qualite_zus"),
        optional("qualite_qp15"),
        optional("qualite_qva"),
        required("y_latitude", DEC, masked=True),
        required("x_longitude", DEC, masked=True),
    ),
)

CONTRACTS = (COORDONNEES,)
