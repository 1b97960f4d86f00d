"""Command line: ``hedgesim run | compare | validate | sweep | analyze | viz | list`` (``hedgesim --help``).

Bad input ends with exit code 2 and one ``FILE:LINE: path: message`` line per problem, no traceback;
a failure of the machine (a full disk) with exit code 1 and one line; an interrupt with 130. Nothing
is left half-written: every output goes through :mod:`sim.outputs`.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from sim.bundled import experiment_files
from sim.metrics import NonFiniteError
from sim.outputs import UnreadableOutputError, machine_failure
from sim.scenario.loader import Problem, ScenarioError, bundled_scenarios, load_scenario, with_overrides
from sim.scenario.schema import MAX_REPLICATES, Scenario
from sim.sources import cited_keys, readable
from sim.streams import MAX_SEED

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1  # the machine failed (full disk, I/O error), or a pattern does not hold
EXIT_INTERRUPTED = 130


SET_ORIGIN = "--set"


def _setting(text: str) -> tuple[str, Any]:
    """``--set agents.china.assertiveness=0.7``: a dotted path and a value read as YAML reads it."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise ScenarioError([Problem(SET_ORIGIN, 0, "", f"expected PATH=VALUE, got {text!r}")])
    try:
        return path.strip(), yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError as exc:
        reason = getattr(exc, "problem", None) or "unreadable"
        raise ScenarioError([Problem(SET_ORIGIN, 0, path.strip(),
                                     f"{value!r} is not a YAML value ({reason})")]) from None


def _scenario(args: argparse.Namespace) -> Scenario:
    """The scenario named on the command line, with every ``--set`` applied and checked like YAML."""
    scenario = load_scenario(args.scenario)
    if not args.set:
        return scenario
    return with_overrides(scenario, dict(_setting(text) for text in args.set), origin=SET_ORIGIN)


def _add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        help="replace one scenario value by dotted path, e.g. "
                             "--set agents.china.assertiveness=0.7 (repeatable; checked like the YAML)")


def _run(args: argparse.Namespace) -> int:
    from sim.outputs import RUN_LAYOUT, check_dir_target
    from sim.runner import default_out_dir, run_scenario, summary, write_run
    from sim.streams import replicate_seeds

    scenario = _scenario(args)
    seed = scenario.seed if args.seed is None else args.seed
    seeds = replicate_seeds(seed, args.replicates)
    out = Path(args.out) if args.out else default_out_dir(scenario, seeds)
    check_dir_target(out, RUN_LAYOUT, force=args.force)  # before the run, not after
    result = run_scenario(scenario, seed=seed, replicates=args.replicates)
    write_run(result, out, force=args.force, fmt=args.format, plots=not args.no_plots,
              argv=["hedgesim", *args.argv], figures=args.figures)
    print(summary(result, out))
    return 0


def _compare(args: argparse.Namespace) -> int:
    from sim.compare import FIGURE_SERIES, compare, default_out_dir, write_comparison
    from sim.outputs import COMPARE_LAYOUT, check_dir_target

    scenarios = [load_scenario(s) for s in (args.base, *args.whatif)]  # bad input stops here
    columns = args.series or list(FIGURE_SERIES)
    seed = scenarios[0].seed if args.seed is None else args.seed
    out = Path(args.out) if args.out else default_out_dir([s.name for s in scenarios], seed, args.replicates)
    check_dir_target(out, COMPARE_LAYOUT, force=args.force)  # before the runs, not after
    try:
        result = compare(scenarios[0], scenarios[1:], replicates=args.replicates, seed=seed,
                         columns=columns)
    except ValueError as exc:  # scenarios without a common month, a series no scenario records
        print(f"hedgesim: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    write_comparison(result, out, force=args.force, plots=not args.no_plots, figures=args.figures,
                     argv=["hedgesim", *args.argv])
    print(result.describe(out))
    return 0


