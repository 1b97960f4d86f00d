"""Policy rules: small registered classes (Axelrod's strategies are the model).

A rule has an ``id``, a docstring, the ``source`` it is drawn from, ``Params`` (a pydantic model whose
first field is ``enabled``) and ``binds``: the state whose choices it constrains. At each decision it
may *forbid* candidates (a boolean mask) and/or *reweight* them (an additive utility bonus), both as
arrays over ``(replicates, menu)``. Rules never act; agents do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from pydantic import field_serializer, field_validator, model_validator

from sim.actions import INDEX, Action
from sim.calendar import Month, coerce_month
from sim.coefficients import Arrays, Varied, compile_block, structure_table
from sim.scenario.schema import Frozen
from sim.state import ALL, World
from sim.suggest import suggest


class RuleParams(Frozen):
    """Parameters every rule has. Subclasses add their own with :func:`sim.coefficients.coef`
    (default, range, meaning, source); a scenario sets them as ``rules.<id>.<name>``. Frozen makes
    every number finite and a number.

    ``since`` / ``until`` (``YYYY-MM``, both inclusive, optional) date a rule: it is in force only in
    those months (the fourth of the Four Nos from the 2019 Defence White Paper, [DWP2019]). Dates are
    structure: every replicate of a lockstep block shares them, and all move through the same months.
    """
    enabled: bool = True
    since: Month | None = None
    until: Month | None = None

    @field_validator("since", "until", mode="before")
    @classmethod
    def _month(cls, value: Any) -> Month | None:
        return None if value is None else coerce_month(value)

    @field_serializer("since", "until")
    def _month_text(self, value: Month | None) -> str | None:
        return None if value is None else str(value)

    @model_validator(mode="after")
    def _ordered(self) -> RuleParams:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")
        return self

    def in_force(self, month: Month) -> bool:
        """Whether the rule applies in ``month`` (enabled, and within ``since``..``until``)."""
        return (self.enabled and (self.since is None or self.since <= month)
                and (self.until is None or month <= self.until))


@dataclass(frozen=True)
class Menu:
    """An actor's candidate moves: ``actions[m]`` (index into ACTIONS) aimed at ``targets[m]``."""

    actions: np.ndarray  # (M,) int
    targets: np.ndarray  # (M,) int, index into World.countries
    _masks: dict[tuple[Action, ...], np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    _columns: dict[tuple[Action, ...], np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, items: list[tuple[Action, int]]) -> Menu:
        return cls(np.array([INDEX[a] for a, _ in items], dtype=int),
                   np.array([t for _, t in items], dtype=int))

    def is_(self, *actions: Action) -> np.ndarray:
        """Boolean (M,) mask of the candidates that are any of ``actions`` (cached: menus are fixed)."""
        mask = self._masks.get(actions)
        if mask is None:
            mask = np.isin(self.actions, [INDEX[a] for a in actions])
            mask.setflags(write=False)
            self._masks[actions] = mask
        return mask

    def columns(self, *actions: Action) -> np.ndarray:
        """The indices of the candidates that are any of ``actions`` (:meth:`is_`'s True cells)."""
        cols = self._columns.get(actions)
        if cols is None:
            cols = np.flatnonzero(self.is_(*actions))
            cols.setflags(write=False)
            self._columns[actions] = cols
        return cols

    def __len__(self) -> int:
        return len(self.actions)


@dataclass(frozen=True)
class Context:
    """What a rule may look at when an actor decides."""

    world: World
    actor: int
    menu: Menu

    def blank(self, dtype: type = float) -> np.ndarray:
        """``(R, M)`` zeros (False for ``bool``): a rule fills only the columns of the moves it
        concerns (:meth:`Menu.columns`), which costs a pass over those columns, not the menu."""
        return np.zeros((self.world.replicates, len(self.menu)), dtype=dtype)


class Rule:
    """Base class. Subclasses set the class attributes and override ``forbid`` and/or ``reweight``."""

    id: ClassVar[str]
    binds: ClassVar[str]  # a Country value, or "partners"
    source: ClassVar[str]
    group: ClassVar[str | None] = None  # e.g. "four_nos": switched together in YAML
    Params: ClassVar[type[RuleParams]] = RuleParams

    def __init__(self, params: RuleParams | list[RuleParams] | Varied | None = None,
                 replicates: int = 1) -> None:
        """``params``: the scenario's parameters of this rule, one per replicate (same switches), or
        varied columns of them. ``self.k`` holds its coefficients as ``(R,)`` arrays (``(1,)``
        broadcasts to any world)."""
        params = params if params is not None else self.Params()
        self.params = structure_table(params)
        self.k: Arrays = compile_block(params, replicates)

    @property
    def enabled(self) -> bool:
        return self.params.enabled

    def in_force(self, month: Month) -> bool:
        """Whether this rule applies in ``month`` (its ``since``/``until`` dates; the same month
        for every replicate of a lockstep block)."""
        return self.params.in_force(month)

    def forbid(self, ctx: Context) -> np.ndarray | None:
        """``(R, M)`` True where this rule forbids the candidate; ``None`` if it forbids nothing."""
        return None

    def reweight(self, ctx: Context) -> np.ndarray | None:
        """``(R, M)`` utility added to each candidate; ``None`` if it changes nothing."""
        return None

    def agreement_bonus(self, world: World, kinds: np.ndarray, security_cost: np.ndarray,
                        rows: np.ndarray | slice = ALL) -> np.ndarray | None:
        """Utility added to each proposed agreement ``(R, A)`` of a package; ``kinds`` is (A,),
        ``security_cost`` (R, A) each agreement's security cost per unit of threat; ``rows``: only
        these replicates' rows (``security_cost`` is theirs)."""
        return None

    @classmethod
    def summary(cls) -> str:
        """The docstring's first paragraph, on one line."""
        first = (cls.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(line.strip() for line in first.splitlines())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"


RULES: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule to the registry (ids must be unique)."""
    if cls.id in RULES:
        raise ValueError(f"duplicate rule id {cls.id!r}")
    RULES[cls.id] = cls
    return cls


def groups() -> dict[str, list[str]]:
    """Rule groups (e.g. ``four_nos``) and the ids of their members, in registry order."""
    out: dict[str, list[str]] = {}
    for rid, cls in RULES.items():
        if cls.group:
            out.setdefault(cls.group, []).append(rid)
    return out


def get_rule(rule_id: str) -> type[Rule]:
    """Look a rule up by id; an unknown id raises ``KeyError`` naming the valid ones."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule {rule_id!r}{suggest(rule_id, list(RULES))}") from None
