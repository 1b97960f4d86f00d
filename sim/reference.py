"""Reference tables for docs/model.md, rendered from the code so the documentation cannot drift.

``python -m sim.reference`` rewrites the generated part of docs/model.md; a test checks it is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.actions import ACTION_TABLE, Channel
from sim.rules import RULES
from sim.scenario.schema import AGENT_PARAMS, EventKind, PartnerParams

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


def parameter_table() -> str:
    rows = ["| agent | parameter | default | range |", "|---|---|---|---|"]
    for name, model in {**AGENT_PARAMS, "(added partner)": PartnerParams}.items():
        for field, info in model.model_fields.items():
            bounds = [f"{type(m).__name__.lower()} {getattr(m, type(m).__name__.lower(), '')}"
                      for m in info.metadata if type(m).__name__ in ("Ge", "Le", "Gt", "Lt")]
            rows.append(f"| {name} | `{field}` | {info.default} | {', '.join(bounds) or '—'} |")
    return "\n".join(rows)


def event_table() -> str:
    rows = ["| kind | what it sets |", "|---|---|"]
    from sim.events import EFFECTS
    for kind in EventKind:
        doc = (EFFECTS[kind].__doc__ or "").strip()
        rows.append(f"| `{kind.value}` | {doc} |")
    return "\n".join(rows)


def render() -> str:
    return "\n\n".join([
        BEGIN, "### Actions and their effects", action_table(),
        "### Policy rules", rule_table(), "### Events", event_table(),
        "### Agent parameters", parameter_table(), END,
    ])


def updated_doc(text: str) -> str:
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return head + render() + tail


if __name__ == "__main__":
    DOC.write_text(updated_doc(DOC.read_text()))
    print(f"updated {DOC}", file=sys.stderr)