def _list(args: argparse.Namespace) -> int:
    from sim.rules import RULES

    print("Scenarios:")
    paths = bundled_scenarios()
    width = max(28, *(len(p.stem) for p in paths))
    for path in paths:
        try:
            sc = load_scenario(path)
            print(f"  {sc.name:<{width}} {sc.description}")
        except ScenarioError as exc:
            print(f"  {path.stem:<{width}} (invalid: {exc.problems[0]})")
    print("\nExperiments (hedgesim sweep NAME):")
    for path in experiment_files():
        about = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        about_text = " ".join(str(about.get("description", "")).split())
        print(f"  {path.stem:<30} {textwrap.shorten(about_text, 90, placeholder=' ...')}")
    print("\nPolicy rules:")
    print(f"  {'id':<27} {'binds':<14} source")
    for rid, cls in RULES.items():
        group = f" [{cls.group}]" if cls.group else ""
        print(f"  {rid:<27} {cls.binds:<14} {cls.source}{group}")
    keys = cited_keys(" ".join(cls.source for cls in RULES.values()))
    if keys:
        print("\nSources (docs/references.md):")
        for key in keys:
            print(f"  {readable(key)}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from sim.validation import all_hold, check_report_target, format_report, validate, write_report

    scenario = _scenario(args)
    seed = scenario.seed if args.seed is None else args.seed
    out = Path(args.out) if args.out else None
    if out is not None:
        check_report_target(out, force=args.force)  # before the runs, not after
    table = validate(scenario, seed, args.replicates)
    print(f"{scenario.name}: {args.replicates} replicates in lockstep, seed {seed}; each contrast over "
          "the same seeds\n")
    print(format_report(table))
    if out is not None:
        write_report(table, out, force=args.force)
        print(f"\nwrote {out}")
    return 0 if all_hold(table) else EXIT_FAILURE


def _sweep(args: argparse.Namespace) -> int:
    from sim.sweep.experiment import load_experiment
    from sim.sweep.runner import TaskNotPicklableError
    from sim.sweep.sweep import default_results_dir, plan, run_sweep, summary

    experiment, _ = load_experiment(args.experiment)  # the run count is stated before anything runs
    print(plan(experiment, Path(args.out) if args.out else default_results_dir(experiment)), flush=True)
    if args.dry_run:
        return 0
    client = None
    if args.scheduler:
        client = _dask_client(args.scheduler)
        if client is None:
            return EXIT_BAD_INPUT
    try:
        report = run_sweep(args.experiment, args.out, workers=args.workers,
                           executor=client.get_executor() if client else None, resume=args.resume,
                           force=args.force, chunk_runs=args.chunk_runs, progress=not args.no_progress,
                           argv=["hedgesim", *args.argv], yes=args.yes)
    except KeyboardInterrupt:
        print("\nhedgesim: interrupted; every finished chunk is saved. Finish the sweep with the same "
              "command and --resume.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except TaskNotPicklableError as exc:  # a defect to report, not a pool to wait on forever
        print(f"hedgesim: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        if client is not None:
            client.close()
    print(summary(report))
    if args.analyze and report.complete:
        from sim.sweep.analysis import analyze
        print(analyze(report.out, figures=args.figures).describe())
    return 0 if report.complete else 1


def _calibrate(args: argparse.Namespace) -> int:
    from sim.calibrate import calibrate, describe, load_calibration

    spec, base = load_calibration(args.calibration)
    update = {k: v for k, v in (("population", args.population), ("generations", args.generations)) if v}
    spec = spec.model_copy(update=update)
    out = Path(args.out) if args.out else Path("results") / spec.name
    print(f"{spec.name}: {len(spec.parameters)} coefficients, {spec.population} particles x up to "
          f"{spec.generations} generations, fitted to {base.start}..{spec.fit_until}; writing {out}/",
          flush=True)
    try:
        calibrate(spec, base, out, resume=args.resume, force=args.force, figures=args.figures)
    except KeyboardInterrupt:
        print(f"\nhedgesim: interrupted; every finished generation is saved in {out}. Continue with the "
              "same command and --resume.", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(describe(out))
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _dask_client(address: str):
    try:
        from distributed import Client
    except ImportError:
        print("hedgesim: --scheduler needs dask.distributed: pip install -e \".[dask]\"", file=sys.stderr)
        return None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:  # unreachable, or not an address
        print(f"hedgesim: cannot reach the Dask scheduler at {address}: {exc}", file=sys.stderr)
        return None


def _analyze(args: argparse.Namespace) -> int:
    from sim.sweep.analysis import analyze

    print(analyze(Path(args.results), series=args.series, figures=args.figures).describe())
    return 0


def _viz(args: argparse.Namespace) -> int:
    from sim.viz.serve import ServeError, serve

    load_scenario(args.scenario)  # a bad scenario ends here, with the loader's message and exit 2
    signal.signal(signal.SIGTERM, _interrupt)  # stopping us stops the server too
    try:
        return serve(args.scenario, host=args.host, port=args.port, open_browser=args.open)
    except ServeError as exc:  # a bad or busy port, an unknown host: one line, before anything starts
        print(f"hedgesim viz: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _int_at_least(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high}, got {value}")
        return value

    parse.__name__ = f"integer >= {low}" if high is None else f"integer in {low}..{high}"
    return parse


_positive_int = _int_at_least(1)
_replicates = _int_at_least(1, MAX_REPLICATES)  # as HedgingModel and experiments allow
_seed = _int_at_least(0, MAX_SEED)  # numpy seeds are non-negative; seeds are stored as int64


def _figure_formats(text: str) -> str:
    from sim.plots import FigureOptions
    try:
        FigureOptions.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _add_figure_options(parser: argparse.ArgumentParser) -> None:
    """``--figure-format`` and ``--dpi`` (``--format`` of ``run`` is the table's format)."""
    parser.add_argument("--figure-format", type=_figure_formats, default="png,pdf", metavar="png,pdf,svg",
                        help="figure files to write, comma-separated (default png,pdf)")
    parser.add_argument("--dpi", type=_int_at_least(30), default=150,
                        help="resolution of PNG figures (default 150)")


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# One example per command, shown by ``hedgesim --help`` and each command's own ``--help``.
EXAMPLES: dict[str, str] = {
    "run": "hedgesim run south_china_sea_flareup --replicates 20 --set agents.china.assertiveness=0.7",
    "compare": "hedgesim compare south_china_sea_flareup four_nos_relaxed --replicates 50",
    "validate": "hedgesim validate historical_2013_2024 --replicates 200",
    "sweep": "hedgesim sweep demo --workers 2",
    "analyze": "hedgesim analyze results/demo",
    "calibrate": "hedgesim calibrate abc_2013_2019 --out results/abc_2013_2019",
    "viz": "hedgesim viz south_china_sea_flareup",
    "list": "hedgesim list",
}


def _examples(commands: list[str]) -> str:
    width = max(map(len, commands))
    return "examples:\n" + "\n".join(f"  {c:<{width}}  {EXAMPLES[c]}" for c in commands if c in EXAMPLES)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hedgesim", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="hedgesim: an agent-based model of Vietnam's bamboo hedging between China, the US, "
                    "Japan and Russia.\nScenarios are bundled names (hedgesim list) or YAML files.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a scenario and write tables and figures")
    run.add_argument("scenario", help="a scenario YAML file, or the name of a bundled scenario")
    run.add_argument("--seed", type=_seed, help="root seed (default: the scenario's seed)")
    run.add_argument("--replicates", type=_replicates, default=1, help="number of seeds to run")
    run.add_argument("--out", help="output directory (default runs/<scenario>/seed-<N>)")
    run.add_argument("--force", action="store_true", help="replace an existing output directory")
    run.add_argument("--format", choices=("csv", "parquet"), default="csv", help="series table format")
    run.add_argument("--no-plots", action="store_true", help="skip the figures")
    _add_set(run)
    _add_figure_options(run)
    run.set_defaults(func=_run)

    cmp = sub.add_parser("compare", help="what-if against baseline: same seeds, paired differences")
    cmp.add_argument("base", help="the baseline scenario (YAML file or bundled name)")
    cmp.add_argument("whatif", nargs="+", help="one or more what-if scenarios")
    cmp.add_argument("--replicates", type=_int_at_least(2, MAX_REPLICATES), default=20,
                     help="paired runs per scenario, on the same seeds (default 20)")
    cmp.add_argument("--seed", type=_seed, help="root seed (default: the baseline's seed)")
    cmp.add_argument("--series", nargs="+", help="monthly series to draw and difference over time")
    cmp.add_argument("--out", help="output directory (default runs/compare/<base>-vs-<what-ifs>/seed-N-xR)")
    cmp.add_argument("--force", action="store_true", help="replace an existing output directory")
    cmp.add_argument("--no-plots", action="store_true", help="skip the figure")
    _add_figure_options(cmp)
    cmp.set_defaults(func=_compare)

    val = sub.add_parser("validate", help="check the domain patterns over many seeds")
    val.add_argument("scenario", nargs="?", default="historical_2013_2024",
                     help="scenario to validate (default: historical_2013_2024)")
    val.add_argument("--replicates", type=_replicates, default=200, help="number of replicates")
    val.add_argument("--seed", type=_seed, help="seed (default: the scenario's seed)")
    val.add_argument("--out", help="also write the table as CSV here")
    val.add_argument("--force", action="store_true", help="replace an existing --out file")
    _add_set(val)
    val.set_defaults(func=_validate)

    sweep = sub.add_parser("sweep", help="run an experiment (design x replicates), resumable")
    sweep.add_argument("experiment", help="an experiment YAML file, or a bundled name (demo)")
    sweep.add_argument("--workers", type=_positive_int, default=_cpus(),
                       help=f"local worker processes (default: all {_cpus()} cores)")
    sweep.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run on this Dask cluster instead of local processes (needs .[dask])")
    sweep.add_argument("--out", help="results directory (default results/<experiment name>)")
    sweep.add_argument("--resume", action="store_true", help="finish an interrupted sweep in --out")
    sweep.add_argument("--force", action="store_true", help="replace an existing results directory")
    sweep.add_argument("--chunk-runs", type=_positive_int,
                       help="runs per lockstep block (default: the experiment's chunk_runs, else chosen "
                            "for speed and memory, up to ~1,300)")
    sweep.add_argument("--dry-run", action="store_true",
                       help="print the plan (design, points, replicates, runs, output) and write nothing")
    sweep.add_argument("--yes", action="store_true",
                       help="run a design of more than 100,000 runs (refused without it)")
    sweep.add_argument("--no-progress", action="store_true", help="no progress bar")
    sweep.add_argument("--no-analyze", dest="analyze", action="store_false",
                       help="skip the analysis and figures at the end")
    _add_figure_options(sweep)
    sweep.set_defaults(func=_sweep)

    cal = sub.add_parser("calibrate", help="estimate calibrated coefficients by ABC-SMC; out-of-sample check")
    cal.add_argument("calibration", help="a calibration YAML file, or a bundled name (abc_2013_2019)")
    cal.add_argument("--out", help="results directory (default results/<calibration name>)")
    cal.add_argument("--resume", action="store_true", help="continue the calibration in --out")
    cal.add_argument("--force", action="store_true", help="replace an existing calibration directory")
    cal.add_argument("--population", type=_positive_int, help="particles per generation (default: the file)")
    cal.add_argument("--generations", type=_positive_int, help="generations (default: the file's)")
    _add_figure_options(cal)
    cal.set_defaults(func=_calibrate)

    ana = sub.add_parser("analyze", help="sensitivity indices, tables and figures of a sweep")
    ana.add_argument("results", help="a results directory written by hedgesim sweep")
    ana.add_argument("--series", nargs="+", help="monthly series for the ensemble figures")
    _add_figure_options(ana)
    ana.set_defaults(func=_analyze)


    viz = sub.add_parser("viz", help="explore a scenario in the browser (SolaraViz)")
    viz.add_argument("scenario", nargs="?", default="historical_2013_2024",
                     help="scenario to open first (default: historical_2013_2024)")
    viz.add_argument("--port", type=int, default=8765, help="port to serve on (default 8765)")
    viz.add_argument("--host", default="127.0.0.1",
                     help="address to bind (default 127.0.0.1; use 0.0.0.0 only if you mean it)")
    viz.add_argument("--open", action="store_true", help="open the page in a web browser")
    viz.set_defaults(func=_viz)

    lst = sub.add_parser("list", help="list bundled scenarios, experiments, policy rules and sources")
    lst.set_defaults(func=_list)
    for name, command in sub.choices.items():  # each command's --help ends with its example
        command.epilog = f"example:\n  {EXAMPLES[name]}" if name in EXAMPLES else None
        command.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _examples(list(sub.choices))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # recorded in meta.json
    if hasattr(args, "figure_format"):
        from sim.plots import FigureOptions
        args.figures = FigureOptions.parse(args.figure_format, args.dpi)
    func: Callable[[argparse.Namespace], int] = args.func
    in_main_thread = threading.current_thread() is threading.main_thread()  # signals work only there
    if in_main_thread:
        previous = signal.signal(signal.SIGTERM, _interrupt)  # a scheduler's stop is handled like Ctrl-C
    try:
        code = func(args)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler below
        return code
    except ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except UnreadableOutputError as exc:
        print(f"hedgesim: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except NonFiniteError as exc:  # the model, not the input, went wrong: nothing was written
        print(f"hedgesim: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except (FileExistsError, FileNotFoundError, NotADirectoryError, PermissionError) as exc:
        print(f"hedgesim: {_os_message(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("\nhedgesim: interrupted; nothing half-written was left behind", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``hedgesim list | head``): stop quietly. Point stdout at devnull so
        # the interpreter's final flush does not raise again (Python docs, "Note on SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except OSError as exc:  # a full disk, a read-only filesystem, an I/O error: one line, no traceback
        print(f"hedgesim: {_os_message(exc)}", file=sys.stderr)
        return EXIT_FAILURE if machine_failure(exc) else EXIT_BAD_INPUT
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _os_message(exc: OSError) -> str:
    """One line for an OSError: the path and what went wrong (not Python's ``[Errno N]`` form)."""
    if exc.strerror is None:
        return str(exc)  # our own messages (OutputRefusedError and the like)
    where = "" if exc.filename is None else f"{exc.filename}: " if exc.filename2 is None else \
        f"{exc.filename} -> {exc.filename2}: "
    hint = "; the filesystem is read-only, choose --out elsewhere" if exc.errno == errno.EROFS else ""
    return f"{where}{exc.strerror}{hint}"


if __name__ == "__main__":
    sys.exit(main())
