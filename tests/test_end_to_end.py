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
from sources.sample.sirene_historique import DATE_FERMETURE_HISTORIQUE
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
    assert closed["date_fermeture"] == dt.date(2024, 3, 31)  # from the history, see below
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
        "sirene_etablissements_historique",
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


def test_1_closing_dates_and_periods_come_from_the_sirene_history(world):
    """Only reads the publication of the first run."""
    for name, closing in DATE_FERMETURE_HISTORIQUE.items():
        assert fiche(world, PLANTED[name]["siret"])["date_fermeture"] == closing, name
    # closed in 2014, reopened in 2015, closed again: the last closing
    assert DATE_FERMETURE_HISTORIQUE["ul_cessee_secondaire"] == dt.date(2018, 9, 30)
    # with the stock alone the closing date would have been its current period's start
    assert PLANTED["ferme_avec_successeur"]["date_debut"] == dt.date(2024, 6, 30)
    assert query(
        world,
        "select count(*) from fiche_etablissement where etat_administratif = 'F' "
        "and date_fermeture is null",
    ) == [(0,)]

    periods = query(
        world,
        "select date_debut, date_fin, etat_administratif, code_naf, changements, "
        "est_periode_courante from etablissements_historique where siret = ? "
        "order by date_debut desc",
        [PLANTED["ferme_avec_successeur"]["siret"]],
    )
    assert periods == [
        (dt.date(2024, 6, 30), None, "F", "49.41A", "caractere_employeur", True),
        (dt.date(2024, 3, 31), dt.date(2024, 6, 29), "F", "49.41A", "etat_administratif", False),
        (dt.date(2019, 1, 1), dt.date(2024, 3, 30), "A", "49.41A", "code_naf", False),
        (dt.date(2015, 7, 1), dt.date(2018, 12, 31), "A", "49.41B", None, False),
    ]
    siege = query(
        world,
        "select code_naf, nomenclature_naf, libelle_naf, enseigne, est_changement_naf, "
        "est_changement_enseigne from etablissements_historique where siret = ? "
        "order by date_debut desc",
        [PLANTED["siege_actif"]["siret"]],
    )
    assert siege[0] == (
        "62.01Z",
        "NAFRev2",
        "Programmation informatique",
        "NCP STUDIO",
        True,
        False,
    )
    assert siege[1][3:] == ("NCP STUDIO", False, True)
    assert siege[-1][:4] == ("74.1A", "NAFRev1", None, None)
    masked = query(
        world,
        "select enseigne, denomination_usuelle from etablissements_historique where siret = ?",
        [PLANTED["personne_physique_nd"]["siret"]],
    )
    assert masked == [("[ND]", "[ND]")]

    # every establishment of the stock has one current period, in the stock's state
    assert query(
        world,
        "select count(*) from fiche_etablissement as f left join etablissements_historique as h "
        "on f.siret = h.siret and h.est_periode_courante "
        "where h.etat_administratif is distinct from f.etat_administratif",
    ) == [(0,)]
    freshness = query(
        world,
        "select producer, rows_read = rows_loaded, rows_rejected from sources_fraicheur "
        "where dataset = 'sirene_etablissements_historique'",
    )
    assert freshness == [("INSEE", True, 0)]
    manifest = json.loads((world["warehouse"] / "exports/current/manifest.json").read_text())
    assert (
        manifest["tables"]["etablissements_historique"]["rows"]
        == query(world, "select count(*) from etablissements_historique")[0][0]
    )


