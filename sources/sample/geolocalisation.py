"""Sample of INSEE's geolocation file of the SIRENE establishments, from the sample stock.

`generate_geolocalisation` writes
``GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8.zip`` as INSEE publishes it:
one UTF-8 CSV separated by ``;``, unquoted, ``\\n`` line ends, the 19 columns of the file in
their order. The planted establishments come first with fixed values (see `PLANTED_POINTS`);
then about nine in ten of the other establishments located in France, their ``x``/``y`` the
Lambert coordinates of the sample stock, ``[ND]`` where the stock masks them; two broken rows
end the file (a 15-digit SIRET, a coordinate that is not a number). Below about 250
establishments these two rows exceed the 1 % of rejects the contract's guard allows, and a run
on so small a sample stops at that check.

The whole stock is streamed (polars, lazily) from the StockEtablissement zip already written in
the folder, so the memory used does not grow with the size asked for.

Known shortcomings, harmless for tests: WGS84 coordinates are computed from Lambert-93 exactly
(iterated inverse of the conic projection on GRS80) in mainland France only; overseas they are
a flat approximation of the UTM zone (within a few kilometres). The quality codes are drawn by
hash, not from the address; the zoning columns hold "hors zone" or "commune sans zonage" codes
and made-up IRIS numbers.
"""

from __future__ import annotations

import io
import math
import shutil
import tempfile
import zipfile
from pathlib import Path

import polars as pl

from sources.sample.sirene import NON_DIFFUSIBLE, PLANTED

FILE_STEM = "GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8"
COLUMNS: tuple[str, ...] = (
    "siret",
    "x",
    "y",
    "qualite_xy",
    "epsg",
    "plg_qp24",
    "plg_iris",
    "plg_zus",
    "plg_qp15",
    "plg_qva",
    "plg_code_commune",
    "distance_precision",
    "qualite_qp24",
    "qualite_iris",
    "qualite_zus",
    "qualite_qp15",
    "qualite_qva",
    "y_latitude",
    "x_longitude",
)
_ZIP_DATE_TIME = (2026, 12, 1, 0, 0, 0)

# Planted points, by key of PLANTED: (x, y, qualite_xy, epsg, latitude, longitude); [ND] where
# INSEE masks the establishment. A planted establishment absent from here (abroad, closed long
# ago) is absent from the file.
PLANTED_POINTS: dict[str, tuple[str, str, str, str, str, str]] = {
    "siege_actif": ("651283.4", "6863962.1", "11", "2154", "48.873950", "2.331710"),
    "personne_physique_nd": (NON_DIFFUSIBLE, NON_DIFFUSIBLE, NON_DIFFUSIBLE, "2154")
    + (NON_DIFFUSIBLE, NON_DIFFUSIBLE),
    # a random point in the commune: INSEE's own warning that the place is not known
    "corse": ("1177550.2", "6105080.7", "33", "2154", "41.919229", "8.738635"),
    "outre_mer": ("338615.8", "7691288.3", "12", "2975", "-20.882057", "55.450392"),
    "successeur": ("349350.9", "6689000.4", "11", "2154", "47.213620", "-1.636040"),
    "virgule_echappee": ("892520.0", "6247830.6", "11", "2154", "43.296780", "5.369940"),
}

# Overseas territories (first three characters of the commune): EPSG code of their projection,
# central meridian and false northing of its UTM zone.
_UTM = {
    "971": (5490, -63.0, 0.0),
    "972": (5490, -63.0, 0.0),
    "973": (2972, -51.0, 0.0),
    "974": (2975, 57.0, 10_000_000.0),
    "976": (4471, 45.0, 10_000_000.0),
}
# Lambert-93 (EPSG 2154) on the GRS80 ellipsoid, IGN's constants.
_N = 0.7256077650532670
_C = 11_754_255.4261
_XS = 700_000.0
_YS = 12_655_612.0499
_E = 0.0818191910428158
_LON0 = math.radians(3.0)
# Shares of the quality codes (‰), roughly those of the real file.
_QUALITES = (("11", 620), ("12", 160), ("21", 20), ("22", 20), ("33", 180))


