"""BODACC announcements on files the tests write: the SIREN in `registre`, the judgement's dates
in their three forms, garbled text repaired or kept, rejects with their reason, the load's
outcome, and the sample generator."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipelines import checks
from sources.bodacc.contract import ANNONCES, jugement_date_text, siren_of_registre
from sources.config import Settings
from sources.contracts import ContractError
from sources.lake import load
from sources.landing import land_file
from sources.sample.bodacc import COLUMNS, FILE_NAME, generate_bodacc, planted_announcements
from sources.sample.sirene import PLANTED, generate_sirene


def garbled(text: str) -> str:
    return text.encode("utf-8").decode("cp1252")


def announcement(number: int, registre: str, date_text: str, nature: str, **rest: str) -> dict:
    jugement = {
        "type": "initial",
        "famille": "Jugement d'ouverture",
        "nature": nature,
        "date": date_text,
        "complementJugement": rest.pop("complement", nature),
    }
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        id=f"A2026000{number:04d}",
        publicationavis="A",
        dateparution="2026-03-20",
        typeavis="annonce",
        familleavis="collective",
        tribunal="Tribunal de commerce de Lyon",
        commercant=f"SOCIETE {number}",
        registre=registre,
        jugement=json.dumps(jugement, ensure_ascii=False),
    )
    row.update(rest)
    return row


def write(path: Path, rows: list[dict], columns: tuple[str, ...] = COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([row.get(c, "") for c in columns] for row in rows)
    return path


def settings_for(tmp_path: Path) -> Settings:
    return Settings(warehouse=tmp_path / "warehouse", mirror="sample", as_of=date(2026, 12, 1))


def load_file(tmp_path: Path, path: Path):
    settings = settings_for(tmp_path)
    landed = land_file(
        settings.warehouse,
        "bodacc",
        path,
        origin=f"https://example.org/{FILE_NAME}",
        file_name=FILE_NAME,
    )
    record, loaded = load(settings, ANNONCES, landed)
    assert loaded
    lake = pl.read_parquet(record.lake_path)
    rejects = pl.read_parquet(record.rejects_path)
    return record, lake, rejects


REDRESSEMENT = "Jugement d'ouverture d'une procédure de redressement judiciaire"


def test_mojibake_three_date_formats_and_rejects(tmp_path: Path) -> None:
    rows = [
        # spaced and unspaced, ISO date
        announcement(1, "552 081 317,552081317", "2026-03-12", REDRESSEMENT),
        # unspaced only, day first
        announcement(2, "812345676", "05/03/2026", REDRESSEMENT),
        # garbled once, French long date with "1er" and an accented month
        announcement(
            3,
            "409 123 452",
            garbled("1er février 2026"),
            garbled(REDRESSEMENT),
            commercant=garbled("HÔTEL DU GOLFE"),
        ),
        # garbled beyond repair (a byte lost): kept as it came
        announcement(4, "387561236", "15 octobre 2026", "Jugement de liquidation Ã? Paris"),
        # no SIREN in registre
        announcement(5, "", "2026-03-12", REDRESSEMENT),
        # a date in none of the three forms
        announcement(6, "498123454", "31 brumaire 2026", REDRESSEMENT),
        # jugement cut short
        {**announcement(7, "498123454", "2026-03-12", REDRESSEMENT), "jugement": '{"nat'},
    ]
    record, lake, rejects = load_file(tmp_path, write(tmp_path / FILE_NAME, rows))

    assert (record.rows_read, record.rows_loaded, record.rows_rejected) == (7, 4, 3)
    assert rejects.select("line", "reason").rows() == [
        (
            6,
            "registre holds no 9-digit SIREN (spaced or not): the announcement cannot be tied "
            "to a company",
        ),
        (7, "date_jugement: 31 brumaire 2026 is not a valid date"),
        (8, "jugement is not a valid JSON document"),
    ]
    assert json.loads(rejects["raw"][0])["id"] == "A20260000005"
    got = lake.select("siren", "date_jugement", "nature_jugement", "commercant").rows()
    assert got == [
        ("552081317", date(2026, 3, 12), REDRESSEMENT, "SOCIETE 1"),
        ("812345676", date(2026, 3, 5), REDRESSEMENT, "SOCIETE 2"),
        ("409123452", date(2026, 2, 1), REDRESSEMENT, "HÔTEL DU GOLFE"),
        ("387561236", date(2026, 10, 15), "Jugement de liquidation Ã? Paris", "SOCIETE 4"),
    ]
    # three rejects of seven rows: over the 5 % the guard allows, so the run would stop here
    result = checks.reject_rate(ANNONCES, record)
    assert not result.passed
    assert "3 of 7 rows rejected" in str(result.description)


def test_a_clean_file_passes_the_guard(tmp_path: Path) -> None:
    rows = [announcement(n, f"{n:09d}", "2026-03-12", REDRESSEMENT) for n in range(1, 40)]
    record, lake, rejects = load_file(tmp_path, write(tmp_path / FILE_NAME, rows))
    assert (record.rows_loaded, rejects.height) == (39, 0)
    assert checks.reject_rate(ANNONCES, record).passed
    assert record.newest_data == "2026-03-20"


def test_missing_jugement_column_stops_the_load_naming_it(tmp_path: Path) -> None:
    columns = tuple(c for c in COLUMNS if c != "jugement")
    path = write(tmp_path / FILE_NAME, [announcement(1, "552081317", "", "")], columns)
    with pytest.raises(ContractError, match=r"required column\(s\) \['jugement'\] missing") as e:
        load_file(tmp_path, path)
    assert FILE_NAME in str(e.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-12", "2026-03-12"),
        ("2026-03-12T00:00:00", "2026-03-12"),
        ("12/03/2026", "2026-03-12"),
        ("2/3/2026", "2026-03-02"),
        ("12 mars 2026", "2026-03-12"),
        ("1er Décembre 2025", "2025-12-01"),
        ("3 aout 2024", "2024-08-03"),
        ("31 brumaire 2026", "31 brumaire 2026"),
        (None, None),
    ],
)
def test_judgement_dates_in_every_form(text: str | None, expected: str | None) -> None:
    frame = pl.DataFrame({"d": [text]}, schema={"d": pl.String})
    assert frame.select(jugement_date_text(pl.col("d")))["d"][0] == expected


@pytest.mark.parametrize(
    ("registre", "expected"),
    [
        ("833 310 592,833310592", "833310592"),
        ("833310592", "833310592"),
        ("833\u00a0310\u00a0592", "833310592"),
        ("323623603 R.C.S. Pontoise", "323623603"),
        ("RCS 1 2 3 4 5 6 7 8 9", "123456789"),
        ("12345678901234", None),  # a SIRET is not a SIREN
        ("", None),
    ],
)
def test_siren_found_in_registre(registre: str, expected: str | None) -> None:
    frame = pl.DataFrame({"registre": [registre]})
    assert frame.select(siren_of_registre())["registre"][0] == expected


def test_generator_writes_the_export_format(tmp_path: Path) -> None:
    generate_sirene(tmp_path, 300, 3)
    written = generate_bodacc(tmp_path, 300, 3)
    data = written[FILE_NAME].read_bytes()
    assert data == generate_bodacc(tmp_path, 300, 3)[FILE_NAME].read_bytes()
    assert data.endswith(b"\r\n") and not data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=";"))
    assert tuple(rows[0]) == COLUMNS
    assert {c.name for c in ANNONCES.columns if c.derive is None} == set(COLUMNS)
    planted = planted_announcements()
    assert [r["id"] for r in rows[: len(planted)]] == [p["id"] for p in planted]
    assert rows[0]["registre"] == f"498 123 454,{PLANTED['ul_cessee']['siren']}"
    # every nested part is a JSON document, except the one planted cut short
    broken = [r["id"] for r in rows if r["jugement"] and not _is_json(r["jugement"])]
    assert broken == [planted[-1]["id"]]
    assert all(_is_json(r["listepersonnes"]) for r in rows)
    assert len(rows) > len(planted) + 50
    assert {r["familleavis"] for r in rows} == {"collective", "creation"}


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
