"""Parquet exports: a whole snapshot behind ``current``, or the previous one; two audiences."""

import datetime as dt
import json
import os
import re

import duckdb
import polars as pl
import pytest

from pipelines import exports
from pipelines.dbt import ensure_manifest
from pipelines.publish import PUBLISHED_TABLES
from sources.registry import INTERNAL

INTERNAL_DATASETS = {c.dataset for c in INTERNAL}
INTERNAL_SOURCE_NAMES = {c.source for c in INTERNAL}


@pytest.fixture(scope="module")
def dbt_manifest() -> dict:
    return json.loads(ensure_manifest().read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def access() -> exports.Access:
    return exports.read_access(ensure_manifest())


def _node(dbt_manifest: dict, name: str) -> dict:
    [node] = [
        n
        for n in dbt_manifest["nodes"].values()
        if n["name"] == name and n["resource_type"] in ("model", "seed")
    ]
    return node


def _declared_columns(dbt_manifest: dict, table: str) -> dict[str, str]:
    return {
        name: column.get("data_type") or "varchar"
        for name, column in _node(dbt_manifest, table)["columns"].items()
    }


def make_published(path, published_at: str, rows: int, dbt_manifest: dict | None = None) -> None:
    """A published file with every table of the publication, small.

    With ``dbt_manifest``, the fiches have every column their YAML declares (every third
    ``denomination`` masked as ``[ND]``), and ``sources_fraicheur`` rows alternate between
    SIRENE and an internal source.
    """
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        for table, order in PUBLISHED_TABLES.items():
            keys = [k.strip() for k in (order or "id").split(",")]
            cols = [f"cast(i as varchar) as {k}" for k in keys]
            if dbt_manifest is not None and table in ("fiche_etablissement", "fiche_entreprise"):
                cols += [
                    "case when i % 3 = 0 then '[ND]' else 'NOM ' || i end as denomination"
                    if name == "denomination"
                    else f"cast(i % 2 as {kind}) as {name}"
                    if kind in ("bigint", "double")
                    else f"cast(null as {kind}) as {name}"
                    for name, kind in _declared_columns(dbt_manifest, table).items()
                    if name not in keys
                ]
            if table == "sources_fraicheur":
                cols.append("case when i % 2 = 0 then 'sirene' else 'wikit' end as source")
            # stored sorted by its key, as the publication stores every table
            con.execute(
                f"create table {table} as select {', '.join(cols)}, i from range({rows}) t(i) "
                f"order by {', '.join(keys)}"
            )
        con.execute(
            f"create table _publication as select timestamp '{published_at}' as published_at, "
            "date '2026-12-01' as as_of"
        )


def test_export_writes_a_snapshot_and_points_current_at_it(tmp_path, access):
    db = tmp_path / "fce.duckdb"
    make_published(db, "2026-12-01 10:00:00", rows=50)
    result = exports.export_parquet(db, tmp_path / "exports", access=access)
    assert result.snapshot == "20261201T100000Z"
    assert exports.current_snapshot(tmp_path / "exports") == "20261201T100000Z"
    current = tmp_path / "exports/current"
    assert sorted(p.name for p in current.iterdir()) == ["agents", "manifest.json", "public"]
    for audience in ("agents", "public"):
        manifest = json.loads((current / audience / "manifest.json").read_text())
        assert manifest["audience"] == audience
        assert manifest["as_of"] == "2026-12-01"
        assert manifest["snapshot"] == "20261201T100000Z"
        assert manifest["tables"]["fiche_etablissement"]["rows"] == 50
        assert manifest["tables"]["fiche_etablissement"]["schema"]["siret"] == "VARCHAR"
        assert manifest["tables"]["fiche_etablissement"]["file"] == "fiche_etablissement.parquet"
        files = {p.name for p in (current / audience).glob("*.parquet")}
        assert files == {e["file"] for e in manifest["tables"].values()}
        frame = pl.read_parquet(current / audience / "fiche_etablissement.parquet")
        assert frame["siret"].to_list() == sorted(frame["siret"].to_list())
    # the top manifest is the agents' one, paths under agents/: what PostgreSQL loads
    top = json.loads((current / "manifest.json").read_text())
    assert set(top["tables"]) == set(PUBLISHED_TABLES)
    assert top["tables"]["interactions"]["file"] == "agents/interactions.parquet"
    assert top["audiences"] == {"agents": "agents/manifest.json", "public": "public/manifest.json"}
    assert result.row_counts == {t: 50 for t in PUBLISHED_TABLES}
    assert "interactions" not in result.public_row_counts


def test_interrupted_export_keeps_the_previous_snapshot(tmp_path, monkeypatch, access):
    db = tmp_path / "fce.duckdb"
    make_published(db, "2026-12-01 10:00:00", rows=50)
    exports.export_parquet(db, tmp_path / "exports", access=access)
    make_published(db, "2027-01-01 10:00:00", rows=60)
    real = exports._sha256

    def failing(path):
        if path.parent.name == exports.PUBLIC:  # the first file written for the public
            raise OSError("disk full")
        return real(path)

    monkeypatch.setattr(exports, "_sha256", failing)
    with pytest.raises(OSError):
        exports.export_parquet(db, tmp_path / "exports", access=access)
    assert exports.current_snapshot(tmp_path / "exports") == "20261201T100000Z"
    assert sorted(os.listdir(tmp_path / "exports")) == ["20261201T100000Z", "current"]


def test_old_snapshots_are_pruned_but_never_the_current(tmp_path, access):
    db = tmp_path / "fce.duckdb"
    start = dt.datetime(2026, 1, 1, 10)
    for month in range(4):
        make_published(db, str(start.replace(month=month + 1)), rows=5)
        exports.export_parquet(db, tmp_path / "exports", keep=2, access=access)
    kept = sorted(p for p in os.listdir(tmp_path / "exports") if p != "current")
    assert kept == ["20260301T100000Z", "20260401T100000Z"]
    assert exports.current_snapshot(tmp_path / "exports") == "20260401T100000Z"


def test_exporting_the_same_snapshot_again_keeps_it_and_its_counts(tmp_path, access):
    db = tmp_path / "fce.duckdb"
    make_published(db, "2026-12-01 10:00:00", rows=8)
    first = exports.export_parquet(db, tmp_path / "exports", access=access)
    again = exports.export_parquet(db, tmp_path / "exports", access=access)
    assert again.snapshot == first.snapshot
    assert again.row_counts == first.row_counts
    assert again.public_row_counts == first.public_row_counts
    assert again.public_row_counts["sources_fraicheur"] == 4


def _upstream(dbt_manifest: dict, unique_id: str) -> set[str]:
    """Every node and source ``unique_id`` is built from, recursively."""
    nodes = {**dbt_manifest["nodes"], **dbt_manifest["sources"]}
    seen: set[str] = set()
    todo = [unique_id]
    while todo:
        for parent in nodes[todo.pop()].get("depends_on", {}).get("nodes", []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _internal_datasets(dbt_manifest: dict, unique_id: str) -> set[str]:
    sources = dbt_manifest["sources"]
    return {
        sources[u]["name"] for u in _upstream(dbt_manifest, unique_id) if u in sources
    } & INTERNAL_DATASETS


def _columns_read_from_internal_models(dbt_manifest: dict, node: dict) -> set[str]:
    """Columns a model selects through the alias of an upstream model fed by internal sources.

    Read from its SQL and the SQL of the project macros it calls with that alias: a second
    witness, independent of the ``meta`` tags.
    """
    code = node["raw_code"]
    aliases = set()
    for cte, model in re.findall(r"(\w+) as \(\s*select [^)]*?\{\{ ref\('(\w+)'\) \}\}", code):
        if _internal_datasets(dbt_manifest, _node(dbt_manifest, model)["unique_id"]):
            aliases |= set(re.findall(rf"\bjoin {cte} as (\w+)", code))
    columns: set[str] = set()
    macros = [dbt_manifest["macros"][m]["macro_sql"] for m in node["depends_on"]["macros"]]
    for alias in aliases:
        columns |= set(re.findall(rf"\b{alias}\.(\w+)", code))
        for sql in macros:
            if f"('{alias}')" in code:
                columns |= set(re.findall(r"\{\{ alias \}\}\.(\w+)", sql))
    return columns - {"siret", "siren"}  # the join keys


def test_public_export_holds_nothing_from_an_internal_source(tmp_path, access, dbt_manifest):
    db = tmp_path / "fce.duckdb"
    make_published(db, "2026-12-01 10:00:00", rows=12, dbt_manifest=dbt_manifest)
    exports.export_parquet(db, tmp_path / "exports", access=access)
    public = tmp_path / "exports/current/public"
    agents = tmp_path / "exports/current/agents"
    manifest = json.loads((public / "manifest.json").read_text())
    listed = {t: set(e["schema"]) for t, e in manifest["tables"].items()}
    on_disk = {p.stem: set(pl.read_parquet_schema(p)) for p in public.glob("*.parquet")}
    assert listed == on_disk

    public_tables = set(on_disk)
    assert public_tables >= {"fiche_etablissement", "fiche_entreprise", "naf", "communes"}
    for table, columns in on_disk.items():
        node = _node(dbt_manifest, table)
        assert node["config"]["meta"].get("acces") != "interne", table
        tagged = {
            name
            for name, column in node["columns"].items()
            if "interne" in (column["meta"].get("acces"), column["config"]["meta"].get("acces"))
        }
        assert not columns & tagged, (table, columns & tagged)
        if _internal_datasets(dbt_manifest, node["unique_id"]):
            # fed by a service's file: only a model that says what to withhold may be public
            assert tagged or node["config"]["meta"].get("acces_par_ligne"), table
            from_services = _columns_read_from_internal_models(dbt_manifest, node)
            assert not columns & from_services, (table, columns & from_services)

    for fiche in ("fiche_etablissement", "fiche_entreprise"):
        from_services = _columns_read_from_internal_models(dbt_manifest, _node(dbt_manifest, fiche))
        assert "derniere_intervention_pole_t" in from_services
        assert "effectif_dsn" in from_services
        assert "derniere_intervention_pole_t" not in on_disk[fiche]
        assert "derniere_intervention_pole_t" in pl.read_parquet_schema(agents / f"{fiche}.parquet")
        assert {"siret" if fiche == "fiche_etablissement" else "siren", "denomination"} <= (
            on_disk[fiche]
        )
    for table in ("interactions", "rejets", "effectifs_mensuels", "agrements_iae"):
        assert table not in public_tables
        assert (agents / f"{table}.parquet").is_file()

    agents_sources = pl.read_parquet(agents / "sources_fraicheur.parquet")["source"]
    public_sources = pl.read_parquet(public / "sources_fraicheur.parquet")["source"]
    assert sorted(set(agents_sources)) == ["sirene", "wikit"]
    assert set(public_sources) == {"sirene"} and len(public_sources) == 6
    assert not set(public_sources) & INTERNAL_SOURCE_NAMES
    assert manifest["tables"]["sources_fraicheur"]["rows"] == 6

    for folder in (agents, public):
        names = pl.read_parquet(folder / "fiche_etablissement.parquet")["denomination"]
        assert names.to_list().count("[ND]") == 4


def test_every_internal_model_is_declared_internal(access):
    assert access.internal_tables == {
        "interactions",
        "activite_partielle",
        "procedures_rupco",
        "procedures_rupco_etablissements",
        "accords_entreprise",
        "effectifs_mensuels",
        "contrats_apprentissage",
        "salaries_detaches",
        "accidents_travail",
        "agrements_iae",
        "rejets",
        "signaux_coordination",
    }
    assert access.row_filters == {"sources_fraicheur": "source", "changements": "source"}
    assert "nb_interventions_24_mois" in access.internal_columns["fiche_entreprise"]
    assert "date_dernier_traitement" not in access.internal_columns["fiche_etablissement"]


def test_a_table_without_declaration_or_filter_column_stays_out_of_public(tmp_path):
    manifest = {
        "nodes": {
            f"model.fce.{t}": {"name": t, "resource_type": "model", "config": {}, "columns": {}}
            for t in PUBLISHED_TABLES
            if t != "naf"
        }
    }
    manifest["nodes"]["model.fce.sources_fraicheur"]["config"] = {
        "meta": {"acces_par_ligne": "source"}
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    access = exports.read_access(path)
    assert access.internal_tables == {"naf"}
    db = tmp_path / "fce.duckdb"
    make_published(db, "2026-12-01 10:00:00", rows=3)
    with duckdb.connect(str(db)) as con:
        con.execute("alter table sources_fraicheur drop column source")
    result = exports.export_parquet(db, tmp_path / "exports", access=access)
    assert "naf" not in result.public_row_counts
    assert "sources_fraicheur" not in result.public_row_counts
    assert result.public_row_counts["communes"] == 3
    assert result.row_counts["naf"] == 3


def test_a_row_is_public_only_when_its_source_is_public(access):
    """`changements` mixes SIRENE's changes with the services' ('eos, src' for the pôle 3E):
    only rows naming a public source pass, whatever else the column holds."""
    columns = ["siret", "type_changement", "source"]
    kept, where = exports._public_query("changements", columns, access)
    assert kept == columns
    with duckdb.connect() as con:
        con.execute(
            "create table changements as select * from (values "
            "('1', 'fermeture', 'sirene'), ('2', 'nouveau_controle_pole_t', 'wikit'), "
            "('3', 'nouvelle_intervention_pole_3e', 'eos, src'), ('4', 'x', null)"
            ") t(siret, type_changement, source)"
        )
        shown = con.execute(f"select siret from changements{where}").fetchall()
    assert shown == [("1",)]
