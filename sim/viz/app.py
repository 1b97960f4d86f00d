"""The browser page (Mesa's SolaraViz): pick a scenario, move the sliders, inject a crisis, and watch
the five states react month by month, with the reason for every move.

Run it with ``hedgesim viz [SCENARIO]`` or ``solara run sim/viz/app.py`` (the scenario then comes from
the ``HEDGESIM_SCENARIO`` environment variable, default ``historical_2013_2024``).

The sliders and switches start at the chosen scenario's own values and, as everywhere in SolaraViz,
take effect when Reset is pressed; the model is rebuilt with
:func:`sim.scenario.loader.with_overrides` on their dotted paths. Picking another scenario rebuilds
the page with that scenario's values.
"""

from __future__ import annotations

import html
import logging
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import plotly.graph_objects as go
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.user_param import Slider
from mesa.visualization.utils import force_update, update_counter

from sim.metrics import EQUIDISTANCE_BAND, hedging_index
from sim.model import HedgingModel
from sim.rules import groups
from sim.scenario.loader import (
    ScenarioError,
    bundled_scenarios,
    load_scenario,
    scenario_value,
    with_overrides,
)
from sim.scenario.schema import Country, Event, EventKind, Scenario
from sim.state import LADDER, VIETNAM
from sim.viz.chart_widget import chart_class
from sim.viz.explain import (
    Weighing,
    country_names,
    crises_html,
    crisis_text,
    inspect,
    inspector_html,
    log_html,
    recent_entries,
    rule_name,
    weigh,
)
from sim.viz.figures import map_figure, monthly_figure, positions, relations_now, update_map, update_monthly
from sim.viz.serve import SCENARIO_ENV

DEFAULT_SCENARIO = "historical_2013_2024"
LOG_MONTHS = 6  # months shown in the event log
LOG = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------ controls
@dataclass(frozen=True)
class Knob:
    """A slider: a keyword of :class:`BrowserModel` bound to a scenario value by its dotted path."""

    name: str
    path: str
    label: str
    low: float
    high: float
    step: float


KNOBS: tuple[Knob, ...] = (
    Knob("china_assertiveness", "agents.china.assertiveness", "China's assertiveness", 0.0, 1.0, 0.05),
    Knob("us_commitment", "agents.united_states.commitment", "US commitment", 0.0, 1.0, 0.05),
    Knob("russia_reliability", "agents.russia.reliability", "Russia's reliability", 0.0, 1.0, 0.05),
    Knob("choice_temperature", "agents.vietnam.temperature", "Vietnam's choice temperature", 0.02, 1.0, 0.02),
)
#: rules with an on/off switch: each of the Four Nos, and One Depend
FOUR_NOS: tuple[str, ...] = tuple(groups()["four_nos"])
SWITCHES: tuple[str, ...] = (*FOUR_NOS, "one_depend")
#: every keyword the page may set, and the scenario value it overrides
SETTINGS: dict[str, str] = {**{k.name: k.path for k in KNOBS},
                            **{rid: f"rules.{rid}.enabled" for rid in SWITCHES}}


def parse_seed(text: int | str | None, default: int) -> tuple[int, str]:
    """The seed as an integer (SolaraViz hands back the edited field as a string) and a notice for the
    page when the text is not a whole number and ``default`` is used instead."""
    if text is None or str(text).strip() == "":
        return default, ""
    try:
        return int(str(text).strip()), ""
    except ValueError:
        return default, f"seed {str(text)!r} is not a whole number; using the scenario's seed {default}"


# ------------------------------------------------------------------------------------------ scenarios
class PageError(ValueError):
    """Something the page cannot do, in one line fit to show: never a file's contents."""


