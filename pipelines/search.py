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

The index. The publish step normalizes every name once (``build_search_index``, with the same
SQL helpers that normalize the query) into four tables of the published file. Establishments
are numbered by ``rang``, their position in the order of denomination then SIRET, so that the
last two ranking criteria are one integer.

- ``recherche_tokens``: one row per establishment and distinct token of its searchable names,
  with the columns that the ranking and the filters read (etat_administratif, est_siege,
  departement, code_naf), sorted by token then rang. The rows whose token starts with a query
  token are one range of it, which DuckDB finds from the min/max of each row group:
  ``starts_with(token, 'de')`` becomes ``token >= 'de' and token < 'df'`` (EXPLAIN ANALYZE on
  5 M establishments: "Row Groups Scanned: 7 / 124").
- ``recherche_vocabulaire``: one row per token with the number of establishments that have it.
- ``recherche_noms``: one row per establishment and searchable form of one of its names, sorted
  by it: who has a name equal to the whole query.
- ``recherche_etablissements``: rang to SIRET (and the company's sigle), for the rows shown.

A text query sums the vocabulary over each of its tokens' ranges, then joins the ranges on
rang from the rarest token, innermost, to the most common, in that order (DuckDB's join
reordering is turned off for the query), so that each hash table holds only the matches so
far and DuckDB filters the scan of the next, more common range with it (a Bloom filter): only
the rarest range is hashed whole, the common ones are read but not hashed. The matches are
ranked and cut to a few times ``limit`` rows inside DuckDB; only the rows shown are then read
from recherche_etablissements and fiche_etablissement, one equality per key, which reads one
row group of each. Nothing bounds a query whose tokens are all very common: its answer stays
exact and it costs what its ranges hold ("sci du moulin" reads the whole range of "du", "de
la" hashes the whole range of "la").

How it scales, measured with ``bench/search.py`` on this 2-core machine while other jobs ran
on it (load average 3 to 5), 26 queries × 5 runs, a new connection each as ``fce search``
(bench/results/search-*.json):

    establishments   index build   index size   median   p95      max
    1 M              10 s          37 MB        156 ms   196 ms   260 ms
    5 M              60 s          163 MB       168 ms   267 ms   295 ms

About 130 ms of a query does not grow with the stock: opening and closing the file (30 ms) and
reading the 20 rows shown (50 to 90 ms, mostly decoding their columns). The rest grows with
the rows of the query's ranges: 10 to 50 ms at 5 M for most queries, 130 ms for "de la", 90 ms
for "m". 42 M was not measured. Scaled linearly, the index would take about 1.4 GB (more if
real names have more words than these) and 8 minutes to build; a query whose ranges hold no
more rows than at 5 M here (where company words and surnames are denser than in the real
stock) would stay near 200 ms, and one whose tokens are all very common would take about a
second. The build sorts in memory up to DuckDB's limit (2.4 GB at 5 M without one) and spills
beyond it (1.2 GB and 34 s at 5 M with ``memory_limit = '1GB'``).

A file published before the index existed is still searched, the slow way: every query then
normalizes and tests every name: 3.3 to 3.6 s per query on 1 M establishments here.
"""

import logging
import re
import time
from collections import Counter
from pathlib import Path

import duckdb

log = logging.getLogger("fce.search")

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
INDEX_TABLES = {
    "recherche_tokens": "Search index of fce search: one row per establishment (rang) and "
    "distinct token of its searchable names (normalized: lower case, no accents, elisions "
    "dropped and glued), with the columns the ranking and filters use; sorted by token.",
    "recherche_vocabulaire": "Search index of fce search: one row per token of "
    "recherche_tokens with the number of establishments that have it; sorted by token.",
    "recherche_noms": "Search index of fce search: one row per establishment (rang) and "
    "normalized form of one of its searchable names; sorted by nom.",
    "recherche_etablissements": "Search index of fce search: one row per establishment; rang "
    "is its position by denomination then siret; sigle is the company's, shown with it.",
}
"""The tables ``build_search_index`` adds to the published file, with their comments."""
FETCH_FACTOR = 4
"""Index rows read per result wanted: an establishment appears once per token that a query
token starts (``martin`` and ``martine``); four times more are read while that was not enough."""
UNION_SIZE = 100
"""Keys fetched by one query of ``_by_key``."""


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


def _names_sql() -> str:
    """SQL: every establishment with its masked names as name_0 … name_3 (see NAME_COLUMNS)."""
    masked = ", ".join(f"{_masked(c)} as name_{i}" for i, c in enumerate(NAME_COLUMNS))
    return (
        f"select e.*, u.sigle, {masked} from fiche_etablissement as e "
        "left join fiche_entreprise as u on u.siren = e.siren"
    )


def index_inputs_sql(prefix: str = "") -> str:
    """SQL: the columns ``build_search_index`` reads, from the fiches under ``prefix``
    (``build.main.``): when they are the same, the index is the same."""
    names = ", ".join(NAME_COLUMNS)
    return (
        f"select e.siret, {names}, e.etat_administratif, e.est_siege, e.departement, "
        f"e.code_naf from {prefix}fiche_etablissement as e "
        f"left join {prefix}fiche_entreprise as u on u.siren = e.siren"
    )


def index_recipe() -> str:
    """What the index is made of its inputs: a change here is a new index."""
    return _keys_sql() + "|" + ",".join(INDEX_TABLES)


def _keys_sql() -> str:
    """SQL: the list of distinct searchable forms of the names of a row of ``_names_sql``."""
    names = [f"name_{i}" for i in range(len(NAME_COLUMNS))]
    forms = ", ".join([*map(normalized_sql, names), *map(joined_sql, names)])
    return f"list_distinct(list_filter([{forms}], lambda k: k is not null and k <> ''))"


def build_search_index(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Create ``INDEX_TABLES`` from fiche_etablissement and fiche_entreprise of ``con``'s
    database (replacing them); return their row counts.
    """
    started = time.perf_counter()
    for table in INDEX_TABLES:
        con.execute(f"drop table if exists main.{table}")
    con.execute(
        "create temp table recherche_cles as select "
        "row_number() over (order by denomination, siret) as rang, siret, sigle, "
        "etat_administratif, est_siege, departement, code_naf, "
        f"{_keys_sql()} as noms from ({_names_sql()})"
    )
    try:
        con.execute(
            "create table main.recherche_etablissements as "
            "select rang, siret, sigle from recherche_cles order by rang"
        )
        con.execute(
            "create table main.recherche_noms as "
            "select unnest(noms) as nom, rang from recherche_cles order by nom, rang"
        )
        tokens = "list_distinct(flatten(list_transform(noms, lambda k: string_split(k, ' '))))"
        con.execute(
            "create table main.recherche_tokens as select token, rang, etat_administratif, "
            "est_siege, departement, code_naf "
            f"from (select unnest({tokens}) as token, * from recherche_cles) "
            "order by token, rang"
        )
    finally:
        con.execute("drop table recherche_cles")
    con.execute(
        "create table main.recherche_vocabulaire as select token, count(*) as etablissements "
        "from main.recherche_tokens group by token order by token"
    )
    counts = {}
    for table, comment in INDEX_TABLES.items():
        quoted = comment.replace("'", "''")
        con.execute(f"comment on table main.{table} is '{quoted}'")
        counts[table] = con.execute(f"select count(*) from main.{table}").fetchall()[0][0]
    log.info(
        "search index built in %.1f s: %s",
        time.perf_counter() - started,
        ", ".join(f"{t} {n}" for t, n in counts.items()),
    )
    return counts


def _identifier(text: str) -> str | None:
    compact = re.sub(r"\s", "", text)
    return compact if compact.isdigit() and len(compact) in (9, 14) else None


def _departement(code: str) -> str:
    code = code.strip().upper()
    return code.zfill(2) if code.isdigit() and len(code) == 1 else code


def _filters(
    alias: str, departement: str | None, naf: str | None, actif: bool, siege: bool
) -> tuple[list[str], list[object]]:
    """SQL conditions on the columns of ``alias`` (fiche_etablissement or recherche_tokens)."""
    conditions: list[str] = []
    params: list[object] = []
    if departement:
        conditions.append(f"{alias}.departement = ?")
        params.append(_departement(departement))
    if naf:
        conditions.append(f"starts_with(replace({alias}.code_naf, '.', ''), ?)")
        params.append(naf.replace(".", "").replace(" ", "").upper())
    if actif:
        conditions.append(f"{alias}.etat_administratif = 'A'")
    if siege:
        conditions.append(f"{alias}.est_siege")
    return conditions, params


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
    with duckdb.connect(str(db), read_only=True) as con:
        ident = _identifier(text)
        if ident is not None:
            filters, params = _filters("e", departement, naf, actif, siege)
            key = "e.siret" if len(ident) == 14 else "e.siren"
            where = " and ".join([f"{key} = ?", *filters])
            select = ", ".join(f"u.{c}" if c == "sigle" else f"e.{c}" for c in RESULT_COLUMNS)
            sql = (
                f"select {select}, false as exact from fiche_etablissement as e "
                f"left join fiche_entreprise as u on u.siren = e.siren where {where} "
                "order by e.etat_administratif = 'A' desc, e.est_siege desc, e.siret limit ?"
            )
            return _rows(con.execute(sql, [ident, *params, limit]))
        query, query_joined = con.execute(
            f"select {normalized_sql('?')}, {joined_sql('?')}", [text, text]
        ).fetchall()[0]
        tokens = query.split()
        if not tokens:
            raise ValueError(f"{text!r} has nothing to search for")
        indexed = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'main' "
            f"and table_name in ({', '.join('?' for _ in INDEX_TABLES)})",
            list(INDEX_TABLES),
        ).fetchall()[0][0] == len(INDEX_TABLES)
        filters, params = _filters("r" if indexed else "e", departement, naf, actif, siege)
        find = _lookup if indexed else _scan
        return find(con, tokens, query, query_joined, filters, params, limit)


def _lookup(
    con: duckdb.DuckDBPyConnection,
    tokens: list[str],
    query: str,
    query_joined: str,
    filters: list[str],
    params: list[object],
    limit: int,
) -> list[dict[str, object]]:
    """Search through the index tables (see the module docstring)."""
    repeats = Counter(tokens)
    sizes = dict(
        con.execute(
            " union all ".join(
                "select ?, coalesce(sum(etablissements), 0) from recherche_vocabulaire "
                "where starts_with(token, ?)"
                for _ in repeats
            ),
            [value for token in repeats for value in (token, token)],
        ).fetchall()
    )
    if not all(sizes.values()):
        return []
    # The tokens are joined from the rarest, innermost, to the most common, outermost, in the
    # order written (DuckDB's join reordering is turned off for it): each hash table is built
    # from the smaller side, whose rangs then filter the scan of the next, more common token.
    *common, rarest = sorted(repeats, key=lambda t: (-sizes[t], t))
    where = "".join(f" and {c}" for c in filters)
    joined = (
        "(select rang, etat_administratif, est_siege, token = ? as whole "
        f"from recherche_tokens as r where starts_with(token, ?){where}) as r"
    )
    for i in reversed(range(len(common))):
        inner = joined if i == len(common) - 1 else f"({joined})"
        joined = (
            f"(select rang, token = ? as whole from recherche_tokens "
            f"where starts_with(token, ?)) as t{i} join {inner} using (rang)"
        )
    whole = " + ".join(
        f"cast({alias}.whole as integer) * {repeats[token]}"
        for alias, token in [*((f"t{i}", t) for i, t in enumerate(common)), ("r", rarest)]
    )
    sql = (
        "select rang, rang in (select rang from recherche_noms where nom in (?, ?)) as exact "
        f"from {joined} order by exact desc, r.etat_administratif = 'A' desc, "
        f"r.est_siege desc, ({whole}) desc, rang limit ?"
    )
    args: list[object] = [query, query_joined]
    for token in [*common, rarest]:
        args += [token, token]
    args += params
    con.execute("set disabled_optimizers = 'join_order, build_side_probe_side'")
    wanted = limit * FETCH_FACTOR
    while True:
        found = con.execute(sql, [*args, wanted]).fetchall()
        best: dict[int, bool] = {}
        for rang, exact in found:  # an establishment's first row is its best one
            best.setdefault(rang, exact)
        if len(best) >= limit or len(found) < wanted:
            break
        wanted *= 4
    ranks = list(best)[:limit]
    if not ranks:
        return []
    shown = {
        rang: (siret, sigle)
        for rang, siret, sigle in _by_key(
            con, "select rang, siret, sigle from recherche_etablissements where rang = ?", ranks
        )
    }
    columns = [c for c in RESULT_COLUMNS if c != "sigle"]
    rows = {
        row[0]: dict(zip(columns, row, strict=True))
        for row in _by_key(
            con,
            f"select {', '.join(columns)} from fiche_etablissement where siret = ?",
            [siret for siret, _ in shown.values()],
        )
    }
    results = []
    for rang in ranks:
        siret, sigle = shown[rang]
        row = {**rows[siret], "sigle": sigle}
        results.append({**{c: row[c] for c in RESULT_COLUMNS}, "exact": best[rang]})
    return results


def _by_key(con: duckdb.DuckDBPyConnection, sql: str, keys: list[object]) -> list[tuple]:
    """The rows of ``sql`` (one ``?``) for each key, fetched by a union of equalities.

    DuckDB then reads, for each key, the one row group of a table sorted by it whose min/max
    hold it; an IN list would read in full every row group holding one of them.
    """
    found: list[tuple] = []
    for start in range(0, len(keys), UNION_SIZE):
        chunk = keys[start : start + UNION_SIZE]
        found += con.execute(" union all ".join(sql for _ in chunk), chunk).fetchall()
    return found


def _scan(
    con: duckdb.DuckDBPyConnection,
    tokens: list[str],
    query: str,
    query_joined: str,
    filters: list[str],
    params: list[object],
    limit: int,
) -> list[dict[str, object]]:
    """Search a file published without the index: normalize and test every name."""
    candidates = (
        f"select {', '.join(RESULT_COLUMNS)}, {_keys_sql()} as keys from ({_names_sql()}) as e "
        f"where {' and '.join(filters) or 'true'}"
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
