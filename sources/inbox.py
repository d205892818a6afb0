"""The services' drop folder: find a source's files, land the ones not seen yet.

``$FCE_INBOX/<source>/`` receives the files of one source; a contract's ``file_pattern`` says
which are its own. The newest file (by modification time, then name) replaces the previous one,
except for a dataset that accumulates (``history_key``), whose every file is landed. A file is
landed under the contract's stable name with its real path as origin; one whose bytes were
landed before is not landed again.

Waiting for a file still being copied is the sensor's job (``pipelines/sensors.py``: a file is
taken once its size and time did not change between two looks); a run started by hand takes
the folder as it is.
"""

import fnmatch
import logging
import os
import shutil
from pathlib import Path

from sources.config import Settings
from sources.contracts import Contract
from sources.download import fetch
from sources.faults import remove_abandoned
from sources.landing import Landed, arrivals, file_sha256, land_file

log = logging.getLogger("fce.inbox")


def source_dir(settings: Settings, contract: Contract) -> Path:
    return settings.inbox / contract.source


def matching_files(folder: Path, contract: Contract) -> list[Path]:
    """The files of ``folder`` matching the contract's pattern, oldest first."""
    if not folder.is_dir() or not contract.file_pattern:
        return []
    found = [
        p
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and fnmatch.fnmatchcase(p.name, contract.file_pattern)
    ]
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))


def collect(settings: Settings, contract: Contract) -> list[Landed]:
    """Land the contract's new files from the inbox; return what was landed, newest last."""
    folder = source_dir(settings, contract)
    files = matching_files(folder, contract)
    if not files:
        raise FileNotFoundError(
            f"no file matching {contract.file_pattern!r} in {folder}: {contract.producer} / "
            f"{contract.system} has not dropped its export there"
        )
    if not contract.history_key:
        files = files[-1:]
    known = {
        a.sha256
        for a in arrivals(settings.warehouse, contract.source)
        if a.file_name == contract.file_name
    }
    landed: list[Landed] = []
    remove_abandoned(settings.work, f"inbox-{contract.dataset}.*")
    tmp = settings.work / f"inbox-{contract.dataset}.{os.getpid()}"
    try:
        for path in files:
            digest = file_sha256(path)
            if digest in known:
                log.info(
                    "%s: %s already landed (sha256 %s)", contract.dataset, path.name, digest[:12]
                )
                continue
            fetched = fetch(str(path), tmp)
            landed.append(
                land_file(
                    settings.warehouse,
                    contract.source,
                    fetched.path,
                    origin=str(path),
                    file_name=contract.file_name,
                    sha256=fetched.sha256,
                    size=fetched.size,
                )
            )
            known.add(fetched.sha256)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return landed


def pending(settings: Settings, contract: Contract) -> list[Landed]:
    """The landed files the lake does not hold yet, oldest first (all parts, or the newest)."""
    from sources.lake import is_loaded

    mine = [
        a
        for a in arrivals(settings.warehouse, contract.source)
        if a.file_name == contract.file_name
    ]
    if not contract.history_key:
        mine = mine[-1:]
    return [a for a in mine if not is_loaded(settings, contract, a)]
