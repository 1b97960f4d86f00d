"""Readable words for what the model logs: the moves, the rules that shaped them, the world's shocks.

Every phrase comes from the model's own registries: an action's description and family from the
action table (:data:`sim.actions.ACTION_TABLE`), a rule's name and reason from its docstring
(:data:`sim.rules.RULES`), an event's effect from its effect function's docstring
(:data:`sim.events.EFFECTS`). A new action, rule or event kind is explained without touching this file.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from sim.actions import ACTIONS, SPEC, Action, ActionSpec, Family
from sim.decision import softmax
from sim.events import EFFECTS
from sim.rules import RULES
from sim.scenario.schema import Country, EventKind, Scenario

#: moves that change nothing; left out of the log so that it shows what happened
QUIET_ACTIONS = frozenset({Action.HOLD.value})
#: moves aimed at the actor itself: shown without a target
SELF_ACTIONS = frozenset({Action.HOLD.value, Action.MODERNISE.value})
ALTERNATIVES = 3  # alternatives shown beside each move in the "why"
MOVED = 1e-6  # a rule's bonus smaller than this did not move an alternative
MIN_SHOWN = 0.01  # a ruled-out move is shown when it would have had at least this chance

def humanize(identifier: str) -> str:
    """``"maritime_incident"`` -> ``"maritime incident"``."""
    return identifier.replace("_", " ")


def country_names(scenario: Scenario) -> dict[str, str]:
    """Display name of every state in the scenario: its ``display_name``, else its id in words."""
    names = {}
    for name, params in scenario.agents.items():
        shown = getattr(params, "display_name", None)
        names[name] = shown or humanize(name).title()
    return names


def _docstring_paragraph(text: str | None) -> str:
    """The first paragraph of a docstring, on one line."""
    first = (text or "").strip().split("\n\n")[0]
    return " ".join(line.strip() for line in first.splitlines())


def rule_reason(rule_id: str) -> str:
    """What a rule does, in its own docstring's words (first paragraph)."""
    cls = RULES.get(rule_id)
    return cls.summary() if cls else humanize(rule_id)


def rule_name(rule_id: str) -> str:
    """A rule's short name: its docstring's opening words up to the first ``:``, ``(`` or ``.``."""
    reason = rule_reason(rule_id)
    short = re.split(r":|\s\(|\.(?:\s|$)", reason, maxsplit=1)[0].strip()
    return short or humanize(rule_id)


def _spec(action: str) -> ActionSpec | None:
    try:
        return SPEC[Action(action)]
    except ValueError:
        return None


def action_text(action: str) -> str:
    """What a move is, from the action table (``"party_visit"`` -> its description)."""
    spec = _spec(action)
    return (spec.description if spec else "") or humanize(action)


def action_family(action: str) -> Family | None:
    spec = _spec(action)
    return spec.family if spec else None


def event_effect(kind: str) -> str:
    """What an event kind does to the world, from its effect function's docstring."""
    try:
        effect = EFFECTS[EventKind(kind)]
    except ValueError:
        return ""
    return _docstring_paragraph(effect.__doc__)


def readable(text: str) -> str:
    """Text as a reader should see it: no code markup (````dynamics.offer_open_months```` ->
    ``dynamics.offer_open_months``) and no pointers into the code (``(sim.dynamics.end_crisis)``).
    Sources arrive as citation keys (``[Diplomat2023]``) from the scenarios and docstrings."""
    text = re.sub(r"\s*\(sim\.[\w.]+\)", "", text)
    return text.replace("`", "")


@dataclass(frozen=True)
class Option:
    """One move an actor weighed: its chance under the rules, whether it was made, the rules that moved
    it (rule id, +1 raised / -1 lowered)."""

    action: str
    target: str
    probability: float
    chosen: bool
    moved_by: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Weighing:
    """How an actor weighed its menu one month (replicate 0): the moves it made and the most likely
    alternatives, and the likely moves the rules ruled out (with the chance they would have had)."""

    options: tuple[Option, ...]
    ruled_out: tuple[tuple[Option, tuple[str, ...]], ...] = ()


