"""StockEtablissementHistorique: the sample's consistency with the stock, and the real load path
(landing, zip, contract, lake, rejects) on files the tests make."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import polars as pl
import pytest

from sources.config import Settings
from sources.contracts import ContractError, check_header
from sources.lake import load
from sources.landing import land_file
from sources.sample import PLANTED
from sources.sample.sirene import generate_sirene
from sources.sample.sirene_historique import (
    DATE_FERMETURE_HISTORIQUE,
    HISTORIQUE_COLUMNS,
    PLANTED_HISTORIQUE,
    generate_sirene_historique,
)
from sources.sirene.contract import HISTORIQUE_ETABLISSEMENTS as CONTRACT

ZIP = "StockEtablissementHistorique_utf8.zip"
MEMBER = "StockEtablissementHistorique_utf8.csv"
SIZE = 1200


def read_zip_csv(path: Path) -> pl.DataFrame:
    with zipfile.ZipFile(path) as archive:
        return pl.read_csv(archive.read(archive.namelist()[0]), infer_schema=False)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("historique")
    written = generate_sirene(folder, etablissements=SIZE, seed=7)
    written.update(generate_sirene_historique(folder, SIZE, 7))
    return written


@pytest.fixture(scope="module")
def periods(sample: dict[str, Path]) -> pl.DataFrame:
    return read_zip_csv(sample[ZIP])


@pytest.fixture(scope="module")
def stock(sample: dict[str, Path]) -> pl.DataFrame:
    return read_zip_csv(sample["StockEtablissement_utf8.zip"])


def test_the_file_has_insee_names_and_header(sample: dict[str, Path]) -> None:
    with zipfile.ZipFile(sample[ZIP]) as archive:
        assert archive.namelist() == [MEMBER]
        data = archive.read(MEMBER)
    assert not data.startswith(b"\xef\xbb\xbf") and data.endswith(b"\n")
    header = data.split(b"\n", 1)[0].decode().split(",")
    assert tuple(header) == HISTORIQUE_COLUMNS
    report = check_header(CONTRACT, header, MEMBER)
    assert report.extra == () and report.missing_optional == ()


def test_planted_periods_come_first(periods: pl.DataFrame) -> None:
    planted = [str(PLANTED[name]["siret"]) for name in PLANTED_HISTORIQUE]
    n = sum(len(p) for p in PLANTED_HISTORIQUE.values())
    assert periods["siret"][:n].unique(maintain_order=True).to_list() == planted
    closed = periods.filter(pl.col("siret") == PLANTED["ferme_avec_successeur"]["siret"])
    became_closed = closed.filter(
        (pl.col("etatAdministratifEtablissement") == "F")
        & (pl.col("changementEtatAdministratifEtablissement") == "true")
    )
    assert became_closed["dateDebut"].to_list() == [
        DATE_FERMETURE_HISTORIQUE["ferme_avec_successeur"].isoformat()
    ]


def test_each_stock_establishment_has_its_current_period(
    periods: pl.DataFrame, stock: pl.DataFrame
) -> None:
    current = periods.filter(pl.col("dateFin").is_null())
    assert current["siret"].n_unique() == current.height == stock.height
    joined = stock.join(current, on="siret", how="left", suffix="_h")
    for column in (
        "dateDebut",
        "etatAdministratifEtablissement",
        "enseigne1Etablissement",
        "denominationUsuelleEtablissement",
        "activitePrincipaleEtablissement",
        "nomenclatureActivitePrincipaleEtablissement",
        "caractereEmployeurEtablissement",
    ):
        differing = joined.filter(pl.col(column).ne_missing(pl.col(f"{column}_h")))
        assert differing.is_empty(), (column, differing.select("siret").head(3))


def test_periods_follow_one_another_without_gap(periods: pl.DataFrame) -> None:
    dated = periods.with_columns(
        pl.col("dateDebut").str.to_date(), pl.col("dateFin").str.to_date()
    ).sort("siret", "dateDebut")
    following = dated.with_columns(
        next_start=pl.col("dateDebut").shift(-1).over("siret"),
        first_of_siret=pl.col("siret").is_first_distinct(),
    )
    chained = following.filter(pl.col("next_start").is_not_null())
    assert (chained["dateFin"] + dt.timedelta(days=1) == chained["next_start"]).all()
    assert following.filter(pl.col("next_start").is_null())["dateFin"].null_count() == (
        periods["siret"].n_unique()
    )
    # no period before the creation of its establishment
    assert not following.filter(pl.col("first_of_siret"))["dateDebut"].is_null().any()


def test_histories_show_every_kind_of_change(periods: pl.DataFrame, stock: pl.DataFrame) -> None:
    closings = periods.filter(
        (pl.col("etatAdministratifEtablissement") == "F")
        & (pl.col("changementEtatAdministratifEtablissement") == "true")
    )
    per_siret = closings.group_by("siret").agg(pl.len().alias("n"), pl.max("dateDebut"))
    assert per_siret.filter(pl.col("n") >= 2).height > 0  # closed, reopened, closed again
    reopened = periods.filter(
        (pl.col("etatAdministratifEtablissement") == "A")
        & (pl.col("changementEtatAdministratifEtablissement") == "true")
    )
    assert reopened.height > 0
    # closed establishments whose stock period starts after the closing day
    later = per_siret.join(stock.select("siret", "dateDebut"), on="siret").filter(
        pl.col("dateDebut") < pl.col("dateDebut_right")
    )
    assert later.height > 0
    for flag in ("changementActivitePrincipaleEtablissement", "changementEnseigneEtablissement"):
        assert (periods[flag] == "true").sum() > 0
    older = periods.filter(pl.col("dateFin").is_not_null())
    assert older.height > stock.height // 2


def test_masked_establishments_stay_masked_in_every_period(
    periods: pl.DataFrame, stock: pl.DataFrame
) -> None:
    masked = stock.filter(pl.col("statutDiffusionEtablissement") == "P")["siret"]
    assert masked.len() > 0
    rows = periods.filter(pl.col("siret").is_in(masked.implode()))
    for column in ("enseigne1Etablissement", "denominationUsuelleEtablissement"):
        assert (rows[column] == "[ND]").all()


def test_same_seed_same_bytes(tmp_path: Path, sample: dict[str, Path]) -> None:
    generate_sirene(tmp_path / "a", etablissements=300, seed=5)
    first = generate_sirene_historique(tmp_path / "a", 300, 5)[ZIP].read_bytes()
    again = generate_sirene_historique(tmp_path / "a", 300, 5)[ZIP].read_bytes()
    other = generate_sirene_historique(tmp_path / "a", 300, 6)[ZIP].read_bytes()
    assert first == again and first != other
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.startswith(".")]


# --- the real load path ------------------------------------------------------------------


def settings_in(tmp_path: Path) -> Settings:
    return Settings(warehouse=tmp_path / "warehouse", mirror="sample", as_of=dt.date(2026, 12, 1))


def load_zip(tmp_path: Path, rows: list[list[str]], member: str = MEMBER):
    """Land a zip holding ``rows`` (header first) as the contract's file and load it."""
    settings = settings_in(tmp_path)
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, text.getvalue())
    incoming = tmp_path / "incoming" / ZIP
    incoming.parent.mkdir(parents=True, exist_ok=True)
    incoming.write_bytes(buffer.getvalue())
    landed = land_file(
        settings.warehouse, "sirene", incoming, origin=f"sample://{ZIP}", file_name=ZIP
    )
    record, _ = load(settings, CONTRACT, landed)
    lake = pl.read_parquet(record.lake_path)
    rejects = pl.read_parquet(record.rejects_path)
    return record, lake, rejects


