"""``hedgesim calibrate``: approximate Bayesian computation of the ``calibrated`` coefficients.

A calibration file names a scenario, the months the fit may see (``fit_until``), the coefficients to
estimate with their priors, and the summary statistics compared with the observed table
(:mod:`sim.observed`). ABC-SMC is pyabc's ([Klinger2018]; sequential Monte Carlo ABC, [Toni2009]);
hedgesim supplies the model and a sampler that runs a generation's proposals as mixed lockstep
blocks (:class:`LockstepSampler`): each proposal is one replicate with its own coefficients, so a
population of parameter vectors costs what a Monte Carlo of the same size costs.

Reproducible: the proposals of generation ``t`` come from numpy's global generator reseeded from
(seed, t) at the start of the generation, and simulation ``i`` of generation ``t`` runs with a seed
spawned from (seed, t, i), so the posterior is the same for any batch size and after ``--resume``.
Resumable: pyabc stores every generation in ``abc.db`` (SQLite) as it finishes; ``--resume`` loads it
and runs the generations still missing.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from sim.blocks import coefficient_field, coefficient_problems
from sim.bundled import calibration_path, recorded_path
from sim.calendar import Month, coerce_month
from sim.coefficients import _bounds
from sim.model import HedgingModel
from sim.observed import Kind, crisis_months, load_observed
from sim.outputs import (
    CALIBRATION_LAYOUT,
    OutputRefusedError,
    UnreadableOutputError,
    check_replaceable,
    hold_lock,
    is_ours,
    refuse_dangerous,
    write_dir,
    write_file,
)
from sim.plots import FigureOptions
from sim.provenance import RESULTS_VERSION
from sim.scenario.loader import (
    Problem,
    ScenarioError,
    load_scenario,
    read_located,
    resolve_path,
    validation_problems,
)
from sim.scenario.schema import Scenario
from sim.validation import crisis_lengths_of

DB = "abc.db"
POSTERIOR = "posterior.parquet"
MARGINALS = "marginals.csv"
PREDICTIONS = "out_of_sample.csv"
CALIBRATED = "calibrated.yaml"  # the base scenario at the densest posterior particle (calibrated_scenario)


# ------------------------------------------------------------------------------------------ statistics
class Statistic(StrEnum):
    """A summary of one run over a window of months, and of the observed table over the same window."""

    CRISES = "crises"  # maritime crises started with China
    CRISIS_LENGTH = "crisis_length"  # mean length of those crises, months (first to last month)
    CONCESSIONS = "concessions"  # crises Vietnam ended by stepping down (the Repsol halts)
    PARTNER_UPGRADES = "partner_upgrades"  # tier increases of partners other than China
    RUSSIA_ARMS_SHARE = "russia_arms_share"  # Russia's mean share of Vietnam's arms purchases
    FORCE_MONTHS = "force_months"  # months with interstate use of force


#: The distance between simulated and observed statistics is Euclidean over statistics divided by
#: these scales: one crisis, one month of crisis, one concession, one upgrade, a tenth of the arms
#: market, one month of force. Fixed (not pyabc's adaptive scales), so that a resumed calibration
#: equals an unbroken one.
SCALES: dict[Statistic, float] = {
    Statistic.CRISES: 1.0,
    Statistic.CRISIS_LENGTH: 1.0,
    Statistic.CONCESSIONS: 1.0,
    Statistic.PARTNER_UPGRADES: 1.0,
    Statistic.RUSSIA_ARMS_SHARE: 0.1,
    Statistic.FORCE_MONTHS: 1.0,
}
assert set(SCALES) == set(Statistic), "every statistic needs its scale"


@dataclass(frozen=True)
class Window:
    """Months ``first``..``last`` (inclusive), as ``YYYY-MM`` text, the way series carry dates."""

    first: str
    last: str

    def holds(self, date: str) -> bool:
        return self.first <= date <= self.last


def simulated(stat: Statistic, run: pd.DataFrame, window: Window) -> float:
    """``stat`` of one run's monthly series (one replicate, in date order) over ``window``
    (:func:`statistics` of a block of one)."""
    columns = [c for c in run.columns if c != "date" and pd.api.types.is_numeric_dtype(run[c])]
    values = run[columns].to_numpy(dtype=float)[:, None, :]
    return float(statistics(values, columns, run["date"].tolist(), window, [stat])[stat][0])


def model_statistics(model: HedgingModel, window: Window,
                     stats: Sequence[Statistic]) -> dict[Statistic, np.ndarray]:
    """:func:`statistics` of every run a model has recorded."""
    return statistics(model.series_values(), [c.name for c in model.columns], model.recorded_dates(), window,
                      stats)


def statistics(values: np.ndarray, columns: Sequence[str], dates: Sequence[str], window: Window,
               stats: Sequence[Statistic]) -> dict[Statistic, np.ndarray]:
    """Each of ``stats`` of every run of a block over ``window``: ``values`` is ``(months, R,
    columns)`` (:meth:`HedgingModel.series_values`), its months dated ``dates`` in order; each
    statistic is ``(R,)``. Counts are sums of whole numbers (exact in any order); the arms share's
    mean sums each run's months as one contiguous row, as pandas sums one run's column. The values
    must be finite (a run's always are). Raises ValueError when no month of the run lies in
    ``window`` (a calibration checks its windows against the scenario first)."""
    dates = np.asarray(dates)
    inside = np.flatnonzero((dates >= window.first) & (dates <= window.last))
    if not len(inside):
        raise ValueError(f"no month of the run lies in {window.first}..{window.last}")
    first, end = int(inside[0]), int(inside[-1]) + 1
    R = values.shape[1]

    def months(name: str) -> np.ndarray:  # (months inside, R)
        return values[first:end, :, list(columns).index(name)]

    def before(name: str) -> np.ndarray:  # (R,): the month before the window, 0 before the run
        return values[first - 1, :, list(columns).index(name)] if first > 0 else np.zeros(R)

    out: dict[Statistic, np.ndarray] = {}
    for stat in stats:
        if stat is Statistic.CRISES:
            count = months("crisis_count")
            rises = np.clip(np.diff(count, axis=0), 0, None).sum(axis=0)
            out[stat] = rises + (count[0] - before("crisis_count"))
        elif stat is Statistic.CRISIS_LENGTH:
            parts = [months(c) for c in ("crisis_count", "crisis", "ended_by_vietnam", "ended_by_china")]
            counted = before("crisis_count")
            lengths = [crisis_lengths_of(*(p[:, r] for p in parts), count_before=counted[r])
                       for r in range(R)]
            out[stat] = np.array([float(np.mean(x)) if len(x) else 0.0 for x in lengths])
        elif stat is Statistic.CONCESSIONS:
            out[stat] = months("ended_by_vietnam").sum(axis=0)
        elif stat is Statistic.PARTNER_UPGRADES:
            tiers = [j for j, c in enumerate(columns) if c.startswith("tier_") and c != "tier_china"]
            held = values[max(first - 1, 0):end][:, :, tiers]  # from the month before the window
            out[stat] = (np.diff(held, axis=0) > 0).sum(axis=(0, 2)).astype(float)
        elif stat is Statistic.RUSSIA_ARMS_SHARE:
            out[stat] = np.ascontiguousarray(months("russia_arms_share").T).mean(axis=1)
        else:
            out[stat] = (months("use_of_force") > 0).sum(axis=0).astype(float)
    return out


def observed(stat: Statistic, window: Window, scenario: Scenario, table: pd.DataFrame | None = None) -> float:
    """``stat`` of the observed facts (:func:`sim.observed.load_observed`) over ``window``.

    Partner upgrades count a tier reached above the partner's tier in the scenario at its start (a
    deepening within a tier, Japan's 2014 "extensive" strategic partnership, is not a step); Russia's
    arms share is the middle of the range SIPRI's trend-indicator values allow for those years; use
    of force is 0: every crisis of the table ended without it ([Diplomat2023])."""
    obs = load_observed() if table is None else table
    started = obs["start"].map(str)
    if stat in (Statistic.CRISES, Statistic.CRISIS_LENGTH):
        crises = obs[(obs["kind"] == Kind.CRISIS) & started.map(window.holds)]
        if stat is Statistic.CRISES:
            return float(len(crises))
        lengths = crisis_months(crises)
        return float(np.mean(lengths)) if lengths else 0.0
    if stat is Statistic.CONCESSIONS:
        return float(((obs["kind"] == Kind.CONCESSION) & started.map(window.holds)).sum())
    if stat is Statistic.PARTNER_UPGRADES:
        steps = 0
        for actor, rows in obs[obs["kind"] == Kind.UPGRADE].groupby("actor", observed=True):
            if actor == "china" or actor not in scenario.agents:
                continue
            tier = float(scenario.agents[actor].tier)  # where the scenario starts the partner
            for start, value in sorted(zip(started[rows.index], rows["value"], strict=True)):
                if start >= str(scenario.start) and value > tier:
                    steps += window.holds(start)
                    tier = value
        return float(steps)
    if stat is Statistic.RUSSIA_ARMS_SHARE:
        rows = obs[(obs["kind"] == Kind.ARMS_SHARE) & (obs["measure"] == "share_of_vietnam_arms_imports")
                   & obs["low"].notna() & obs["high"].notna()]
        rows = rows[(rows["start"].map(str) <= window.first)  # a range that covers the whole window
                    & rows["end"].map(lambda e: e is None or str(e) >= window.last)]
        if rows.empty:
            raise ValueError("the observed table has no Russian arms share for "
                             f"{window.first}..{window.last}")
        return float(((rows["low"] + rows["high"]) / 2).mean())
    return 0.0


# ------------------------------------------------------------------------------------------ the file
class Prior(BaseModel):
    """A uniform prior over ``[low, high]``; either bound left out is the coefficient's own range."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Prior:
        for value in (self.low, self.high):
            if value is not None and not math.isfinite(value):
                raise ValueError("bounds must be finite numbers")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class Calibration(BaseModel):
    """A calibration file (``sim/bundled/calibrations/*.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    name: str
    description: str = ""
    scenario: str
    fit_until: Month = Field(description="last month the fit sees; later months are held out")
    parameters: dict[str, Prior] = Field(min_length=1)
    statistics: list[Statistic] = Field(min_length=1)
    population: int = Field(200, ge=10, le=100_000)
    generations: int = Field(6, ge=1, le=100)
    min_acceptance_rate: float = Field(0.02, gt=0, le=1)
    batch: int = Field(200, ge=1, le=10_000, description="simulations run together in one lockstep block")
    predictive_draws: int = Field(200, ge=10, le=100_000)
    seed: int = Field(20131, ge=0)
    source_file: str | None = None

    @field_validator("fit_until", mode="before")
    @classmethod
    def _month(cls, value: Any) -> Month:
        return coerce_month(value)

    @field_serializer("fit_until")
    def _month_text(self, value: Month) -> str:
        return str(value)


def load_calibration(path: str | Path) -> tuple[Calibration, Scenario]:
    """Read and check a calibration file; one ``FILE:LINE: path: message`` per problem otherwise."""
    file = calibration_path(path)
    located = read_located(file)
    raw = {k: v for k, v in located.data.items() if k != "source_file"}
    try:
        spec = Calibration.model_validate({**raw, "source_file": recorded_path(file)})
    except ValidationError as exc:
        raise ScenarioError(validation_problems(located, (), exc, Calibration)) from None
    scenario_file = resolve_path(spec.scenario, file.parent)
    if not scenario_file.is_file():
        raise ScenarioError([located.problem(("scenario",), f"no scenario {spec.scenario!r}")])
    base = load_scenario(scenario_file)
    problems: list[Problem] = []
    for path_, prior in spec.parameters.items():
        where = ("parameters", path_)
        info = coefficient_field(base, path_)
        if info is None:
            problems.append(located.problem(where, "not a coefficient of the scenario (a float of a "
                                                   "parameter table; see docs/model.md)"))
            continue
        low, high = prior_bounds(base, path_, prior)
        bad = coefficient_problems(base, path_, np.array([low, high]))
        if bad or not low < high:
            problems.append(located.problem(where, f"prior [{low}, {high}] outside the coefficient's range"))
    last = base.start.plus(base.months - 1)
    if not (base.start <= spec.fit_until < last):
        problems.append(located.problem(("fit_until",), f"must lie within the scenario's months and before "
                                                        f"its last ({base.start}..{last})"))
    if problems:
        raise ScenarioError(problems)
    return spec, base


def prior_bounds(base: Scenario, path: str, prior: Prior) -> tuple[float, float]:
    """The prior's bounds, each defaulting to the coefficient's documented range."""
    low, high = _bounds(coefficient_field(base, path))
    return (float(prior.low if prior.low is not None else low),
            float(prior.high if prior.high is not None else high))


# ------------------------------------------------------------------------------------------ simulation
def simulate_block(base: Scenario, window: Window, stats: Sequence[Statistic], values: pd.DataFrame,
                   seeds: Sequence[int]) -> pd.DataFrame:
    """Run one lockstep block: replicate r has the coefficients of row r of ``values`` (columns are
    dotted paths) and seed ``seeds[r]``; return ``stats`` per replicate over ``window``."""
    varying = {path: values[path].to_numpy(dtype=float) for path in values.columns}
    # no statistic reads the binding report: the same runs without it (sim.model.HedgingModel)
    model = HedgingModel(base, seeds=list(seeds), varying=varying, record_actions=False,
                         rule_report=False).run()
    out = model_statistics(model, window, stats)
    return pd.DataFrame({s.value: out[s] for s in stats}, columns=[s.value for s in stats])



def simulation_seed(root: int, generation: int, index: int) -> int:
    """The seed of simulation ``index`` of ``generation`` (pyabc's calibration sample is -1)."""
    return int(np.random.SeedSequence([root, generation + 2, index]).generate_state(1)[0])


class _Slot(threading.local):
    batch: _Batch | None = None
    index: int = -1


_SLOT = _Slot()


class _Batch:
    """The model calls of one batch of pyabc proposals, gathered from their threads and run together."""

    def __init__(self, run: Callable[[list[dict[str, float]], list[int]], list[dict[str, float]]],
                 size: int) -> None:
        self.run, self.size = run, size
        self.cond = threading.Condition()
        self.pending: dict[int, dict[str, float]] = {}
        self.finished: set[int] = set()
        self.results: dict[int, dict[str, float]] = {}
        self.error: BaseException | None = None
        self.released = False

    def call(self, index: int, parameters: dict[str, float]) -> dict[str, float]:
        with self.cond:
            self.pending[index] = parameters
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.released)
        if self.error is not None:
            raise RuntimeError("the batch's lockstep block failed") from self.error
        return self.results[index]

    def wait_for(self, index: int) -> None:
        """Until proposal ``index`` has reached the model (or ended without it)."""
        with self.cond:
            self.cond.wait_for(lambda: index in self.pending or index in self.finished)

    def done(self, index: int) -> None:
        with self.cond:
            self.finished.add(index)
            self.cond.notify_all()

    def release(self, seeds: Sequence[int]) -> None:
        order = sorted(self.pending)
        try:
            if order:
                out = self.run([self.pending[i] for i in order], [seeds[i] for i in order])
                self.results = dict(zip(order, out, strict=True))
        except BaseException as exc:  # handed to every waiting proposal, re-raised in the sampler
            self.error = exc
        with self.cond:
            self.released = True
            self.cond.notify_all()


def batched_model(parameters: dict[str, float]) -> dict[str, float]:
    """The model pyabc calls: hands the proposal to its thread's batch and waits for the block."""
    if _SLOT.batch is None:
        raise RuntimeError("the hedgesim ABC model runs only inside LockstepSampler")
    return _SLOT.batch.call(_SLOT.index, dict(parameters))


def _sampler_class():  # pyabc is imported only by `calibrate` (it is slow to import)
    from pyabc.sampler import Sampler

    class LockstepSampler(Sampler):
        """pyabc sampler that evaluates ``batch`` proposals at a time in one lockstep block.

        Proposals are drawn one after another, in order (each thread starts only when the previous
        one has handed its parameters to the batch), so the global generator is used exactly as by
        pyabc's single-core sampler; the first ``n`` accepted, in order, form the population."""

        def __init__(self, run: Callable, batch: int, seed: int, progress: Callable[[str], None]) -> None:
            super().__init__()
            self.run, self.batch, self.seed, self.progress = run, batch, seed, progress

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,
                                    ana_vars=None):
            np.random.seed(simulation_seed(self.seed, t, 2**31 - 1) % 2**32)
            sample, evaluated = self._create_empty_sample(), 0
            while sample.n_accepted < n and evaluated < max_eval:
                size = int(min(self.batch, max_eval - evaluated)) if math.isfinite(max_eval) else self.batch
                seeds = [simulation_seed(self.seed, t, evaluated + i) for i in range(size)]
                for particle in self._one_batch(simulate_one, size, seeds):
                    sample.append(particle)
                    evaluated += 1
                    if sample.n_accepted >= n:
                        break
            self.nr_evaluations_ = evaluated
            what = "prior sample (scales the first threshold)" if t < 0 else f"generation {t + 1}"
            self.progress(f"  {what}: {sample.n_accepted} accepted of {evaluated} simulated")
            if sample.n_accepted < n:
                sample.ok = False
            return sample

        def _one_batch(self, simulate_one, size: int, seeds: list[int]) -> list:
            batch = _Batch(self.run, size)
            out: list = [None] * size
            failures: list[BaseException] = []

            def work(i: int) -> None:
                _SLOT.batch, _SLOT.index = batch, i
                try:
                    out[i] = simulate_one()
                except BaseException as exc:  # noqa: BLE001 - re-raised below, in the sampler's thread
                    failures.append(exc)
                finally:
                    batch.done(i)

            threads = []
            for i in range(size):
                thread = threading.Thread(target=work, args=(i,), daemon=True)
                thread.start()
                threads.append(thread)
                batch.wait_for(i)
            batch.release(seeds)
            for thread in threads:
                thread.join()
            if failures:
                raise failures[0]
            return out

    return LockstepSampler


