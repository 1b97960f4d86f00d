"""Nothing a user wrote is ever lost (issue 8): ``--force`` guards, atomic creation, locks before
deletion, corrupt parts, orphan workers, and one clear line instead of a traceback.

Full disks and read-only filesystems are simulated by making the write raise the OSError the
kernel would (tests run as root, which ignores permission bits). Every wait polls for a state with
a generous deadline; no test depends on timing.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.outputs import (
    RUN_LAYOUT,
    SWEEP_LAYOUT,
    OutputKind,
    OutputRefusedError,
    foreign_entries,
    publish,
    remove_stale_staging,
    staging,
    write_file,
)
from sim.scenario.loader import BUNDLED_DIR
from sim.sweep.store import ResultStore
from tests.conftest import POLL_DEADLINE, ROOT, poll

DEADLINE = POLL_DEADLINE


@pytest.fixture
def short(tmp_path: Path) -> Path:
    path = tmp_path / "short.yaml"
    path.write_text(f"extends: {BUNDLED_DIR / 'south_china_sea_flareup.yaml'}\nname: short\nmonths: 12\n")
    return path


TINY = """
    replicates: 3
    seed: 5
    design:
      method: grid
      samples: 2
      parameters:
        agents.china.assertiveness: [0.3, 0.9]
    outcomes:
      mean_hedging_index: {series: hedging_index, reduce: mean}
      crises: {series: crisis_count, reduce: last}
    """


@pytest.fixture
def experiment(tmp_path: Path, short: Path) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(f"name: tiny\nscenario: {short}\n" + textwrap.dedent(TINY))
    return path


def sweep(exp: Path, out: Path, *extra: str) -> int:
    return main(["sweep", str(exp), "--out", str(out), "--no-progress", "--no-analyze", "--chunk-runs", "1",
                 "--workers", "1", *extra])


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def cli(*args: str, cwd: Path = ROOT, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "sim.cli", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ============================================================================ 1. --force and run
def test_run_force_never_replaces_a_directory_of_someone_elses_files(short, tmp_path, capsys):
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents" / "thesis.tex").write_text("years of work")
    home.chmod(0o751)
    before = tree(home)
    assert main(["run", str(short), "--out", str(home), "--force", "--no-plots"]) == 2
    assert "not written by hedgesim" in one_line(capsys.readouterr().err)
    assert tree(home) == before and stat.S_IMODE(home.stat().st_mode) == 0o751
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "short.yaml"], "no staging left"


def test_run_force_replaces_its_own_directory_but_not_one_a_user_added_files_to(short, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(short), "--out", str(out), "--no-plots", "--seed", "1"]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~_umask(), "the user's usual mode, not 0700"
    out.chmod(0o750)
    assert main(["run", str(short), "--out", str(out), "--no-plots", "--seed", "2", "--force"]) == 0
    assert json.loads((out / "meta.json").read_text())["seed"] == 2
    assert stat.S_IMODE(out.stat().st_mode) == 0o750, "a replaced directory keeps its mode"

    (out / "NOTES.txt").write_text("my reading of seed 2")
    (out / "plots").mkdir(exist_ok=True)
    (out / "plots" / "draft.svg").write_text("<svg/>")
    capsys.readouterr()
    assert main(["run", str(short), "--out", str(out), "--no-plots", "--seed", "3", "--force"]) == 2
    err = one_line(capsys.readouterr().err)
    assert "NOTES.txt" in err and "plots/draft.svg" in err
    assert (out / "NOTES.txt").read_text() == "my reading of seed 2"
    assert json.loads((out / "meta.json").read_text())["seed"] == 2


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("where", [".", "..", "~", "/"])
@pytest.mark.parametrize("command", ["run", "sweep", "validate"])
@pytest.mark.parametrize("force", [False, True])
def test_dangerous_outputs_are_always_refused(short, experiment, tmp_path, monkeypatch, capsys, where,
                                             command, force):
    work = tmp_path / "home" / "work"
    work.mkdir(parents=True)
    (work / "keep.txt").write_text("mine")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(work)
    before = tree(tmp_path)
    target = {"run": [str(short), "--no-plots"], "sweep": [str(experiment), "--no-progress"],
              "validate": ["south_china_sea_flareup", "--replicates", "2"]}[command]
    out = str(Path(where).expanduser())
    assert main([command, *target, "--out", out, *(["--force"] if force else [])]) == 2
    assert "refusing" in one_line(capsys.readouterr().err)
    after = {k: v for k, v in tree(tmp_path).items() if not k.startswith("home/.cache/")}  # matplotlib's
    assert after == before


def test_force_on_a_file_or_a_link_refuses_and_leaves_nothing_beside_it(short, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    target = tmp_path / "target"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    for out in (afile, link):
        assert main(["run", str(short), "--out", str(out), "--no-plots", "--force"]) == 2
        one_line(capsys.readouterr().err)
    assert afile.read_text() == "mine" and link.is_symlink() and list(target.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "link", "short.yaml", "target"]


def test_foreign_entries_names_what_is_not_ours(tmp_path):
    (tmp_path / "plots").mkdir()
    for name in ("meta.json", "series.csv", "plots/overview.png", "plots/notes.md", "thesis.tex"):
        (tmp_path / name).write_text("x")
    (tmp_path / "mine").mkdir()
    (tmp_path / "lnk").symlink_to(tmp_path / "series.csv")
    names = [p.relative_to(tmp_path).as_posix() for p in foreign_entries(tmp_path, RUN_LAYOUT)]
    assert names == ["lnk", "mine", "plots/notes.md", "thesis.tex"]


# ============================================================================ 2-3. sweep --force
def test_sweep_force_waits_for_nothing_and_deletes_nothing_while_another_sweep_holds_the_lock(
        experiment, tmp_path, capsys):
    out = tmp_path / "res"
    assert sweep(experiment, out) == 0
    before = tree(out)
    with ResultStore(out).lock():
        assert sweep(experiment, out, "--force") == 2
        assert "another sweep" in one_line(capsys.readouterr().err)
        assert tree(out) == before
    assert sweep(experiment, out, "--force") == 0, "free again once the other sweep has finished"
    assert ResultStore(out).runs()["run"].tolist() == list(range(6))


def test_sweep_force_never_deletes_user_files_inside_a_results_directory(experiment, tmp_path, capsys):
    out = tmp_path / "res"
    assert sweep(experiment, out) == 0
    (out / "NOTES.txt").write_text("what I saw")
    (out / "figures_for_paper").mkdir()
    (out / "figures_for_paper" / "fig1.png").write_bytes(b"png")
    before = tree(out)
    capsys.readouterr()
    assert sweep(experiment, out, "--force") == 2
    err = one_line(capsys.readouterr().err)
    assert "NOTES.txt" in err and "figures_for_paper/" in err
    assert tree(out) == before
    assert sweep(experiment, out, "--resume") == 0, "resuming deletes nothing, so it is allowed"
    assert (out / "NOTES.txt").read_text() == "what I saw"


def test_sweep_force_on_someone_elses_directory_is_refused(experiment, tmp_path, capsys):
    precious = tmp_path / "thesis"
    (precious / "Documents").mkdir(parents=True)
    (precious / "Documents" / "thesis.tex").write_text("years of work")
    assert sweep(experiment, precious, "--force") == 2
    assert "not written by hedgesim" in one_line(capsys.readouterr().err)
    assert tree(precious) == {"Documents/thesis.tex": b"years of work"}


# ============================================================================ 4. concurrent creation
def test_two_concurrent_runs_into_one_out_exactly_one_wins(short, tmp_path):
    out = tmp_path / "same"
    procs = {seed: cli("run", str(short), "--out", str(out), "--seed", seed, "--no-plots") for seed in "12"}
    outputs = {seed: p.communicate(timeout=600) for seed, p in procs.items()}  # (reads pipes as it waits)
    results = {seed: (procs[seed].returncode, *outputs[seed]) for seed in procs}
    codes = sorted(code for code, _, _ in results.values())
    assert codes == [0, 2], results
    winner = next(seed for seed, (code, _, _) in results.items() if code == 0)
    loser_err = next(err for code, _, err in results.values() if code == 2)
    assert "Traceback" not in loser_err and str(out) in loser_err
    assert json.loads((out / "meta.json").read_text())["seed"] == int(winner)
    assert len(pd.read_csv(out / "series.csv")) == 12
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same", "short.yaml"], "no staging left"


def test_publish_never_overwrites_a_directory_made_meanwhile(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutputRefusedError, match="created by another process"), \
            staging(out, OutputKind.RUN) as tmp:
        (tmp / "series.csv").write_text("mine")
        out.mkdir()
        (out / "series.csv").write_text("theirs")  # the other process won the race
        publish(tmp, out, RUN_LAYOUT, replace=False)
    assert (out / "series.csv").read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_two_new_sweeps_into_one_out_cannot_both_write(experiment, tmp_path, capsys):
    out = tmp_path / "res"
    with staging(out, SWEEP_LAYOUT.kind) as tmp:  # a second sweep, creating the same directory
        assert sweep(experiment, out) == 0
        with pytest.raises(OutputRefusedError):
            publish(tmp, out, SWEEP_LAYOUT, replace=False)
    assert ResultStore(out).runs()["run"].tolist() == list(range(6))


# ============================================================================ 5. corrupt parts
def _part(out: Path, i: int) -> Path:
    return sorted((out / "runs").glob("part-*.parquet"))[i]


def _damage(out: Path) -> None:
    """A truncated part, an empty part, and a copy of a part under another name."""
    truncated, empty, copied = _part(out, 1), _part(out, 3), _part(out, 4)
    truncated.write_bytes(truncated.read_bytes()[:100])
    empty.write_bytes(b"")
    shutil.copy(copied, out / "runs" / "part-000000004-00001 (copy).parquet")
    shutil.copy(out / "series" / copied.name, out / "series" / "part-000000004-00001 (copy).parquet")


def test_resume_quarantines_bad_parts_and_runs_their_runs_again(experiment, tmp_path, capsys):
    out, full = tmp_path / "res", tmp_path / "full"
    assert sweep(experiment, out) == 0 and sweep(experiment, full) == 0
    _damage(out)
    capsys.readouterr()
    assert sweep(experiment, out, "--resume") == 0
    printed = capsys.readouterr().out
    quarantined = [line for line in printed.splitlines() if line.startswith("quarantined")]
    assert len(quarantined) == 3, printed
    assert "6 of 6 runs" in printed
    assert sorted(p.name for p in (out / "quarantine").iterdir()) == [
        "runs-part-000000001-00001.parquet", "runs-part-000000003-00001.parquet",
        "runs-part-000000004-00001 (copy).parquet", "series-part-000000001-00001.parquet",
        "series-part-000000003-00001.parquet", "series-part-000000004-00001 (copy).parquet"]
    pd.testing.assert_frame_equal(ResultStore(out).runs(), ResultStore(full).runs())
    pd.testing.assert_frame_equal(ResultStore(out).series(), ResultStore(full).series())


def test_a_part_whose_series_holds_other_runs_or_is_gone_is_quarantined(experiment, tmp_path, capsys):
    """A runs part is trusted only with the series part of the same runs beside it."""
    out = tmp_path / "res"
    assert sweep(experiment, out) == 0
    series = out / "series"
    shutil.copy(series / _part(out, 2).name, series / _part(out, 0).name)  # run 2's months as run 0's
    (series / _part(out, 1).name).unlink()
    capsys.readouterr()
    assert sweep(experiment, out, "--resume") == 0
    printed = capsys.readouterr().out
    assert f"quarantined runs/{_part(out, 0).name}: its series part holds other runs" in printed, printed
    assert "its series part is missing" in printed and "6 of 6 runs" in printed, printed


def test_analyze_never_counts_a_run_twice_nor_reads_a_broken_part(experiment, tmp_path, capsys):
    out = tmp_path / "res"
    assert sweep(experiment, out) == 0
    _damage(out)
    capsys.readouterr()
    assert main(["analyze", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("quarantined") == 3 and "partial: 4 of 6 runs" in printed, printed
    table = pd.read_csv(out / "analysis" / "outcomes_by_point.csv")
    assert table["runs"].sum() == 4
    assert sweep(experiment, out, "--resume") == 0
    assert ResultStore(out).runs()["run"].tolist() == list(range(6))


def test_analyze_while_a_sweep_writes_skips_bad_parts_without_moving_them(experiment, tmp_path, capsys):
    out = tmp_path / "res"
    assert sweep(experiment, out) == 0
    _part(out, 0).write_bytes(b"")
    with ResultStore(out).lock():
        assert main(["analyze", str(out)]) == 0
    assert "skipped runs/part-000000000-00001.parquet" in capsys.readouterr().out
    assert _part(out, 0).stat().st_size == 0 and not (out / "quarantine").exists()


# ============================================================================ 6. orphan workers
def _children(pid: int) -> set[int]:
    kids = set()
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.add(int(stat_file.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has died; only its exit status is left


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_minus_9_of_a_sweep_takes_its_workers_with_it(experiment, tmp_path):
    experiment.write_text(experiment.read_text().replace("replicates: 3", "replicates: 30"))  # 60 runs
    out = tmp_path / "res"
    proc = cli("sweep", str(experiment), "--out", str(out), "--workers", "2", "--chunk-runs", "1",
               "--no-progress", "--no-analyze")
    workers: set[int] = set()
    try:
        poll(lambda: len(_children(proc.pid)) >= 2 and any((out / "runs").glob("part-*")),
             "two pool workers and a finished part")
        workers = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)  # the parent alone, as `kill -9 PID` does
        proc.wait(timeout=DEADLINE)
        poll(lambda: not any(_alive(w) for w in workers), f"workers {sorted(workers)} to exit", 30)
    finally:
        for pid in [proc.pid, *workers]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.communicate()
    assert sweep(experiment, out, "--resume") == 0, "nothing left holding the results directory"
    assert ResultStore(out).runs()["run"].tolist() == list(range(60))


# ============================================================================ 10. validate's exit code
@pytest.fixture
def fast_validation(monkeypatch):
    """validate's report: one test row whose verdict the test sets (no runs)."""
    import sim.validation as validation

    row = {"pattern": 1, "measure": "m", "kind": "test", "mean": 0.0, "p05": 0.0, "p95": 0.0,
           "interval": "", "runs": 2, "expected": "none", "holds": True, "source": "s"}
    monkeypatch.setattr(validation, "validate", lambda *a: pd.DataFrame([row]))
    return row


