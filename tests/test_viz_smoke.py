"""The browser page without a browser: the model it builds for every bundled scenario, the controls,
incident injection, the words of the event log and its "why", the inspector, the charts' in-place
updates, and the server's guards against hostile input."""

from __future__ import annotations

import io
import os
import re
import socket

import numpy as np
import pandas as pd
import pytest
import solara

from sim.actions import Family
from sim.agents.base import Deliberation, Scores
from sim.rules import RULES
from sim.rules.base import Menu
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario
from sim.viz import app
from sim.viz.explain import (
    KIND_COLOURS,
    crises_html,
    crisis_text,
    inspect,
    inspector_html,
    log_html,
    move_entry,
    readable,
    recent_entries,
    rule_name,
    weigh,
    weighing_html,
)
from sim.viz.figures import (
    BASELINE_OPACITY,
    HOVER_CHARS,
    LIVE,
    PANELS,
    STATES_TRACE,
    map_figure,
    monthly_figure,
    positions,
    relations_now,
    update_map,
    update_monthly,
)
from sim.viz.serve import (
    ServeError,
    allowed_authorities,
    listening_socket,
    refusal,
    scenario_reference,
    server_command,
)
from tests.conftest import SCENARIOS


def _live(fig) -> dict:
    return {t.meta[len(LIVE):]: t for t in fig.data if (t.meta or "").startswith(LIVE)}


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_page_model_steps_and_draws_every_bundled_scenario(path):
    model = app.BrowserModel(scenario=path.stem, seed="11")
    where = positions(model.world.countries, model.scenario)
    partners = list(model.world.countries[1:])
    chart = monthly_figure(model.scenario, model.names, partners)
    world_map = map_figure(relations_now(model), where, model.names)
    for _ in range(3):
        model.step()
        tables = model.tables()
        update_monthly(chart, tables.series, tables.events)
        update_map(world_map, relations_now(model), model.names, "china")
    assert all(len(t.x) == 3 for t in _live(chart).values())
    assert model.seed_value == 11 and model.steps == 3
    assert "step 3 of" in app.status_html(model)
    assert recent_entries(model.actions(), model.events(), model.names)
    assert model.weighings, "every month records how the actors weighed their menus"


def test_controls_start_at_the_scenarios_values_and_apply_on_rebuild():
    scenario = load_scenario("four_nos_relaxed")
    params = app.model_params(scenario)
    assert params["china_assertiveness"].value == scenario.agents["china"].assertiveness
    assert params["no_force"]["value"] is False  # the counterfactual's switches start off
    assert params["one_depend"]["value"] is True
    assert set(params) == {"scenario", "seed", *app.SETTINGS}
    model = app.BrowserModel(scenario="historical_2013_2024", china_assertiveness=0.9, no_force=False,
                             choice_temperature=0.4)
    assert model.scenario.agents["china"].assertiveness == 0.9
    assert model.scenario.agents["vietnam"].temperature == 0.4
    assert "no_force" not in {r.id for r in model.rules}
    with pytest.raises(TypeError, match="unknown setting"):
        app.BrowserModel(china_assertivenes=0.9)


def test_seed_text_is_converted_and_a_bad_one_is_reported():
    assert app.parse_seed("42", 7) == (42, "")
    assert app.parse_seed(" ", 7) == (7, "")
    seed, notice = app.parse_seed("forty", 7)
    assert seed == 7 and "not a whole number" in notice
    assert app.BrowserModel(seed="42").seed_value == app.BrowserModel(seed=42).seed_value == 42


def test_injected_incident_opens_a_crisis_and_is_logged():
    model = app.BrowserModel()
    model.step()
    event = model.inject_incident(0.9)
    assert event.date == model.date
    assert model.world.escalation[0] > 0
    events = model.events()
    assert events.iloc[-1]["kind"] == "maritime_incident" and events.iloc[-1]["step"] == 1
    assert relations_now(model).escalation > 0
    assert "crisis:" in app.status_html(model)
    top = recent_entries(model.actions(), events, model.names)[0]
    assert top.kind == "event" and "injected from the browser" in top.text
    model.step()  # the states answer in the coming month
    assert model.steps == 2


