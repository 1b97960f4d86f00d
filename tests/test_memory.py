"""Bounded memory: a finished model is freed once the caller drops it (Mesa issue #3179 worked
around in sim/mesa_compat.py; each test holds only a weak reference and asks the garbage collector),
and a sweep's bookkeeping does not grow with its design: experiment.json is written a batch of
design points at a time, byte for byte what ``json.dumps(indent=2)`` of the whole design wrote, and
a sweep does not read it back. Allocations are counted with tracemalloc (Python's own count, the
same on any machine and load), never by resident size or time.
"""

from __future__ import annotations

import gc
import itertools
import json
import textwrap
import tracemalloc
import weakref
from collections import defaultdict
from pathlib import Path

import mesa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import mesa_compat
from sim.model import HedgingModel
from sim.outputs import UnreadableOutputError
from sim.scenario.loader import BUNDLED_DIR, load_scenario
from sim.sweep import runner
from sim.sweep.experiment import Outcome, Reducer
from sim.sweep.runner import Block, ChunkTask, run_chunk
from sim.sweep.store import PER_POINT, JsonRows, ResultStore, _read_header
from sim.sweep.sweep import metadata, prepare, run_sweep, summary


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
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    gc.disable()  # the chunk frees each block itself: a worker's collector seldom runs a full pass
    try:
        runs, series = run_chunk(task)
        assert len(built) == 2
        assert [r() for r in built] == [None, None]
        assert gc.get_freeze_count() == frozen, "what the chunk froze is thawed"
    finally:
        if enabled:
            gc.enable()
    assert len(runs) == 3 and len(series) == 3 * short.months


def test_a_workers_tables_come_back_as_protocol_5_bytes_equal_to_the_chunks(short):
    """A pool worker returns its chunk's tables pickled with protocol 5 (its data written straight
    into the stream: a worker's peak was pickling them with the pool's protocol 4); the sweep reads
    back the very tables run in-process, schema included."""
    import pickle

    import pandas as pd

    task = ChunkTask((Block(np.array([0, 1]), np.array([0, 1]), np.array([21, 22]), np.zeros((2, 0))),),
                     (short,), 2, {"mean_tension": Outcome(series="tension_china", reduce=Reducer.MEAN)},
                     ("tension_china",), ())
    sent = runner.run_chunk_bytes(pickle.dumps(task))
    assert sent[:2] == b"\x80\x05"  # the PROTO opcode, protocol 5
    for got, expected in zip(runner.received(sent), run_chunk(task), strict=True):
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_a_chunk_leaves_what_others_froze_frozen_even_when_it_fails(short, monkeypatch):
    """A caller's own gc.freeze (before forking, say) is not thawed by a chunk, and a chunk that
    fails thaws what it froze."""
    def failing(*args, **kwargs):
        raise RuntimeError("a block failed")

    task = ChunkTask((Block(np.array([0]), np.array([0]), np.array([11]), np.zeros((1, 0))),), (short,), 1,
                     {"mean_tension": Outcome(series="tension_china", reduce=Reducer.MEAN)}, (), ())
    monkeypatch.setattr(runner, "HedgingModel", failing)
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError, match="a block failed"):
        run_chunk(task)
    assert gc.get_freeze_count() == 0
    # With a caller's objects frozen, the chunk neither freezes nor thaws. (Counting the frozen
    # objects before and after cannot tell: a frozen object freed by reference counting meanwhile,
    # say a traceback the test machinery drops, lowers the count by chance.)
    calls: list[str] = []
    gc.freeze()
    try:
        monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
        monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))
        with pytest.raises(RuntimeError):
            run_chunk(task)
        assert calls == []
    finally:
        monkeypatch.undo()
        gc.unfreeze()


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


# ------------------------------------------------------------------------------------------ sweeps
def _lhs_experiment(folder: Path, points: int) -> Path:
    path = folder / f"lhs_{points}.yaml"
    path.write_text(textwrap.dedent(f"""
        name: lhs_{points}
        scenario: {BUNDLED_DIR / "south_china_sea_flareup.yaml"}
        replicates: 1
        design:
          method: lhs
          samples: {points}
          parameters:
            agents.china.assertiveness: [0.2, 1.0]
            agents.united_states.commitment: [0.2, 1.0]
            agents.vietnam.temperature: [0.05, 0.3]
        outcomes:
          crises: {{series: crisis_count, reduce: last}}
        plots: []
        """))
    return path


