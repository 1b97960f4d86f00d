"""The git commit (and whether tracked files were changed) of the checkout hedgesim runs from."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from sim import provenance
from sim.runner import metadata, run_scenario
from sim.scenario.loader import load_scenario
from sim.sweep.sweep import metadata as sweep_metadata
from sim.sweep.sweep import prepare
from tests.conftest import ROOT


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def package_root(monkeypatch):
    """Point provenance at another directory, with a fresh cache."""
    def point(path: Path) -> None:
        monkeypatch.setattr(provenance, "PACKAGE_ROOT", path.resolve())
        provenance.git_state.cache_clear()
    yield point
    provenance.git_state.cache_clear()


def test_this_checkout_reports_its_head_and_dirty_flag() -> None:
    provenance.git_state.cache_clear()
    state = provenance.git_state()
    assert state is not None
    assert state["commit"] == _git(ROOT, "rev-parse", "HEAD")
    assert state["dirty"] == bool(_git(ROOT, "status", "--porcelain", "--untracked-files=no"))


def test_a_change_to_a_tracked_file_sets_dirty(tmp_path, package_root) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "sim").mkdir()
    (tmp_path / "sim" / "model.py").write_text("x = 1\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    package_root(tmp_path)
    assert provenance.git_state() == {"commit": _git(tmp_path, "rev-parse", "HEAD"), "dirty": False}
    (tmp_path / "untracked_output.csv").write_text("a\n")  # results beside the code are not changes
    provenance.git_state.cache_clear()
    assert provenance.git_state()["dirty"] is False
    (tmp_path / "sim" / "model.py").write_text("x = 2\n")
    provenance.git_state.cache_clear()
    assert provenance.git_state()["dirty"] is True


def test_no_checkout_or_someone_elses_repository_gives_none(tmp_path, package_root) -> None:
    package_root(tmp_path)
    assert provenance.git_state() is None  # not a repository at all
    _git(tmp_path, "init", "-q")
    installed = tmp_path / "venv" / "site-packages"  # a wheel installed inside another repository
    installed.mkdir(parents=True)
    package_root(installed)
    assert provenance.git_state() is None


def test_meta_json_records_it() -> None:
    result = run_scenario(load_scenario("four_nos_relaxed").model_copy(update={"months": 2}), seed=1)
    provenance.git_state.cache_clear()
    assert metadata(result, argv=["hedgesim"])["git"] == provenance.git_state()


def test_experiment_json_records_it() -> None:
    experiment, design, _, base_hash = prepare("demo")
    provenance.git_state.cache_clear()
    assert sweep_metadata(experiment, base_hash, design, ["hedgesim"])["git"] == provenance.git_state()


def test_numpy_simd_is_recorded_beside_the_run_and_the_sweep() -> None:
    """The extensions numpy dispatches to on this CPU (with AVX-512 its exp and log are its own),
    recorded beside the run and the sweep, as JSON lists of names."""
    found = provenance.numpy_simd()
    assert found and all(isinstance(x, str) and x for x in found)
    result = run_scenario(load_scenario("four_nos_relaxed").model_copy(update={"months": 2}), seed=1)
    assert json.loads(json.dumps(metadata(result, argv=["hedgesim"])))["numpy_simd"] == list(found)
    experiment, design, _, base_hash = prepare("demo")
    assert sweep_metadata(experiment, base_hash, design, ["hedgesim"])["numpy_simd"] == found
