"""Internal sources from the inbox to the lake: which file wins, accumulating months, JSON,
encodings, and a source that dropped nothing yet."""

import datetime as dt
import json
import os

import polars as pl
import pytest

from sources.config import Settings
from sources.contracts import ContractError
from sources.dsn_effectifs.contract import EFFECTIFS
from sources.inbox import collect, pending
from sources.lake import load, part_records, write_empty
from sources.sora.contract import INTERVENTIONS
from sources.src.contract import CONTROLES as SRC
from sources.wikit.contract import UNITES_CONTROLE

SORA_HEADER = ",".join(f'"{n}"' for n in INTERVENTIONS.names)
DSN_HEADER = (
    "MOIS,SIRET,EFF_TOTAL,EFF_HOMME,EFF_FEMME,NB_CDD,NB_CDI,NB_CDI_INTER,"
    "NB_INTER_MISSION,NB_INTERIM,DATE_MAJ"
)


@pytest.fixture
def settings(tmp_path):
    return Settings(
        warehouse=tmp_path / "wh",
        mirror="sample",
        as_of=dt.date(2026, 12, 1),
        inbox_folder=tmp_path / "inbox",
    )


def drop(settings, source, name, text, *, encoding="utf-8", age=0):
    folder = settings.inbox / source
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    stamp = 1_700_000_000 + age
    os.utime(path, (stamp, stamp))
    return path


def load_all(settings, contract):
    return [load(settings, contract, landed) for landed in pending(settings, contract)]


def test_the_newest_file_replaces_the_previous_one(settings):
    drop(
        settings,
        "sora",
        "donnee_FCE_extract_1.csv",
        f"{SORA_HEADER}\n55208131766522,2026,mars,3,1,DDPP 75,\n",
        age=1,
    )
    drop(
        settings,
        "sora",
        "donnee_FCE_extract_2.csv",
        f"{SORA_HEADER}\n55208131766522,2026,avril,3,1,DDPP 75,\n"
        "55208131766522,2026,mai,3,1,DDPP 75,\n",
        age=2,
    )
    landed = collect(settings, INTERVENTIONS)
    assert [item.origin.rsplit("/", 1)[1] for item in landed] == ["donnee_FCE_extract_2.csv"]
    [(record, loaded)] = load_all(settings, INTERVENTIONS)
    assert record.rows_loaded == 2 and loaded
    assert collect(settings, INTERVENTIONS) == []  # same bytes: nothing new
    dates = pl.read_parquet(record.lake_path)["date_intervention"].to_list()
    assert dates == [dt.date(2026, 4, 3), dt.date(2026, 5, 3)]


def test_monthly_files_accumulate_and_a_newer_file_replaces_its_month(settings):
    for month, total in (("092026", 10), ("102026", 11), ("112026", 12)):
        drop(
            settings,
            "dsn_effectifs",
            f"TRANS-SISSMO-effectifs_{month}.csv",
            f"{DSN_HEADER}\n2026-08,55208131766522,{total},,,,,,,,2026/12/01\n",
            age=int(month[:2]),
        )
    assert len(collect(settings, EFFECTIFS)) == 3
    load_all(settings, EFFECTIFS)
    parts = sorted(r.lake_path.rsplit("/", 1)[1] for r in part_records(settings, EFFECTIFS))
    assert parts == ["2026-09-01.parquet", "2026-10-01.parquet", "2026-11-01.parquet"]

    drop(
        settings,
        "dsn_effectifs",
        "TRANS-SISSMO-effectifs_102026.csv",
        f"{DSN_HEADER}\n2026-09,55208131766522,40,,,,,,,,2026/12/02\n",
        age=20,
    )
    assert len(collect(settings, EFFECTIFS)) == 1
    load_all(settings, EFFECTIFS)
    frame = pl.read_parquet(settings.lake / "dsn_effectifs" / "*.parquet").sort("mois_fichier")
    assert frame["EFF_TOTAL"].to_list() == [10.0, 40.0, 12.0]
    assert frame["mois_fichier"].to_list() == [
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 1),
        dt.date(2026, 11, 1),
    ]


def test_control_units_arrive_as_json(settings):
    units = {
        "UC": [
            {
                "CODE_UC": "UC-75-01",
                "LIB_UC": "Unit&eacute; 1",
                "Courrier électronique": "uc@example.fr",
            }
        ]
    }
    drop(settings, "wikit", "20261201_WIKIT_UC.json", json.dumps(units, ensure_ascii=False))
    collect(settings, UNITES_CONTROLE)
    [(record, _)] = load_all(settings, UNITES_CONTROLE)
    assert pl.read_parquet(record.lake_path)["LIB_UC"].to_list() == ["Unité 1"]


def test_a_utf8_file_where_windows_1252_is_expected_is_refused(settings):
    header = ",".join(SRC.names)
    drop(
        settings,
        "src",
        "exportMSDC_src_1.csv",
        f"{header}\nD1,552081317,66522,11,Île-de-France,Contrôle,,,,N,,,\n",
    )
    collect(settings, SRC)
    with pytest.raises(ContractError, match="is UTF-8, but the contract expects windows-1252"):
        load_all(settings, SRC)


def test_a_source_that_dropped_nothing_gets_an_empty_dataset(settings):
    with pytest.raises(FileNotFoundError, match="has not dropped its export"):
        collect(settings, EFFECTIFS)
    record = write_empty(settings, EFFECTIFS)
    assert record.rows_loaded == 0
    empty = pl.read_parquet(record.lake_path)
    assert empty.height == 0 and empty.schema["mois_fichier"] == pl.Date
    drop(
        settings,
        "dsn_effectifs",
        "TRANS-SISSMO-effectifs_112026.csv",
        f"{DSN_HEADER}\n2026-10,55208131766522,3,,,,,,,,2026/12/01\n",
    )
    collect(settings, EFFECTIFS)
    load_all(settings, EFFECTIFS)
    assert sorted(p.name for p in (settings.lake / "dsn_effectifs").glob("*.parquet")) == [
        "2026-11-01.parquet"
    ]