def test_validate_exits_1_when_a_test_prints_no(fast_validation, capsys):
    assert main(["validate", "--replicates", "2"]) == 0
    fast_validation.update(holds=False)
    assert main(["validate", "--replicates", "2"]) == 1
    assert any(" NO " in line for line in capsys.readouterr().out.splitlines())


def test_validate_out_is_written_atomically_and_force_replaces_only_its_own_report(
        fast_validation, tmp_path, capsys):
    out = tmp_path / "report.csv"
    assert main(["validate", "--replicates", "2", "--out", str(out)]) == 0
    assert pd.read_csv(out)["measure"].tolist() == ["m"]
    assert main(["validate", "--replicates", "2", "--out", str(out), "--force"]) == 0
    thesis = tmp_path / "thesis.tex"
    thesis.write_text("years of work")
    capsys.readouterr()
    for target in (thesis, tmp_path):
        assert main(["validate", "--replicates", "2", "--out", str(target), "--force"]) == 2
        one_line(capsys.readouterr().err)
    assert thesis.read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv", "thesis.tex"]


# ============================================================================ 15. one line, no traceback
def _fail_with(monkeypatch, target: str, code: int) -> None:
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code), str(args[1] if len(args) > 1 else "file"))

    monkeypatch.setattr(target, fail)


def test_run_on_a_full_disk_is_one_line_exit_1_and_leaves_nothing(short, tmp_path, monkeypatch, capsys):
    _fail_with(monkeypatch, "pandas.DataFrame.to_csv", errno.ENOSPC)
    assert main(["run", str(short), "--out", str(tmp_path / "out"), "--no-plots"]) == 1
    assert "No space left on device" in one_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.yaml"]


def test_run_on_a_read_only_filesystem_is_one_line_exit_2(short, tmp_path, monkeypatch, capsys):
    _fail_with(monkeypatch, "sim.outputs._make_staging_dir", errno.EROFS)
    assert main(["run", str(short), "--out", str(tmp_path / "out"), "--no-plots"]) == 2
    assert "read-only" in one_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.yaml"]


def test_sweep_on_a_full_disk_is_one_line_and_resumes_once_there_is_room(experiment, tmp_path, monkeypatch,
                                                                           capsys):
    out = tmp_path / "res"
    real = pd.DataFrame.to_parquet
    calls = {"n": 0}

    def fill_up(self, path, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 5:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fill_up)
    assert sweep(experiment, out) == 1
    assert "No space left on device" in one_line(capsys.readouterr().err)
    assert not list(out.rglob("*.tmp")), "no temporary part left"
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)
    assert sweep(experiment, out, "--resume") == 0
    assert ResultStore(out).runs()["run"].tolist() == list(range(6))