def test_event_log_speaks_in_words_from_the_registries():
    row = {"date": "2014-06", "actor": "vietnam", "action": "party_visit", "target": "china",
           "rules": "china_first;cooperate_and_struggle", "detail": ""}
    entry = move_entry(row, {"vietnam": "Vietnam", "china": "China"})
    assert entry.text == "Vietnam → China: high-level or party-to-party visit to Beijing"
    assert [name for name, _ in entry.why] == ["China first", "Cooperate and struggle"]
    assert entry.kind == Family.ASSURANCE.value
    assert "<script" not in log_html([entry]) and "China first" in log_html([entry])
    assert all(rule_name(rid) and len(rule_name(rid)) < 60 for rid in RULES)
    assert set(KIND_COLOURS) <= {f.value for f in Family} | {"event"}


def test_added_partners_get_a_position_on_the_map():
    where = positions(["vietnam", "china", "united_states", "japan", "russia", "india", "atlantis", "mu"])
    assert len(set(where.values())) == 8
    assert where["india"][0] < where["vietnam"][0]  # west of Vietnam, roughly where it is


def test_charts_change_in_place_and_draw_the_baseline_faintly():
    baseline = app.BrowserModel(seed=1).run(12)
    model = app.BrowserModel(seed=2)
    partners = list(model.world.countries[1:])
    fig = monthly_figure(model.scenario, model.names, partners, ("hedging", "tension"),
                         baseline=baseline.series())
    traces = len(fig.data)
    for _ in range(5):
        model.step()
        update_monthly(fig, model.series(), model.events())
    assert len(fig.data) == traces  # nothing added per month
    live = _live(fig)
    assert set(live) == {"hedging_index", "tension_china", "threat_china"}
    assert list(live["hedging_index"].y) == pytest.approx(model.series()["hedging_index"].tolist())
    faint = [t for t in fig.data if t.meta == "baseline"]
    assert len(faint) == 3 and all(t.opacity == BASELINE_OPACITY and len(t.x) == 12 for t in faint)
    assert all(t.hovertemplate for t in live.values()), "hovering shows each value"
    with pytest.raises(ValueError, match="unknown panel"):
        monthly_figure(model.scenario, model.names, partners, ("nope",))
    assert PANELS == ("hedging", "tension", "tiers", "arms")


def test_map_states_carry_their_ids_for_clicks_and_show_the_selection():
    model = app.BrowserModel().run(3)
    fig = map_figure(relations_now(model), positions(model.world.countries), model.names, "japan")
    states = next(t for t in fig.data if t.meta == STATES_TRACE)
    assert list(states.customdata) == list(model.world.countries)
    widths = dict(zip(states.customdata, states.marker.line.width, strict=True))
    assert widths["japan"] > widths["china"]
    assert any("trust" in h for h in states.hovertext)
    update_map(fig, relations_now(model), model.names, "china")
    widths = dict(zip(states.customdata, states.marker.line.width, strict=True))
    assert widths["china"] > widths["japan"]


def _toy_deliberation() -> tuple[Deliberation, Menu, tuple[str, ...]]:
    """Three moves: a visit to China (score 1), an alliance with the US (2), holding (0). A rule forbids
    the alliance; another raises the visit by 0.5."""
    from sim.actions import Action
    menu = Menu.build([(Action.PARTY_VISIT, 1), (Action.FORM_ALLIANCE, 2), (Action.HOLD, 0)])
    base = np.array([[1.0, 2.0, 0.0]])
    forbid = np.array([[False, True, False]])
    bonus = np.array([[0.5, 0.0, 0.0]])
    scores = np.where(forbid, -np.inf, base) + bonus
    return (Deliberation(Scores(base, scores, [("no_alliance", forbid)], [("china_first", bonus)]), 1.0),
            menu, ("vietnam", "china", "united_states"))


