"""The browser page without a browser: the model it builds for every bundled scenario, the controls,
incident injection, the words of the event log, and the pictures' redraws."""

from __future__ import annotations

import os
import socket

import pandas as pd
import pytest
import solara

from sim.actions import Family
from sim.rules import RULES
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario
from sim.viz import app
from sim.viz.explain import KIND_COLOURS, log_html, move_entry, recent_entries, rule_name
from sim.viz.figures import PANELS, MonthlyPlots, RelationsMap, positions, relations_now
from sim.viz.serve import (
    ServeError,
    allowed_authorities,
    listening_socket,
    refusal,
    scenario_reference,
    server_command,
)
from tests.conftest import SCENARIOS

PNG = b"\x89PNG"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_page_model_steps_and_draws_every_bundled_scenario(path):
    model = app.BrowserModel(scenario=path.stem, seed="11")
    maps = RelationsMap(model.world.countries, model.names, model.scenario)
    plots = MonthlyPlots(model.scenario, model.world.countries, model.names)
    for _ in range(3):
        model.step()
        assert maps.update(relations_now(model)).startswith(PNG)
        assert plots.update(model.series(), model.events()).startswith(PNG)
    assert model.seed_value == 11 and model.steps == 3
    assert "step 3 of" in app.status_html(model)
    assert recent_entries(model.actions(), model.events(), model.names)


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


def test_plots_update_their_lines_instead_of_redrawing():
    model = app.BrowserModel()
    plots = MonthlyPlots(model.scenario, model.world.countries, model.names, ("hedging", "tension"))
    frame_artists = len(plots.figure.axes[0].get_children())
    for _ in range(5):
        model.step()
        plots.update(model.series(), model.events())
    assert len(plots.figure.axes[0].get_children()) == frame_artists  # nothing added per month
    assert len(plots.hedging.get_xdata()) == 5
    with pytest.raises(ValueError, match="unknown panel"):
        MonthlyPlots(model.scenario, model.world.countries, model.names, ("nope",))
    assert PANELS == ("hedging", "tension", "tiers", "arms")


def test_components_render_headless():
    model = app.BrowserModel()
    model.step()
    for component, _page in app.COMPONENTS:
        box, rc = solara.render(component(model), handle_error=False)
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
