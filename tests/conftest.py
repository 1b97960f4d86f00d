"""Shared fixtures: scenario paths and small helpers."""

from __future__ import annotations

import time
from collections.abc import Callable
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


POLL_DEADLINE = 60.0  # seconds; generous, for a loaded 2-core CI machine


def poll(condition: Callable[[], bool], what: str, deadline: float = POLL_DEADLINE) -> None:
    """Wait for a state, never for a fixed time: check ``condition`` until it holds or the deadline
    passes (then fail naming ``what``)."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
