"""The decision cycle every state shares: perceive -> candidates -> score -> rules -> choose -> act.

A country module says only what is particular to it: its ``menu`` (moves and targets), which moves
are ``available`` in the current world, and their ``utilities``. Everything is arrays over
``(replicates, menu)``; nothing loops over actions or partners.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import mesa
import numpy as np

from sim.actions import ACTIONS, Action
from sim.coefficients import Arrays, Varied, compile_block, structure_table
from sim.decision import choose, softmax
from sim.effects import apply_moves
from sim.rules.base import Context, Menu, Rule
from sim.rules.binding import rule_effects
from sim.scenario.schema import Frozen
from sim.streams import Purpose

if TYPE_CHECKING:
    from sim.model import HedgingModel
    from sim.state import World

#: in the action log, a forbidden alternative is named as having shaped a choice when,
#: unconstrained, it would have taken at least this much probability (keeps the log readable; the
#: binding report, sim.rules.binding, measures every rule's effect without a threshold)
SHAPING_PROBABILITY = 0.02


@dataclass(frozen=True)
class Decision:
    """What an actor chose this month: ``chosen[r, j]`` is a menu index or -1 for no move."""

    chosen: np.ndarray  # (R, k)
    rules: list[list[tuple[str, ...]]]  # [r][j] -> ids of the rules that shaped that choice


@dataclass(frozen=True)
class Scores:
    """A month's scores ``(R, M)``: ``base`` before any rule, ``final`` after the rules in force, and
    what each rule did (its forbid mask on possible moves, its additive bonus)."""

    base: np.ndarray
    final: np.ndarray
    forbidden_by: list[tuple[str, np.ndarray]]
    reweighted_by: list[tuple[str, np.ndarray]]


@dataclass(frozen=True)
class Deliberation:
    """How an actor weighed its menu this month, kept for explanations (the browser page's "why"):
    its :class:`Scores` and the temperature ``(R, 1)`` it chose with."""

    scores: Scores
    temperature: np.ndarray


class StateAgent(mesa.Agent):
    """A state in the model. Subclasses: one module per country, plus a generic partner.

    A subclass registered with :func:`register_agent` names the scenario key it answers to
    (``key``) and carries its own typed parameter model (``Params``). ``self.params`` is the
    scenario's (validated) parameters; ``self.k`` the same values compiled to arrays with a leading
    replicate axis, which is how behaviour code reads every coefficient.
    """

    key: ClassVar[str | None] = None
    Params: ClassVar[type[Frozen]]
    actions_per_month: int = 1

    def __init__(self, model: HedgingModel, name: str, params: Frozen | list[Frozen] | Varied) -> None:
        super().__init__(model)
        self.name = name
        self.params = structure_table(params)
        self.k: Arrays = compile_block(params, model.world.replicates)
        self.index = model.world.index(name)
        self.menu = Menu.build(self.menu_items(model.world))
        self.rules: list[Rule] = model.rules_binding(name)
        self.last_deliberation: Deliberation | None = None  # this month's weighing of the menu

    # --- what a country module provides -------------------------------------------------------
    def menu_items(self, world: World) -> list[tuple[Action, int]]:
        raise NotImplementedError

    def available(self, world: World) -> np.ndarray:
        """``(R, M)`` True where a move is possible at all this month (before any rule)."""
        return np.ones((world.replicates, len(self.menu)), dtype=bool)

    def utilities(self, world: World) -> np.ndarray:
        """``(R, M)`` value of each move to this state, before rules."""
        raise NotImplementedError

    def after_moves(self, world: World, actions: np.ndarray, targets: np.ndarray) -> None:
        """Consequences beyond the effects table (open a crisis, an offer...). Default: none."""

    @property
    def temperature(self) -> np.ndarray:
        """``(R, 1)``: the softmax temperature of each replicate's choice."""
        return self.k.temperature[:, None]

    # --- the shared cycle ----------------------------------------------------------------------
    @property
    def world(self) -> World:
        return self.model.world

    def step(self) -> None:
        """One month: decide, then act on every chosen move."""
        decision = self.decide(self.world)
        self.act(decision)

    def score(self, world: World, utilities: np.ndarray | None = None) -> Scores:
        """Each candidate's value this month before and after the rules in force; ``utilities``:
        :meth:`utilities` of this world where the caller has them already."""
        ctx = Context(world, self.index, self.menu)
        utilities = self.utilities(world) if utilities is None else utilities
        base = np.where(self.available(world), utilities, -np.inf)
        scores = base.copy()  # changed in place below: the same values as a new array per rule
        possible = np.isfinite(base)
        forbidden: np.ndarray | None = None  # what any rule forbids
        forbidden_by: list[tuple[str, np.ndarray]] = []
        reweighted_by: list[tuple[str, np.ndarray]] = []
        for rule in self.rules_in_force():
            mask = rule.forbid(ctx)
            if mask is not None:
                forbidden_by.append((rule.id, mask & possible))
                forbidden = mask if forbidden is None else forbidden | mask
            bonus = rule.reweight(ctx)
            if bonus is not None:
                reweighted_by.append((rule.id, bonus))
                scores += bonus
        if forbidden is not None:  # once, after the bonuses: -inf plus a (finite) bonus is -inf
            np.copyto(scores, -np.inf, where=forbidden)
        return Scores(base, scores, forbidden_by, reweighted_by)

    def decide_scores(self, world: World) -> np.ndarray:
        """``(R, M)``: the scores the month's choice is drawn from (``-inf``: not possible)."""
        return self.score(world).final

    def decide(self, world: World, utilities: np.ndarray | None = None) -> Decision:
        """This month's moves, chosen on :meth:`score` (``utilities``: as there)."""
        s = self.score(world, utilities)
        self.last_deliberation = Deliberation(s, self.temperature)
        if self.model.keeps_rule_report:
            self.model.note_rule_effects(self, rule_effects(s, self.temperature, self.actions_per_month))
        chosen = choose(s.final, self.temperature, self.actions_per_month,
                        self.model.streams.of(Purpose.MOVE_CHOICE, self.name))
        return Decision(chosen, self._explain(chosen, s.base, s.forbidden_by, s.reweighted_by))

    def _explain(self, chosen: np.ndarray, base: np.ndarray, forbidden_by: list,
                 reweighted_by: list) -> list[list[tuple[str, ...]]]:
        """Rule ids that shaped each choice: a forbidden alternative that mattered, or a bonus on it.
        Kept only with the action log; how much each rule changed the choice is measured, without
        a threshold, by :mod:`sim.rules.binding`."""
        if not self.model.record_actions:
            return [[()] * chosen.shape[1]] * chosen.shape[0]
        unconstrained = softmax(base, self.temperature)
        binding = {rid: (unconstrained * mask).sum(axis=1) >= SHAPING_PROBABILITY
                   for rid, mask in forbidden_by}
        out = []
        for r in range(chosen.shape[0]):
            bound = [rid for rid, hit in binding.items() if hit[r]]
            row = []
            for m in chosen[r]:
                bonus_ids = [rid for rid, bonus in reweighted_by if abs(bonus[r, m]) > 1e-6] if m >= 0 else []
                row.append(tuple(dict.fromkeys(bound + bonus_ids)))
            out.append(row)
        return out

    def act(self, decision: Decision) -> None:
        world = self.world
        for j in range(decision.chosen.shape[1]):
            m = decision.chosen[:, j]
            actions = np.where(m >= 0, self.menu.actions[np.maximum(m, 0)], -1)
            targets = self.menu.targets[np.maximum(m, 0)]
            apply_moves(world, self.index, actions, targets, self.model.effects_scale)
            self.after_moves(world, actions, targets)
            if self.model.record_actions:
                self.model.log_moves(self, actions, targets, [row[j] for row in decision.rules])

    # --- helpers for country modules ------------------------------------------------------------
    def rules_in_force(self) -> list[Rule]:
        """The rules binding this state that apply this month (their ``since``/``until``)."""
        month = self.model.date
        return [rule for rule in self.rules if rule.in_force(month)]

    def partners_of(self, world: World, *, exclude: tuple[int, ...] = ()) -> list[int]:
        return [i for i in range(1, len(world.countries)) if i not in exclude]

    @staticmethod
    def action_of(index: int) -> Action:
        return ACTIONS[index]


#: every state with a class of its own, by scenario key (:func:`register_agent`)
AGENTS: dict[str, type[StateAgent]] = {}


def register_agent(cls: type[StateAgent]) -> type[StateAgent]:
    """Class decorator: the class answers to ``cls.key`` in a scenario, with ``cls.Params``."""
    if not cls.key or cls.key in AGENTS:
        raise ValueError(f"agent key {cls.key!r} missing or already registered")
    if not hasattr(cls, "Params"):
        raise ValueError(f"{cls.__name__} declares no Params model")
    AGENTS[cls.key] = cls
    return cls
