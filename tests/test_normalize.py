"""The generic normalization on files the tests write: what is accepted, rejected or refused."""

import csv
import json
import logging
from pathlib import Path

import polars as pl
import pytest

from sources.contracts import ContractError
from sources.normalize import normalize_csv
from sources.sirene.contract import ETABLISSEMENTS, LIENS_SUCCESSION

GOOD = {
    "siren": "552081317",
    "nic": "00013",
    "siret": "55208131700013",
    "statutDiffusionEtablissement": "O",
    "dateCreationEtablissement": "1999-04-01",
    "trancheEffectifsEtablissement": "12",
    "dateDernierTraitementEtablissement": "2026-10-02T08:30:00",
    "etablissementSiege": "true",
    "libelleVoieEtablissement": "DE LA PAIX",
    "codePostalEtablissement": "75009",
    "codeCommuneEtablissement": "75109",
    "dateDebut": "2015-01-01",
    "etatAdministratifEtablissement": "A",
    "activitePrincipaleEtablissement": "62.01Z",
    "nomenclatureActivitePrincipaleEtablissement": "NAFRev2",
}


def row(**changes: str) -> dict[str, str]:
    return {**GOOD, **changes}


def write_csv(
    path: Path, rows: list[dict[str, str]], columns: list[str] | None = None, *, bom: bool = False
) -> Path:
    columns = list(columns or ETABLISSEMENTS.names)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for values in rows:
            writer.writerow([values.get(c, "") for c in columns])
    return path


def run(tmp_path: Path, csv_path: Path, contract=ETABLISSEMENTS):
    result = normalize_csv(
        contract,
        csv_path,
        lake_path=tmp_path / "lake" / "out.parquet",
        rejects_path=tmp_path / "rejects" / "out.parquet",
        file_label=csv_path.name,
        arrival_id="20261203T000000Z-00000000",
    )
    lake = pl.read_parquet(tmp_path / "lake" / "out.parquet")
    rejects = pl.read_parquet(tmp_path / "rejects" / "out.parquet")
    return result, lake, rejects


def test_types_identifiers_and_dates(tmp_path):
    result, lake, rejects = run(tmp_path, write_csv(tmp_path / "e.csv", [row()]))
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (1, 1, 0)
    first = lake.row(0, named=True)
    assert first["siren"] == "552081317" and first["nic"] == "00013"
    assert str(first["dateCreationEtablissement"]) == "1999-04-01"
    assert first["etablissementSiege"] is True
    assert lake.schema["dateDernierTraitementEtablissement"] == pl.Datetime("us")
    assert first["source_line"] == 2
    assert result.newest_data == "2026-10-02T08:30:00"
    assert rejects.height == 0


def test_missing_required_column_names_file_and_column(tmp_path):
    columns = [c for c in ETABLISSEMENTS.names if c != "codeCommuneEtablissement"]
    path = write_csv(tmp_path / "StockEtablissement_utf8.csv", [row()], columns)
    with pytest.raises(ContractError) as error:
        run(tmp_path, path)
    assert "StockEtablissement_utf8.csv" in str(error.value)
    assert "codeCommuneEtablissement" in str(error.value)
    assert not (tmp_path / "lake" / "out.parquet").exists()


def test_renamed_column_is_a_missing_column_with_a_hint(tmp_path):
    columns = ["SIRET" if c == "siret" else c for c in ETABLISSEMENTS.names]
    path = write_csv(tmp_path / "e.csv", [], columns)
    with pytest.raises(ContractError, match=r"'siret'.*found 'SIRET' instead"):
        run(tmp_path, path)


def test_extra_column_is_logged_and_ignored(tmp_path, caplog):
    columns = [*ETABLISSEMENTS.names, "nouvelleColonneInsee"]
    path = write_csv(tmp_path / "e.csv", [row(nouvelleColonneInsee="x")], columns)
    with caplog.at_level(logging.WARNING):
        result, lake, _ = run(tmp_path, path)
    assert result.columns_extra == ("nouvelleColonneInsee",)
    assert "nouvelleColonneInsee" not in lake.columns
    assert "nouvelleColonneInsee" in caplog.text


def test_missing_optional_column_is_added_empty(tmp_path):
    columns = [c for c in ETABLISSEMENTS.names if c != "activitePrincipaleNAF25Etablissement"]
    result, lake, _ = run(tmp_path, write_csv(tmp_path / "e.csv", [row()], columns))
    assert result.columns_missing == ("activitePrincipaleNAF25Etablissement",)
    assert lake["activitePrincipaleNAF25Etablissement"].to_list() == [None]


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes(b"")
    with pytest.raises(ContractError, match="e.csv: the file is empty"):
        run(tmp_path, path)


def test_header_only_is_refused(tmp_path):
    with pytest.raises(ContractError, match="header but no data rows"):
        run(tmp_path, write_csv(tmp_path / "e.csv", []))


