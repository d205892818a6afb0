"""Index Egapro: the sample workbook, and workbooks the tests write, through the real landing
and load path (XLSX converted by sources/formats.py, then the generic reader)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import fastexcel
import polars as pl
import pytest
import xlsxwriter

from sources.config import Settings
from sources.contracts import ContractError
from sources.egapro.contract import INDEX, NOTES, SHEET
from sources.lake import LoadRecord, current_record, load
from sources.landing import land_file
from sources.sample.egapro import HEADER, PLANTED_EGAPRO, generate_egapro
from sources.sample.sirene import PLANTED, generate_sirene

REAL_HEADER = (
    "Année", "Structure", "Tranche d'effectifs", "SIREN", "Raison Sociale", "Nom UES",
    "Entreprises UES (SIREN)", "Région", "Département", "Pays", "Code NAF",
    "Note Ecart rémunération", "Note Ecart taux d'augmentation (hors promotion)",
    "Note Ecart taux de promotion", "Note Ecart taux d'augmentation",
    "Note Retour congé maternité", "Note Hautes rémunérations", "Note Index",
)  # fmt: skip
SIEGE = str(PLANTED["siege_actif"]["siren"])


def declaration(**values: object) -> dict[str, object]:
    """A declaration of the Paris head office for 2025, notes computed; ``values`` override."""
    row: dict[str, object] = {
        "Année": 2025,
        "Structure": "Entreprise",
        "Tranche d'effectifs": "50 à 250",
        "SIREN": SIEGE,
        "Raison Sociale": "NUMERIQUE CONSEIL PARIS",
        "Région": "Île-de-France",
        "Département": "Paris",
        "Pays": "FRANCE",
        "Code NAF": "62.01Z - Programmation informatique",
        "Note Ecart rémunération": 36,
        "Note Ecart taux d'augmentation": 35,
        "Note Retour congé maternité": 15,
        "Note Hautes rémunérations": 5,
        "Note Index": 91,
    }
    row.update(values)
    return row


def workbook(
    path: Path,
    rows: list[dict[str, object]],
    *,
    header: tuple[str, ...] = REAL_HEADER,
    sheet: str = SHEET,
    blank_rows_after: int = 0,
) -> Path:
    """An XLSX as the producer writes it: numbers as numbers, text as text, None left blank."""
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet(sheet)
    ws.write_row(0, 0, header)
    for number, values in enumerate(rows, start=1):
        for column, name in enumerate(header):
            value = values.get(name)
            if isinstance(value, int | float):
                ws.write_number(number, column, value)
            elif value is not None:
                ws.write_string(number, column, str(value))
    # formatted but empty rows below the data, as spreadsheets leave them
    blank = book.add_format({"bold": True})
    for number in range(len(rows) + 1, len(rows) + 1 + blank_rows_after):
        ws.write_blank(number, 0, None, blank)
    book.close()
    return path


def settings(tmp_path: Path) -> Settings:
    return Settings(warehouse=tmp_path / "warehouse", mirror="sample", as_of=date(2026, 12, 1))


def load_file(tmp_path: Path, path: Path, config: Settings | None = None) -> LoadRecord:
    config = config or settings(tmp_path)
    landed = land_file(
        config.warehouse,
        INDEX.source,
        path,
        origin=f"https://egapro.travail.gouv.fr/{INDEX.file_name}",
        file_name=INDEX.file_name,
    )
    record, loaded = load(config, INDEX, landed)
    assert loaded
    return record


def rejects(record: LoadRecord) -> list[tuple[int, str]]:
    frame = pl.read_parquet(record.rejects_path).sort("line")
    return list(zip(frame["line"], frame["reason"], strict=True))


def test_contract_reads_the_real_header_by_name() -> None:
    assert HEADER == REAL_HEADER
    assert tuple(c.name for c in INDEX.columns) == REAL_HEADER
    assert (INDEX.file_format, INDEX.sheet, INDEX.public) == ("xlsx", SHEET, True)
    assert INDEX.origin_url == "https://egapro.travail.gouv.fr/index-egalite-fh.xlsx"


def test_sample_workbook_is_the_real_format_and_deterministic(tmp_path: Path) -> None:
    digests = []
    for folder in ("a", "b"):
        generate_sirene(tmp_path / folder, etablissements=300, seed=5)
        written = generate_egapro(tmp_path / folder, etablissements=300, seed=5)
        digests.append(hashlib.sha256(written[INDEX.file_name].read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    path = tmp_path / "a" / INDEX.file_name
    reader = fastexcel.read_excel(str(path))
    assert reader.sheet_names == [SHEET]
    # typed as the producer types them: the year and notes numbers, the SIREN text, NC text
    typed = reader.load_sheet(SHEET).to_polars()
    assert typed.columns == list(REAL_HEADER)
    assert typed.schema["Année"] == pl.Float64
    assert typed.schema["SIREN"] == pl.String
    text = pl.read_excel(path, sheet_name=SHEET, engine="calamine", infer_schema_length=0)
    assert text.height > len(PLANTED_EGAPRO) + 10
    assert text.row(0, named=True)["SIREN"] == SIEGE  # planted rows first
    ues = text.filter(pl.col("Nom UES").is_not_null())["Entreprises UES (SIREN)"].to_list()
    assert ues and all(pl.Series(ues).str.contains(r"^.+ \(\d{9}\)(,.+ \(\d{9}\))*$"))
    notes = text.select(NOTES).unpivot()["value"].drop_nulls()
    assert notes.str.contains(r"^(NC|\d+)$").all() and (notes == "NC").any()


def test_good_workbook_loads_with_nc_kept_and_short_siren_padded(tmp_path: Path) -> None:
    rows = [
        declaration(),
        declaration(**{"Année": 2024, "Note Index": "NC", "Note Retour congé maternité": "NC"}),
        declaration(SIREN=3123452),  # a SIREN stored as a number: leading zeros lost
        declaration(**{"Raison Sociale": "NUMERIQUE\nCONSEIL PARIS"}),  # typed on two lines
    ]
    record = load_file(tmp_path, workbook(tmp_path / INDEX.file_name, rows, blank_rows_after=3))

    assert (record.rows_read, record.rows_loaded, record.rows_rejected) == (4, 4, 0)
    assert record.identifiers_padded == 1
    lake = pl.read_parquet(record.lake_path).sort("source_line")
    assert lake["source_line"].to_list() == [2, 3, 4, 5]  # the sheet's rows
    assert lake["Année"].to_list() == [2025, 2024, 2025, 2025]
    assert lake["SIREN"].to_list() == [SIEGE, SIEGE, "003123452", SIEGE]
    assert lake["Note Index"].to_list() == ["91", "NC", "91", "91"]
    assert lake["Note Ecart taux de promotion"].to_list() == [None] * 4  # not applicable
    assert lake["Raison Sociale"][3] == "NUMERIQUE CONSEIL PARIS"


def test_renamed_sheet_stops_the_load_naming_the_file_and_its_sheets(tmp_path: Path) -> None:
    config = settings(tmp_path)
    load_file(tmp_path, workbook(tmp_path / INDEX.file_name, [declaration()]), config)
    before = current_record(config, INDEX)
    (tmp_path / "renamed").mkdir()
    renamed = workbook(tmp_path / "renamed" / INDEX.file_name, [declaration()], sheet="Index")

    with pytest.raises(ContractError) as caught:
        load_file(tmp_path, renamed, config)

    message = str(caught.value)
    assert INDEX.file_name in message
    assert f"no sheet {SHEET!r}" in message and "['Index']" in message
    assert current_record(config, INDEX) == before  # the previous load stays


def test_added_column_is_tolerated_and_reported(tmp_path: Path) -> None:
    header = (*REAL_HEADER[:4], "Commentaire", *REAL_HEADER[4:], "Date de publication")
    rows = [declaration(Commentaire="RAS", **{"Date de publication": "2025-03-01"})]
    record = load_file(tmp_path, workbook(tmp_path / INDEX.file_name, rows, header=header))

    assert record.rows_loaded == 1
    assert record.columns_extra == ["Commentaire", "Date de publication"]
    assert "Commentaire" not in pl.read_parquet(record.lake_path).columns


def test_missing_note_column_stops_the_load(tmp_path: Path) -> None:
    header = tuple(h for h in REAL_HEADER if h != "Note Index")
    path = workbook(tmp_path / INDEX.file_name, [declaration()], header=header)

    with pytest.raises(ContractError, match=r"required column\(s\) \['Note Index'\] missing"):
        load_file(tmp_path, path)


def test_bad_values_are_rejected_with_their_reason(tmp_path: Path) -> None:
    rows = [
        declaration(),
        declaration(SIREN="55208131700"),  # eleven digits
        declaration(**{"Note Index": "N.C."}),
        declaration(**{"Note Ecart rémunération": 35.5}),
        declaration(**{"Année": "2025 (provisoire)"}),
        declaration(SIREN=None),
        {},  # an empty row between declarations
        declaration(**{"Année": 2024}),
    ]
    record = load_file(tmp_path, workbook(tmp_path / INDEX.file_name, rows))

    assert (record.rows_read, record.rows_loaded, record.rows_rejected) == (8, 2, 6)
    reasons = dict(rejects(record))
    assert reasons[3] == "SIREN: 55208131700 is not a siren of 9 digits"
    assert reasons[4] == "Note Index: neither a whole number of points nor NC"
    assert reasons[5] == "Note Ecart rémunération: neither a whole number of points nor NC"
    assert reasons[6] == "Année: 2025 (provisoire) is not a valid integer"
    assert reasons[7] == "SIREN: value missing"
    assert reasons[8] == "Année: value missing; SIREN: value missing"


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / INDEX.file_name
    path.write_text(";".join(REAL_HEADER) + "\n2025;Entreprise\n", encoding="utf-8")

    with pytest.raises(ContractError, match="not a readable XLSX workbook") as caught:
        load_file(tmp_path, path)
    assert INDEX.file_name in str(caught.value)
