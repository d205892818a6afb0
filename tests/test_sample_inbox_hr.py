"""The sample HR inbox: real formats, contract headers, planted rows, SIRETs from SIRENE."""

from __future__ import annotations

import csv
import inspect
import io
import re
import zipfile
from datetime import date
from fnmatch import fnmatch
from pathlib import Path

import polars as pl
import pytest

from sources import normalize
from sources.accidents_travail.contract import COMPTES
from sources.apprentissage.contract import CONTRATS
from sources.contracts import Contract, FileContext
from sources.daccord.contract import ACCORDS
from sources.dsn_effectifs.contract import EFFECTIFS, FILE_MONTH
from sources.iae.contract import AGREMENTS
from sources.sample import inbox_hr
from sources.sample.inbox_hr import (
    ABSENT_SIRET,
    AS_OF,
    PLANTED_DSN_RESENT,
    PLANTED_INBOX,
    dsn_file,
    dsn_resend_path,
    generate_hr,
    render,
    sipsi_header,
)
from sources.sample.sirene import PLANTED, generate_sirene
from sources.sipsi.contract import PAR_SIREN, PAR_SIRET

SIZE = 3000
SIEGE = "55208131766522"
FERME = "81234567600017"
CONTRACTS: dict[str, tuple[Contract, ...]] = {
    "daccord": (ACCORDS,),
    "dsn_effectifs": (EFFECTIFS,),
    "sipsi": (PAR_SIREN, PAR_SIRET),
    "apprentissage": (CONTRATS,),
    "accidents_travail": (COMPTES,),
    "iae": (AGREMENTS,),
}
BY_DATASET = {c.dataset: (source, c) for source, cs in CONTRACTS.items() for c in cs}
SIRET_COLUMN = {
    "daccord_accords": "siret",
    "dsn_effectifs": "SIRET",
    "sipsi_siret": "siret",
    "apprentissage_contrats": "Employeur Siret",
    "accidents_travail": "01_SIRET",
    "iae_agrements": "siret",
}


def contract_of(path: Path) -> Contract:
    """The contract whose file pattern the file's name matches, within its source folder."""
    matching = [c for c in CONTRACTS[path.parent.name] if fnmatch(path.name, str(c.file_pattern))]
    assert len(matching) == 1, path.name
    return matching[0]


