"""End to end: ``hedgesim run | list | validate`` in a temporary directory.

Most tests call :func:`sim.cli.main` in-process (fast); a few start a real ``python -m sim.cli``
from the worktree to check what a user's shell sees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.rules import RULES
from sim.scenario.loader import bundled_scenarios, load_scenario
from tests.conftest import ROOT

SERIES_COLUMNS = ["step", "date", "hedging_index", "tension_china", "crisis", "escalation", "use_of_force",
                  "threat_china", "tier_china", "tier_united_states", "tier_japan", "tier_russia",
                  "russia_arms_share", "assurance_acts", "four_nos_violations", "china_coercion"]
ACTION_COLUMNS = ["step", "date", "actor", "action", "target", "rules"]


@pytest.fixture
def short(tmp_path: Path) -> Path:
    """A year of the flare-up (its dated events all fall in 2025), with an added partner."""
    path = tmp_path / "short.yaml"
    path.write_text("extends: south_china_sea_flareup\nname: short\nmonths: 12\n"
                    "agents:\n  india: {type: partner, tier: 1}\n")
    return path


def run_cli(*args: str, cwd: Path = ROOT, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, input=stdin, timeout=120)


# ------------------------------------------------------------------------------------ run
def test_run_writes_series_actions_meta_and_figures(short, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(short), "--out", str(out), "--seed", "7"]) == 0
    assert "wrote" in capsys.readouterr().out

    series = pd.read_csv(out / "series.csv")
    partners = load_scenario(short).partners
    assert partners == ("china", "united_states", "japan", "russia", "australia", "india", "south_korea")
    assert set(SERIES_COLUMNS) <= set(series.columns)
    assert {f"trust_{p}" for p in partners} <= set(series.columns)
    assert len(series) == 12 and list(series["step"]) == list(range(1, 13))
    assert series["date"].iloc[0] == "2025-01"

    actions = pd.read_csv(out / "actions.csv")
    assert list(actions.columns[:6]) == ACTION_COLUMNS
    assert set(actions["actor"]) >= {"vietnam", "china"}

    meta = json.loads((out / "meta.json").read_text())
    assert meta["scenario"] == "short"
    assert len(meta["scenario_hash"]) == 64
    assert meta["seed"] == 7
    assert meta["hedgesim_version"] and meta["mesa_version"] and meta["python_version"]
    assert meta["started_at"]
    assert meta["command"] == ["hedgesim", "run", str(short), "--out", str(out), "--seed", "7"]

    for suffix in ("png", "pdf"):
        assert list((out / "plots").glob(f"*.{suffix}")), f"no .{suffix} figure"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no temporary left"


def test_same_seed_gives_byte_identical_series_and_another_seed_differs(short, tmp_path):
    outs = {name: tmp_path / name for name in ("a", "b", "c")}
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        assert main(["run", str(short), "--out", str(outs[name]), "--seed", seed, "--no-plots"]) == 0
    a, b, c = ((outs[n] / "series.csv").read_bytes() for n in "abc")
    assert a == b
    assert a != c
    assert (outs["a"] / "actions.csv").read_bytes() == (outs["b"] / "actions.csv").read_bytes()


def test_replicates_add_a_replicate_column_and_an_ensemble_figure(short, tmp_path):
    out = tmp_path / "ens"
    assert main(["run", str(short), "--out", str(out), "--replicates", "3"]) == 0
    series = pd.read_csv(out / "series.csv")
    assert sorted(series["replicate"].unique()) == [0, 1, 2]
    assert len(series) == 3 * 12
    assert (out / "plots" / "ensemble.png").is_file() and (out / "plots" / "ensemble.pdf").is_file()
    assert len(json.loads((out / "meta.json").read_text())["seeds"]) == 3


def test_existing_output_is_kept_without_force_and_only_our_own_is_replaced_with_it(short, tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["run", str(short), "--out", str(out), "--no-plots"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["run", str(short), "--out", str(out), "--no-plots", "--force"]) == 2
    assert "not written by hedgesim" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "mine"

    ours = tmp_path / "ours"
    assert main(["run", str(short), "--out", str(ours), "--no-plots", "--seed", "1"]) == 0
    assert main(["run", str(short), "--out", str(ours), "--no-plots", "--seed", "2", "--force"]) == 0
    assert json.loads((ours / "meta.json").read_text())["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours", "short.yaml", "taken"], "nothing beside it"


def test_bad_scenario_exits_2_with_file_line_and_leaves_no_directory(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: south_china_sea_flareup\nagents:\n  china: {assertivness: 0.9}\n")
    out = tmp_path / "never"
    assert main(["run", str(bad), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == (f"{bad}:3: agents.china.assertivness: unknown key "
                                    "(did you mean 'assertiveness'?)")
    assert captured.out == ""
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_scenario_name_cannot_escape_the_runs_directory(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    evil = work / "evil.yaml"
    evil.write_text("extends: south_china_sea_flareup\nname: ../../evil\nmonths: 12\n")
    monkeypatch.chdir(work)
    assert main(["run", str(evil), "--no-plots", "--seed", "1"]) == 0
    written = [p.parent for p in (work / "runs").rglob("series.csv")]
    assert written == [work / "runs" / "evil" / "seed-1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"], "nothing written outside the cwd"


def test_real_process_run_and_bad_input(short, tmp_path):
    out = tmp_path / "proc"
    ok = run_cli("run", str(short), "--out", str(out), "--seed", "3", "--no-plots")
    assert ok.returncode == 0, ok.stderr
    assert (out / "series.csv").is_file() and (out / "meta.json").is_file()

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: broken\nmonths: [12\n")
    failed = run_cli("run", str(bad), "--out", str(tmp_path / "nope"))
    assert failed.returncode == 2
    assert failed.stderr.startswith(f"{bad}:")
    assert "Traceback" not in failed.stderr
    assert not (tmp_path / "nope").exists()


# ------------------------------------------------------------------------------------ list, validate
def test_list_names_every_bundled_scenario_and_every_rule(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for path in bundled_scenarios():
        assert load_scenario(path).name in out
    for rule_id in RULES:
        assert rule_id in out


def test_list_into_a_closed_pipe_is_quiet():
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "list"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    proc.stdout.close()  # the reader is gone before the first line (as with `| head` finishing)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) in (0, 1)
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_validate_runs_with_few_replicates(capsys):
    assert main(["validate", "--replicates", "5", "--seed", "1"]) in (0, 1)
    out = capsys.readouterr().out
    assert "historical_2013_2024: 5 replicates in lockstep, seed 1" in out


def test_negative_seed_is_a_usage_error(short, capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", str(short), "--seed", "-1"])
    assert info.value.code == 2
    assert "--seed" in capsys.readouterr().err


def test_an_out_under_a_file_is_a_clear_error_and_no_plots_is_reported_honestly(tmp_path, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("not a directory")
    assert main(["run", "south_china_sea_flareup", "--out", str(blocker / "sub"), "--no-plots"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main(["run", "south_china_sea_flareup", "--out", str(tmp_path / "np"), "--no-plots"]) == 0
    assert "plots" not in capsys.readouterr().out.splitlines()[-1]


def test_no_module_defines_anything_after_its_main_guard() -> None:
    """``python -m sim.x`` runs ``main()`` at the ``if __name__ == "__main__":`` guard: a function
    defined below it does not exist yet when ``main`` calls it (``python -m sim.sweep.screening
    report`` failed so, with a NameError on ``strongest_first``)."""
    import ast
    from pathlib import Path

    import sim

    late = []
    for path in Path(sim.__file__).parent.rglob("*.py"):
        body = ast.parse(path.read_text(encoding="utf-8")).body
        guards = [i for i, node in enumerate(body) if isinstance(node, ast.If)
                  and "__main__" in ast.unparse(node.test)]
        if guards:
            late += [f"{path.name}:{node.lineno}" for node in body[guards[0] + 1:]
                     if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Assign)]
    assert late == []
