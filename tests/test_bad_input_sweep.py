"""Every source contract fed damaged files through the real landing-to-lake path.

For each contract of the registry a good sample file is landed and loaded first; then one damaged
file is landed on top of it and loaded. The damage must either stop the load with a sentence of
the project's own error types naming the file, leaving the lake (files, parts, load records and
rejects) as it was and no temporary file behind, or load with every rejected row written to the
rejects Parquet. SIRENE files are zips and also get archive damages; a workbook (XLSX) or a
Parquet file gets damages of its own format, and its value damages are made on the CSV that
sources/formats.py makes of it, then written back in the format. The internal files come from
the sample inbox, landed under the name their producer gave them (the name the contracts read a
month or a year from).
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from sources import lake
from sources.config import Settings
from sources.contracts import IDENTIFIER_WIDTH, Column, Contract, ContractError, Kind
from sources.download import DownloadError
from sources.formats import to_csv
from sources.inbox import matching_files
from sources.lake import LoadRecord, current_record, load
from sources.landing import Landed, land_file
from sources.registry import ALL, INTERNAL
from sources.sample import generate_public
from sources.sample.inbox import generate_inbox
from sources.sirene.contract import CONTRACTS as SIRENE_CONTRACTS
from sources.sora.contract import MONTH

REGISTRY: tuple[Contract, ...] = ALL
"""Every declared source contract."""

BOMB_CAP = 10_000
"""The unpacked-size cap the zip bomb cases run under (the real one is 200 GB)."""

BAD_DATE = "2024-13-45"


@dataclass(frozen=True)
class Good:
    """The sample file of one contract as sent, and its CSV (the zip member when zipped).

    ``name`` is the file's name as its producer sent it.
    """

    name: str
    sent: bytes
    member: str | None
    csv: bytes
    # A workbook or Parquet file: ``csv`` is what sources.formats made of it, and a damaged CSV
    # is sent back in the file's own format (its sheet, its separator), see `encoded`.
    file_format: str = "csv"
    sheet: str | None = None
    separator: str = ","


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Good]:
    """Generate the samples once for the module; map each contract's file name to its good file.

    SIRENE files come from the SIRENE sample; each internal contract takes the newest of its
    files in the sample inbox generated from it.
    """
    folder = tmp_path_factory.mktemp("sample")
    written = generate_public(folder / "sirene", etablissements=300, seed=3)
    goods: dict[str, Good] = {}
    converted = {c.file_name: c for c in REGISTRY if c.file_format != "csv"}
    for name, path in written.items():
        sent = path.read_bytes()
        if name in converted:
            contract = converted[name]
            as_csv = to_csv(contract, path, folder / f"{name}.csv", name).read_bytes()
            goods[name] = Good(
                name=name,
                sent=sent,
                member=None,
                csv=as_csv,
                file_format=contract.file_format,
                sheet=contract.sheet,
                separator=contract.separator,
            )
            continue
        if not name.lower().endswith(".zip"):
            goods[name] = Good(name=name, sent=sent, member=None, csv=sent)
            continue
        with zipfile.ZipFile(path) as archive:
            (member,) = archive.namelist()
            goods[name] = Good(name=name, sent=sent, member=member, csv=archive.read(member))
    generate_inbox(folder / "inbox", folder / "sirene", etablissements=300, seed=3)
    for contract in INTERNAL:
        path = matching_files(folder / "inbox" / contract.source, contract)[-1]
        sent = path.read_bytes()
        goods[contract.file_name] = Good(name=path.name, sent=sent, member=None, csv=sent)
    return goods


def packed(good: Good, csv_bytes: bytes) -> bytes:
    """A damaged CSV sent the way the good one was: in its zip, its workbook, or as it is."""
    if good.file_format != "csv":
        return encoded(good, csv_bytes)
    return csv_bytes if good.member is None else zipped({str(good.member): csv_bytes})


def encoded(good: Good, csv_bytes: bytes, sheet: str | None = None) -> bytes:
    """CSV rows written as the good file's format: an XLSX sheet or a Parquet file of text."""
    text = csv_bytes.decode("utf-8")
    header, *rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=good.separator))
    buffer = io.BytesIO()
    if good.file_format == "xlsx":
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        worksheet = workbook.add_worksheet(sheet or good.sheet)
        worksheet.write_row(0, 0, header)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if value:
                    worksheet.write_string(number, column, value)
        workbook.close()
    else:
        columns = {name: [row[i] or None for row in rows] for i, name in enumerate(header)}
        pl.DataFrame(columns, schema=dict.fromkeys(header, pl.String)).write_parquet(buffer)
    return buffer.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    """A deflated zip archive holding ``members`` in order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def header_and_rows(data: bytes) -> tuple[bytes, list[bytes]]:
    """Split a CSV into its header line and its data lines, each with its line end."""
    lines = data.splitlines(keepends=True)
    return lines[0], lines[1:]


def table(contract: Contract, good: Good) -> list[list[str]]:
    """The good CSV parsed into rows, header first, without a byte-order mark."""
    text = good.csv.decode(contract.encoding).removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=contract.separator))


def rewritten(
    contract: Contract,
    good: Good,
    rows: list[list[str]],
    *,
    separator: str | None = None,
    encoding: str | None = None,
) -> bytes:
    """Rows written back as the contract's CSV, or with another separator or encoding."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator or contract.separator, lineterminator="\n")
    writer.writerows(rows)
    return packed(good, out.getvalue().encode(encoding or contract.encoding))


