"""The observed table (sim/bundled/observed/): its facts are well-formed and cited, and the loader
refuses a malformed table with one line per problem naming file, line and column."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.calendar import Month
from sim.observed import (
    COLUMNS,
    OBSERVED_DIR,
    OBSERVED_FILE,
    Kind,
    ObservedDataError,
    load_observed,
    source_keys,
)
from sim.sources import BY_KEY, REFERENCES, Topic

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "sim"


@pytest.fixture(scope="module")
def observed():
    return load_observed()


def _fact(observed, kind: Kind, actor: str, measure: str):
    rows = observed[(observed.kind == kind) & (observed.actor == actor) & (observed.measure == measure)]
    assert len(rows) >= 1, f"no {kind} {actor} {measure}"
    return rows


# ------------------------------------------------------------------------------ the bundled table
def test_the_table_ships_inside_the_package():
    path = Path(str(OBSERVED_DIR / OBSERVED_FILE))
    assert path.is_file()
    assert PACKAGE_DIR in path.resolve().parents


def test_every_row_has_a_source_in_the_bibliography(observed):
    for cell in observed["source"]:
        keys = source_keys(cell)
        assert keys and all(k in BY_KEY for k in keys), cell


def test_every_source_listed_for_the_observed_facts_is_cited(observed):
    cited = {k for cell in observed["source"] for k in source_keys(cell)}
    assert {r.key for r in REFERENCES if r.topic is Topic.OBSERVED} <= cited


def test_dates_parse_to_months(observed):
    assert all(isinstance(m, Month) for m in observed["start"])
    assert all(m is None or isinstance(m, Month) for m in observed["end"])


def test_kinds_come_from_the_enum_and_each_kind_is_present(observed):
    assert set(observed["kind"]) == {k.value for k in Kind}


def test_no_fact_is_listed_twice(observed):
    assert not observed.duplicated(subset=["kind", "actor", "measure", "start"]).any()
    assert not observed.astype(str).duplicated().any()


def test_crises_end_after_they_start_and_last_weeks_to_months(observed):
    crises = observed[observed.kind == Kind.CRISIS]
    months = [s.months_until(e) + 1 for s, e in zip(crises["start"], crises["end"], strict=True)]
    assert all(1 <= m <= 6 for m in months)  # domain.md pattern 1: weeks to a few months


def test_the_facts_the_model_is_judged_by_are_there(observed):
    def start(kind, actor, measure):
        return [str(m) for m in _fact(observed, kind, actor, measure)["start"]]

    assert start(Kind.UPGRADE, "united_states", "comprehensive") == ["2013-07"]
    assert start(Kind.UPGRADE, "united_states", "comprehensive_strategic") == ["2023-09"]
    assert start(Kind.UPGRADE, "japan", "comprehensive_strategic") == ["2023-11"]
    assert start(Kind.UPGRADE, "china", "community") == ["2023-12"]
    assert start(Kind.UPGRADE, "australia", "comprehensive_strategic") == ["2024-03"]
    hd981 = _fact(observed, Kind.CRISIS, "china", "hd981_oil_rig").iloc[0]
    assert (str(hd981.start), str(hd981.end)) == ("2014-05", "2014-07")
    package = {m: _fact(observed, Kind.PACKAGE, "china", m)["value"].iloc[0]
               for m in ("documents_prepared", "documents_signed", "critical_minerals_signed")}
    assert package == {"documents_prepared": 45, "documents_signed": 36, "critical_minerals_signed": 0}
    four_nos = _fact(observed, Kind.RULE, "vietnam", "four_nos").iloc[0]
    assert str(four_nos.start) == "2019-11" and "DWP2019" in source_keys(four_nos.source)
    trade = _fact(observed, Kind.TRADE, "china", "bilateral_trade").iloc[0]
    assert trade.low >= 175 and "VOA2023" in source_keys(trade.source)


def test_upgrades_never_lower_a_tier(observed):
    ups = observed[observed.kind == Kind.UPGRADE].sort_values("start", key=lambda s: s.map(lambda m: m.index))
    for _, tiers in ups.groupby("actor")["value"]:
        assert tiers.is_monotonic_increasing


def test_russias_arms_share_is_a_range_marked_approximate_from_sipri(observed):
    before = _fact(observed, Kind.ARMS_SHARE, "russia", "share_of_vietnam_arms_imports")
    before = before[before["start"] == Month(2000, 1)].iloc[0]
    assert before.approximate and "SIPRI" in source_keys(before.source)
    assert 0 < before.low < before.high <= 1


# ------------------------------------------------------------------------------ bad input
def _table(rows: list[dict[str, str]], header=COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, list(header), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


GOOD = {"kind": "crisis", "actor": "china", "measure": "hd981_oil_rig", "start": "2014-05", "end": "2014-07",
        "value": "", "low": "", "high": "", "unit": "", "approximate": "no", "detail": "an oil rig",
        "source": "VOA2023"}
SOURCES = {"VOA2023"}


def _load(tmp_path: Path, text: str):
    path = tmp_path / "observed.csv"
    path.write_text(text)
    return load_observed(path, sources=SOURCES)


def test_a_good_hand_built_table_loads(tmp_path):
    table = _load(tmp_path, _table([GOOD]))
    assert table.loc[0, "end"] == Month(2014, 7) and table.loc[0, "kind"] == Kind.CRISIS


@pytest.mark.parametrize("change, column, words", [
    ({"kind": "coup"}, "kind", "not a kind"),
    ({"actor": "China"}, "actor", "lower-case"),
    ({"start": "2014-5"}, "start", "YYYY-MM"),
    ({"start": ""}, "start", "YYYY-MM"),
    ({"end": "2014-13"}, "end", "month must be"),
    ({"end": "2014-04"}, "end", "before the start"),
    ({"end": ""}, "end", "needs its last month"),
    ({"value": "lots"}, "value", "finite number"),
    ({"value": "inf"}, "value", "finite number"),
    ({"low": "0.9", "high": "0.1"}, "low", "above high"),
    ({"value": "2", "low": "0", "high": "1"}, "value", "outside"),
    ({"approximate": "maybe"}, "approximate", "yes or no"),
    ({"source": ""}, "source", "needs a source"),
    ({"source": "VOA2023; Nobody1999"}, "source", "unknown source 'Nobody1999'"),
    ({"kind": "upgrade", "end": "", "value": "7"}, "value", "tier reached"),
])
def test_a_bad_cell_is_named_by_file_line_and_column(tmp_path, change, column, words):
    with pytest.raises(ObservedDataError) as err:
        _load(tmp_path, _table([GOOD, {**GOOD, "measure": "other", **change}]))
    (line,) = str(err.value).splitlines()
    assert line.startswith(f"{tmp_path / 'observed.csv'}:3: {column}: ") and words in line


CONCESSION = {**GOOD, "kind": "concession", "start": "2014-06", "end": "", "detail": "drilling halted"}


def test_a_concession_ends_a_crisis_of_the_table(tmp_path):
    table = _load(tmp_path, _table([GOOD, CONCESSION]))
    assert list(table["kind"]) == [Kind.CRISIS, Kind.CONCESSION]


@pytest.mark.parametrize("change, column, words", [
    ({"measure": "other_rig"}, "measure", "no crisis 'other_rig'"),
    ({"actor": "russia"}, "measure", "no crisis"),
    ({"start": "2014-08"}, "start", "outside the crisis 2014-05..2014-07"),
])
def test_a_concession_that_ends_no_crisis_is_refused(tmp_path, change, column, words):
    with pytest.raises(ObservedDataError) as err:
        _load(tmp_path, _table([GOOD, {**CONCESSION, **change}]))
    (line,) = str(err.value).splitlines()
    assert line.startswith(f"{tmp_path / 'observed.csv'}:3: {column}: ") and words in line


def test_the_repsol_halts_are_vietnam_s_concessions(observed):
    halts = observed[observed.kind == Kind.CONCESSION]
    assert sorted(str(m) for m in halts["start"]) == ["2017-07", "2018-03"]


def test_the_same_fact_twice_is_refused(tmp_path):
    with pytest.raises(ObservedDataError, match=r":3: the same fact as line 2"):
        _load(tmp_path, _table([GOOD, {**GOOD, "detail": "again"}]))


@pytest.mark.parametrize("header, words", [
    ([c for c in COLUMNS if c != "source"], "missing source"),
    ([*COLUMNS, "notes"], "unknown notes"),
    ([*COLUMNS[1:], COLUMNS[0]], "out of order"),
])
def test_a_wrong_header_is_refused_on_line_1(tmp_path, header, words):
    with pytest.raises(ObservedDataError, match=rf":1: header: .*{words}"):
        _load(tmp_path, _table([GOOD], header=header))


def test_a_missing_file_is_one_clear_line(tmp_path):
    with pytest.raises(ObservedDataError, match=r"nope\.csv: no such file"):
        load_observed(tmp_path / "nope.csv", sources=SOURCES)


months = st.builds(Month, st.integers(1990, 2030), st.integers(1, 12))


@settings(max_examples=60, deadline=None)
@given(start=months, length=st.integers(0, 40), value=st.floats(-1e6, 1e6, allow_nan=False),
       approximate=st.booleans())
def test_any_well_formed_row_round_trips(tmp_path_factory, start, length, value, approximate):
    end = start.plus(length)
    row = {**GOOD, "kind": "trade", "start": str(start), "end": str(end), "value": repr(value),
           "approximate": "yes" if approximate else "no"}
    table = _load(tmp_path_factory.mktemp("rt"), _table([row]))
    got = table.iloc[0]
    assert (got.start, got.end, got.value, got.approximate) == (start, end, value, approximate)


@settings(max_examples=60, deadline=None)
@given(start=months, back=st.integers(1, 40))
def test_any_row_that_ends_before_it_starts_is_refused(tmp_path_factory, start, back):
    row = {**GOOD, "start": str(start), "end": str(start.plus(-back))}
    with pytest.raises(ObservedDataError, match=r":2: end: .* is before the start"):
        _load(tmp_path_factory.mktemp("bad"), _table([row]))