# ------------------------------------------------------------------------------------------ running
@dataclass
class Setup:
    spec: Calibration
    base: Scenario  # cut at fit_until
    full: Scenario
    window: Window
    target: dict[str, float]

    @property
    def paths(self) -> list[str]:
        return list(self.spec.parameters)


def setup(spec: Calibration, base: Scenario) -> Setup:
    months = spec.fit_until.index - base.start.index + 1
    fitted = base.model_copy(update={"months": months})
    window = Window(str(base.start), str(spec.fit_until))
    target = {s.value: observed(s, window, base) for s in spec.statistics}
    return Setup(spec, fitted, base, window, target)


def _abc(s: Setup, db_file: Path, progress: Callable[[str], None] = print):
    import logging

    import pyabc
    logging.getLogger("ABC").setLevel(logging.WARNING)  # hedgesim reports each generation itself

    bounds = {p: prior_bounds(s.full, p, s.spec.parameters[p]) for p in s.paths}
    priors = pyabc.Distribution(**{_name(p): pyabc.RV("uniform", low, high - low)
                                   for p, (low, high) in bounds.items()})

    def run(proposals: list[dict[str, float]], seeds: list[int]) -> list[dict[str, float]]:
        values = pd.DataFrame([{p: prop[_name(p)] for p in s.paths} for prop in proposals])
        stats = simulate_block(s.base, s.window, s.spec.statistics, values, seeds)
        return stats.to_dict("records")

    sampler = _sampler_class()(run, s.spec.batch, s.spec.seed, progress)
    distance = pyabc.PNormDistance(p=2, fixed_weights={st.value: 1 / SCALES[st] for st in s.spec.statistics})
    abc = pyabc.ABCSMC(batched_model, priors, distance,
                       population_size=s.spec.population, sampler=sampler)
    return abc, f"sqlite:///{db_file}"


