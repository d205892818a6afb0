"""The twelve internal sources, dropped in a temporary inbox, through the whole Dagster job to
the published fiche: interactions of three services at one establishment, old controls of a
closed one and their successor inheriting them, coordination signals (90 days apart, 91, 60),
an establishment absent from SIRENE, and a month of headcounts sent again.
"""

import datetime as dt
import os
import shutil
import zipfile

import dagster as dg
import duckdb
import pytest

from pipelines import snapshots
from pipelines.definitions import defs
from pipelines.sensors import source_refresh
from sources.sample import PLANTED, generate_public
from sources.sample.inbox import generate_inbox
from sources.sample.inbox_hr import dsn_resend_path
from tests.http_server import serve

pytestmark = pytest.mark.e2e

SIEGE = PLANTED["siege_actif"]["siret"]
FERME = PLANTED["ferme_avec_successeur"]["siret"]
SUCCESSEUR = PLANTED["successeur"]["siret"]
CORSE = PLANTED["corse"]["siret"]
OUTRE_MER = PLANTED["outre_mer"]["siret"]
VIRGULE = PLANTED["virgule_echappee"]["siret"]
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
        yield {"inbox": inbox, "db": root / "warehouse" / "fce.duckdb", "www": www}
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


def test_1_a_successor_shows_its_predecessors_controls(world):
    inherited = rows(
        world,
        "select intervention_id, source, date_intervention, siret_origine from interactions "
        "where siret = ? and est_heritee order by date_intervention",
        [SUCCESSEUR],
    )
    assert [
        (r["intervention_id"], r["source"], r["date_intervention"], r["siret_origine"])
        for r in inherited
    ] == [
        (f"sora:{FERME}:2018-03-22", "sora", dt.date(2018, 3, 22), FERME),
        (f"wikit:{FERME}", "wikit", dt.date(2019, 5, 14), FERME),
    ]
    own = rows(
        world, "select est_heritee, siret_origine from interactions where siret = ?", [FERME]
    )
    assert len(own) == 2
    assert [(r["est_heritee"], r["siret_origine"]) for r in own] == [(False, None)] * 2

    # The fiche's counters stay on the successor's own interventions.
    own_dates = [
        r["date_intervention"]
        for r in rows(
            world,
            "select date_intervention from interactions where siret = ? and not est_heritee",
            [SUCCESSEUR],
        )
    ]
    [fiche] = rows(world, "select * from fiche_etablissement where siret = ?", [SUCCESSEUR])
    assert fiche["derniere_intervention"] == max(own_dates, default=None)
    assert fiche["derniere_intervention_pole_t"] != dt.date(2019, 5, 14)


def test_1_coordination_signals_fire_on_the_planted_pairs(world):
    def signals(siret: str) -> list[dict]:
        return rows(
            world,
            "select * from signaux_coordination where siret = ? order by date_acte_2",
            [siret],
        )

    # A Wiki'T control exactly 90 days after an EOS visit: the window includes its bound.
    [corse] = signals(CORSE)
    assert (corse["regle"], corse["nb_jours_ecart"]) == ("plusieurs_services", 90)
    assert {k: corse[k] for k in corse if k.endswith("_1")} == {
        "acte_id_1": f"eos:{CORSE}:2026-04-10",
        "source_1": "eos",
        "pole_1": "3E",
        "libelle_unite_1": "Chargé d'affaires entreprises",
        "date_acte_1": dt.date(2026, 4, 10),
        "nature_acte_1": "visite",
        "type_acte_1": "Suivi PME",
    }
    assert {k: corse[k] for k in corse if k.endswith("_2")} == {
        "acte_id_2": f"wikit:{CORSE}",
        "source_2": "wikit",
        "pole_2": "T",
        "libelle_unite_2": "Unité de contrôle 1 Corse-du-Sud",
        "date_acte_2": dt.date(2026, 7, 9),
        "nature_acte_2": "controle",
        "type_acte_2": "controle",
    }

    # A control 60 days after the start of an apprenticeship contract.
    [virgule] = signals(VIRGULE)
    assert (virgule["regle"], virgule["nb_jours_ecart"]) == ("controle_et_aide", 60)
    assert (
        virgule["acte_id_1"],
        virgule["source_1"],
        virgule["pole_1"],
        virgule["libelle_unite_1"],
        virgule["date_acte_1"],
        virgule["nature_acte_1"],
        virgule["type_acte_1"],
    ) == (
        "apprentissage:013202605000004",
        "apprentissage",
        "3E",
        None,
        dt.date(2026, 5, 4),
        "aide",
        "contrat d'apprentissage, début (type 11)",
    )
    assert (
        virgule["acte_id_2"],
        virgule["source_2"],
        virgule["libelle_unite_2"],
        virgule["date_acte_2"],
        virgule["nature_acte_2"],
        virgule["type_acte_2"],
    ) == (
        "src:MDF-2026-00002",
        "src",
        "Provence-Alpes-Côte d'Azur",
        dt.date(2026, 7, 3),
        "controle",
        "Contrôle sur pièces",
    )

    # A control 91 days after a partial-activity decision: both acts are there, no signal.
    assert [
        r["date_intervention"]
        for r in rows(world, "select * from interactions where siret = ?", [OUTRE_MER])
    ] == [dt.date(2026, 6, 1)]
    assert [
        r["date_decision"]
        for r in rows(world, "select * from activite_partielle where siret = ?", [OUTRE_MER])
    ] == [dt.date(2026, 3, 2)]
    assert signals(OUTRE_MER) == []

    # Every pair is within the window, its later act within the year before FCE_AS_OF.
    [bounds] = rows(
        world,
        "select min(nb_jours_ecart) as low, max(nb_jours_ecart) as high, "
        "min(date_acte_2) as first, max(date_acte_2) as last, "
        "count(*) filter (where date_acte_1 > date_acte_2) as reversed "
        "from signaux_coordination",
    )
    assert bounds["low"] >= 0 and bounds["high"] <= 90
    assert dt.date(2025, 12, 1) < bounds["first"] and bounds["last"] <= dt.date(2026, 12, 1)
    assert bounds["reversed"] == 0


