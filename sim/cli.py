"""Command line: ``hedgesim run | list`` (and more as the project grows).

Bad input ends with exit code 2 and one ``FILE:LINE: path: message`` line per problem, no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from sim.scenario.loader import ScenarioError, bundled_scenarios, load_scenario

EXIT_BAD_INPUT = 2


def _run(args: argparse.Namespace) -> int:
    from sim.runner import default_out_dir, replicate_seeds, run_scenario, summary, write_run

    scenario = load_scenario(args.scenario)
    seed = scenario.seed if args.seed is None else args.seed
    seeds = replicate_seeds(seed, args.replicates)
    out = Path(args.out) if args.out else default_out_dir(scenario, seeds)
    if out.exists() and not args.force:
        print(f"hedgesim: {out} already exists (use --force to replace it, or --out DIR)", file=sys.stderr)
        return EXIT_BAD_INPUT
    result = run_scenario(scenario, seed=seed, replicates=args.replicates)
    write_run(result, out, force=args.force, fmt=args.format, plots=not args.no_plots,
              argv=["hedgesim", *args.argv])
    print(summary(result, out))
    return 0


def _list(args: argparse.Namespace) -> int:
    from sim.rules import RULES

    print("Scenarios:")
    for path in bundled_scenarios():
        try:
            sc = load_scenario(path)
            print(f"  {sc.name:<28} {sc.description}")
        except ScenarioError as exc:
            print(f"  {path.stem:<28} (invalid: {exc.problems[0]})")
    print("\nPolicy rules:")
    print(f"  {'id':<27} {'binds':<14} source")
    for rid, cls in RULES.items():
        group = f" [{cls.group}]" if cls.group else ""
        print(f"  {rid:<27} {cls.binds:<14} {cls.source}{group}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from sim.validation import democracy_contrast, format_report, report, run_replicates

    scenario = load_scenario(args.scenario)
    seed = scenario.seed if args.seed is None else args.seed
    table = report(run_replicates(scenario, seed, args.replicates))
    contrast = democracy_contrast(scenario, seed, args.replicates)
    print(f"{scenario.name}: {args.replicates} replicates in lockstep, seed {seed}\n")
    print(format_report(table, contrast))
    if args.out:
        out = Path(args.out)
        if out.exists() and not args.force:
            print(f"hedgesim: {out} already exists (use --force to replace it)", file=sys.stderr)
            return EXIT_BAD_INPUT
        table.to_csv(out, index=False)
        print(f"\nwrote {out}")
    return 0 if table["holds"].dropna().all() else 1


def _int_at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


_positive_int = _int_at_least(1)
_seed = _int_at_least(0)  # numpy seeds are non-negative


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hedgesim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario and write tables and figures")
    run.add_argument("scenario", help="a scenario YAML file, or the name of a bundled scenario")
    run.add_argument("--seed", type=_seed, help="root seed (default: the scenario's seed)")
    run.add_argument("--replicates", type=_positive_int, default=1, help="number of seeds to run")
    run.add_argument("--out", help="output directory (default runs/<scenario>/seed-<N>)")
    run.add_argument("--force", action="store_true", help="replace an existing output directory")
    run.add_argument("--format", choices=("csv", "parquet"), default="csv", help="series table format")
    run.add_argument("--no-plots", action="store_true", help="skip the figures")
    run.set_defaults(func=_run)

    val = sub.add_parser("validate", help="check the domain patterns over many seeds")
    val.add_argument("scenario", nargs="?", default="historical_2013_2024",
                     help="scenario to validate (default: historical_2013_2024)")
    val.add_argument("--replicates", type=_positive_int, default=200, help="number of replicates")
    val.add_argument("--seed", type=_seed, help="seed (default: the scenario's seed)")
    val.add_argument("--out", help="also write the table as CSV here")
    val.add_argument("--force", action="store_true", help="replace an existing --out file")
    val.set_defaults(func=_validate)

    lst = sub.add_parser("list", help="list bundled scenarios and policy rules")
    lst.set_defaults(func=_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # recorded in meta.json
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        code = func(args)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler below
        return code
    except ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except FileExistsError as exc:
        print(f"hedgesim: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (``hedgesim list | head``): stop quietly. Point stdout at devnull so
        # the interpreter's final flush does not raise again (Python docs, "Note on SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