def period(**values: str) -> list[str]:
    good = {
        "siren": "812345676",
        "nic": "00017",
        "siret": "81234567600017",
        "dateDebut": "2024-03-31",
        "dateFin": "2024-06-29",
        "etatAdministratifEtablissement": "F",
        "changementEtatAdministratifEtablissement": "true",
        "changementEnseigneEtablissement": "false",
        "changementDenominationUsuelleEtablissement": "false",
        "activitePrincipaleEtablissement": "49.41A",
        "nomenclatureActivitePrincipaleEtablissement": "NAFRev2",
        "changementActivitePrincipaleEtablissement": "false",
        "caractereEmployeurEtablissement": "O",
        "changementCaractereEmployeurEtablissement": "false",
    }
    good.update(values)
    return [good.get(c, "") for c in HISTORIQUE_COLUMNS]


def test_periods_load_typed_with_masks_kept(tmp_path: Path) -> None:
    rows = [
        list(HISTORIQUE_COLUMNS),
        period(
            dateFin="", dateDebut="2024-06-30", changementEtatAdministratifEtablissement="false"
        ),
        period(),
        period(
            siren="841234560",
            nic="16",  # lost its leading zeros: padded
            siret="84123456000016",
            dateFin="",
            dateDebut="2018-06-04",
            etatAdministratifEtablissement="A",
            changementEtatAdministratifEtablissement="false",
            enseigne1Etablissement="[ND]",
            denominationUsuelleEtablissement="[ND]",
        ),
    ]
    record, lake, rejects = load_zip(tmp_path, rows)
    assert (record.rows_read, record.rows_loaded, record.rows_rejected) == (3, 3, 0)
    assert record.identifiers_padded == 1
    assert record.newest_data == "2024-06-30"
    assert lake.schema["dateDebut"] == pl.Date and lake.schema["dateFin"] == pl.Date
    assert lake.schema["changementEtatAdministratifEtablissement"] == pl.Boolean
    first = lake.row(0, named=True)
    assert first["dateFin"] is None and first["changementEtatAdministratifEtablissement"] is False
    masked = lake.row(2, named=True)
    assert masked["nic"] == "00016"
    assert (masked["enseigne1Etablissement"], masked["denominationUsuelleEtablissement"]) == (
        "[ND]",
        "[ND]",
    )
    assert rejects.is_empty()


