"""Files shipped inside the package: scenarios, experiments, calibrations and observed data.

They live in ``sim/bundled/`` so that a wheel carries them (``pyproject.toml`` lists them as package
data) and are located through :mod:`importlib.resources`, not a path relative to a checkout; a clone
also has ``scenarios/`` and ``experiments/`` at the top level as links to these folders.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

ROOT = Path(str(files(__name__)))  # pip installs packages as folders, so this is a real directory
SCENARIOS_DIR = ROOT / "scenarios"
EXPERIMENTS_DIR = ROOT / "experiments"
OBSERVED_DIR = ROOT / "observed"
CALIBRATIONS_DIR = ROOT / "calibrations"


def recorded_path(path: Path) -> str:
    """How outputs record a file they were made from: a bundled file by its place in the package
    (``sim/bundled/calibrations/abc_2013_2019.yaml``, the same on every machine), any other file by
    its absolute path."""
    try:
        return str(Path("sim", "bundled", path.resolve().relative_to(ROOT.resolve())))
    except ValueError:
        return str(path.resolve())


def scenario_files() -> list[Path]:
    """The bundled scenario files, by name."""
    return sorted(SCENARIOS_DIR.glob("*.yaml"))


def experiment_files() -> list[Path]:
    """The bundled experiment files, by name."""
    return sorted(EXPERIMENTS_DIR.glob("*.yaml"))


def bundled_path(ref: str | Path, folder: Path) -> Path:
    """A reference to a file: a path, or the name of a bundled file in ``folder`` (``demo``)."""
    path = Path(ref)
    if path.is_file():
        return path
    named = folder / f"{ref}.yaml"
    return named if named.is_file() else path


def experiment_path(ref: str | Path) -> Path:
    """An experiment reference: a path, or the name of a bundled experiment (``demo``)."""
    return bundled_path(ref, EXPERIMENTS_DIR)


def calibration_path(ref: str | Path) -> Path:
    """A calibration reference: a path, or the name of a bundled calibration (``abc_2013_2019``)."""
    return bundled_path(ref, CALIBRATIONS_DIR)
