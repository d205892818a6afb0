"""The sample inbox of the control services: contract headers and names, planted rows, traps."""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import unicodedata
import zipfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from sources.apart.contract import CONVENTIONS as APART
from sources.contracts import Contract
from sources.eos.contract import VISITES as EOS
from sources.normalize import NormalizeResult, normalize_csv
from sources.rupco.contract import ETABLISSEMENTS as RUPCO_ETABLISSEMENTS
from sources.rupco.contract import PROCEDURES as RUPCO_PROCEDURES
from sources.sample.inbox_controls import (
    ABSENT,
    CORSE,
    FERME,
    OUTRE_MER,
    PLANTED_INBOX,
    VIRGULE,
    generate_controls,
)
from sources.sample.inbox_hr import PLANTED_INBOX as PLANTED_HR
from sources.sample.sirene import PLANTED, generate_sirene
from sources.sora.contract import INTERVENTIONS as SORA
from sources.src.contract import CONTROLES as SRC
from sources.wikit.contract import CONTROLES as WIKIT
from sources.wikit.contract import UNITES_CONTROLE as WIKIT_UC

SIZE = 20_000
AS_OF = date(2026, 12, 1)
SIEGE = str(PLANTED["siege_actif"]["siret"])
# Contracts in the order generate_controls lists each source's files.
CONTRACTS: dict[str, tuple[Contract, ...]] = {
    "wikit": (WIKIT, WIKIT_UC),
    "sora": (SORA,),
    "eos": (EOS,),
    "src": (SRC,),
    "apart": (APART,),
    "rupco": (RUPCO_PROCEDURES, RUPCO_ETABLISSEMENTS),
}
SIRET_COLUMN = {
    "wikit_controles": "Siret",
    "sora_interventions": "Etob Siret",
    "eos_visites": "SIRET",
    "apart_conventions": "SIRET",
    "rupco_etablissements": "SIRET ETABLISSEMENT",
}
DATE_COLUMN = {
    "wikit_controles": "Date de dernier controle",
    "eos_visites": "Date de la visite",
    "apart_conventions": "DATE_DECISION",
    "rupco_procedures": "DATE ENREGISTREMENT",
}


def _column(zip_path: Path, name: str) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive:
        data = archive.read(archive.namelist()[0])
    return pl.read_csv(io.BytesIO(data), infer_schema=False, columns=[name])[name].to_list()


