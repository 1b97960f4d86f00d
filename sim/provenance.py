"""Which code produced a result: the git commit of the checkout hedgesim runs from, if any.

Recorded in meta.json and experiment.json beside the versions and hashes, so a figure can be traced to
the exact source. Only the checkout that holds this very package counts (an editable install or a
clone on ``PYTHONPATH``); an installed wheel has no commit, even when run inside some other repository.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # the directory holding ``sim``

#: Which numbers a seed gives. Bumped whenever the same seed and inputs give different results on
#: purpose (a new random-number scheme, a changed mechanism), and recorded beside every result
#: (``results_version``); a resumed sweep or calibration refuses to mix results of two versions.
#: 1: one numpy Generator per replicate; 2: counter-based Philox streams (sim/streams.py).
RESULTS_VERSION = 2


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(PACKAGE_ROOT), *args], capture_output=True, text=True,
                              timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@cache
def git_state() -> dict[str, str | bool] | None:
    """``{"commit": <sha>, "dirty": <tracked files changed>}`` for a checkout, else ``None``."""
    if shutil.which("git") is None:
        return None
    top = _git("rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != PACKAGE_ROOT:
        return None
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    if commit is None or status is None:
        return None
    return {"commit": commit, "dirty": bool(status)}
