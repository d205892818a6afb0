"""Sample of the DSN list of collective agreements by SIRET (WEEZ.csv), in its real format.

`generate_conventions_collectives` writes ``WEEZ.csv`` next to the SIRENE zips it reads: UTF-8,
comma, no quoting, header ``MOIS,SIRET,IDCC,DATE_MAJ``, the IDCC left-aligned on 6 characters
(``2614  ``), DATE_MAJ as ``YYYY/MM/DD``, ``\\n`` line ends. The rows of `PLANTED_ROWS` come
first whatever the size and the seed; then about 60 % of the active établissements of the stock
declare one agreement drawn from the most common ones, a few of them two, about 7 % the code 9999
(not determined); one SIRET in 300 starting with 0 lost it (13 digits).

Known shortcomings, harmless for tests and benchmarks:
- The agreement is drawn independently of the NAF code: a bakery may apply the metalworkers'
  agreement.
- The real file holds one month; the sample adds, for one planted SIRET, lines of the month
  before, so that the "latest month" rule of the warehouse has something to choose from.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import polars as pl

from sources.sample.sirene import PLANTED

FILE_NAME = "WEEZ.csv"
HEADER = "MOIS,SIRET,IDCC,DATE_MAJ"
MONTH = "2026-07"
PREVIOUS_MONTH = "2026-06"
DATE_MAJ = "2026/08/25"
ABSENT_SIRET = "99999999900018"
"""A SIRET absent from SIRENE, declared once."""
UNKNOWN_IDCC = "5554"
"""An IDCC that the agreements seed does not list (regional agreements are not in KALI)."""

COMMON_IDCC: tuple[tuple[str, float], ...] = (
    ("1486", 9.0),  # bureaux d'études techniques
    ("1979", 8.0),  # hôtels, cafés, restaurants
    ("2216", 7.0),  # commerce à prédominance alimentaire
    ("1597", 6.0),  # bâtiment ouvriers (+10)
    ("1596", 6.0),  # bâtiment ouvriers (-10)
    ("3248", 6.0),  # métallurgie
    ("2120", 4.0),  # banque
    ("0016", 4.0),  # transports routiers
    ("1517", 4.0),  # commerces de détail non alimentaires
    ("2098", 3.0),  # prestataires de services du tertiaire
    ("1090", 3.0),  # services de l'automobile
    ("0573", 3.0),  # commerces de gros
    ("2511", 2.0),  # sport
    ("1518", 2.0),  # animation
    ("3127", 2.0),  # services à la personne
    ("2264", 2.0),  # hospitalisation privée
    ("1043", 2.0),  # gardiens d'immeubles
    ("0044", 1.0),  # industries chimiques
    ("2614", 1.0),  # travaux publics ETAM
)

_SIEGE = str(PLANTED["siege_actif"]["siret"])
_ZEROS = str(PLANTED["siren_zeros"]["siret"])
_SUCCESSEUR = str(PLANTED["successeur"]["siret"])
_CORSE = str(PLANTED["corse"]["siret"])
_OUTRE_MER = str(PLANTED["outre_mer"]["siret"])

PLANTED_ROWS: tuple[tuple[str, str, str], ...] = (
    # (MOIS, SIRET as written, IDCC as written)
    (MONTH, _SIEGE, "1486"),
    (MONTH, _SIEGE, "9999"),
    (PREVIOUS_MONTH, _SIEGE, "1979"),  # an older month: not the current agreement
    (MONTH, _ZEROS[1:], "1518"),  # the SIRET lost its leading zero: 13 digits
    (MONTH, _SUCCESSEUR, "16"),  # IDCC written without its leading zeros
    (MONTH, _CORSE, "1979"),
    (MONTH, _CORSE, UNKNOWN_IDCC),
    (MONTH, ABSENT_SIRET, "1486"),
    (MONTH, _SIEGE[:-1] + "A", "1486"),  # broken: not a SIRET
    (MONTH, _OUTRE_MER, "N/A"),  # broken: not an IDCC
)
"""Rows written first; the last two are rejected by the contract."""


def stock_etablissements(out_dir: Path, columns: list[str]) -> pl.DataFrame:
    """Some columns of the StockEtablissement zip already written in ``out_dir``, as text."""
    with zipfile.ZipFile(Path(out_dir) / "StockEtablissement_utf8.zip") as archive:
        data = archive.read(archive.namelist()[0])
    return pl.read_csv(io.BytesIO(data), columns=columns, infer_schema=False)


def _line(month: str, siret: str, idcc: str) -> str:
    return f"{month},{siret},{idcc:<6},{DATE_MAJ}\n"


def generate_conventions_collectives(
    out_dir: Path, etablissements: int, seed: int
) -> dict[str, Path]:
    """Write ``WEEZ.csv`` from the SIRENE sample in ``out_dir``; return {file name: path}."""
    del etablissements  # the size follows the stock already written
    rng = random.Random(f"conventions_collectives-{seed}")
    stock = stock_etablissements(out_dir, ["siret", "etatAdministratifEtablissement"])
    planted = {str(record["siret"]) for record in PLANTED.values()}
    codes = [code for code, _ in COMMON_IDCC]
    weights = [weight for _, weight in COMMON_IDCC]
    lines = [HEADER + "\n", *(_line(*row) for row in PLANTED_ROWS)]
    for siret, etat in stock.iter_rows():
        if etat != "A" or siret in planted:
            continue
        draw = rng.random()
        if draw < 0.07:
            declared = ["9999"]
        elif draw < 0.64:
            declared = rng.choices(codes, weights)
            if rng.random() < 0.05:
                declared += [c for c in rng.choices(codes, weights) if c not in declared]
        else:
            continue
        written = siret[1:] if siret.startswith("0") and rng.random() < 1 / 300 else siret
        lines += [_line(MONTH, written, idcc) for idcc in declared]
    path = Path(out_dir) / FILE_NAME
    path.write_text("".join(lines), encoding="utf-8", newline="")
    return {FILE_NAME: path}
