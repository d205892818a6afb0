"""Derive the IDCC seed (collective agreements and their titles) from the npm package kali-data.

Run it from a scratch folder outside the repository, then point it at that folder:

    cd "$(mktemp -d)"
    npm pack @socialgouv/kali-data@3.449.0
    mkdir kali && tar xzf socialgouv-kali-data-3.449.0.tgz -C kali
    python /path/to/dbt_project/seeds/derive_idcc_seed.py "$PWD"

The package (Fabrique numérique des ministères sociaux, from the DILA's KALI base) holds one JSON
file per national agreement, ``data/KALICONT*.json``, whose ``data`` object carries the IDCC
number (``num``), the title, a short title and the KALI identifier. The seed
``conventions_collectives_idcc.csv`` gets one row per IDCC, padded to 4 digits as the DSN writes
it, plus the DSN's own code 9999 ("no agreement determined"), which is not an agreement and so is
in no KALI file. A second run on the same package writes the same bytes.

Known gap: KALI lists the national agreements only (about 390 IDCC); the DARES list also has
regional and local ones (about 700). An IDCC of the DSN file missing here keeps its code on the
fiche with no title; a seed built from the DARES workbook would close the gap.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from collections.abc import Sequence
from pathlib import Path

PACKAGE = ("@socialgouv/kali-data", "3.449.0")
SEED = "conventions_collectives_idcc"
COLUMNS = ("code_idcc", "libelle_idcc", "libelle_court_idcc", "id_kali")
UNDETERMINED = {
    "code_idcc": "9999",
    "libelle_idcc": "Convention collective non déterminée (code 9999 de la DSN)",
    "libelle_court_idcc": "Non déterminée",
    "id_kali": "",
}


class SeedError(RuntimeError):
    """The package does not hold what the seed is made from."""


def find_package(root: Path, name: str, version: str) -> Path:
    """The folder of the unpacked package ``name`` at ``version`` anywhere under ``root``."""
    for manifest in sorted(root.rglob("package.json")):
        try:
            described = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if described.get("name") == name and described.get("version") == version:
            return manifest.parent
    raise SeedError(f"{name}@{version} not found under {root}: run `npm pack` and untar it there")


def clean(text: str) -> str:
    """Trim a title and collapse its inner runs of spaces."""
    return re.sub(r"\s+", " ", text).strip()


def agreement_rows(folder: Path) -> list[dict[str, str]]:
    """One row per IDCC found in the package's agreement files, 9999 added."""
    rows: dict[str, dict[str, str]] = {}
    for path in sorted((folder / "data").glob("KALICONT*.json")):
        data = json.loads(path.read_text(encoding="utf-8")).get("data", {})
        number = data.get("num")
        if number is None or not str(number).strip().isdigit():
            continue  # an agreement text with no IDCC (interprofessional accords)
        code = str(number).strip().zfill(4)
        row = {
            "code_idcc": code,
            "libelle_idcc": clean(str(data.get("title") or "")),
            "libelle_court_idcc": clean(str(data.get("shortTitle") or "")),
            "id_kali": str(data.get("id") or ""),
        }
        if code in rows and rows[code] != row:
            raise SeedError(f"IDCC {code} appears in two agreement files with other titles")
        rows[code] = row
    if len(rows) < 300:
        raise SeedError(
            f"only {len(rows)} IDCC found under {folder}/data: not the expected package"
        )
    rows[UNDETERMINED["code_idcc"]] = dict(UNDETERMINED)
    return [rows[code] for code in sorted(rows)]


def write_seed(folder: Path, rows: list[dict[str, str]]) -> Path:
    path = folder / f"{SEED}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{path.name}: {len(rows)} rows")
    return path


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", type=Path, help="folder holding the unpacked npm package")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent, help="seeds folder"
    )
    args = parser.parse_args(argv)
    write_seed(args.out, agreement_rows(find_package(args.packages, *PACKAGE)))


if __name__ == "__main__":
    try:
        main()
    except SeedError as error:
        raise SystemExit(f"derive_idcc_seed: {error}") from error
