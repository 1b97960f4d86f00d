"""Pattern-oriented validation: the historical replay reproduces domain.md's patterns over many
seeds, and the counterfactuals break the ones they should."""

from __future__ import annotations

import subprocess
import sys

from sim import load_scenario
from sim.validation import democracy_contrast, report, run_replicates


def test_historical_replay_reproduces_every_pattern():
    table = report(run_replicates(load_scenario("historical_2013_2024"), seed=5, replicates=40))
    failing = table[table["holds"] == False]  # noqa: E712  (None means no runs to judge)
    assert failing.empty, failing[["measure", "mean", "expected"]].to_string()


def test_relaxing_the_four_nos_breaks_pattern_two():
    runs = run_replicates(load_scenario("four_nos_relaxed"), seed=5, replicates=30)
    table = report(runs).set_index("measure")
    assert table.loc["Four-Nos violations per run", "mean"] > 0
    assert not table.loc["Four-Nos violations per run", "holds"]


def test_democracy_promotion_contrast():
    contrast = democracy_contrast(load_scenario("historical_2013_2024"), seed=5, replicates=30)
    assert contrast["high"] < contrast["low"] / 2


def test_validate_command_exit_codes(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "sim.cli", "validate", "--replicates", "20",
                         "--out", str(tmp_path / "v.csv")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert (tmp_path / "v.csv").read_text().startswith("pattern,measure")
    broken = subprocess.run([sys.executable, "-m", "sim.cli", "validate", "four_nos_relaxed",
                             "--replicates", "20"], capture_output=True, text=True)
    assert broken.returncode == 1
    assert "NO" in broken.stdout