def _peak_bytes_writing_metadata(folder: Path, points: int) -> int:
    """tracemalloc's peak while a sweep makes and writes experiment.json for an LHS design of
    ``points`` points (the design itself is made before counting)."""
    experiment, design, _, scenario_hash = prepare(_lhs_experiment(folder, points), yes=True)
    store = ResultStore(folder / f"out_{points}")
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        store.write_metadata(metadata(experiment, scenario_hash, design, ["hedgesim"]))
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        if started:
            tracemalloc.stop()


def test_writing_experiment_json_does_not_grow_with_the_design(tmp_path):
    """Ten times the design points, the same memory: json.dumps(indent=2) of the whole design held
    ~2.7 KB per point at once (~17 MB more here), which set the peak of large sweeps."""
    _peak_bytes_writing_metadata(tmp_path, 100)  # first use: caches (git state, imports) filled
    small = _peak_bytes_writing_metadata(tmp_path, 1_000)
    large = _peak_bytes_writing_metadata(tmp_path, 10_000)
    assert large - small < 2**20, f"writing 9,000 more points held {(large - small) / 2**20:.1f} MB more"


def test_experiment_json_holds_the_whole_design_as_before(tmp_path):
    """The file is byte for byte what the sweep wrote when it built the design's records in memory."""
    experiment, design, _, scenario_hash = prepare(_lhs_experiment(tmp_path, 2_500), yes=True)
    meta = metadata(experiment, scenario_hash, design, ["hedgesim"])
    ResultStore(tmp_path / "out").write_metadata(meta)
    whole = {**meta, "design": design.points.copy().reset_index().to_dict(orient="records"),
             "sample": design.sample.tolist()}
    assert (tmp_path / "out" / "experiment.json").read_text() == json.dumps(whole, indent=2, default=str) + "\n"
    read = ResultStore(tmp_path / "out").metadata()
    assert len(read["design"]) == len(read["sample"]) == 2_500


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                     max_leaves=12)


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.text(), _json | st.lists(st.lists(_json, max_size=3), max_size=3), max_size=5))
def test_rows_written_in_batches_are_laid_out_as_json_dumps_would(tmp_path_factory, meta):
    """Any top-level value given as batches of rows (JsonRows, lists of lists here) is written as
    json.dumps(indent=2) writes the same value as one list: empty batches, unicode, NaN included."""
    whole = {k: [row for batch in v for row in batch] if _is_batches(v) else v for k, v in meta.items()}
    lazy = {k: JsonRows(lambda v=v: iter(v)) if _is_batches(v) else v for k, v in meta.items()}
    folder = tmp_path_factory.mktemp("json")
    ResultStore(folder).write_metadata(lazy)
    assert (folder / "experiment.json").read_text() == json.dumps(whole, indent=2, default=str) + "\n"
    header = _read_header(folder / "experiment.json")  # what a resume reads: all but the per-point arrays
    assert (header is None) == (not meta)
    if header is not None:
        expected = {k: None if k in PER_POINT else v for k, v in whole.items()}
        assert json.dumps(header) == json.dumps(expected)


_cell = st.none() | st.booleans() | st.integers() | st.floats() | st.text()


@st.composite
def _tables(draw: st.DrawFn) -> list[list]:
    """Batches of rows in the shape a design or a sample takes: records with the same keys, or
    lists of the same length, each column of one type or mixed, now and then a nested value."""
    width = draw(st.integers(1, 4))
    key = st.text() | st.sampled_from(["%", "%s", "100% sure", "ü"])
    keys = draw(st.none() | st.lists(key, min_size=width, max_size=width, unique=True))
    column = st.sampled_from([st.floats(), st.integers(), st.text(), _cell, _json])
    cells = [draw(column) for _ in range(width)]
    rows = st.tuples(*cells).map(lambda t: list(t) if keys is None else dict(zip(keys, t, strict=True)))
    return draw(st.lists(st.lists(rows, max_size=4), min_size=1, max_size=3))


@settings(max_examples=80, deadline=None)
@given(_tables(), _tables())
def test_tables_written_column_by_column_are_laid_out_as_json_dumps_would(tmp_path_factory, design, sample):
    """A batch of records with the same keys, or of lists of the same length, is laid out from one
    template filled column by column; the text is json.dumps(indent=2)'s all the same: NaN,
    infinities, '%' and unicode in keys and values, nested values, columns of mixed types."""
    meta = {"design": design, "sample": sample}
    whole = {k: [row for batch in v for row in batch] for k, v in meta.items()}
    folder = tmp_path_factory.mktemp("json")
    ResultStore(folder).write_metadata({k: JsonRows(lambda v=v: iter(v)) for k, v in meta.items()})
    assert (folder / "experiment.json").read_text() == json.dumps(whole, indent=2, default=str) + "\n"