@dataclass(frozen=True)
class ScenarioMenu:
    """The scenarios the page offers, name -> file: the bundled ones by name, and the file given on the
    command line (by its file name). The picker's value is looked up here and nowhere else, so a value
    a client sends through the page's binding can name only one of these files, never a path."""

    entries: dict[str, Path]
    first: str

    @classmethod
    def offered(cls, given: str | None = None) -> ScenarioMenu:
        """The menu for a page started on ``given`` (a bundled name or a path, from the command line)."""
        entries = {p.stem: p for p in bundled_scenarios()}
        first = given or DEFAULT_SCENARIO
        if first not in entries:
            path = Path(first).resolve()
            first = path.name
            entries = {first: path, **entries}
        return cls(entries, first)

    @property
    def names(self) -> list[str]:
        return list(self.entries)

    def load(self, name: str) -> Scenario:
        """The scenario offered as ``name``; :class:`PageError` (one line, no file contents) otherwise."""
        path = self.entries.get(name)
        if path is None:
            raise PageError("that is not one of the scenarios this page offers")
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or a device would block or never end
                raise PageError(f"scenario {name!r} is not a regular file")
            return load_scenario(path)
        except ScenarioError as exc:
            first = exc.problems[0]
            where = f", first at line {first.line}" if first.line else ""
            raise PageError(f"scenario {name!r} is not valid ({len(exc.problems)} problem(s){where}); "
                            f"`hedgesim run {path.name}` lists them") from None
        except (OSError, UnicodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise PageError(f"scenario {name!r} could not be read: {reason}") from None

    def attempt(self, name: str) -> Scenario | PageError:
        """:meth:`load`, with the error as a value (for the page to show and keep going)."""
        try:
            return self.load(name)
        except PageError as exc:
            return exc


def model_params(scenario: Scenario) -> dict[str, Any]:
    """SolaraViz's ``model_params`` for a scenario: seed, sliders and switches at its own values."""
    params: dict[str, Any] = {
        "scenario": scenario,
        "seed": {"type": "InputText", "value": str(scenario.seed), "label": "Seed"},
    }
    for knob in KNOBS:
        params[knob.name] = Slider(knob.label, value=float(scenario_value(scenario, knob.path)), min=knob.low,
                                   max=knob.high, step=knob.step, dtype=float)
    for rid in SWITCHES:
        group = " (Four Nos)" if rid in FOUR_NOS else ""
        params[rid] = {"type": "Checkbox", "value": bool(scenario_value(scenario, SETTINGS[rid])),
                       "label": f"{rule_name(rid)}{group}"}
    return params


class Tables(NamedTuple):
    series: pd.DataFrame
    events: pd.DataFrame
    actions: pd.DataFrame
    crises: pd.DataFrame  # ``HedgingModel.crises()`` with ``text``: the crisis in words


class BrowserModel(HedgingModel):
    """The model as the page builds it: a scenario by name or path, a seed that may arrive as text,
    and the page's settings (:data:`SETTINGS`) as keywords; ``None`` keeps the scenario's value."""

    def __init__(self, scenario: str | Scenario = DEFAULT_SCENARIO, seed: int | str | None = None,
                 **kwargs: float | bool | None) -> None:
        unknown = sorted(set(kwargs) - set(SETTINGS))
        if unknown:
            raise TypeError(f"unknown setting(s) {unknown}; valid: {sorted(SETTINGS)}")
        if isinstance(scenario, str):  # a name: only a bundled scenario, never a path
            scenario = ScenarioMenu.offered().load(scenario)
        overrides = {SETTINGS[name]: value for name, value in kwargs.items() if value is not None}
        built = with_overrides(scenario, overrides)
        seed_value, self.notice = parse_seed(seed, built.seed)
        super().__init__(built, seed=seed_value)
        self.names = country_names(built)
        self.settings = settings_text(self)  # fixed for the model's life
        self.weighings: dict[tuple[str, str], Weighing] = {}  # (date, actor) -> how it weighed its menu
        self._weighed: dict[str, Any] = {}  # actor -> the deliberation already read
        self._tables: tuple[tuple[int, int], Tables] | None = None

    def step(self) -> None:
        """One month, then how each actor that decided weighed its menu (replicate 0), for the "why"."""
        super().step()
        self._read_deliberations()

    def _read_deliberations(self) -> None:
        date, moves = str(self.date), self.tables().actions
        this_month = moves[moves["step"] == self.steps]
        for agent in self.agents:
            d = getattr(agent, "last_deliberation", None)
            if d is None or d is self._weighed.get(agent.name):
                continue
            self._weighed[agent.name] = d
            mine = this_month[this_month["actor"] == agent.name]
            made = set(zip(mine["action"], mine["target"], strict=True))
            self.weighings[(date, agent.name)] = weigh(d, agent.menu, self.world.countries, made)

    def tables(self) -> Tables:
        """``series()``, ``events()`` and ``actions()``, built once per month (or injected event)."""
        key = (self.steps, len(self.event_log))
        if self._tables is None or self._tables[0] != key:
            events = self.events()
            crises = self.crises()
            crises["text"] = [crisis_text(c, events, self.names) for c in crises.to_dict("records")]
            self._tables = (key, Tables(self.series(), events, self.actions(), crises))
        return self._tables[1]

    def inject_incident(self, severity: float) -> Event:
        """Fire a maritime incident of ``severity`` now; the states answer it in the coming month."""
        event = Event(date=self.date, kind=EventKind.MARITIME_INCIDENT, actor=Country.CHINA.value,
                      severity=severity,
                      label=f"incident injected from the browser (severity {severity:.2f})")
        self.inject(event)
        return event


# ------------------------------------------------------------------------------------------ components
def settings_text(model: BrowserModel) -> str:
    """The slider values and switched-off rules the running model was built with."""
    knobs = ", ".join(f"{k.label} {scenario_value(model.scenario, k.path):.2f}" for k in KNOBS)
    off = [rule_name(rid) for rid in SWITCHES if not scenario_value(model.scenario, SETTINGS[rid])]
    return f"In force: {knobs}, seed {model.seed_value}; rules off: {', '.join(off) or 'none'}"


def status_html(model: BrowserModel) -> str:
    """One line: the month, the crisis state and where the hedging index stands."""
    sc, w = model.scenario, model.world
    month = str(model.date) if model.steps else f"{sc.start} (not started)"
    rung = int(w.escalation[0])
    crisis = f"crisis: {LADDER[rung]} (rung {rung} of {len(LADDER) - 1})" if rung else "no crisis"
    lean = ""
    if model.steps:
        h = float(hedging_index(w)[0])
        side = ("equidistant" if abs(h) < EQUIDISTANCE_BAND else "leans to China" if h < 0
                else "leans to the US")
        lean = f" · hedging index {h:+.2f} ({side})"
    notice = f'<div style="color:#b03a2e">{html.escape(model.notice)}</div>' if model.notice else ""
    notice += f'<div class="hs-settings" style="font-size:11px;color:#555">{model.settings}</div>'
    return (f'<div class="hs-status" style="font-size:14px"><b class="hs-month">{month}</b> · '
            f'step {model.steps} of {sc.months} · <span class="hs-crisis">{crisis}</span>{lean}</div>'
            f"{notice}")


def model_version(model: BrowserModel) -> tuple[int, int, int]:
    """What the figures show changes with: the run (a new one on Reset), the month and the events
    fired (an injected one too)."""
    return id(model), model.steps, len(model.event_log)


def download_name(model: BrowserModel) -> str:
    """File name for the run so far: scenario, seed and months run."""
    return f"{model.scenario.name}-seed{model.seed_value}-{model.steps}months.csv"


@solara.component
def LiveFigure(build: Callable[[], go.Figure], update: Callable[[go.Figure], None], version: tuple,
               on_click: Callable[[str], None] | None = None) -> solara.Element:
    """A Plotly figure built by ``build`` when ``version[0]`` (the run) changes, and changed in place
    by ``update`` whenever ``version`` changes: only the changed values travel to the browser.
    A click on a point with a ``customdata`` id calls ``on_click`` with that id. (The figure must be
    the component's root: Solara finds the widget of a root element.)"""

    def points(data: dict | None) -> None:
        if on_click is None or not data or data.get("event_type") != "plotly_click":
            return
        points, widget = data.get("points", {}), shown.current
        if widget is None:
            return
        for trace, point in zip(points.get("trace_indexes", []), points.get("point_indexes", []),
                                strict=False):
            ids = widget.data[trace].customdata
            if ids is not None and 0 <= point < len(ids):
                on_click(str(ids[point]))

    shown = solara.use_ref(None)  # the widget, for the click handler (it runs outside a render)
    element = chart_class().element(on__js2py_pointsCallback=points)

    def start() -> None:
        widget = solara.get_widget(element)
        figure = build()
        shown.current = widget
        widget.data = ()  # a new run (Reset): the frame is built again in the same widget
        widget.layout = figure.layout
        widget.add_traces(figure.data)

    def refresh() -> None:
        widget = solara.get_widget(element)
        with widget.batch_update():
            update(widget)

    solara.use_effect(start, [version[0]])
    solara.use_effect(refresh, [version])
    return element


@solara.component
def RelationsView(model: BrowserModel, selected: solara.Reactive[str], tick: int) -> None:
    """Where the run stands, and the map: tiers as edge widths, trust as edge colours, the crisis on
    the Vietnam-China edge. Clicking a state selects it for the inspector."""
    where = solara.use_memo(lambda: positions(model.world.countries, model.scenario), [model])
    with solara.Card("Vietnam's relations", classes=["hs-card"]):
        solara.HTML(unsafe_innerHTML=status_html(model))
        tables = model.tables()
        solara.HTML(unsafe_innerHTML=crises_html(list(tables.crises["text"])))
        with solara.Div(classes=["hs-map"]):
            LiveFigure(lambda: map_figure(relations_now(model), where, model.names, selected.value),
                       lambda fig: update_map(fig, relations_now(model), model.names, selected.value),
                       (*model_version(model), selected.value), on_click=selected.set)
        solara.FileDownload(lambda: model.tables().series.to_csv(index=False), filename=download_name(model),
                            label="Download the run so far (CSV)", mime_type="text/csv")


@solara.component
def Inspector(model: BrowserModel, selected: solara.Reactive[str], tick: int) -> None:
    """The selected state: its standing, its relation with Vietnam, and its last moves."""
    countries = list(model.world.countries)
    if selected.value not in countries:
        selected.set(countries[VIETNAM])
    tables = model.tables()
    view = inspect(model.world, selected.value, tables.actions, model.names)
    with solara.Card("Inspect a state", classes=["hs-card"]):
        with solara.Div(style="display:flex; flex-wrap:wrap; gap:4px", classes=["hs-pick-state"]):
            for country in countries:
                solara.Button(model.names.get(country, country), small=True, text=country != selected.value,
                              color="primary", on_click=lambda c=country: selected.set(c))
        solara.HTML(unsafe_innerHTML=inspector_html(view), classes=["hs-inspector"])


@solara.component
def EventLog(model: BrowserModel, tick: int) -> None:
    """Inject a maritime incident at the current month; the latest months' shocks and moves, each with
    the rules that shaped it and the alternatives the actor weighed."""
    severity = solara.use_reactive(0.7)

    def inject() -> None:
        model.inject_incident(severity.value)
        force_update()

    tables = model.tables()
    entries = recent_entries(tables.actions, tables.events, model.names, months=LOG_MONTHS,
                             weighings=model.weighings)
    with solara.Card("What happened, and why", classes=["hs-card"]):
        with solara.Div(style="display:flex; flex-wrap:wrap; align-items:center; gap:8px"):
            with solara.Div(style="flex: 1 1 200px; min-width: 200px"):
                solara.SliderFloat("Incident severity", value=severity, min=0.1, max=1.0, step=0.05)
            solara.Button("Inject maritime incident", on_click=inject, color="error", classes=["hs-inject"])
        solara.HTML(unsafe_innerHTML=log_html(entries, model.names), classes=["hs-event-log"],
                    style="max-height: 320px; overflow-y: auto")


@solara.component
def Charts(model: BrowserModel, baseline: BrowserModel | None, title: str, panels: tuple[str, ...],
           css_class: str, tick: int) -> None:
    """Monthly panels of this run, with the run before Reset drawn faintly beside it."""
    partners = list(model.world.countries[1:])
    before = baseline.tables().series if baseline is not None else None

    def update(fig: go.Figure) -> None:
        tables = model.tables()
        update_monthly(fig, tables.series, tables.events, tables.crises)

    with solara.Card(title, classes=["hs-card"]):
        if before is not None:
            solara.HTML(unsafe_innerHTML='<span class="hs-baseline-note" style="font-size:12px;color:#666">'
                        "dotted, faint: the run before the last Reset</span>")
        with solara.Div(classes=[css_class]):
            LiveFigure(lambda: monthly_figure(model.scenario, model.names, partners, panels, baseline=before),
                       update, model_version(model))


#: the cards flow in a grid: two columns where there is room for two (a window of ~1300 px and up)
GRID_STYLE = ("display:grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap:12px; "
              "align-items:start; width:100%")


@solara.component
def Dashboard(model: BrowserModel, baseline: BrowserModel | None, selected: solara.Reactive[str]) -> None:
    """All cards of a run, in a grid whose cards take the height their content needs. The dashboard
    alone listens to Mesa's ``update_counter`` (bumped after every Step) and hands its value to the
    cards as ``tick``: one render pass per month, where a listener per card cost one pass each."""
    tick = update_counter.get()
    with solara.Div(style=GRID_STYLE, classes=["hs-dashboard"]):
        RelationsView(model, selected, tick)
        Inspector(model, selected, tick)
        EventLog(model, tick)
        Charts(model, baseline, "Hedging and tension", ("hedging", "tension"), "hs-plots-hedging", tick)
        Charts(model, baseline, "Partnerships and arms", ("tiers", "arms"), "hs-plots-partners", tick)


@solara.component
def Run(scenario: Scenario) -> None:
    """Mesa's SolaraViz controls (Step, Play, Reset, the sliders) for one scenario, and the dashboard.
    The model is a reactive that Reset replaces; the run it replaced is kept as the baseline."""
    first = solara.use_memo(lambda: BrowserModel(scenario=scenario), [])
    model = solara.use_reactive(first)
    params = solara.use_memo(lambda: model_params(scenario), [])
    runs = solara.use_ref([first])  # the shown run last, the one before it (if any) first
    if runs.current[-1] is not model.value:
        runs.current = [runs.current[-1], model.value]
    baseline = runs.current[0] if len(runs.current) > 1 else None
    selected = solara.use_reactive(Country.VIETNAM.value)  # the state in the inspector
    SolaraViz(model, components=[], model_params=params, name="hedgesim: Vietnam's bamboo hedging")
    Dashboard(model.value, baseline, selected)


@solara.component
def ScenarioPicker(menu: ScenarioMenu, choice: solara.Reactive[str], description: str, error: str) -> None:
    """Pick a scenario: the page is rebuilt with its values. Sliders and switches apply on Reset."""
    with solara.Card("Scenario"):
        solara.Select("Scenario", values=menu.names, value=choice)
        if error:
            line = f'<p class="hs-error" style="color:#b03a2e">{html.escape(error)}</p>'
            solara.HTML(unsafe_innerHTML=line)
        solara.HTML(unsafe_innerHTML=f'<p style="font-size:13px">{html.escape(description)}</p>'
                    '<p style="font-size:12px;color:#666">Sliders, switches and the seed take effect when '
                    "you press Reset.</p>")


def scenario_menu() -> ScenarioMenu:
    """The menu for this server: the scenario it was started on comes from :data:`SCENARIO_ENV`."""
    return ScenarioMenu.offered(os.environ.get(SCENARIO_ENV))


@solara.component
def Explorer() -> None:
    """The scenario picker, then Mesa's SolaraViz for the chosen scenario. A scenario that fails to
    load leaves the last good one in place, with one line saying why."""
    menu = solara.use_memo(scenario_menu, [])
    choice = solara.use_reactive(menu.first)
    picked = solara.use_memo(lambda: menu.attempt(choice.value), [choice.value])
    last_good = solara.use_ref(None)
    if isinstance(picked, Scenario):
        last_good.current = picked
    error = str(picked) if isinstance(picked, PageError) else ""
    scenario: Scenario | None = last_good.current
    with solara.Sidebar():
        ScenarioPicker(menu, choice, scenario.description if scenario else "", error)
    if scenario is not None:
        Run(scenario).key(f"{scenario.name}-{id(scenario)}")


@solara.component
def Page() -> None:
    """The whole page. An error anywhere below is shown as one line naming its kind (never a traceback
    or a file's contents); the details go to the server's log."""
    failure, clear = solara.use_exception()
    solara.use_effect(lambda: failure and LOG.error("the page failed", exc_info=failure), [failure])
    if failure is None:
        Explorer()
        return
    with solara.Card("The page hit an error"):
        solara.HTML(unsafe_innerHTML='<p class="hs-error">Something failed '
                    f"({html.escape(type(failure).__name__)}); the server's log has the details.</p>")
        solara.Button("Start again", on_click=clear)
