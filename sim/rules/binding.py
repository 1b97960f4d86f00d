"""How much each rule changed a choice: the binding report (issue 10 item 8).

A rule *binds* when the choice drawn with it differs from the choice that would be drawn without it
(every other rule in force). For each decision and each rule in force this module measures, per
replicate:

- ``moved``: the probability mass the rule moved — the total-variation distance between the choice
  probabilities (softmax over the menu) with and without the rule. For a rule that only forbids, it
  is the mass it removed from the candidates it forbids.
- ``removed``: the mass, without the rule, on the candidates only it forbids.
- ``prevented``: the expected number of those candidates among the month's ``k`` moves without the
  rule (``k`` picks without replacement, :func:`sim.decision.inclusion`): the expected forbidden moves
  the rule prevented.

Summed over months these replace a threshold count ("bound in N months"), which hid rules that
removed a little mass every month (the Four Nos: 0 months reported, ~1.8 forbidden moves per run
when switched off). A package answer (``agreement_bonus``) is a yes/no per agreement; there
``moved`` is the expected number of answers the rule changed, ``sum |p_sign with - p_sign without|``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.decision import inclusion, logistic, per_row, probabilities, without_rule

if TYPE_CHECKING:
    from sim.agents.base import Scores


#: the measures of a :class:`RuleEffect`, as the run's rule report lists them
RULE_REPORT = ("moved", "removed", "prevented")
#: the monthly series the report writes (the Four Nos' sums, :meth:`sim.model.HedgingModel.note_rule_effects`)
RULE_SERIES = ("four_nos_removed", "four_nos_prevented")


@dataclass(frozen=True)
class RuleEffect:
    """What one rule did to one decision, per replicate ``(R,)``."""

    rule: str
    moved: np.ndarray
    removed: np.ndarray
    prevented: np.ndarray
    decided: np.ndarray | bool = True  # (R,) where a decision was made (a package: where proposed)


def rule_effects(scores: Scores, temperature: np.ndarray | float, k: int) -> list[RuleEffect]:
    """One :class:`RuleEffect` per rule that forbade or reweighted anything in this decision.

    Each rule's counterfactual choice, ``moved`` and ``removed`` come from one compiled pass
    (:func:`sim.decision.without_rule`); ``prevented`` from :func:`inclusion`, for a rule that
    removed any mass."""
    ids = list(dict.fromkeys([rid for rid, _ in scores.forbidden_by]
                             + [rid for rid, _ in scores.reweighted_by]))
    if not ids:
        return []
    number = {rid: i for i, rid in enumerate(ids)}
    shape = scores.base.shape
    t = per_row(temperature, shape[0])
    tables = (np.ascontiguousarray(scores.base, dtype=float),
              _stacked([mask for _, mask in scores.forbidden_by], shape, bool),
              np.array([number[rid] for rid, _ in scores.forbidden_by], dtype=np.int64),
              _stacked([b for _, b in scores.reweighted_by], shape, float),
              np.array([number[rid] for rid, _ in scores.reweighted_by], dtype=np.int64))
    with_all = probabilities(scores.final, t)
    forbids = {rid for rid, _ in scores.forbidden_by}
    out = []
    for i, rid in enumerate(ids):
        without, only, moved, removed = without_rule(*tables, i, t, with_all)
        prevented = np.zeros(shape[0])
        if rid not in forbids:
            removed = prevented
        elif removed.any():
            prevented = (inclusion(without, k) * only).sum(axis=1)
        out.append(RuleEffect(rid, moved, removed, prevented))
    return out


def _stacked(arrays: list[np.ndarray], shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """``(len(arrays), *shape)``: each array broadcast to ``shape``, contiguous."""
    out = np.empty((len(arrays), *shape), dtype=dtype)
    for i, a in enumerate(arrays):
        out[i] = a
    return out


def answer_effect(rule: str, value: np.ndarray, bonus: np.ndarray, temperature: np.ndarray,
                  proposed: np.ndarray) -> RuleEffect:
    """A rule's effect on yes/no answers (a package): ``moved`` = expected answers it changed.

    ``proposed`` ``(R,)`` marks the replicates that answered; ``value`` and ``bonus`` are their rows,
    ``(n, A)`` in row order (the value includes every other rule), ``temperature`` ``(n, 1)``."""
    def p(x: np.ndarray) -> np.ndarray:
        return logistic(x / temperature)

    moved = np.zeros(len(proposed))
    moved[proposed] = np.abs(p(value + bonus) - p(value)).sum(axis=1)
    zero = np.zeros(len(proposed))
    return RuleEffect(rule, moved, zero, zero, proposed)