def read(path: Path, contract: Contract) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a written file, as a CSV reader sees them (BOM removed)."""
    text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=contract.separator))
    return rows[0], rows[1:]


def written_text(dataset: str, row: dict[str, object]) -> list[str]:
    """A planted row as the file holds it once read back by a CSV reader."""
    source, contract = BY_DATASET[dataset]
    names = list(contract.names)
    if source == "sipsi":
        names = [names[0], "salaries_distincts_annee_precedente", "salaries_distincts_annee"]
    return [v or "" for v in render(contract, row, inbox_hr._STYLES[source], names)]


@pytest.fixture(scope="module")
def sirene_ids(tmp_path_factory) -> tuple[list[str], list[str]]:
    """SIRETs and SIRENs of a SIRENE sample, in file order."""
    out = tmp_path_factory.mktemp("sirene")
    generate_sirene(out, SIZE, seed=7)
    with zipfile.ZipFile(out / "StockEtablissement_utf8.zip") as archive:
        member = archive.read("StockEtablissement_utf8.csv")
    frame = pl.read_csv(member, infer_schema=False, columns=["siren", "siret"])
    return frame["siret"].to_list(), frame["siren"].unique(maintain_order=True).to_list()


@pytest.fixture(scope="module")
def inbox(tmp_path_factory, sirene_ids) -> tuple[Path, dict[str, list[Path]]]:
    sirets, sirens = sirene_ids
    root = tmp_path_factory.mktemp("inbox")
    return root, generate_hr(root, sirets, sirens, SIZE, seed=3)


def test_every_source_writes_its_files_under_its_folder(inbox):
    root, written = inbox
    assert set(written) == set(CONTRACTS)
    for source, paths in written.items():
        for path in paths:
            assert path.parent == root / source
            contract_of(path)
    dsn_months = [re.search(FILE_MONTH, p.name) for p in written["dsn_effectifs"]]
    assert [f"{m['month']}{m['year']}" for m in dsn_months if m][-2:] == ["102026", "112026"]
    assert len(dsn_months) == 24
    assert [p.name for p in written["sipsi"]] == [
        "ClientsPSI-Siren-2026-01122026.csv",
        "ClientsPSI-Siret-2026-01122026.csv",
    ]
    assert written["daccord"][0].name == "Daccord-Gestion-Extraction_20261201.csv"


def test_headers_are_the_contract_names(inbox):
    _, written = inbox
    for paths in written.values():
        for path in paths:
            contract = contract_of(path)
            header, rows = read(path, contract)
            assert rows
            if contract.source == "sipsi":
                assert header == sipsi_header(contract, 2026)
                assert header[1:] == ["salaries_distincts_2025", "salaries_distincts_2026"]
                ctx = FileContext(file_name=path.name, as_of=AS_OF)
                assert contract.header_alias is not None
                aliased = [contract.header_alias(name, ctx) for name in header]
                assert set(aliased) == set(contract.names)
            else:
                assert header == list(contract.names)
            assert all(len(row) == len(header) for row in rows)


def test_producers_habits(inbox):
    _, written = inbox
    first = {source: paths[-1].read_bytes() for source, paths in written.items()}
    with_bom = {s for s, data in first.items() if data.startswith(b"\xef\xbb\xbf")}
    assert with_bom == {"dsn_effectifs", "sipsi", "accidents_travail"}
    crlf = {s for s, data in first.items() if b"\r\n" in data}
    assert crlf == {"daccord"}
    assert first["daccord"].count(b"\r\n") == first["daccord"].count(b"\n")
    assert b';"55208131766522";"2026-03-12";"0";"1";"1";' in first["daccord"]
    assert b'"01/09/2026";"11";"075202609000001";"55208131766522";""' in first["apprentissage"]
    assert b'\n"55208131766522",3,5\n' in first["sipsi"]
    assert b'"' not in first["dsn_effectifs"] + first["accidents_travail"] + first["iae"]
    assert b"\n55208131766522;3;0;2;1;J;71,43;9,80;8,65\n" in first["accidents_travail"]
    assert b"\n55208131766522;False;False;False;True;False\n" in first["iae"]


def test_dsn_formats_and_lag(inbox):
    _, written = inbox
    lagging = 0
    halves = 0
    for path in written["dsn_effectifs"]:
        found = re.search(FILE_MONTH, path.name)
        assert found
        header, rows = read(path, EFFECTIFS)
        months = {row[0] for row in rows}
        assert len(months) == 1
        name_month = f"{found['year']}-{found['month']}"
        if months != {name_month}:
            lagging += 1
            year, month = int(found["year"]), int(found["month"])
            before = date(year - (month == 1), (month - 2) % 12 + 1, 1)
            assert months == {before.strftime("%Y-%m")}
        dates = {row[10] for row in rows}
        assert all(re.fullmatch(r"\d{4}/\d{2}/\d{2}", d) for d in dates)
        halves += sum(row[2].endswith(".5") for row in rows)
    assert lagging == len(inbox_hr.DSN_LAGGING)
    assert halves > 0


def test_planted_rows_are_written(inbox):
    root, written = inbox
    files = {
        "daccord_accords": written["daccord"],
        "dsn_effectifs": written["dsn_effectifs"],
        "sipsi_siren": written["sipsi"][:1],
        "sipsi_siret": written["sipsi"][1:],
        "apprentissage_contrats": written["apprentissage"],
        "accidents_travail": written["accidents_travail"],
        "iae_agrements": written["iae"],
    }
    for dataset, planted in PLANTED_INBOX.items():
        contract = BY_DATASET[dataset][1]
        rows = [row for path in files[dataset] for row in read(path, contract)[1]]
        for expected in planted:
            assert written_text(dataset, expected) in rows, (dataset, expected)


def test_planted_values(inbox):
    _, written = inbox
    assert PLANTED["siege_actif"]["siret"] == SIEGE
    accords = {r["num_dos"]: r for r in PLANTED_INBOX["daccord_accords"]}
    assert accords["T07526001234"]["dt_sign"] == date(2026, 3, 12)
    assert accords["T07526001234"]["groth2_02_remuneration"] == 1
    assert accords["T04421000317"]["siret"] == FERME
    assert accords["T04421000317"]["dt_sign"] == date(2021, 1, 15)
    dsn = [r for r in PLANTED_INBOX["dsn_effectifs"] if r["SIRET"] == SIEGE]
    assert [r["mois_fichier"] for r in dsn][-2:] == [date(2026, 10, 1), date(2026, 11, 1)]
    assert [r["EFF_TOTAL"] for r in dsn][-2:] == [40, 42]
    assert len(dsn) == 24
    assert PLANTED_INBOX["sipsi_siren"][0]["salaries_distincts_annee"] == 7
    assert PLANTED_INBOX["sipsi_siret"][0]["salaries_distincts_annee"] == 5
    numbers = [r["NumeroEnregistrement"] for r in PLANTED_INBOX["apprentissage_contrats"]]
    assert numbers[:2] == ["075202609000001", "075202610000002"]
    accidents = PLANTED_INBOX["accidents_travail"][0]
    assert (accidents["02_nb_at_total"], accidents["03_nb_at_mortels"]) == (3, 0)
    assert accidents["04_nb_at_avec_arret_travail"] == 2
    assert PLANTED_INBOX["iae_agrements"][0]["kind_ei"] is True
    # The closed établissement has no activity but its old agreement.
    for paths in written.values():
        for path in paths:
            contract = contract_of(path)
            count = path.read_text(encoding="utf-8").count(FERME)
            assert count == (1 if contract is ACCORDS else 0), path.name


def test_sirets_come_mostly_from_sirene(inbox, sirene_ids):
    _, written = inbox
    known = set(sirene_ids[0])
    sirens = set(sirene_ids[1])
    dsn_absent = 0
    for paths in written.values():
        for path in paths:
            contract = contract_of(path)
            header, rows = read(path, contract)
            column = header.index(SIRET_COLUMN.get(contract.dataset, header[0]))
            values = [row[column] for row in rows]
            reference = sirens if contract is PAR_SIREN else known
            inside = sum(v in reference for v in values)
            assert inside >= 0.95 * len(values) - 1, path.name  # the planted absent one
            absent = [v for v in values if v not in reference and v.isdigit()]
            if contract is PAR_SIREN:
                continue
            absent_planted = values.count(ABSENT_SIRET)
            if contract is EFFECTIFS:
                dsn_absent += absent_planted
            else:
                assert absent_planted == 1, path.name
            if len(values) >= 200:
                assert len(absent) > absent_planted, path.name
    assert dsn_absent == 1


def test_broken_rows_are_few_and_present(inbox):
    _, written = inbox
    kinds: set[str] = set()
    for paths in written.values():
        for path in paths:
            contract = contract_of(path)
            header, rows = read(path, contract)
            column = header.index(SIRET_COLUMN.get(contract.dataset, header[0]))
            width = 9 if contract is PAR_SIREN else 14
            broken = 0
            for row in rows:
                value = row[column]
                if " " in value:
                    kinds.add("spaces")
                elif len(value) == width - 1:
                    kinds.add("zero")
                elif any("&#" in v for v in row):
                    kinds.add("html")
                elif any(v.endswith(("02-30", "/02/30")) or "30/02/" in v for v in row):
                    kinds.add("date")
                else:
                    continue
                broken += 1
            assert broken <= len(rows) // 200 + 1, path.name
            duplicates = len(rows) - len({tuple(row) for row in rows})
            if duplicates:
                kinds.add("duplicate")
    assert kinds == {"spaces", "zero", "html", "date", "duplicate"}


def test_same_seed_same_bytes_other_seed_other_rows(tmp_path, sirene_ids):
    sirets, sirens = sirene_ids
    first = generate_hr(tmp_path / "a", sirets, sirens, 400, seed=11)
    again = generate_hr(tmp_path / "b", sirets, sirens, 400, seed=11)
    other = generate_hr(tmp_path / "c", sirets, sirens, 400, seed=12)
    for source in first:
        for one, two, three in zip(first[source], again[source], other[source], strict=True):
            assert one.read_bytes() == two.read_bytes()
            assert one.read_bytes() != three.read_bytes()


def test_tiny_sample_still_has_a_few_rows(tmp_path):
    sirets = [str(record["siret"]) for record in PLANTED.values()] + ["12345678900017"]
    written = generate_hr(tmp_path, sirets, [s[:9] for s in sirets], 12, seed=1)
    for paths in written.values():
        for path in paths:
            _, rows = read(path, contract_of(path))
            assert len(rows) >= 2, path.name


def test_dsn_resend_and_replacement(inbox, tmp_path):
    root, _ = inbox
    resend = dsn_resend_path(root)
    assert resend.name == "TRANS-SISSMO-effectifs_102026.csv"
    assert resend.parent == root / "dsn_effectifs" / inbox_hr.DSN_RESEND_DIR
    _, first = read(root / "dsn_effectifs" / resend.name, EFFECTIFS)
    _, later = read(resend, EFFECTIFS)
    assert [r[2] for r in first if r[1] == SIEGE] == ["40"]
    assert [r[2] for r in later if r[1] == SIEGE] == ["41"]
    assert {r[10] for r in later} <= {"2026/11/20", "2025/02/30"}
    assert abs(len(later) - len(first)) <= len(first) // 100 + 1
    assert PLANTED_DSN_RESENT["EFF_TOTAL"] == 41
    path = dsn_file(tmp_path, date(2026, 10, 1), [PLANTED_DSN_RESENT])
    assert path == tmp_path / "dsn_effectifs" / "TRANS-SISSMO-effectifs_102026.csv"
    header, rows = read(path, EFFECTIFS)
    assert header == list(EFFECTIFS.names)
    assert rows == [written_text("dsn_effectifs", PLANTED_DSN_RESENT)]


def _normalize_reads_internal_files() -> bool:
    """Whether normalize_csv knows what these contracts use (derived columns, aliases...)."""
    text = inspect.getsource(normalize)
    return all(word in text for word in ("derive", "header_alias", "decode_html", "formats"))


@pytest.mark.skipif(
    not _normalize_reads_internal_files(),
    reason="normalize_csv does not read internal contracts yet (derive, header_alias, ...)",
)
def test_files_load_with_normalize_csv(inbox, tmp_path):
    _, written = inbox
    with_context = "context" in inspect.signature(normalize.normalize_csv).parameters
    for paths in written.values():
        for path in paths:
            contract = contract_of(path)
            context = FileContext(file_name=path.name, as_of=AS_OF)
            extra = {"context": context} if with_context else {}
            result = normalize.normalize_csv(
                contract,
                path,
                lake_path=tmp_path / "lake" / f"{path.stem}.parquet",
                rejects_path=tmp_path / "rejects" / f"{path.stem}.parquet",
                file_label=path.name,
                arrival_id="test",
                **extra,
            )
            assert result.rows_rejected <= result.rows_read // 200 + 1, path.name
            lake = pl.read_parquet(tmp_path / "lake" / f"{path.stem}.parquet")
            if contract is PAR_SIREN:
                assert "552081317" in lake["client_siren"].to_list()
            else:
                assert SIEGE in lake[SIRET_COLUMN[contract.dataset]].to_list(), path.name
    latest = pl.read_parquet(tmp_path / "lake" / "TRANS-SISSMO-effectifs_112026.parquet")
    siege = latest.filter(pl.col("SIRET") == SIEGE).to_dicts()
    assert [(r["mois_fichier"], r["EFF_TOTAL"]) for r in siege] == [(date(2026, 11, 1), 42)]
    sipsi = pl.read_parquet(tmp_path / "lake" / "ClientsPSI-Siret-2026-01122026.parquet")
    siege = sipsi.filter(pl.col("siret") == SIEGE).to_dicts()
    assert [(r["annee"], r["salaries_distincts_annee"]) for r in siege] == [(2026, 5)]