def _is_batches(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(b, list) for b in value)


def test_a_sweep_never_reads_the_design_back(tmp_path, monkeypatch):
    """A new sweep and its summary do not read back the design just written (the runs are known);
    a resumed one reads experiment.json's header once, to check it is the same experiment, and
    never the whole file."""
    reads, headers = [], []
    original, header = ResultStore.metadata, ResultStore.header
    monkeypatch.setattr(ResultStore, "metadata", lambda self: reads.append(1) or original(self))
    monkeypatch.setattr(ResultStore, "header", lambda self: headers.append(1) or header(self))
    scenario = tmp_path / "short.yaml"
    scenario.write_text(f"name: short\ndescription: a year\nextends: {BUNDLED_DIR / 'south_china_sea_flareup.yaml'}"
                        "\nmonths: 12\n")
    experiment = _lhs_experiment(tmp_path, 4)
    experiment.write_text(experiment.read_text().replace(str(BUNDLED_DIR / "south_china_sea_flareup.yaml"),
                                                         str(scenario)))
    report = run_sweep(experiment, tmp_path / "out", progress=False, chunk_runs=2)
    assert report.complete and "4 of 4 runs in the table" in summary(report) and reads == []
    assert headers == []
    report = run_sweep(experiment, tmp_path / "out", progress=False, resume=True)
    assert report.complete and report.done_before == 4 and reads == [] and len(headers) == 1


def _peak_bytes_reading(store: ResultStore, read) -> int:  # noqa: ANN001
    tracemalloc.start()
    try:
        read(store)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_checking_a_resume_does_not_grow_with_the_design(tmp_path):
    """A resume reads experiment.json's header line by line: ten times the design points, the same
    memory, where reading the file whole (as analysis must) holds every point's record."""
    for points in (1_000, 10_000):
        experiment, design, _, scenario_hash = prepare(_lhs_experiment(tmp_path, points), yes=True)
        ResultStore(tmp_path / f"out_{points}").write_metadata(metadata(experiment, scenario_hash, design, ["x"]))
    small, large = ResultStore(tmp_path / "out_1000"), ResultStore(tmp_path / "out_10000")
    _peak_bytes_reading(small, ResultStore.header)  # first use: caches filled
    grown = _peak_bytes_reading(large, ResultStore.header) - _peak_bytes_reading(small, ResultStore.header)
    whole = _peak_bytes_reading(large, ResultStore.metadata) - _peak_bytes_reading(small, ResultStore.metadata)
    assert grown < 64 * 2**10, f"the header of 9,000 more points held {grown / 2**10:.0f} KB more"
    assert whole > 2**20, "the whole file does grow: the measure can tell"
    header, meta = large.header(), large.metadata()
    assert header == {k: None if k in ("design", "sample") else v for k, v in meta.items()}
    assert header["total_runs"] == 10_000 and large.verify(quarantine=False) == set()


def test_a_header_not_laid_out_as_written_is_read_whole_and_a_damaged_one_named(tmp_path):
    meta = {"experiment": {"name": "x"}, "experiment_hash": "h", "total_runs": 3, "design": [{"point": 0}]}
    store = ResultStore(tmp_path)
    (tmp_path / "experiment.json").write_text(json.dumps(meta))  # one line: not our layout
    assert store.header() == {**meta, "design": None}
    (tmp_path / "experiment.json").write_text(json.dumps(meta, indent=2)[:-30])  # cut short
    with pytest.raises(UnreadableOutputError, match=r"experiment.json:\d+: not valid JSON"):
        store.header()
    (tmp_path / "experiment.json").write_text(json.dumps({"experiment": 1}, indent=2))
    with pytest.raises(UnreadableOutputError, match="missing experiment_hash, total_runs, design"):
        store.header()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_while_a_block_runs_and_left_as_it_was(short, monkeypatch, enabled):
    """A block runs with the cyclic collector paused (its months make no cycles worth a walk);
    the collector is left as the caller had it, also when a block fails."""
    seen: list[bool] = []

    def noting(*args, **kwargs):
        seen.append(gc.isenabled())
        return HedgingModel(*args, **kwargs)

    task = ChunkTask((Block(np.array([0]), np.array([0]), np.array([11]), np.zeros((1, 0))),), (short,), 1,
                     {"mean_tension": Outcome(series="tension_china", reduce=Reducer.MEAN)}, (), ())
    monkeypatch.setattr(runner, "HedgingModel", noting)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        run_chunk(task)
        assert seen == [False]
        assert gc.isenabled() is enabled
        monkeypatch.setattr(runner, "HedgingModel", lambda *a, **k: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            run_chunk(task)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
