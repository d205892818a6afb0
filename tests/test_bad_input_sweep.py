"""Every source contract fed damaged files through the real landing-to-lake path.

For each contract of the registry a good sample file is landed and loaded first; then one damaged
file is landed on top of it and loaded. The damage must either stop the load with a sentence of
the project's own error types naming the file, leaving the previous lake file, its load record
and no temporary file behind, or load with every rejected row written to the rejects Parquet.
"""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from sources import lake
from sources.config import Settings
from sources.contracts import Contract, ContractError, Kind
from sources.download import DownloadError
from sources.lake import LoadRecord, lake_file, load, record_file
from sources.landing import Landed, land_file
from sources.sample import generate_sirene
from sources.sirene.contract import CONTRACTS as SIRENE_CONTRACTS

REGISTRY: tuple[Contract, ...] = (*SIRENE_CONTRACTS,)
"""Every declared source contract; a new source's contracts are appended here."""

BOMB_CAP = 10_000
"""The unpacked-size cap the zip bomb cases run under (the real one is 200 GB)."""


@dataclass(frozen=True)
class Good:
    """The sample file of one contract as sent, and its CSV (the zip member when zipped)."""

    sent: bytes
    member: str | None
    csv: bytes


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Good]:
    """Generate the samples once for the module; map each file name to its good content.

    A new source adds its sample generator here.
    """
    folder = tmp_path_factory.mktemp("sample")
    written = generate_sirene(folder, etablissements=200, seed=3)
    goods: dict[str, Good] = {}
    for name, path in written.items():
        sent = path.read_bytes()
        if not name.lower().endswith(".zip"):
            goods[name] = Good(sent=sent, member=None, csv=sent)
            continue
        with zipfile.ZipFile(path) as archive:
            (member,) = archive.namelist()
            goods[name] = Good(sent=sent, member=member, csv=archive.read(member))
    return goods


def packed(good: Good, csv_bytes: bytes) -> bytes:
    """A damaged CSV sent the way the good one was: in its zip, or as it is."""
    return csv_bytes if good.member is None else zipped({str(good.member): csv_bytes})


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


def empty_csv(contract: Contract, good: Good) -> bytes:
    return packed(good, b"")


def header_only(contract: Contract, good: Good) -> bytes:
    header, _ = header_and_rows(good.csv)
    return packed(good, header)


def truncated_mid_line(contract: Contract, good: Good) -> bytes:
    _, rows = header_and_rows(good.csv)
    cut = len(good.csv) - len(rows[-1]) // 2
    return packed(good, good.csv[:cut])


def semicolon_separated(contract: Contract, good: Good) -> bytes:
    rows = csv.reader(io.StringIO(good.csv.decode(contract.encoding), newline=""))
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
    return packed(good, out.getvalue().encode(contract.encoding))


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


def bad_value(contract: Contract, good: Good) -> bytes:
    """Line 2's first date value made impossible: the row is rejected, the others load."""
    column = next(c.name for c in contract.columns if c.kind is Kind.DATE)
    rows = list(csv.reader(io.StringIO(good.csv.decode(contract.encoding), newline="")))
    rows[1][rows[0].index(column)] = "2024-13-45"
    out = io.StringIO()
    csv.writer(out, delimiter=contract.separator, lineterminator="\n").writerows(rows)
    return packed(good, out.getvalue().encode(contract.encoding))


def ten_times_the_rows(contract: Contract, good: Good) -> bytes:
    header, rows = header_and_rows(good.csv)
    return packed(good, header + b"".join(rows) * 10)


Damage = Callable[[Contract, Good], bytes]

REFUSED: dict[str, Damage] = {
    "empty csv": empty_csv,
    "header only": header_only,
    "truncated mid-line": truncated_mid_line,
    "semicolon separator": semicolon_separated,
    "windows-1252 value": windows_1252_value,
    "binary garbage": binary_garbage,
}
"""Damages that must stop the load of any file."""

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


def settings_for(warehouse: Path) -> Settings:
    return Settings(warehouse=warehouse, mirror="sample", as_of=date(2026, 12, 1))


def land(settings: Settings, contract: Contract, data: bytes, origin: str) -> Landed:
    """Land ``data`` as the contract's file, the way the extract asset does."""
    incoming = settings.work / "incoming" / contract.file_name
    incoming.parent.mkdir(parents=True, exist_ok=True)
    incoming.write_bytes(data)
    landed = land_file(
        settings.warehouse, contract.source, incoming, origin=origin, file_name=contract.file_name
    )
    incoming.parent.rmdir()
    return landed


def load_good(
    tmp_path: Path, contract: Contract, samples: dict[str, Good]
) -> tuple[Settings, Good, LoadRecord]:
    """A warehouse where the contract's good file is loaded; return settings, good, record."""
    settings = settings_for(tmp_path / "warehouse")
    good = samples[contract.file_name]
    landed = land(settings, contract, good.sent, "sample://good")
    record, loaded = load(settings, contract, landed)
    assert loaded and record.rows_loaded > 0
    return settings, good, record