def test_bad_values_are_rejected_with_line_and_reason(tmp_path: Path) -> None:
    rows = [
        list(HISTORIQUE_COLUMNS),
        period(),
        period(dateFin="2024-02-30"),
        period(siret="81234567600025"),
        period(changementEtatAdministratifEtablissement="peut-etre"),
        period(etatAdministratifEtablissement=""),
    ]
    record, lake, rejects = load_zip(tmp_path, rows)
    assert (record.rows_read, record.rows_loaded, record.rows_rejected) == (5, 1, 4)
    reasons = dict(zip(rejects["line"].to_list(), rejects["reason"].to_list(), strict=True))
    assert reasons[3] == "dateFin: 2024-02-30 is not a valid date"
    assert reasons[4] == "siret is not siren followed by nic"
    assert reasons[5] == (
        "changementEtatAdministratifEtablissement: peut-etre is not a valid boolean"
    )
    assert reasons[6] == "etatAdministratifEtablissement: value missing"
    assert lake["source_line"].to_list() == [2]


def test_a_renamed_change_flag_stops_the_load_naming_file_and_column(tmp_path: Path) -> None:
    header = [
        "changementEtatAdministratif" if c == "changementEtatAdministratifEtablissement" else c
        for c in HISTORIQUE_COLUMNS
    ]
    with pytest.raises(ContractError) as error:
        load_zip(tmp_path, [header, period()])
    message = str(error.value)
    assert MEMBER in message or ZIP in message
    assert "changementEtatAdministratifEtablissement" in message
    assert not (settings_in(tmp_path).lake / f"{CONTRACT.dataset}.parquet").exists()


def test_new_columns_at_the_end_are_ignored(tmp_path: Path) -> None:
    rows = [[*HISTORIQUE_COLUMNS, "activitePrincipaleNAF25Etablissement"], [*period(), "49.41Y"]]
    record, lake, _ = load_zip(tmp_path, rows)
    assert record.columns_extra == ["activitePrincipaleNAF25Etablissement"]
    assert "activitePrincipaleNAF25Etablissement" not in lake.columns
