"""Tests of the download and landing layer against a local HTTP server (no internet)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import stat
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from sources.download import (
    CHUNK_BYTES,
    ArchiveError,
    DownloadError,
    Fetched,
    check_zip,
    extract_member,
    fetch,
)
from sources.landing import Landed, land_file, latest
from tests.http_server import Server

SIRENE_ID = "0651fb76-bcf3-4f6a-a38d-bc04fa708576"
ZIP_NAME = "StockEtablissement_utf8.zip"
FAST = {"backoff": 0.01, "timeout": 5}


def sha(data: bytes) -> str:
    """Hex sha256 of bytes, the value every layer must agree on."""
    return hashlib.sha256(data).hexdigest()


def make_zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """Build a zip in memory with the given member names and contents."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


def publish(server: Server, relative: str, data: bytes) -> str:
    """Put a file on the test server and return its URL."""
    target = server.directory / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return server.url_for(relative)


def arrival_folders(warehouse: Path, source: str) -> list[str]:
    """Names of the completed arrival folders of a source."""
    folder = warehouse / "landing" / source
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def download_and_land(url: str, tmp_path: Path, source: str = "sirene") -> tuple[Fetched, Landed]:
    """Fetch a URL and land it under the contract's file name, as an extract asset would."""
    fetched = fetch(url, tmp_path / "downloads", **FAST)
    landed = land_file(
        tmp_path / "warehouse",
        source,
        fetched.path,
        url,
        ZIP_NAME,
        sha256=fetched.sha256,
        size=fetched.size,
    )
    return fetched, landed


# --- fetch over HTTP ---------------------------------------------------------------------------