def _name(path: str) -> str:
    """pyabc parameter names may not contain dots."""
    return path.replace(".", "__")


def prepare(out: Path, spec: Calibration, *, resume: bool, force: bool) -> bool:
    """Make ``out`` ready; return whether it holds generations to resume. A new directory is created
    whole (staged, then renamed) with its marker and ``calibration.json``; ``--resume`` continues only
    a calibration hedgesim wrote from the same file (more generations allowed); ``--force`` replaces
    only a calibration directory holding nothing else."""
    refuse_dangerous(out)
    if out.exists() or out.is_symlink():
        if resume:
            _check_resumable(out, spec)
            return (out / DB).exists()
        if not force:
            raise OutputRefusedError(f"{out} already exists (--resume continues it, --force replaces it)")
        check_replaceable(out, CALIBRATION_LAYOUT, "calibration directory")
        write_dir(out, CALIBRATION_LAYOUT, lambda tmp: _write_spec(tmp, spec), force=True)
        return False
    write_dir(out, CALIBRATION_LAYOUT, lambda tmp: _write_spec(tmp, spec), force=False)
    return False


def _comparable(spec: Calibration) -> dict[str, Any]:
    loose = {"generations", "predictive_draws", "source_file", "description"}  # may change on --resume
    return spec.model_dump(mode="json", exclude=loose)


