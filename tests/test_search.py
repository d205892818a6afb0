"""``fce search``: names without accents or elisions, identifiers, filters, ranking, [ND]; the
index built at publication, and the same answers with and without it."""

import datetime as dt
import json
import random

import duckdb
import pytest

from pipelines import cli
from pipelines import search as search_module
from pipelines.publish import PUBLISHED_TABLES, publish_duckdb
from pipelines.search import INDEX_TABLES, build_search_index, search

ETABLISSEMENTS = [
    # siret, denomination, enseigne, denomination_usuelle, siege, etat, naf, departement
    ("11111111100011", "L'ORÉAL", None, None, True, "A", "20.42Z", "92"),
    ("11111111100029", "L'ORÉAL", "L’ORÉAL LUXE", None, False, "F", "20.42Z", "75"),
    ("33333333300013", "BOULANGERIE MARTIN", None, None, False, "F", "10.71C", "31"),
    ("33333333300021", "BOULANGERIE MARTIN", None, None, True, "A", "10.71C", "31"),
    ("33333333300039", "BOULANGERIE MARTIN", "AU BON PAIN", None, False, "A", "10.71C", "81"),
    ("66666666600016", "MARTIN", None, None, False, "F", "62.01Z", "31"),
    ("44444444400014", "[ND]", None, None, True, "A", "62.01Z", "31"),
    ("44444444500011", "[ND] [ND]", "[ND]", None, True, "A", "62.01Z", "31"),
    ("77777777700010", "ND CONSULTING", None, None, True, "A", "62.02A", "69"),
    (
        "55555555500015",
        "SOCIETE NATIONALE DES CHEMINS DE FER",
        None,
        None,
        True,
        "A",
        "49.10Z",
        "93",
    ),
    ("88888888800018", "DURAND", "Café de l'Église", "Œuvres d’Art", True, "A", "56.30Z", "2A"),
]
SIGLES = {"555555555": "SNCF", "444444444": "[ND]"}


def write_fiches(con, etablissements, sigles) -> None:
    """fiche_etablissement and fiche_entreprise, with the columns search reads."""
    columns = ("siret", "denomination", "enseigne", "denomination_usuelle", "est_siege")
    columns += ("etat_administratif", "code_naf", "departement")
    rows = [dict(zip(columns, e, strict=True)) for e in etablissements]
    con.execute(
        "create table fiche_etablissement as select siret, left(siret, 9) as siren, "
        "denomination, enseigne, denomination_usuelle, est_siege, etat_administratif, "
        "code_naf, departement, departement || '000' as code_postal, "
        "'COMMUNE ' || departement as libelle_commune "
        "from (select unnest(?, recursive := true)) order by siret",
        [rows],
    )
    con.execute(
        "create table fiche_entreprise as select siren, cast(null as varchar) as denomination, "
        "map_extract_value(cast(? as map(varchar, varchar)), siren) as sigle "
        "from (select distinct siren from fiche_etablissement) order by siren",
        [sigles],
    )


def write_db(path, etablissements, sigles, index: bool):
    with duckdb.connect(str(path)) as con:
        write_fiches(con, etablissements, sigles)
        if index:
            build_search_index(con)
    return path


@pytest.fixture(params=["index", "scan"])
def db(tmp_path, request):
    """The published file, with the index built at publication or (as a file published before
    the index existed) without: every test below must give the same answer on both."""
    return write_db(tmp_path / "fce.duckdb", ETABLISSEMENTS, SIGLES, request.param == "index")


def sirets(rows):
    return [r["siret"] for r in rows]


def test_a_name_typed_without_accents_or_case_is_found(db):
    rows = search(db, "oreal")
    assert sirets(rows) == ["11111111100011", "11111111100029"]
    assert rows[0]["denomination"] == "L'ORÉAL" and rows[0]["exact"] is True
    assert sirets(search(db, "OrÉaL")) == sirets(rows)


@pytest.mark.parametrize("text", ["l'oreal", "L'ORÉAL", "l’oréal", "loreal", "L Oreal"])
def test_french_elision_is_handled_both_ways(db, text):
    assert sirets(search(db, text)) == ["11111111100011", "11111111100029"]


def test_enseigne_usual_name_and_sigle_are_searched(db):
    assert sirets(search(db, "cafe de l eglise")) == ["88888888800018"]
    assert sirets(search(db, "Café de l'Église")) == ["88888888800018"]
    assert sirets(search(db, "eglise")) == ["88888888800018"]
    assert sirets(search(db, "oeuvres d'art")) == ["88888888800018"]
    assert sirets(search(db, "sncf")) == ["55555555500015"]
    assert sirets(search(db, "bon pain")) == ["33333333300039"]
    assert sirets(search(db, "luxe")) == ["11111111100029"]


