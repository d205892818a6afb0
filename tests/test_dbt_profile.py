"""The dbt profile opens the build database the way dbt-duckdb does, and keeps working after a
query spilled to disk (DuckDB refuses to set the spill folder again once it has been used)."""

from pathlib import Path

import jinja2
import yaml
from dbt.adapters.duckdb import environments
from dbt.adapters.duckdb.credentials import DuckDBCredentials

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "dbt_project" / "profiles.yml"


def build_output(env: dict[str, str]) -> dict:
    """The ``build`` output of the profile, rendered as dbt renders it (``env_var``)."""

    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        assert default is not None, f"{name} has no default in the profile"
        return default

    text = jinja2.Template(PROFILE.read_text(encoding="utf-8")).render(env_var=env_var)
    return yaml.safe_load(text)["fce"]["outputs"]["build"]


def test_memory_limit_and_spill_folder_are_set_once_when_the_database_opens(tmp_path):
    output = build_output({"FCE_WAREHOUSE": str(tmp_path)})
    assert "temp_directory" not in (output.get("settings") or {})
    assert output["config_options"]["temp_directory"] == f"{tmp_path}/build/spill"
    assert output["config_options"]["memory_limit"] == "6GB"


def test_new_cursors_after_a_spill_keep_working(tmp_path):
    (tmp_path / "build").mkdir()
    output = build_output({"FCE_WAREHOUSE": str(tmp_path), "FCE_DUCKDB_MEMORY_LIMIT": "64MB"})
    fields = {k: v for k, v in output.items() if k not in ("type", "threads")}
    env = environments.create(DuckDBCredentials.from_dict(fields))
    try:
        first = env.handle()
        cursor = first.cursor()
        cursor.execute(
            "create table t as select range as i, md5(range::varchar) as s from range(3000000)"
        )
        # an aggregate over more distinct keys than the memory limit holds: it spills
        assert cursor.execute("select count(*) from (select s from t group by s)").fetchone() == (
            3_000_000,
        )
        assert (tmp_path / "build" / "spill").is_dir()
        # dbt opens a cursor per model and thread; each runs the profile's settings again
        second = env.handle().cursor()
        assert second.execute("select current_setting('temp_directory')").fetchone() == (
            f"{tmp_path}/build/spill",
        )
        assert second.execute("select count(*) from t").fetchone() == (3_000_000,)
    finally:
        env.close()