def _write_spec(root: Path, spec: Calibration) -> None:
    from sim import __version__
    (root / "calibration.json").write_text(json.dumps(
        {"calibration": spec.model_dump(mode="json"), "hedgesim_version": __version__,
         "results_version": RESULTS_VERSION}, indent=2))


def _check_resumable(out: Path, spec: Calibration) -> None:
    if not is_ours(out, CALIBRATION_LAYOUT):
        raise OutputRefusedError(f"{out} is not a calibration directory hedgesim wrote; --resume continues "
                                 "only one")
    try:
        written = json.loads((out / "calibration.json").read_text())
        before = Calibration.model_validate(written["calibration"])
    except (OSError, ValueError, KeyError, TypeError):
        raise UnreadableOutputError(f"{out / 'calibration.json'}: damaged; not as hedgesim wrote it") \
            from None
    if written.get("results_version") != RESULTS_VERSION:
        raise OutputRefusedError(f"{out} holds a calibration of another hedgesim results version "
                                 f"({written.get('results_version', 1)}, this one {RESULTS_VERSION}: the "
                                 "same seeds now give other numbers); use another --out")
    changed = [k for k, v in _comparable(spec).items() if _comparable(before).get(k) != v]
    if changed:
        raise OutputRefusedError(f"{out} holds a calibration started with different {', '.join(changed)}; "
                                 "--resume continues only the same one (use another --out)")


