"""Runs killed half-way: pause points to kill a run at a chosen step, and the sweep of what a
killed run leaves behind.

``pause_point`` exists for the kill tests (``tests/test_kill.py``): a test sets
``FCE_PAUSE_AT`` to the name of one point and ``FCE_PAUSE_MARKER`` to a file path, starts a run,
waits for the marker and kills the run there. Production never sets ``FCE_PAUSE_AT``, so each
point costs one environment lookup.

``remove_abandoned`` deletes temporary files whose name carries the id of a process that no
longer runs. A process id can be reused: a file of a killed run whose id now belongs to another
process stays until that process ends.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

log = logging.getLogger("fce.faults")

PAUSE_SECONDS = 600
"""How long a paused process waits for its kill before going on (the test failed by then)."""


def pause_point(name: str) -> None:
    """When ``FCE_PAUSE_AT`` is ``name``, write the marker file, then sleep so a test can kill."""
    if os.environ.get("FCE_PAUSE_AT") != name:
        return
    marker = Path(os.environ["FCE_PAUSE_MARKER"])
    tmp = marker.with_name(f".{marker.name}.{os.getpid()}.tmp")
    tmp.write_text(f"{name} {os.getpid()}\n", encoding="utf-8")
    os.replace(tmp, marker)
    time.sleep(PAUSE_SECONDS)


def pid_alive(pid: int) -> bool:
    """Whether a process of that id runs (one of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def remove_abandoned(folder: Path, pattern: str) -> list[Path]:
    """Delete the files (or folders) of ``folder`` matching ``pattern`` whose writer is gone.

    The writer is the first all-digit dot-separated part of the name (``.x.1234.tmp``); files
    without one are left alone. Returns the deleted paths.
    """
    removed = []
    for path in folder.glob(pattern):
        pid = next((part for part in path.name.split(".") if part.isdigit()), None)
        if pid is None or pid_alive(int(pid)):
            continue
        log.warning("removing %s, left by a run that was killed", path)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed
