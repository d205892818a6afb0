"""Sample inbox of the HR sources: the services' files, written offline in their real formats.

`generate_hr` drops into ``inbox/<source>/`` the files of daccord, dsn_effectifs, sipsi,
apprentissage, accidents_travail and iae, as the services send them: the header names of each
contract byte for byte, its separator and date formats, and the producers' habits (every value
quoted in daccord and apprentissage, only text quoted in sipsi, nothing quoted elsewhere; a UTF-8
BOM in dsn_effectifs, sipsi and accidents_travail; ``\\r\\n`` line ends in daccord).

SIRETs are drawn from the SIRENE sample the caller passes, so joins work; about 1 % of the rows
carry a valid SIRET absent from SIRENE, and about 0.5 % are broken on purpose (a SIRET that lost
its leading zero or holds spaces, a date that does not parse, an HTML entity in a text value, a
duplicated row). The records of `planted_inbox` come first in every file, whatever the size and
the seed; the rest is reproducible for a seed.

The month ``as_of - 2 months`` of dsn_effectifs is delivered twice: the first file in the inbox,
and a resend (one planted headcount changed, every DATE_MAJ later) written under the same name in
``inbox/dsn_effectifs/renvoi/``, a folder the loader does not read; a test moves it into the inbox
after the first load. `dsn_file` writes any other replacement.

Known shortcomings:
- Draws are plain Python loops: about three million rows a minute, enough for tests and benchmarks,
  slow for a national-size sample (dsn_effectifs writes 24 × 40 % of the établissements).
- The SIRET list carries no dates, so a closed établissement may get activity after its closing
  date; only the planted ones are dated on purpose.
- Files under 200 rows carry no broken row (0.5 % rounds down to none), and the lost-zero trap is
  skipped in a file whose drawn SIRETs never start with 0.
- There is no free text in these files: the HTML entity is written in the case number of daccord
  and apprentissage, its first character as a numeric reference (``&#84;07526001234``). A full
  HTML decoder gives the real number back; a decoder limited to a table of common entities (as
  normalize.py's is) leaves it, and that row keeps a wrong case number.
- Planted dates outside the 24 months of dsn_effectifs are fixed (2021 to 2026) and do not move
  with ``as_of``.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

import polars as pl

from sources.accidents_travail.contract import COMPTES
from sources.apprentissage.contract import CONTRATS
from sources.contracts import Contract, Kind
from sources.daccord.contract import ACCORDS, THEMES
from sources.dsn_effectifs.contract import EFFECTIFS
from sources.iae.contract import AGREMENTS, KINDS
from sources.sample.sirene import PLANTED, luhn_is_valid
from sources.sipsi.contract import PAR_SIREN, PAR_SIRET

AS_OF = date(2026, 12, 1)
ABSENT_SIRET = "99999999900018"
"""Absent from SIRENE; written once in every file keyed by SIRET."""
DSN_MONTHS = 24
DSN_LAGGING = (3, 11, 19)
"""Indexes (0 = oldest of the 24 months) of the files whose MOIS column names the month before."""
DSN_RESEND_DIR = "renvoi"
MIN_ROWS = 3
ABSENT_SHARE = 0.01
BROKEN_EVERY = 200  # one broken row per 200 rows: 0.5 %

_SIEGE = str(PLANTED["siege_actif"]["siret"])
_SIEGE_SIREN = str(PLANTED["siege_actif"]["siren"])
_FERME = str(PLANTED["ferme_avec_successeur"]["siret"])
_VIRGULE = str(PLANTED["virgule_echappee"]["siret"])
_PLANTED_SIRETS = frozenset(str(record["siret"]) for record in PLANTED.values())

QuoteStyle = Literal["always", "non_numeric", "never"]


@dataclass(frozen=True)
class _Style:
    """How one producer writes its CSV files."""

    separator: str
    quote: QuoteStyle
    bom: bool = False
    crlf: bool = False
    date_format: str = "%Y-%m-%d"
    decimal_comma: bool = False
    booleans: tuple[str, str] = ("True", "False")


_STYLES: dict[str, _Style] = {
    "daccord": _Style(";", "always", crlf=True),
    "dsn_effectifs": _Style(",", "never", bom=True, date_format="%Y/%m/%d"),
    "sipsi": _Style(",", "non_numeric", bom=True),
    "apprentissage": _Style(";", "always", date_format="%d/%m/%Y"),
    "accidents_travail": _Style(";", "never", bom=True, decimal_comma=True),
    "iae": _Style(";", "never"),
}

# fmt: off
_DEPARTEMENTS = (
    "001", "006", "013", "031", "033", "034", "035", "038", "044", "059", "062", "067", "069",
    "075", "076", "083", "092", "093", "094", "095", "971", "974",
)
_TYPES_CONTRAT = (("11", 60.0), ("21", 15.0), ("22", 10.0), ("31", 8.0), ("32", 7.0))
# NAF sections with a rough national rate of accidents per 1000 employees (invented values).
_SECTIONS = (
    ("A", 38.0), ("C", 31.0), ("F", 52.0), ("G", 27.0), ("H", 41.0), ("I", 35.0), ("J", 9.8),
    ("K", 6.1), ("M", 11.4), ("N", 44.0), ("Q", 46.0), ("S", 22.0),
)
_IAE_WEIGHTS = (40.0, 15.0, 20.0, 15.0, 10.0)
# fmt: on


def _add_months(day: date, months: int) -> date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _dsn_months(as_of: date) -> list[date]:
    """First days of the 24 months before `as_of`'s month, oldest first."""
    return [_add_months(as_of, offset) for offset in range(-DSN_MONTHS, 0)]