def test_analyze_on_a_full_disk_or_interrupted_keeps_the_old_analysis(experiment, tmp_path, monkeypatch,
                                                                        capsys):
    import sim.sweep.figures as figures

    out = tmp_path / "res"
    assert sweep(experiment, out) == 0 and main(["analyze", str(out)]) == 0
    before = tree(out / "analysis")
    capsys.readouterr()
    _fail_with(monkeypatch, "pandas.DataFrame.to_csv", errno.ENOSPC)
    assert main(["analyze", str(out)]) == 1
    one_line(capsys.readouterr().err)
    monkeypatch.undo()

    def sigterm(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # a batch scheduler stops the job mid-analysis

    monkeypatch.setattr(figures, "write_all", sigterm)
    assert main(["analyze", str(out)]) == 130
    assert "interrupted" in one_line(capsys.readouterr().err)
    assert tree(out / "analysis") == before
    assert not [p for p in out.iterdir() if p.name.startswith(".analysis")], "no staging left"


def test_validate_on_a_full_disk_leaves_no_empty_csv(fast_validation, tmp_path, monkeypatch, capsys):
    _fail_with(monkeypatch, "pandas.DataFrame.to_csv", errno.ENOSPC)
    assert main(["validate", "--replicates", "2", "--out", str(tmp_path / "v.csv")]) == 1
    assert "No space left on device" in one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_seed_range_is_checked_at_the_cli_and_the_api(short, capsys):
    from sim.runner import run_scenario
    from sim.scenario.loader import load_scenario
    from sim.streams import MAX_SEED

    with pytest.raises(SystemExit) as info:
        main(["run", str(short), "--seed", str(MAX_SEED + 1), "--replicates", "2"])
    assert info.value.code == 2
    assert f"must be at most {MAX_SEED}" in capsys.readouterr().err
    with pytest.raises(ValueError, match="seed must be between 0 and"):
        run_scenario(load_scenario(short), seed=MAX_SEED + 1, replicates=2)
    assert run_scenario(load_scenario(short), seed=MAX_SEED, replicates=2).seeds[0] == MAX_SEED


def test_a_scheduler_that_is_not_an_address_is_one_line(experiment, tmp_path, capsys):
    pytest.importorskip("distributed")
    assert main(["sweep", str(experiment), "--out", str(tmp_path / "r"), "--scheduler", "not a url"]) == 2
    assert "not a url" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("damage", ["{not json", "[]", "\xff\xfe"])
def test_a_corrupt_experiment_json_is_one_line(experiment, tmp_path, capsys, damage):
    out = tmp_path / "res"
    assert sweep(experiment, out) == 0
    (out / "experiment.json").write_bytes(damage.encode("latin-1"))
    capsys.readouterr()
    assert main(["analyze", str(out)]) == 2
    assert "experiment.json" in one_line(capsys.readouterr().err)
    assert sweep(experiment, out, "--resume") == 2
    assert "experiment.json" in one_line(capsys.readouterr().err)
    assert sweep(experiment, out, "--force") == 0, "ours by its marker: --force starts it again"


# ============================================================================ 17. leftovers
def test_a_killed_analysis_leaves_a_staging_folder_that_the_next_one_removes(experiment, tmp_path):
    out = tmp_path / "res"
    assert sweep(experiment, out) == 0
    killed = subprocess.run(
        [sys.executable, "-c", "import os, signal\nfrom pathlib import Path\n"
         "from sim.outputs import OutputKind, staging\n"
         f"with staging(Path({str(out / 'analysis')!r}), OutputKind.ANALYSIS) as tmp:\n"
         "    (tmp / 'half.csv').write_text('x')\n    os.kill(os.getpid(), signal.SIGKILL)\n"],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=DEADLINE)
    assert killed.returncode == -signal.SIGKILL
    stale = [p for p in out.iterdir() if p.name.startswith(".analysis.")]
    assert len(stale) == 1
    with staging(out / "analysis", OutputKind.ANALYSIS) as live:  # another analysis, still running
        assert sweep(experiment, out, "--resume") == 0
        assert not stale[0].exists(), "--resume removes the dead one"
        assert live.is_dir(), "and never a live one"
        assert remove_stale_staging(out, "analysis") == []
    assert main(["analyze", str(out)]) == 0
    assert not [p for p in out.iterdir() if p.name.startswith(".analysis.")]


def test_a_killed_writers_temporary_is_removed_but_a_live_one_is_kept(tmp_path):
    """A SIGKILLed ``validate --out`` leaves ``.NAME.hedgesim-XXXXXXXX.tmp``; the next write of NAME
    removes it, but never the temporary of a writer still at work (it holds the file's lock)."""
    out = tmp_path / "report.md"
    stale = tmp_path / ".report.md.hedgesim-0123abcd.tmp"
    live = tmp_path / ".report.md.hedgesim-89abcdef.tmp"
    other = tmp_path / ".notes.md.hedgesim-0123abcd.tmp"  # another file's: not ours to judge here
    for path in (stale, live, other):
        path.write_text("partial")
    with open(live) as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        write_file(out, lambda tmp: tmp.write_text("done"), force=False)
    assert out.read_text() == "done"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, live.name, other.name])