def test_every_token_must_start_a_token_of_a_name(db):
    assert sirets(search(db, "boul mar", siege=True)) == ["33333333300021"]
    assert search(db, "boulangerie dupont") == []
    assert search(db, "oulangerie") == []  # inside a word is not a prefix


def test_an_exact_siret_or_siren_is_looked_up_first(db):
    assert sirets(search(db, "33333333300013")) == ["33333333300013"]
    assert sirets(search(db, "333 333 333 00013")) == ["33333333300013"]
    # a SIREN: its establishments, open head office first
    assert sirets(search(db, "333333333")) == [
        "33333333300021",
        "33333333300039",
        "33333333300013",
    ]
    assert search(db, "99999999999999") == []


def test_open_head_office_ranks_before_closed_secondary(db):
    assert sirets(search(db, "boulangerie martin")) == [
        "33333333300021",  # open, head office
        "33333333300039",  # open
        "33333333300013",  # closed
    ]


def test_exact_name_ranks_first(db):
    rows = search(db, "martin")
    assert sirets(rows) == [
        "66666666600016",  # the name is exactly MARTIN, closed as it is
        "33333333300021",
        "33333333300039",
        "33333333300013",
    ]
    assert [r["exact"] for r in rows] == [True, False, False, False]


def test_filters(db):
    assert sirets(search(db, "martin", departement="31")) == [
        "66666666600016",
        "33333333300021",
        "33333333300013",
    ]
    assert sirets(search(db, "martin", actif=True)) == ["33333333300021", "33333333300039"]
    assert sirets(search(db, "martin", siege=True)) == ["33333333300021"]
    assert sirets(search(db, "martin", naf="62.01Z")) == ["66666666600016"]
    assert sirets(search(db, "martin", naf="1071c", actif=True, departement="81")) == [
        "33333333300039"
    ]
    assert sirets(search(db, "martin", naf="10")) == [
        "33333333300021",
        "33333333300039",
        "33333333300013",
    ]
    assert sirets(search(db, "durand", departement="2a")) == ["88888888800018"]
    assert sirets(search(db, "333333333", actif=True)) == ["33333333300021", "33333333300039"]
    assert sirets(search(db, "martin", limit=2)) == ["66666666600016", "33333333300021"]


def test_masked_names_are_not_searchable(db):
    assert sirets(search(db, "ND")) == ["77777777700010"]
    assert sirets(search(db, "[ND]")) == ["77777777700010"]
    assert search(db, "nd", departement="31") == []


def test_a_query_with_nothing_to_search_is_refused(db):
    with pytest.raises(ValueError):
        search(db, "l'")
    with pytest.raises(ValueError):
        search(db, "martin", limit=0)


def test_search_reads_the_file_without_changing_it(db):
    before = db.read_bytes()
    search(db, "martin")
    search(db, "333333333")
    assert db.read_bytes() == before