def test_1_collective_agreements_reach_the_fiche_and_their_table(world):
    siege = fiche(world, PLANTED["siege_actif"]["siret"])
    # the older month's agreement (1979) is not current; 9999 is kept as not determined
    assert siege["codes_idcc"] == ["1486", "9999"]
    assert siege["conventions_collectives"] == (
        "1486 Bureaux d'études techniques, cabinets d'ingénieurs-conseils et sociétés de "
        "conseils; 9999 Non déterminée"
    )
    # a SIRET sent with 13 digits is left-padded and joins; an IDCC sent as 16 becomes 0016
    assert fiche(world, PLANTED["siren_zeros"]["siret"])["codes_idcc"] == ["1518"]
    assert fiche(world, PLANTED["successeur"]["siret"])["codes_idcc"] == ["0016"]
    corse = fiche(world, PLANTED["corse"]["siret"])
    assert corse["conventions_collectives"] == "1979 Hôtels, cafés, restaurants; 5554"
    outre_mer = fiche(world, PLANTED["outre_mer"]["siret"])  # its only line was rejected
    assert outre_mer["codes_idcc"] is None and outre_mer["conventions_collectives"] is None

    rows = query(
        world,
        "select code_idcc, libelle_court_idcc, est_determinee, mois, est_dans_sirene "
        "from conventions_collectives where siret = ? order by code_idcc",
        [PLANTED["siege_actif"]["siret"]],
    )
    month = dt.date(2026, 7, 1)
    assert rows == [
        (
            "1486",
            "Bureaux d'études techniques, cabinets d'ingénieurs-conseils et sociétés de conseils",
            True,
            month,
            True,
        ),
        ("9999", "Non déterminée", False, month, True),
    ]
    assert query(
        world, "select est_dans_sirene from conventions_collectives where siret = '99999999900018'"
    ) == [(False,)]
    rejected = query(
        world,
        "select line, reason from rejets where dataset = 'conventions_collectives_siret' "
        "order by line",
    )
    assert rejected == [
        (10, "SIRET: 5520813176652A is not a siret of 14 digits"),
        (11, "IDCC is not a number of 1 to 4 digits"),
    ]
    fresh = query(
        world,
        "select producer, system, rows_read, rows_loaded, rows_rejected, identifiers_padded, "
        "newest_data_date from sources_fraicheur where dataset = 'conventions_collectives_siret'",
    )
    assert fresh[0][:2] == ("Ministère du Travail", "DSN")
    assert fresh[0][3:] == (fresh[0][2] - 2, 2, 1, dt.date(2026, 8, 25))


def test_1_training_organisations_reach_the_fiches_and_their_table(world):
    siege = PLANTED["siege_actif"]
    row = fiche(world, siege["siret"])
    assert (row["numero_declaration_activite"], row["est_qualiopi"]) == ("11755555575", True)
    heir = fiche(world, PLANTED["successeur"]["siret"])
    assert (heir["numero_declaration_activite"], heir["est_qualiopi"]) == ("52440987644", False)
    # the Corsican hotel's only declaration has a date that does not exist: rejected
    corse = fiche(world, PLANTED["corse"]["siret"])
    assert (corse["numero_declaration_activite"], corse["est_qualiopi"]) == (None, None)

    company = lookup(published(world), siege["siren"])[0]
    assert (company["nb_declarations_activite"], company["est_qualiopi"]) == (1, True)
    ceased = lookup(published(world), PLANTED["ul_cessee"]["siren"])[0]
    assert (ceased["nb_declarations_activite"], ceased["est_qualiopi"]) == (0, None)

    declared = query(
        world,
        "select siren, siret, est_qualiopi, est_certifie_actions_formation, certifications, "
        "date_derniere_declaration, nb_stagiaires, nb_formateurs, est_dans_sirene "
        "from organismes_formation where numero_declaration_activite = '11755555575'",
    )
    assert declared == [
        (
            siege["siren"],
            siege["siret"],
            True,
            True,
            "Actions de formation",
            dt.date(2026, 4, 28),
            148,
            6,
            True,
        )
    ]
    assert query(
        world,
        "select line, reason from rejets where dataset = 'organismes_formation_liste'",
    ) == [(4, "Date dernière déclaration: 31/02/2026 is not a valid date")]