def empty_csv(contract: Contract, good: Good) -> bytes:
    return packed(good, b"")


def header_only(contract: Contract, good: Good) -> bytes:
    header, _ = header_and_rows(good.csv)
    return packed(good, header)


def truncated_mid_line(contract: Contract, good: Good) -> bytes:
    _, rows = header_and_rows(good.csv)
    cut = len(good.csv) - len(rows[-1]) // 2
    return packed(good, good.csv[:cut])


def wrong_separator(contract: Contract, good: Good) -> bytes:
    """The same rows separated by ';', or by ',' where ';' is declared."""
    other = "," if contract.separator == ";" else ";"
    return rewritten(contract, good, table(contract, good), separator=other)


def windows_1252_value(contract: Contract, good: Good) -> bytes:
    """One "E" of a data line turned into a cp1252 "É"; with no "E", line 2 ends with one."""
    header, rows = header_and_rows(good.csv)
    body = b"".join(rows)
    at = body.find(b"E")
    if at >= 0:
        body = body[:at] + "É".encode("cp1252") + body[at + 1 :]
    else:
        end = len(rows[0].rstrip(b"\r\n"))
        body = rows[0][:end] + "É".encode("cp1252") + rows[0][end:] + b"".join(rows[1:])
    return packed(good, header + body)


def utf8_file(contract: Contract, good: Good) -> bytes:
    """A windows-1252 file with accents sent re-encoded as UTF-8."""
    text = good.csv.decode(contract.encoding)
    assert not text.isascii(), "the sample has no accent to tell the encodings apart"
    return packed(good, text.encode("utf-8"))


def renamed_required_column(contract: Contract, good: Good) -> bytes:
    """The first required column of the header renamed by its producer."""
    rows = table(contract, good)
    required = {c.name for c in contract.columns if c.required and c.derive is None}
    at = next(i for i, name in enumerate(rows[0]) if name.strip() in required)
    rows[0][at] = f"{rows[0][at]} v2"
    return rewritten(contract, good, rows)


def binary_garbage(contract: Contract, good: Good) -> bytes:
    return b"\x00\x01" + random.Random(11).randbytes(8192)  # never starts like a zip (PK)


def empty_archive_file(contract: Contract, good: Good) -> bytes:
    return b""


