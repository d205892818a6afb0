"""Fiche lookups on the Parquet export (``pipelines.parquet_fiches``): the same fiche as in the
published DuckDB file, across row groups, and the new snapshot once ``current`` moves."""

import json

import duckdb
import pytest

from pipelines import exports
from pipelines.cli import lookup, main
from pipelines.parquet_fiches import ParquetFiches
from tests.test_exports import make_published


def publish(tmp_path, published_at: str, rows: int, etat: str = "A") -> None:
    """A small published file whose fiches have real keys and typed columns, then its export."""
    db = tmp_path / "fce.duckdb"
    make_published(db, published_at, rows=rows)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "create or replace table fiche_etablissement as select "
            "lpad(cast(i * 7 as varchar), 14, '0') as siret, "
            "lpad(cast(i * 7 // 100000 as varchar), 9, '0') as siren, "
            f"'{etat}' as etat_administratif, i % 3 = 0 as est_siege, "
            "date '2020-01-01' + cast(i as integer) as date_creation, "
            "case when i % 4 = 0 then null else i * 1.5 end as effectif_moyen, "
            "case when i % 5 = 0 then '[ND]' else 'NOM ' || i end as denomination, i "
            "from range(?) t(i) order by siret",
            [rows],
        )
        con.execute(
            "create or replace table fiche_entreprise as select distinct siren, "
            "'SOCIETE ' || siren as denomination from fiche_etablissement order by siren"
        )
    exports.export_parquet(
        db, tmp_path / "exports", access=exports.Access(internal_tables=frozenset())
    )


@pytest.fixture
def small_row_groups(monkeypatch):
    # several row groups, so that a lookup has to find the right one (DuckDB writes at least
    # 2 048 rows a group)
    monkeypatch.setitem(exports.ROW_GROUPS, "fiche_etablissement", 2048)


def test_a_lookup_gives_the_published_fiche_from_any_row_group(tmp_path, small_row_groups):
    publish(tmp_path, "2026-12-01 10:00:00", rows=5000)
    parquet = tmp_path / "exports/current/agents/fiche_etablissement.parquet"
    with duckdb.connect() as con:
        groups = con.execute(
            f"select count(distinct row_group_id) from parquet_metadata('{parquet}')"
        ).fetchone()[0]
    assert groups == 3
    fiches = ParquetFiches(tmp_path / "exports/current/agents")
    for i in (0, 2047, 2048, 4100, 4999):
        siret = f"{i * 7:014d}"
        [row] = fiches.lookup(siret)
        assert row == lookup(tmp_path / "fce.duckdb", siret)[0]
    assert fiches.lookup("0000 0000 0000 70") == lookup(tmp_path / "fce.duckdb", "00000000000070")
    [company] = fiches.lookup("000000000")
    assert company == {"siren": "000000000", "denomination": "SOCIETE 000000000"}
    assert fiches.lookup("00000000000001") == []
    with pytest.raises(ValueError, match="neither a SIRET"):
        fiches.lookup("123")


def test_a_kept_reader_follows_current_to_the_next_snapshot(tmp_path, small_row_groups):
    publish(tmp_path, "2026-12-01 10:00:00", rows=40)
    fiches = ParquetFiches(tmp_path / "exports/current/agents")
    assert fiches.lookup("00000000000070")[0]["etat_administratif"] == "A"
    assert fiches.lookup("00000000000301") == []  # i = 43: not there yet
    publish(tmp_path, "2026-12-02 10:00:00", rows=50, etat="F")
    assert exports.current_snapshot(tmp_path / "exports") == "20261202T100000Z"
    assert fiches.lookup("00000000000070")[0]["etat_administratif"] == "F"
    assert fiches.lookup("00000000000301")[0]["i"] == 43


def test_no_export_says_where_it_looked(tmp_path):
    expected = f"no Parquet export of fiche_etablissement at {tmp_path}"
    with pytest.raises(LookupError, match=expected):
        ParquetFiches(tmp_path).lookup("00000000000070")


def test_fce_fiche_reads_the_parquet_export(tmp_path, monkeypatch, capsys, small_row_groups):
    publish(tmp_path, "2026-12-01 10:00:00", rows=30)
    monkeypatch.setenv("FCE_WAREHOUSE", str(tmp_path))
    assert main(["fiche", "00000000000140", "--parquet", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["siret"] == "00000000000140"
    assert row["denomination"] == "[ND]"  # i = 20: masked values are exported as they are
    assert main(["fiche", "00000000000141", "--parquet"]) == 1
    assert "no fiche in" in capsys.readouterr().err
    (tmp_path / "exports/current").unlink()
    assert main(["fiche", "00000000000140", "--parquet"]) == 2
    assert "run `make run` first" in capsys.readouterr().err