def test_cli_search_prints_json_and_text(db, monkeypatch, capsys):
    monkeypatch.setenv("FCE_WAREHOUSE", str(db.parent))
    assert cli.main(["search", "l'oreal", "--actif", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["siret"] for r in rows] == ["11111111100011"]
    assert rows[0]["est_siege"] is True
    assert cli.main(["search", "boulangerie", "--departement", "31", "--limit", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("33333333300021")
    assert "BOULANGERIE MARTIN" in out[0]
    assert cli.main(["search", "dupont"]) == 1
    assert cli.main(["search", "l'"]) == 2


def test_publication_builds_the_index(tmp_path):
    build = tmp_path / "build" / "marts.duckdb"
    build.parent.mkdir()
    with duckdb.connect(str(build)) as con:
        write_fiches(con, ETABLISSEMENTS, SIGLES)
        for table, order in PUBLISHED_TABLES.items():
            if table not in ("fiche_etablissement", "fiche_entreprise"):
                keys = [k.strip() for k in (order or "id").split(",")]
                con.execute(
                    f"create table {table} as select {', '.join(f'1 as {k}' for k in keys)}"
                )
    published = publish_duckdb(build, tmp_path / "fce.duckdb", dt.date(2026, 12, 1))
    with duckdb.connect(str(published.path), read_only=True) as con:
        counts = {
            t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in INDEX_TABLES
        }
        comments = dict(con.execute("select table_name, comment from duckdb_tables()").fetchall())
    assert {t: published.row_counts[t] for t in INDEX_TABLES} == counts
    assert counts["recherche_etablissements"] == len(ETABLISSEMENTS)
    assert all(comments[t] for t in INDEX_TABLES)
    assert sirets(search(published.path, "l'oreal")) == ["11111111100011", "11111111100029"]
    assert sirets(search(published.path, "Cafe de l eglise")) == ["88888888800018"]
    assert sirets(search(published.path, "L OREAL", actif=True)) == ["11111111100011"]


def test_masked_names_are_not_in_the_index(tmp_path):
    db = write_db(tmp_path / "fce.duckdb", ETABLISSEMENTS, SIGLES, index=True)
    with duckdb.connect(str(db), read_only=True) as con:
        masked = con.execute(
            "select rang from recherche_etablissements "
            "where siret in ('44444444400014', '44444444500011')"
        ).fetchall()
        assert len(masked) == 2
        for table in ("recherche_tokens", "recherche_noms"):
            rows = con.execute(
                f"select * from {table} where rang in (?, ?)", [r[0] for r in masked]
            ).fetchall()
            assert rows == []
        tokens = {r[0] for r in con.execute("select token from recherche_vocabulaire").fetchall()}
        noms = {r[0] for r in con.execute("select nom from recherche_noms").fetchall()}
    assert "nd" in tokens  # ND CONSULTING, the only one
    assert "oreal" in tokens and "loreal" in tokens and "l" not in tokens
    assert {"oreal", "loreal", "cafe de eglise", "cafe de leglise", "sncf"} <= noms
    assert not [t for t in tokens | noms if "[" in t or "'" in t]


def random_fiches(seed: int, count: int) -> tuple[list[tuple], dict[str, str]]:
    """Establishments whose names draw from ten words: every token is very common, many names
    are equal, some are masked, so that ranking ties go down to the last criterion."""
    words = ["SARL", "DE", "LA", "GARE", "MARTIN", "MARTINE", "DU", "L'ÉGLISE", "CAFÉ", "D'ART"]
    rng = random.Random(seed)

    def name() -> str | None:
        if rng.random() < 0.05:
            return "[ND]"
        return " ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))

    etablissements, sigles = [], {}
    for i in range(count):
        siren = f"{100000000 + i // 3:09d}"
        etablissements.append(
            (
                f"{siren}{i % 3 + 1:05d}",
                name(),
                name() if rng.random() < 0.3 else None,
                name() if rng.random() < 0.1 else None,
                i % 3 == 0,
                rng.choice(["A", "A", "F"]),
                rng.choice(["56.30Z", "56.10A", "62.01Z"]),
                rng.choice(["31", "2A", "75"]),
            )
        )
        if rng.random() < 0.1:
            sigles[siren] = rng.choice(["SNCF", "SARL", "[ND]", "DE LA"])
    return etablissements, sigles


@pytest.fixture(scope="module")
def common_words(tmp_path_factory):
    """The same 1 500 establishments with and without the index."""
    folder = tmp_path_factory.mktemp("common")
    etablissements, sigles = random_fiches(seed=3, count=1500)
    return {
        kind: write_db(folder / f"{kind}.duckdb", etablissements, sigles, kind == "index")
        for kind in ("index", "scan")
    }


@pytest.mark.parametrize(
    ("text", "filters"),
    [
        ("sarl de", {}),
        ("de la", {}),
        ("de de", {}),
        ("de", {"limit": 50}),
        ("d", {"limit": 200}),
        ("m", {"departement": "2a", "actif": True}),
        ("martin", {"naf": "56", "siege": True}),
        ("la gare du", {"limit": 5}),
        ("l'eglise", {}),
        ("cafe de l eglise", {}),
        ("d'art", {}),
        ("dart la", {}),
        ("sncf", {}),
        ("martine sarl", {"departement": "75"}),
    ],
)
def test_the_index_ranks_as_the_scan_when_every_token_is_common(common_words, text, filters):
    expected = search(common_words["scan"], text, **filters)
    assert len(expected) == filters.get("limit", 20)  # a full page: the cut is tested too
    assert search(common_words["index"], text, **filters) == expected


def test_an_establishment_matching_a_token_many_times_is_shown_once(common_words, monkeypatch):
    monkeypatch.setattr(search_module, "FETCH_FACTOR", 1)  # the first read is then too short
    expected = search(common_words["scan"], "d", limit=300)
    found = search(common_words["index"], "d", limit=300)
    assert found == expected
    assert len({r["siret"] for r in found}) == len(found) == 300
