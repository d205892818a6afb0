"""Sample StockEtablissementHistorique: the periods of every establishment of the sample stock.

`generate_sirene_historique` reads the StockEtablissement zip that `generate_sirene` wrote in the
same folder and writes `StockEtablissementHistorique_utf8.zip` as INSEE publishes it (one UTF-8
CSV member, comma, `"` quoting only where needed, `\\n` line ends, booleans `true`/`false`, dates
`YYYY-MM-DD`, `dateFin` empty for the current period), the periods of one establishment together,
the most recent first.

Every establishment of the stock gets `nombrePeriodesEtablissement` periods (fewer when its
current period starts too soon after its creation to fit them); the current one carries the
stock's `dateDebut`, state, NAF code, enseigne, usual name and employer character. Each older
period exists because something changed: the NAF code or the enseigne (alternately), or the state
(closed establishments; some closed, reopened and closed again; a few active ones closed once and
reopened). Some closed establishments closed one period before the stock's current one, whose
start is a later change of the employer character: there the stock's `dateDebut` is not the
closing date. Masked establishments (`statutDiffusion` P) keep `[ND]` in every period.

The establishments of `PLANTED_HISTORIQUE` get hand-written periods, written first, so that tests
can assert their closing date and their history.

The stock is read with polars' streaming engine straight from a copy of its CSV: each stock row
becomes its periods with expressions only (no per-row Python), and the rows are written by a
streaming CSV sink, so memory does not grow with the size of the stock. Draws come from polars'
`hash` of the siret and the seed: the same stock and seed give the same bytes with the pinned
polars version.

Known shortcomings, harmless for tests and benchmarks:
- Older periods keep the nomenclature of the current one: the real file codes periods before
  2008 in NAFRev1 (before 1993 in NAF1993 or NAP) and starts a period on 2008-01-01 where the
  code changed nomenclature; only the planted head office shows that.
- The usual name (`denominationUsuelleEtablissement`) never changes.
- The planted establishments have more periods than their `nombrePeriodesEtablissement` in the
  stock says.
- No broken row is written: INSEE's files are machine-made and the SIRENE guards block a load
  that rejects more than 0.1 % of its rows; the bad-input tests build their own damaged files.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from datetime import date
from pathlib import Path

import polars as pl

from sources.sample.sirene import ETABLISSEMENT_FILE, NON_DIFFUSIBLE, PLANTED

HISTORIQUE_FILE = "StockEtablissementHistorique_utf8"

HISTORIQUE_COLUMNS: tuple[str, ...] = (
    "siren",
    "nic",
    "siret",
    "dateFin",
    "dateDebut",
    "etatAdministratifEtablissement",
    "changementEtatAdministratifEtablissement",
    "enseigne1Etablissement",
    "enseigne2Etablissement",
    "enseigne3Etablissement",
    "changementEnseigneEtablissement",
    "denominationUsuelleEtablissement",
    "changementDenominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "changementActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
    "changementCaractereEmployeurEtablissement",
)

_ZIP_DATE_TIME = (2026, 12, 1, 0, 0, 0)
_ZIP_LEVEL = 1

# Older NAF codes: distinct, so that stepping from the current code's place gives another code.
# fmt: off
_NAF_ANCIENS = (
    "10.71C", "25.62B", "41.20A", "43.21A", "43.22A", "45.20A", "46.90Z", "47.11B", "47.11D",
    "47.73Z", "49.41A", "49.41B", "52.29A", "55.10Z", "56.10A", "56.10C", "56.30Z", "62.01Z",
    "62.02A", "64.20Z", "66.22Z", "68.20A", "68.20B", "68.31Z", "69.10Z", "69.20Z", "70.10Z",
    "70.22Z", "71.12B", "73.11Z", "81.21Z", "86.21Z", "94.99Z", "85.59A", "93.12Z", "96.02A",
)
_ENSEIGNES_ANCIENNES = (
    "A LA RENOMMEE", "CHEZ MARCEL", "L'ANCIEN COMPTOIR", "LE VIEUX MOULIN", "AU PETIT BONHEUR",
    "LA FONTAINE", "LES TROIS ROIS", "LE CHALET", "MAISON GUERIN", "L'ABRI",
)
# fmt: on


def _p(
    fin: str | None,
    debut: str,
    etat: str,
    naf: str,
    *,
    nomenclature: str = "NAFRev2",
    enseigne: str | None = None,
    employeur: str = "N",
    changes: str = "",
) -> dict[str, str | None]:
    """One planted period; `changes` says what changed: e(tat), n(af), s(enseigne), c(employeur)."""
    return {
        "dateFin": fin,
        "dateDebut": debut,
        "etatAdministratifEtablissement": etat,
        "changementEtatAdministratifEtablissement": str("e" in changes).lower(),
        "enseigne1Etablissement": enseigne,
        "changementEnseigneEtablissement": str("s" in changes).lower(),
        "changementDenominationUsuelleEtablissement": "false",
        "activitePrincipaleEtablissement": naf,
        "nomenclatureActivitePrincipaleEtablissement": nomenclature,
        "changementActivitePrincipaleEtablissement": str("n" in changes).lower(),
        "caractereEmployeurEtablissement": employeur,
        "changementCaractereEmployeurEtablissement": str("c" in changes).lower(),
    }


# Hand-written periods, most recent first, for planted establishments of the stock (same current
# period as the stock). The closing date a test expects is in `DATE_FERMETURE_HISTORIQUE`.
PLANTED_HISTORIQUE: dict[str, list[dict[str, str | None]]] = {
    # Closed on 2024-03-31; the stock's current period starts on 2024-06-30, when it stopped
    # being an employer: the stock alone would give the wrong closing date.
    "ferme_avec_successeur": [
        _p(None, "2024-06-30", "F", "49.41A", changes="c"),
        _p("2024-06-29", "2024-03-31", "F", "49.41A", employeur="O", changes="e"),
        _p("2024-03-30", "2019-01-01", "A", "49.41A", employeur="O", changes="n"),
        _p("2018-12-31", "2015-07-01", "A", "49.41B", employeur="O"),
    ],
    # Closed in 2014, reopened in 2015 under an enseigne, closed again on 2018-09-30.
    "ul_cessee_secondaire": [
        _p(None, "2018-09-30", "F", "56.10C", enseigne="GARONNE SNACK", changes="e"),
        _p("2018-09-29", "2015-06-01", "A", "56.10C", enseigne="GARONNE SNACK", changes="es"),
        _p("2015-05-31", "2014-01-01", "F", "56.10C", changes="e"),
        _p("2013-12-31", "2012-03-01", "A", "56.10C"),
    ],
    # Active head office: an activity coded in NAF rév. 1 until 2008, a change of activity and
    # an enseigne taken on since.
    "siege_actif": [
        _p(None, "2015-09-01", "A", "62.01Z", enseigne="NCP STUDIO", employeur="O", changes="n"),
        _p(
            "2015-08-31", "2011-04-01", "A", "70.22Z",
            enseigne="NCP STUDIO", employeur="O", changes="s",
        ),
        _p("2011-03-31", "2008-01-01", "A", "70.22Z", employeur="O", changes="n"),
        _p("2007-12-31", "2004-03-15", "A", "74.1A", nomenclature="NAFRev1", employeur="O"),
    ],
}  # fmt: skip

DATE_FERMETURE_HISTORIQUE: dict[str, date] = {
    "ferme_avec_successeur": date(2024, 3, 31),
    "ul_cessee_secondaire": date(2018, 9, 30),
}
"""The closing date the history gives for planted closed establishments (the last one)."""


def _planted_frame() -> pl.DataFrame:
    rows = []
    for name, periods in PLANTED_HISTORIQUE.items():
        record = PLANTED[name]
        for period in periods:
            rows.append(
                {
                    "siren": str(record["siren"]),
                    "nic": str(record["nic"]),
                    "siret": str(record["siret"]),
                    **period,
                }
            )
    return pl.DataFrame(
        [[row.get(c) for c in HISTORIQUE_COLUMNS] for row in rows],
        schema=dict.fromkeys(HISTORIQUE_COLUMNS, pl.String),
        orient="row",
    )


def _draw(seed: int, *parts: pl.Expr) -> pl.Expr:
    """A reproducible unsigned draw from the siret (and the period, when given)."""
    return pl.concat_str(
        [pl.col("siret"), *[p.cast(pl.String) for p in parts]], separator=":"
    ).hash(seed)


def _as_text(days: pl.Expr) -> pl.Expr:
    return pl.from_epoch(days, time_unit="d").cast(pl.String)


def _bool(flag: pl.Expr) -> pl.Expr:
    return pl.when(flag).then(pl.lit("true")).otherwise(pl.lit("false"))


def _periods(stock: pl.LazyFrame, seed: int) -> pl.LazyFrame:
    """Every stock row turned into its periods, the most recent first, in the file's columns."""
    creation = pl.col("dateCreationEtablissement").str.to_date(strict=False).cast(pl.Int64)
    debut = pl.col("dateDebut").str.to_date(strict=False).cast(pl.Int64)
    frame = stock.with_columns(
        _creation=pl.coalesce(creation, debut),
        _debut=debut,
        _n=pl.col("nombrePeriodesEtablissement").cast(pl.Int64, strict=False).fill_null(1),
        _h=_draw(seed),
        _ferme=pl.col("etatAdministratifEtablissement") == "F",
        _masque=pl.col("statutDiffusionEtablissement") == "P",
    ).with_columns(_span=(pl.col("_debut") - pl.col("_creation")).fill_null(0))
    n = (
        pl.when(pl.col("_span") <= 0)
        .then(1)
        .otherwise(pl.min_horizontal(pl.col("_n").clip(lower_bound=1), pl.col("_span") + 1))
    )
    frame = frame.with_columns(_n=n, _u=pl.col("_h") % 1000, _b=(pl.col("_h") // 1000) % 2)
    ferme, u, n = pl.col("_ferme"), pl.col("_u"), pl.col("_n")
    # How the latest periods came: the trailing periods that are not a change of NAF or enseigne.
    scenario = (
        pl.when(ferme & (n >= 4) & (u < 100))
        .then(pl.lit("rouvert"))
        .when(ferme & (n >= 3) & (u < 350))
        .then(pl.lit("employeur"))
        .when(ferme & (n >= 2))
        .then(pl.lit("ferme"))
        .when(~ferme & (n >= 3) & (u < 60))
        .then(pl.lit("rouvert_actif"))
        .otherwise(pl.lit("aucun"))
    )
    trailing = {"rouvert": 3, "employeur": 2, "ferme": 1, "rouvert_actif": 2, "aucun": 0}
    frame = (
        frame.with_columns(_scenario=scenario)
        .with_columns(
            _last_attribute=n - 1 - pl.col("_scenario").replace_strict(trailing, default=0),
            _width=pl.col("_span") // pl.max_horizontal(n - 1, pl.lit(1)),
            _j=pl.int_ranges(n - 1, -1, -1),
        )
        .explode("_j")
    )
    j, s = pl.col("_j"), pl.col("_scenario")

    def start(index: pl.Expr) -> pl.Expr:
        """Start of period `index`: the creation, a day in its slot, or the stock's dateDebut."""
        jitter = _draw(seed, index) % pl.max_horizontal(pl.col("_width"), pl.lit(1))
        inside = pl.col("_creation") + index * pl.col("_width") + jitter.cast(pl.Int64)
        return (
            pl.when(index == 0)
            .then(pl.col("_creation"))
            .when(index == n - 1)
            .then(pl.col("_debut"))
            .otherwise(inside)
        )

    last = j == n - 1
    etat_change = (
        pl.when(s == "rouvert")
        .then(j >= n - 3)
        .when(s == "employeur")
        .then(j == n - 2)
        .when(s == "ferme")
        .then(last)
        .when(s == "rouvert_actif")
        .then(j >= n - 2)
        .otherwise(pl.lit(False))
    )
    closed = (
        pl.when(s == "rouvert")
        .then(last | (j == n - 3))
        .when(s == "employeur")
        .then(j >= n - 2)
        .when(s == "ferme")
        .then(last)
        .when(s == "rouvert_actif")
        .then(j == n - 2)
        .otherwise(ferme)
    )
    # Periods 1..last_attribute change the NAF code and the enseigne alternately; counting the
    # changes of each kind after a period gives how far back its value is.
    attribute_period = (j >= 1) & (j <= pl.col("_last_attribute"))
    naf_period = ((pl.col("_last_attribute") - j + pl.col("_b")) % 2) == 0
    later = pl.max_horizontal(pl.col("_last_attribute") - j, pl.lit(0))
    naf_changes_after = (later + 1 - pl.col("_b")) // 2
    enseigne_changes_after = later - naf_changes_after
    enseigne_changes_total = pl.col("_last_attribute").clip(lower_bound=0) - (
        (pl.col("_last_attribute").clip(lower_bound=0) + 1 - pl.col("_b")) // 2
    )

    naf_now = pl.col("activitePrincipaleEtablissement")
    place = naf_now.replace_strict(
        {code: i for i, code in enumerate(_NAF_ANCIENS)}, default=0, return_dtype=pl.Int64
    )
    old_naf = pl.lit(pl.Series(_NAF_ANCIENS)).gather(
        (place + naf_changes_after) % len(_NAF_ANCIENS)
    )
    naf = pl.when(naf_changes_after == 0).then(naf_now).otherwise(old_naf)

    old_enseigne = pl.lit(pl.Series(_ENSEIGNES_ANCIENNES)).gather(
        (pl.col("_h") // 7 + enseigne_changes_after) % len(_ENSEIGNES_ANCIENNES)
    )
    # The oldest enseigne of an establishment that has one now was, one time in two, none.
    none_at_first = (
        pl.col("enseigne1Etablissement").is_not_null()
        & (enseigne_changes_after == enseigne_changes_total)
        & (pl.col("_h") // 13 % 2 == 0)
    )
    changed_enseigne = enseigne_changes_after > 0

    def enseigne(column: str, older: pl.Expr) -> pl.Expr:
        return (
            pl.when(pl.col("_masque"))
            .then(pl.col(column))
            .when(~changed_enseigne)
            .then(pl.col(column))
            .otherwise(older)
        )

    no_text = pl.lit(None, dtype=pl.String)
    employeur = (
        pl.when((s == "employeur") & ~last)
        .then(pl.lit("O"))
        .otherwise(pl.col("caractereEmployeurEtablissement"))
    )
    fin = pl.when(last).then(pl.lit(None, dtype=pl.Int64)).otherwise(start(j + 1) - 1)
    return frame.select(
        "siren",
        "nic",
        "siret",
        dateFin=_as_text(fin),
        dateDebut=_as_text(start(j)),
        etatAdministratifEtablissement=pl.when(closed).then(pl.lit("F")).otherwise(pl.lit("A")),
        changementEtatAdministratifEtablissement=_bool(etat_change),
        enseigne1Etablissement=enseigne(
            "enseigne1Etablissement", pl.when(none_at_first).then(no_text).otherwise(old_enseigne)
        ),
        enseigne2Etablissement=enseigne("enseigne2Etablissement", no_text),
        enseigne3Etablissement=enseigne("enseigne3Etablissement", no_text),
        changementEnseigneEtablissement=_bool(attribute_period & ~naf_period),
        denominationUsuelleEtablissement="denominationUsuelleEtablissement",
        changementDenominationUsuelleEtablissement=pl.lit("false"),
        activitePrincipaleEtablissement=naf,
        nomenclatureActivitePrincipaleEtablissement="nomenclatureActivitePrincipaleEtablissement",
        changementActivitePrincipaleEtablissement=_bool(attribute_period & naf_period),
        caractereEmployeurEtablissement=employeur,
        changementCaractereEmployeurEtablissement=_bool((s == "employeur") & last),
    )


STOCK_COLUMNS = (
    "siren",
    "nic",
    "siret",
    "statutDiffusionEtablissement",
    "dateCreationEtablissement",
    "nombrePeriodesEtablissement",
    "dateDebut",
    "etatAdministratifEtablissement",
    "enseigne1Etablissement",
    "enseigne2Etablissement",
    "enseigne3Etablissement",
    "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
)


def _copy_member(archive: zipfile.ZipFile, target: Path) -> None:
    """Stream the single CSV of a SIRENE zip to ``target`` (polars scans a file, not a member)."""
    with archive.open(archive.namelist()[0]) as member, target.open("wb") as copy:
        shutil.copyfileobj(member, copy, 1 << 22)


def generate_sirene_historique(
    out_dir: Path, etablissements: int = 2000, seed: int = 42
) -> dict[str, Path]:
    """Write StockEtablissementHistorique_utf8.zip from the stock zip already in `out_dir`.

    `etablissements` is not used: the history follows the stock written there, whatever its size.
    """
    del etablissements
    out_dir = Path(out_dir)
    stock_zip = out_dir / f"{ETABLISSEMENT_FILE}.zip"
    target = out_dir / f"{HISTORIQUE_FILE}.zip"
    partial = out_dir / f".{HISTORIQUE_FILE}.zip.partial"
    stock_csv = out_dir / f".{ETABLISSEMENT_FILE}.{os.getpid()}.csv"
    body_csv = out_dir / f".{HISTORIQUE_FILE}.{os.getpid()}.csv"
    planted = _planted_frame()
    try:
        with zipfile.ZipFile(stock_zip) as archive:
            _copy_member(archive, stock_csv)
        stock = (
            pl.scan_csv(stock_csv, infer_schema=False, quote_char='"')
            .select(STOCK_COLUMNS)
            .filter(~pl.col("siret").is_in(planted["siret"].unique().implode()))
        )
        _periods(stock, seed).sink_csv(
            body_csv,
            include_header=False,
            quote_style="necessary",
            null_value="",
            line_terminator="\n",
            engine="streaming",
        )
        head = planted.write_csv(
            include_header=True, quote_style="necessary", null_value="", line_terminator="\n"
        ).encode("utf-8")
        with zipfile.ZipFile(
            partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL
        ) as archive:
            info = zipfile.ZipInfo(f"{HISTORIQUE_FILE}.csv", date_time=_ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as member, body_csv.open("rb") as body:
                member.write(head)
                shutil.copyfileobj(body, member, 1 << 22)
        os.replace(partial, target)
    finally:
        for leftover in (stock_csv, body_csv, partial):
            leftover.unlink(missing_ok=True)
    return {target.name: target}


__all__ = [
    "DATE_FERMETURE_HISTORIQUE",
    "HISTORIQUE_COLUMNS",
    "NON_DIFFUSIBLE",
    "PLANTED_HISTORIQUE",
    "generate_sirene_historique",
]