def test_a_staging_directory_being_made_is_never_cleaned_away_by_another_process(tmp_path, monkeypatch):
    """Two runs into one --out: one cleans leftovers while the other is making its staging directory,
    between mkdir and holding its marker (a CI failure: the cleaner removed it, the maker failed).
    The directory is made under a -new name and renamed once its marker is held."""
    import sim.outputs as outputs

    out = tmp_path / "out"
    real = outputs.write_marker

    def another_process_cleans_first(root, kind):
        outputs.remove_stale_staging(out.parent, out.name)  # sees the directory before its marker
        return real(root, kind)

    monkeypatch.setattr(outputs, "write_marker", another_process_cleans_first)
    with staging(out, OutputKind.RUN) as tmp:
        assert tmp.is_dir() and not tmp.name.endswith("-new")
        assert outputs.remove_stale_staging(out.parent, out.name) == [], "held: not a leftover"


def test_a_leftover_of_a_process_killed_while_making_its_staging_directory_is_cleaned(tmp_path):
    import os

    import sim.outputs as outputs

    young = tmp_path / ".out.hedgesim-0123abcd-new"
    young.mkdir()
    assert outputs.remove_stale_staging(tmp_path, "out") == [], "it may be being made right now"
    old = tmp_path / ".out.hedgesim-89abcdef-new"
    old.mkdir()
    os.utime(old, (0, 0))
    unheld = tmp_path / ".out.hedgesim-456789ab-new"
    unheld.mkdir()
    outputs.write_marker(unheld, OutputKind.RUN).close()  # made, then its process died
    assert sorted(outputs.remove_stale_staging(tmp_path, "out")) == sorted([old, unheld])
    assert young.is_dir()
