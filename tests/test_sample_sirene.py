"""The sample SIRENE stock: exact INSEE format, consistent keys, planted records, determinism."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from sources.sample import sirene
from sources.sample.sirene import (
    ETABLISSEMENT_COLUMNS,
    LIENS_SUCCESSION_COLUMNS,
    NON_DIFFUSIBLE,
    PLANTED,
    UNITE_LEGALE_COLUMNS,
    generate_sirene,
    load_communes,
    luhn_is_valid,
)

SIZE = 500
UL_ZIP = "StockUniteLegale_utf8.zip"
ET_ZIP = "StockEtablissement_utf8.zip"
LIENS_ZIP = "StockEtablissementLiensSuccession_utf8.zip"
TRANCHES = {
    "",
    "NN",
    "00",
    "01",
    "02",
    "03",
    "11",
    "12",
    "21",
    "22",
    "31",
    "32",
    "41",
    "42",
    "51",
    "52",
    "53",
}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
NAF_REV2 = re.compile(r"^\d{2}\.\d{2}[A-Z]$")
NAF_REV1 = re.compile(r"^\d{2}\.\d[A-Z]$")
LAMBERT = re.compile(r"^\d+\.\d$")
MASKED_UL = (
    "sexeUniteLegale",
    "prenom1UniteLegale",
    "prenom2UniteLegale",
    "prenom3UniteLegale",
    "prenom4UniteLegale",
    "prenomUsuelUniteLegale",
    "pseudonymeUniteLegale",
    "nomUniteLegale",
    "nomUsageUniteLegale",
)
MASKED_ET = (
    "enseigne1Etablissement",
    "enseigne2Etablissement",
    "enseigne3Etablissement",
    "denominationUsuelleEtablissement",
    "complementAdresseEtablissement",
    "numeroVoieEtablissement",
    "indiceRepetitionEtablissement",
    "typeVoieEtablissement",
    "libelleVoieEtablissement",
    "identifiantAdresseEtablissement",
    "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement",
)


def member_bytes(zip_path: Path) -> bytes:
    """The bytes of the only member of a zip, checking it is named after the zip."""
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        assert names == [zip_path.name.removesuffix(".zip") + ".csv"]
        return archive.read(names[0])


def read_rows(zip_path: Path) -> list[list[str]]:
    """All rows, header included, parsed by the csv module."""
    text = member_bytes(zip_path).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return generate_sirene(tmp_path_factory.mktemp("sirene"), etablissements=SIZE, seed=7)


@pytest.fixture(scope="module")
def unites(files: dict[str, Path]) -> list[dict[str, str]]:
    return as_dicts(read_rows(files[UL_ZIP]))


@pytest.fixture(scope="module")
def etablissements(files: dict[str, Path]) -> list[dict[str, str]]:
    return as_dicts(read_rows(files[ET_ZIP]))


@pytest.fixture(scope="module")
def liens(files: dict[str, Path]) -> list[dict[str, str]]:
    return as_dicts(read_rows(files[LIENS_ZIP]))


def test_luhn_is_valid() -> None:
    assert luhn_is_valid("552081317")
    assert luhn_is_valid("55208131766522")
    assert not luhn_is_valid("552081318")
    assert not luhn_is_valid("55208131X")


def test_three_zips_under_their_origin_names(files: dict[str, Path]) -> None:
    assert set(files) == {UL_ZIP, ET_ZIP, LIENS_ZIP}
    for name, path in files.items():
        assert path.name == name and path.exists()
        member_bytes(path)
    assert not list(files[UL_ZIP].parent.glob(".*partial"))


@pytest.mark.parametrize(
    ("name", "columns", "width"),
    [
        (UL_ZIP, UNITE_LEGALE_COLUMNS, 35),
        (ET_ZIP, ETABLISSEMENT_COLUMNS, 54),
        (LIENS_ZIP, LIENS_SUCCESSION_COLUMNS, 6),
    ],
)
def test_header_and_field_count(
    files: dict[str, Path], name: str, columns: tuple[str, ...], width: int
) -> None:
    rows = read_rows(files[name])
    assert len(columns) == width
    assert tuple(rows[0]) == columns
    assert {len(row) for row in rows} == {width}


def test_raw_format_is_insee_csv(files: dict[str, Path]) -> None:
    raw = member_bytes(files[ET_ZIP])
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw
    assert raw.endswith(b"\n")
    lines = raw.split(b"\n")
    assert lines[1].startswith(b"552081317,66522,55208131766522,O,2004-03-15,12,2024,,")
    assert b'""' not in raw  # a missing value is an empty field, never an empty quoted string


def test_etablissement_count_is_exact(etablissements: list[dict[str, str]]) -> None:
    assert len(etablissements) == SIZE


def test_about_one_and_a_half_etablissements_per_unite(
    unites: list[dict[str, str]], etablissements: list[dict[str, str]]
) -> None:
    assert 1.2 < len(etablissements) / len(unites) < 1.8


def test_identifiers_are_valid(
    unites: list[dict[str, str]], etablissements: list[dict[str, str]]
) -> None:
    sirens = [row["siren"] for row in unites]
    assert len(set(sirens)) == len(sirens)
    assert all(re.fullmatch(r"\d{9}", s) and luhn_is_valid(s) for s in sirens)
    sirets = [row["siret"] for row in etablissements]
    assert len(set(sirets)) == len(sirets)
    for row in etablissements:
        assert re.fullmatch(r"\d{14}", row["siret"]), row["siret"]
        assert luhn_is_valid(row["siret"]), row["siret"]
        assert re.fullmatch(r"\d{5}", row["nic"])
        assert row["siret"] == row["siren"] + row["nic"]
    assert any(s.startswith("00") for s in sirens)


def test_every_etablissement_has_its_unite_and_one_siege(
    unites: list[dict[str, str]], etablissements: list[dict[str, str]]
) -> None:
    nic_siege = {row["siren"]: row["nicSiegeUniteLegale"] for row in unites}
    assert {row["siren"] for row in etablissements} == set(nic_siege)
    sieges = [row for row in etablissements if row["etablissementSiege"] == "true"]
    assert Counter(row["siren"] for row in sieges) == Counter(nic_siege.keys())
    for row in sieges:
        assert row["nic"] == nic_siege[row["siren"]]
    assert {row["etablissementSiege"] for row in etablissements} == {"true", "false"}


def test_cessee_unites_have_only_closed_etablissements(
    unites: list[dict[str, str]], etablissements: list[dict[str, str]]
) -> None:
    etat = {row["siren"]: row["etatAdministratifUniteLegale"] for row in unites}
    assert set(etat.values()) == {"A", "C"}
    assert {row["etatAdministratifEtablissement"] for row in etablissements} == {"A", "F"}
    for row in etablissements:
        if etat[row["siren"]] == "C":
            assert row["etatAdministratifEtablissement"] == "F", row["siret"]
    closed = sum(row["etatAdministratifEtablissement"] == "F" for row in etablissements)
    assert 0.1 < closed / len(etablissements) < 0.4


def test_codes_and_dates_look_like_insee(
    unites: list[dict[str, str]], etablissements: list[dict[str, str]]
) -> None:
    for row in unites:
        assert row["statutDiffusionUniteLegale"] in {"O", "P"}
        assert row["trancheEffectifsUniteLegale"] in TRANCHES
        assert row["categorieEntreprise"] in {"", "PME", "ETI", "GE"}
        assert re.fullmatch(r"\d{4}", row["categorieJuridiqueUniteLegale"])
        assert DATETIME.match(row["dateDernierTraitementUniteLegale"])
        assert DATE.match(row["dateDebut"])
        for flag in (
            "economieSocialeSolidaireUniteLegale",
            "caractereEmployeurUniteLegale",
            "societeMissionUniteLegale",
        ):
            assert row[flag] in {"", "O", "N"}
        naf = row["activitePrincipaleUniteLegale"]
        pattern = (
            NAF_REV1 if row["nomenclatureActivitePrincipaleUniteLegale"] == "NAFRev1" else NAF_REV2
        )
        assert pattern.match(naf), naf
        if row["categorieJuridiqueUniteLegale"] == "1000":
            assert row["denominationUniteLegale"] == "" and row["nomUniteLegale"] != ""
        else:
            assert row["denominationUniteLegale"] != "" and row["nomUniteLegale"] == ""
    for row in etablissements:
        assert row["trancheEffectifsEtablissement"] in TRANCHES
        assert (row["anneeEffectifsEtablissement"] != "") == (
            row["trancheEffectifsEtablissement"] not in {"", "NN"}
        )
        assert DATE.match(row["dateCreationEtablissement"])
        assert row["dateCreationEtablissement"] <= row["dateDebut"] <= "2026-11-30"
        assert DATETIME.match(row["dateDernierTraitementEtablissement"])
        assert row["caractereEmployeurEtablissement"] in {"O", "N"}
        for axis in ("Abscisse", "Ordonnee"):
            value = row[f"coordonneeLambert{axis}Etablissement"]
            assert value in {"", NON_DIFFUSIBLE} or LAMBERT.match(value), value
    nomenclatures = {row["nomenclatureActivitePrincipaleEtablissement"] for row in etablissements}
    assert "NAFRev2" in nomenclatures
    assert any(row["activitePrincipaleNAF25Etablissement"] for row in etablissements)


def test_communes_come_from_the_seed(etablissements: list[dict[str, str]]) -> None:
    communes = {row["code_commune"]: row for row in load_communes().iter_rows(named=True)}
    seen = set()
    for row in etablissements:
        code = row["codeCommuneEtablissement"]
        if code == "":
            assert re.fullmatch(r"99\d{3}", row["codePaysEtrangerEtablissement"])
            assert row["libellePaysEtrangerEtablissement"] != ""
            assert row["libelleCommuneEtrangerEtablissement"] != ""
            continue
        assert re.fullmatch(r"\d{5}|2[AB]\d{3}", code), code
        assert row["codePostalEtablissement"] in communes[code]["codes_postaux"]
        assert row["libelleCommuneEtablissement"] == communes[code]["libelle_commune"]
        seen.add(code)
    assert {"75109", "2A004", "97411", "69383", "13202"} <= seen
    assert not seen & {"75056", "69123", "13055"}  # SIRENE codes these by arrondissement


def test_load_communes_writes_names_as_insee(tmp_path: Path) -> None:
    seed = tmp_path / "communes.csv"
    seed.write_text(
        "code_commune,libelle_commune,type_commune,code_departement,code_region,codes_postaux\n"
        "01001,L'Abergement-Clémenciat,commune-actuelle,01,84,01400\n"
        "75056,Paris,commune-actuelle,75,11,75001 75002\n"
        "75109,Paris 9e Arrondissement,arrondissement-municipal,75,11,75009\n"
        "69381,Lyon 1er Arrondissement,arrondissement-municipal,69,84,69001\n"
        "14472,Mézidon-Canon,commune-deleguee,14,28,14270\n"
        "97411,Saint-Denis,commune-actuelle,974,04,97400 97490\n",
        encoding="utf-8",
    )
    communes = load_communes(seed)
    assert communes["code_commune"].to_list() == ["01001", "69381", "75109", "97411"]
    assert communes["libelle_commune"].to_list() == [
        "L'ABERGEMENT-CLEMENCIAT",
        "LYON 1",
        "PARIS 9",
        "SAINT-DENIS",
    ]
    assert communes["codes_postaux"].to_list()[-1] == ["97400", "97490"]


def test_non_diffusible_persons_are_masked(
    unites: list[dict[str, str]], etablissements: list[dict[str, str]]
) -> None:
    partial = {
        row["siren"]
        for row in unites
        if row["statutDiffusionUniteLegale"] == "P"
        and row["categorieJuridiqueUniteLegale"] == "1000"
    }
    assert len(partial) >= 1
    for row in unites:
        if row["siren"] in partial:
            assert all(row[column] == NON_DIFFUSIBLE for column in MASKED_UL)
    for row in etablissements:
        for column in (
            "codeCommuneEtablissement",
            "codePostalEtablissement",
            "activitePrincipaleEtablissement",
            "siret",
        ):
            assert row[column] != NON_DIFFUSIBLE
        if row["siren"] in partial:
            assert row["statutDiffusionEtablissement"] == "P"
            assert all(row[column] == NON_DIFFUSIBLE for column in MASKED_ET)
            assert row["codeCommuneEtablissement"] != ""
        else:
            assert all(value != NON_DIFFUSIBLE for value in row.values())


def test_escaped_commas_are_present_and_quoted(
    files: dict[str, Path], etablissements: list[dict[str, str]]
) -> None:
    raw = member_bytes(files[ET_ZIP]).decode("utf-8")
    assert '"DU PORT\\, QUAI NORD"' in raw
    assert all(
        f'"{value}"' in raw for row in etablissements for value in row.values() if "\\" in value
    )


def test_liens_point_to_existing_etablissements(
    etablissements: list[dict[str, str]], liens: list[dict[str, str]]
) -> None:
    by_siret = {row["siret"]: row for row in etablissements}
    assert liens
    for lien in liens:
        predecesseur = by_siret[lien["siretEtablissementPredecesseur"]]
        successeur = by_siret[lien["siretEtablissementSuccesseur"]]
        assert predecesseur["etatAdministratifEtablissement"] == "F"
        assert successeur["etatAdministratifEtablissement"] == "A"
        assert lien["dateLienSuccession"] == predecesseur["dateDebut"]
        assert lien["transfertSiege"] in {"true", "false"}
        assert lien["continuiteEconomique"] in {"true", "false"}
        assert DATETIME.match(lien["dateDernierTraitementLienSuccession"])


def test_planted_records_are_written_first_with_their_values(
    unites: list[dict[str, str]],
    etablissements: list[dict[str, str]],
    liens: list[dict[str, str]],
) -> None:
    assert [row["siret"] for row in etablissements[: len(PLANTED)]] == [
        str(record["siret"]) for record in PLANTED.values()
    ]
    ul = {row["siren"]: row for row in unites}
    et = {row["siret"]: row for row in etablissements}
    successeurs = {
        row["siretEtablissementPredecesseur"]: row["siretEtablissementSuccesseur"] for row in liens
    }

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return value.isoformat() if isinstance(value, date) else str(value)

    expected_columns = {
        "siren": "siren",
        "nic": "nic",
        "statut_diffusion": "statutDiffusionEtablissement",
        "etablissement_siege": "etablissementSiege",
        "etat_administratif": "etatAdministratifEtablissement",
        "date_creation": "dateCreationEtablissement",
        "date_debut": "dateDebut",
        "code_naf": "activitePrincipaleEtablissement",
        "nomenclature_naf": "nomenclatureActivitePrincipaleEtablissement",
        "tranche_effectifs": "trancheEffectifsEtablissement",
        "annee_effectifs": "anneeEffectifsEtablissement",
        "enseigne": "enseigne1Etablissement",
        "numero_voie": "numeroVoieEtablissement",
        "type_voie": "typeVoieEtablissement",
        "libelle_voie": "libelleVoieEtablissement",
        "code_postal": "codePostalEtablissement",
        "libelle_commune": "libelleCommuneEtablissement",
        "code_commune": "codeCommuneEtablissement",
        "code_pays_etranger": "codePaysEtrangerEtablissement",
        "libelle_pays_etranger": "libellePaysEtrangerEtablissement",
        "libelle_commune_etranger": "libelleCommuneEtrangerEtablissement",
    }
    for name, record in PLANTED.items():
        row = et[str(record["siret"])]
        for key, column in expected_columns.items():
            assert row[column] == text(record[key]), (name, column)
        unite = ul[str(record["siren"])]
        assert unite["denominationUniteLegale"] == text(record["denomination"]), name
        assert unite["nomUniteLegale"] == text(record["nom"]), name
        assert unite["prenomUsuelUniteLegale"] == text(record["prenom"]), name
        assert unite["categorieJuridiqueUniteLegale"] == record["categorie_juridique"], name
        assert unite["etatAdministratifUniteLegale"] == record["etat_administratif_unite_legale"], (
            name
        )
        assert successeurs.get(str(record["siret"]), "") == text(record["siret_successeur"])
        if record["etat_administratif"] == "F":
            assert record["date_fermeture"] == record["date_debut"], name


def test_planted_scenarios_hold(etablissements: list[dict[str, str]]) -> None:
    assert PLANTED["siege_actif"]["siret"] == "55208131766522"
    assert str(PLANTED["siren_zeros"]["siren"]).startswith("00")
    assert PLANTED["corse"]["code_commune"] == "2A004"
    assert PLANTED["outre_mer"]["code_commune"] == "97411"
    assert PLANTED["personne_physique_nd"]["nom"] == NON_DIFFUSIBLE
    assert PLANTED["personne_physique_nd"]["code_commune"] == "69383"
    assert "\\," in str(PLANTED["virgule_echappee"]["libelle_voie"])
    assert PLANTED["ferme_avec_successeur"]["siret_successeur"] == PLANTED["successeur"]["siret"]
    cessee = [row for row in etablissements if row["siren"] == PLANTED["ul_cessee"]["siren"]]
    assert len(cessee) == 2
    assert {row["etatAdministratifEtablissement"] for row in cessee} == {"F"}


def test_planted_records_survive_any_size(tmp_path: Path) -> None:
    files = generate_sirene(tmp_path, etablissements=3, seed=99)
    rows = as_dicts(read_rows(files[ET_ZIP]))
    assert [row["siret"] for row in rows] == [str(r["siret"]) for r in PLANTED.values()]
    assert len(as_dicts(read_rows(files[LIENS_ZIP]))) == 1


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    first = generate_sirene(tmp_path / "a", etablissements=300, seed=5)
    second = generate_sirene(tmp_path / "b", etablissements=300, seed=5)
    other = generate_sirene(tmp_path / "c", etablissements=300, seed=6)
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes(), name
    assert first[ET_ZIP].read_bytes() != other[ET_ZIP].read_bytes()


def test_streamed_chunks_keep_one_header_and_exact_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sirene, "CHUNK_ROWS", 40)
    files = generate_sirene(tmp_path, etablissements=333, seed=3)
    et = read_rows(files[ET_ZIP])
    ul = read_rows(files[UL_ZIP])
    assert len(et) == 334
    assert sum(row[0] == "siren" for row in et) == 1
    sirens = [row[0] for row in ul[1:]]
    assert len(set(sirens)) == len(sirens)
    assert {row[0] for row in et[1:]} == set(sirens)
    frame = pl.DataFrame(as_dicts(et))
    sieges = frame.filter(pl.col("etablissementSiege") == "true")
    assert sieges.height == len(sirens)


def test_negative_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="etablissements"):
        generate_sirene(tmp_path, etablissements=-1)