def test_2_a_month_sent_again_replaces_that_month_only(world):
    before = rows(
        world, "select mois, count(*) as n from effectifs_mensuels group by mois order by mois"
    )
    resend = dsn_resend_path(world["inbox"])
    target = world["inbox"] / "dsn_effectifs" / resend.name
    shutil.copy(resend, target)
    os.utime(target)  # the newest file of the folder
    # what the inbox sensor runs for it: DSN's assets and what depends on them, nothing else
    job = defs.resolve_job_def("refresh_all")
    selection = source_refresh("dsn_effectifs").resolve(defs.resolve_asset_graph())
    result = job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        asset_selection=sorted(selection),
        raise_on_error=False,
    )
    assert result.success, [e.message for e in result.all_events if e.is_step_failure]
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
    ran = {e.step_key for e in result.all_events if e.is_step_success}
    assert "lake__dsn_effectifs" in ran and "published__fce_duckdb" in ran
    assert not any("sirene" in step or "wikit" in step for step in ran)
    # the freshness table still lists every source, SIRENE's read from the lake's records
    datasets = {r["dataset"] for r in rows(world, "select dataset from sources_fraicheur")}
    assert {"sirene_etablissements", "wikit_controles", "dsn_effectifs"} <= datasets


def _edit_stock(www, edits: dict[str, dict[str, str]]) -> None:
    """Serve a new StockEtablissement whose lines of the given SIRETs have new values."""
    path = www / "StockEtablissement_utf8.zip"
    with zipfile.ZipFile(path) as archive:
        lines = archive.read("StockEtablissement_utf8.csv").decode("utf-8").split("\n")
    header = lines[0].split(",")
    for i, line in enumerate(lines):
        values = line.split(",")
        if len(values) == len(header) and values[2] in edits:
            for column, value in edits[values[2]].items():
                values[header.index(column)] = value
            lines[i] = ",".join(values)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("StockEtablissement_utf8.csv", "\n".join(lines))


def test_3_the_next_publication_lists_what_changed(world):
    lake = world["db"].parent / "lake"
    first = snapshots.list_snapshots(lake)[-1].name  # the publication of test 2
    moved, closed = PLANTED["corse"]["siret"], PLANTED["outre_mer"]["siret"]
    _edit_stock(
        world["www"],
        {
            SIEGE: {"activitePrincipaleEtablissement": "62.02A"},
            moved: {"libelleVoieEtablissement": "DU GENERAL FIORELLA"},
            closed: {"etatAdministratifEtablissement": "F"},
        },
    )
    # Wiki'T sends its whole list again, with a newer control at the head office
    wikit = world["inbox"] / "wikit"
    [previous] = sorted(wikit.glob("EtablissementActifsControl*.csv"))
    text = previous.read_text(encoding="utf-8-sig")
    assert f'"{SIEGE}";"15/10/2026"' in text
    newer = wikit / "EtablissementActifsControlés_20261202.csv"
    newer.write_text(
        text.replace(f'"{SIEGE}";"15/10/2026"', f'"{SIEGE}";"20/11/2026"'), encoding="utf-8-sig"
    )
    result = run_job()
    assert result.success, [e.message for e in result.all_events if e.is_step_failure]

    seen = {
        (r["siret"], r["type_changement"]): r
        for r in rows(world, "select * from changements order by siret, type_changement")
    }
    assert seen[(SIEGE, "changement_naf")]["valeur_avant"] == "62.01Z"
    assert seen[(SIEGE, "changement_naf")]["valeur_apres"] == "62.02A"
    assert seen[(SIEGE, "nouveau_controle_pole_t")]["valeur_apres"] == "2026-11-20"
    assert seen[(SIEGE, "nouveau_controle_pole_t")]["source"] == "wikit"
    assert seen[(closed, "fermeture")]["valeur_avant"] == "A"
    assert "DU GENERAL FIORELLA" in seen[(moved, "demenagement")]["valeur_apres"]
    assert {r["snapshot_precedent"] for r in seen.values()} == {first}
    # nothing else changed between the two publications
    assert set(seen) == {
        (SIEGE, "changement_naf"),
        (SIEGE, "nouveau_controle_pole_t"),
        (closed, "fermeture"),
        (moved, "demenagement"),
    }

    # the fiche as the previous publication had it
    before = snapshots.snapshot_at(lake, name=first)
    [old] = snapshots.lookup_snapshot(before, SIEGE)
    assert (old["code_naf"], old["derniere_intervention_pole_t"]) == (
        "62.01Z",
        dt.date(2026, 10, 15),
    )
    assert len(snapshots.list_snapshots(lake)) == 3
