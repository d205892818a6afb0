"""BODACC (DILA): the commercial legal announcements, as the opendatasoft export writes them.

One CSV, UTF-8, separated by ``;``, every line an announcement; the nested parts (persons,
establishments, the judgement, the deed, the filing…) are JSON documents held in one column
each, quoted. The warehouse reads the family "Procédures collectives" (``familleavis`` =
``collective``), whose ``jugement`` column says what the court decided and when.

What is specific to this file, and handled here only:

- the SIREN is read from ``registre``, which lists the registration number, spaced
  (``833 310 592``), unspaced, or both (``833 310 592,833310592``); the first 9-digit number is
  kept. An announcement without one cannot be tied to a company and is rejected with a reason
  (persons outside the trade register, mostly);
- the judgement's date comes in ISO (``2026-03-12``), day first (``12/03/2026``) and French
  long form (``12 mars 2026``, ``1er mars 2026``); ``jugement_date_text`` reads the three, and
  an unreadable one rejects the row with its text;
- some text went once through a single-byte decoding (``procÃ©dure``): repaired where the
  table of ``sources.normalize.MOJIBAKE`` knows the sequence, else kept as it is (the mart flags
  such rows, ``est_texte_altere``).

Rectifications and cancellations (``typeavis`` ``rectificatif``, ``annulation``) are loaded as
their own announcements; the one they correct is not looked up (its reference,
``parutionavisprecedent``, is not read).
"""

import polars as pl

from sources.contracts import Column, Contract, Guards, Kind, RowCheck, optional, required
from sources.internal import FRENCH_MONTHS

EXPORT = "https://bodacc-datadila.opendatasoft.com/api/explore/v2.1/catalog/datasets/"

REGISTRE = "registre"
JUGEMENT = "jugement"

# The export holds every announcement since 2008 and only grows: a tenth fewer rows is a
# broken export. Announcements of persons outside the trade register have no SIREN and are
# rejected, a few percent. The BODACC appears every working day.
BODACC_GUARDS = Guards(
    min_row_ratio=0.9, max_row_ratio=1.5, max_reject_ratio=0.05, stale_after_days=10
)

S, D, INT = Kind.STRING, Kind.DATE, Kind.INTEGER


def siren_of_registre(column: str = REGISTRE) -> pl.Expr:
    """The first 9-digit number of ``registre``, its inner spaces removed; null if none."""
    text = pl.col(column).str.replace_all("\u00a0", " ", literal=True)
    # twice: a match consumes the digit after the space, so "1 2 3" needs a second pass
    for _ in range(2):
        text = text.str.replace_all(r"(\d) +(\d)", "${1}${2}")
    return text.str.extract(r"(?:^|\D)(\d{9})(?:\D|$)", 1)


def _jugement(field: str) -> pl.Expr:
    return pl.col(JUGEMENT).str.json_path_match(f"$.{field}").str.strip_chars()


def jugement_date_text(text: pl.Expr) -> pl.Expr:
    """A judgement date as ISO text, from the three ways the file writes it.

    ``2026-03-12`` (a time after it is dropped), ``12/03/2026`` and ``12 mars 2026`` or
    ``1er mars 2026`` (month in any case, accents or not). Text in none of these forms is
    returned as it is, so that the date check rejects the row and shows it.
    """
    low = text.str.to_lowercase().str.strip_chars()
    iso = low.str.extract(r"^(\d{4}-\d{2}-\d{2})(?:[t ].*)?$", 1)
    slash = r"^(\d{1,2})/(\d{1,2})/(\d{4})$"
    day_first = pl.concat_str(
        low.str.extract(slash, 3),
        low.str.extract(slash, 2).str.pad_start(2, "0"),
        low.str.extract(slash, 1).str.pad_start(2, "0"),
        separator="-",
    )
    long = r"^(\d{1,2})(?:er)?\s+(\p{L}+)\s+(\d{4})$"
    month = low.str.extract(long, 2).replace_strict(
        FRENCH_MONTHS, default=None, return_dtype=pl.String
    )
    french = pl.concat_str(
        low.str.extract(long, 3),
        month,
        low.str.extract(long, 1).str.pad_start(2, "0"),
        separator="-",
    )
    return pl.coalesce(iso, day_first, french, text)


ANNONCES = Contract(
    source="bodacc",
    dataset="bodacc_annonces",
    producer="DILA",
    system="BODACC",
    public=True,
    arrival="http",
    file_name="annonces-commerciales.csv",
    member=None,
    # the family of collective procedures only: the whole export is tens of millions of
    # announcements the warehouse does not use
    origin_url=EXPORT + "annonces-commerciales/exports/csv?delimiter=%3B"
    "&refine=familleavis%3Acollective",
    rhythm_days=1,
    ends_with_newline=True,
    guards=BODACC_GUARDS,
    encoding="utf-8",
    separator=";",
    key=("id",),
    newest_data_column="dateparution",
    repair_mojibake=True,
    description="Commercial legal announcements (BODACC A, B, C): one row per announcement; "
    "the collective procedures feed procedures_collectives.",
    row_checks=(
        RowCheck(
            name="registre_has_siren",
            reason="registre holds no 9-digit SIREN (spaced or not): the announcement cannot "
            "be tied to a company",
            broken=lambda _: pl.col("siren").is_null(),
        ),
        RowCheck(
            name="jugement_is_json",
            reason="jugement is not a valid JSON document",
            broken=lambda _: (
                pl.col(JUGEMENT).is_not_null() & pl.col(JUGEMENT).str.json_path_match("$").is_null()
            ),
        ),
    ),
    columns=(
        required("id", not_null=True, formats=()),
        required("publicationavis"),
        optional("publicationavis_facette"),
        optional("parution"),
        required("dateparution", D, not_null=True, formats=("%Y-%m-%d", "%d/%m/%Y")),
        optional("numeroannonce", INT),
        required("typeavis"),
        optional("typeavis_lib"),
        required("familleavis", not_null=True),
        optional("familleavis_lib"),
        optional("numerodepartement"),
        optional("departement_nom_officiel"),
        optional("region_code"),
        optional("region_nom_officiel"),
        required("tribunal"),
        required("commercant"),
        optional("ville"),
        required(REGISTRE),
        optional("cp"),
        optional("pdf_parution_subfolder"),
        optional("ispdf_unitaire"),
        optional("listepersonnes"),
        optional("listeetablissements"),
        required(JUGEMENT),
        optional("acte"),
        optional("modificationsgenerales"),
        optional("radiationaurcs"),
        optional("depot"),
        optional("listeprecedentexploitant"),
        Column("siren", Kind.SIREN, derive=lambda _: siren_of_registre()),
        Column(
            "date_jugement",
            D,
            derive=lambda _: jugement_date_text(_jugement("date")),
            description="jugement.date, read in its three forms",
        ),
        Column("famille_jugement", derive=lambda _: _jugement("famille")),
        Column("nature_jugement", derive=lambda _: _jugement("nature")),
        Column("complement_jugement", derive=lambda _: _jugement("complementJugement")),
    ),
)

CONTRACTS = (ANNONCES,)
