"""INSEE's geolocation file on files the tests write: `[ND]` coordinates are loaded empty, not
refused; broken identifiers and numbers are rejected with their reason; a missing coordinate
column stops the load; and the sample generator."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipelines import checks
from sources.config import Settings
from sources.contracts import ContractError
from sources.geolocalisation.contract import COORDONNEES
from sources.lake import load
from sources.landing import land_file
from sources.sample.geolocalisation import (
    COLUMNS,
    PLANTED_POINTS,
    _lambert93_to_wgs84,
    generate_geolocalisation,
)
from sources.sample.sirene import PLANTED, generate_sirene

MEMBER = str(COORDONNEES.member)
ND = "[ND]"


def line(siret: str, x: str, y: str, qualite: str, lat: str, lon: str, epsg: str = "2154") -> str:
    values = dict.fromkeys(COLUMNS, "CSZ")
    values.update(
        siret=siret,
        x=x,
        y=y,
        qualite_xy=qualite,
        epsg=epsg,
        plg_code_commune="75109",
        distance_precision="12" if x != ND else ND,
        y_latitude=lat,
        x_longitude=lon,
    )
    return ";".join(values[c] for c in COLUMNS) + "\n"


def zipped(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MEMBER, text)
    return buffer.getvalue()


def load_text(tmp_path: Path, text: str):
    settings = Settings(warehouse=tmp_path / "warehouse", mirror="sample", as_of=date(2026, 12, 1))
    incoming = tmp_path / COORDONNEES.file_name
    incoming.write_bytes(zipped(text))
    landed = land_file(
        settings.warehouse,
        "geolocalisation",
        incoming,
        origin=str(COORDONNEES.origin_url),
        file_name=COORDONNEES.file_name,
    )
    record, loaded = load(settings, COORDONNEES, landed)
    assert loaded
    return record, pl.read_parquet(record.lake_path), pl.read_parquet(record.rejects_path)


HEADER = ";".join(COLUMNS) + "\n"


def test_nd_coordinates_are_loaded_empty_and_bad_rows_rejected(tmp_path: Path) -> None:
    text = HEADER + "".join(
        [
            line("55208131766522", "651283.4", "6863962.1", "11", "48.873950", "2.331710"),
            line("84123456000016", ND, ND, ND, ND, ND),
            line("40912345200016", "1177550.2", "6105080.7", "33", "41.919229", "8.738635"),
            # a SIRET that lost its leading zero: padded, kept
            line("3123452000017", "842000.0", "6520000.0", "12", "45.767", "4.834"),
            line("552081317665220", "652000.0", "6862000.0", "11", "48.862", "2.34"),
            line("55208131700099", "n/a", "6862000.0", "11", "48.862", "2.34"),
        ]
    )
    record, lake, rejects = load_text(tmp_path, text)

    assert (record.rows_read, record.rows_loaded, record.rows_rejected) == (6, 4, 2)
    assert record.identifiers_padded == 1
    assert lake.select("siret", "qualite_xy", "y_latitude", "x_longitude", "epsg").rows() == [
        ("55208131766522", "11", 48.87395, 2.33171, 2154),
        ("84123456000016", ND, None, None, 2154),
        ("40912345200016", "33", 41.919229, 8.738635, 2154),
        ("03123452000017", "12", 45.767, 4.834, 2154),
    ]
    assert rejects.select("line", "reason").rows() == [
        (6, "siret: 552081317665220 is not a siret of 14 digits"),
        (7, "x: n/a is not a valid decimal"),
    ]
    # two rejects out of six: over the 1 % the guard allows, so the run would stop here
    assert not checks.reject_rate(COORDONNEES, record).passed


def test_a_file_of_masked_establishments_only_is_loaded(tmp_path: Path) -> None:
    text = HEADER + "".join(line(f"8412345600{n:04d}", ND, ND, ND, ND, ND) for n in range(30))
    record, lake, rejects = load_text(tmp_path, text)
    assert (record.rows_loaded, rejects.height) == (30, 0)
    assert lake["y_latitude"].null_count() == 30
    assert checks.reject_rate(COORDONNEES, record).passed


def test_missing_latitude_column_stops_the_load(tmp_path: Path) -> None:
    header = HEADER.replace("y_latitude", "latitude")
    text = header + line("55208131766522", "651283.4", "6863962.1", "11", "48.87", "2.33")
    with pytest.raises(ContractError, match=r"\['y_latitude'\] missing from the header") as e:
        load_text(tmp_path, text)
    assert MEMBER in str(e.value)


def test_generator_writes_insee_format(tmp_path: Path) -> None:
    generate_sirene(tmp_path, 400, 5)
    path = generate_geolocalisation(tmp_path, 400, 5)[COORDONNEES.file_name]
    assert path.read_bytes() == (
        generate_geolocalisation(tmp_path, 400, 5)[COORDONNEES.file_name].read_bytes()
    )
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == [MEMBER]
        text = archive.read(MEMBER).decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == ";".join(COLUMNS)
    assert text.endswith("\n") and '"' not in text
    planted = [str(PLANTED[key]["siret"]) for key in PLANTED_POINTS]
    assert [row.split(";")[0] for row in lines[1 : 1 + len(planted)]] == planted
    frame = pl.read_csv(io.StringIO(text), separator=";", infer_schema=False)
    assert 250 < frame.height < 400
    assert frame.filter(pl.col("x") == ND).height > 0
    assert set(frame["qualite_xy"]) >= {"11", "12", "33", ND}
    # mainland points: the WGS84 pair is the Lambert-93 one projected back
    mainland = frame.filter((pl.col("epsg") == "2154") & (pl.col("x") != ND)).slice(10, 50)
    x, y = pl.col("x").cast(pl.Float64), pl.col("y").cast(pl.Float64)
    lat, lon = _lambert93_to_wgs84(x, y)
    error = mainland.select(
        (lat - pl.col("y_latitude").cast(pl.Float64)).abs().max().alias("lat"),
        (lon - pl.col("x_longitude").cast(pl.Float64)).abs().max().alias("lon"),
    )
    assert max(error.row(0)) < 1e-5


def test_lambert93_inverse_on_a_known_point() -> None:
    # IGN's reference: the origin of Lambert-93 (700 000, 6 600 000) is 46°30' N, 3° E
    frame = pl.DataFrame({"x": [700_000.0], "y": [6_600_000.0]})
    lat, lon = _lambert93_to_wgs84(pl.col("x"), pl.col("y"))
    assert frame.select(lat, lon.alias("lon")).row(0) == pytest.approx((46.5, 3.0), abs=1e-7)