def weigh(deliberation, menu, countries: tuple[str, ...], made: set[tuple[str, str]],
          replicate: int = 0, alternatives: int = ALTERNATIVES) -> Weighing:
    """The :class:`Weighing` of an agent's ``last_deliberation`` (:class:`sim.agents.base.Deliberation`)
    over its ``menu``; ``made`` holds the (action, target) pairs it chose. Chances are softmax
    probabilities of each move as the first pick (:func:`sim.decision.softmax`)."""
    d, r = deliberation.scores, replicate
    temperature = np.broadcast_to(deliberation.temperature, (d.final.shape[0], 1))[r]  # scalar or (R, 1)
    chance = softmax(d.final[r], temperature)
    free = softmax(d.base[r], temperature)

    def option(m: int, p: float) -> Option:
        action, target = ACTIONS[menu.actions[m]].value, countries[menu.targets[m]]
        moved = tuple((rid, int(np.sign(bonus[r, m]))) for rid, bonus in d.reweighted_by
                      if abs(bonus[r, m]) > MOVED)
        return Option(action, target, float(p), (action, target) in made, moved)

    ranked = [option(int(m), chance[m]) for m in np.argsort(-chance, kind="stable") if chance[m] > 0]
    chosen = [o for o in ranked if o.chosen]
    others = [o for o in ranked if not o.chosen][:alternatives]
    ruled = []
    for m in np.argsort(-free, kind="stable"):
        by = tuple(rid for rid, mask in d.forbidden_by if mask[r, m])
        if by and free[m] >= MIN_SHOWN and len(ruled) < alternatives:
            ruled.append((option(int(m), free[m]), by))
    return Weighing(tuple(chosen + others), tuple(ruled))



@dataclass(frozen=True)
class LogEntry:
    """One line of the event log: a world shock or a state's move, with the reasons behind it."""

    date: str
    kind: str  # "event" or a Family value ("assurance", "coercion", ...)
    text: str
    why: tuple[tuple[str, str], ...] = field(default=())  # (rule name, rule reason)
    note: str = ""
    weighing: Weighing | None = None  # on the first logged move of an actor's month
    actor: str = ""


def move_entry(row: Mapping, names: Mapping[str, str]) -> LogEntry:
    """A logged move (a row of ``HedgingModel.actions()``) in words."""
    actor, target = names.get(row["actor"], row["actor"]), names.get(row["target"], row["target"])
    whom = "" if row["target"] == row["actor"] else f" → {target}"
    family = action_family(row["action"])
    rules = [rid for rid in str(row["rules"] or "").split(";") if rid]
    return LogEntry(date=str(row["date"]), kind=family.value if family else "move",
                    text=f"{actor}{whom}: {action_text(row['action'])}",
                    why=tuple((rule_name(rid), rule_reason(rid)) for rid in rules),
                    note=str(row.get("detail") or ""), actor=str(row["actor"]))


def event_entry(row: Mapping, names: Mapping[str, str]) -> LogEntry:
    """A fired event (a row of ``HedgingModel.events()``) in words."""
    who = f" — {names.get(row['actor'], row['actor'])}" if row.get("actor") else ""
    label = f": {humanize(str(row['label']))}" if row.get("label") else ""
    text = f"{humanize(row['kind']).capitalize()}{who}, severity {float(row['severity']):.2f}{label}"
    note = event_effect(row["kind"])
    if row.get("actor"):
        note = note.replace("`actor`", names.get(row["actor"], row["actor"]))
    return LogEntry(date=str(row["date"]), kind="event", text=text, note=note)


def recent_entries(actions: pd.DataFrame, events: pd.DataFrame, names: Mapping[str, str],
                   months: int = 6, weighings: Mapping[tuple[str, str], Weighing] | None = None,
                   ) -> list[LogEntry]:
    """The last ``months`` months that saw a shock or a move, newest first; shocks before moves. The
    first move of an actor in a month carries its :class:`Weighing` from ``weighings`` (date, actor)."""
    moves = actions[~actions["action"].isin(QUIET_ACTIONS)]
    dates = sorted(set(moves["date"]) | set(events["date"]), reverse=True)[:months]
    rank = {date: i for i, date in enumerate(dates)}
    shocks = [event_entry(r, names) for r in events[events["date"].isin(rank)].to_dict("records")]
    acts, seen = [], set()
    for row in moves[moves["date"].isin(rank)].to_dict("records"):
        entry, key = move_entry(row, names), (str(row["date"]), str(row["actor"]))
        if weighings and key in weighings and key not in seen:
            entry = replace(entry, weighing=weighings[key])
        seen.add(key)
        acts.append(entry)
    # newest month first; within a month shocks first, then moves in the order they were made
    return sorted(shocks + acts, key=lambda e: (rank[e.date], e.kind != "event"))


KIND_COLOURS = {"event": "#c0392b", Family.ASSURANCE.value: "#b9770e", Family.DETERRENCE.value: "#1f4e99",
                Family.PARTNERSHIP.value: "#7d3c98", Family.COERCION.value: "#922b21",
                Family.FORBIDDEN.value: "#000000"}


