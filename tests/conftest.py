"""Shared fixtures: scenario paths and small helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario.loader import bundled_scenarios

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = bundled_scenarios()


@pytest.fixture
def write_yaml(tmp_path: Path):
    """Write a YAML text to a file in tmp_path and return its path."""

    def _write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return _write