def test_1_collective_procedures_reach_the_company_fiche_and_their_table(world):
    ceased = PLANTED["ul_cessee"]
    judgements = query(
        world,
        "select date_jugement, type_procedure, famille_jugement, est_dans_sirene "
        "from procedures_collectives where siren = ? order by date_jugement",
        [ceased["siren"]],
    )
    # the same company's judgements, dated in French long form, dd/mm/yyyy and ISO
    assert judgements == [
        (dt.date(2019, 3, 12), "redressement judiciaire", "Jugement d'ouverture", True),
        (dt.date(2019, 9, 17), "liquidation judiciaire", "Jugement de conversion", True),
        (dt.date(2020, 6, 30), "liquidation judiciaire", "Jugement de clôture", True),
    ]
    company = lookup(published(world), ceased["siren"])[0]
    assert company["derniere_procedure_collective"] == "liquidation judiciaire"
    assert company["date_derniere_procedure_collective"] == dt.date(2020, 6, 30)
    assert company["nature_derniere_procedure_collective"] == (
        "Jugement de clôture pour insuffisance d'actif"
    )

    # registre without spaces
    loire = lookup(published(world), PLANTED["ferme_avec_successeur"]["siren"])[0]
    assert (
        loire["derniere_procedure_collective"],
        loire["date_derniere_procedure_collective"],
    ) == (
        "sauvegarde",
        dt.date(2024, 2, 6),
    )
    # garbled once ("procÃ©dure", "1er fÃ©vrier 2026"): repaired on load
    corse = query(
        world,
        "select date_jugement, type_procedure, nature_jugement, est_texte_altere "
        "from procedures_collectives where siren = ?",
        [PLANTED["corse"]["siren"]],
    )
    assert corse == [
        (
            dt.date(2026, 2, 1),
            "redressement judiciaire",
            "Jugement d'ouverture d'une procédure de redressement judiciaire",
            False,
        )
    ]
    # garbled beyond repair: kept as published, and flagged
    (reunion,) = query(
        world,
        "select date_jugement, type_procedure, complement_jugement, est_texte_altere "
        "from procedures_collectives where siren = ?",
        [PLANTED["outre_mer"]["siren"]],
    )
    assert reunion[:2] == (dt.date(2026, 10, 15), "liquidation judiciaire")
    assert "Ã?quinoxe" in reunion[2] and "prononçant" in reunion[2] and reunion[3] is True

    # an announcement of another family stays out of the table and of the fiche
    siege = lookup(published(world), PLANTED["siege_actif"]["siren"])[0]
    assert siege["derniere_procedure_collective"] is None
    assert query(
        world,
        "select count(*) from procedures_collectives where siren = ?",
        [PLANTED["siege_actif"]["siren"]],
    ) == [(0,)]
    assert query(
        world,
        "select line, reason from rejets where dataset = 'bodacc_annonces' order by line",
    ) == [
        (
            9,
            "registre holds no 9-digit SIREN (spaced or not): the announcement cannot be tied "
            "to a company",
        ),
        (10, "date_jugement: 31 brumaire 2026 is not a valid date"),
        (11, "jugement is not a valid JSON document"),
    ]
    kinds = dict(
        query(world, "select type_procedure, count(*) from procedures_collectives group by 1")
    )
    assert set(kinds) <= {
        "sauvegarde",
        "redressement judiciaire",
        "liquidation judiciaire",
        "autre",
    }
    assert kinds["liquidation judiciaire"] > kinds["sauvegarde"] > 0


def test_1_geolocation_reaches_the_establishment_fiche(world):
    siege = fiche(world, PLANTED["siege_actif"]["siret"])
    assert (siege["latitude"], siege["longitude"]) == pytest.approx((48.87395, 2.33171))
    reunion = fiche(world, PLANTED["outre_mer"]["siret"])
    assert (reunion["latitude"], reunion["longitude"]) == pytest.approx((-20.882057, 55.450392))
    # masked ([ND] in the file), a random point in the commune (qualite_xy 33), abroad
    for key in ("personne_physique_nd", "corse", "etranger"):
        row = fiche(world, PLANTED[key]["siret"])
        assert (row["latitude"], row["longitude"]) == (None, None), key
    placed = query(
        world,
        "select count(*) filter (where latitude between 41 and 52 and longitude between -6 and 10),"
        " count(*) filter (where latitude is not null and statut_diffusion = 'P')"
        " from fiche_etablissement",
    )
    assert placed[0][0] > 500 and placed[0][1] == 0
    # the file's last two lines; the rest loaded
    assert query(
        world,
        "select reason from rejets where dataset = 'geolocalisation_etablissements' order by line",
    ) == [
        ("siret: 552081317665220 is not a siret of 14 digits",),
        ("x: n/a is not a valid decimal",),
    ]


