"""Reference tables for docs/model.md, rendered from the code so the documentation cannot drift.

``python -m sim.reference`` rewrites the generated part of docs/model.md; a test checks it is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.actions import ACTION_TABLE, Channel
from sim.agents import AGENTS, PartnerParams
from sim.coefficients import Row, rows
from sim.rules import RULES
from sim.scenario.schema import SECTIONS, EventKind, section_model

BEGIN, END = "<!-- BEGIN GENERATED: python -m sim.reference -->", "<!-- END GENERATED -->"
DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"


def _effects(effects: dict[Channel, float]) -> str:
    return ", ".join(f"{ch.name.lower()} {v:+g}" for ch, v in effects.items()) or "—"


def action_table() -> str:
    rows = ["| action | family | effects (per move) | source |", "|---|---|---|---|"]
    rows += [f"| `{s.action.value}` | {s.family.value} | {_effects(s.effects)} | {s.source} |"
             for s in ACTION_TABLE]
    return "\n".join(rows)


def rule_table() -> str:
    rows = ["| rule | binds | what it does | parameters (default) | source |", "|---|---|---|---|---|"]
    for rid, cls in RULES.items():
        params = ", ".join(f"`{k}` {v.default}" for k, v in cls.Params.model_fields.items())
        group = f" (in `{cls.group}`)" if cls.group else ""
        rows.append(f"| `{rid}`{group} | {cls.binds} | {cls.summary()} | {params} | {cls.source} |")
    return "\n".join(rows)


def coefficients() -> list[Row]:
    """Every numeric parameter a scenario can set, by dotted path: each registered state's, an
    added partner's (``agents.<name>``), each rule's, and the world's tables (actions, dynamics,
    shocks, metrics)."""
    out: list[Row] = []
    for name, cls in AGENTS.items():
        out += rows(cls.Params, f"agents.{name}")
    out += rows(PartnerParams, "agents.<partner>")
    for rid, rule in RULES.items():
        out += rows(rule.Params, f"rules.{rid}")
    for name in SECTIONS:
        out += rows(section_model(name), name)
    return out


def _range(row: Row) -> str:
    return "—" if row.low is None and row.high is None else f"[{row.low:g}, {row.high:g}]"


def parameter_table() -> str:
    lines = ["| path | default | range | meaning | source |", "|---|---|---|---|---|"]
    lines += [f"| `{r.path}` | {r.default:g} | {_range(r)} | {r.meaning} | {r.source or 'definition'} |"
              for r in coefficients()]
    return "\n".join(lines)


def event_table() -> str:
    rows = ["| kind | what it sets |", "|---|---|"]
    from sim.events import EFFECTS
    for kind in EventKind:
        doc = " ".join((EFFECTS[kind].__doc__ or "").split())
        rows.append(f"| `{kind.value}` | {doc} |")
    return "\n".join(rows)


def render() -> str:
    return "\n\n".join([
        BEGIN, "### Actions and their effects", action_table(),
        "### Policy rules", rule_table(), "### Events", event_table(),
        "### Parameters and coefficients",
        "Every number a scenario can set, by the dotted path a scenario or an experiment uses "
        "(`agents.<partner>` is any added partner's). *calibrated*: an assumption to be estimated; "
        "a bracketed key: the source in docs/references.md.",
        parameter_table(), END,
    ])


def updated_doc(text: str) -> str:
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return head + render() + tail


if __name__ == "__main__":
    DOC.write_text(updated_doc(DOC.read_text()))
    print(f"updated {DOC}", file=sys.stderr)