def test_the_why_lists_the_likeliest_moves_with_chances_that_sum_to_at_most_one():
    d, menu, countries = _toy_deliberation()
    w = weigh(d, menu, countries, made={("party_visit", "china")})
    chosen, *others = w.options
    assert chosen.chosen and chosen.action == "party_visit" and chosen.moved_by == (("china_first", 1),)
    expected = np.exp(1.5) / (np.exp(1.5) + np.exp(0.0))  # the alliance is ruled out: two moves left
    assert chosen.probability == pytest.approx(expected)
    assert [o.action for o in others] == ["hold"]
    assert sum(o.probability for o in w.options) <= 1 + 1e-12
    (ruled, by), = w.ruled_out
    assert ruled.action == "form_alliance" and by == ("no_alliance",)
    assert ruled.probability == pytest.approx(np.exp(2) / (np.exp(2) + np.exp(1) + 1))
    text = weighing_html(w, {"china": "China", "united_states": "the US"})
    assert "ruled out" in text and "would have had" in text and "data-p=" in text


def test_the_why_reads_its_replicates_temperature():
    """Temperatures are ``(R, 1)`` (one per replicate): replicate 1's chances use replicate 1's."""
    d, menu, countries = _toy_deliberation()
    s = d.scores
    twice = Scores(np.repeat(s.base, 2, axis=0), np.repeat(s.final, 2, axis=0),
                   [("no_alliance", np.repeat(s.forbidden_by[0][1], 2, axis=0))],
                   [("china_first", np.repeat(s.reweighted_by[0][1], 2, axis=0))])
    two = Deliberation(twice, np.array([[1.0], [0.5]]))
    hot, cold = (weigh(two, menu, countries, made=set(), replicate=r) for r in (0, 1))
    visit = next(o for o in cold.options if o.action == "party_visit")
    assert visit.probability == pytest.approx(np.exp(3.0) / (np.exp(3.0) + 1))  # scores / 0.5
    assert next(o for o in hot.options if o.action == "party_visit").probability < visit.probability


def test_the_why_shows_three_alternatives_on_a_real_run():
    model = app.BrowserModel().run(12)
    for w in model.weighings.values():
        assert len([o for o in w.options if not o.chosen]) <= 3
        assert sum(o.probability for o in w.options) <= 1 + 1e-9
        assert [o.probability for o in w.options if not o.chosen] == sorted(
            (o.probability for o in w.options if not o.chosen), reverse=True)
    tables = model.tables()
    html_text = log_html(recent_entries(tables.actions, tables.events, model.names,
                                        weighings=model.weighings), model.names)
    assert "weighed:" in html_text


def test_inspector_shows_a_states_standing_relation_and_last_moves():
    model = app.BrowserModel().run(12)
    actions = model.actions()
    china = inspect(model.world, "china", actions, model.names)
    assert china.name == "China" and dict(china.relation)["partnership tier"]
    assert 0 < len(china.moves) <= 5
    assert all("China" in m.text for m in china.moves)
    vietnam = inspect(model.world, "vietnam", actions, model.names)
    assert vietnam.relation == () and "threat perceived from China" in dict(vietnam.facts)
    assert "Relation with Vietnam" in inspector_html(china) and "<script" not in inspector_html(china)


def test_sources_read_as_citation_keys():
    model = app.BrowserModel().run(24)
    tables = model.tables()
    text = log_html(recent_entries(tables.actions, tables.events, model.names, months=24,
                                   weighings=model.weighings), model.names)
    assert "[Diplomat2023]" in text  # the dated incidents' sources
    assert not re.search(r"\bseeds? 0", text)


def test_code_markup_and_code_pointers_never_reach_the_reader():
    assert readable("offers a tier for ``dynamics.offer_open_months``; `actor` decides") == \
        "offers a tier for dynamics.offer_open_months; actor decides"
    assert readable("the crisis ends (sim.dynamics.end_crisis)") == "the crisis ends"


CRISES = pd.DataFrame([  # as HedgingModel.crises() gives them
    {"start": "2014-05", "end": "2014-09", "started_by": "event", "ended_by": "china"},
    {"start": "2016-02", "end": "2016-03", "started_by": "china", "ended_by": "vietnam"},
    {"start": "2018-01", "end": "", "started_by": "china", "ended_by": ""},
])
EVENTS = pd.DataFrame([{"step": 17, "date": "2014-05", "kind": "maritime_incident", "actor": "china",
                        "severity": 0.85, "label": "HD-981 oil rig, [Diplomat2023]"}])


