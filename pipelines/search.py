"""``fce search``: find establishments by name in the published DuckDB file, read-only.

A query is either an identifier (14 digits: a SIRET; 9 digits: every establishment of a SIREN;
spaces ignored) or text. Text is normalized the way the names are, by DuckDB itself so that both
sides agree: lower case, accents stripped (``strip_accents``), typographic apostrophes made
plain, French elisions dropped (``l'``, ``d'``, ``qu'`` … so that "l'oreal" and "oreal" both
find "L'ORÉAL"; the joined form "loreal" is kept as a token too), anything else than letters and
digits a separator. An establishment matches when every query token is the start of a token of
one of its names: denomination, enseigne, denomination_usuelle (fiche_etablissement) and the
company's sigle (fiche_entreprise), pooled. A masked name (``[ND]``) is not searchable at all.

Ranking: a name equal to the whole query first, then open establishments, then head offices,
then the number of query tokens that are whole tokens of a name, then name and SIRET.

How it scales. No index is used: every query normalizes and scans every row of
fiche_etablissement (about 42 M rows for the national stock) with several regular expressions
per row, joined to fiche_entreprise for the sigle. Measured: about 14 s per query for 1 M
rows on one laptop, so roughly ten minutes for the whole stock: usable on a département-sized
file, not on the national one, and never for a portal. The fix is to do the normalization
once, in the publish step: a table ``recherche_tokens (token, siret)`` sorted by token, so that
a query reads a prefix range of it per token and intersects the SIRETs (a few row groups
instead of the whole stock); or DuckDB's ``fts`` extension (a BM25 index built at publish
time) once it can be installed for the DuckDB version the warehouse pins — it cannot today.
"""

import re
from pathlib import Path

import duckdb

DEFAULT_LIMIT = 20
MASKED = "[ND]"
NAME_COLUMNS = ("e.denomination", "e.enseigne", "e.denomination_usuelle", "u.sigle")
RESULT_COLUMNS = (
    "siret",
    "siren",
    "denomination",
    "enseigne",
    "denomination_usuelle",
    "sigle",
    "est_siege",
    "etat_administratif",
    "code_naf",
    "departement",
    "code_postal",
    "libelle_commune",
)
ELISION = r"\b(lorsqu|puisqu|jusqu|quoiqu|qu|[cdjlmnst])'"
"""A French elided word before its apostrophe (after lower case and plain apostrophes)."""


def _lowered(expr: str) -> str:
    """SQL: ``expr`` in lower case, without accents, ligatures spelled out, plain apostrophes."""
    text = f"strip_accents(lower({expr}))"
    text = f"replace(replace({text}, 'œ', 'oe'), 'æ', 'ae')"
    return f"regexp_replace({text}, '[’‘ʼ`´]', '''', 'g')"


def _words(expr: str) -> str:
    """SQL: the tokens of ``expr`` separated by one space, trimmed."""
    return f"trim(regexp_replace({expr}, '[^a-z0-9]+', ' ', 'g'))"


def _masked(expr: str) -> str:
    """SQL: null for a missing or masked value, else ``expr``."""
    return f"case when {expr} is null or contains({expr}, '{MASKED}') then null else {expr} end"


def normalized_sql(expr: str) -> str:
    """SQL: the searchable form of a name: elisions dropped, one space between tokens."""
    elision = ELISION.replace("'", "''")
    return _words(f"regexp_replace({_lowered(expr)}, '{elision}', '', 'g')")


def joined_sql(expr: str) -> str:
    """SQL: the form with the elided word glued to the next one (L'ORÉAL: loreal)."""
    return _words(f"replace({_lowered(expr)}, '''', '')")


def _identifier(text: str) -> str | None:
    compact = re.sub(r"\s", "", text)
    return compact if compact.isdigit() and len(compact) in (9, 14) else None


def _departement(code: str) -> str:
    code = code.strip().upper()
    return code.zfill(2) if code.isdigit() and len(code) == 1 else code