def _option_html(o: Option, names: Mapping[str, str]) -> str:
    target = "" if o.action in SELF_ACTIONS else f" → {names.get(o.target, o.target)}"
    moved = ", ".join(f"{'↑' if sign > 0 else '↓'} {rule_name(rid)}" for rid, sign in o.moved_by)
    return (f'<span class="hs-option{" hs-chosen" if o.chosen else ""}">'
            f'{"✔ " if o.chosen else ""}{html.escape(humanize(o.action))}{html.escape(target)} '
            f'<b class="hs-p" data-p="{o.probability:.6f}">{100 * o.probability:.0f}%</b>'
            + (f' <span style="color:#666">({html.escape(moved)})</span>' if moved else "") + "</span>")


def weighing_html(w: Weighing, names: Mapping[str, str]) -> str:
    """The moves made and their likeliest alternatives with their chances, and what the rules ruled out."""
    weighed = " · ".join(_option_html(o, names) for o in w.options)
    out = f'<div class="hs-weighing" style="margin-left:16px;font-size:90%">weighed: {weighed}'
    if w.ruled_out:
        ruled = "; ".join(f"{html.escape(humanize(o.action))} → {html.escape(names.get(o.target, o.target))} "
                          f"(would have had {100 * o.probability:.0f}%, ruled out by "
                          f"{html.escape(', '.join(rule_name(r) for r in by))})" for o, by in w.ruled_out)
        out += f'<br><span style="color:#7b241c">ruled out: {ruled}</span>'
    return out + "</div>"


def log_html(entries: list[LogEntry], names: Mapping[str, str] | None = None) -> str:
    """The event log as an HTML fragment (plain tags only: the page works offline)."""
    if not entries:
        return '<div class="hs-log"><i>No moves yet: press Step.</i></div>'
    rows, last_date = [], None
    for e in entries:
        if e.date != last_date:
            rows.append(f'<div class="hs-log-month" style="margin-top:6px;font-weight:bold">{e.date}</div>')
            last_date = e.date
        colour = KIND_COLOURS.get(e.kind, "#555555")
        why = ", ".join(f'<span title="{html.escape(readable(reason))}" '
                        f'style="border-bottom:1px dotted #888">{html.escape(name)}</span>'
                        for name, reason in e.why)
        rows.append(
            f'<div class="hs-log-entry hs-{e.kind}" style="margin-left:8px">'
            f'<span style="color:{colour};font-size:85%">[{html.escape(humanize(e.kind))}]</span> '
            f"{html.escape(readable(e.text))}"
            + (f' <span style="color:#666">({html.escape(readable(e.note))})</span>' if e.note else "")
            + (f'<br><span style="margin-left:16px;color:#444;font-size:90%">why: {why}</span>'
               if why else "")
            + (weighing_html(e.weighing, names or {}) if e.weighing else "")
            + "</div>")
    return '<div class="hs-log" style="font-size:13px;line-height:1.35">' + "".join(rows) + "</div>"


# ------------------------------------------------------------------------------------------ inspector
#: what the inspector shows of Vietnam: (world field, label), values of replicate 0
VIETNAM_FACTS = (("threat", "threat perceived from China"), ("regime_insecurity", "regime insecurity"),
                 ("capability", "military capability"), ("assurance_debt", "assurance owed to Beijing"),
                 ("escalation", "crisis rung (0 none .. 5)"))
#: what it shows of a partner: Vietnam-centric dyads (world field, label)
RELATION_FACTS = (("tier", "partnership tier"), ("trust", "Vietnam's trust in it"),
                  ("tension", "tension with Vietnam"), ("interdependence", "economic interdependence"),
                  ("defense", "depth of defence ties"))
PARTNER_FACTS = (("commitment", "commitment to the region"), ("reliability", "reliability as a partner"),
                 ("rivalry", "rivalry with China"), ("offer_months", "months an upgrade offer stays open"),
                 ("sanctioned_months", "months of sanctions left"))
INSPECTED_MOVES = 5  # the state's last moves shown


@dataclass(frozen=True)
class Inspection:
    """One state as the inspector shows it: its standing, its relation with Vietnam, its last moves."""

    name: str
    facts: tuple[tuple[str, str], ...]
    relation: tuple[tuple[str, str], ...]
    moves: tuple[LogEntry, ...]


def _fmt(field_name: str, value: float) -> str:
    from sim.plots import TIER_LABELS

    if field_name == "tier":
        return TIER_LABELS[int(value)]
    return f"{value:.0f}" if field_name.endswith(("months", "escalation")) else f"{value:.2f}"