def calibrate(spec: Calibration, base: Scenario, out: Path, *, resume: bool = False, force: bool = False,
              progress: Callable[[str], None] = print, figures: FigureOptions | None = None) -> Path:
    """Run (or continue) the ABC-SMC of ``spec`` into ``out``; write the posterior, its marginal
    intervals, the out-of-sample table and the figures."""
    s = setup(spec, base)
    has_db = prepare(out, spec, resume=resume, force=force)
    with hold_lock(out / ".lock", f"{out} is being calibrated by another process"):
        abc, db = _abc(s, out / DB, progress)
        if has_db:
            abc.load(db, 1)
            done = abc.history.max_t + 1
            progress(f"resuming {out}: {done} of {spec.generations} generations done")
        else:
            abc.new(db, s.target, meta_info={"calibration": spec.name, "seed": str(spec.seed)})
            done = 0
        if done < spec.generations:
            abc.run(max_nr_populations=spec.generations - done, min_acceptance_rate=spec.min_acceptance_rate)
        abc.sampler.stop()
        write_results(abc.history, s, out, figures)
    return out


def posterior(history, s: Setup) -> pd.DataFrame:
    """The last generation's particles: one column per dotted path, and ``weight``."""
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    table = pd.DataFrame({p: frame[_name(p)].to_numpy() for p in s.paths})
    table["weight"] = np.asarray(weights, dtype=float)
    return table


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]) -> list[float]:
    order = np.argsort(values)
    cdf = np.cumsum(weights[order]) / weights.sum()
    return [float(values[order][min(np.searchsorted(cdf, q), len(values) - 1)]) for q in qs]


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective number of particles, (sum w)^2 / sum w^2: the population size if every
    particle weighed the same; far below it, a few heavy particles carry the posterior and its
    quantiles move in steps (Kish 1965, *Survey Sampling*, sec. 11.7)."""
    weights = np.asarray(weights, dtype=float)
    return float(weights.sum() ** 2 / (weights ** 2).sum())


def densest_particle(table: pd.DataFrame, paths: Sequence[str]) -> pd.Series:
    """The particle of the last generation where the weighted posterior density is highest: a point of
    the joint posterior, so coefficients that trade off stay on their ridge (the marginal medians need
    not be a likely point at all). The density at a particle is a weighted Gaussian kernel estimate
    from the *other* particles (leave-one-out), over the coefficients in weighted standard units, with
    one bandwidth, Scott's rule for the effective sample size (Scott 1992, *Multivariate Density
    Estimation*, eq. 6.42): a diagonal kernel, so it is defined even where particles lie on a ridge
    (where :class:`scipy.stats.gaussian_kde`'s full covariance is singular). Leaving a particle's own
    kernel out matters: in ten dimensions the particles lie far apart for the bandwidth, and with its
    own term the estimate is highest at the heaviest particle, whose ABC-SMC weight (prior over
    proposal density) is high where the proposal was thin, not where the posterior is dense. A
    coefficient every particle shares carries no density and is left out of it."""
    values = table[list(paths)].to_numpy(dtype=float)
    weights = table["weight"].to_numpy(dtype=float)
    if not (np.isfinite(values).all() and np.isfinite(weights).all() and (weights >= 0).all()
            and weights.sum() > 0):
        raise ValueError("a posterior needs finite coefficients and non-negative weights, not all zero")
    weights = weights / weights.sum()
    centre = weights @ values
    spread = np.sqrt(weights @ (values - centre) ** 2)
    varying = spread > 0
    if not varying.any() or len(table) == 1:
        return table.iloc[int(np.argmax(weights))]
    z = (values[:, varying] - centre[varying]) / spread[varying]
    bandwidth = effective_sample_size(weights) ** (-1.0 / (z.shape[1] + 4))
    squared = ((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2)
    kernel = np.exp(-0.5 * squared / bandwidth ** 2)
    np.fill_diagonal(kernel, 0.0)  # leave one out: a particle is not evidence of its own density
    return table.iloc[int(np.argmax(kernel @ weights))]


def marginals(table: pd.DataFrame, s: Setup) -> pd.DataFrame:
    """Weighted 5, 50 and 95 % quantiles of each coefficient, beside its prior and default, and its
    value at the joint posterior's densest particle (``point``, :func:`densest_particle`)."""
    point = densest_particle(table, s.paths)
    rows = []
    for p in s.paths:
        p05, med, p95 = weighted_quantiles(table[p].to_numpy(), table["weight"].to_numpy(), (0.05, 0.5, 0.95))
        low, high = prior_bounds(s.full, p, s.spec.parameters[p])
        rows.append({"parameter": p, "prior_low": low, "prior_high": high,
                     "default": _default(s.full, p), "p05": p05, "median": med, "p95": p95,
                     "point": float(point[p]),
                     "narrowed": round(1 - (p95 - p05) / (0.9 * (high - low)), 3)})
    return pd.DataFrame(rows)


def _pyabc_version() -> str:
    from importlib.metadata import version
    return version("pyabc")


def _default(scenario: Scenario, path: str) -> float:
    from sim.scenario.loader import scenario_value
    return float(scenario_value(scenario, path))


def write_results(history, s: Setup, out: Path, figures: FigureOptions | None = None) -> None:
    """posterior.parquet, marginals.csv, out_of_sample.csv, meta.json and the figures, each written
    atomically (a killed write leaves the previous version)."""
    from sim import __version__
    from sim.provenance import git_state
    table = posterior(history, s)
    margins = marginals(table, s)
    predicted, runs = out_of_sample(table, s)
    done = [write_file(out / POSTERIOR, lambda tmp: table.to_parquet(tmp, index=False), force=True),
            write_file(out / MARGINALS, lambda tmp: margins.to_csv(tmp, index=False, float_format="%.4g"),
                       force=True),
            write_file(out / PREDICTIONS, lambda tmp: predicted.to_csv(tmp, index=False, float_format="%.4g"),
                       force=True)]
    meta = {"calibration": s.spec.model_dump(mode="json"), "observed": s.target,
            "fit_window": [s.window.first, s.window.last], "generations": int(history.max_t + 1),
            "evaluations": int(history.total_nr_simulations),
            "epsilons": [float(e) for e in history.get_all_populations()["epsilon"].iloc[1:]],
            "scales": {k.value: v for k, v in SCALES.items()}, "hedgesim_version": __version__,
            "results_version": RESULTS_VERSION, "pyabc_version": _pyabc_version(), "git": git_state()}
    text = json.dumps(meta, indent=2, default=str)
    done.append(write_file(out / "meta.json", lambda tmp: tmp.write_text(text), force=True))
    scenario = calibrated_scenario(out)
    done.append(write_file(out / CALIBRATED, lambda tmp: tmp.write_text(scenario), force=True))
    from sim.plots import save
    save(posterior_figure(table, margins, s), out / "plots", "posterior", figures)
    save(out_of_sample_figure(runs, s), out / "plots", "out_of_sample", figures)


# ------------------------------------------------------------------------------ the calibrated model
def calibrated_name(base: str) -> str:
    """The name of the calibrated scenario of ``base``."""
    return f"{base}_calibrated"


def _nested(values: dict[str, float]) -> dict[str, Any]:
    """``{"a.b.c": 1.0}`` as ``{"a": {"b": {"c": 1.0}}}``."""
    tree: dict[str, Any] = {}
    for dotted, value in sorted(values.items()):
        *parents, leaf = dotted.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def calibrated_scenario(out: Path) -> str:
    """The calibrated model as a scenario file (YAML text): the calibration's base scenario, extended,
    with every estimated coefficient at the joint posterior's densest particle (marginals.csv's
    ``point``, 4 significant digits; :func:`densest_particle`).

    One particle is one set of coefficients that fitted together: where coefficients trade off (the
    corner plot), their marginal medians need not fit at all. It is still one point: a study of
    uncertainty should draw from posterior.parquet instead. Bundled (``python -m sim.calibrate DIR``),
    this is the model the fixed-seed regression test runs."""
    import yaml
    meta = json.loads((out / "meta.json").read_text())
    spec = meta["calibration"]
    margins = pd.read_csv(out / MARGINALS)
    point = {r.parameter: float(f"{r.point:.4g}") for r in margins.itertuples()}
    commit = (meta.get("git") or {}).get("commit", "n/a")
    body = {"name": calibrated_name(spec["scenario"]),
            "description": (f"{spec['scenario']} with the {len(point)} coefficients estimated by the "
                            f"calibration {spec['name']} (ABC-SMC, fitted to {meta['fit_window'][0]}.."
                            f"{meta['fit_window'][1]}) at the joint posterior's densest particle; see "
                            "docs/calibration.md."),
            "extends": spec["scenario"], **_nested(point)}
    head = (f"# Generated from the calibration {spec['name']} (hedgesim {meta['hedgesim_version']}, commit "
            f"{commit}) by `python -m sim.calibrate DIR`;\n# do not edit by hand: calibrate again instead.\n")
    return head + yaml.safe_dump(body, sort_keys=False, width=100)


# ------------------------------------------------------------------------------------------ held out
def held_out(s: Setup) -> Window:
    return Window(str(s.spec.fit_until.plus(1)), str(s.full.end))


def draw_particles(table: pd.DataFrame, s: Setup) -> pd.DataFrame:
    """``predictive_draws`` particles drawn by weight (seeded), as coefficient columns."""
    rng = np.random.default_rng(simulation_seed(s.spec.seed, 10**6, 0))
    w = table["weight"].to_numpy()
    rows = rng.choice(len(table), size=s.spec.predictive_draws, p=w / w.sum())
    return table.iloc[rows][s.paths].reset_index(drop=True)


def out_of_sample(table: pd.DataFrame, s: Setup) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Posterior-predictive check on the held-out months: the full scenario run once per drawn
    particle (one mixed lockstep block); each observed fact of the held-out window beside the 5-95 %
    interval of its simulated counterpart, and whether it falls inside."""
    draws = draw_particles(table, s)
    seeds = [simulation_seed(s.spec.seed, 10**6, 1 + i) for i in range(len(draws))]
    model = HedgingModel(s.full, seeds=seeds, record_actions=False, rule_report=False,
                         varying={p: draws[p].to_numpy() for p in s.paths}).run()
    series = model.series()
    window = held_out(s)
    rows = []
    per_run = model_statistics(model, window, list(Statistic))
    for st in Statistic:
        try:
            obs = observed(st, window, s.full)
        except ValueError:
            continue  # no observed value for these years (Russia's arms share after 2022)
        rows.append(_row(f"{st.value} {window.first}..{window.last}", obs, np.array(per_run[st])))
    rows += _upgrade_dates(series, s, window)
    return pd.DataFrame(rows), series


def _row(fact: str, obs: float, values: np.ndarray) -> dict[str, Any]:
    p05, med, p95 = np.percentile(values, [5, 50, 95])
    return {"fact": fact, "observed": obs, "median": med, "p05": p05, "p95": p95,
            "inside": bool(p05 <= obs <= p95), "runs": len(values)}


UPGRADE_TOLERANCE = 6  # months either side of an observed upgrade that count as "near its date"


def _upgrade_dates(series: pd.DataFrame, s: Setup, window: Window) -> list[dict[str, Any]]:
    """Each observed partner upgrade in the held-out window: the share of runs in which the partner
    reaches that tier within ``UPGRADE_TOLERANCE`` months of the date (observed: 1)."""
    obs = load_observed()
    ups = obs[(obs["kind"] == Kind.UPGRADE) & obs["start"].map(lambda m: window.holds(str(m)))]
    rows = []
    for _, up in ups.iterrows():
        column = f"tier_{up['actor']}"
        if column not in series:
            continue
        date = up["start"]
        near = Window(str(date.plus(-UPGRADE_TOLERANCE)), str(date.plus(UPGRADE_TOLERANCE)))
        hits = []
        for _, run in series.groupby("replicate"):
            reached = run.loc[run[column] >= up["value"], "date"]
            hits.append(float(len(reached) > 0 and near.holds(reached.iloc[0])))
        share = float(np.mean(hits))
        fact = f"{up['actor']} reaches tier {int(up['value'])} near {date} (+-{UPGRADE_TOLERANCE} months)"
        rows.append({"fact": fact,
                     "observed": 1.0, "median": share, "p05": np.nan, "p95": np.nan,
                     "inside": share >= 0.5, "runs": len(hits)})
    return rows


# ------------------------------------------------------------------------------------------ figures
def posterior_figure(table: pd.DataFrame, margins: pd.DataFrame, s: Setup):
    """A corner plot: each coefficient's weighted posterior histogram over its prior range (default
    dashed, 5-95 % shaded) and, below the diagonal, the particles of each pair (size by weight)."""
    import matplotlib.pyplot as plt

    from sim.plots import STYLE
    k, w = len(s.paths), table["weight"].to_numpy()
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, axes = plt.subplots(k, k, figsize=(2.1 * k + 1, 2.1 * k + 0.6), squeeze=False)
        for i, pi in enumerate(s.paths):
            lo_i, hi_i = prior_bounds(s.full, pi, s.spec.parameters[pi])
            for j, pj in enumerate(s.paths):
                ax = axes[i, j]
                if j > i:
                    ax.set_visible(False)
                    continue
                if i == j:
                    ax.hist(table[pi], bins=20, range=(lo_i, hi_i), weights=w, color="#0072B2", alpha=0.8)
                    m = margins.set_index("parameter").loc[pi]
                    ax.axvspan(m["p05"], m["p95"], color="#0072B2", alpha=0.12, lw=0)
                    ax.axvline(m["default"], color="black", ls="--", lw=0.8)
                    ax.set_yticks([])
                else:
                    lo_j, hi_j = prior_bounds(s.full, pj, s.spec.parameters[pj])
                    ax.scatter(table[pj], table[pi], s=4 + 300 * w / w.max() / len(w) * 10, color="#0072B2",
                               alpha=0.5, lw=0)
                    ax.set_xlim(lo_j, hi_j)
                    ax.set_ylim(lo_i, hi_i)
                    if j == 0:
                        ax.set_ylabel(_short(pi), fontsize=7)
                if i == k - 1:
                    ax.set_xlabel(_short(pj), fontsize=7)
                ax.tick_params(labelsize=6)
        fig.suptitle(f"Posterior of {s.spec.name}: fitted to {s.window.first}..{s.window.last}\n"
                     "histograms: weighted particles over the prior range; shaded 5-95 %; dashed: default",
                     x=0.01, ha="left", fontsize=9)
        fig.tight_layout()
    return fig


def _short(path: str) -> str:
    return ".".join(path.split(".")[-2:])


def out_of_sample_figure(series: pd.DataFrame, s: Setup):
    """Held-out years: partners' tiers (median and 5-95 % of posterior-predictive runs) with the
    observed upgrade dates, and the share of runs in crisis with the observed crises shaded."""
    import matplotlib.pyplot as plt

    from sim import labels
    from sim.plots import STYLE, dates
    obs = load_observed()
    tiers = [c for c in series.columns if c.startswith("tier_") and c != "tier_china"]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
        grouped = series.groupby("date")
        t = dates(sorted(series["date"].unique()))
        actors = [c.removeprefix("tier_") for c in tiers]
        extra = [a for a in actors if a not in labels.COUNTRY_COLORS]  # each its own spare colour
        for col in tiers:
            actor = col.removeprefix("tier_")
            colour = labels.country_color(actor, extra.index(actor) if actor in extra else 0)
            q = grouped[col].quantile([0.05, 0.5, 0.95]).unstack()
            line, = axes[0].step(t, q[0.5], where="post", color=colour, label=labels.country_name(actor))
            axes[0].fill_between(t, q[0.05], q[0.95], step="post", color=line.get_color(), alpha=0.12, lw=0)
            for _, up in obs[(obs["kind"] == Kind.UPGRADE) & (obs["actor"] == actor)].iterrows():
                when = dates([str(up["start"])])[0]
                if t.min() <= when <= t.max():
                    axes[0].plot([when], [up["value"]], marker="*", ms=11, color=line.get_color(),
                                 mec="black", mew=0.5, ls="none")
        axes[0].set_ylabel("tier")
        axes[0].set_yticks(range(5))
        axes[0].set_title("Partners' tiers: median and 5-95 % of runs; stars: observed upgrades")
        axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1))
        axes[1].plot(t, grouped["crisis"].mean(), color="#D55E00", label="share of runs in crisis")
        for _, c in obs[obs["kind"] == Kind.CRISIS].iterrows():
            a, b = dates([str(c["start"]), str(c["end"].plus(1))])
            axes[1].axvspan(a, b, color="#999999", alpha=0.35, lw=0)
        axes[1].set_ylim(0, 1)
        axes[1].set_ylabel("share of runs")
        axes[1].set_title("Crises: share of runs in crisis; grey: observed crises")
        for ax in axes:
            ax.axvline(dates([str(s.spec.fit_until.plus(1))])[0], color="black", lw=1)
        axes[1].annotate("held out from here", (dates([str(s.spec.fit_until.plus(1))])[0], 0.95),
                         xytext=(4, 0), textcoords="offset points", fontsize=8, va="top")
        axes[1].set_xlabel("date (year)")
        fig.suptitle(f"{s.spec.name}: posterior-predictive runs of {s.full.name}, fitted to "
                     f"{s.window.first}..{s.window.last}", x=0.01, ha="left", fontsize=10)
        fig.tight_layout()
    return fig


def _effective_sample(out: Path) -> str:
    """``"N of M particles"``: :func:`effective_sample_size` of the committed posterior in ``out``."""
    weights = pd.read_parquet(out / POSTERIOR, columns=["weight"])["weight"].to_numpy()
    return f"{effective_sample_size(weights):.0f} of {len(weights)} particles"


def describe(out: Path) -> str:
    """What ``calibrate`` wrote: the marginal intervals and the out-of-sample table, as text."""
    margins = pd.read_csv(out / MARGINALS)
    predicted = pd.read_csv(out / PREDICTIONS)
    meta = json.loads((out / "meta.json").read_text())
    lines = [f"posterior after {meta['generations']} generations ({meta['evaluations']} simulations), "
             f"fitted to {meta['fit_window'][0]}..{meta['fit_window'][1]}; effective sample size "
             f"{_effective_sample(out)}:",
             f"  {'coefficient':<56} {'default':>8} {'5%':>8} {'median':>8} {'95%':>8} {'point':>8}"]
    lines += [f"  {r.parameter:<56} {r.default:>8.3g} {r.p05:>8.3g} {r.median:>8.3g} {r.p95:>8.3g} "
              f"{r.point:>8.3g}" for r in margins.itertuples()]
    lines += ["out of sample (held-out months):",
              f"  {'fact':<58} {'observed':>8} {'median':>8} {'5-95%':>17}  inside"]
    for r in predicted.itertuples():
        interval = "" if pd.isna(r.p05) else f"[{r.p05:.3g}, {r.p95:.3g}]"
        lines.append(f"  {r.fact:<58} {r.observed:>8.3g} {r.median:>8.3g} {interval:>17}  "
                     f"{'yes' if r.inside else 'NO'}")
    lines.append(f"wrote {out}/ (posterior.parquet, marginals.csv, out_of_sample.csv, meta.json, plots/, "
                 "abc.db)")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ docs
DOC_BEGIN = "<!-- BEGIN GENERATED: python -m sim.calibrate DIR -->"
DOC_END = "<!-- END GENERATED -->"


def markdown(out: Path, relative_to: Path) -> str:
    """The committed calibration in ``out`` as Markdown: the statistics, priors, marginal intervals
    and the out-of-sample table, with the figures (paths relative to the document)."""
    meta = json.loads((out / "meta.json").read_text())
    spec = meta["calibration"]
    margins = pd.read_csv(out / MARGINALS)
    predicted = pd.read_csv(out / PREDICTIONS)
    rel = out.resolve().relative_to(relative_to.resolve())
    lines = [f"Produced by `hedgesim calibrate {spec['name']} --out {out}` (hedgesim "
             f"{meta['hedgesim_version']}, pyabc {meta['pyabc_version']}, commit "
             f"{(meta.get('git') or {}).get('commit', 'n/a')}): {meta['generations']} generations of "
             f"{spec['population']} particles, {meta['evaluations']} simulations in all, fitted to "
             f"{meta['fit_window'][0]}..{meta['fit_window'][1]}; seed {spec['seed']}.", "",
             "**Summary statistics** (observed over the fitted months, from the observed table; `scale`: "
             "the unit of the distance):", "",
             "| statistic | observed | scale |", "|---|---:|---:|"]
    lines += [f"| `{k}` | {v:g} | {meta['scales'][k]:g} |" for k, v in meta["observed"].items()]
    lines += ["", f"Thresholds by generation: {', '.join(f'{e:.3g}' for e in meta['epsilons'])}. "
              f"Effective sample size of the last generation (Kish): {_effective_sample(out)}.", "",
              "**Posterior** (uniform priors; weighted 5, 50 and 95 % quantiles of the last generation; "
              "`narrowed`: 1 - width of the 90 % interval / 90 % of the prior's width; `point`: the "
              "joint posterior's densest particle, the calibrated scenario's values):", "",
              "| coefficient | prior | default | 5% | median | 95% | narrowed | point |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| `{r.parameter}` | [{r.prior_low:g}, {r.prior_high:g}] | {r.default:g} | {r.p05:.3g} | "
              f"{r.median:.3g} | {r.p95:.3g} | {r.narrowed:.2f} | {r.point:.3g} |"
              for r in margins.itertuples()]
    lines += ["", f"![Posterior]({rel}/plots/posterior.png)", "",
              "**Out of sample** (held-out months; posterior-predictive runs of the full scenario; for an "
              "upgrade, the share of runs reaching the tier within six months of its date, counted as "
              "inside at one half or more):", "",
              "| fact | observed | median | 5-95% | inside |", "|---|---:|---:|---|---|"]
    for r in predicted.itertuples():
        interval = "" if pd.isna(r.p05) else f"[{r.p05:.3g}, {r.p95:.3g}]"
        lines.append(f"| {r.fact} | {r.observed:.3g} | {r.median:.3g} | {interval} | "
                     f"{'yes' if r.inside else '**no**'} |")
    lines += ["", f"![Out of sample]({rel}/plots/out_of_sample.png)"]
    return "\n".join(lines)


def update_docs(out: Path, doc: Path) -> None:
    """Replace the generated part of ``doc`` with :func:`markdown` of ``out``."""
    text = doc.read_text()
    head, _, rest = text.partition(DOC_BEGIN)
    _, _, tail = rest.partition(DOC_END)
    doc.write_text(f"{head}{DOC_BEGIN}\n{markdown(out, doc.parent)}\n{DOC_END}{tail}")


def publish(out: Path, doc: Path) -> Path:
    """Make the committed calibration ``out`` the project's: its section of ``doc`` and the bundled
    calibrated scenario (returned), both generated from ``out``."""
    from sim.bundled import SCENARIOS_DIR
    update_docs(out, doc)
    name = calibrated_name(json.loads((out / "meta.json").read_text())["calibration"]["scenario"])
    target = SCENARIOS_DIR / f"{name}.yaml"
    target.write_text(calibrated_scenario(out))
    return target


if __name__ == "__main__":  # python -m sim.calibrate docs/calibration/abc_2013_2019 [docs/calibration.md]
    import sys
    doc_file = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/calibration.md")
    print("wrote", publish(Path(sys.argv[1]), doc_file))