def test_lost_leading_zeros_are_restored_and_counted(tmp_path):
    lost = row(siren="5420022", nic="13", siret="542002200013")
    result, lake, rejects = run(tmp_path, write_csv(tmp_path / "e.csv", [lost]))
    assert lake["siret"].to_list() == ["00542002200013"]
    assert lake["siren"].to_list() == ["005420022"]
    assert result.identifiers_padded == 1 and rejects.height == 0


def test_masked_values_stay_masked(tmp_path):
    masked = row(
        statutDiffusionEtablissement="P",
        libelleVoieEtablissement="[ND]",
        numeroVoieEtablissement="[ND]",
        coordonneeLambertAbscisseEtablissement="[ND]",
    )
    _, lake, rejects = run(tmp_path, write_csv(tmp_path / "e.csv", [masked]))
    first = lake.row(0, named=True)
    assert first["libelleVoieEtablissement"] == "[ND]"
    assert first["coordonneeLambertAbscisseEtablissement"] == "[ND]"
    assert first["codeCommuneEtablissement"] == "75109"
    assert rejects.height == 0


def test_escaped_comma_inside_a_quoted_value(tmp_path):
    path = write_csv(tmp_path / "e.csv", [row(libelleVoieEtablissement="DU PORT\\, QUAI NORD")])
    assert '"DU PORT\\, QUAI NORD"' in path.read_text()
    _, lake, _ = run(tmp_path, path)
    assert lake["libelleVoieEtablissement"].to_list() == ["DU PORT\\, QUAI NORD"]


def test_utf8_byte_order_mark(tmp_path):
    _, lake, _ = run(tmp_path, write_csv(tmp_path / "e.csv", [row()], bom=True))
    assert lake["siren"].to_list() == ["552081317"]


def test_bad_values_are_rejected_with_line_and_reason(tmp_path):
    rows = [
        row(),
        row(dateCreationEtablissement="2001-13-45"),
        row(siret="55208131700014"),
        row(siren="", nic="", siret="ABC"),
    ]
    result, lake, rejects = run(tmp_path, write_csv(tmp_path / "e.csv", rows))
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 1, 3)
    reasons = dict(zip(rejects["line"], rejects["reason"], strict=True))
    assert reasons[3] == "dateCreationEtablissement: 2001-13-45 is not a valid date"
    assert reasons[4] == "siret is not siren followed by nic"
    assert "siren: value missing" in reasons[5] and "siret: ABC is not a siret" in reasons[5]
    raw = json.loads(rejects.filter(pl.col("line") == 3)["raw"][0])
    assert raw["dateCreationEtablissement"] == "2001-13-45"
    assert set(rejects["file"]) == {"e.csv"}


def test_duplicated_rows_all_reach_the_lake(tmp_path):
    # Duplicates are resolved in dbt staging, where the kept line is chosen; see test_end_to_end.
    _, lake, _ = run(tmp_path, write_csv(tmp_path / "e.csv", [row(), row()]))
    assert lake["source_line"].to_list() == [2, 3]


def test_truncated_last_line_is_refused(tmp_path):
    path = write_csv(tmp_path / "e.csv", [row(), row()])
    content = path.read_bytes()
    path.write_bytes(content[: len(content) - 40])
    with pytest.raises(ContractError, match="truncated"):
        run(tmp_path, path)


def test_line_with_too_many_fields_is_named(tmp_path):
    path = write_csv(tmp_path / "e.csv", [row(), row()])
    lines = path.read_text().splitlines()
    lines[2] = lines[2] + ",surplus"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ContractError, match="line 3 has 55 fields, the header 54"):
        run(tmp_path, path)


def test_wrong_encoding_is_refused(tmp_path):
    path = write_csv(tmp_path / "e.csv", [row(libelleVoieEtablissement="DU CHÂTEAU")])
    path.write_bytes(path.read_bytes().replace("Â".encode(), "Â".encode("cp1252")))
    with pytest.raises(
        ContractError, match="e.csv: cannot be read as utf-8.*line 2 is not valid utf-8"
    ):
        run(tmp_path, path)


def test_wrong_separator_is_refused(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text(";".join(LIENS_SUCCESSION.names) + "\n1;2;3;4;5;6\n")
    with pytest.raises(ContractError, match="single column"):
        run(tmp_path, path, LIENS_SUCCESSION)


def test_failed_run_keeps_the_previous_lake_file(tmp_path):
    run(tmp_path, write_csv(tmp_path / "good.csv", [row()]))
    before = (tmp_path / "lake" / "out.parquet").read_bytes()
    with pytest.raises(ContractError):
        run(tmp_path, write_csv(tmp_path / "bad.csv", []))
    assert (tmp_path / "lake" / "out.parquet").read_bytes() == before
    assert [p.name for p in (tmp_path / "lake").iterdir()] == ["out.parquet"]


def test_file_cut_inside_its_last_value_is_refused_when_the_producer_ends_lines(tmp_path):
    path = write_csv(tmp_path / "e.csv", [row(), row(siren="552081318")])
    path.write_bytes(path.read_bytes()[:-3])  # the line end and two characters
    assert ETABLISSEMENTS.ends_with_newline
    with pytest.raises(ContractError, match="does not end with a line end"):
        run(tmp_path, path)
