"""Run-time settings, read from the environment once per run.

The interface other tools drive the project through (kept stable, listed in README):

- ``FCE_WAREHOUSE``: data root, default ``./warehouse``.
- ``FCE_DOWNLOAD_MIRROR``: where public files come from. Unset: the embedded sample, generated on
  demand; ``origin``: the producers' real URLs; any ``http://``, ``https://`` or ``file://`` URL
  (or a local folder): a mirror holding the files under their origin names.
- ``FCE_AS_OF``: the reference date of a build, ``YYYY-MM-DD``, default today.
- ``FCE_INBOX``: the folder the services drop their files into, one sub-folder per source.
  Unset: the embedded sample inbox, generated on demand like the SIRENE sample.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

SAMPLE = "sample"
ORIGIN = "origin"


class ConfigError(ValueError):
    """A setting that cannot be used as given."""


@dataclass(frozen=True)
class Settings:
    """Resolved settings of one run; every path is absolute."""

    warehouse: Path
    mirror: str
    as_of: dt.date
    sample_etablissements: int = 2000
    inbox_folder: Path | None = None

    @property
    def inbox(self) -> Path:
        """The services' drop folder, or the sample inbox when FCE_INBOX is unset."""
        return self.inbox_folder or self.warehouse / "sample" / "inbox"

    @property
    def landing(self) -> Path:
        return self.warehouse / "landing"

    @property
    def lake(self) -> Path:
        return self.warehouse / "lake"

    @property
    def rejects(self) -> Path:
        return self.warehouse / "rejects"

    @property
    def work(self) -> Path:
        """Scratch space for archives being unpacked; emptied after each use."""
        return self.warehouse / "work"

    @property
    def build_db(self) -> Path:
        """dbt's staging and intermediate tables."""
        return self.warehouse / "build" / "fce.duckdb"

    @property
    def marts_db(self) -> Path:
        """dbt's marts and the nomenclatures they publish: the file the publication copies."""
        return self.warehouse / "build" / "marts.duckdb"

    @property
    def published_db(self) -> Path:
        return self.warehouse / "fce.duckdb"

    @property
    def sample_mirror(self) -> Path:
        return self.warehouse / "sample" / "mirror"


def _parse_as_of(raw: str | None) -> dt.date:
    if not raw:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ConfigError(f"FCE_AS_OF={raw!r} is not a date; write it as YYYY-MM-DD") from exc


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    """Read the settings from ``env`` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    warehouse = Path(env.get("FCE_WAREHOUSE") or "warehouse").expanduser().resolve()
    mirror = (env.get("FCE_DOWNLOAD_MIRROR") or SAMPLE).strip()
    if mirror not in (SAMPLE, ORIGIN) and "://" not in mirror:
        # A bare folder is accepted as a mirror and turned into a file URL.
        folder = Path(mirror).expanduser().resolve()
        if not folder.is_dir():
            raise ConfigError(
                f"FCE_DOWNLOAD_MIRROR={mirror!r} is neither 'origin', a URL nor an existing folder"
            )
        mirror = folder.as_uri()
    size = env.get("FCE_SAMPLE_ETABLISSEMENTS") or "2000"
    if not size.isdigit() or int(size) < 50:
        raise ConfigError(f"FCE_SAMPLE_ETABLISSEMENTS={size!r} must be a whole number >= 50")
    inbox = env.get("FCE_INBOX")
    return Settings(
        inbox_folder=Path(inbox).expanduser().resolve() if inbox else None,
        warehouse=warehouse,
        mirror=mirror,
        as_of=_parse_as_of(env.get("FCE_AS_OF")),
        sample_etablissements=int(size),
    )
