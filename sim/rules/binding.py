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

from sim.decision import inclusion, logistic, softmax

if TYPE_CHECKING:
    from sim.agents.base import Scores


#: the measures of a :class:`RuleEffect`, as the run's rule report lists them
RULE_REPORT = ("moved", "removed", "prevented")


@dataclass(frozen=True)
class RuleEffect:
    """What one rule did to one decision, per replicate ``(R,)``."""

    rule: str
    moved: np.ndarray
    removed: np.ndarray
    prevented: np.ndarray
    decided: np.ndarray | bool = True  # (R,) where a decision was made (a package: where proposed)


def _without(scores: Scores, rule: str, others: np.ndarray) -> np.ndarray:
    """``(R, M)`` the scores with every rule in force except ``rule`` (``others``: what the other
    rules forbid)."""
    bonus = sum((b for rid, b in scores.reweighted_by if rid != rule), np.zeros(scores.base.shape))
    return np.where(others, -np.inf, scores.base + bonus)


def _forbidden_by_others(scores: Scores) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``rule -> (R, M)`` what every other rule forbids (the masks before it or'ed with those
    after it: one pass each way, not one per rule), and ``(R, M)`` what all of them forbid."""
    masks = scores.forbidden_by
    none = np.zeros(scores.base.shape, dtype=bool)
    before = [none]
    for _, mask in masks:
        before.append(before[-1] | mask)
    after = none
    out: dict[str, np.ndarray] = {}
    for i in range(len(masks) - 1, -1, -1):
        out[masks[i][0]] = before[i] | after
        after = after | masks[i][1]
    return out, before[-1]


def _probabilities(scores: np.ndarray, temperature: np.ndarray | float) -> np.ndarray:
    """Softmax probabilities with 0 where they are undefined (a row with no possible move)."""
    p = softmax(scores, temperature)
    p[np.isnan(p)] = 0.0  # softmax is never infinite: e <= 1 over a sum >= 1, or 0/0
    return p


def rule_effects(scores: Scores, temperature: np.ndarray | float, k: int) -> list[RuleEffect]:
    """One :class:`RuleEffect` per rule that forbade or reweighted anything in this decision."""
    ids = list(dict.fromkeys([rid for rid, _ in scores.forbidden_by]
                             + [rid for rid, _ in scores.reweighted_by]))
    if not ids:
        return []
    with_all = _probabilities(scores.final, temperature)
    forbids = dict(scores.forbidden_by)
    by_others, everything = _forbidden_by_others(scores)
    out = []
    for rid in ids:
        others = by_others.get(rid, everything)
        counterfactual = _without(scores, rid, others)
        without = _probabilities(counterfactual, temperature)
        moved = 0.5 * np.abs(with_all - without).sum(axis=1)
        zero = np.zeros(scores.base.shape[0])
        removed, prevented = zero, zero
        if rid in forbids:
            only_this = forbids[rid] & ~others
            removed = (without * only_this).sum(axis=1)
            if removed.any():
                prevented = (inclusion(without, k) * only_this).sum(axis=1)
        out.append(RuleEffect(rid, moved, removed, prevented))
    return out


def answer_effect(rule: str, value: np.ndarray, bonus: np.ndarray, temperature: np.ndarray,
                  proposed: np.ndarray) -> RuleEffect:
    """A rule's effect on yes/no answers (a package): ``moved`` = expected answers it changed.

    ``value`` and ``bonus`` are ``(R, A)`` (the value includes every other rule), ``temperature``
    ``(R, 1)``; only proposed rows ``(R,)`` count."""
    def p(x: np.ndarray) -> np.ndarray:
        return logistic(x / temperature)

    moved = np.where(proposed, np.abs(p(value + bonus) - p(value)).sum(axis=1), 0.0)
    zero = np.zeros(value.shape[0])
    return RuleEffect(rule, moved, zero, zero, proposed)
