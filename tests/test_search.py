"""``fce search``: names without accents or elisions, identifiers, filters, ranking, [ND]."""

import json

import duckdb
import pytest

from pipelines import cli
from pipelines.search import search

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


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "fce.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table fiche_etablissement (siret varchar, siren varchar, "
            "denomination varchar, enseigne varchar, denomination_usuelle varchar, "
            "est_siege boolean, etat_administratif varchar, code_naf varchar, "
            "departement varchar, code_postal varchar, libelle_commune varchar)"
        )
        for siret, name, enseigne, usuelle, siege, etat, naf, dep in ETABLISSEMENTS:
            con.execute(
                "insert into fiche_etablissement values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    siret,
                    siret[:9],
                    name,
                    enseigne,
                    usuelle,
                    siege,
                    etat,
                    naf,
                    dep,
                    dep + "000",
                    "COMMUNE " + dep,
                ],
            )
        con.execute(
            "create table fiche_entreprise (siren varchar, denomination varchar, sigle varchar)"
        )
        for siren in sorted({s[:9] for s, *_ in ETABLISSEMENTS}):
            con.execute(
                "insert into fiche_entreprise values (?, ?, ?)", [siren, None, SIGLES.get(siren)]
            )
    return path


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
