"""End to end: `hedgesim run | list` in a temporary directory, as a user would."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from sim.cli import main
from sim.rules import RULES
from sim.scenario.loader import BUNDLED_DIR, bundled_scenarios
from tests.test_model import REQUIRED

FLAREUP = str(BUNDLED_DIR / "south_china_sea_flareup.yaml")


def test_run_writes_series_actions_meta_and_figures(tmp_path):
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", FLAREUP, "--seed", "4", "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "crises opened" in done.stdout and str(out) in done.stdout
    series = pd.read_csv(out / "series.csv")
    assert set(REQUIRED) <= set(series.columns) and len(series) == 60
    actions = pd.read_csv(out / "actions.csv")
    assert {"step", "date", "actor", "action", "target", "rules"} <= set(actions.columns)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seed"] == 4 and len(meta["scenario_hash"]) == 64
    assert {"hedgesim_version", "mesa_version", "started_at", "scenario"} <= set(meta)
    for ext in ("png", "pdf"):
        assert (out / "plots" / f"overview.{ext}").stat().st_size > 10_000


def test_same_seed_byte_identical_and_force_needed_to_replace(tmp_path, capsys):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert main(["run", FLAREUP, "--seed", "9", "--out", str(a), "--no-plots"]) == 0
    assert main(["run", FLAREUP, "--seed", "9", "--out", str(b), "--no-plots"]) == 0
    assert main(["run", FLAREUP, "--seed", "10", "--out", str(c), "--no-plots"]) == 0
    assert (a / "series.csv").read_bytes() == (b / "series.csv").read_bytes()
    assert (a / "series.csv").read_bytes() != (c / "series.csv").read_bytes()
    before = (c / "series.csv").read_bytes()
    capsys.readouterr()
    assert main(["run", FLAREUP, "--seed", "9", "--out", str(c), "--no-plots"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (c / "series.csv").read_bytes() == before, "nothing overwritten without --force"
    assert main(["run", FLAREUP, "--seed", "9", "--out", str(c), "--no-plots", "--force"]) == 0
    assert (c / "series.csv").read_bytes() == (a / "series.csv").read_bytes()


def test_replicates_give_one_table_and_an_ensemble_figure(tmp_path):
    out = tmp_path / "ens"
    assert main(["run", FLAREUP, "--replicates", "3", "--out", str(out)]) == 0
    series = pd.read_csv(out / "series.csv")
    assert sorted(series["replicate"].unique()) == [0, 1, 2] and series["seed"].nunique() == 3
    assert (out / "plots" / "ensemble.png").exists()


def test_bad_scenario_exit_2_no_traceback_no_directory(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"name: bad\ndescription: d\nextends: {FLAREUP}\nagents:\n  china: {{assertiveness: 9}}\n")
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(bad)], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 2
    assert f"{bad}:5: agents.china.assertiveness:" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists()


def test_a_scenario_name_never_escapes_the_runs_directory(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text(f"name: ../../evil\ndescription: d\nextends: {FLAREUP}\nmonths: 12\n")
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(evil), "--no-plots"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = [p for p in tmp_path.rglob("series.csv")]
    assert len(written) == 1 and (tmp_path / "runs") in written[0].parents
    assert not (tmp_path.parent / "evil").exists()


def test_list_shows_every_scenario_and_rule(capsys):
    assert main(["list"]) == 0
    text = capsys.readouterr().out
    for path in bundled_scenarios():
        assert path.stem in text
    for rid, cls in RULES.items():
        assert rid in text and cls.source[:20] in text


def test_list_into_a_closed_pipe_is_quiet(tmp_path):
    done = subprocess.run(f"{sys.executable} -m sim.cli list | head -1", shell=True, capture_output=True,
                          text=True, cwd=tmp_path)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