def inspect(world, country: str, actions: pd.DataFrame, names: Mapping[str, str]) -> Inspection:
    """What the inspector shows of ``country`` in ``world`` (replicate 0) with its moves in ``actions``."""
    i = world.countries.index(country)
    if i == 0:
        facts = tuple((label, _fmt(f, float(getattr(world, f)[0]))) for f, label in VIETNAM_FACTS)
        shares = world.arms_share[0]
        facts += (("arms from home production", f"{shares[0]:.2f}"),)
        relation: tuple[tuple[str, str], ...] = ()
    else:
        facts = tuple((label, _fmt(f, float(getattr(world, f)[0, i]))) for f, label in PARTNER_FACTS)
        relation = tuple((label, _fmt(f, float(getattr(world, f)[0, i]))) for f, label in RELATION_FACTS)
    mine = actions[((actions["actor"] == country) | (actions["target"] == country))
                   & ~actions["action"].isin(QUIET_ACTIONS)].tail(INSPECTED_MOVES)
    moves = tuple(move_entry(r, names) for r in reversed(mine.to_dict("records")))
    return Inspection(names.get(country, country), facts, relation, moves)


def inspector_html(view: Inspection) -> str:
    """The inspector's card body: two small tables and the last moves, newest first."""
    def table(rows: tuple[tuple[str, str], ...], css: str) -> str:
        cells = "".join(f"<tr><td style='padding-right:12px;color:#555'>{html.escape(k)}</td>"
                        f"<td class='hs-value'><b>{html.escape(v)}</b></td></tr>" for k, v in rows)
        return f"<table class='{css}' style='font-size:13px'>{cells}</table>"

    out = f"<div class='hs-inspected' style='font-size:15px;font-weight:bold'>{html.escape(view.name)}</div>"
    out += table(view.facts, "hs-facts")
    if view.relation:
        out += "<div style='margin-top:6px;font-weight:bold;font-size:13px'>Relation with Vietnam</div>"
        out += table(view.relation, "hs-relation")
    moves = "".join(f"<li><span style='color:#666'>{html.escape(m.date)}</span> "
                    f"{html.escape(readable(m.text))}</li>" for m in view.moves)
    moves = moves or "<li><i>no moves yet</i></li>"
    out += ("<div style='margin-top:6px;font-weight:bold;font-size:13px'>Last moves (made or received)</div>"
            f"<ul class='hs-moves' style='font-size:13px;margin:0;padding-left:18px'>{moves}</ul>")
    return out


# ------------------------------------------------------------------------------------------ crises
#: who ended a crisis (``HedgingModel.crises()``'s ``ended_by``), in words
ENDED_BY = {"china": "China stepped down", "vietnam": "Vietnam conceded", "": "still open"}


def crisis_text(crisis: Mapping, events: pd.DataFrame, names: Mapping[str, str]) -> str:
    """One crisis (a row of ``HedgingModel.crises()``) in words: when, who began it (China's own choice,
    or the incident that opened it, by its label) and who ended it. The model records a crisis at the
    start of a month, so an incident injected between steps opened the crisis of the next month."""
    if crisis["started_by"] == Country.CHINA.value:
        begun = f"{names.get(Country.CHINA.value, 'China')}'s own choice of an incident"
    else:
        # the incident of the crisis's first month, or one injected between the two steps before it
        before = str(pd.Period(crisis["start"], freq="M") - 1)
        incidents = events[events["kind"] == EventKind.MARITIME_INCIDENT.value]
        fired = incidents[incidents["date"].isin([before, crisis["start"]])]
        label = humanize(str(fired["label"].iloc[-1])) if len(fired) and fired["label"].iloc[-1] else ""
        begun = f"“{label}”" if label else "an incident"
    end = crisis["end"] or "…"
    ended = ENDED_BY.get(str(crisis["ended_by"]), humanize(str(crisis["ended_by"])))
    return readable(f"{crisis['start']} – {end}: begun by {begun}; {ended}")


def crises_html(texts: list[str]) -> str:
    """The run's crises (each in words, :func:`crisis_text`, oldest first), shown newest first."""
    if not texts:
        return '<div class="hs-crises" style="font-size:12px;color:#555">Crises so far: none</div>'
    items = "".join(f"<li>{html.escape(text)}</li>" for text in reversed(texts))
    return (f'<div class="hs-crises" style="font-size:12px;color:#333">Crises so far ({len(texts)}):'
            f'<ul style="margin:0;padding-left:18px;max-height:88px;overflow-y:auto">{items}</ul></div>')