def _headcount_series() -> list[int]:
    """siege_actif's EFF_TOTAL over the 24 months, oldest first: 42 last, 40 the month before."""
    return [36 + index // 4 for index in range(DSN_MONTHS - 2)] + [40, 42]


def _dsn_row(siret: str, month: date, eff: int, lag: bool, updated: date) -> dict[str, object]:
    """A planted headcount row, its split between women and men and contracts fixed by `eff`."""
    shown = _add_months(month, -1) if lag else month
    hommes = eff * 11 // 20
    large = eff >= 20
    return {
        "MOIS": shown.strftime("%Y-%m"),
        "SIRET": siret,
        "EFF_TOTAL": eff,
        "EFF_HOMME": hommes,
        "EFF_FEMME": eff - hommes,
        "NB_CDD": 4 if large else 1,
        "NB_CDI": eff - (4 if large else 1),
        "NB_CDI_INTER": 0,
        "NB_INTER_MISSION": 0,
        "NB_INTERIM": 2 if large else 0,
        "DATE_MAJ": updated,
        "mois_fichier": month,
    }


def planted_inbox(as_of: date = AS_OF) -> dict[str, list[dict[str, object]]]:
    """The planted rows per dataset, typed (date, int, bool, Decimal, str), contract names.

    Derived columns are given too (``mois_fichier`` for dsn_effectifs, ``annee`` for sipsi); sipsi's
    counts use the contract's names, not the year-stamped ones of the file.
    """
    zero_themes = dict.fromkeys(THEMES, 0)
    months = _dsn_months(as_of)
    dsn = [
        _dsn_row(_SIEGE, month, eff, index in DSN_LAGGING, _add_months(month, 1))
        for index, (month, eff) in enumerate(zip(months, _headcount_series(), strict=True))
    ]
    dsn.append(_dsn_row(ABSENT_SIRET, months[-1], 3, False, _add_months(months[-1], 1)))
    year = as_of.year
    return {
        "daccord_accords": [
            {
                "num_dos": "T07526001234",
                "siret": _SIEGE,
                "dt_sign": date(2026, 3, 12),
                **zero_themes,
                "groth2_02_remuneration": 1,
                "groth2_03_duree_amenagement_temps_travail": 1,
            },
            {
                "num_dos": "T04421000317",
                "siret": _FERME,
                "dt_sign": date(2021, 1, 15),
                **zero_themes,
                "groth2_05_emploi": 1,
                "groth2_08_formation_professionnelle": 2,
            },
            {
                "num_dos": "T09326000999",
                "siret": ABSENT_SIRET,
                "dt_sign": date(2026, 6, 30),
                **zero_themes,
                "groth2_11_autres": 1,
            },
        ],
        "dsn_effectifs": dsn,
        "sipsi_siren": [
            {
                "client_siren": _SIEGE_SIREN,
                "salaries_distincts_annee": 7,
                "salaries_distincts_annee_precedente": 4,
                "annee": year,
            }
        ],
        "sipsi_siret": [
            {
                "siret": _SIEGE,
                "salaries_distincts_annee": 5,
                "salaries_distincts_annee_precedente": 3,
                "annee": year,
            },
            {
                "siret": ABSENT_SIRET,
                "salaries_distincts_annee": 2,
                "salaries_distincts_annee_precedente": 0,
                "annee": year,
            },
        ],
        "apprentissage_contrats": [
            {
                "Contrat DateDebut": date(2026, 9, 1),
                "TypeContrat": "11",
                "NumeroEnregistrement": "075202609000001",
                "Employeur Siret": _SIEGE,
                "DateRupture": None,
            },
            {
                "Contrat DateDebut": date(2026, 10, 1),
                "TypeContrat": "11",
                "NumeroEnregistrement": "075202610000002",
                "Employeur Siret": _SIEGE,
                "DateRupture": None,
            },
            {
                "Contrat DateDebut": date(2026, 5, 4),
                "TypeContrat": "21",
                "NumeroEnregistrement": "093202605000003",
                "Employeur Siret": ABSENT_SIRET,
                "DateRupture": None,
            },
            {
                # 60 days before the src control planted in inbox_controls: a coordination signal
                "Contrat DateDebut": date(2026, 5, 4),
                "TypeContrat": "11",
                "NumeroEnregistrement": "013202605000004",
                "Employeur Siret": _VIRGULE,
                "DateRupture": None,
            },
        ],
        "accidents_travail": [
            {
                "01_SIRET": _SIEGE,
                "02_nb_at_total": 3,
                "03_nb_at_mortels": 0,
                "04_nb_at_avec_arret_travail": 2,
                "05_nb_at_sans_arret_travail": 1,
                "06_NAF_NIV1": "J",
                "07_nb_at_pour_1000salaries": Decimal("71.43"),
                "08_nb_at_pour_1000salaries_france_secteur": Decimal("9.80"),
                "09_nb_at_pour_1000salaries_region_secteur": Decimal("8.65"),
            },
            {
                "01_SIRET": ABSENT_SIRET,
                "02_nb_at_total": 1,
                "03_nb_at_mortels": 0,
                "04_nb_at_avec_arret_travail": 1,
                "05_nb_at_sans_arret_travail": 0,
                "06_NAF_NIV1": "F",
                "07_nb_at_pour_1000salaries": None,
                "08_nb_at_pour_1000salaries_france_secteur": Decimal("52.00"),
                "09_nb_at_pour_1000salaries_region_secteur": Decimal("49.30"),
            },
        ],
        "iae_agrements": [
            {"siret": _SIEGE, **dict.fromkeys(KINDS, False), "kind_ei": True},
            {"siret": ABSENT_SIRET, **dict.fromkeys(KINDS, False), "kind_aci": True},
        ],
    }


def planted_dsn_resent(as_of: date = AS_OF) -> dict[str, object]:
    """siege_actif's row in the resend of month ``as_of - 2 months``: EFF_TOTAL 41, not 40."""
    month = _dsn_months(as_of)[-2]
    return _dsn_row(_SIEGE, month, 41, False, _add_months(month, 1) + timedelta(days=19))


PLANTED_INBOX: dict[str, list[dict[str, object]]] = planted_inbox()
"""The planted rows for the default reference date (see `planted_inbox`)."""
PLANTED_DSN_RESENT: dict[str, object] = planted_dsn_resent()


def file_names(as_of: date = AS_OF) -> dict[str, list[str]]:
    """The names of the files `generate_hr` writes, per source (the dsn resend excluded)."""
    stamp, year = as_of.strftime("%Y%m%d"), as_of.year
    return {
        "daccord": [f"Daccord-Gestion-Extraction_{stamp}.csv"],
        "dsn_effectifs": [_dsn_name(month) for month in _dsn_months(as_of)],
        "sipsi": [
            f"ClientsPSI-Siren-{year}-{as_of:%d%m%Y}.csv",
            f"ClientsPSI-Siret-{year}-{as_of:%d%m%Y}.csv",
        ],
        "apprentissage": [f"ExtractFCE_App_{stamp}.csv"],
        "accidents_travail": ["DAT-nb-at-par-SIRET.csv"],
        "iae": [f"export_iae_{stamp}.csv"],
    }


def _dsn_name(month: date) -> str:
    return f"TRANS-SISSMO-effectifs_{month:%m%Y}.csv"


def dsn_resend_path(inbox: Path, as_of: date = AS_OF) -> Path:
    """Where `generate_hr` puts the resend of month ``as_of - 2 months``, outside the inbox."""
    month = _dsn_months(as_of)[-2]
    return Path(inbox) / "dsn_effectifs" / DSN_RESEND_DIR / _dsn_name(month)


# ---------------------------------------------------------------------------------------------
# Writing


def sipsi_header(contract: Contract, year: int) -> list[str]:
    """SIPSI's header as it arrives: the key, then the counts of the previous year and the year."""
    return [contract.names[0], f"salaries_distincts_{year - 1}", f"salaries_distincts_{year}"]


def render(
    contract: Contract, row: Mapping[str, object], style: _Style, columns: Sequence[str]
) -> list[str | None]:
    """The text of a typed row as the producer writes it, in the order of `columns`."""
    out: list[str | None] = []
    for name in columns:
        value = row.get(name)
        out.append(_text(value, contract.column(name).kind, style))
    return out


def _text(value: object, kind: Kind, style: _Style) -> str | None:
    """One value as written; a value already given as text is kept as it is."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return style.booleans[0] if value else style.booleans[1]
    if isinstance(value, date):
        return value.strftime(style.date_format)
    text = str(value)
    if kind is Kind.DECIMAL and style.decimal_comma:
        text = text.replace(".", ",")
    return text


def _write(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[str | None]],
    style: _Style,
    numeric: Sequence[str] = (),
) -> Path:
    """Write one CSV under a hidden partial name, then rename it: never a half file in the inbox.

    `numeric` columns are written as numbers, which matters only to the ``non_numeric`` quoting.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    frame = pl.DataFrame(
        {
            name: pl.Series(name, values, dtype=pl.String)
            for name, values in zip(header, columns, strict=True)
        }
    )
    if numeric:
        frame = frame.with_columns(pl.col(list(numeric)).cast(pl.Int64))
    partial = path.with_name(f".{path.name}.partial")
    frame.write_csv(
        partial,
        separator=style.separator,
        quote_style=style.quote,
        include_bom=style.bom,
        line_terminator="\r\n" if style.crlf else "\n",
        null_value="",
    )
    os.replace(partial, path)
    return path


# ---------------------------------------------------------------------------------------------
# Drawing


def _count(etablissements: int, share: float) -> int:
    """Rows to draw for a share of the établissements; a few at least."""
    return max(MIN_ROWS, round(etablissements * share))


def _luhn_complete(body: str) -> str:
    """`body` followed by the digit that makes it pass the Luhn check."""
    return next(body + key for key in "0123456789" if luhn_is_valid(body + key))


def _absent(rng: random.Random, count: int, known: set[str], digits: int) -> list[str]:
    """`count` Luhn-valid identifiers of `digits` digits that are not in `known`."""
    found: list[str] = []
    while len(found) < count:
        value = _luhn_complete(f"{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}")
        if value not in known and value != ABSENT_SIRET:
            known.add(value)
            found.append(value)
    return found


def _draw_sirets(
    rng: random.Random, pool: Sequence[str], known: set[str], wanted: int
) -> list[str]:
    """`wanted` SIRETs: about 1 % absent from SIRENE, the rest drawn from `pool` without repeat."""
    absent = round(wanted * ABSENT_SHARE)
    chosen = rng.sample(pool, min(len(pool), wanted - absent))
    chosen += _absent(rng, absent, known, 14)
    rng.shuffle(chosen)
    return chosen


def _weighted(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    return rng.choices([value for value, _ in table], [weight for _, weight in table])[0]


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange(max(1, (last - first).days + 1)))


def _spaced(identifier: str) -> str:
    """A SIREN or SIRET as people type it: ``552 081 317 66522``."""
    spaced = f"{identifier[:3]} {identifier[3:6]} {identifier[6:9]}"
    return spaced + (f" {identifier[9:]}" if len(identifier) > 9 else "")


def _entity(text: str) -> str:
    """The first character of `text` written as a numeric HTML entity."""
    return f"&#{ord(text[0])};{text[1:]}" if text else text


@dataclass(frozen=True)
class _Traps:
    """Where the broken values go in one file (column indexes; None when the file has none)."""

    key: int
    date: int | None = None
    bad_date: str = ""
    text: int | None = None


def _break(
    rng: random.Random, rows: list[list[str | None]], protected: int, traps: _Traps
) -> list[list[str | None]]:
    """Break one row in `BROKEN_EVERY`, never among the first `protected` (planted) rows.

    The kinds of break take turns: an HTML entity, a date that does not parse (when the file has
    such columns: they come first as only they exercise them), a lost leading zero, spaces in the
    key, a duplicated row.
    """
    kinds = ["html"] if traps.text is not None else []
    kinds += ["date"] if traps.date is not None else []
    kinds += ["zero", "spaces", "duplicate"]
    wanted = len(rows) // BROKEN_EVERY
    free = list(range(protected, len(rows)))
    rng.shuffle(free)
    targets = free[:wanted]
    zeros = [i for i in free[wanted:] if (rows[i][traps.key] or "").startswith("0")]
    duplicated: set[int] = set()
    for number, index in enumerate(targets):
        kind = kinds[number % len(kinds)]
        row = rows[index]
        if kind == "zero" and zeros:
            zero_row = rows[zeros.pop()]
            zero_row[traps.key] = str(zero_row[traps.key])[1:]
        elif kind == "spaces":
            row[traps.key] = _spaced(str(row[traps.key]))
        elif kind == "html" and traps.text is not None:
            row[traps.text] = _entity(str(row[traps.text]))
        elif kind == "date" and traps.date is not None:
            row[traps.date] = traps.bad_date
        else:
            duplicated.add(index)
    out: list[list[str | None]] = []
    for index, row in enumerate(rows):
        out.append(row)
        if index in duplicated:
            out.append(list(row))
    return out


def _rng(seed: int, source: str) -> random.Random:
    """One generator per source, so that a source's rows do not depend on the others'."""
    return random.Random(f"{seed}:{source}")


# ---------------------------------------------------------------------------------------------
# Sources


def _daccord(
    out: Path, rng: random.Random, pool: list[str], known: set[str], n: int, as_of: date
) -> list[Path]:
    style = _STYLES["daccord"]
    rows: list[dict[str, object]] = list(_planted_for(as_of)["daccord_accords"])
    sequence = 100_000
    for siret in _draw_sirets(rng, pool, known, _count(n, 0.10)):
        for _ in range(rng.choices((1, 2, 3), (75, 18, 7))[0]):
            signed = _day_between(rng, as_of - timedelta(days=6 * 365), as_of - timedelta(days=1))
            themes = {theme: rng.choices((0, 1, 2), (85, 12, 3))[0] for theme in THEMES}
            if not any(themes.values()):
                themes[rng.choice(THEMES)] = 1
            dept = rng.choice(_DEPARTEMENTS)
            num = f"T{dept}{signed.year % 100:02d}{sequence:06d}"
            sequence += 1
            rows.append({"num_dos": num, "siret": siret, "dt_sign": signed, **themes})
    header = list(ACCORDS.names)
    text = [render(ACCORDS, row, style, header) for row in rows]
    planted = len(_planted_for(as_of)["daccord_accords"])
    traps = _Traps(key=1, date=2, bad_date=f"{as_of.year - 1}-02-30", text=0)
    text = _break(rng, text, planted, traps)
    name = file_names(as_of)["daccord"][0]
    return [_write(out / name, header, text, style)]


@dataclass
class _Staff:
    """One établissement in the DSN over the 24 months: its presence and drifting headcount."""

    siret: str
    first: int
    last: int
    eff: int
    hommes: float
    cdi: float
    interim: bool


def _dsn_rows(
    rng: random.Random, staff: list[_Staff], month: date, updated: date
) -> list[dict[str, object]]:
    """The random rows of one month; headcounts drift by about 3 % a step, a quarter of months."""
    rows: list[dict[str, object]] = []
    shown = month.strftime("%Y-%m")
    for member in staff:
        if rng.random() < 0.25:
            step = max(1, round(member.eff * 0.03))
            member.eff = max(0, member.eff + rng.choice((-step, step)))
        eff = member.eff
        total: int | Decimal = eff
        hommes = int(eff * member.hommes)
        femmes: int | Decimal = eff - hommes
        if rng.random() < 0.03:
            total, femmes = Decimal(eff) + Decimal("0.5"), Decimal(femmes) + Decimal("0.5")
        cdi = round(eff * member.cdi)
        rows.append(
            {
                "MOIS": shown,
                "SIRET": member.siret,
                "EFF_TOTAL": total,
                "EFF_HOMME": hommes,
                "EFF_FEMME": femmes,
                "NB_CDD": eff - cdi,
                "NB_CDI": cdi,
                "NB_CDI_INTER": 1 if member.interim and eff > 20 else 0,
                "NB_INTER_MISSION": 0,
                "NB_INTERIM": rng.randint(0, max(1, eff // 5)) if member.interim else 0,
                "DATE_MAJ": updated,
            }
        )
    return rows


def _dsn(
    out: Path, rng: random.Random, pool: list[str], known: set[str], n: int, as_of: date
) -> tuple[list[Path], Path]:
    """The 24 monthly files, then the resend of the month before the last one."""
    style = _STYLES["dsn_effectifs"]
    months = _dsn_months(as_of)
    staff: list[_Staff] = []
    for siret in _draw_sirets(rng, pool, known, _count(n, 0.42)):
        first, last = 0, DSN_MONTHS - 1
        if rng.random() < 0.1:
            first = rng.randrange(DSN_MONTHS)
        if rng.random() < 0.1:
            last = rng.randrange(first, DSN_MONTHS)
        eff = min(5000, int(rng.lognormvariate(1.5, 1.1)))
        hommes, cdi = rng.uniform(0.2, 0.8), rng.uniform(0.6, 1.0)
        staff.append(_Staff(siret, first, last, eff, hommes, cdi, rng.random() < 0.2))
    planted = _planted_for(as_of)["dsn_effectifs"]
    header = list(EFFECTIFS.names)
    traps = _Traps(key=1, date=10, bad_date=f"{as_of.year - 1}/02/30")
    written: list[Path] = []
    resend: Path | None = None
    for index, month in enumerate(months):
        updated = _add_months(month, 1)
        present = [member for member in staff if member.first <= index <= member.last]
        randoms = _dsn_rows(rng, present, month, updated)
        if index in DSN_LAGGING:
            for row in randoms:
                row["MOIS"] = _add_months(month, -1).strftime("%Y-%m")
        ours = [row for row in planted if row["mois_fichier"] == month]
        text = [render(EFFECTIFS, row, style, header) for row in ours + randoms]
        written.append(
            _write(out / _dsn_name(month), header, _break(rng, text, len(ours), traps), style)
        )
        if index == DSN_MONTHS - 2:
            later = updated + timedelta(days=19)
            again = [planted_dsn_resent(as_of)]
            again += [{**row, "DATE_MAJ": later} for row in randoms]
            text = [render(EFFECTIFS, row, style, header) for row in again]
            broken = _break(random.Random(rng.getrandbits(64)), text, 1, traps)
            resend = _write(out / DSN_RESEND_DIR / _dsn_name(month), header, broken, style)
    assert resend is not None
    return written, resend


def dsn_file(inbox: Path, month: date, rows: Iterable[Mapping[str, object]]) -> Path:
    """Write (or replace) the dsn_effectifs file of `month` in the inbox with `rows`.

    Rows are typed values under the contract's names (as in `planted_inbox`); missing columns are
    left empty. For a resend of a month already loaded, e.g. with `PLANTED_DSN_RESENT`.
    """
    style = _STYLES["dsn_effectifs"]
    header = list(EFFECTIFS.names)
    text = [render(EFFECTIFS, row, style, header) for row in rows]
    return _write(Path(inbox) / "dsn_effectifs" / _dsn_name(month), header, text, style)


_SIPSI_COUNTS = ("salaries_distincts_annee_precedente", "salaries_distincts_annee")


def _sipsi(
    out: Path,
    rng: random.Random,
    pool: list[str],
    known: set[str],
    known_sirens: set[str],
    n: int,
    as_of: date,
) -> list[Path]:
    """The SIRET file, and the SIREN file whose counts add up those of the client's sites."""
    style = _STYLES["sipsi"]
    planted = _planted_for(as_of)
    in_sirene = set(pool)
    by_siret = list(planted["sipsi_siret"])
    by_siren: dict[str, dict[str, object]] = {
        str(row["client_siren"]): dict(row) for row in planted["sipsi_siren"]
    }
    for siret in _draw_sirets(rng, pool, known, _count(n, 0.02)):
        current = 1 + int(rng.expovariate(0.25))
        previous = 0 if rng.random() < 0.25 else 1 + int(rng.expovariate(0.25))
        by_siret.append(
            {
                "siret": siret,
                "salaries_distincts_annee": current,
                "salaries_distincts_annee_precedente": previous,
            }
        )
        if siret in in_sirene:
            total = by_siren.setdefault(
                siret[:9],
                {
                    "client_siren": siret[:9],
                    "salaries_distincts_annee": 0,
                    "salaries_distincts_annee_precedente": 0,
                },
            )
            total["salaries_distincts_annee"] = int(total["salaries_distincts_annee"]) + current
            previous_total = int(total["salaries_distincts_annee_precedente"]) + previous
            total["salaries_distincts_annee_precedente"] = previous_total
    for siren in _absent(rng, round(len(by_siren) * ABSENT_SHARE), known_sirens, 9):
        by_siren[siren] = {
            "client_siren": siren,
            "salaries_distincts_annee": 1 + int(rng.expovariate(0.25)),
            "salaries_distincts_annee_precedente": 0,
        }
    names = file_names(as_of)["sipsi"]
    written = []
    for contract, rows, protected, name in (
        (PAR_SIREN, list(by_siren.values()), len(planted["sipsi_siren"]), names[0]),
        (PAR_SIRET, by_siret, len(planted["sipsi_siret"]), names[1]),
    ):
        columns = [contract.names[0], *_SIPSI_COUNTS]
        text = _break(
            rng, [render(contract, row, style, columns) for row in rows], protected, _Traps(key=0)
        )
        header = sipsi_header(contract, as_of.year)
        written.append(_write(out / name, header, text, style, numeric=header[1:]))
    return written


def _apprentissage(
    out: Path, rng: random.Random, pool: list[str], known: set[str], n: int, as_of: date
) -> list[Path]:
    style = _STYLES["apprentissage"]
    planted = _planted_for(as_of)["apprentissage_contrats"]
    rows: list[dict[str, object]] = list(planted)
    sequence = 100_000
    for siret in _draw_sirets(rng, pool, known, _count(n, 0.05)):
        for _ in range(rng.choices((1, 2, 3), (70, 20, 10))[0]):
            start = _day_between(rng, as_of - timedelta(days=3 * 365), as_of - timedelta(days=1))
            rupture: date | None = None
            if rng.random() < 0.12 and start + timedelta(days=7) < as_of:
                last = min(start + timedelta(days=700), as_of - timedelta(days=1))
                rupture = _day_between(rng, start + timedelta(days=7), last)
            iso = rng.random() < 0.05
            rows.append(
                {
                    "Contrat DateDebut": start.isoformat() if iso else start,
                    "TypeContrat": _weighted(rng, _TYPES_CONTRAT),
                    "NumeroEnregistrement": f"{rng.choice(_DEPARTEMENTS)}{start:%Y%m}"
                    f"{sequence:06d}",
                    "Employeur Siret": siret,
                    "DateRupture": rupture,
                }
            )
            sequence += 1
    header = list(CONTRATS.names)
    text = [render(CONTRATS, row, style, header) for row in rows]
    traps = _Traps(key=3, date=0, bad_date=f"30/02/{as_of.year - 1}", text=2)
    text = _break(rng, text, len(planted), traps)
    return [_write(out / file_names(as_of)["apprentissage"][0], header, text, style)]


def _accidents(
    out: Path, rng: random.Random, pool: list[str], known: set[str], n: int, as_of: date
) -> list[Path]:
    style = _STYLES["accidents_travail"]
    planted = _planted_for(as_of)["accidents_travail"]
    rows: list[dict[str, object]] = list(planted)
    cent = Decimal("0.01")
    for siret in _draw_sirets(rng, pool, known, _count(n, 0.15)):
        total = 1 + int(rng.expovariate(0.4))
        avec = sum(rng.random() < 0.65 for _ in range(total))
        mortels = sum(rng.random() < 0.004 for _ in range(avec))
        section, france = _SECTIONS[rng.randrange(len(_SECTIONS))]
        salaries = 1 + int(rng.lognormvariate(2.5, 1.0))
        own = None if rng.random() < 0.1 else Decimal(total * 1000 / salaries).quantize(cent)
        rows.append(
            {
                "01_SIRET": siret,
                "02_nb_at_total": total,
                "03_nb_at_mortels": mortels,
                "04_nb_at_avec_arret_travail": avec,
                "05_nb_at_sans_arret_travail": total - avec,
                "06_NAF_NIV1": section,
                "07_nb_at_pour_1000salaries": own,
                "08_nb_at_pour_1000salaries_france_secteur": Decimal(france).quantize(cent),
                "09_nb_at_pour_1000salaries_region_secteur": Decimal(
                    france * rng.uniform(0.8, 1.2)
                ).quantize(cent),
            }
        )
    header = list(COMPTES.names)
    text = [render(COMPTES, row, style, header) for row in rows]
    text = _break(rng, text, len(planted), _Traps(key=0))
    return [_write(out / file_names(as_of)["accidents_travail"][0], header, text, style)]


def _iae(
    out: Path, rng: random.Random, pool: list[str], known: set[str], n: int, as_of: date
) -> list[Path]:
    style = _STYLES["iae"]
    planted = _planted_for(as_of)["iae_agrements"]
    rows: list[dict[str, object]] = list(planted)
    for siret in _draw_sirets(rng, pool, known, _count(n, 0.005)):
        flags = dict.fromkeys(KINDS, False)
        for kind in rng.choices(KINDS, _IAE_WEIGHTS, k=2 if rng.random() < 0.05 else 1):
            flags[kind] = True
        rows.append({"siret": siret, **flags})
    header = list(AGREMENTS.names)
    text = [render(AGREMENTS, row, style, header) for row in rows]
    text = _break(rng, text, len(planted), _Traps(key=0))
    return [_write(out / file_names(as_of)["iae"][0], header, text, style)]


def _planted_for(as_of: date) -> dict[str, list[dict[str, object]]]:
    """The planted rows for `as_of`: the module constant when it is the default date."""
    return PLANTED_INBOX if as_of == AS_OF else planted_inbox(as_of)


def generate_hr(
    inbox: Path,
    sirets: list[str],
    sirens: list[str],
    etablissements: int,
    seed: int = 42,
    as_of: date = AS_OF,
) -> dict[str, list[Path]]:
    """Write the HR sources' files under ``inbox/<source>/``; return source -> files written.

    `sirets` and `sirens` are those of the SIRENE sample (établissements active and closed, in
    file order); sizes follow `etablissements`. The same arguments give byte-identical files. The
    dsn resend (`dsn_resend_path`) is written too but not listed.
    """
    inbox = Path(inbox)
    pool = [siret for siret in sirets if siret not in _PLANTED_SIRETS]

    def known() -> set[str]:
        return set(sirets) | set(_PLANTED_SIRETS) | {ABSENT_SIRET}

    written: dict[str, list[Path]] = {}
    for source, build in (
        ("daccord", _daccord),
        ("apprentissage", _apprentissage),
        ("accidents_travail", _accidents),
        ("iae", _iae),
    ):
        rng = _rng(seed, source)
        written[source] = build(inbox / source, rng, pool, known(), etablissements, as_of)
    written["dsn_effectifs"], _ = _dsn(
        inbox / "dsn_effectifs", _rng(seed, "dsn_effectifs"), pool, known(), etablissements, as_of
    )
    written["sipsi"] = _sipsi(
        inbox / "sipsi",
        _rng(seed, "sipsi"),
        pool,
        known(),
        set(sirens) | {siret[:9] for siret in _PLANTED_SIRETS},
        etablissements,
        as_of,
    )
    return {source: written[source] for source in _STYLES}
