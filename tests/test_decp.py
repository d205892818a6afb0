"""DECP (public procurement): the sample Parquet file, and Parquet files the tests write,
through the real landing and load path (streamed to CSV by sources/formats.py, then the
generic reader)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import polars as pl
import pytest

from sources.config import Settings
from sources.contracts import ContractError
from sources.decp.contract import MARCHES
from sources.lake import LoadRecord, current_record, load
from sources.landing import land_file
from sources.sample.decp import SCHEMA, generate_decp, planted_rows
from sources.sample.sirene import PLANTED, generate_sirene

# The columns of decp-processing's reference/schema_base.json, in its order.
REAL_COLUMNS = (
    "uid", "id", "nature", "acheteur_id", "acheteur_nom", "titulaire_id",
    "titulaire_typeIdentifiant", "titulaire_nom", "objet", "montant", "type", "codeCPV",
    "procedure", "techniques", "dureeMois", "dureeRestanteMois", "offresRecues",
    "dateNotification", "datePublicationDonnees", "formePrix", "typesPrix", "attributionAvance",
    "tauxAvance", "marcheInnovant", "modalitesExecution", "considerationsSociales",
    "considerationsEnvironnementales", "ccag", "sousTraitanceDeclaree",
    "typeGroupementOperateurs", "origineUE", "origineFrance", "lieuExecution_code",
    "lieuExecution_typeCode", "idAccordCadre", "titulaire_distance", "acheteur_commune_code",
    "acheteur_commune_nom", "acheteur_departement_code", "acheteur_departement_nom",
    "acheteur_region_code", "acheteur_region_nom", "acheteur_latitude", "acheteur_longitude",
    "titulaire_categorie", "titulaire_commune_code", "titulaire_commune_nom",
    "titulaire_departement_code", "titulaire_departement_nom", "titulaire_region_code",
    "titulaire_region_nom", "titulaire_latitude", "titulaire_longitude", "modification_id",
    "donneesActuelles", "sourceDataset", "sourceFile",
)  # fmt: skip
SIEGE = str(PLANTED["siege_actif"]["siret"])


def frame(rows: list[dict[str, object]] | None = None) -> pl.DataFrame:
    """Rows typed as the producer types them (the planted sample rows by default)."""
    return pl.DataFrame(rows or planted_rows(), schema=SCHEMA, orient="row")


def settings(tmp_path: Path) -> Settings:
    return Settings(warehouse=tmp_path / "warehouse", mirror="sample", as_of=dt.date(2026, 12, 1))


def load_file(tmp_path: Path, path: Path, config: Settings | None = None) -> LoadRecord:
    config = config or settings(tmp_path)
    landed = land_file(
        config.warehouse,
        MARCHES.source,
        path,
        origin=f"https://www.data.gouv.fr/datasets/r/x/{MARCHES.file_name}",
        file_name=MARCHES.file_name,
    )
    record, loaded = load(config, MARCHES, landed)
    assert loaded
    return record


def write(tmp_path: Path, data: pl.DataFrame, folder: str = "in") -> Path:
    path = tmp_path / folder / MARCHES.file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    data.write_parquet(path)
    return path


def test_contract_reads_the_real_columns_by_name() -> None:
    assert tuple(c.name for c in MARCHES.columns) == REAL_COLUMNS
    assert (MARCHES.file_format, MARCHES.file_name, MARCHES.public) == (
        "parquet",
        "decp.parquet",
        True,
    )


def test_sample_file_is_typed_like_the_real_one_and_deterministic(tmp_path: Path) -> None:
    digests = []
    for folder in ("a", "b"):
        generate_sirene(tmp_path / folder, etablissements=300, seed=5)
        written = generate_decp(tmp_path / folder, etablissements=300, seed=5)
        digests.append(hashlib.sha256(written[MARCHES.file_name].read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    sample = pl.read_parquet(tmp_path / "a" / MARCHES.file_name)
    assert tuple(sample.columns) == REAL_COLUMNS
    assert sample.schema["montant"] == pl.Float64
    assert sample.schema["dateNotification"] == pl.Date
    assert sample.schema["donneesActuelles"] == pl.Boolean
    assert sample.schema["modification_id"] == pl.Int64
    assert sample["titulaire_id"][0] == SIEGE  # planted rows first
    assert sample.height > len(planted_rows()) + 20
    kinds = set(sample["titulaire_typeIdentifiant"].to_list())
    assert kinds == {"SIRET", "TVA"}
    assert (sample["nature"] == "Accord-cadre").any()
    assert (sample["techniques"] == "Accord-cadre").any()
    assert (sample["modification_id"] == 1).any()


def test_good_file_loads_every_holder_whatever_its_identifier(tmp_path: Path) -> None:
    record = load_file(tmp_path, write(tmp_path, frame()))

    assert (record.rows_read, record.rows_loaded, record.rows_rejected) == (11, 10, 1)
    assert record.newest_data == "2026-02-22"
    # the row without a holder, by its record number (the first record is line 2)
    rejected = pl.read_parquet(record.rejects_path)
    assert rejected.select("line", "reason").rows() == [(12, "titulaire_id: value missing")]
    lake = pl.read_parquet(record.lake_path)
    holders = dict(zip(lake["titulaire_id"], lake["titulaire_typeIdentifiant"], strict=False))
    assert holders["BE0531239879"] == "TVA"  # a VAT number: kept as it came
    assert holders["0312345200017"] == "SIRET"  # 13 digits: kept as it came, never padded
    assert "793 456 120 00013" in holders
    first = lake.filter(pl.col("source_line") == 2).row(0, named=True)
    assert first["montant"] == 120_000.0
    assert first["dateNotification"] == dt.date(2025, 3, 10)
    assert first["donneesActuelles"] is False and first["modification_id"] == 0


def test_nested_columns_become_text_one_line_per_record(tmp_path: Path) -> None:
    data = frame().with_columns(
        pl.col("titulaire_id").fill_null(SIEGE),
        pl.lit("Travaux\nde voirie\r\nlot 2").alias("objet"),
        pl.lit(["Clause sociale", "Critère social"]).alias("considerationsSociales"),
    )
    record = load_file(tmp_path, write(tmp_path, data))

    assert record.rows_rejected == 0 and record.rows_loaded == data.height
    lake = pl.read_parquet(record.lake_path).sort("source_line")
    assert lake["source_line"].to_list() == list(range(2, data.height + 2))
    assert set(lake["objet"]) == {"Travaux de voirie lot 2"}
    assert set(lake["considerationsSociales"]) == {"Clause sociale, Critère social"}


def test_a_timestamp_where_a_date_is_declared_is_rejected_by_row(tmp_path: Path) -> None:
    data = frame().with_columns(
        pl.col("titulaire_id").fill_null(SIEGE),
        pl.lit(dt.datetime(2025, 3, 10, 14, 30)).alias("dateNotification"),
    )
    record = load_file(tmp_path, write(tmp_path, data))

    assert record.rows_rejected == data.height
    reasons = set(pl.read_parquet(record.rejects_path)["reason"])
    assert reasons == {"dateNotification: 2025-03-10T14:30:00 is not a valid date"}


def test_missing_required_column_stops_the_load_and_keeps_the_lake(tmp_path: Path) -> None:
    config = settings(tmp_path)
    load_file(tmp_path, write(tmp_path, frame()), config)
    before = current_record(config, MARCHES)

    with pytest.raises(ContractError) as caught:
        load_file(tmp_path, write(tmp_path, frame().drop("montant"), "v2"), config)

    message = str(caught.value)
    assert MARCHES.file_name in message
    assert "required column(s) ['montant'] missing" in message
    assert current_record(config, MARCHES) == before


def test_missing_optional_column_loads_empty(tmp_path: Path) -> None:
    record = load_file(tmp_path, write(tmp_path, frame().drop("titulaire_latitude", "ccag")))

    assert record.columns_missing == ["ccag", "titulaire_latitude"]
    assert pl.read_parquet(record.lake_path)["ccag"].null_count() == record.rows_loaded


def test_truncated_and_empty_files_are_refused(tmp_path: Path) -> None:
    good = write(tmp_path, frame()).read_bytes()
    cases = {
        "cut": (good[: len(good) // 2], "not a readable Parquet file"),
        "empty": (b"", "not a readable Parquet file"),
        "no rows": (None, "has a header but no data rows"),
    }
    for name, (data, expected) in cases.items():
        path = tmp_path / name / MARCHES.file_name
        path.parent.mkdir()
        if data is None:
            frame().clear().write_parquet(path)
        else:
            path.write_bytes(data)
        with pytest.raises(ContractError, match=expected) as caught:
            load_file(tmp_path, path)
        assert MARCHES.file_name in str(caught.value), name
