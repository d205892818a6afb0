"""The DGEFP public list of training organisations, on files the tests write, through the real
landing-to-lake path; and its sample generator."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from sources.config import Settings
from sources.contracts import ContractError
from sources.lake import LoadRecord, load
from sources.landing import land_file
from sources.organismes_formation.contract import HEADER, ORGANISMES
from sources.sample import PLANTED, generate_sirene
from sources.sample.conventions_collectives import stock_etablissements
from sources.sample.organismes_formation import (
    FILE_NAME,
    generate_organismes_formation,
    planted_rows,
)

NDA = "Numéro Déclaration Activité"
DATE = "Date dernière déclaration"


def write(rows: list[dict[str, str]], header: tuple[str, ...] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(header)
    writer.writerows([row.get(name, "") for name in header] for row in rows)
    return out.getvalue()


def good(**changes: str) -> dict[str, str]:
    return {**planted_rows()[0], **changes}


def load_text(tmp_path: Path, text: str) -> tuple[LoadRecord, pl.DataFrame, pl.DataFrame]:
    """Land ``text`` as the producer's file and load it; return the record, lake and rejects."""
    config = Settings(warehouse=tmp_path / "warehouse", mirror="sample", as_of=date(2026, 12, 1))
    incoming = tmp_path / "incoming" / FILE_NAME
    incoming.parent.mkdir(parents=True, exist_ok=True)
    incoming.write_text(text, encoding="utf-8", newline="")
    landed = land_file(
        config.warehouse,
        ORGANISMES.source,
        incoming,
        origin=f"http://mirror.test/{FILE_NAME}",
        file_name=FILE_NAME,
    )
    record, loaded = load(config, ORGANISMES, landed)
    assert loaded
    return record, pl.read_parquet(record.lake_path), pl.read_parquet(record.rejects_path)


def test_a_declaration_loads_typed(tmp_path):
    record, lake, rejects = load_text(tmp_path, write([good()]))
    assert (record.rows_read, record.rows_loaded, rejects.height) == (1, 1, 0)
    row = lake.row(0, named=True)
    assert row[NDA] == "11755555575"
    assert row["Siret Etablissement Déclarant"] == PLANTED["siege_actif"]["siret"]
    assert (row["Actions de formations"], row["VAE"]) == (True, False)
    assert row[DATE] == date(2026, 4, 28)
    assert (row["Nombre de stagiaires"], row["Effectifs de formateurs"]) == (148, 6)
    assert row["Certifications"] == "Actions de formation"
    assert record.newest_data == "2026-04-28"


def test_day_first_dates_load_and_impossible_ones_are_rejected(tmp_path):
    rows = [
        good(**{NDA: "11755555501", DATE: "28/04/2026"}),
        good(**{NDA: "11755555502", DATE: "31/02/2026"}),
        good(**{NDA: "11755555503", "Nombre de stagiaires": "beaucoup"}),
        good(**{NDA: "", "Code SIREN": "55208131"}),
    ]
    record, lake, rejects = load_text(tmp_path, write(rows))
    assert (record.rows_loaded, record.rows_rejected, record.identifiers_padded) == (1, 3, 1)
    assert lake[DATE].to_list() == [date(2026, 4, 28)]
    reasons = dict(zip(rejects["line"].to_list(), rejects["reason"].to_list(), strict=True))
    assert reasons == {
        3: f"{DATE}: 31/02/2026 is not a valid date",
        4: "Nombre de stagiaires: beaucoup is not a valid integer",
        5: f"{NDA}: value missing",
    }


def test_a_column_added_at_the_end_is_ignored_and_reported(tmp_path):
    record, lake, _ = load_text(tmp_path, write([good()], (*HEADER, "Nouvelle colonne")))
    assert record.rows_loaded == 1
    assert record.columns_extra == ["Nouvelle colonne"]
    assert "Nouvelle colonne" not in lake.columns


def test_a_renamed_required_column_stops_the_load_naming_it(tmp_path):
    header = tuple("Code Siren" if name == "Code SIREN" else name for name in HEADER)
    with pytest.raises(ContractError) as caught:
        load_text(tmp_path, write([good()], header))
    message = str(caught.value)
    assert FILE_NAME in message
    assert "['Code SIREN']" in message and "found 'Code Siren' instead of 'Code SIREN'?" in message


def test_a_comma_separated_export_is_refused(tmp_path):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([HEADER, [good()[n] for n in HEADER]])
    with pytest.raises(ContractError, match="expected fields separated by ';'"):
        load_text(tmp_path, out.getvalue())


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("organismes")
    generate_sirene(folder, 600, 9)
    generate_organismes_formation(folder, 600, 9)
    return folder


def test_generator_writes_the_real_header_and_planted_rows_first(sample, tmp_path):
    text = (sample / FILE_NAME).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert text.splitlines()[0] == ";".join(HEADER)
    assert [row[NDA] for row in rows[:3]] == [row[NDA] for row in planted_rows()]
    assert len({row[NDA] for row in rows}) == len(rows)
    drawn = rows[3:]
    assert len(drawn) > 10
    assert {row["Siret Etablissement Déclarant"] for row in drawn} <= set(
        stock_etablissements(sample, ["siret"])["siret"]
    )
    certified = [row for row in drawn if row["Certifications"]]
    assert 0 < len(certified) < len(drawn)
    assert all(row["Actions de formations"] in ("true", "false") for row in drawn)
    again = tmp_path / "again"
    generate_sirene(again, 600, 9)
    generate_organismes_formation(again, 600, 9)
    assert (again / FILE_NAME).read_bytes() == (sample / FILE_NAME).read_bytes()


def test_generator_sample_loads_with_only_the_planted_reject(sample, tmp_path):
    record, _, rejects = load_text(tmp_path, (sample / FILE_NAME).read_text(encoding="utf-8"))
    assert rejects["line"].to_list() == [4]
    assert record.rows_rejected / record.rows_read <= ORGANISMES.guards.max_reject_ratio