def test_each_crisis_says_who_began_and_who_ended_it():
    texts = [crisis_text(c, EVENTS, {"china": "China"}) for c in CRISES.to_dict("records")]
    assert texts == ["2014-05 – 2014-09: begun by “HD-981 oil rig, [Diplomat2023]”; "
                     "China stepped down",
                     "2016-02 – 2016-03: begun by China's own choice of an incident; Vietnam conceded",
                     "2018-01 – …: begun by China's own choice of an incident; still open"]
    shown = crises_html(texts)
    assert shown.index("2018-01") < shown.index("2014-05")  # newest first
    assert "none" in crises_html([])


def test_crisis_months_hover_with_their_story_and_chosen_incidents_are_marked():
    model = app.BrowserModel()
    series = model.run(12).series()
    series.loc[:, "crisis"] = 0.0
    series.loc[series["date"].between("2013-03", "2013-04"), "crisis"] = 1.0
    crises = pd.DataFrame([{"start": "2013-03", "end": "2013-04", "started_by": "china", "ended_by": "china",
                            "text": "2013-03 – 2013-04: begun by China's own choice"}])
    fig = monthly_figure(model.scenario, model.names, list(model.world.countries[1:]), ("tension",))
    update_monthly(fig, series, model.events().iloc[0:0], crises)
    bars = next(t for t in fig.data if t.meta == "crisis")
    assert list(bars.x) == ["2013-03", "2013-04"]
    assert all("begun by China's own choice" in h.replace("<br>", " ") for h in bars.hovertext)
    assert all(len(line) <= HOVER_CHARS for h in bars.hovertext for line in h.split("<br>"))
    marks = next(t for t in fig.data if t.meta == "incidents")
    assert list(marks.x) == ["2013-03"] and "China's own choice" in marks.text[0].replace("<br>", " ")


def test_a_crisis_opened_by_an_injected_incident_names_it():
    model = app.BrowserModel().run(2)
    model.inject_incident(0.9)
    model.step()
    (text,) = model.tables().crises["text"]
    assert text.startswith("2013-03") and "incident injected from the browser" in text


def test_the_page_tables_tell_every_crisis_of_a_run():
    model = app.BrowserModel().run(60)
    tables = model.tables()
    assert len(tables.crises) == len(model.crises()) > 0
    for crisis in tables.crises.to_dict("records"):
        assert crisis["text"].startswith(crisis["start"])
        assert ("own choice" in crisis["text"]) == (crisis["started_by"] == "china")


def test_download_is_the_run_so_far():
    model = app.BrowserModel(seed=5).run(7)
    assert app.download_name(model) == "historical_2013_2024-seed5-7months.csv"
    table = pd.read_csv(io.StringIO(model.tables().series.to_csv(index=False)))
    assert len(table) == 7 and "hedging_index" in table.columns


def test_components_render_headless():
    model = app.BrowserModel()
    model.step()
    baseline = app.BrowserModel(seed=3).run(2)
    box, rc = solara.render(app.Dashboard(model, baseline, solara.Reactive("china")), handle_error=False)
    rc.close()
    box, rc = solara.render(app.Page(), handle_error=False)
    rc.close()


def test_server_binds_loopback_unless_asked():
    from sim.cli import build_parser
    defaults = build_parser().parse_args(["viz"])
    assert defaults.host == "127.0.0.1", "all interfaces only when asked with --host"
    command = server_command(7, defaults.host, 9999)
    assert command[command.index("--host") + 1] == "127.0.0.1" and command[command.index("--fd") + 1] == "7"
    assert scenario_reference("historical_2013_2024") == "historical_2013_2024"
    assert scenario_reference(str(SCENARIOS[0])) == SCENARIOS[0].stem