def leftovers(settings: Settings) -> list[Path]:
    """Anything left in work/, and hidden or temporary files in lake/ and rejects/."""
    found = list(settings.work.rglob("*")) if settings.work.exists() else []
    for folder in (settings.lake, settings.rejects):
        if folder.exists():
            found += [p for p in folder.rglob("*") if p.name.startswith(".") or "tmp" in p.name]
    return found


def assert_rejects_recorded(record: LoadRecord) -> None:
    """The record's counts agree with the rejects Parquet and the lake file."""
    assert record.rows_rejected == pl.read_parquet(record.rejects_path).height
    assert record.rows_read == record.rows_loaded + record.rows_rejected
    assert pl.read_parquet(record.lake_path).height == record.rows_loaded


def sweep() -> list[object]:
    """Every (contract, damage) pair; archive damages only for contracts sent as a zip."""
    cases: list[object] = []
    for contract in REGISTRY:
        damages = dict(REFUSED)
        if contract.file_name.lower().endswith(".zip"):
            damages |= REFUSED_ARCHIVES
        for name, damage in damages.items():
            cases.append(pytest.param(contract, name, damage, id=f"{contract.dataset}-{name}"))
    return cases


@pytest.mark.parametrize(("contract", "name", "damage"), sweep())
def test_damaged_file_is_refused_and_lake_kept(
    tmp_path: Path,
    samples: dict[str, Good],
    monkeypatch: pytest.MonkeyPatch,
    contract: Contract,
    name: str,
    damage: Damage,
) -> None:
    settings, good, _ = load_good(tmp_path, contract, samples)
    lake_before = lake_file(settings, contract).read_bytes()
    record_before = record_file(settings, contract).read_bytes()
    landed = land(settings, contract, damage(contract, good), f"sample://{name}")
    assert landed.is_new
    if name in BOMBS:
        monkeypatch.setattr("sources.lake.MAX_UNCOMPRESSED_BYTES", BOMB_CAP)

    with pytest.raises(Exception) as caught:
        load(settings, contract, landed)

    exc = caught.value
    message = str(exc)
    assert contract.file_name in message
    assert len(message.split()) >= 6, f"not a sentence: {message!r}"
    # The normalize asset turns exactly these into a Failure; UnicodeDecodeError is a ValueError
    # too, hence the exact type check for plain ValueError.
    project_error = isinstance(exc, ContractError | DownloadError)
    assert project_error or type(exc) is ValueError, f"{type(exc).__name__}: {message}"
    assert lake_file(settings, contract).read_bytes() == lake_before
    assert record_file(settings, contract).read_bytes() == record_before
    assert leftovers(settings) == []


def test_the_sweep_sees_each_damage_fail_its_own_way(
    tmp_path: Path, samples: dict[str, Good], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each damage is caught by the guard meant for it, not by an earlier accident."""
    contract = REGISTRY[0]
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
        landed = land(settings, contract, damage(contract, good), f"sample://{name}")
        cap = BOMB_CAP if name in BOMBS else lake.MAX_UNCOMPRESSED_BYTES
        monkeypatch.setattr(lake, "MAX_UNCOMPRESSED_BYTES", cap)
        with pytest.raises((ContractError, DownloadError), match=re.escape(expected[name])):
            load(settings, contract, landed)


@pytest.mark.parametrize("contract", REGISTRY, ids=lambda c: c.dataset)
def test_bad_value_is_rejected_and_recorded(
    tmp_path: Path, contract: Contract, samples: dict[str, Good]
) -> None:
    settings, good, before = load_good(tmp_path, contract, samples)
    landed = land(settings, contract, bad_value(contract, good), "sample://bad value")

    record, loaded = load(settings, contract, landed)

    assert loaded
    assert record.rows_read == before.rows_read
    assert record.rows_rejected == before.rows_rejected + 1
    assert_rejects_recorded(record)
    reasons = pl.read_parquet(record.rejects_path)["reason"].to_list()
    assert any("2024-13-45 is not a valid date" in reason for reason in reasons)
    assert leftovers(settings) == []


@pytest.mark.parametrize("contract", REGISTRY, ids=lambda c: c.dataset)
def test_ten_times_the_rows_loads(
    tmp_path: Path, contract: Contract, samples: dict[str, Good]
) -> None:
    """No row-count breaker at this level: the asset check in pipelines/checks.py owns it."""
    settings, good, before = load_good(tmp_path, contract, samples)
    landed = land(settings, contract, ten_times_the_rows(contract, good), "sample://ten times")

    record, loaded = load(settings, contract, landed)

    assert loaded
    assert record.rows_read == 10 * before.rows_read
    assert record.rows_loaded == 10 * before.rows_loaded
    assert_rejects_recorded(record)
    assert leftovers(settings) == []


def test_registry_has_a_sample_for_every_contract(samples: dict[str, Good]) -> None:
    assert {c.file_name for c in REGISTRY} <= set(samples)
    assert len({c.dataset for c in REGISTRY}) == len(REGISTRY)
