"""The DSN list of collective agreements by SIRET, on files the tests write, through the real
landing-to-lake path; its sample generator; and the IDCC seed it is labelled with."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from sources.config import Settings
from sources.contracts import ContractError
from sources.conventions_collectives.contract import CONVENTIONS
from sources.lake import LoadRecord, load
from sources.landing import land_file
from sources.sample import PLANTED, generate_sirene
from sources.sample.conventions_collectives import (
    COMMON_IDCC,
    FILE_NAME,
    HEADER,
    PLANTED_ROWS,
    UNKNOWN_IDCC,
    generate_conventions_collectives,
    stock_etablissements,
)

SEED_CSV = (
    Path(__file__).resolve().parents[1] / "dbt_project/seeds/conventions_collectives_idcc.csv"
)


def settings(tmp_path: Path) -> Settings:
    return Settings(warehouse=tmp_path / "warehouse", mirror="sample", as_of=date(2026, 12, 1))


def load_text(tmp_path: Path, text: str) -> tuple[LoadRecord, pl.DataFrame, pl.DataFrame]:
    """Land ``text`` as the producer's file and load it; return the record, lake and rejects."""
    config = settings(tmp_path)
    incoming = tmp_path / "incoming" / FILE_NAME
    incoming.parent.mkdir(parents=True, exist_ok=True)
    incoming.write_text(text, encoding="utf-8", newline="")
    landed = land_file(
        config.warehouse,
        CONVENTIONS.source,
        incoming,
        origin=f"http://mirror.test/{FILE_NAME}",
        file_name=FILE_NAME,
    )
    record, loaded = load(config, CONVENTIONS, landed)
    assert loaded
    return record, pl.read_parquet(record.lake_path), pl.read_parquet(record.rejects_path)


def test_thirteen_digit_sirets_are_left_padded_and_counted(tmp_path):
    record, lake, rejects = load_text(
        tmp_path,
        f"{HEADER}\n"
        "2026-07,0312345200017,1518  ,2026/08/25\n"
        "2026-07,4041641210014,2614  ,2026/08/25\n"
        "2026-07,40416412100141,2614  ,2026/08/25\n",
    )
    assert (record.rows_read, record.rows_loaded, record.rows_rejected) == (3, 3, 0)
    assert record.identifiers_padded == 2
    assert lake["SIRET"].to_list() == ["00312345200017", "04041641210014", "40416412100141"]
    assert rejects.height == 0


def test_trailing_spaces_are_trimmed_and_9999_is_kept(tmp_path):
    record, lake, _ = load_text(
        tmp_path,
        f"{HEADER}\n2026-07,40416412100141,2614  ,2026/08/25\n2026-07,40416412100158,9999  ,"
        "2026/08/25\n",
    )
    assert lake["IDCC"].to_list() == ["2614", "9999"]
    assert lake["DATE_MAJ"].to_list() == [date(2026, 8, 25)] * 2
    assert record.newest_data == "2026-08-25"


def test_rows_that_break_a_rule_are_rejected_with_line_and_reason(tmp_path):
    record, lake, rejects = load_text(
        tmp_path,
        f"{HEADER}\n"
        "2026-07,40416412100141,2614  ,2026/08/25\n"
        "2026-07,40416412100141,N/A   ,2026/08/25\n"
        "2026-13,40416412100158,1486  ,2026/08/25\n"
        "2026-07,4041641210014X,1486  ,2026/08/25\n"
        "2026-07,40416412100166,1486  ,25/08/2026\n"
        "2026-07,40416412100174,12345 ,2026/08/25\n",
    )
    assert (record.rows_read, record.rows_loaded, record.rows_rejected) == (6, 1, 5)
    reasons = dict(zip(rejects["line"].to_list(), rejects["reason"].to_list(), strict=True))
    assert reasons == {
        3: "IDCC is not a number of 1 to 4 digits",
        4: "MOIS is not a month written YYYY-MM",
        5: "SIRET: 4041641210014X is not a siret of 14 digits",
        6: "DATE_MAJ: 25/08/2026 is not a valid date",
        7: "IDCC is not a number of 1 to 4 digits",
    }
    assert set(rejects["file"]) == {f"{FILE_NAME} ({record.arrival_id})"}
    assert lake["source_line"].to_list() == [2]


def test_a_renamed_column_stops_the_load_naming_file_and_column(tmp_path):
    with pytest.raises(ContractError) as caught:
        load_text(tmp_path, "MOIS,SIRET,CODE_IDCC,DATE_MAJ\n2026-07,40416412100141,2614,\n")
    message = str(caught.value)
    assert FILE_NAME in message and "['IDCC']" in message


def test_a_file_separated_by_semicolons_is_refused(tmp_path):
    with pytest.raises(ContractError, match="expected fields separated by ','"):
        load_text(tmp_path, "MOIS;SIRET;IDCC;DATE_MAJ\n2026-07;40416412100141;2614;2026/08/25\n")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("conventions")
    generate_sirene(folder, 400, 5)
    generate_conventions_collectives(folder, 400, 5)
    return folder


def test_generator_writes_the_real_format_planted_rows_first(sample, tmp_path):
    lines = (sample / FILE_NAME).read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0] == HEADER + "\n"
    assert all(line.endswith("\n") and "\r" not in line for line in lines)
    written = [line.rstrip("\n").split(",") for line in lines[1:]]
    assert [(m, s, i.rstrip()) for m, s, i, _ in written[: len(PLANTED_ROWS)]] == list(PLANTED_ROWS)
    assert all(re.fullmatch(r".{6}", idcc) for _, _, idcc, _ in written)  # "2614  "
    assert {d for *_, d in written} == {"2026/08/25"}
    assert len(written) > 150  # about 60 % of 400 establishments declare an agreement
    again = tmp_path / "again"
    generate_sirene(again, 400, 5)
    generate_conventions_collectives(again, 400, 5)
    assert (again / FILE_NAME).read_bytes() == (sample / FILE_NAME).read_bytes()


def test_generator_sirets_come_from_the_stock(sample):
    with open(sample / FILE_NAME, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[len(PLANTED_ROWS) :]
    known = set(stock_etablissements(sample, ["siret"])["siret"])
    assert {row["SIRET"].zfill(14) for row in rows} <= known
    assert not {row["SIRET"] for row in rows} & {str(p["siret"]) for p in PLANTED.values()}


def test_idcc_seed_labels_what_the_sample_draws():
    with open(SEED_CSV, encoding="utf-8", newline="") as handle:
        seed = {row["code_idcc"]: row for row in csv.DictReader(handle)}
    assert all(re.fullmatch(r"\d{4}", code) for code in seed)
    assert seed["9999"]["libelle_court_idcc"] == "Non déterminée"
    assert {code for code, _ in COMMON_IDCC} <= set(seed)
    assert UNKNOWN_IDCC not in seed
