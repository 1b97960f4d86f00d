"""Command-line conveniences: ``--set PATH=VALUE`` checked like YAML, a help that shows every command
with an example, and ``sim.evaluate`` reading a scenario file once until it changes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli import EXAMPLES, build_parser, main
from sim.scenario import loader
from tests.test_cli import run_cli


@pytest.fixture
def short(tmp_path: Path) -> Path:
    path = tmp_path / "short.yaml"
    path.write_text("extends: south_china_sea_flareup\nname: short\nmonths: 12\n")
    return path


# ------------------------------------------------------------------------------------ --set
def test_set_replaces_values_and_the_run_records_them(short, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["run", str(short), "--no-plots", "--out", str(out), "--seed", "3",
                 "--set", "agents.china.assertiveness=0.3", "--set", "rules.no_force.enabled=false"]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["resolved_scenario"]["agents"]["china"]["assertiveness"] == 0.3
    assert meta["resolved_scenario"]["rules"]["no_force"]["enabled"] is False
    assert "--set" in meta["command"]
    plain = tmp_path / "plain"
    assert main(["run", str(short), "--no-plots", "--out", str(plain), "--seed", "3"]) == 0
    assert not pd.read_csv(out / "series.csv").equals(pd.read_csv(plain / "series.csv"))


@pytest.mark.parametrize(("setting", "message"), [
    ("agents.china.assertivenes=0.7", "--set: agents.china.assertivenes: names no value of the scenario "
                                      "(did you mean 'agents.china.assertiveness'?)"),
    ("agents.china.assertiveness=1.7", "--set: agents.china.assertiveness: "),
    ("agents.china.assertiveness=abc", "--set: agents.china.assertiveness: "),
    ("agents.china.assertiveness=.nan", "--set: agents.china.assertiveness: "),
    ("agents.china.assertiveness=[", "--set: agents.china.assertiveness: '[' is not a YAML value"),
    ("assertiveness", "--set: expected PATH=VALUE, got 'assertiveness'"),
])
@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_bad_set_is_one_line_and_exit_2_with_nothing_written(short, tmp_path, capsys, setting, message,
                                                               command) -> None:
    out = tmp_path / "out"
    extra = ["--replicates", "2"] if command == "validate" else ["--no-plots"]
    assert main([command, str(short), "--out", str(out), *extra, "--set", setting]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(message), err
    assert not out.exists()


def test_set_on_validate_changes_the_runs(short, capsys) -> None:
    assert main(["validate", str(short), "--replicates", "2", "--set", "rules.no_force.enabled=false"]) in (0, 1)
    assert "short" in capsys.readouterr().out


# ------------------------------------------------------------------------------------ --help
def test_help_lists_every_command_with_an_example() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert set(commands) == set(EXAMPLES), "every command needs an example in sim.cli.EXAMPLES"
    text = run_cli("--help").stdout
    for name, example in EXAMPLES.items():
        assert f"  {name} " in text and example in text, name
        assert example.split()[1] == name
        assert example in commands[name].format_help()


def test_every_example_parses() -> None:
    parser = build_parser()
    for example in EXAMPLES.values():
        args = parser.parse_args(example.split()[1:])
        assert args.func is not None


# ------------------------------------------------------------------------------------ evaluate's cache
def test_evaluate_reads_a_scenario_once_until_a_file_changes(tmp_path, monkeypatch) -> None:
    parent = tmp_path / "parent.yaml"
    parent.write_text((loader.SCENARIOS_DIR / "south_china_sea_flareup.yaml").read_text())
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent.yaml\nname: child\nmonths: 12\n")
    reads: list[str] = []
    real = loader._read_yaml
    monkeypatch.setattr(loader, "_read_yaml", lambda f: (reads.append(Path(f).name), real(f))[1])
    monkeypatch.setattr(loader, "_LOADED", {})

    first = sim.evaluate(str(child), seed=1)
    once = sorted(reads)  # the child, the parent and the bundled scenario the parent extends
    assert {"child.yaml", "parent.yaml"} < set(once)
    assert sim.evaluate(str(child), seed=1) == first
    sim.evaluate(str(child), seed=2, **{"agents.china.assertiveness": 0.9})  # overrides: still no read
    assert sorted(reads) == once, "read again though nothing changed"

    # only the parent changes: both are read again
    parent.write_text(parent.read_text() + "# edited\n")
    stat = parent.stat()
    os.utime(parent, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # coarse clocks
    sim.evaluate(str(child), seed=1)
    assert sorted(reads) == sorted(once * 2)
    # the child changes: the change takes effect
    child.write_text("extends: parent.yaml\nname: child_edited\nmonths: 12\n")
    stat = child.stat()
    os.utime(child, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    assert loader.load_scenario_cached(str(child)).name == "child_edited"


def test_the_cache_does_not_hide_a_deleted_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(loader, "_LOADED", {})
    path = tmp_path / "gone.yaml"
    path.write_text("extends: south_china_sea_flareup\nname: gone\nmonths: 12\n")
    assert loader.load_scenario_cached(path).name == "gone"
    path.unlink()
    with pytest.raises(loader.ScenarioError):
        loader.load_scenario_cached(path)