def _lambert93_to_wgs84(x: pl.Expr, y: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Latitude and longitude in degrees of Lambert-93 coordinates (inverse conic projection)."""
    dx, dy = x - _XS, y - _YS
    radius = (dx * dx + dy * dy).sqrt()
    gamma = (dx / -dy).arctan()
    longitude = _LON0 + gamma / _N
    isometric = -(radius / _C).log() / _N
    latitude = 2 * isometric.exp().arctan() - math.pi / 2
    for _ in range(6):
        sine = latitude.sin()
        ratio = ((1 + _E * sine) / (1 - _E * sine)).pow(_E / 2)
        latitude = 2 * (ratio * isometric.exp()).arctan() - math.pi / 2
    return latitude * (180 / math.pi), longitude * (180 / math.pi)


def _utm_to_wgs84(x: pl.Expr, y: pl.Expr, territoire: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """A flat approximation of UTM coordinates overseas (good to a few kilometres)."""
    meridian = territoire.replace_strict(
        {k: v[1] for k, v in _UTM.items()}, default=None, return_dtype=pl.Float64
    )
    northing = territoire.replace_strict(
        {k: v[2] for k, v in _UTM.items()}, default=None, return_dtype=pl.Float64
    )
    latitude = (y - northing) / 110_574.0
    longitude = meridian + (x - 500_000.0) / (111_320.0 * (latitude * (math.pi / 180)).cos())
    return latitude, longitude


def _points(stock: pl.LazyFrame, seed: int, planted: set[str]) -> pl.LazyFrame:
    """One row per établissement of the stock located in France, most of them, file columns."""
    draw = pl.col("siret").hash(seed) % 1000
    commune = pl.col("codeCommuneEtablissement")
    territoire = commune.str.slice(0, 3)
    overseas = territoire.is_in(list(_UTM))
    raw_x = pl.col("coordonneeLambertAbscisseEtablissement")
    raw_y = pl.col("coordonneeLambertOrdonneeEtablissement")
    masked = raw_x == NON_DIFFUSIBLE
    x = raw_x.cast(pl.Float64, strict=False)
    y = raw_y.cast(pl.Float64, strict=False)
    lat_l93, lon_l93 = _lambert93_to_wgs84(x, y)
    lat_utm, lon_utm = _utm_to_wgs84(x, y, territoire)
    latitude = pl.when(overseas).then(lat_utm).otherwise(lat_l93)
    longitude = pl.when(overseas).then(lon_utm).otherwise(lon_l93)
    epsg = territoire.replace_strict(
        {k: str(v[0]) for k, v in _UTM.items()}, default="2154", return_dtype=pl.String
    )
    quality_draw = pl.col("siret").hash(seed + 1) % 1000
    qualite = pl.lit(_QUALITES[-1][0])
    bound = 0
    conditions = []
    for code, share in _QUALITES[:-1]:
        bound += share
        conditions.append((bound, code))
    for bound, code in reversed(conditions):
        qualite = pl.when(quality_draw < bound).then(pl.lit(code)).otherwise(qualite)

    def shown(value: pl.Expr, digits: int) -> pl.Expr:
        text = value.round(digits).cast(pl.String)
        return pl.when(masked).then(pl.lit(NON_DIFFUSIBLE)).otherwise(text)

    zone = pl.when(draw % 7 == 0).then(pl.lit("HZ")).otherwise(pl.lit("CSZ"))
    return (
        stock.filter(
            commune.is_not_null()
            & (draw < 900)
            & (masked | x.is_not_null())
            & ~pl.col("siret").is_in(sorted(planted))
        )
        .with_columns(qualite.alias("_qualite"))
        .select(
            pl.col("siret"),
            shown(x, 1).alias("x"),
            shown(y, 1).alias("y"),
            pl.when(masked).then(pl.lit(NON_DIFFUSIBLE)).otherwise("_qualite").alias("qualite_xy"),
            epsg.alias("epsg"),
            zone.alias("plg_qp24"),
            (pl.lit("0") + (draw % 30 + 100).cast(pl.String)).alias("plg_iris"),
            zone.alias("plg_zus"),
            zone.alias("plg_qp15"),
            zone.alias("plg_qva"),
            commune.alias("plg_code_commune"),
            pl.when(masked)
            .then(pl.lit(NON_DIFFUSIBLE))
            .otherwise((draw * 7 % 900).cast(pl.String))
            .alias("distance_precision"),
            *[pl.col("_qualite").alias(name) for name in COLUMNS[12:17]],
            shown(latitude, 6).alias("y_latitude"),
            shown(longitude, 6).alias("x_longitude"),
        )
    )


def _planted_rows() -> pl.DataFrame:
    rows = []
    for key, (x, y, qualite, epsg, latitude, longitude) in PLANTED_POINTS.items():
        record = PLANTED[key]
        values = dict.fromkeys(COLUMNS, "CSZ")
        values.update(
            siret=str(record["siret"]),
            x=x,
            y=y,
            qualite_xy=qualite,
            epsg=epsg,
            plg_iris="0101",
            plg_code_commune=str(record["code_commune"]),
            distance_precision=NON_DIFFUSIBLE if x == NON_DIFFUSIBLE else "12",
            y_latitude=latitude,
            x_longitude=longitude,
        )
        for name in COLUMNS[12:17]:
            values[name] = qualite
        rows.append(values)
    return pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String))


def _broken_rows() -> pl.DataFrame:
    """A SIRET of 15 digits and an abscissa that is not a number: both rejected on load."""
    base = dict.fromkeys(COLUMNS, "CSZ")
    base.update(
        x="652000.0",
        y="6862000.0",
        qualite_xy="11",
        epsg="2154",
        plg_iris="0101",
        plg_code_commune="75109",
        distance_precision="3",
        y_latitude="48.862000",
        x_longitude="2.340000",
    )
    for name in COLUMNS[12:17]:
        base[name] = "11"
    long_siret = {**base, "siret": "552081317665220"}
    not_a_number = {**base, "siret": "55208131700099", "x": "n/a"}
    return pl.DataFrame([long_siret, not_a_number], schema=dict.fromkeys(COLUMNS, pl.String))


def generate_geolocalisation(out_dir: Path, etablissements: int, seed: int) -> dict[str, Path]:
    """Write the geolocation zip into ``out_dir`` from its StockEtablissement zip."""
    del etablissements  # the stock already has that many rows
    out_dir = Path(out_dir)
    stock_zip = out_dir / "StockEtablissement_utf8.zip"
    target = out_dir / f"{FILE_STEM}.zip"
    partial = out_dir / f".{FILE_STEM}.zip.partial"
    planted = {str(PLANTED[key]["siret"]) for key in PLANTED}
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".geoloc-") as tmp:
        stock_csv = Path(tmp) / "stock.csv"
        with zipfile.ZipFile(stock_zip) as archive, stock_csv.open("wb") as out:
            (member,) = archive.namelist()
            with archive.open(member) as source:
                shutil.copyfileobj(source, out, 1 << 20)
        stock = pl.scan_csv(stock_csv, infer_schema=False).select(
            "siret",
            "codeCommuneEtablissement",
            "coordonneeLambertAbscisseEtablissement",
            "coordonneeLambertOrdonneeEtablissement",
        )
        body = Path(tmp) / "points.csv"
        _points(stock, seed, planted).sink_csv(
            body, separator=";", include_header=False, quote_style="never"
        )
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            info = zipfile.ZipInfo(f"{FILE_STEM}.csv", date_time=_ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as member_out:
                head = io.BytesIO()
                _planted_rows().write_csv(head, separator=";", quote_style="never")
                member_out.write(head.getvalue())
                with body.open("rb") as points:
                    shutil.copyfileobj(points, member_out, 1 << 20)
                tail = io.BytesIO()
                _broken_rows().write_csv(
                    tail, separator=";", quote_style="never", include_header=False
                )
                member_out.write(tail.getvalue())
    partial.replace(target)
    return {target.name: target}
