"""The whole Dagster job on the sample, served by a local HTTP server through the real download
code: the published fiche's values, a rerun on unchanged files, damaged inputs that are loaded
with their rejects, and broken inputs that stop the run and leave the publication as it was.

The runs build on one another (one warehouse for the module), so they are numbered.
"""

import datetime as dt
import io
import json
import os
import zipfile
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.cli import lookup
from pipelines.definitions import defs
from pipelines.exports import current_snapshot
from sources.sample import PLANTED, generate_public
from tests.http_server import serve

pytestmark = pytest.mark.e2e

ETAB_ZIP = "StockEtablissement_utf8.zip"
ETAB_CSV = "StockEtablissement_utf8.csv"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A mirror on a local HTTP server, a warehouse, and the environment pointing at both."""
    root = tmp_path_factory.mktemp("e2e")
    www = root / "www"
    generate_public(www, etablissements=1500, seed=7)
    saved = dict(os.environ)
    os.environ.pop("FCE_POSTGRES_DSN", None)  # PostgreSQL has its own tests
    with serve(www) as server:
        (root / "inbox").mkdir()
        os.environ.update(
            FCE_INBOX=str(root / "inbox"),  # no service dropped anything: empty stand-ins
            FCE_WAREHOUSE=str(root / "warehouse"),
            FCE_DOWNLOAD_MIRROR=server.url,
            FCE_AS_OF="2026-12-01",
        )
        yield {"www": www, "server": server, "warehouse": root / "warehouse"}
    os.environ.clear()
    os.environ.update(saved)


def run_job() -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("refresh_all")
    return job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def published(world) -> Path:
    return world["warehouse"] / "fce.duckdb"


def query(world, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(published(world)), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def fiche(world, siret: str) -> dict:
    rows = lookup(published(world), siret)
    assert len(rows) == 1, siret
    return rows[0]


def rewrite_etablissements(world, edit) -> None:
    """Serve a new StockEtablissement zip whose CSV lines went through ``edit``."""
    path = world["www"] / ETAB_ZIP
    with zipfile.ZipFile(path) as archive:
        lines = archive.read(ETAB_CSV).decode("utf-8").splitlines(keepends=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(ETAB_CSV, "".join(edit(lines)))
    path.write_bytes(buffer.getvalue())


def step_failure(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.is_step_failure]
    assert failures, "the run should have failed"
    return " ".join(e.step_failure_data.error.message for e in failures)


def test_1_first_run_publishes_the_fiches(world):
    world["server"].fail("/" + ETAB_ZIP, times=1, status=500)
    result = run_job()
    assert result.success
    assert world["server"].count("/" + ETAB_ZIP) == 2  # the 500, then the file

    siege = PLANTED["siege_actif"]
    row = fiche(world, siege["siret"])
    assert row["denomination"] == siege["denomination"]
    assert row["enseigne"] == siege["enseigne"]
    assert row["est_siege"] is True and row["etat_administratif"] == "A"
    assert row["code_naf"] == "62.01Z"
    assert row["libelle_naf"] == "Programmation informatique"
    assert row["libelle_categorie_juridique"] == "SAS, société par actions simplifiée"
    assert row["tranche_effectifs"] == "12"
    assert row["libelle_tranche_effectifs"] == "20 à 49 salariés"
    assert row["adresse"] == "12 RUE DE LA CHAUSSEE D'ANTIN, 75009 PARIS 9"
    assert row["code_commune"] == "75109"
    assert row["libelle_commune"] == "Paris 9e Arrondissement"
    assert (row["departement"], row["region"]) == ("75", "11")
    assert row["libelle_region"] == "Île-de-France"
    assert row["date_creation"] == siege["date_creation"]

    masked = fiche(world, PLANTED["personne_physique_nd"]["siret"])
    assert masked["statut_diffusion"] == "P"
    assert masked["denomination"] == "[ND]"
    assert masked["enseigne"] == "[ND]"
    assert masked["adresse"].startswith("[ND], 69003")
    assert (masked["code_commune"], masked["departement"]) == ("69383", "69")

    closed = fiche(world, PLANTED["ferme_avec_successeur"]["siret"])
    assert closed["etat_administratif"] == "F"
    assert closed["date_fermeture"] == dt.date(2024, 6, 30)
    assert closed["siret_successeur"] == PLANTED["successeur"]["siret"]
    heir = fiche(world, PLANTED["successeur"]["siret"])
    assert heir["siret_predecesseur"] == PLANTED["ferme_avec_successeur"]["siret"]
    assert heir["date_fermeture"] is None

    corse = fiche(world, PLANTED["corse"]["siret"])
    assert (corse["departement"], corse["region"], corse["libelle_commune"]) == (
        "2A",
        "94",
        "Ajaccio",
    )
    reunion = fiche(world, PLANTED["outre_mer"]["siret"])
    assert (reunion["departement"], reunion["region"]) == ("974", "04")
    abroad = fiche(world, PLANTED["etranger"]["siret"])
    assert abroad["pays_etranger"] == "BELGIQUE" and abroad["departement"] is None
    escaped = fiche(world, PLANTED["virgule_echappee"]["siret"])
    assert escaped["enseigne"] == "CHEZ PAUL\\, BAR A HUITRES"
    zeros = fiche(world, PLANTED["siren_zeros"]["siret"])
    assert zeros["siren"] == "003123452"

    ceased = lookup(published(world), PLANTED["ul_cessee"]["siren"])[0]
    assert ceased["etat_administratif"] == "C"
    assert (ceased["nb_etablissements"], ceased["nb_etablissements_actifs"]) == (2, 0)
    assert ceased["siret_siege"] == PLANTED["ul_cessee"]["siret"]

    freshness = query(
        world,
        "select dataset, producer, system, rows_read, rows_loaded, "
        "rows_rejected, newest_data_date from sources_fraicheur "
        "where source = 'sirene' order by dataset",
    )
    assert [r[0] for r in freshness] == [
        "sirene_etablissements",
        "sirene_liens_succession",
        "sirene_unites_legales",
    ]
    etab = freshness[0]
    assert etab[1:6] == ("INSEE", "SIRENE", 1500, 1500, 0)
    assert etab[6] is not None
    assert query(world, "select count(*) from fiche_etablissement") == [(1500,)]

    manifest = json.loads((world["warehouse"] / "exports/current/manifest.json").read_text())
    assert manifest["tables"]["fiche_etablissement"]["rows"] == 1500
    assert manifest["as_of"] == "2026-12-01"


def test_2_unchanged_files_are_not_processed_again(world):
    landing = world["warehouse"] / "landing" / "sirene"
    arrivals = sorted(p.name for p in landing.iterdir() if not p.name.startswith("."))
    result = run_job()
    assert result.success
    assert sorted(p.name for p in landing.iterdir() if not p.name.startswith(".")) == arrivals
    lake = result.asset_materializations_for_node("lake__sirene_etablissements")
    assert lake[0].metadata["reprocessed"].value is False


def test_3_damaged_rows_are_loaded_fixed_or_rejected_with_a_reason(world):
    siege = PLANTED["siege_actif"]["siret"]
    zeros = PLANTED["siren_zeros"]

    def edit(lines):
        header, body = lines[0], lines[1:]
        duplicated = next(line for line in body if line.startswith(siege[:9] + ","))
        fields = body[-1].split(",")
        fields[4] = "2021-02-30"  # dateCreationEtablissement
        stripped = [
            line.replace(zeros["siren"], zeros["siren"].lstrip("0"), 1).replace(
                zeros["siret"], zeros["siret"].lstrip("0"), 1
            )
            if line.startswith(zeros["siren"] + ",")
            else line
            for line in body[:-1]
        ]
        return [header, *stripped, duplicated, ",".join(fields)]

    rewrite_etablissements(world, edit)
    result = run_job()
    assert result.success

    assert fiche(world, zeros["siret"])["siren"] == zeros["siren"]
    assert query(world, "select count(*) from fiche_etablissement where siret = ?", [siege]) == [
        (1,)
    ]
    rejets = query(
        world,
        "select stage, line, reason from rejets where dataset = 'sirene_etablissements' "
        "order by stage",
    )
    assert [r[0] for r in rejets] == ["normalize", "staging"]
    assert "dateCreationEtablissement: 2021-02-30 is not a valid date" in rejets[0][2]
    assert rejets[0][1] == 1502  # header, 1499 rows, the duplicate, then this line
    assert siege in rejets[1][2]
    fresh = query(
        world,
        "select rows_read, rows_loaded, rows_rejected, identifiers_padded "
        "from sources_fraicheur where dataset = 'sirene_etablissements'",
    )
    assert fresh == [(1501, 1499, 2, 1)]


def test_4_missing_column_stops_the_run_and_keeps_the_publication(world):
    before = published(world).read_bytes()
    snapshot = current_snapshot(world["warehouse"] / "exports")
    rewrite_etablissements(
        world,
        lambda lines: [
            line.replace("codeCommuneEtablissement", "codeCommune", 1) for line in lines
        ],
    )
    result = run_job()
    assert not result.success
    message = step_failure(result)
    assert "StockEtablissement_utf8.csv" in message and "codeCommuneEtablissement" in message
    assert published(world).read_bytes() == before
    assert not [p for p in published(world).parent.iterdir() if p.name.endswith(".tmp")]
    assert current_snapshot(world["warehouse"] / "exports") == snapshot


def test_5_truncated_archive_stops_the_run_and_keeps_the_publication(world):
    before = published(world).read_bytes()
    path = world["www"] / ETAB_ZIP
    path.write_bytes(path.read_bytes()[:-200])
    result = run_job()
    assert not result.success
    assert ETAB_ZIP in step_failure(result)
    assert published(world).read_bytes() == before
    assert query(world, "select count(*) from fiche_etablissement") == [(1499,)]


def test_6_a_file_far_smaller_than_the_last_blocks_publication(world):
    before = published(world).read_bytes()
    fresh = world["www"].parent / "fresh"
    generate_public(fresh, etablissements=1500, seed=7)
    (world["www"] / ETAB_ZIP).write_bytes((fresh / ETAB_ZIP).read_bytes())
    rewrite_etablissements(world, lambda lines: lines[:1001])  # 1000 rows instead of 1499
    result = run_job()
    assert not result.success
    checks = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and not e.event_specific_data.passed
        and e.event_specific_data.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert [c.check_name for c in checks] == ["row_count_vs_previous_load"]
    assert "loaded 1000 rows against 1500" in checks[0].description
    assert published(world).read_bytes() == before
    dbt_ran = [e for e in result.all_events if e.step_key == "dbt_warehouse" and e.is_step_start]
    assert not dbt_ran


def test_7_a_person_accepts_the_smaller_file(world, monkeypatch):
    monkeypatch.setenv("FCE_ACCEPT_LOAD", "sirene_etablissements")
    result = run_job()
    assert result.success
    assert query(world, "select count(*) from fiche_etablissement") == [(1000,)]