@pytest.fixture(scope="module")
def sirene(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    """The établissement SIRETs and the SIRENs of a SIRENE sample, in file order."""
    paths = generate_sirene(tmp_path_factory.mktemp("sirene"), SIZE, 42)
    sirets = _column(paths["StockEtablissement_utf8.zip"], "siret")
    sirens = _column(paths["StockUniteLegale_utf8.zip"], "siren")
    return sirets, sirens


@pytest.fixture(scope="module")
def written(
    sirene: tuple[list[str], list[str]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[Path]]:
    sirets, sirens = sirene
    return generate_controls(tmp_path_factory.mktemp("inbox"), sirets, sirens, SIZE)


def _files(written: dict[str, list[Path]]) -> list[tuple[str, Contract, Path]]:
    return [
        (source, contract, path)
        for source, paths in written.items()
        for contract, path in zip(CONTRACTS[source], paths, strict=True)
    ]


def _csv_files(written: dict[str, list[Path]]) -> list[tuple[Contract, Path]]:
    return [(c, p) for _, c, p in _files(written) if p.suffix == ".csv"]


def _text(contract: Contract, path: Path) -> str:
    """The file decoded with the contract's encoding, a leading byte-order mark removed."""
    return path.read_bytes().decode(contract.encoding).removeprefix("\ufeff")


def _rows(contract: Contract, path: Path) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(_text(contract, path)), delimiter=contract.separator)
    return list(reader)


def _by_dataset(written: dict[str, list[Path]]) -> dict[str, list[dict[str, str]]]:
    return {c.dataset: _rows(c, p) for c, p in _csv_files(written)}


def _siret_of(dataset: str, row: dict[str, str]) -> str:
    """The row's SIRET as the loader sees it (left-padded; built from SIREN and NIC for src)."""
    if dataset == "src_controles":
        return row["N° SIREN"].zfill(9) + row["N° Etablissement"].zfill(5)
    return row[SIRET_COLUMN[dataset]].zfill(14)


def _fold(name: str) -> str:
    """Accents removed (NFKD, combining marks dropped): the patterns are written without them."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def test_every_source_and_file_is_written(written: dict[str, list[Path]]) -> None:
    assert sorted(written) == sorted(CONTRACTS)
    for source, contract, path in _files(written):
        assert path.parent.name == source == contract.source
        assert path.stat().st_size > 0


def test_headers_are_the_contract_names(written: dict[str, list[Path]]) -> None:
    for contract, path in _csv_files(written):
        first = _text(contract, path).splitlines()[0]
        header = next(csv.reader([first], delimiter=contract.separator))
        assert header == list(contract.names), path.name
    units = json.loads(written["wikit"][1].read_text(encoding="utf-8"))["UC"]
    assert 35 <= len(units) <= 45
    assert all(list(unit) == list(WIKIT_UC.names) for unit in units)


def test_file_names_match_the_contract_patterns(written: dict[str, list[Path]]) -> None:
    for _, contract, path in _files(written):
        assert contract.file_pattern is not None
        assert fnmatch.fnmatchcase(_fold(path.name), contract.file_pattern), path.name
    names = {path.name for paths in written.values() for path in paths}
    assert "EtablissementActifsControlés_20261201.csv" in names
    assert "APART_Extraction_FCE_S49.csv" in names


def test_each_producer_habit(written: dict[str, list[Path]]) -> None:
    raw = {p.name.split("_")[0]: p.read_bytes() for paths in written.values() for p in paths}
    wikit = written["wikit"][0].read_bytes()
    assert wikit.startswith(b'\xef\xbb\xbf"Siret";') and b"\r\n" in wikit
    assert written["eos"][0].read_bytes().startswith(b'\xef\xbb\xbf"SIRET";')
    sora = written["sora"][0].read_bytes()
    assert sora.startswith(b"Etob Siret,") and b"\r" not in sora
    assert b'"Suite (1 = oui, 0 = non)"' in sora  # quoted only because it holds the separator
    assert written["src"][0].read_bytes().count(b"\r\n") == len(_rows(SRC, written["src"][0])) + 1
    assert written["apart"][0].read_bytes().startswith(b"SIRET;NUM_CONVENTION;")
    assert written["rupco"][0].read_bytes().startswith(b'"NUMERO DE DOSSIER";')
    assert all(not data.startswith(b"\xef\xbb\xbf") for data in (sora, raw["exportMSDC"]))


def test_src_is_windows_1252(written: dict[str, list[Path]]) -> None:
    data = written["src"][0].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "N° SIREN" in data.decode("windows-1252")
    assert "Contrôle" in data.decode("windows-1252")


def test_same_seed_same_bytes_other_seed_other_rows(
    sirene: tuple[list[str], list[str]], written: dict[str, list[Path]], tmp_path: Path
) -> None:
    sirets, sirens = sirene
    again = generate_controls(tmp_path / "again", sirets, sirens, SIZE, seed=42)
    other = generate_controls(tmp_path / "other", sirets, sirens, SIZE, seed=7)
    for source, paths in written.items():
        for first, second in zip(paths, again[source], strict=True):
            assert first.read_bytes() == second.read_bytes(), first.name
    assert written["wikit"][0].read_bytes() != other["wikit"][0].read_bytes()


def test_planted_rows_are_present(written: dict[str, list[Path]]) -> None:
    rows = _by_dataset(written)
    for dataset, planted in PLANTED_INBOX.items():
        if dataset == "wikit_unites_controle":
            continue
        found = [{k: v or None for k, v in row.items()} for row in rows[dataset]]
        for expected in planted:
            assert expected in found, (dataset, expected)
    units = json.loads(written["wikit"][1].read_text(encoding="utf-8"))["UC"]
    assert PLANTED_INBOX["wikit_unites_controle"][0] == {
        "CODE_UC": "UC-75-01",
        "LIB_UC": "Unité de contrôle 1 Paris",
        "Courrier électronique": units[0]["Courrier électronique"],
    }
    assert all(u in units for u in PLANTED_INBOX["wikit_unites_controle"])


def test_planted_values_the_lead_asserts_on() -> None:
    wikit = {r["Siret"]: r for r in PLANTED_INBOX["wikit_controles"]}
    assert wikit[SIEGE]["Date de dernier controle"] == "15/10/2026"
    assert wikit[SIEGE]["Propriétaire"] == "UC-75-01"
    assert wikit[FERME]["Date de dernier controle"] == "14/05/2019"
    sora = {r["Etob Siret"]: r for r in PLANTED_INBOX["sora_interventions"]}
    assert sora[SIEGE]["Mois de Visite Date Intervention"] == "septembre"
    assert sora[SIEGE]["Suite (1 = oui, 0 = non)"] == "1"
    assert sora[FERME]["Mois de Visite Date Intervention"] == "mars"
    apart = [r for r in PLANTED_INBOX["apart_conventions"] if r["NUM_CONVENTION"] == "APT-0001"]
    assert [(r["NUM_AVENANT"], r["NB_H_AUTO_CUM"], r["NB_H_CONSO_CUM"]) for r in apart] == [
        ("0", "1200,5", "800"),
        ("1", "2000", "1500"),
    ]
    procedure = PLANTED_INBOX["rupco_procedures"][0]
    assert procedure["NUMERO DE DOSSIER"] == "PSE-2025-001"
    assert procedure["SIREN ENTREPRISE"] == SIEGE[:9]


def test_planted_coordination_signals(written: dict[str, list[Path]]) -> None:
    """90 days apart (a signal), 91 days (a near miss), 60 days after an apprenticeship start."""
    rows = _by_dataset(written)

    def days(dataset: str, siret: str, column: str, fmt: str = "%d/%m/%Y") -> list[date]:
        return [
            datetime.strptime(r[column][:10], fmt).date()
            for r in rows[dataset]
            if _siret_of(dataset, r) == siret
        ]

    [visit] = days("eos_visites", CORSE, "Date de la visite")
    [control] = days("wikit_controles", CORSE, "Date de dernier controle")
    assert (control - visit).days == 90
    [decision] = days("apart_conventions", OUTRE_MER, "DATE_DECISION")
    [intervention] = [
        date(2026, 6, 1)
        for r in rows["sora_interventions"]
        if r["Etob Siret"] == OUTRE_MER
        and (r["Année de Visite Date Intervention"], r["Mois de Visite Date Intervention"])
        == ("2026", "juin")
        and r["Jour de Visite Date Intervention"] == "1"
    ]
    assert (intervention - decision).days == 91
    [src] = days("src_controles", VIRGULE, "Date creation")
    [contract] = [
        r["Contrat DateDebut"]
        for r in PLANTED_HR["apprentissage_contrats"]
        if r["Employeur Siret"] == VIRGULE
    ]
    assert (src - contract).days == 60
    # Nothing else at these establishments in the control files: the signals stay exact.
    expected = {
        CORSE: {"wikit_controles", "eos_visites"},
        OUTRE_MER: {"sora_interventions", "apart_conventions"},
        VIRGULE: {"src_controles"},
    }
    for dataset in (*SIRET_COLUMN, "src_controles"):
        found = [_siret_of(dataset, r) for r in rows[dataset]]
        for siret, datasets in expected.items():
            assert found.count(siret) == (1 if dataset in datasets else 0), (dataset, siret)


def test_closed_establishment_has_old_records_only(written: dict[str, list[Path]]) -> None:
    rows = _by_dataset(written)
    ferme = [r for r in rows["wikit_controles"] if r["Siret"] == FERME]
    assert [r["Date de dernier controle"] for r in ferme] == ["14/05/2019"]
    sora = [r for r in rows["sora_interventions"] if r["Etob Siret"] == FERME]
    assert [(r["Année de Visite Date Intervention"]) for r in sora] == ["2018"]
    for dataset in ("eos_visites", "apart_conventions", "rupco_etablissements"):
        assert all(_siret_of(dataset, r) != FERME for r in rows[dataset])


def test_siege_actif_in_several_services(written: dict[str, list[Path]]) -> None:
    rows = _by_dataset(written)
    services = {
        dataset
        for dataset in SIRET_COLUMN
        if any(_siret_of(dataset, r) == SIEGE for r in rows[dataset])
    }
    assert services == set(SIRET_COLUMN)


def test_absent_siret_once_per_siret_keyed_file(written: dict[str, list[Path]]) -> None:
    rows = _by_dataset(written)
    for dataset in (*SIRET_COLUMN, "src_controles"):
        assert sum(_siret_of(dataset, r) == ABSENT for r in rows[dataset]) == 1, dataset


def test_sirets_mostly_from_sirene_some_absent(
    sirene: tuple[list[str], list[str]], written: dict[str, list[Path]]
) -> None:
    known = set(sirene[0])
    rows = _by_dataset(written)
    for dataset in (*SIRET_COLUMN, "src_controles"):
        sirets = [_siret_of(dataset, r) for r in rows[dataset]]
        outside = sum(s not in known for s in sirets)
        # The planted one, ~1 % drawn, a few lost-zero rows: a small file may show 6 %.
        assert outside <= max(0.03 * len(sirets), 4), (dataset, outside)
    wikit = [_siret_of("wikit_controles", r) for r in rows["wikit_controles"]]
    outside = sum(s not in known for s in wikit) / len(wikit)
    assert 0.005 <= outside <= 0.02
    assert all(len(s) == 14 and s.isdigit() for s in wikit)


def test_sizes_follow_the_sample(written: dict[str, list[Path]]) -> None:
    rows = _by_dataset(written)
    assert 0.28 * SIZE <= len(rows["wikit_controles"]) <= 0.32 * SIZE
    assert 0.09 * SIZE <= len(rows["sora_interventions"]) <= 0.11 * SIZE
    assert 0.025 * SIZE <= len(rows["eos_visites"]) <= 0.035 * SIZE
    assert 0.008 * SIZE <= len(rows["src_controles"]) <= 0.012 * SIZE
    conventions = {r["NUM_CONVENTION"] for r in rows["apart_conventions"]}
    assert 0.045 * SIZE <= len(conventions) <= 0.055 * SIZE
    assert 10 <= len(rows["rupco_procedures"]) <= len(rows["rupco_etablissements"])


def test_broken_rows_of_each_kind(written: dict[str, list[Path]]) -> None:
    rows = _by_dataset(written)
    wikit = rows["wikit_controles"]
    assert any(len(r["Siret"]) == 13 for r in wikit)
    assert any(r["Date de dernier controle"].startswith("31/02/") for r in wikit)
    keys = Counter(tuple(r.values()) for r in wikit)
    assert max(keys.values()) == 2
    broken = sum(
        len(r["Siret"]) == 13 or r["Date de dernier controle"][:6] == "31/02/" for r in wikit
    )
    assert broken <= 0.01 * len(wikit)
    months = {r["Mois de Visite Date Intervention"] for r in rows["sora_interventions"]}
    assert "Septembre" in months and months & {"Sept.", "brumaire"}
    assert any("&amp;" in r["Unfct Libelle"] for r in rows["sora_interventions"])
    assert any(r["N° SIREN"] == "0" for r in rows["src_controles"])
    assert any("&#39;" in r["CAUSE"] for r in rows["apart_conventions"])
    visits = [r["Date de la visite"] for r in rows["eos_visites"]]
    assert any(v.startswith("31/12/") for v in visits)
    assert any(v[2] == "/" and datetime.strptime(v, "%d/%m/%Y").date() > AS_OF for v in visits)
    uc = written["wikit"][1].read_text(encoding="utf-8")
    assert "Val-d&#39;Oise" in uc


def test_dates_are_relative_to_as_of(written: dict[str, list[Path]]) -> None:
    rows = _by_dataset(written)
    planted_days = {r["Date de dernier controle"] for r in PLANTED_INBOX["wikit_controles"]}
    days = [
        datetime.strptime(r["Date de dernier controle"], "%d/%m/%Y").date()
        for r in rows["wikit_controles"]
        if r["Date de dernier controle"] not in planted_days
        and not r["Date de dernier controle"].startswith("31/02/")
    ]
    assert max(days) < AS_OF
    recent = sum((AS_OF - d).days <= 1095 for d in days) / len(days)
    assert 0.8 <= recent < 0.9
    assert min(days) >= date(2016, 12, 1)


def test_apart_amendments_count_up(written: dict[str, list[Path]]) -> None:
    conventions: dict[str, list[dict[str, str]]] = {}
    seen: set[tuple[str, ...]] = set()
    for row in _by_dataset(written)["apart_conventions"]:
        if tuple(row.values()) not in seen:
            seen.add(tuple(row.values()))
            conventions.setdefault(row["NUM_CONVENTION"], []).append(row)
    sizes = Counter(len(amendments) for amendments in conventions.values())
    assert set(sizes) == {1, 2, 3, 4}
    for amendments in conventions.values():
        assert [int(r["NUM_AVENANT"]) for r in amendments] == list(range(len(amendments)))
        cumulated = [float(r["NB_H_AUTO_CUM"].replace(",", ".")) for r in amendments]
        consumed = [float(r["NB_H_CONSO_CUM"].replace(",", ".")) for r in amendments]
        assert cumulated == sorted(cumulated)
        assert all(c <= a for c, a in zip(consumed, cumulated, strict=True))
    assert any("," in r["NB_H_AUTO_CUM"] for a in conventions.values() for r in a)


def test_rupco_sites_belong_to_their_procedure(written: dict[str, list[Path]]) -> None:
    rows = _by_dataset(written)
    procedures = {r["NUMERO DE DOSSIER"]: r for r in rows["rupco_procedures"]}
    assert {r["TYPE DE DOSSIER"] for r in procedures.values()} <= {
        "PSE",
        "RCC",
        "LiceC -10",
        "LiceC +10",
    }
    for site in rows["rupco_etablissements"]:
        assert site["NUMERO DE DOSSIER"] in procedures
        assert site["SIREN ETABLISSEMENT"] == site["SIREN ENTREPRISE"]


def test_tiny_sample_still_has_rows_and_no_broken_ones(tmp_path: Path) -> None:
    sirets = ["55208131766522", "81234567600017", "00312345200017", "40912345200016"]
    written = generate_controls(tmp_path, sirets, [s[:9] for s in sirets], 4, seed=1)
    rows = _by_dataset(written)
    for dataset, planted in PLANTED_INBOX.items():
        if dataset != "wikit_unites_controle":
            assert len(rows[dataset]) >= len(planted) + 1, dataset
    for dataset, column in DATE_COLUMN.items():
        assert not any(r[column].startswith("31/02/") for r in rows[dataset])


def test_as_of_names_the_files(sirene: tuple[list[str], list[str]], tmp_path: Path) -> None:
    sirets, sirens = sirene
    written = generate_controls(tmp_path, sirets[:500], sirens[:300], 500, as_of=date(2025, 6, 30))
    assert written["sora"][0].name == "donnee_FCE_extract_20250630.csv"
    assert written["apart"][0].name == "APART_Extraction_FCE_S27.csv"
    assert written["wikit"][1].name == "20250630_WIKIT_UC.json"


def test_negative_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="etablissements"):
        generate_controls(tmp_path, [], [], -1)


def _plain_copy(contract: Contract, target: Path) -> Path:
    """The header and the first planted row, no BOM, quotes only where needed, `\\n` ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=contract.separator, lineterminator="\n")
    writer.writerow(contract.names)
    writer.writerow(PLANTED_INBOX[contract.dataset][0].get(n) or "" for n in contract.names)
    target.write_bytes(buffer.getvalue().encode(contract.encoding))
    return target


