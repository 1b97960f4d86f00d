"""The wheel a user installs: built from the checkout's files, installed with its dependencies into a
fresh virtual environment (no system site-packages, no PYTHONPATH), and run from another directory.

Slow (a minute or two for the dependencies; pip's cache makes a second run faster), so it is one test:
under pytest-xdist each test of a module may land on a different worker and would build its own venv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from sim.bundled import experiment_files, scenario_files
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

INSTALL_TIMEOUT = 1800  # seconds; a generous bound for a cold pip cache on a loaded machine
RUN_TIMEOUT = 900


def _checkout_files() -> list[str]:
    """Tracked and new (not ignored) files of the checkout: what a fresh clone plus this work holds."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("the wheel test builds from a git checkout; git or .git is missing")
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return [f for f in out.split("\0") if f and (ROOT / f).exists()]


def _copy_checkout(dest: Path) -> Path:
    for rel in _checkout_files():
        src, dst = ROOT / rel, dest / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, dst)
    return dest


def _clean_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
    env["MPLBACKEND"] = "Agg"
    return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = RUN_TIMEOUT) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_wheel_installs_into_a_fresh_venv_and_runs_from_anywhere(tmp_path: Path) -> None:
    source = _copy_checkout(tmp_path / "src")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
                   check=True, capture_output=True, timeout=INSTALL_TIMEOUT)
    (wheel,) = dist.glob("hedgesim-*.whl")

    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = sorted(f for f in _checkout_files() if f.startswith("sim/bundled/") and not f.endswith(".py"))
    assert bundled, "no bundled data files found in the checkout"
    assert [f for f in bundled if f not in names] == [], "bundled files missing from the wheel"
    assert "sim/py.typed" in names
    assert "sim/viz/assets/custom.js" in names  # the page's early import of plotly's bundle
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=RUN_TIMEOUT)
    env = _clean_env(venv)
    python = str(venv / "bin" / "python")
    started = time.monotonic()
    # --no-compile: byte-compiling every dependency is most of the install's CPU time, and Python
    # compiles what it imports anyway; pip's cache (filled by the editable install) supplies the wheels.
    _run([python, "-m", "pip", "install", "-q", "--no-compile", str(wheel)], tmp_path, env,
         timeout=INSTALL_TIMEOUT)
    print(f"wheel + dependencies installed into a fresh venv in {time.monotonic() - started:.0f} s")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run([python, "-c", "import sim; print(sim.__file__)"],
                 elsewhere, env)
    assert str(venv) in where.splitlines()[0], f"sim imported from outside the venv: {where}"

    listing = _run(["hedgesim", "list"], elsewhere, env)
    for path in [*scenario_files(), *experiment_files()]:
        assert f"  {path.stem} " in listing, f"hedgesim list does not show {path.stem}:\n{listing}"

    for path in scenario_files():
        out = elsewhere / "runs" / path.stem
        _run(["hedgesim", "run", path.stem, "--no-plots", "--out", str(out)], elsewhere, env)
        assert (out / "series.csv").stat().st_size > 0
        meta = json.loads((out / "meta.json").read_text())
        assert meta["scenario"] == path.stem
        assert meta["git"] is None, "an installed wheel has no git commit"

    # the page's module and its live chart widget import from the declared dependencies alone
    _run([python, "-c", "import sim.viz.app, plotly.graph_objects as go; go.FigureWidget()"], elsewhere, env)

    checks = "; ".join(f"load_experiment({p.stem!r})" for p in experiment_files())
    _run([python, "-c", f"from sim.sweep.experiment import load_experiment; {checks}"], elsewhere, env)
    _run(["hedgesim", "sweep", "demo", "--no-progress", "--out", str(elsewhere / "demo")], elsewhere, env)
    assert json.loads((elsewhere / "demo" / "experiment.json").read_text())["git"] is None

    value = _run([python, "-c", "import json, sim; print(json.dumps(sim.evaluate("
                  "'south_china_sea_flareup', seed=1, **{'agents.china.assertiveness': 0.7})))"],
                 elsewhere, env)
    outcomes = json.loads(value)
    assert outcomes and all(isinstance(v, (int, float)) for v in outcomes.values())
