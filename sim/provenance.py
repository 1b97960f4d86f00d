"""Which code produced a result: the git commit of the checkout hedgesim runs from, if any, and
the CPU extensions numpy computes with.

Recorded in meta.json and experiment.json beside the versions and hashes, so a figure can be traced to
the exact source. Only the checkout that holds this very package counts (an editable install or a
clone on ``PYTHONPATH``); an installed wheel has no commit, even when run inside some other repository.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

import numpy as np

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


@cache
def numpy_simd() -> tuple[str, ...] | None:
    """The SIMD extensions numpy found on this CPU and dispatches to (``numpy.show_config``), or
    ``None`` where numpy does not say. With AVX-512 (``X86_V4``, ``AVX512_*``) numpy's ``exp`` and
    ``log`` are its own vectorised ones, which differ from the C library's in the last bit for some
    values: the same seed's monthly series then differ by up to ~7e-15 relative in ~0.5 % of their
    values (README, "Running scenarios"). Recorded beside every result so such a difference can be
    traced."""
    try:
        found = np.show_config(mode="dicts")["SIMD Extensions"]["found"]
    except (TypeError, KeyError, ValueError):
        return None
    return tuple(str(x) for x in found)