def test_fetch_follows_the_stable_link_redirect(http_server: Server, tmp_path: Path) -> None:
    data = b"siren,nic,siret\n123456789,00012,12345678900012\n"
    publish(http_server, f"files/{ZIP_NAME}", data)
    http_server.redirect(f"/datasets/r/{SIRENE_ID}", f"/files/{ZIP_NAME}")
    stable = http_server.url_for(f"datasets/r/{SIRENE_ID}")

    fetched = fetch(stable, tmp_path / "downloads", **FAST)

    assert fetched.url == stable
    assert fetched.final_url == http_server.url_for(f"files/{ZIP_NAME}")
    assert fetched.path == tmp_path / "downloads" / ZIP_NAME
    assert fetched.path.read_bytes() == data
    assert (fetched.sha256, fetched.size) == (sha(data), len(data))
    assert http_server.count(f"/datasets/r/{SIRENE_ID}") == 1
    assert http_server.count(f"/files/{ZIP_NAME}") == 1
    assert [p.name for p in (tmp_path / "downloads").iterdir()] == [ZIP_NAME]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_fetch_retries_server_errors_then_succeeds(
    http_server: Server, tmp_path: Path, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    url = publish(http_server, ZIP_NAME, data)
    http_server.fail(f"/{ZIP_NAME}", times=2, status=status)

    with caplog.at_level(logging.INFO, logger="fce.download"):
        fetched = fetch(url, tmp_path, **FAST)

    assert http_server.count(f"/{ZIP_NAME}") == 3
    assert fetched.sha256 == sha(data)
    assert fetched.size == len(data)
    assert fetched.path.read_bytes() == data
    retries = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(retries) == 2
    assert all(f"HTTP {status}" in r.getMessage() for r in retries)
    assert f"{len(data)} bytes" in caplog.records[-1].getMessage()
    assert "3 attempt(s)" in caplog.records[-1].getMessage()


def test_fetch_retries_after_a_read_timeout(http_server: Server, tmp_path: Path) -> None:
    data = b"slow origin"
    url = publish(http_server, ZIP_NAME, data)
    http_server.stall(f"/{ZIP_NAME}", times=1)

    fetched = fetch(url, tmp_path / "downloads", backoff=0.01, timeout=0.2)

    assert fetched.sha256 == sha(data)
    assert http_server.count(f"/{ZIP_NAME}") == 2


def test_fetch_gives_up_after_all_attempts(http_server: Server, tmp_path: Path) -> None:
    url = publish(http_server, ZIP_NAME, b"never served")
    http_server.fail(f"/{ZIP_NAME}", times=10, status=503)

    with pytest.raises(DownloadError) as error:
        fetch(url, tmp_path / "downloads", retries=3, **FAST)

    message = str(error.value)
    assert f"GET {url} failed after 3 attempts" in message
    assert "HTTP 503" in message
    assert "retry later" in message
    assert http_server.count(f"/{ZIP_NAME}") == 3
    assert list((tmp_path / "downloads").iterdir()) == []


def test_fetch_404_fails_at_once(http_server: Server, tmp_path: Path) -> None:
    url = http_server.url_for("datasets/r/unknown-resource")

    with pytest.raises(DownloadError) as error:
        fetch(url, tmp_path, **FAST)

    assert url in str(error.value)
    assert "HTTP 404" in str(error.value)
    assert http_server.count("/datasets/r/unknown-resource") == 1


def test_fetch_truncated_body_is_retried_then_fails(http_server: Server, tmp_path: Path) -> None:
    url = publish(http_server, ZIP_NAME, b"x" * 1000)
    http_server.truncate(f"/{ZIP_NAME}", keep_bytes=400)

    with pytest.raises(DownloadError) as error:
        fetch(url, tmp_path / "downloads", retries=3, **FAST)

    message = str(error.value)
    assert url in message
    assert "expected 1000 bytes" in message
    assert "received 400" in message
    assert http_server.count(f"/{ZIP_NAME}") == 3
    assert list((tmp_path / "downloads").iterdir()) == [], "no partial file is left behind"


def test_fetch_recovers_from_one_truncated_body(http_server: Server, tmp_path: Path) -> None:
    data = b"y" * 5000
    url = publish(http_server, ZIP_NAME, data)
    http_server.truncate(f"/{ZIP_NAME}", keep_bytes=10, times=1)

    fetched = fetch(url, tmp_path, **FAST)

    assert fetched.sha256 == sha(data)
    assert http_server.count(f"/{ZIP_NAME}") == 2


def test_fetch_refuses_a_file_over_max_bytes(http_server: Server, tmp_path: Path) -> None:
    url = publish(http_server, ZIP_NAME, b"z" * 2048)

    with pytest.raises(DownloadError, match="over the limit of 1024"):
        fetch(url, tmp_path / "downloads", max_bytes=1024, **FAST)

    assert http_server.count(f"/{ZIP_NAME}") == 1
    assert list((tmp_path / "downloads").iterdir()) == []


# --- local mirror ------------------------------------------------------------------------------


@pytest.mark.parametrize("as_uri", [True, False], ids=["file-url", "plain-path"])
def test_fetch_copies_from_a_local_mirror(tmp_path: Path, as_uri: bool) -> None:
    mirror = tmp_path / "mirror dir" / ZIP_NAME
    mirror.parent.mkdir()
    data = os.urandom(2 * 1024 * 1024 + 5)
    mirror.write_bytes(data)
    url = mirror.as_uri() if as_uri else str(mirror)

    fetched = fetch(url, tmp_path / "downloads")

    assert fetched.path == tmp_path / "downloads" / ZIP_NAME
    assert fetched.path.read_bytes() == data
    assert (fetched.sha256, fetched.size) == (sha(data), len(data))
    assert fetched.final_url == url


def test_mirror_copy_stops_past_max_bytes(tmp_path: Path) -> None:
    mirror = tmp_path / ZIP_NAME
    mirror.write_bytes(b"m" * (CHUNK_BYTES + 10))

    with pytest.raises(DownloadError, match=f"larger than the limit of {CHUNK_BYTES}"):
        fetch(str(mirror), tmp_path / "downloads", max_bytes=CHUNK_BYTES)

    assert list((tmp_path / "downloads").iterdir()) == []


def test_fetch_names_a_missing_mirror_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / ZIP_NAME

    with pytest.raises(DownloadError, match="check the mirror path") as error:
        fetch(missing.as_uri(), tmp_path / "downloads")

    assert str(missing) in str(error.value)


# --- landing -----------------------------------------------------------------------------------


def test_same_file_served_twice_lands_once(http_server: Server, tmp_path: Path) -> None:
    url = publish(http_server, ZIP_NAME, b"same bytes every month")

    _, first = download_and_land(url, tmp_path)
    fetched, second = download_and_land(url, tmp_path)

    assert first.is_new is True
    assert second.is_new is False
    assert second.arrival_id == first.arrival_id
    assert second.path == first.path
    assert arrival_folders(tmp_path / "warehouse", "sirene") == [first.arrival_id]
    assert not fetched.path.exists(), "the duplicate download is deleted"


def test_changed_file_lands_in_a_new_folder(http_server: Server, tmp_path: Path) -> None:
    url = publish(http_server, ZIP_NAME, b"January stock")
    _, old = download_and_land(url, tmp_path)
    old_manifest = (old.path.parent / "manifest.json").read_bytes()

    publish(http_server, ZIP_NAME, b"February stock")
    _, new = download_and_land(url, tmp_path)

    assert new.is_new is True
    assert new.arrival_id != old.arrival_id
    assert arrival_folders(tmp_path / "warehouse", "sirene") == [old.arrival_id, new.arrival_id]
    assert old.path.read_bytes() == b"January stock"
    assert (old.path.parent / "manifest.json").read_bytes() == old_manifest
    assert new.path.read_bytes() == b"February stock"
    assert latest(tmp_path / "warehouse", "sirene", ZIP_NAME) == replace(new, is_new=False)


def test_manifest_describes_the_arrival(http_server: Server, tmp_path: Path) -> None:
    data = b"content of the stock file"
    url = publish(http_server, ZIP_NAME, data)

    _, landed = download_and_land(url, tmp_path)

    folder = tmp_path / "warehouse" / "landing" / "sirene" / landed.arrival_id
    assert sorted(p.name for p in folder.iterdir()) == sorted([ZIP_NAME, "manifest.json"])
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) == {
        "source",
        "file",
        "origin",
        "sha256",
        "size",
        "arrived_at",
        "arrival_id",
    }
    assert manifest["source"] == "sirene"
    assert manifest["file"] == ZIP_NAME
    assert manifest["origin"] == url
    assert manifest["sha256"] == sha(data)
    assert manifest["size"] == len(data)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["arrived_at"])
    stamp = manifest["arrived_at"].replace("-", "").replace(":", "")
    assert manifest["arrival_id"] == f"{stamp}-{sha(data)[:8]}" == landed.arrival_id
    assert landed.path == folder / ZIP_NAME
    assert (landed.origin, landed.sha256, landed.size) == (url, sha(data), len(data))


