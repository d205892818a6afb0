"""Sample inbox of the control services: wikit, sora, eos, src, apart and rupco files.

`generate_controls` drops into `inbox/<source>/` the files each service sends, in the format the
contracts declare (header names taken from the contracts, separator, encoding, date formats) and
with the habits of each producer: quoting of every value or only where needed, a UTF-8 byte-order
mark, `\\r\\n` line ends, windows-1252 for src. SIRETs are drawn from the SIRENE sample so joins
work, with about 1 % of valid SIRETs absent from it. Files with at least `_BROKEN_FROM` random rows
also carry about 0.5 % of broken rows (lost leading zero, unparseable date, unknown month, SIREN 0,
HTML entity, duplicated row); smaller files carry none, so a tiny sample stays under the reject
guard; eos files of that size also carry about 0.5 % placeholder visits (31 December, or after
`as_of`). Dates fall before `as_of`, 85 % within 36 months, the rest up to ten years back. The
rows of `PLANTED_INBOX` come first in every file, whatever the size and seed.

Per producer, the habits chosen here:

| source | separator | encoding           | quoting   | line end |
|--------|-----------|--------------------|-----------|----------|
| wikit  | `;`       | UTF-8 with BOM     | all       | `\\r\\n` |
| sora   | `,`       | UTF-8              | as needed | `\\n`    |
| eos    | `;`       | UTF-8 with BOM     | all       | `\\n`    |
| src    | `,`       | windows-1252       | as needed | `\\r\\n` |
| apart  | `;`       | UTF-8              | as needed | `\\n`    |
| rupco  | `;`       | UTF-8              | all       | `\\n`    |

Known shortcomings:
- A "lost leading zero" row strips the zero of its own SIRET when it has one, else takes a fresh
  SIRET absent from SIRENE that starts with 0: the share of unknown SIRETs grows by that little.
- Labels, units, regions and causes come from short hand-made tables; the unit of an
  establishment is not tied to its commune, nor its region in eos and src.
- Random rows may name a closed establishment after its closing date; only the planted closed
  establishment is kept to records older than its closing. Random rows never name an
  establishment that `PLANTED_INBOX` plants on, so its planted coordination signals stay exact.
- Rows are built and written by plain Python, about 50 000 a second: fine for samples, slow
  for a national-size inbox.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sources.apart.contract import CONVENTIONS as APART
from sources.contracts import Contract
from sources.eos.contract import VISITES as EOS
from sources.rupco.contract import ETABLISSEMENTS as RUPCO_ETABLISSEMENTS
from sources.rupco.contract import PROCEDURES as RUPCO_PROCEDURES
from sources.sample.sirene import PLANTED
from sources.sora.contract import INTERVENTIONS as SORA
from sources.src.contract import CONTROLES as SRC
from sources.wikit.contract import CONTROLES as WIKIT
from sources.wikit.contract import UNITES_CONTROLE as WIKIT_UC

Row = dict[str, str | None]

AS_OF = date(2026, 12, 1)
SIEGE_ACTIF = str(PLANTED["siege_actif"]["siret"])
FERME = str(PLANTED["ferme_avec_successeur"]["siret"])
CORSE = str(PLANTED["corse"]["siret"])
OUTRE_MER = str(PLANTED["outre_mer"]["siret"])
VIRGULE = str(PLANTED["virgule_echappee"]["siret"])
ABSENT = "99999999900018"
"""A SIRET absent from SIRENE, planted once in every file keyed by SIRET."""

ABSENT_SHARE = 0.01
BROKEN_SHARE = 0.005
_BROKEN_FROM = 60  # random rows a file needs before it carries broken rows
_MIN_ROWS = 3  # random rows of a file, whatever the size
_RECENT_DAYS = 1095  # 36 months
_OLD_DAYS = 3650
_RECENT_SHARE = 0.85


@dataclass(frozen=True)
class _Habit:
    """How one producer writes its CSV files."""

    quote_all: bool
    bom: bool
    line_end: str


_QUOTED_BOM_CRLF = _Habit(quote_all=True, bom=True, line_end="\r\n")
_BARE_LF = _Habit(quote_all=False, bom=False, line_end="\n")
_QUOTED_BOM_LF = _Habit(quote_all=True, bom=True, line_end="\n")
_BARE_CRLF = _Habit(quote_all=False, bom=False, line_end="\r\n")
_QUOTED_LF = _Habit(quote_all=True, bom=False, line_end="\n")


def _uc_table() -> list[dict[str, str]]:
    """The 40 control units: code UC-<département>-<nn>, label, e-mail (invented addresses)."""
    departements = (
        ("75", "Paris", 8),
        ("92", "Hauts-de-Seine", 3),
        ("93", "Seine-Saint-Denis", 3),
        ("95", "Val-d&#39;Oise", 2),  # as the tool exports it: an HTML entity for the apostrophe
        ("69", "Rhône", 4),
        ("13", "Bouches-du-Rhône", 4),
        ("44", "Loire-Atlantique", 3),
        ("59", "Nord", 4),
        ("33", "Gironde", 3),
        ("31", "Haute-Garonne", 2),
        ("67", "Bas-Rhin", 2),
        ("2A", "Corse-du-Sud", 1),
        ("974", "La Réunion", 1),
    )
    units = []
    for code, name, count in departements:
        for n in range(1, count + 1):
            units.append(
                {
                    "CODE_UC": f"UC-{code}-{n:02d}",
                    "LIB_UC": f"Unité de contrôle {n} {name}",
                    "Courrier électronique": f"uc{n:02d}.ut{code.lower()}@inspection.example.fr",
                }
            )
    return units


UNITES = _uc_table()

_SORA_UNITS = (
    ("75", "DD(ETS)PP 75", "ddpp75@dgccrf.example.fr"),
    ("13", "DDPP 13", "ddpp13@dgccrf.example.fr"),
    ("69", "DDPP 69", "ddpp69@dgccrf.example.fr"),
    ("44", "DDPP 44", "ddpp44@dgccrf.example.fr"),
    ("59", "DDPP 59", "ddpp59@dgccrf.example.fr"),
    ("33", "DDPP 33", "ddpp33@dgccrf.example.fr"),
    ("2A", "DDETSPP 2A", "ddetspp2a@dgccrf.example.fr"),
    ("974", "DEETS 974", "deets974@dgccrf.example.fr"),
    ("23", "DDETSPP 23", "ddetspp23@dgccrf.example.fr"),
    ("67", "DDPP 67", "ddpp67@dgccrf.example.fr"),
)
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_REGIONS = (
    ("11", "Île-de-France"),
    ("84", "Auvergne-Rhône-Alpes"),
    ("93", "Provence-Alpes-Côte d'Azur"),
    ("32", "Hauts-de-France"),
    ("75", "Nouvelle-Aquitaine"),
    ("76", "Occitanie"),
    ("44", "Grand Est"),
    ("52", "Pays de la Loire"),
    ("53", "Bretagne"),
    ("28", "Normandie"),
    ("24", "Centre-Val de Loire"),
    ("27", "Bourgogne-Franche-Comté"),
    ("94", "Corse"),
    ("04", "La Réunion"),
)
_EOS_AUTHORS = (
    "Chargé de mission SEER",
    "Commissaire aux restructurations",
    "Chargé d'affaires entreprises",
    "Référent ETI",
)
_FILIERES = (
    "Aéronautique",
    "Automobile",
    "Agroalimentaire",
    "Chimie et matériaux",
    "Industries de santé",
    "Numérique",
    "Nucléaire",
    "Transformations et valorisation des déchets",
)
_SUIVIS = ("Suivi ETI", "Suivi PME", "Territoires d'industrie", None)
_SUIVIS_ETI = ("ETI", "Pépite", None, None)
_SRC_TYPES = (
    "Contrôle administratif et financier",
    "Contrôle de la qualité des formations",
    "Contrôle sur place",
    "Contrôle sur pièces",
)
_SRC_NATURES = ("Organisme de formation", "Employeur", "Centre de formation d'apprentis")
_SRC_CIBLES = ("Dispensateur de formation", "Entreprise", "Opérateur de compétences", None)
_CAUSES = (
    "Conjoncture économique",
    "Difficultés d'approvisionnement en matières premières ou énergie",
    "Sinistre ou intempéries de caractère exceptionnel",
    "Transformation, restructuration ou modernisation de l'entreprise",
    "Toutes autres circonstances de caractère exceptionnel",
)
# (TYPE DE DOSSIER, prefix of the case number, weight)
_RUPCO_TYPES = (
    ("PSE", "PSE", 30),
    ("RCC", "RCC", 15),
    ("LiceC -10", "LCM", 35),
    ("LiceC +10", "LCP", 20),
)
_RUPCO_ETATS = ("En cours", "Homologué", "Validé", "Refusé", "Clos", "Abandonné")
_SITUATIONS = (
    ("In bonis", 80),
    ("Sauvegarde", 5),
    ("Redressement judiciaire", 10),
    ("Liquidation judiciaire", 5),
)
_GROUPES = ("Groupe Lemaire", "Groupe Atlantique Industrie", "Holding Vidal", "Groupe Martin")


def _dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _hours(value: float) -> str:
    """Hours as APART writes them: a decimal comma, no trailing ',0'."""
    text = f"{value:.1f}".replace(".", ",")
    return text.removesuffix(",0")


# Rows always written first, per dataset, with the exact text written in the file (None: empty).
#
# siege_actif has a wikit control, a sora intervention, an eos visit, an apart convention with two
# amendments and a rupco PSE; ferme_avec_successeur only a wikit control (2019) and a sora
# intervention (March 2018), both before its closing on 2024-06-30; ABSENT appears once in every
# file keyed by SIRET (src through SIREN and NIC). Units UC-75-01, UC-44-02 and UC-2A-01 of the
# JSON are listed under wikit_unites_controle.
#
# Coordination signals, each establishment with these acts only: corse has an eos visit on
# 2026-04-10 and a wikit control exactly 90 days later (2026-07-09: a signal); outre_mer has an
# apart decision on 2026-03-02 and a sora intervention 91 days later (2026-06-01: a near miss,
# no signal); virgule_echappee has an src control created on 2026-07-03, 60 days after the start
# of its apprenticeship contract (2026-05-04, planted in inbox_hr: a signal).
PLANTED_INBOX: dict[str, list[Row]] = {
    "wikit_controles": [
        {
            "Siret": SIEGE_ACTIF,
            "Date de dernier controle": "15/10/2026",
            "Propriétaire": "UC-75-01",
        },
        {"Siret": FERME, "Date de dernier controle": "14/05/2019", "Propriétaire": "UC-44-02"},
        {"Siret": ABSENT, "Date de dernier controle": "02/03/2026", "Propriétaire": "UC-13-01"},
        {"Siret": CORSE, "Date de dernier controle": "09/07/2026", "Propriétaire": "UC-2A-01"},
    ],
    "wikit_unites_controle": [
        u for u in UNITES if u["CODE_UC"] in ("UC-75-01", "UC-44-02", "UC-2A-01")
    ],
    "sora_interventions": [
        {
            "Etob Siret": SIEGE_ACTIF,
            "Année de Visite Date Intervention": "2026",
            "Mois de Visite Date Intervention": "septembre",
            "Jour de Visite Date Intervention": "3",
            "Suite (1 = oui, 0 = non)": "1",
            "Unfct Libelle": "DD(ETS)PP 75",
            "Messagerie": "ddpp75@dgccrf.example.fr",
        },
        {
            "Etob Siret": FERME,
            "Année de Visite Date Intervention": "2018",
            "Mois de Visite Date Intervention": "mars",
            "Jour de Visite Date Intervention": "22",
            "Suite (1 = oui, 0 = non)": "0",
            "Unfct Libelle": "DDPP 44",
            "Messagerie": "ddpp44@dgccrf.example.fr",
        },
        {
            "Etob Siret": ABSENT,
            "Année de Visite Date Intervention": "2025",
            "Mois de Visite Date Intervention": "Juin",
            "Jour de Visite Date Intervention": "17",
            "Suite (1 = oui, 0 = non)": "0",
            "Unfct Libelle": "DDPP 13",
            "Messagerie": "ddpp13@dgccrf.example.fr",
        },
        {
            "Etob Siret": OUTRE_MER,
            "Année de Visite Date Intervention": "2026",
            "Mois de Visite Date Intervention": "juin",
            "Jour de Visite Date Intervention": "1",
            "Suite (1 = oui, 0 = non)": "1",
            "Unfct Libelle": "DEETS 974",
            "Messagerie": "deets974@dgccrf.example.fr",
        },
    ],
    "eos_visites": [
        {
            "SIRET": SIEGE_ACTIF,
            "Date de la visite": "20/06/2026",
            "Région de l'utilisateur propriétaire de la visite": "Île-de-France",
            "Visite effectuée par": "Chargé de mission SEER",
            "Filière(s) stratégique(s) - Tous les  libellés": "Numérique",
            "Type de suivi": "Suivi PME",
            "Type de suivi ETI/Pépite": None,
        },
        {
            "SIRET": ABSENT,
            "Date de la visite": "12/01/2026",
            "Région de l'utilisateur propriétaire de la visite": "Provence-Alpes-Côte d'Azur",
            "Visite effectuée par": "Référent ETI",
            "Filière(s) stratégique(s) - Tous les  libellés": "Aéronautique, Numérique",
            "Type de suivi": "Suivi ETI",
            "Type de suivi ETI/Pépite": "ETI",
        },
        {
            "SIRET": CORSE,
            "Date de la visite": "10/04/2026",
            "Région de l'utilisateur propriétaire de la visite": "Corse",
            "Visite effectuée par": "Chargé d'affaires entreprises",
            "Filière(s) stratégique(s) - Tous les  libellés": None,
            "Type de suivi": "Suivi PME",
            "Type de suivi ETI/Pépite": None,
        },
    ],
    "src_controles": [
        {
            "Numero dossier": "MDF-2025-00001",
            "N° SIREN": ABSENT[:9],
            "N° Etablissement": str(int(ABSENT[9:])),
            "Code region": "93",
            "Libelle region": "Provence-Alpes-Côte d'Azur",
            "Type de contrôle": "Contrôle sur place",
            "Date creation": "14/02/2025 09:30:00",
            "Date derniere Modification": "03/09/2025 16:05:12",
            "Date cloture": "03/09/2025 16:05:12",
            "Cols": "Oui",
            "Clos automatiquement": "Non",
            "Nature du contrôle": "Organisme de formation",
            "Cible du contrôle": "Dispensateur de formation",
        },
        {
            "Numero dossier": "MDF-2026-00002",
            "N° SIREN": VIRGULE[:9],
            "N° Etablissement": str(int(VIRGULE[9:])),
            "Code region": "93",
            "Libelle region": "Provence-Alpes-Côte d'Azur",
            "Type de contrôle": "Contrôle sur pièces",
            "Date creation": "03/07/2026 10:15:00",
            "Date derniere Modification": "21/09/2026 14:02:45",
            "Date cloture": None,
            "Cols": "Non",
            "Clos automatiquement": "Non",
            "Nature du contrôle": "Employeur",
            "Cible du contrôle": "Entreprise",
        },
    ],
    "apart_conventions": [
        {
            "SIRET": SIEGE_ACTIF,
            "NUM_CONVENTION": "APT-0001",
            "DATE_DECISION": "10/03/2025",
            "NUM_AVENANT": "0",
            "DA_INIT": "10/03/2025",
            "NB_H_AUTO_AVN": "1200,5",
            "NB_H_AUTO_CUM": "1200,5",
            "NB_H_CONSO_CUM": "800",
            "CAUSE": "Conjoncture économique",
        },
        {
            "SIRET": SIEGE_ACTIF,
            "NUM_CONVENTION": "APT-0001",
            "DATE_DECISION": "02/06/2025",
            "NUM_AVENANT": "1",
            "DA_INIT": "10/03/2025",
            "NB_H_AUTO_AVN": "799,5",
            "NB_H_AUTO_CUM": "2000",
            "NB_H_CONSO_CUM": "1500",
            "CAUSE": "Conjoncture économique",
        },
        {
            "SIRET": ABSENT,
            "NUM_CONVENTION": "APT-0002",
            "DATE_DECISION": "15/04/2025",
            "NUM_AVENANT": "0",
            "DA_INIT": "15/04/2025",
            "NB_H_AUTO_AVN": "350",
            "NB_H_AUTO_CUM": "350",
            "NB_H_CONSO_CUM": "120,5",
            "CAUSE": "Sinistre ou intempéries de caractère exceptionnel",
        },
        {
            "SIRET": OUTRE_MER,
            "NUM_CONVENTION": "APT-0003",
            "DATE_DECISION": "02/03/2026",
            "NUM_AVENANT": "0",
            "DA_INIT": "02/03/2026",
            "NB_H_AUTO_AVN": "600",
            "NB_H_AUTO_CUM": "600",
            "NB_H_CONSO_CUM": "210",
            "CAUSE": "Conjoncture économique",
        },
    ],
}
_PROCEDURE_SIEGE: Row = {
    "NUMERO DE DOSSIER": "PSE-2025-001",
    "TYPE DE DOSSIER": "PSE",
    "DATE ENREGISTREMENT": "05/11/2025",
    "ETAT DU DOSSIER": "Homologué",
    "SIREN ENTREPRISE": SIEGE_ACTIF[:9],
    "EFFECTIF ENTREPRISE": "45",
    "EFFECTIF GROUPE": None,
    "NOM GROUPE": None,
    "DATE JUGEMENT": None,
    "SITUATION JURIDIQUE": "In bonis",
}
_PROCEDURE_ABSENT: Row = {
    "NUMERO DE DOSSIER": "RCC-2024-002",
    "TYPE DE DOSSIER": "RCC",
    "DATE ENREGISTREMENT": "18/09/2024",
    "ETAT DU DOSSIER": "Validé",
    "SIREN ENTREPRISE": ABSENT[:9],
    "EFFECTIF ENTREPRISE": "320",
    "EFFECTIF GROUPE": "1450",
    "NOM GROUPE": "Groupe Atlantique Industrie",
    "DATE JUGEMENT": None,
    "SITUATION JURIDIQUE": "In bonis",
}
PLANTED_INBOX["rupco_procedures"] = [_PROCEDURE_SIEGE, _PROCEDURE_ABSENT]
PLANTED_INBOX["rupco_etablissements"] = [
    {
        **_PROCEDURE_SIEGE,
        "SIREN ETABLISSEMENT": SIEGE_ACTIF[:9],
        "EFFECTIF ETABLISSEMENT": "45",
        "SIRET ETABLISSEMENT": SIEGE_ACTIF,
        "Nombre de Ruptures de Contrats en début de procédure Etab": "12",
        "Nombre de Ruptures de Contrats en fin de procédure Etab": "10",
    },
    {
        **_PROCEDURE_ABSENT,
        "SIREN ETABLISSEMENT": ABSENT[:9],
        "EFFECTIF ETABLISSEMENT": "180",
        "SIRET ETABLISSEMENT": ABSENT,
        "Nombre de Ruptures de Contrats en début de procédure Etab": "25",
        "Nombre de Ruptures de Contrats en fin de procédure Etab": "22",
    },
]


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


class _Sirets:
    """Draws the SIRETs of one file: mostly from the SIRENE sample, about 1 % absent from it."""

    def __init__(self, rng: random.Random, sirets: Sequence[str], excluded: set[str]) -> None:
        self.rng = rng
        self.pool = [s for s in sirets if s not in excluded]
        self.known = set(sirets) | excluded | {ABSENT}

    def absent(self, first: str = "") -> str:
        """A Luhn-valid 14-digit SIRET absent from SIRENE, starting with `first`."""
        while True:
            body = first + "".join(self.rng.choices("0123456789", k=13 - len(first)))
            siret = next(body + d for d in "0123456789" if _luhn_ok(body + d))
            if siret not in self.known:
                self.known.add(siret)
                return siret

    def draw(self) -> str:
        if not self.pool or self.rng.random() < ABSENT_SHARE:
            return self.absent()
        return self.rng.choice(self.pool)

    def distinct(self, count: int) -> list[str]:
        """`count` SIRETs without repetition (fewer if the sample is smaller)."""
        chosen = self.rng.sample(self.pool, min(count, len(self.pool)))
        return [self.absent() if self.rng.random() < ABSENT_SHARE else s for s in chosen]

    def lost_zero(self, siret: str) -> str:
        """The SIRET with one leading zero lost (13 digits), which the loader pads back."""
        return (siret if siret.startswith("0") else self.absent("0"))[1:]


def _count(etablissements: int, share: float) -> int:
    return max(_MIN_ROWS, round(etablissements * share))


def _broken_count(rows: int) -> int:
    return math.ceil(rows * BROKEN_SHARE) if rows >= _BROKEN_FROM else 0


def _past(rng: random.Random, as_of: date) -> date:
    """A day before `as_of`: mostly within 36 months, some up to ten years back."""
    if rng.random() < _RECENT_SHARE:
        return as_of - timedelta(days=rng.randint(1, _RECENT_DAYS))
    return as_of - timedelta(days=rng.randint(_RECENT_DAYS + 1, _OLD_DAYS))


Spoiler = Callable[[Row], list[Row]]


def _spoiled(
    rng: random.Random, rows: Iterable[Row], count: int, spoilers: Sequence[Spoiler]
) -> Iterator[Row]:
    """The rows, with about 0.5 % of them broken by the spoilers taken in turn."""
    positions = sorted(rng.sample(range(count), _broken_count(count)))
    at = dict(zip(positions, itertools.cycle(spoilers), strict=False))
    for i, row in enumerate(rows):
        spoil = at.get(i)
        if spoil is None:
            yield row
        else:
            yield from spoil(row)


def _duplicate(row: Row) -> list[Row]:
    return [row, row]


def _set(column: str, value: Callable[[Row], str]) -> Spoiler:
    """A spoiler replacing one value of the row."""

    def spoil(row: Row) -> list[Row]:
        return [{**row, column: value(row)}]

    return spoil


def _bad_date(column: str, suffix: str = "") -> Spoiler:
    return _set(column, lambda row: f"31/02/{(row[column] or '2025')[6:10]}{suffix}")


def _field(value: str | None, separator: str, quote_all: bool) -> str:
    if value is None:
        return ""
    if quote_all or any(c in value for c in (separator, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


def _write_csv(path: Path, contract: Contract, rows: Iterable[Row], habit: _Habit) -> Path:
    """Write the header (the contract's names) and the rows; atomic through a partial name."""
    sep = contract.separator
    encoding = "utf-8-sig" if habit.bom else contract.encoding
    partial = path.with_name(f".{path.name}.partial")
    names = contract.names

    def line(values: Iterable[str | None]) -> str:
        return sep.join(_field(v, sep, habit.quote_all) for v in values) + habit.line_end

    with partial.open("w", encoding=encoding, newline="") as out:
        out.write(line(names))
        for row in rows:
            out.write(line(row.get(name) for name in names))
    os.replace(partial, path)
    return path


def _wikit(rng: random.Random, draw: _Sirets, etablissements: int, as_of: date) -> Iterator[Row]:
    count = _count(etablissements, 0.30)
    codes = [u["CODE_UC"] for u in UNITES]
    rows = (
        {
            "Siret": siret,
            "Date de dernier controle": _dmy(_past(rng, as_of)),
            "Propriétaire": rng.choice(codes),
        }
        for siret in draw.distinct(count)
    )
    spoilers = [
        _set("Siret", lambda row: draw.lost_zero(row["Siret"] or "")),
        _bad_date("Date de dernier controle"),
        _duplicate,
    ]
    yield from PLANTED_INBOX["wikit_controles"]
    yield from _spoiled(rng, rows, min(count, len(draw.pool)), spoilers)


def _sora(rng: random.Random, draw: _Sirets, etablissements: int, as_of: date) -> Iterator[Row]:
    count = _count(etablissements, 0.10)

    def row() -> Row:
        day = _past(rng, as_of)
        month = _MONTHS[day.month - 1]
        _, label, mail = rng.choice(_SORA_UNITS)
        return {
            "Etob Siret": draw.draw(),
            "Année de Visite Date Intervention": str(day.year),
            "Mois de Visite Date Intervention": month.capitalize() if rng.random() < 0.1 else month,
            "Jour de Visite Date Intervention": str(day.day),
            "Suite (1 = oui, 0 = non)": "1" if rng.random() < 0.3 else "0",
            "Unfct Libelle": label,
            "Messagerie": mail,
        }

    spoilers = [
        _set("Mois de Visite Date Intervention", lambda _: rng.choice(("Sept.", "brumaire"))),
        _set("Etob Siret", lambda r: draw.lost_zero(r["Etob Siret"] or "")),
        _set("Unfct Libelle", lambda r: f"{r['Unfct Libelle']} &amp; P&ocirc;le C"),
        _duplicate,
    ]
    yield from PLANTED_INBOX["sora_interventions"]
    yield from _spoiled(rng, (row() for _ in range(count)), count, spoilers)


def _eos(rng: random.Random, draw: _Sirets, etablissements: int, as_of: date) -> Iterator[Row]:
    count = _count(etablissements, 0.03)
    date_column = "Date de la visite"

    def visit_day() -> str:
        day = _past(rng, as_of)
        while (day.month, day.day) == (12, 31):  # the loader takes 31 December for a placeholder
            day = _past(rng, as_of)
        return day.isoformat() if rng.random() < 0.03 else _dmy(day)

    def row() -> Row:
        filieres = rng.sample(_FILIERES, rng.choice((0, 1, 1, 2)))
        return {
            "SIRET": draw.draw(),
            date_column: visit_day(),
            "Région de l'utilisateur propriétaire de la visite": rng.choice(_REGIONS)[1],
            "Visite effectuée par": rng.choice(_EOS_AUTHORS),
            "Filière(s) stratégique(s) - Tous les  libellés": ", ".join(filieres) or None,
            "Type de suivi": rng.choice(_SUIVIS),
            "Type de suivi ETI/Pépite": rng.choice(_SUIVIS_ETI),
        }

    def placeholder(kept: Row) -> list[Row]:
        if rng.random() < 0.5:
            day = _dmy(date(as_of.year - rng.randint(0, 2), 12, 31))
        else:
            day = _dmy(as_of + timedelta(days=rng.randint(1, 200)))
        return [kept, {**kept, date_column: day}]

    spoilers = [
        _bad_date(date_column),
        _set("SIRET", lambda r: draw.lost_zero(r["SIRET"] or "")),
        _set("Visite effectuée par", lambda _: "Charg&eacute; d&#39;affaires entreprises"),
        _duplicate,
    ]
    rows = _spoiled(rng, (row() for _ in range(count)), count, spoilers)
    yield from PLANTED_INBOX["eos_visites"]
    # Placeholder visits (31 December, or planned after as_of) come besides the broken rows.
    yield from _spoiled(rng, rows, count, [placeholder])


def _src(rng: random.Random, draw: _Sirets, etablissements: int, as_of: date) -> Iterator[Row]:
    count = _count(etablissements, 0.01)
    numbers = itertools.count(100)

    def stamp(day: date) -> str:
        if rng.random() < 0.05:
            return _dmy(day)
        seconds = rng.randint(8 * 3600, 18 * 3600)
        return f"{_dmy(day)} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

    def row() -> Row:
        siret = draw.draw()
        created = _past(rng, as_of)
        modified = min(as_of, created + timedelta(days=rng.randint(0, 240)))
        closed = rng.random() < 0.7
        code, region = rng.choice(_REGIONS)
        modified_text = stamp(modified)
        return {
            "Numero dossier": f"MDF-{created.year}-{next(numbers):05d}",
            "N° SIREN": siret[:9],
            "N° Etablissement": str(int(siret[9:])),
            "Code region": code,
            "Libelle region": region,
            "Type de contrôle": rng.choice(_SRC_TYPES),
            "Date creation": stamp(created),
            "Date derniere Modification": modified_text,
            "Date cloture": modified_text if closed else None,
            "Cols": "Oui" if closed else "Non",
            "Clos automatiquement": "Oui" if closed and rng.random() < 0.1 else "Non",
            "Nature du contrôle": rng.choice(_SRC_NATURES),
            "Cible du contrôle": rng.choice(_SRC_CIBLES),
        }

    def lost_zero(row: Row) -> list[Row]:
        siren = row["N° SIREN"] or ""
        if siren.startswith("0"):
            return [{**row, "N° SIREN": siren[1:]}]
        siret = draw.absent("0")
        return [{**row, "N° SIREN": siret[1:9], "N° Etablissement": str(int(siret[9:]))}]

    spoilers = [
        _set("N° SIREN", lambda _: "0"),
        _bad_date("Date creation", " 10:00:00"),
        lost_zero,
        _set("Nature du contrôle", lambda _: "Centre de formation d&#39;apprentis"),
        _duplicate,
    ]
    yield from PLANTED_INBOX["src_controles"]
    yield from _spoiled(rng, (row() for _ in range(count)), count, spoilers)


def _apart(rng: random.Random, draw: _Sirets, etablissements: int, as_of: date) -> Iterator[Row]:
    conventions = _count(etablissements, 0.05)

    def amendments(number: int) -> Iterator[Row]:
        siret = draw.draw()
        decided = _past(rng, as_of)
        cause = rng.choice(_CAUSES)
        authorised = consumed = 0.0
        day = decided
        for avenant in range(rng.choice((1, 1, 2, 2, 3, 4))):
            granted = rng.randint(20, 8000) / 2
            authorised += granted
            consumed = min(authorised, consumed + rng.randint(0, int(granted * 2)) / 2)
            yield {
                "SIRET": siret,
                "NUM_CONVENTION": f"APT-{number:04d}",
                "DATE_DECISION": _dmy(day),
                "NUM_AVENANT": str(avenant),
                "DA_INIT": _dmy(decided),
                "NB_H_AUTO_AVN": _hours(granted),
                "NB_H_AUTO_CUM": _hours(authorised),
                "NB_H_CONSO_CUM": _hours(consumed),
                "CAUSE": cause,
            }
            day = min(as_of, day + timedelta(days=rng.randint(20, 120)))

    rows = list(itertools.chain.from_iterable(amendments(n) for n in range(100, 100 + conventions)))
    spoilers = [
        _set("SIRET", lambda r: draw.lost_zero(r["SIRET"] or "")),
        _bad_date("DATE_DECISION"),
        _set("CAUSE", lambda _: "Difficult&eacute;s d&#39;approvisionnement"),
        _duplicate,
    ]
    yield from PLANTED_INBOX["apart_conventions"]
    yield from _spoiled(rng, rows, len(rows), spoilers)


def _rupco(
    rng: random.Random,
    draw: _Sirets,
    sirens: Sequence[str],
    excluded_sirens: set[str],
    as_of: date,
) -> tuple[list[Row], list[Row]]:
    """The procedures and their establishments (a procedure lists 1 to 3 of its company's)."""
    by_siren: dict[str, list[str]] = {}
    for siret in draw.pool:
        by_siren.setdefault(siret[:9], []).append(siret)
    candidates = [s for s in sirens if s in by_siren and s not in excluded_sirens]
    count = max(_MIN_ROWS, round(len(sirens) * 0.003))
    types, prefixes, weights = zip(*_RUPCO_TYPES, strict=True)
    situations, situation_weights = zip(*_SITUATIONS, strict=True)
    procedures: list[Row] = []
    etablissements: list[Row] = []
    for number in range(100, 100 + count):
        if candidates and rng.random() >= ABSENT_SHARE:
            siren = rng.choice(candidates)
            sites = rng.sample(by_siren[siren], min(len(by_siren[siren]), rng.randint(1, 3)))
        else:
            sites = [draw.absent()]
            siren = sites[0][:9]
        kind_index = rng.choices(range(len(types)), weights=weights)[0]
        registered = _past(rng, as_of)
        situation = rng.choices(situations, weights=situation_weights)[0]
        effectif = rng.randint(50, 5000)
        grouped = rng.random() < 0.3
        procedure: Row = {
            "NUMERO DE DOSSIER": f"{prefixes[kind_index]}-{registered.year}-{number:03d}",
            "TYPE DE DOSSIER": types[kind_index],
            "DATE ENREGISTREMENT": _dmy(registered),
            "ETAT DU DOSSIER": rng.choice(_RUPCO_ETATS),
            "SIREN ENTREPRISE": siren,
            "EFFECTIF ENTREPRISE": str(effectif),
            "EFFECTIF GROUPE": str(effectif * rng.randint(2, 20)) if grouped else None,
            "NOM GROUPE": rng.choice(_GROUPES) if grouped else None,
            "DATE JUGEMENT": (
                _dmy(registered - timedelta(days=rng.randint(5, 90)))
                if situation != "In bonis"
                else None
            ),
            "SITUATION JURIDIQUE": situation,
        }
        procedures.append(procedure)
        for siret in sites:
            start = rng.randint(2, 9) if types[kind_index] == "LiceC -10" else rng.randint(10, 200)
            etablissements.append(
                {
                    **procedure,
                    "SIREN ETABLISSEMENT": siret[:9],
                    "EFFECTIF ETABLISSEMENT": str(rng.randint(start + 1, max(start + 1, effectif))),
                    "SIRET ETABLISSEMENT": siret,
                    "Nombre de Ruptures de Contrats en début de procédure Etab": str(start),
                    "Nombre de Ruptures de Contrats en fin de procédure Etab": str(
                        rng.randint(0, start)
                    ),
                }
            )
    html = _set("NOM GROUPE", lambda _: "Martin &amp; Fils")
    procedure_spoilers = [_bad_date("DATE ENREGISTREMENT"), html, _duplicate]
    site_spoilers = [
        _set("SIRET ETABLISSEMENT", lambda r: draw.lost_zero(r["SIRET ETABLISSEMENT"] or "")),
        html,
        _duplicate,
    ]
    return (
        [
            *PLANTED_INBOX["rupco_procedures"],
            *_spoiled(rng, procedures, len(procedures), procedure_spoilers),
        ],
        [
            *PLANTED_INBOX["rupco_etablissements"],
            *_spoiled(rng, etablissements, len(etablissements), site_spoilers),
        ],
    )


def generate_controls(
    inbox: Path,
    sirets: list[str],
    sirens: list[str],
    etablissements: int,
    seed: int = 42,
    as_of: date = AS_OF,
) -> dict[str, list[Path]]:
    """Write the files of wikit, sora, eos, src, apart and rupco under `inbox/<source>/`.

    `sirets` and `sirens` are those of the SIRENE sample; `etablissements` its size, which the
    row counts follow. Files are named after `as_of`, which also bounds the dates drawn. The same
    arguments give byte-identical files. Returns {source: paths written}.
    """
    if etablissements < 0:
        raise ValueError(f"etablissements must be >= 0, got {etablissements}")
    inbox = Path(inbox)
    stamp = as_of.strftime("%Y%m%d")
    # Random rows never name an establishment planted here: its records are the planted ones.
    excluded = {SIEGE_ACTIF, FERME, CORSE, OUTRE_MER, VIRGULE, ABSENT}
    excluded_sirens = {s[:9] for s in excluded}

    def folder(source: str) -> Path:
        path = inbox / source
        path.mkdir(parents=True, exist_ok=True)
        return path

    def tools(source: str) -> tuple[random.Random, _Sirets]:
        # One stream per source, so that a change in one source leaves the others as they were.
        rng = random.Random(f"{seed}:{source}")
        return rng, _Sirets(rng, sirets, excluded)

    written: dict[str, list[Path]] = {}
    wikit = folder("wikit")
    rng, draw = tools("wikit")
    written["wikit"] = [
        _write_csv(
            wikit / f"EtablissementActifsControlés_{stamp}.csv",
            WIKIT,
            _wikit(rng, draw, etablissements, as_of),
            _QUOTED_BOM_CRLF,
        ),
        _write_json(wikit / f"{stamp}_WIKIT_UC.json", UNITES),
    ]
    rng, draw = tools("sora")
    written["sora"] = [
        _write_csv(
            folder("sora") / f"donnee_FCE_extract_{stamp}.csv",
            SORA,
            _sora(rng, draw, etablissements, as_of),
            _BARE_LF,
        )
    ]
    rng, draw = tools("eos")
    written["eos"] = [
        _write_csv(
            folder("eos") / f"{stamp}_Tableau_donnees_API_EOS_1.csv",
            EOS,
            _eos(rng, draw, etablissements, as_of),
            _QUOTED_BOM_LF,
        )
    ]
    rng, draw = tools("src")
    written["src"] = [
        _write_csv(
            folder("src") / f"exportMSDC_src_{stamp}.csv",
            SRC,
            _src(rng, draw, etablissements, as_of),
            _BARE_CRLF,
        )
    ]
    rng, draw = tools("apart")
    week = as_of.isocalendar().week
    written["apart"] = [
        _write_csv(
            folder("apart") / f"APART_Extraction_FCE_S{week:02d}.csv",
            APART,
            _apart(rng, draw, etablissements, as_of),
            _BARE_LF,
        )
    ]
    rng, draw = tools("rupco")
    procedures, sites = _rupco(rng, draw, sirens, excluded_sirens, as_of)
    rupco = folder("rupco")
    written["rupco"] = [
        _write_csv(
            rupco / f"{stamp}_export_procedure.csv", RUPCO_PROCEDURES, procedures, _QUOTED_LF
        ),
        _write_csv(
            rupco / f"{stamp}_export_etablissement.csv", RUPCO_ETABLISSEMENTS, sites, _QUOTED_LF
        ),
    ]
    return written


def _write_json(path: Path, units: list[dict[str, str]]) -> Path:
    """The units file as Wiki'T sends it: {"UC": [...]}, UTF-8, accents unescaped."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(
        json.dumps({"UC": units}, ensure_ascii=False, indent=2) + "\n", encoding=WIKIT_UC.encoding
    )
    os.replace(partial, path)
    return path