def truncated_archive(contract: Contract, good: Good) -> bytes:
    return good.sent[: len(good.sent) // 2]


def two_members(contract: Contract, good: Good) -> bytes:
    return zipped({str(good.member): good.csv, "notes.txt": b"a second file\n"})


def no_member(contract: Contract, good: Good) -> bytes:
    return zipped({})


def zip_bomb_declared(contract: Contract, good: Good) -> bytes:
    """A few kilobytes of archive whose member declares and unpacks to a megabyte."""
    header, _ = header_and_rows(good.csv)
    return zipped({str(good.member): header + b"0" * 1_000_000})


def zip_bomb_understated(contract: Contract, good: Good) -> bytes:
    """The same member with both of its size fields saying 1000 bytes, so the cap check passes.

    zipfile stops reading at the declared size and the CRC then fails: refused as corrupt.
    """
    data = bytearray(zip_bomb_declared(contract, good))
    small = (1000).to_bytes(4, "little")
    local = data.find(b"PK\x03\x04")
    data[local + 22 : local + 26] = small
    central = data.find(b"PK\x01\x02")
    data[central + 24 : central + 28] = small
    return bytes(data)


def parent_path_member(contract: Contract, good: Good) -> bytes:
    return zipped({"../evil.csv": good.csv})


def json_records(good: Good) -> list[dict[str, object]]:
    return json.loads(good.sent)["UC"]


def not_json(contract: Contract, good: Good) -> bytes:
    return b"<html><body><h1>502 Bad Gateway</h1></body></html>\n"


def truncated_json(contract: Contract, good: Good) -> bytes:
    return good.sent[: len(good.sent) // 2]


def records_under_another_key(contract: Contract, good: Good) -> bytes:
    return json.dumps({"unites": json_records(good)}, ensure_ascii=False).encode()


def empty_record_list(contract: Contract, good: Good) -> bytes:
    return b'{"UC": []}\n'


def renamed_record_key(contract: Contract, good: Good) -> bytes:
    """Every record's CODE_UC sent as code_uc."""
    records = [
        {("code_uc" if k == "CODE_UC" else k): v for k, v in r.items()} for r in json_records(good)
    ]
    return json.dumps({"UC": records}, ensure_ascii=False).encode()


def ten_times_the_rows(contract: Contract, good: Good) -> bytes:
    header, rows = header_and_rows(good.csv)
    return packed(good, header + b"".join(rows) * 10)


Damage = Callable[[Contract, Good], bytes]

REFUSED: dict[str, Damage] = {
    "empty csv": empty_csv,
    "header only": header_only,
    "truncated mid-line": truncated_mid_line,
    "semicolon separator": wrong_separator,
    "windows-1252 value": windows_1252_value,
    "binary garbage": binary_garbage,
}
"""Damages that must stop the load of a SIRENE file (see the test of their messages below)."""

REFUSED_ARCHIVES: dict[str, Damage] = {
    "empty archive file": empty_archive_file,
    "truncated archive": truncated_archive,
    "two members": two_members,
    "no member": no_member,
    "zip bomb (declared)": zip_bomb_declared,
    "zip bomb (understated)": zip_bomb_understated,
    "member ../evil.csv": parent_path_member,
}
"""Damages of the archive itself, for contracts whose file is a zip."""

BOMBS = {"zip bomb (declared)", "zip bomb (understated)"}

REFUSED_INBOX_CSV: dict[str, tuple[Damage, str]] = {
    "renamed required column": (
        renamed_required_column,
        r"required column\(s\) \['[^']+'\] missing from the header",
    ),
    "empty file": (empty_csv, r"the file is empty \(0 bytes\)"),
    "header only": (header_only, "has a header but no data rows"),
    "truncated mid-line": (truncated_mid_line, "the file is truncated"),
    # A header name holding the other separator splits into several names: then the guard
    # that answers is the one of missing columns.
    "wrong separator": (
        wrong_separator,
        "expected fields separated by|missing from the header",
    ),
    "binary garbage": (binary_garbage, "line 1 is not valid (utf-8|windows-1252)"),
}
"""Damages that must stop the load of a services' CSV file, with what the message says."""

WRONG_ENCODING: dict[str, tuple[Damage, str]] = {
    "utf-8": (windows_1252_value, r"line \d+ is not valid utf-8"),
    "windows-1252": (utf8_file, "the file is UTF-8, but the contract expects windows-1252"),
}
"""By declared encoding: the damage of a file sent in the other one."""

REFUSED_JSON: dict[str, tuple[Damage, str]] = {
    "empty file": (empty_csv, "not a readable utf-8 JSON file"),
    "not JSON": (not_json, "not a readable utf-8 JSON file"),
    "truncated JSON": (truncated_json, "not a readable utf-8 JSON file"),
    "no UC key": (records_under_another_key, "expected an object with a list of records under"),
    "empty list": (empty_record_list, "the list 'UC' is empty"),
    "renamed required key": (
        renamed_record_key,
        r"required column\(s\) \['CODE_UC'\] missing.*found 'code_uc' instead of 'CODE_UC'\?",
    ),
}
"""Damages that must stop the load of a JSON file of records."""


def not_csv(contract: Contract, good: Good) -> bytes:
    """The CSV the file would have been, sent under the workbook's or Parquet file's name."""
    return good.csv


def truncated_file(contract: Contract, good: Good) -> bytes:
    return good.sent[: len(good.sent) // 2]


def sheet_renamed(contract: Contract, good: Good) -> bytes:
    return encoded(good, good.csv, sheet="Feuil1")


def no_record(contract: Contract, good: Good) -> bytes:
    header, _ = header_and_rows(good.csv)
    return encoded(good, header)


_NOT_READABLE = {"xlsx": "not a readable XLSX workbook", "parquet": "not a readable Parquet file"}
REFUSED_FORMATS: dict[str, dict[str, tuple[Damage, str]]] = {
    file_format: {
        "empty file": (empty_archive_file, unreadable),
        "binary garbage": (binary_garbage, unreadable),
        "truncated file": (truncated_file, unreadable),
        "a CSV under its name": (not_csv, unreadable),
        "header only": (no_record, "has a header but no data rows"),
        "renamed required column": (
            renamed_required_column,
            r"required column\(s\) \['[^']+'\] missing from the header",
        ),
    }
    for file_format, unreadable in _NOT_READABLE.items()
}
"""Damages that must stop the load of a file converted to CSV first, by format."""
REFUSED_FORMATS["xlsx"]["sheet renamed"] = (sheet_renamed, "the workbook has no sheet")


def settings_for(warehouse: Path) -> Settings:
    return Settings(warehouse=warehouse, mirror="sample", as_of=date(2026, 12, 1))


def land(settings: Settings, contract: Contract, good: Good, data: bytes) -> Landed:
    """Land ``data`` as the contract's file sent under the good file's name."""
    incoming = settings.work / "incoming" / contract.file_name
    incoming.parent.mkdir(parents=True, exist_ok=True)
    incoming.write_bytes(data)
    landed = land_file(
        settings.warehouse,
        contract.source,
        incoming,
        origin=f"sample://{contract.source}/{good.name}",
        file_name=contract.file_name,
    )
    incoming.parent.rmdir()
    return landed


def load_good(
    tmp_path: Path, contract: Contract, samples: dict[str, Good]
) -> tuple[Settings, Good, LoadRecord]:
    """A warehouse where the contract's good file is loaded; return settings, good, record."""
    settings = settings_for(tmp_path / "warehouse")
    good = samples[contract.file_name]
    record, loaded = load(settings, contract, land(settings, contract, good, good.sent))
    assert loaded and record.rows_loaded > 0
    return settings, good, record


def snapshot(settings: Settings) -> dict[str, bytes]:
    """Every file under lake/ (data, parts, load records, history) and rejects/, by path."""
    return {
        str(path.relative_to(settings.warehouse)): path.read_bytes()
        for folder in (settings.lake, settings.rejects)
        if folder.exists()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def leftovers(settings: Settings) -> list[Path]:
    """Anything left in work/, and hidden or temporary files in lake/ and rejects/."""
    found = list(settings.work.rglob("*")) if settings.work.exists() else []
    for folder in (settings.lake, settings.rejects):
        if folder.exists():
            found += [p for p in folder.rglob("*") if p.name.startswith(".") or "tmp" in p.name]
    return found


def assert_rejects_recorded(settings: Settings, contract: Contract, record: LoadRecord) -> None:
    """The record is the current one, and its counts agree with the rejects and the lake."""
    assert current_record(settings, contract) == record
    assert record.rows_rejected == pl.read_parquet(record.rejects_path).height
    assert record.rows_read == record.rows_loaded + record.rows_rejected
    assert pl.read_parquet(record.lake_path).height == record.rows_loaded


def sweep() -> list[object]:
    """Every (contract, damage) pair that must be refused, with the message expected if any.

    SIRENE's messages are checked by their own test; archive damages only for zips; a workbook
    or a Parquet file gets the damages of its format (REFUSED_FORMATS).
    """
    cases: list[object] = []
    for contract in REGISTRY:
        if contract.file_format != "csv":
            damages = dict(REFUSED_FORMATS[contract.file_format])
        elif contract.public:
            damages = {name: (damage, None) for name, damage in REFUSED.items()}
            if contract.file_name.lower().endswith(".zip"):
                damages |= {name: (damage, None) for name, damage in REFUSED_ARCHIVES.items()}
        elif contract.json_records:
            damages = dict(REFUSED_JSON)
        else:
            encoding = contract.encoding.lower()
            damages = {f"sent in the wrong encoding ({encoding})": WRONG_ENCODING[encoding]}
            damages |= REFUSED_INBOX_CSV
        for name, (damage, expected) in damages.items():
            cases.append(
                pytest.param(contract, name, damage, expected, id=f"{contract.dataset}-{name}")
            )
    return cases


@pytest.mark.parametrize(("contract", "name", "damage", "expected"), sweep())
def test_damaged_file_is_refused_and_lake_kept(
    tmp_path: Path,
    samples: dict[str, Good],
    monkeypatch: pytest.MonkeyPatch,
    contract: Contract,
    name: str,
    damage: Damage,
    expected: str | None,
) -> None:
    settings, good, _ = load_good(tmp_path, contract, samples)
    before = snapshot(settings)
    landed = land(settings, contract, good, damage(contract, good))
    assert landed.is_new
    if name in BOMBS:
        monkeypatch.setattr("sources.lake.MAX_UNCOMPRESSED_BYTES", BOMB_CAP)

    with pytest.raises(Exception) as caught:
        load(settings, contract, landed)

    exc = caught.value
    message = str(exc)
    # The producer's name, or the landed copy's (JSON structure errors name the latter).
    assert good.name in message or contract.file_name in message, message
    assert len(message.split()) >= 6, f"not a sentence: {message!r}"
    # The normalize asset turns exactly these into a Failure; UnicodeDecodeError is a ValueError
    # too, hence the exact type check for plain ValueError.
    project_error = isinstance(exc, ContractError | DownloadError)
    assert project_error or type(exc) is ValueError, f"{type(exc).__name__}: {message}"
    if expected is not None:
        assert re.search(expected, message), message
    assert snapshot(settings) == before
    assert leftovers(settings) == []


def test_the_sweep_sees_each_damage_fail_its_own_way(
    tmp_path: Path, samples: dict[str, Good], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each damage is caught by the guard meant for it, not by an earlier accident."""
    contract = SIRENE_CONTRACTS[0]
    expected = {
        "empty csv": "the file is empty",
        "header only": "has a header but no data rows",
        "truncated mid-line": "is truncated",
        "semicolon separator": "expected fields separated by ','",
        "windows-1252 value": "line 2 is not valid utf-8",
        "binary garbage": "is not a readable zip archive",
        "empty archive file": "is not a readable zip archive",
        "truncated archive": "is not a readable zip archive",
        "two members": "expected 1 member(s), found 2",
        "no member": "expected 1 member(s), found 0",
        "zip bomb (declared)": f"over the limit of {BOMB_CAP}",
        "zip bomb (understated)": "is corrupt or truncated (Bad CRC-32",
        "member ../evil.csv": "unsafe member path '../evil.csv'",
    }
    assert set(expected) == set(REFUSED) | set(REFUSED_ARCHIVES)
    settings, good, _ = load_good(tmp_path, contract, samples)
    for name, damage in (REFUSED | REFUSED_ARCHIVES).items():
        landed = land(settings, contract, good, damage(contract, good))
        cap = BOMB_CAP if name in BOMBS else lake.MAX_UNCOMPRESSED_BYTES
        monkeypatch.setattr(lake, "MAX_UNCOMPRESSED_BYTES", cap)
        with pytest.raises((ContractError, DownloadError), match=re.escape(expected[name])):
            load(settings, contract, landed)


@pytest.mark.parametrize(
    "contract", [c for c in REGISTRY if c.history_key], ids=lambda c: c.dataset
)
def test_accumulating_file_without_its_month_is_refused(
    tmp_path: Path, contract: Contract, samples: dict[str, Good]
) -> None:
    """A monthly file renamed without its MMYYYY holds no month: refused, rejects included."""
    settings, good, _ = load_good(tmp_path, contract, samples)
    before = snapshot(settings)
    renamed = replace(good, name=re.sub(r"\d{6}(?=\.csv$)", "nov2026", good.name))
    assert renamed.name != good.name
    landed = land(settings, contract, renamed, ten_times_the_rows(contract, good))

    with pytest.raises(ContractError, match="must hold one value of") as caught:
        load(settings, contract, landed)

    assert renamed.name in str(caught.value)
    assert snapshot(settings) == before
    assert leftovers(settings) == []


def identifier(contract: Contract) -> Column:
    """The identifier the value damages aim at: the first SIRET read, else the first SIREN."""
    read = [c for c in contract.columns if c.derive is None and c.kind in (Kind.SIRET, Kind.SIREN)]
    return sorted(read, key=lambda c: c.kind is not Kind.SIRET)[0]


def first_date(contract: Contract) -> str | None:
    """The first date column read from the file, if the contract has one."""
    return next(
        (c.name for c in contract.columns if c.kind is Kind.DATE and c.derive is None), None
    )


def clean_line(contract: Contract, good: Good, record: LoadRecord) -> int:
    """A data line the good load kept whose identifiers are all well formed, the aimed one set."""
    rejected = set(pl.read_parquet(record.rejects_path)["line"].to_list())
    header, *rows = table(contract, good)
    aimed = header.index(identifier(contract).name) if not contract.public else None
    widths = [
        (header.index(c.name), IDENTIFIER_WIDTH[c.kind])
        for c in contract.columns
        if c.kind in IDENTIFIER_WIDTH and c.name in header
    ]
    for line, row in enumerate(rows, start=2):
        if line in rejected or len(row) != len(header) or (aimed is not None and not row[aimed]):
            continue
        if all(re.fullmatch(rf"\d{{{w}}}", row[i]) or not row[i] for i, w in widths):
            return line
    raise AssertionError(f"{good.name}: no clean data line to damage")


def load_edited(
    tmp_path: Path,
    contract: Contract,
    samples: dict[str, Good],
    column: str,
    value: Callable[[str], str],
) -> tuple[Settings, LoadRecord, LoadRecord, int]:
    """Load the good file, then the same with ``column`` of a clean line set to ``value(old)``.

    The second load must go through; return the settings, both records and the line changed.
    """
    settings, good, before = load_good(tmp_path, contract, samples)
    line = clean_line(contract, good, before)
    rows = table(contract, good)
    at = rows[0].index(column)
    rows[line - 1][at] = value(rows[line - 1][at])
    landed = land(settings, contract, good, rewritten(contract, good, rows))

    record, loaded = load(settings, contract, landed)

    assert loaded
    assert record.rows_read == before.rows_read
    assert_rejects_recorded(settings, contract, record)
    assert leftovers(settings) == []
    return settings, before, record, line


def reject_at(record: LoadRecord, line: int) -> dict[str, object]:
    (row,) = pl.read_parquet(record.rejects_path).filter(pl.col("line") == line).to_dicts()
    return row


def lake_value(record: LoadRecord, line: int, column: str) -> object:
    lake_rows = pl.read_parquet(record.lake_path).filter(pl.col("source_line") == line)
    return lake_rows[column].item()


DATED = [c for c in REGISTRY if first_date(c) and not c.json_records]
CSV_INBOX = [c for c in INTERNAL if not c.json_records]


@pytest.mark.parametrize("contract", DATED, ids=lambda c: c.dataset)
def test_bad_value_is_rejected_and_recorded(
    tmp_path: Path, contract: Contract, samples: dict[str, Good]
) -> None:
    """A date that does not parse rejects its row with a reason naming the column."""
    column = str(first_date(contract))
    _, before, record, line = load_edited(tmp_path, contract, samples, column, lambda _: BAD_DATE)

    assert record.rows_rejected == before.rows_rejected + 1
    assert record.rows_loaded == before.rows_loaded - 1
    assert f"{column}: {BAD_DATE} is not a valid date" in str(reject_at(record, line)["reason"])


def test_unknown_french_month_is_rejected_and_recorded(
    tmp_path: Path, samples: dict[str, Good]
) -> None:
    (contract,) = [c for c in REGISTRY if c.dataset == "sora_interventions"]
    _, before, record, line = load_edited(tmp_path, contract, samples, MONTH, lambda _: "brumaire")

    assert record.rows_rejected == before.rows_rejected + 1
    reject = reject_at(record, line)
    assert f"{MONTH} is not a French month name" in str(reject["reason"])
    assert json.loads(str(reject["raw"]))[MONTH] == "brumaire"


@pytest.mark.parametrize("contract", CSV_INBOX, ids=lambda c: c.dataset)
def test_identifier_one_digit_short_is_padded(
    tmp_path: Path, contract: Contract, samples: dict[str, Good]
) -> None:
    """A SIRET of 13 digits (a SIREN of 8 where no SIRET is read) loads left-padded and counted."""
    column = identifier(contract)
    width = IDENTIFIER_WIDTH[column.kind]
    short = "1234567890123"[: width - 1]
    _, before, record, line = load_edited(tmp_path, contract, samples, column.name, lambda _: short)

    assert record.rows_rejected == before.rows_rejected
    assert record.identifiers_padded == before.identifiers_padded + 1
    assert lake_value(record, line, column.name) == "0" + short


@pytest.mark.parametrize("contract", CSV_INBOX, ids=lambda c: c.dataset)
def test_identifier_with_spaces_is_cleaned(
    tmp_path: Path, contract: Contract, samples: dict[str, Good]
) -> None:
    """Spaces (a non-breaking one too) typed inside an identifier are removed; the row loads."""
    column = identifier(contract).name
    sent: list[str] = []

    def spaced(value: str) -> str:
        sent.append(value)
        return f"{value[:3]} {value[3:6]}\u00a0{value[6:9]} {value[9:]}".strip()

    _, before, record, line = load_edited(tmp_path, contract, samples, column, spaced)

    assert record.rows_rejected == before.rows_rejected
    assert record.identifiers_padded == before.identifiers_padded
    assert lake_value(record, line, column) == sent[0]


@pytest.mark.parametrize(
    "contract", [c for c in REGISTRY if not c.json_records], ids=lambda c: c.dataset
)
def test_ten_times_the_rows_loads(
    tmp_path: Path, contract: Contract, samples: dict[str, Good]
) -> None:
    """No row-count breaker at this level: the asset check in pipelines/checks.py owns it."""
    settings, good, before = load_good(tmp_path, contract, samples)
    landed = land(settings, contract, good, ten_times_the_rows(contract, good))

    record, loaded = load(settings, contract, landed)

    assert loaded
    assert record.rows_read == 10 * before.rows_read
    assert record.rows_loaded == 10 * before.rows_loaded
    assert_rejects_recorded(settings, contract, record)
    assert leftovers(settings) == []


def test_registry_has_a_sample_for_every_contract(samples: dict[str, Good]) -> None:
    assert {c.file_name for c in REGISTRY} <= set(samples)
    assert len({c.dataset for c in REGISTRY}) == len(REGISTRY)
    swept = {param.values[0].dataset for param in sweep()}
    assert swept == {c.dataset for c in REGISTRY}