# ------------------------------------------------------------------------------------------ hostile input
def test_picker_loads_only_the_scenarios_it_offered(tmp_path):
    outside = tmp_path / "mine.yaml"
    outside.write_text(SCENARIOS[0].read_text())
    menu = app.ScenarioMenu.offered("historical_2013_2024")
    assert menu.first == "historical_2013_2024"
    assert menu.names == [p.stem for p in SCENARIOS]
    assert isinstance(menu.attempt("four_nos_relaxed"), Scenario)
    for client_value in (str(outside), str(SCENARIOS[0]), "../scenarios/four_nos_relaxed", "/etc/passwd",
                         "four_nos_relaxed.yaml", ""):
        refused = menu.attempt(client_value)
        assert isinstance(refused, app.PageError) and "not one of the scenarios" in str(refused)
    given = app.ScenarioMenu.offered(str(outside))  # the command line's file is offered, by its name
    assert given.first == "mine.yaml" and given.names[0] == "mine.yaml"
    assert isinstance(given.load("mine.yaml"), Scenario)
    with pytest.raises(app.PageError):
        given.load(str(outside))
    with pytest.raises(app.PageError, match="not one of"):
        app.BrowserModel(scenario=str(outside))  # the model, too, takes names only


def test_a_fifo_is_never_opened(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    link = tmp_path / "link.yaml"
    link.symlink_to(fifo)
    for path in (fifo, link):
        menu = app.ScenarioMenu.offered(str(path))
        with pytest.raises(app.PageError, match="not a regular file"):
            menu.load(menu.first)  # opening it would block this test for ever


SECRET_KEY, SECRET_VALUE = "launch_codes_key", "hunter2-secret-value"


@pytest.mark.parametrize("text", [
    f"{SECRET_KEY}: {SECRET_VALUE}\n",  # an unknown key
    f"name: x\nmonths: {SECRET_VALUE}\n",  # a bad value
    f"name: [{SECRET_VALUE}\n",  # broken YAML
    "\xff\xfe" + SECRET_VALUE,  # not UTF-8
], ids=["unknown-key", "bad-value", "syntax", "encoding"])
def test_page_errors_never_echo_the_files_contents(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_bytes(text.encode("latin-1"))
    error = app.ScenarioMenu.offered(str(path)).attempt("bad.yaml")
    assert isinstance(error, app.PageError)
    message = str(error)
    assert "\n" not in message and "bad.yaml" in message
    assert SECRET_KEY not in message and SECRET_VALUE not in message and "months" not in message


@pytest.mark.parametrize(("host", "origin", "websocket", "passes"), [
    ("127.0.0.1:8765", "http://127.0.0.1:8765", True, True),
    ("localhost:8765", "http://localhost:8765", True, True),
    ("[::1]:8765", "http://[::1]:8765", True, True),
    ("127.0.0.1:8765", "http://evil.example", True, False),
    ("127.0.0.1:8765", "http://evil.example", False, False),
    ("127.0.0.1:8765", "null", True, False),
    ("127.0.0.1:8765", "https://127.0.0.1:8765", True, False),
    ("127.0.0.1:8765", None, True, False),  # browsers always send an Origin on a websocket
    ("127.0.0.1:8765", None, False, True),  # but not on a same-origin navigation
    ("evil.example:8765", "http://evil.example:8765", True, False),  # DNS rebinding
    ("127.0.0.1:9999", "http://127.0.0.1:9999", True, False),  # another port is another origin
    (None, None, False, False),
])
def test_only_the_pages_own_origin_may_drive_it(host, origin, websocket, passes):
    allowed = allowed_authorities("127.0.0.1", 8765)
    assert (refusal(host, origin, websocket, allowed) == "") is passes


def test_all_interfaces_accept_any_host_but_still_only_its_own_origin():
    assert allowed_authorities("0.0.0.0", 80) is None
    assert refusal("10.0.0.5:80", "http://10.0.0.5:80", True, None) == ""
    assert refusal("10.0.0.5:80", "http://evil.example", True, None)


@pytest.mark.parametrize("port", [99999, 0, -1, 65536])
def test_a_port_out_of_range_is_refused_before_binding(port):
    with pytest.raises(ServeError, match=f"--port {port} is not a TCP port"):
        listening_socket("127.0.0.1", port)


def test_a_busy_port_or_unknown_host_is_refused():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServeError, match="in use"):
            listening_socket("127.0.0.1", port)
    with pytest.raises(ServeError, match="not an address"):
        listening_socket("no-such-host.invalid", 8765)


def test_events_table_shape_is_what_the_log_reads():
    model = app.BrowserModel().run(20)
    assert isinstance(model.events(), pd.DataFrame)
    assert {"step", "date", "kind", "actor", "severity", "label"} <= set(model.events().columns)