def _load(contract: Contract, path: Path, out: Path) -> NormalizeResult:
    return normalize_csv(
        contract,
        path,
        lake_path=out / f"{contract.dataset}.parquet",
        rejects_path=out / f"{contract.dataset}.rejects.parquet",
        file_label=path.name,
        arrival_id="test",
    )


@pytest.mark.parametrize(
    "contract",
    [WIKIT, SORA, EOS, SRC, APART, RUPCO_PROCEDURES, RUPCO_ETABLISSEMENTS],
    ids=lambda c: c.dataset,
)
def test_files_load_when_the_loader_reads_internal_sources(
    contract: Contract, written: dict[str, list[Path]], tmp_path: Path
) -> None:
    """Skipped while normalize_csv cannot yet load one plain planted row of this contract."""
    probe = _plain_copy(contract, tmp_path / "probe.csv")
    try:
        ready = _load(contract, probe, tmp_path / "probe").rows_loaded == 1
    except Exception as exc:  # any failure means the loader is not ready for this source yet
        pytest.skip(f"normalize_csv cannot load {contract.dataset} yet: {exc!r:.200}")
    if not ready:
        pytest.skip(f"normalize_csv rejects a plain planted row of {contract.dataset} yet")
    path = next(p for c, p in _csv_files(written) if c is contract)
    result = _load(contract, path, tmp_path / "lake")
    assert result.rows_rejected <= 0.05 * result.rows_read
    lake = pl.read_parquet(tmp_path / "lake" / f"{contract.dataset}.parquet")
    if contract.dataset in SIRET_COLUMN:
        loaded = set(lake[SIRET_COLUMN[contract.dataset]].to_list())
        assert {SIEGE, ABSENT} <= loaded
