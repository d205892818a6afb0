"""The twelve internal sources, dropped in a temporary inbox, through the whole Dagster job to
the published fiche: interactions of three services at one establishment, old controls of a
closed one, an establishment absent from SIRENE, and a month of headcounts sent again.
"""

import datetime as dt
import os
import shutil

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import defs
from sources.sample import PLANTED, generate_public
from sources.sample.inbox import generate_inbox
from sources.sample.inbox_hr import dsn_resend_path
from tests.http_server import serve

pytestmark = pytest.mark.e2e

SIEGE = PLANTED["siege_actif"]["siret"]
FERME = PLANTED["ferme_avec_successeur"]["siret"]
ABSENT = "99999999900018"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("inbox-e2e")
    www, inbox = root / "www", root / "inbox"
    generate_public(www, etablissements=1200, seed=5)
    generate_inbox(inbox, www, etablissements=1200, seed=5)
    saved = dict(os.environ)
    os.environ.pop("FCE_POSTGRES_DSN", None)
    with serve(www) as server:
        os.environ.update(
            FCE_WAREHOUSE=str(root / "warehouse"),
            FCE_DOWNLOAD_MIRROR=server.url,
            FCE_INBOX=str(inbox),
            FCE_AS_OF="2026-12-01",
        )
        yield {"inbox": inbox, "db": root / "warehouse" / "fce.duckdb"}
    os.environ.clear()
    os.environ.update(saved)


def run_job() -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("refresh_all")
    return job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def rows(world, sql: str, params=()) -> list[dict]:
    with duckdb.connect(str(world["db"]), read_only=True) as con:
        cursor = con.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def test_1_the_services_files_reach_the_fiche(world):
    result = run_job()
    assert result.success, [e.message for e in result.all_events if e.is_step_failure]

    seen = rows(
        world,
        "select pole, source, date_intervention, unite from interactions "
        "where siret = ? order by date_intervention",
        [SIEGE],
    )
    by_pole = {r["pole"]: r for r in seen}
    assert set(by_pole) >= {"T", "C", "3E"}
    assert by_pole["T"]["date_intervention"] == dt.date(2026, 10, 15)
    assert by_pole["T"]["unite"] == "UC-75-01"
    assert dt.date(2026, 9, 3) in [r["date_intervention"] for r in seen if r["pole"] == "C"]
    assert dt.date(2026, 6, 20) in [r["date_intervention"] for r in seen if r["pole"] == "3E"]

    [fiche] = rows(world, "select * from fiche_etablissement where siret = ?", [SIEGE])
    assert fiche["derniere_intervention_pole_t"] == dt.date(2026, 10, 15)
    assert fiche["derniere_intervention_pole_c"] == dt.date(2026, 9, 3)
    assert fiche["derniere_intervention_pole_3e"] == dt.date(2026, 6, 20)
    assert fiche["derniere_intervention"] == dt.date(2026, 10, 15)
    assert fiche["nb_interventions_24_mois"] >= 3
    assert fiche["effectif_dsn"] == 42
    assert fiche["mois_effectif_dsn"] == dt.date(2026, 11, 1)
    assert fiche["heures_activite_partielle_autorisees_24_mois"] == 2000
    assert fiche["heures_activite_partielle_consommees_24_mois"] == 1500
    assert fiche["nb_procedures_rupco_36_mois"] == 1
    assert (fiche["nb_accords"], fiche["date_dernier_accord"]) == (1, dt.date(2026, 3, 12))
    assert fiche["nb_contrats_apprentissage_12_mois"] == 2
    assert fiche["accidents_travail_total"] == 3
    assert fiche["salaries_detaches"] == 5
    assert fiche["agrements_iae"] == "EI"

    [closed] = rows(world, "select * from fiche_etablissement where siret = ?", [FERME])
    assert closed["etat_administratif"] == "F"
    assert closed["derniere_intervention_pole_t"] == dt.date(2019, 5, 14)
    assert closed["derniere_intervention_pole_c"] == dt.date(2018, 3, 22)
    assert closed["nb_interventions_24_mois"] == 0

    absent = rows(world, "select est_dans_sirene from interactions where siret = ?", [ABSENT])
    assert absent and not any(r["est_dans_sirene"] for r in absent)
    assert (
        rows(world, "select count(*) as n from activite_partielle where siret = ?", [ABSENT])[0][
            "n"
        ]
        == 1
    )

    [company] = rows(world, "select * from fiche_entreprise where siren = ?", [SIEGE[:9]])
    assert company["nb_procedures_rupco_36_mois"] == 1
    assert company["salaries_detaches"] == 7

    freshness = {r["dataset"]: r for r in rows(world, "select * from sources_fraicheur")}
    assert freshness["wikit_controles"]["producer"] == "DGT"
    assert freshness["wikit_controles"]["system"] == "Wiki'T"
    assert freshness["sora_interventions"]["rows_rejected"] >= 1


def test_2_a_month_sent_again_replaces_that_month_only(world):
    before = rows(
        world, "select mois, count(*) as n from effectifs_mensuels group by mois order by mois"
    )
    resend = dsn_resend_path(world["inbox"])
    target = world["inbox"] / "dsn_effectifs" / resend.name
    shutil.copy(resend, target)
    os.utime(target)  # the newest file of the folder
    result = run_job()
    assert result.success
    october = rows(
        world,
        "select effectif_total from effectifs_mensuels "
        "where siret = ? and mois = date '2026-10-01'",
        [SIEGE],
    )
    assert [r["effectif_total"] for r in october] == [41]
    after = rows(
        world, "select mois, count(*) as n from effectifs_mensuels group by mois order by mois"
    )
    assert [r["mois"] for r in after] == [r["mois"] for r in before]
    sirene = result.asset_materializations_for_node("lake__sirene_etablissements")
    assert sirene[0].metadata["reprocessed"].value is False
