"""The sample inbox: every internal source's files, with SIRETs drawn from the SIRENE sample."""

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

from sources.sample.inbox_controls import generate_controls
from sources.sample.inbox_hr import generate_hr

SAMPLE_AS_OF = date(2026, 12, 1)
"""The sample's own reference date: its files are the same whatever FCE_AS_OF says."""


def _column(zip_path: Path, column: str) -> list[str]:
    """One column of the CSV inside a SIRENE zip, read as a stream."""
    with zipfile.ZipFile(zip_path) as archive:
        member = archive.namelist()[0]
        with archive.open(member) as raw:
            reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
            return [row[column] for row in reader]


def generate_inbox(
    inbox: Path,
    sirene_dir: Path,
    etablissements: int,
    seed: int = 42,
    as_of: date = SAMPLE_AS_OF,
) -> dict[str, list[Path]]:
    """Write every internal source's sample files under ``inbox/<source>/``."""
    sirets = _column(sirene_dir / "StockEtablissement_utf8.zip", "siret")
    sirens = _column(sirene_dir / "StockUniteLegale_utf8.zip", "siren")
    written = generate_controls(inbox, sirets, sirens, etablissements, seed=seed, as_of=as_of)
    written.update(generate_hr(inbox, sirets, sirens, etablissements, seed=seed, as_of=as_of))
    return written