def search(
    db: Path,
    text: str,
    departement: str | None = None,
    naf: str | None = None,
    actif: bool = False,
    siege: bool = False,
    limit: int = DEFAULT_LIMIT,
) -> list[dict[str, object]]:
    """Establishments of the published file ``db`` whose names match ``text``, best first.

    ``text`` may be a SIRET or a SIREN. ``naf`` matches a code or its start ("62.01Z", "6201",
    "62"); ``actif`` keeps open establishments, ``siege`` head offices.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    filters: list[str] = []
    params: list[object] = []
    if departement:
        filters.append("e.departement = ?")
        params.append(_departement(departement))
    if naf:
        filters.append("starts_with(replace(e.code_naf, '.', ''), ?)")
        params.append(naf.replace(".", "").replace(" ", "").upper())
    if actif:
        filters.append("e.etat_administratif = 'A'")
    if siege:
        filters.append("e.est_siege")
    select = ", ".join(f"u.{c}" if c == "sigle" else f"e.{c}" for c in RESULT_COLUMNS)
    with duckdb.connect(str(db), read_only=True) as con:
        ident = _identifier(text)
        if ident is not None:
            key = "e.siret" if len(ident) == 14 else "e.siren"
            where = " and ".join([f"{key} = ?", *filters])
            sql = (
                f"select {select}, false as exact from fiche_etablissement as e "
                f"left join fiche_entreprise as u on u.siren = e.siren where {where} "
                "order by e.etat_administratif = 'A' desc, e.est_siege desc, e.siret limit ?"
            )
            return _rows(con.execute(sql, [ident, *params, limit]))
        query, query_joined = con.execute(
            f"select {normalized_sql('?')}, {joined_sql('?')}", [text, text]
        ).fetchone()
        tokens = query.split()
        if not tokens:
            raise ValueError(f"{text!r} has nothing to search for")
        masked = [f"{_masked(c)} as name_{i}" for i, c in enumerate(NAME_COLUMNS)]
        names = [f"name_{i}" for i in range(len(NAME_COLUMNS))]
        keys = ", ".join([*map(normalized_sql, names), *map(joined_sql, names)])
        candidates = (
            f"select *, list_filter([{keys}], lambda k: k is not null and k <> '') as keys "
            f"from (select {select}, {', '.join(masked)} from fiche_etablissement as e "
            "left join fiche_entreprise as u on u.siren = e.siren "
            f"where {' and '.join(filters) or 'true'})"
        )
        # a token starts a name token when it follows a space in ' ' || key
        match = " and ".join(
            "len(list_filter(keys, lambda k: contains(' ' || k, ' ' || ?))) > 0" for _ in tokens
        )
        whole = " + ".join(
            "cast(len(list_filter(keys, lambda k: contains(' ' || k || ' ', ' ' || ? || ' '))) > 0 "
            "as integer)"
            for _ in tokens
        )
        sql = (
            f"select {', '.join(RESULT_COLUMNS)}, "
            "list_contains(keys, ?) or list_contains(keys, ?) as exact "
            f"from ({candidates}) where {match} "
            "order by exact desc, etat_administratif = 'A' desc, est_siege desc, "
            f"({whole}) desc, denomination, siret limit ?"
        )
        args = [query, query_joined, *params, *tokens, *tokens, limit]
        return _rows(con.execute(sql, args))


def _rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def format_results(rows: list[dict[str, object]]) -> str:
    """One line per establishment: SIRET, state, head office, name(s), NAF, place."""
    lines = []
    for row in rows:
        names = [
            str(row[c])
            for c in ("denomination", "enseigne", "denomination_usuelle", "sigle")
            if row.get(c) not in (None, "")
        ]
        state = "ouvert" if row["etat_administratif"] == "A" else "fermé"
        place = " ".join(str(row[c]) for c in ("code_postal", "libelle_commune") if row.get(c))
        lines.append(
            f"{row['siret']}  {state:<6} {'siège' if row['est_siege'] else '     '}  "
            f"{' / '.join(dict.fromkeys(names))}  {row.get('code_naf') or ''}  {place}".rstrip()
        )
    return "\n".join(lines)
