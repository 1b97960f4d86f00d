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
from dataclasses import dataclass, field

import pandas as pd

from sim.actions import SPEC, Action, ActionSpec, Family
from sim.events import EFFECTS
from sim.rules import RULES
from sim.scenario.schema import EventKind, Scenario

#: moves that change nothing; left out of the log so that it shows what happened
QUIET_ACTIONS = frozenset({Action.HOLD.value})


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


@dataclass(frozen=True)
class LogEntry:
    """One line of the event log: a world shock or a state's move, with the reasons behind it."""

    date: str
    kind: str  # "event" or a Family value ("assurance", "coercion", ...)
    text: str
    why: tuple[tuple[str, str], ...] = field(default=())  # (rule name, rule reason)
    note: str = ""


def move_entry(row: Mapping, names: Mapping[str, str]) -> LogEntry:
    """A logged move (a row of ``HedgingModel.actions()``) in words."""
    actor, target = names.get(row["actor"], row["actor"]), names.get(row["target"], row["target"])
    whom = "" if row["target"] == row["actor"] else f" → {target}"
    family = action_family(row["action"])
    rules = [rid for rid in str(row["rules"] or "").split(";") if rid]
    return LogEntry(date=str(row["date"]), kind=family.value if family else "move",
                    text=f"{actor}{whom}: {action_text(row['action'])}",
                    why=tuple((rule_name(rid), rule_reason(rid)) for rid in rules),
                    note=str(row.get("detail") or ""))


def event_entry(row: Mapping, names: Mapping[str, str]) -> LogEntry:
    """A fired event (a row of ``HedgingModel.events()``) in words."""
    who = f" — {names.get(row['actor'], row['actor'])}" if row.get("actor") else ""
    label = f": {row['label']}" if row.get("label") else ""
    text = f"{humanize(row['kind']).capitalize()}{who}, severity {float(row['severity']):.2f}{label}"
    return LogEntry(date=str(row["date"]), kind="event", text=text, note=event_effect(row["kind"]))


def recent_entries(actions: pd.DataFrame, events: pd.DataFrame, names: Mapping[str, str],
                   months: int = 6) -> list[LogEntry]:
    """The last ``months`` months that saw a shock or a move, newest first; shocks before moves."""
    moves = actions[~actions["action"].isin(QUIET_ACTIONS)]
    dates = sorted(set(moves["date"]) | set(events["date"]), reverse=True)[:months]
    rank = {date: i for i, date in enumerate(dates)}
    shocks = [event_entry(r, names) for r in events[events["date"].isin(rank)].to_dict("records")]
    acts = [move_entry(r, names) for r in moves[moves["date"].isin(rank)].to_dict("records")]
    # newest month first; within a month shocks first, then moves in the order they were made
    return sorted(shocks + acts, key=lambda e: (rank[e.date], e.kind != "event"))


KIND_COLOURS = {"event": "#c0392b", Family.ASSURANCE.value: "#b9770e", Family.DETERRENCE.value: "#1f4e99",
                Family.PARTNERSHIP.value: "#7d3c98", Family.COERCION.value: "#922b21",
                Family.FORBIDDEN.value: "#000000"}


def log_html(entries: list[LogEntry]) -> str:
    """The event log as an HTML fragment (plain tags only: the page works offline)."""
    if not entries:
        return '<div class="hs-log"><i>No moves yet: press Step.</i></div>'
    rows, last_date = [], None
    for e in entries:
        if e.date != last_date:
            rows.append(f'<div class="hs-log-month" style="margin-top:6px;font-weight:bold">{e.date}</div>')
            last_date = e.date
        colour = KIND_COLOURS.get(e.kind, "#555555")
        why = ", ".join(f'<span title="{html.escape(reason)}" style="border-bottom:1px dotted #888">'
                        f"{html.escape(name)}</span>" for name, reason in e.why)
        rows.append(
            f'<div class="hs-log-entry hs-{e.kind}" style="margin-left:8px">'
            f'<span style="color:{colour};font-size:85%">[{html.escape(humanize(e.kind))}]</span> '
            f"{html.escape(e.text)}"
            + (f' <span style="color:#666">({html.escape(e.note)})</span>' if e.note else "")
            + (f'<br><span style="margin-left:16px;color:#444;font-size:90%">why: {why}</span>'
               if why else "")
            + "</div>")
    return '<div class="hs-log" style="font-size:13px;line-height:1.35">' + "".join(rows) + "</div>"
