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
import os
from dataclasses import dataclass
from typing import Any

import pandas as pd
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.user_param import Slider
from mesa.visualization.utils import force_update, update_counter

from sim.metrics import EQUIDISTANCE_BAND, hedging_index
from sim.model import HedgingModel
from sim.rules import groups
from sim.scenario.loader import bundled_scenarios, load_scenario, scenario_value, with_overrides
from sim.scenario.schema import Country, Event, EventKind, Scenario
from sim.state import LADDER
from sim.viz.explain import country_names, log_html, recent_entries, rule_name
from sim.viz.figures import MonthlyPlots, RelationsMap, relations_now

SCENARIO_ENV = "HEDGESIM_SCENARIO"
DEFAULT_SCENARIO = "historical_2013_2024"
LOG_MONTHS = 6  # months shown in the event log


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


def scenario_choices(current: str | None = None) -> list[str]:
    """The picker's entries: every bundled scenario by name, plus ``current`` if it is another file."""
    names = [p.stem for p in bundled_scenarios()]
    if current and current not in names:
        names.insert(0, current)
    return names


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


class BrowserModel(HedgingModel):
    """The model as the page builds it: a scenario by name or path, a seed that may arrive as text,
    and the page's settings (:data:`SETTINGS`) as keywords; ``None`` keeps the scenario's value."""

    def __init__(self, scenario: str | Scenario = DEFAULT_SCENARIO, seed: int | str | None = None,
                 **kwargs: float | bool | None) -> None:
        unknown = sorted(set(kwargs) - set(SETTINGS))
        if unknown:
            raise TypeError(f"unknown setting(s) {unknown}; valid: {sorted(SETTINGS)}")
        overrides = {SETTINGS[name]: value for name, value in kwargs.items() if value is not None}
        built = with_overrides(scenario, overrides)
        seed_value, self.notice = parse_seed(seed, built.seed)
        super().__init__(built, seed=seed_value)
        self.names = country_names(built)
        self.settings = settings_text(self)  # fixed for the model's life
        self._tables: tuple[tuple[int, int], pd.DataFrame, pd.DataFrame] | None = None

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``series()`` and ``events()``, built once per month (or injected event) for all cards."""
        key = (self.steps, len(self.event_log))
        if self._tables is None or self._tables[0] != key:
            self._tables = (key, self.series(), self.events())
        return self._tables[1], self._tables[2]

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


@solara.component
def RelationsView(model: BrowserModel) -> None:
    """Where the run stands, and the map: tiers as edge widths, trust as edge colours, the crisis on
    the Vietnam-China edge."""
    update_counter.get()
    picture = solara.use_memo(lambda: RelationsMap(model.world.countries, model.names, model.scenario),
                              [model])
    with solara.Card("Vietnam's relations"):
        solara.HTML(unsafe_innerHTML=status_html(model))
        solara.Image(picture.update(relations_now(model)), width="100%", classes=["hs-map"])


@solara.component
def EventLog(model: BrowserModel) -> None:
    """Inject a maritime incident at the current month; the latest months' shocks and moves, each with
    the rules that shaped it."""
    update_counter.get()
    severity = solara.use_reactive(0.7)

    def inject() -> None:
        model.inject_incident(severity.value)
        force_update()

    entries = recent_entries(model.actions(), model.events(), model.names, months=LOG_MONTHS)
    with solara.Card("What happened, and why"):
        with solara.Row(style="align-items: center"):
            solara.SliderFloat("Incident severity", value=severity, min=0.1, max=1.0, step=0.05)
            solara.Button("Inject maritime incident", on_click=inject, color="error", classes=["hs-inject"])
        solara.HTML(unsafe_innerHTML=log_html(entries), classes=["hs-event-log"],
                    style="max-height: 250px; overflow-y: auto")


def _plots_component(title: str, panels: tuple[str, ...], css_class: str):
    """A card with the monthly plots of ``panels``, redrawn by moving their lines."""

    @solara.component
    def Plots(model: BrowserModel) -> None:
        update_counter.get()
        picture = solara.use_memo(
            lambda: MonthlyPlots(model.scenario, model.world.countries, model.names, panels), [model])
        with solara.Card(title):
            solara.Image(picture.update(*model.tables()), width="100%", classes=[css_class])

    Plots.__name__ = css_class.replace("-", "_")
    return Plots


HedgingPlots = _plots_component("Hedging and tension", ("hedging", "tension"), "hs-plots-hedging")
PartnerPlots = _plots_component("Partnerships and arms", ("tiers", "arms"), "hs-plots-partners")
COMPONENTS = [(RelationsView, 0), (EventLog, 0), (HedgingPlots, 0), (PartnerPlots, 0)]


@solara.component
def ScenarioPicker(choice: solara.Reactive[str], description: str) -> None:
    """Pick a scenario: the page is rebuilt with its values. Sliders and switches apply on Reset."""
    with solara.Card("Scenario"):
        solara.Select("Scenario", values=scenario_choices(choice.value), value=choice)
        solara.HTML(unsafe_innerHTML=f'<p style="font-size:13px">{html.escape(description)}</p>'
                    '<p style="font-size:12px;color:#666">Sliders, switches and the seed take effect when '
                    "you press Reset.</p>")


def initial_scenario() -> str:
    return os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO


@solara.component
def Page() -> None:
    """The whole page: the scenario picker, then Mesa's SolaraViz for the chosen scenario."""
    choice = solara.use_reactive(initial_scenario())
    scenario = solara.use_memo(lambda: load_scenario(choice.value), [choice.value])
    model = solara.use_memo(lambda: BrowserModel(scenario=scenario), [scenario])
    params = solara.use_memo(lambda: model_params(scenario), [scenario])
    with solara.Sidebar():
        ScenarioPicker(choice, scenario.description)
    SolaraViz(model, components=COMPONENTS, model_params=params,
              name="hedgesim: Vietnam's bamboo hedging").key(choice.value)
