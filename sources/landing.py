"""The landing zone: one immutable folder per source and arrival, each holding one input file.

Layout: ``<warehouse>/landing/<source>/<arrival_id>/`` contains the file exactly as it arrived and
``manifest.json`` (source, file, origin, sha256, size, arrived_at, arrival_id). An arrival id is
the arrival time in UTC followed by the first eight hex digits of the sha256, for example
``20261203T150405Z-3fa2b1c9``, so that sorting folder names sorts arrivals by time.

An arrival is built in ``<source>/.tmp-<random>/`` and renamed to its final name in one step, so a
reader sees either no folder or a complete one. A landing holds an exclusive lock on
``<source>/.lock`` for its whole duration; any ``.tmp-*`` folder found while holding that lock was
left by a run that was killed, and is removed.

Shortcomings: the lock uses ``fcntl.flock``, so this module runs on POSIX systems only, and the
lock is only as good as the file system's support for it (network file systems may ignore it).
Two arrivals of one source within the same second would get the same timestamp; the second one is
then stamped one second after the first, so that folder order and arrival order stay the same.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

logger = logging.getLogger("fce.landing")

MANIFEST_NAME = "manifest.json"
TMP_PREFIX = ".tmp-"
LOCK_NAME = ".lock"
CHUNK_BYTES = 1024 * 1024

ARRIVAL_ID_RE = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")
_SAFE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Landed:
    """One landed file; ``is_new`` is False when the same bytes were already the latest arrival."""

    source: str
    file_name: str
    path: Path
    origin: str
    sha256: str
    size: int
    arrived_at: str
    arrival_id: str
    is_new: bool


def landing_dir(warehouse: Path, source: str) -> Path:
    """Return the folder that holds every arrival of ``source``."""
    _check_name(source, "source")
    return Path(warehouse) / "landing" / source


def arrivals(warehouse: Path, source: str) -> list[Landed]:
    """Return every complete arrival of ``source``, oldest first (is_new is False on all)."""
    folder = landing_dir(warehouse, source)
    if not folder.is_dir():
        return []
    found = []
    for child in sorted(folder.iterdir(), key=lambda p: p.name):
        if child.is_dir() and ARRIVAL_ID_RE.match(child.name):
            found.append(_read_arrival(child))
    return found


def latest(warehouse: Path, source: str, file_name: str) -> Landed | None:
    """Return the newest arrival of ``source`` holding ``file_name``, or None if there is none."""
    for landed in reversed(arrivals(warehouse, source)):
        if landed.file_name == file_name:
            return landed
    return None


def land_file(
    warehouse: Path,
    source: str,
    tmp_file: Path,
    origin: str,
    file_name: str,
    *,
    sha256: str | None = None,
    size: int | None = None,
) -> Landed:
    """Move a complete downloaded file into a new arrival folder, unless it is already landed.

    ``sha256`` and ``size`` are those computed while the file was downloaded (see
    ``sources.download.fetch``); when ``sha256`` is not given the file is read once to compute it.
    The size on disk is always compared with ``size`` when given, to catch a file changed or cut
    after its download. If the sha256 equals that of the latest arrival of ``file_name``, the
    temporary file is deleted and that arrival is returned with ``is_new=False``. The temporary
    file should sit on the warehouse's file system, so that the move is a rename and not a copy.
    """
    _check_name(file_name, "file name")
    if file_name == MANIFEST_NAME:
        raise ValueError(f"file name {file_name!r} is reserved for the arrival manifest")
    tmp_file = Path(tmp_file)
    if not tmp_file.is_file():
        raise FileNotFoundError(f"cannot land {tmp_file}: no such file")
    on_disk = tmp_file.stat().st_size
    if size is not None and size != on_disk:
        raise ValueError(
            f"cannot land {tmp_file}: it holds {on_disk} bytes but its download gave {size} bytes;"
            " download it again"
        )
    digest = sha256 if sha256 is not None else file_sha256(tmp_file)

    folder = landing_dir(warehouse, source)
    folder.mkdir(parents=True, exist_ok=True)
    with _source_lock(folder):
        _remove_stale_tmp(folder)
        previous = latest(warehouse, source, file_name)
        if previous is not None and previous.sha256 == digest:
            tmp_file.unlink()
            logger.info(
                "%s/%s unchanged (sha256 %s), kept arrival %s",
                source,
                file_name,
                digest[:8],
                previous.arrival_id,
            )
            return replace(previous, is_new=False)
        arrived = _arrival_time(folder)
        arrival_id = f"{arrived.strftime(_TIMESTAMP_FORMAT)}-{digest[:8]}"
        manifest = {
            "source": source,
            "file": file_name,
            "origin": origin,
            "sha256": digest,
            "size": on_disk,
            "arrived_at": arrived.strftime(_ISO_FORMAT),
            "arrival_id": arrival_id,
        }
        final = folder / arrival_id
        _build_arrival(folder, tmp_file, manifest, final)
    logger.info(
        "landed %s/%s as arrival %s (%d bytes, sha256 %s) from %s",
        source,
        file_name,
        arrival_id,
        on_disk,
        digest[:8],
        origin,
    )
    return _landed_from_manifest(final, manifest, is_new=True)


def _build_arrival(folder: Path, tmp_file: Path, manifest: dict[str, object], final: Path) -> None:
    """Fill a hidden folder with the file and its manifest, then rename it to ``final``."""
    building = folder / f"{TMP_PREFIX}{secrets.token_hex(6)}"
    building.mkdir()
    try:
        target = building / str(manifest["file"])
        shutil.move(tmp_file, target)
        manifest_path = building / MANIFEST_NAME
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        for written in (target, manifest_path):
            os.chmod(written, 0o444)
            _fsync_file(written)
        _fsync_dir(building)
        os.rename(building, final)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    _fsync_dir(folder)


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of a file, read in chunks so that large files use little memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _check_name(name: str, what: str) -> None:
    """Refuse names that could leave the landing folder or hide among its internal entries."""
    if not _SAFE_NAME_RE.match(name):
        raise ValueError(
            f"invalid {what} {name!r}: use letters, digits, '.', '_' or '-',"
            " starting with a letter or digit"
        )


@contextmanager
def _source_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the source folder so that landings of one source run in turn."""
    with open(folder / LOCK_NAME, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_stale_tmp(folder: Path) -> None:
    """Delete the half-built arrivals of killed runs (the caller holds the source lock)."""
    for child in folder.iterdir():
        if child.name.startswith(TMP_PREFIX) and child.is_dir():
            logger.warning("removing %s, left by an interrupted landing", child)
            shutil.rmtree(child)


def _arrival_time(folder: Path) -> datetime:
    """Return now in UTC to the second, later than every existing arrival of the source."""
    now = datetime.now(UTC).replace(microsecond=0)
    stamps = [
        child.name.split("-", 1)[0]
        for child in folder.iterdir()
        if child.is_dir() and ARRIVAL_ID_RE.match(child.name)
    ]
    if stamps:
        newest = datetime.strptime(max(stamps), _TIMESTAMP_FORMAT).replace(tzinfo=UTC)
        if now <= newest:
            return newest + timedelta(seconds=1)
    return now


def _fsync_file(path: Path) -> None:
    """Flush a file's content to disk before its folder is renamed into place."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    """Flush a directory entry to disk so that a rename survives a crash."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_arrival(folder: Path) -> Landed:
    """Read the manifest of one arrival folder."""
    manifest_path = folder / MANIFEST_NAME
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"arrival {folder} has no readable {MANIFEST_NAME} ({exc}); the landing zone was"
            " changed by hand: restore the folder or move it out of the landing zone"
        ) from exc
    return _landed_from_manifest(folder, manifest, is_new=False)


def _landed_from_manifest(folder: Path, manifest: dict[str, object], is_new: bool) -> Landed:
    """Build a Landed record from an arrival folder and its manifest."""
    file_name = str(manifest["file"])
    return Landed(
        source=str(manifest["source"]),
        file_name=file_name,
        path=folder / file_name,
        origin=str(manifest["origin"]),
        sha256=str(manifest["sha256"]),
        size=int(str(manifest["size"])),
        arrived_at=str(manifest["arrived_at"]),
        arrival_id=str(manifest["arrival_id"]),
        is_new=is_new,
    )