def test_landed_files_are_read_only(http_server: Server, tmp_path: Path) -> None:
    url = publish(http_server, ZIP_NAME, b"immutable")

    _, landed = download_and_land(url, tmp_path)

    assert stat.S_IMODE(landed.path.stat().st_mode) == 0o444
    assert stat.S_IMODE((landed.path.parent / "manifest.json").stat().st_mode) == 0o444


def test_landing_computes_the_sha256_when_not_given(tmp_path: Path) -> None:
    download = tmp_path / "download.bin"
    download.write_bytes(b"no checksum passed")

    landed = land_file(tmp_path / "warehouse", "sirene", download, "inbox", ZIP_NAME)

    assert landed.sha256 == sha(b"no checksum passed")
    assert landed.size == len(b"no checksum passed")


def test_a_returning_older_content_is_a_new_arrival(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    ids = []
    for content in (b"version A", b"version B", b"version A"):
        download = tmp_path / "download.bin"
        download.write_bytes(content)
        ids.append(land_file(warehouse, "sirene", download, "inbox", ZIP_NAME).arrival_id)

    assert len(set(ids)) == 3
    assert arrival_folders(warehouse, "sirene") == ids, "folder order is arrival order"
    assert latest(warehouse, "sirene", ZIP_NAME).arrival_id == ids[-1]


def test_latest_only_returns_the_requested_file_name(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    for name in (ZIP_NAME, "StockUniteLegale_utf8.zip"):
        download = tmp_path / "download.bin"
        download.write_bytes(name.encode())
        land_file(warehouse, "sirene", download, "inbox", name)

    found = latest(warehouse, "sirene", ZIP_NAME)

    assert found is not None and found.path.read_bytes() == ZIP_NAME.encode()
    assert latest(warehouse, "sirene", "StockEtablissementHistorique_utf8.zip") is None
    assert latest(warehouse, "other_source", ZIP_NAME) is None


def test_stale_tmp_folders_are_removed_by_the_next_landing(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    stale = warehouse / "landing" / "sirene" / ".tmp-killedrun"
    stale.mkdir(parents=True)
    (stale / ZIP_NAME).write_bytes(b"half a file")
    download = tmp_path / "download.bin"
    download.write_bytes(b"complete file")

    landed = land_file(warehouse, "sirene", download, "inbox", ZIP_NAME)

    assert not stale.exists()
    assert arrival_folders(warehouse, "sirene") == [landed.arrival_id]


def test_landing_refuses_a_file_whose_size_changed(tmp_path: Path) -> None:
    download = tmp_path / "download.bin"
    download.write_bytes(b"12345")

    with pytest.raises(ValueError, match="download it again"):
        land_file(tmp_path / "warehouse", "sirene", download, "inbox", ZIP_NAME, size=9)

    assert download.exists()


@pytest.mark.parametrize("name", ["../evil.zip", "manifest.json", ".hidden", "a/b.zip"])
def test_landing_refuses_unsafe_file_names(tmp_path: Path, name: str) -> None:
    download = tmp_path / "download.bin"
    download.write_bytes(b"data")

    with pytest.raises(ValueError, match="file name"):
        land_file(tmp_path / "warehouse", "sirene", download, "inbox", name)


# --- zip checks --------------------------------------------------------------------------------


def test_check_zip_returns_the_member_names(tmp_path: Path) -> None:
    archive = tmp_path / ZIP_NAME
    archive.write_bytes(make_zip({"StockEtablissement_utf8.csv": b"siren\n123456789\n"}))

    assert check_zip(archive) == ["StockEtablissement_utf8.csv"]


def test_truncated_zip_is_an_archive_error(tmp_path: Path) -> None:
    data = make_zip({"StockEtablissement_utf8.csv": os.urandom(50_000)})
    archive = tmp_path / ZIP_NAME
    archive.write_bytes(data[: len(data) // 2])

    with pytest.raises(ArchiveError) as error:
        check_zip(archive)

    assert ZIP_NAME in str(error.value)
    assert "truncated or corrupt" in str(error.value)
    assert "download it again" in str(error.value)


def test_a_non_zip_file_is_an_archive_error(tmp_path: Path) -> None:
    archive = tmp_path / ZIP_NAME
    archive.write_bytes(b"<html>maintenance page</html>")

    with pytest.raises(ArchiveError, match=ZIP_NAME):
        check_zip(archive)


@pytest.mark.parametrize(
    "member", ["../evil.csv", "data/../../evil.csv", "/etc/evil.csv", "C:/evil.csv", "..\\x.csv"]
)
def test_zip_with_an_unsafe_member_path_is_refused(tmp_path: Path, member: str) -> None:
    archive = tmp_path / ZIP_NAME
    archive.write_bytes(make_zip({member: b"pwned"}))

    with pytest.raises(ArchiveError) as error:
        check_zip(archive)

    assert repr(member) in str(error.value)
    with pytest.raises(ArchiveError):
        extract_member(archive, member, tmp_path / "out.csv")


def test_zip_with_two_members_when_one_is_expected(tmp_path: Path) -> None:
    archive = tmp_path / ZIP_NAME
    archive.write_bytes(make_zip({"a.csv": b"1", "b.csv": b"2"}))

    with pytest.raises(ArchiveError, match="expected 1 member"):
        check_zip(archive)
    assert check_zip(archive, expected_members=2) == ["a.csv", "b.csv"]
    assert check_zip(archive, expected_members=None) == ["a.csv", "b.csv"]


def test_zip_bomb_guard_uses_the_declared_size(tmp_path: Path) -> None:
    archive = tmp_path / ZIP_NAME
    archive.write_bytes(make_zip({"bomb.csv": b"\0" * 5_000_000}))
    assert archive.stat().st_size < 50_000

    with pytest.raises(ArchiveError, match="5000000 bytes uncompressed"):
        check_zip(archive, max_uncompressed_bytes=1_000_000)
    assert check_zip(archive, max_uncompressed_bytes=5_000_000) == ["bomb.csv"]


# --- member extraction -------------------------------------------------------------------------


def test_extract_member_streams_the_member_out(tmp_path: Path) -> None:
    content = os.urandom(3 * 1024 * 1024)
    archive = tmp_path / ZIP_NAME
    archive.write_bytes(make_zip({"stock/StockEtablissement_utf8.csv": content}))
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    written = extract_member(archive, "stock/StockEtablissement_utf8.csv", out_dir)

    assert written == out_dir / "StockEtablissement_utf8.csv"
    assert written.read_bytes() == content
    assert sorted(p.name for p in out_dir.iterdir()) == ["StockEtablissement_utf8.csv"]


def test_extract_member_turns_a_crc_error_into_an_archive_error(tmp_path: Path) -> None:
    content = b"siren,nic\n" * 1000
    data = bytearray(make_zip({"s.csv": content}, method=zipfile.ZIP_STORED))
    data[data.find(content) + 500] ^= 0xFF
    archive = tmp_path / ZIP_NAME
    archive.write_bytes(bytes(data))
    assert check_zip(archive) == ["s.csv"], "the central directory alone looks fine"

    with pytest.raises(ArchiveError) as error:
        extract_member(archive, "s.csv", tmp_path / "s.csv")

    assert ZIP_NAME in str(error.value)
    assert "CRC" in str(error.value)
    assert not (tmp_path / "s.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == [ZIP_NAME], "no partial output is left"


def test_extract_member_stops_past_max_bytes(tmp_path: Path) -> None:
    archive = tmp_path / ZIP_NAME
    archive.write_bytes(make_zip({"big.csv": b"\0" * 3_000_000}))

    with pytest.raises(ArchiveError, match="beyond 1000000 bytes"):
        extract_member(archive, "big.csv", tmp_path / "big.csv", max_bytes=1_000_000)

    assert [p.name for p in tmp_path.iterdir()] == [ZIP_NAME]


def test_extract_member_names_a_missing_member(tmp_path: Path) -> None:
    archive = tmp_path / ZIP_NAME
    archive.write_bytes(make_zip({"a.csv": b"1"}))

    with pytest.raises(ArchiveError, match="no member 'b.csv'"):
        extract_member(archive, "b.csv", tmp_path / "b.csv")