def test_1_egapro_index_reaches_the_company_fiche_and_its_table(world):
    def company(key: str) -> dict:
        return lookup(published(world), PLANTED[key]["siren"])[0]

    # its own latest declaration (2025); the UES members get the UES's index, marked so
    siege = company("siege_actif")
    assert (siege["index_egapro"], siege["annee_index_egapro"]) == (89, 2025)
    assert siege["est_index_egapro_ues"] is False
    for key in ("corse", "outre_mer"):
        member = company(key)
        assert (member["index_egapro"], member["annee_index_egapro"]) == (84, 2025), key
        assert member["est_index_egapro_ues"] is True, key
    # the latest year was NC: no index, the year kept, never 0
    ceased = company("ul_cessee")
    assert (ceased["index_egapro"], ceased["annee_index_egapro"]) == (None, 2022)
    # a SIREN stored as a number in the workbook, left-padded
    assert company("siren_zeros")["index_egapro"] == 90
    assert company("etranger")["annee_index_egapro"] is None

    rows = query(
        world,
        "select annee, note_index, est_index_calculable, notes_non_calculables,"
        " note_ecart_taux_augmentation, note_ecart_taux_promotion, est_via_ues"
        " from egapro where siren = ? order by annee",
        [PLANTED["siege_actif"]["siren"]],
    )
    assert rows[0][:3] == (2023, None, False) and "note_index" in rows[0][3]
    assert rows[1] == (2024, 84, True, None, 35, None, False)
    assert rows[2] == (2025, 89, True, "note_retour_conge_maternite", 35, None, False)
    # the Réunion bakery keeps its own 2024 declaration beside its UES's 2025 one
    assert query(
        world,
        "select annee, est_via_ues, siren_declarant from egapro where siren = ? order by annee",
        [PLANTED["outre_mer"]["siren"]],
    ) == [(2024, False, "387561236"), (2025, True, PLANTED["ferme_avec_successeur"]["siren"])]
    assert query(
        world, "select reason from rejets where dataset = 'egapro_index' order by line"
    ) == [("SIREN: 55208131700 is not a siren of 9 digits",)]
    assert query(world, "select count(*) from egapro where note_index = 0") == [(0,)]


def test_1_public_contracts_reach_the_establishment_fiche_and_their_table(world):
    siege = fiche(world, PLANTED["siege_actif"]["siret"])
    # 2025-INF-014 at its modified amount and the grouping 2026-GRP-002; 2022-INF-031 is older
    # than 36 months; the two framework agreements apart, with their ceilings
    assert siege["nb_marches_publics_36_mois"] == 2
    assert siege["montant_marches_publics_36_mois"] == pytest.approx(450_000.0)
    assert siege["nb_accords_cadres_36_mois"] == 2
    assert siege["montant_max_accords_cadres_36_mois"] == pytest.approx(700_000.0)
    heir = fiche(world, PLANTED["successeur"]["siret"])
    assert (heir["nb_marches_publics_36_mois"], heir["montant_marches_publics_36_mois"]) == (
        1,
        pytest.approx(300_000.0),
    )
    # a SIRET typed with spaces is found; a VAT number and a 13-digit SIRET are not joined
    spaced = fiche(world, PLANTED["virgule_echappee"]["siret"])
    assert spaced["nb_marches_publics_36_mois"] == 1
    for key in ("etranger", "siren_zeros"):
        row = fiche(world, PLANTED[key]["siret"])
        assert row["nb_marches_publics_36_mois"] == 0, key
        assert row["montant_marches_publics_36_mois"] is None, key

    contract = query(
        world,
        "select count(*), max(montant), max(modification_id), min(date_notification_initiale),"
        " max(date_notification) from marches_publics where marche_uid like '%2025-INF-014'",
    )
    assert contract == [(1, 150_000.0, 1, dt.date(2025, 3, 10), dt.date(2025, 9, 1))]
    assert query(
        world,
        "select titulaire_id, titulaire_type_identifiant, siret, est_dans_sirene"
        " from marches_publics where marche_uid like '%2025-TR-044'"
        " or marche_uid like '%2025-CUL-003' order by titulaire_id",
    ) == [
        ("0312345200017", "SIRET", None, False),
        ("BE0531239879", "TVA", None, False),
    ]
    assert query(
        world,
        "select nb_titulaires, count(*) from marches_publics"
        " where marche_uid like '%2026-GRP-002' group by all",
    ) == [(2, 2)]
    assert query(
        world, "select reason from rejets where dataset = 'decp_marches' order by line"
    ) == [("titulaire_id: value missing",)]


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
