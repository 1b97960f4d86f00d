"""Bounded memory: a finished model is freed once the caller drops it (Mesa issue #3179 worked
around in sim/mesa_compat.py). Each test holds only a weak reference and asks the garbage collector.
"""

from __future__ import annotations

import gc
import itertools
import weakref
from collections import defaultdict

import mesa
import numpy as np
import pytest

from sim import mesa_compat
from sim.model import HedgingModel
from sim.scenario.loader import load_scenario
from sim.sweep import runner
from sim.sweep.experiment import Outcome, Reducer
from sim.sweep.runner import Block, ChunkTask, run_chunk


@pytest.fixture(scope="module")
def short():
    """A five-year scenario with a crisis, China's packages and random incidents."""
    return load_scenario("south_china_sea_flareup")


def _is_freed(ref: weakref.ref) -> bool:
    gc.collect()
    return ref() is None


def test_a_finished_model_is_freed_when_dropped(short):
    ref = weakref.ref(HedgingModel(short, seed=3).run())
    assert _is_freed(ref)


def test_a_lockstep_block_is_freed_when_dropped(short):
    model = HedgingModel(short, seeds=[1, 2, 3], record_actions=False).run()
    assert model.world.replicates == 3
    ref = weakref.ref(model)
    del model
    assert _is_freed(ref)


def test_a_model_stepped_by_hand_and_dropped_half_way_is_freed(short):
    model = HedgingModel(short, seed=5)
    for _ in range(6):
        model.step()
    ref = weakref.ref(model)
    del model
    assert _is_freed(ref)


def test_the_sweeps_chunk_leaves_no_model_behind(short, monkeypatch):
    built: list[weakref.ref] = []

    def tracked(*args, **kwargs):
        model = HedgingModel(*args, **kwargs)
        built.append(weakref.ref(model))
        return model

    monkeypatch.setattr(runner, "HedgingModel", tracked)
    values = np.array([[0.3], [0.5]])  # China's assertiveness per run of the first block
    blocks = (Block(np.array([0, 1]), np.array([0, 0]), np.array([11, 12]), values),
              Block(np.array([1]), np.array([1]), np.array([13]), np.array([[0.5]])))
    task = ChunkTask(blocks, (short, short), 2,
                     {"mean_tension": Outcome(series="tension_china", reduce=Reducer.MEAN)}, ("tension_china",),
                     ("agents.china.assertiveness",))
    runs, series = run_chunk(task)
    assert len(runs) == 3 and len(series) == 3 * short.months
    assert len(built) == 2
    gc.collect()
    assert [r() for r in built] == [None, None]


def test_the_registry_does_not_grow_with_runs(short):
    gc.collect()
    before = mesa_compat.registered_models()
    for seed in range(2):
        HedgingModel(short, seed=seed).run()
    gc.collect()
    assert mesa_compat.registered_models() == before


def test_agent_ids_still_count_from_one_within_each_model(short):
    a, b = HedgingModel(short, seed=1), HedgingModel(short, seed=2)
    ids_a = sorted(agent.unique_id for agent in a.agents)
    assert ids_a == list(range(1, len(ids_a) + 1))
    assert sorted(agent.unique_id for agent in b.agents) == ids_a


def test_install_is_idempotent_and_keeps_live_counters():
    mesa_compat.install()
    registry = mesa.Agent._ids
    assert isinstance(registry, mesa_compat.WeakModelCounters)
    mesa_compat.install()
    assert mesa.Agent._ids is registry


def test_without_the_workaround_the_model_would_leak(short, monkeypatch):
    """The check above can fail: with Mesa 3.3.1's own registry the dropped model stays alive."""
    monkeypatch.setattr(mesa.Agent, "_ids", defaultdict(lambda: itertools.count(1)))
    model = HedgingModel(short, seed=3)
    ref = weakref.ref(model)
    del model
    assert not _is_freed(ref)
    monkeypatch.undo()
    assert _is_freed(ref)


def test_results_are_unchanged_by_the_workaround(short, monkeypatch):
    weak = HedgingModel(short, seed=9, record_actions=False).run().series_values()
    monkeypatch.setattr(mesa.Agent, "_ids", defaultdict(lambda: itertools.count(1)))
    strong = HedgingModel(short, seed=9, record_actions=False).run().series_values()
    np.testing.assert_array_equal(weak, strong)


def test_a_serial_sweep_hands_on_each_chunk_before_running_the_next(monkeypatch):
    """In-process (--workers 1) the executor runs a task as it is submitted: the runner must not
    submit dozens ahead, or their finished tables pile up in memory before any is written."""
    log: list[tuple[str, str]] = []

    def fake_run(task):
        log.append(("run", task))
        return f"runs {task}", f"series {task}"

    monkeypatch.setattr(runner, "run_chunk", fake_run)
    runner.execute(iter("abc"), runner.SerialExecutor(), lambda task, runs, series: log.append(("wrote", task)))
    assert log == [("run", "a"), ("wrote", "a"), ("run", "b"), ("wrote", "b"), ("run", "c"), ("wrote", "c")]
