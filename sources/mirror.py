"""Where a public file is fetched from: the producer, a mirror, or the embedded sample."""

from __future__ import annotations

import fcntl
import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sources.config import ORIGIN, SAMPLE, Settings
from sources.contracts import Contract

log = logging.getLogger("fce.mirror")

SAMPLE_SEED = 42


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One process at a time writes the sample (extract steps may run side by side)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_sample(settings: Settings) -> Path:
    """Write the sample files once per size into the sample mirror folder, then reuse them.

    The generator is deterministic, so the same size always gives the same bytes (and the same
    sha256, which lets an unchanged file be recognised). Files are written to a temporary folder
    and moved into place, so a killed generation never leaves a partial file behind.
    """
    from sources.sample import generate_public

    folder = settings.sample_mirror
    marker = folder / f".complete-{settings.sample_etablissements}-{SAMPLE_SEED}"
    with _locked(folder.parent):
        if marker.exists():
            return folder
        log.info(
            "generating the embedded sample (%d establishments) into %s",
            settings.sample_etablissements,
            folder,
        )
        with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".tmp-sample-") as tmp:
            written = generate_public(
                Path(tmp), etablissements=settings.sample_etablissements, seed=SAMPLE_SEED
            )
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob(".complete-*"):
                old.unlink()
            for name, path in written.items():
                shutil.move(str(path), folder / name)
        marker.touch()
    return folder


def ensure_sample_inbox(settings: Settings) -> Path:
    """Write the sample inbox once per size (from the SIRENE sample's identifiers), then reuse it.

    Like the SIRENE sample, it is written to a temporary folder and moved into place.
    """
    from sources.sample.inbox import generate_inbox

    sirene = ensure_sample(settings)
    folder = settings.warehouse / "sample" / "inbox"
    marker = folder / f".complete-{settings.sample_etablissements}-{SAMPLE_SEED}"
    with _locked(folder.parent):
        if marker.exists():
            return folder
        log.info("generating the sample inbox into %s", folder)
        with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".tmp-inbox-") as tmp:
            generate_inbox(Path(tmp), sirene, settings.sample_etablissements, seed=SAMPLE_SEED)
            shutil.rmtree(folder, ignore_errors=True)
            shutil.move(tmp, folder)
            Path(tmp).mkdir()  # TemporaryDirectory removes what it created
        marker.touch()
    return folder


def url_for(settings: Settings, contract: Contract) -> str:
    """The URL to fetch ``contract``'s file from, following FCE_DOWNLOAD_MIRROR."""
    if settings.mirror == ORIGIN:
        if not contract.origin_url:
            raise ValueError(f"{contract.dataset} has no origin URL: it arrives by file drop")
        return contract.origin_url
    if settings.mirror == SAMPLE:
        return (ensure_sample(settings) / contract.file_name).as_uri()
    return settings.mirror.rstrip("/") + "/" + contract.file_name
