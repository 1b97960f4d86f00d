"""Vietnam, the hedger: reassures Beijing, deters it, and upgrades ties with other powers.

Utility is a weighted sum over five goals ([LeHongHiep2013]; [Kuik2008]): security, autonomy,
prosperity, regime security and stability with China. What each move does for each goal is the
table :data:`GAINS`: (move, goal) -> coefficients over named drivers of the world, every one a
scenario parameter (``agents.vietnam.gains.<move>.<goal>.<driver>``). Kuik's ([Kuik2021]) regime
switches act on the weights: when US reliability falls below a threshold Vietnam leans toward
accommodation; when China's threat rises above one it leans toward balancing. Arms procurement is
a continuous allocation across suppliers ([Heydarian2022]), not a monthly move.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from pydantic import Field

from sim.actions import ACTIONS, INDEX, Action, AgreementKind
from sim.agents.base import StateAgent, register_agent
from sim.coefficients import CALIBRATED, Arrays, coef, count, signed_range, table
from sim.compiled import inlined_kernel, kernel
from sim.decision import bernoulli, logistic, softmax
from sim.dynamics import end_crisis, trade_anchor
from sim.effects import apply_moves
from sim.rules.base import Menu
from sim.rules.binding import answer_effect
from sim.scenario.schema import Country, Frozen, Tier
from sim.state import ALL, CHINA, USE_OF_FORCE_RUNG, VIETNAM, World
from sim.streams import Purpose


class Goal(IntEnum):
    SECURITY = 0
    AUTONOMY = 1
    PROSPERITY = 2
    REGIME = 3
    STABILITY = 4


#: moves Vietnam can aim at China only, at every other state, or at no one (target = itself)
CHINA_MOVES = (Action.PARTY_VISIT, Action.IDEOLOGICAL_BONDING, Action.JOIN_COMMUNITY,
               Action.LEGAL_PROTEST, Action.STAND_FIRM, Action.CONCEDE, Action.USE_FORCE,
               Action.TRADE_DEAL)
PARTNER_MOVES = (Action.DEFENSE_TIES, Action.UPGRADE_PARTNERSHIP, Action.SEEK_UPGRADE, Action.TRADE_DEAL,
                 Action.FORM_ALLIANCE, Action.HOST_FOREIGN_BASE, Action.SIDE_AGAINST_THIRD)
SELF_MOVES = (Action.MODERNISE, Action.HOLD)
SATURATED = 0.99  # a defense tie this deep cannot deepen further (definition)
ARMS_SHARE_WINDOW = 12  # months in the moving mix of arms purchases (definition)
TOP_TIER = int(Tier.COMPREHENSIVE_STRATEGIC)  # the highest tier a partner other than China reaches

# ------------------------------------------------------------------------------------------ gains
#: drivers of the gains table: name -> (meaning, the factors multiplied after the coefficient)
DRIVERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "base": ("a constant", ()),
    "tension": ("Vietnam-China tension", ("tension",)),
    "crisis": ("an open crisis (0/1)", ("crisis",)),
    "summit": ("a summit with the target this month (0/1)", ("summit",)),
    "fear": ("regime insecurity", ("fear",)),
    "severity": ("the crisis's severity", ("severity",)),
    "escalation": ("the crisis rung / 5", ("escalation",)),
    "rivalry": ("the target's rivalry with China", ("rivalry",)),
    "commitment": ("the target's commitment", ("commitment",)),
    "tier_room": ("tiers left to climb with the target / 3", ("tier_room",)),
    "threat_capability_gap": ("threat x (1 - capability)", ("threat", "capability_gap")),
    "threat_commitment": ("threat x the target's commitment", ("threat", "commitment")),
    "threat_commitment_room": ("threat x commitment x (1 - defense tie)",
                               ("threat", "commitment", "room")),
    "threat_sq_commitment": ("threat^2 x the target's commitment", ("threat_sq", "commitment")),
    "threat_sq_rivalry": ("threat^2 x the target's rivalry with China", ("threat_sq", "rivalry")),
    "balancing_rivalry": ("threat above Kuik's balancing threshold (0 at china_threat_threshold, 1 at "
                          "full threat) x the target's rivalry with China: a partner that would stand "
                          "against China", ("balancing", "rivalry")),
    "calm": ("1 - threat", ("calm",)),
    "severity_sq": ("severity^2", ("severity_sq",)),
    "escalation_sq": ("(rung / 5)^2", ("escalation_sq",)),
    "to_china": ("the move is aimed at China (0/1)", ("to_china",)),
    "gravity": ("the target's economic weight to Vietnam: its gravity anchor of interdependence, 0..1 "
                "(sim.dynamics.trade_anchor)", ("gravity",)),
    "diversify": ("interdependence with China x the target's economic weight (other targets): trade "
                  "that could stand in for China's", ("exposure", "gravity_other")),
    "debt": ("the assurance owed to Beijing", ("debt",)),
    "exposure": ("Vietnam's economic interdependence with China", ("exposure",)),
    "escalation_exposure": ("(rung / 5)^2 x interdependence with China", ("escalation_sq", "exposure")),
    "us_backing": ("US commitment (the partner who would stand behind a firm Vietnam)",
                   ("us_backing",)),
}

S, A, P, G, T = Goal
#: (move, goal) -> driver -> default coefficient. Directions follow the cited sources; the sizes
#: are calibrated (docs/model.md). Each coefficient is ``agents.vietnam.gains.<move>.<goal>.<driver>``.
GAINS: dict[tuple[Action, Goal], dict[str, float]] = {
    (Action.PARTY_VISIT, T): {"base": 0.15, "tension": 0.4, "crisis": 0.3, "summit": 0.3},
    (Action.PARTY_VISIT, G): {"fear": 0.15},
    (Action.PARTY_VISIT, A): {"base": -0.1},
    (Action.IDEOLOGICAL_BONDING, G): {"fear": 0.5},  # [Heydarian2022]: against "colour revolutions"
    (Action.IDEOLOGICAL_BONDING, T): {"base": 0.1, "tension": 0.2},
    (Action.IDEOLOGICAL_BONDING, A): {"base": -0.15},
    (Action.JOIN_COMMUNITY, T): {"base": 0.45},
    (Action.JOIN_COMMUNITY, G): {"fear": 0.2},
    (Action.JOIN_COMMUNITY, A): {"base": -0.15},  # "form over substance" [VOA2023]
    (Action.MODERNISE, S): {"threat_capability_gap": 1.0},
    (Action.MODERNISE, P): {"base": -0.2},
    (Action.DEFENSE_TIES, S): {"threat_commitment_room": 0.9},
    (Action.DEFENSE_TIES, A): {"base": 0.1},
    (Action.DEFENSE_TIES, T): {"rivalry": -0.2},
    (Action.LEGAL_PROTEST, S): {"base": 0.3, "severity": 0.4},
    (Action.LEGAL_PROTEST, T): {"base": -0.15},
    (Action.STAND_FIRM, S): {"base": 0.3, "severity": 0.5},
    (Action.STAND_FIRM, T): {"base": -0.1, "escalation": -0.4},
    # conceding: safety from a clash and from economic retaliation, against sovereignty and face
    # ([Diplomat2023]; [Hayton2017]; [Hayton2018]: Repsol halted in 2017 and 2018 under a threat of force).
    # The stakes at sea weigh heavily on security: halting a drilling project (2017, 2018) is worth
    # conceding under a threat where accepting a rig in Vietnam's waters (HD-981, 2014) is not.
    (Action.CONCEDE, T): {"escalation_sq": 3.5, "escalation_exposure": 1.5},
    (Action.CONCEDE, S): {"base": -0.2, "severity": -2.0, "us_backing": -0.5},
    (Action.CONCEDE, A): {"base": -0.2},
    (Action.UPGRADE_PARTNERSHIP, A): {"base": 0.5, "tier_room": 0.3},
    (Action.UPGRADE_PARTNERSHIP, P): {"commitment": 0.3},
    # past Kuik's balancing threshold a higher tier is worth more the more the partner would stand
    # against China ([Kuik2021]; [LeHongHiep2013]: balancing with the US, Japan, India), not with a
    # partner dependent on Beijing (Russia, rivalry 0). Defense ties keep One Depend's pull.
    (Action.UPGRADE_PARTNERSHIP, S): {"threat_commitment": 0.4, "balancing_rivalry": 1.0},
    (Action.UPGRADE_PARTNERSHIP, T): {"rivalry": -0.25},
    # seeking a higher tier ([Grossman2023]): diversification, protection, trade; against Beijing's
    # unease and the assurance still owed. An upgrade is not an alliance: no Four No forbids it.
    (Action.SEEK_UPGRADE, A): {"base": 0.1, "tier_room": 0.3},
    (Action.SEEK_UPGRADE, S): {"threat_commitment": 0.5, "balancing_rivalry": 1.0},
    (Action.SEEK_UPGRADE, P): {"gravity": 0.4},
    (Action.SEEK_UPGRADE, T): {"base": -0.2, "rivalry": -0.3, "debt": -0.3},
    # economics by weight: a deal is worth the partner's economic size over its distance
    (Action.TRADE_DEAL, P): {"gravity": 0.35, "summit": 0.1},
    (Action.TRADE_DEAL, A): {"to_china": -0.15, "diversify": 0.3},
    (Action.TRADE_DEAL, T): {"to_china": 0.1},
    # what the Four Nos forbid pays off only under high threat (convex in threat)
    (Action.FORM_ALLIANCE, S): {"threat_sq_commitment": 1.6},
    (Action.FORM_ALLIANCE, A): {"base": -0.35},
    (Action.FORM_ALLIANCE, T): {"calm": -0.6},
    (Action.HOST_FOREIGN_BASE, S): {"threat_sq_commitment": 1.4},
    (Action.HOST_FOREIGN_BASE, A): {"base": -0.5},
    (Action.HOST_FOREIGN_BASE, T): {"calm": -0.6},
    (Action.SIDE_AGAINST_THIRD, S): {"threat_sq_rivalry": 1.2},
    (Action.SIDE_AGAINST_THIRD, A): {"base": -0.25},
    (Action.SIDE_AGAINST_THIRD, T): {"calm": -0.5},
    # force answers the stakes and the rung (security), but at a high rung it risks the clash that
    # makes conceding worth it: the same driver, against (asymmetry, [Womack2006]). Before the fourth
    # No (Nov 2019, [DWP2019]) this, not a rule, is what keeps Vietnam from force.
    (Action.USE_FORCE, S): {"severity_sq": 0.8, "escalation_sq": 0.8},
    (Action.USE_FORCE, T): {"base": -0.8, "escalation_sq": -3.5},
    (Action.USE_FORCE, P): {"base": -0.3},
}
del S, A, P, G, T


def _gains_table() -> type[Frozen]:
    """The pydantic table of :data:`GAINS`: ``gains.<move>.<goal>.<driver>``."""
    by_move: dict[Action, dict[str, type[Frozen]]] = {}
    for (move, goal), terms in GAINS.items():
        entries = {d: coef(v, *signed_range(v), f"{goal.name.lower()} value of {move.value} per unit "
                           f"of {DRIVERS[d][0]}", CALIBRATED) for d, v in terms.items()}
        by_move.setdefault(move, {})[goal.name.lower()] = table(
            f"Gains_{move.value}_{goal.name.lower()}", f"{move.value} -> {goal.name.lower()}", entries,
            __name__)
    return table("VietnamGains", "What each move does for each goal (Vietnam.gains).",
                 {move.value: table(f"Gains_{move.value}", f"gains of {move.value}", goals, __name__)
                  for move, goals in by_move.items()}, __name__)


VietnamGains = _gains_table()


# ------------------------------------------------------------------------------------- packages
@dataclass(frozen=True)
class AgreementSpec:
    """One kind of agreement in a Chinese package: the goal it serves, its benefit to that goal and
    its security cost per unit of threat (both calibrated sizes; the direction from ``source``)."""

    goal: Goal
    benefit: float
    security_cost: float
    source: str
    examples: str


#: what each kind of agreement is worth to Vietnam ([VOA2023]; [Grossman2023]). Each size is
#: ``agents.vietnam.package.<kind>.{benefit, security_cost}``; refuse_security_sensitive scales the cost.
AGREEMENTS: dict[AgreementKind, AgreementSpec] = {
    AgreementKind.SYMBOLIC: AgreementSpec(
        Goal.STABILITY, 0.8, 0.0, "[VOA2023] (community of shared future: form over substance)",
        "joint statements, party-to-party and people-to-people exchanges"),
    AgreementKind.ECONOMIC: AgreementSpec(
        Goal.PROSPERITY, 0.8, 0.0, "[VOA2023]; [Grossman2023] (market access, rail link, BRI, telecoms)",
        "market access, railway funding, digital cooperation"),
    AgreementKind.MARITIME: AgreementSpec(
        Goal.STABILITY, 0.6, 0.15, "[Grossman2023] (joint patrols in the Gulf of Tonkin and maritime "
        "search and rescue signed, Dec 2023); [VOA2023] (fishery-incident hotline)",
        "search and rescue, joint patrols in the Gulf of Tonkin, incident hotline"),
    AgreementKind.SECURITY: AgreementSpec(
        Goal.STABILITY, 0.3, 0.8, "[VOA2023] (about 10 of 45 refused)",
        "sensitive security cooperation"),
    AgreementKind.STRATEGIC_RESOURCE: AgreementSpec(
        Goal.PROSPERITY, 1.0, 0.6, "[Grossman2023] (second-largest rare-earth reserves; the deal not "
        "signed: military use against Vietnam); [VOA2023] (critical minerals refused; capital needed)",
        "rare-earth mining, critical minerals"),
}


def _package_table() -> type[Frozen]:
    """The pydantic table of :data:`AGREEMENTS`: ``package.<kind>.{benefit, security_cost}``."""
    kinds = {
        kind.name.lower(): table(f"Agreement_{kind.name.lower()}", f"a {kind.name.lower()} agreement", {
            "benefit": coef(spec.benefit, 0, 3, f"{spec.goal.name.lower()} value of a {kind.name.lower()} "
                            f"agreement ({spec.examples}; direction: {spec.source})"),
            "security_cost": coef(spec.security_cost, 0, 3, f"security cost of a {kind.name.lower()} "
                                  f"agreement per unit of threat (direction: {spec.source})"),
        }, __name__) for kind, spec in AGREEMENTS.items()}
    extra = {
        "symbolic_debt": coef(0.3, 0, 2, "extra stability value of a symbolic agreement per unit of "
                              "assurance debt", "[Diplomat2023]"),
        "merit_sd": coef(0.3, 0, 2, "sd of an agreement's idiosyncratic merit"),
    }
    return table("PackageAnswer", "How Vietnam weighs each agreement of a Chinese package, item by item "
                 "([VOA2023]; [Grossman2023]).", {**kinds, **extra}, __name__)


PackageAnswer = _package_table()


class RegimeSwitches(Frozen):
    """Kuik's ([Kuik2021]) regime switches: how the goal weights move when they fire."""

    us_reliability_base: float = coef(0.5, 0, 2, "US reliability = commitment x (this + trust)")
    accommodate_stability: float = coef(1.5, 1, 3, "stability weight x this when US reliability is low",
                                        "[Kuik2021]")
    accommodate_security: float = coef(0.8, 0, 1, "security weight x this when US reliability is low",
                                       "[Kuik2021]")
    balance_security: float = coef(1.5, 1, 3, "security weight x this when China's threat is high",
                                   "[Kuik2021]")
    balance_stability: float = coef(0.6, 0, 1, "stability weight x this when China's threat is high",
                                    "[Kuik2021]")


class Procurement(Frozen):
    """Arms procurement across suppliers ([Heydarian2022])."""

    defense_pull: float = coef(0.3, 0, 2, "supplier attractiveness per unit of defense tie")
    home_base: float = coef(0.15, 0, 2, "attractiveness of home production")
    home_capability: float = coef(0.4, 0, 2, "attractiveness of home production per unit of capability")
    capability_gain: float = coef(0.004, 0, 0.05, "capability gained per month of reliable purchases")
    capability_wear: float = coef(0.002, 0, 0.05, "capability lost per month (wear, obsolescence)")


class VietnamParams(Frozen):
    """Vietnam, the hedger. Goal weights follow [LeHongHiep2013] and [Kuik2008]."""

    temperature: float = coef(0.1, 0.01, 10, "softmax temperature of choice (bounded rationality)")
    actions_per_month: int = count(2, 1, 5, "distinct moves a month")
    weight_security: float = coef(1.0, 0, 5, "weight of deterrence and sovereignty", "[Diplomat2023]")
    weight_autonomy: float = coef(0.8, 0, 5, "weight of multi-vector diversification", "[Heydarian2022]")
    weight_prosperity: float = coef(0.8, 0, 5, "weight of economic pragmatism", "[VOA2023]")
    weight_regime: float = coef(0.7, 0, 5, "weight of regime survival", "[SCMP2023]; [Heydarian2022]")
    weight_stability: float = coef(1.0, 0, 5, "weight of stable ties with China", "[Diplomat2023]")
    threat: float = coef(0.4, 0, 1, "initial threat perception of China (HD-981 precedes it)")
    regime_insecurity: float = coef(0.3, 0, 1, "initial fear of 'peaceful evolution'", "[Heydarian2022]")
    capability: float = coef(0.35, 0, 1, "initial military capability relative to need")
    us_reliability_threshold: float = coef(0.3, 0, 1, "below it, drift toward accommodation", "[Kuik2021]")
    china_threat_threshold: float = coef(0.75, 0, 1, "above it, drift toward balancing", "[Kuik2021]")
    procurement_temperature: float = coef(0.25, 0.01, 10, "spread of arms purchases across suppliers")
    alliance_depth: float = coef(0.8, 0, 1, "a defense tie this deep is already an alliance")
    red_line_memory: float = coef(0.5, 0, 1, "red-line memory above which Vietnam does not side "
                                  "against a third country again")
    regime: RegimeSwitches = Field(default_factory=RegimeSwitches)
    gains: VietnamGains = Field(default_factory=VietnamGains)  # type: ignore[valid-type]
    package: PackageAnswer = Field(default_factory=PackageAnswer)  # type: ignore[valid-type]
    procurement: Procurement = Field(default_factory=Procurement)


def _factors(world: World, balancing: np.ndarray) -> dict[str, np.ndarray]:
    """The world quantities the gains table's drivers multiply: per replicate, shaped ``(R, 1)``,
    or per target country, shaped ``(R, n)`` or ``(n,)`` (a move reads its target's column;
    ``balancing`` (R,) is how far threat is past Kuik's balancing threshold, :meth:`Vietnam.balancing`)."""
    threat = world.threat[:, None]
    sev, esc = world.crisis_severity[:, None], world.escalation[:, None] / float(USE_OF_FORCE_RUNG)
    china = np.arange(len(world.countries)) == CHINA
    gravity = trade_anchor(world)
    us = world.index(Country.UNITED_STATES.value)
    return {
        "tension": world.tension[:, [CHINA]], "crisis": world.in_crisis[:, None].astype(float),
        "summit": world.summit, "fear": world.regime_insecurity[:, None],
        "severity": sev, "escalation": esc, "rivalry": world.rivalry,
        "commitment": world.commitment, "room": 1.0 - world.defense,
        "tier_room": 1.0 - world.tier / TOP_TIER, "threat": threat,
        "capability_gap": 1.0 - world.capability[:, None], "threat_sq": threat**2,
        "calm": 1.0 - threat, "severity_sq": sev**2, "escalation_sq": esc**2,
        "to_china": china.astype(float), "gravity": gravity,
        "gravity_other": np.where(china, 0.0, gravity),
        "debt": world.assurance_debt[:, None],
        "exposure": world.interdependence[:, [CHINA]],
        "us_backing": world.commitment[:, [us]], "balancing": balancing[:, None],
    }


class GainsKernel:
    """:data:`GAINS` compiled for a menu: ``kernel(factors)`` is ``(R, E, 5)``, what each of the
    menu ``entries`` does for each goal. Every (entry, goal) is the sum of its row's terms
    ``coefficient x factor x ...``, computed by the compiled :func:`_gain_cells` from one
    ``(factors, R)`` table, only for the (entry, goal) cells the table has a row for.

    The arithmetic is each row's own, in its order: a term is ``((c * f1) * f2) * f3``, a cell sums
    its terms left to right from the first, and the cell is added to zero. So the gains equal, bit for
    bit, evaluating each row on its own (tests/test_lean_step.py checks it).
    """

    def __init__(self, menu: Menu, coefficients: Arrays, widths: dict[str, int],
                 entries: np.ndarray) -> None:
        """``coefficients``: the compiled gains table (``Vietnam.k.gains``); ``widths``: each
        factor's last axis as :func:`_factors` returns it, 1 (per replicate) or n (per target
        country); ``entries``: the menu indices to evaluate."""
        self.entries = len(entries)
        self.widths = dict(widths)
        offsets = np.cumsum([0, *widths.values()])
        start = dict(zip(widths, offsets.tolist(), strict=False))
        self.starts, self.columns = offsets[:-1].tolist(), int(offsets[-1])
        cells: list[int] = []  # flat (entry, goal) of each cell with a row
        terms: list[tuple[np.ndarray, list[int]]] = []  # (c (R,), its factors' columns), cell by cell
        ends: list[int] = [0]
        for e, m in enumerate(entries):
            move = ACTIONS[menu.actions[m]]
            for goal in Goal:
                row = GAINS.get((move, goal))
                if not row:
                    continue
                cells.append(e * len(Goal) + goal)
                coefs = getattr(getattr(coefficients, move.value), goal.name.lower())
                for driver in row:  # the row's order
                    at = [start[n] + (menu.targets[m] if widths[n] > 1 else 0) for n in DRIVERS[driver][1]]
                    terms.append((getattr(coefs, driver), at))
                ends.append(len(terms))
        depth = max(len(factors) for _, factors in DRIVERS.values())
        #: (entry x goal) of each cell; cell c's terms are ``ends[c]:ends[c + 1]``, at least one
        self.cells, self.ends = np.array(cells, dtype=np.intp), np.array(ends, dtype=np.intp)
        assert (np.diff(self.ends) > 0).all(), "a cell without terms: the kernel sums at least one"
        self.coefficients = np.ascontiguousarray(np.stack([c for c, _ in terms]))  # (T, R)
        #: (T,) whether a term's coefficient is the same in every replicate (all of them outside a
        #: design that varies the gains): the kernels then read one number, not a row of R
        self.constant = (self.coefficients == self.coefficients[:, :1]).all(axis=1)
        self.factors = np.array([at + [-1] * (depth - len(at)) for _, at in terms], dtype=np.intp)
        self.depth = np.array([len(at) for _, at in terms], dtype=np.intp)

    def stacked(self, factors: dict[str, np.ndarray]) -> np.ndarray:
        """``(K, R)``: every factor as rows (a per-country one n rows), a replicate per column."""
        out = np.empty((self.columns, self.coefficients.shape[1]))
        for (name, width), start in zip(self.widths.items(), self.starts, strict=True):
            out[start:start + width] = np.atleast_2d(factors[name]).T  # broadcast over what it shares
        return out

    def __call__(self, factors: dict[str, np.ndarray]) -> np.ndarray:
        g = _gain_cells(self.stacked(factors), self.coefficients, self.constant, self.factors, self.depth,
                        self.ends, self.cells, self.entries * len(Goal))
        return g.reshape(g.shape[0], self.entries, len(Goal))

    def weighted(self, factors: dict[str, np.ndarray], weights: np.ndarray,
                 keep: int) -> tuple[np.ndarray, np.ndarray]:
        """``(R, E)`` each entry's gains weighted by the goals' ``weights`` ``(R, 5)``, which is
        ``np.einsum("rmg,rg->rm", gains, weights)`` of :meth:`__call__`'s gains bit for bit
        (:func:`_weigh`), and ``(R, 5)`` the gains of entry ``keep``: in one pass, without the
        ``(R, E, 5)`` table of gains."""
        return _weighted_cells(self.stacked(factors), self.coefficients, self.constant, self.factors,
                               self.depth, self.ends, self.cells, self.entries,
                               np.ascontiguousarray(weights.T), keep)


@kernel
def _gain_cells(table, coefficients, constant, factors, depth, ends, cells, width):  # pragma: no cover
    """``(R, width)``: cell ``cells[c]`` of row r is its :func:`_cell` added to zero; other columns
    are 0. Each step runs over all the replicates at once (a replicate per column of ``table``
    ``(K, R)`` and ``coefficients`` ``(T, R)``: loops the compiler vectorises), each replicate's
    arithmetic in its own order."""
    R = table.shape[1]
    out = np.zeros((R, width))
    total, term = np.empty(R), np.empty(R)
    for c in range(cells.shape[0]):
        _cell(table, coefficients, constant, factors, depth, ends[c], ends[c + 1], term, total)
        cell = cells[c]
        for r in range(R):
            out[r, cell] = 0.0 + total[r]
    return out


@kernel
def _weighted_cells(table, coefficients, constant, factors, depth, ends, cells, entries, weights,
                    keep):  # pragma: no cover - compiled
    """``(R, entries)``: each entry's five gains (its cells as :func:`_gain_cells` gives them, 0 for
    a goal without one) weighted by ``weights`` ``(5, R)`` and summed as :func:`_weigh` does; and
    ``(R, 5)`` the gains of entry ``keep``. ``cells`` are in (entry, goal) order, as
    :class:`GainsKernel` lists them."""
    R, goals = table.shape[1], weights.shape[0]
    out, kept = np.empty((R, entries)), np.zeros((R, goals))
    gains, total, term = np.empty((goals, R)), np.empty(R), np.empty(R)
    c = 0
    for e in range(entries):
        gains[:] = 0.0
        while c < cells.shape[0] and cells[c] // goals == e:
            _cell(table, coefficients, constant, factors, depth, ends[c], ends[c + 1], term, total)
            goal = cells[c] % goals
            for r in range(R):
                gains[goal, r] = 0.0 + total[r]
            c += 1
        for r in range(R):
            out[r, e] = _weigh(gains[0, r] * weights[0, r], gains[1, r] * weights[1, r],
                               gains[2, r] * weights[2, r], gains[3, r] * weights[3, r],
                               gains[4, r] * weights[4, r])
        if e == keep:
            kept[:] = gains.T
    return out, kept


@inlined_kernel
def _cell(table, coefficients, constant, factors, depth, first, end, term, total):  # pragma: no cover
    """Into ``total`` ``(R,)``: the sum of terms ``first:end`` (at least one), left to right; term t
    is ``coefficients[t, r]`` times ``table[factors[t, j], r]`` for ``j < depth[t]``, in that order.
    Where ``constant[t]``, ``coefficients[t, 0]`` is read once for every replicate (the same number:
    the kernel then reads one row of R less, which is what bounds it)."""
    R = table.shape[1]
    for t in range(first, end):
        if constant[t]:
            term[:] = coefficients[t, 0]
        else:
            term[:] = coefficients[t]
        for j in range(depth[t]):
            factor = table[factors[t, j]]
            for r in range(R):
                term[r] = term[r] * factor[r]
        if t == first:
            total[:] = term
        else:
            for r in range(R):
                total[r] = total[r] + term[r]


@inlined_kernel
def _weigh(p0, p1, p2, p3, p4):  # pragma: no cover - compiled
    """The sum of a move's five weighted gains as numpy's ``einsum("rmg,rg->rm")`` adds them (its
    vectorised dot product of 5 terms on two lanes, numpy/_core/src/multiarray/einsum_sumprod.c.src,
    ``sum_of_products_contig_contig_outstride0_two``, x86-64 baseline: a multiply, then an add):
    lanes ``(p0 + p2) + p4`` and ``p1 + p3``, their sum added to zero. The model's numbers were
    first computed with ``einsum``; this keeps them bit for bit (tests/test_lean_step.py)."""
    return 0.0 + (((p0 + p2) + p4) + (p1 + p3))


@register_agent
class Vietnam(StateAgent):
    """Vietnam's monthly decision ([Diplomat2023]: deterrence by assurance first, by force as fallback)."""

    key = Country.VIETNAM.value
    Params = VietnamParams

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        world = self.model.world
        widths = {name: np.shape(f)[-1] for name, f in _factors(world, self.balancing(world)).items()}
        entries = np.arange(len(self.menu))
        self._gains = GainsKernel(self.menu, self.k.gains, widths, entries)
        self._concede = int(np.flatnonzero(self.menu.is_(Action.CONCEDE))[0])  # the menu's concession
        R = world.replicates
        k = self.k
        #: the goal weights before the regime switches, ``(R, 5)`` (the coefficients never change)
        self._base_weights = np.stack([k.weight_security, k.weight_autonomy, k.weight_prosperity,
                                       k.weight_regime, k.weight_stability], axis=1).astype(float)
        self._base_weights.setflags(write=False)
        #: agreements of each kind proposed to and signed by Vietnam so far, ``(R, kinds)``
        self.package_proposed = np.zeros((R, len(AgreementKind)))
        self.package_signed = np.zeros((R, len(AgreementKind)))

    @property
    def actions_per_month(self) -> int:  # type: ignore[override]
        return self.params.actions_per_month

    def menu_items(self, world: World) -> list[tuple[Action, int]]:
        others = range(2, len(world.countries))
        return ([(a, CHINA) for a in CHINA_MOVES] + [(a, p) for p in others for a in PARTNER_MOVES]
                + [(a, VIETNAM) for a in SELF_MOVES])

    def available(self, world: World) -> np.ndarray:
        """``(R, M)``: the moves Vietnam can make this month. A move is limited only by the condition
        of its own action (crisis moves need a crisis, an upgrade an open offer, ...), so each
        condition is computed over its own columns of the menu."""
        m, k = self.menu, self.k
        ok = np.ones((world.replicates, len(m)), dtype=bool)
        crisis_moves = m.columns(Action.STAND_FIRM, Action.CONCEDE, Action.USE_FORCE, Action.LEGAL_PROTEST)
        ok[:, crisis_moves] = world.in_crisis[:, None]
        cols = m.columns(Action.UPGRADE_PARTNERSHIP)  # takes an open offer
        t = m.targets[cols]
        ok[:, cols] = (world.offer_months[:, t] > 0) & (world.tier[:, t] < TOP_TIER)
        cols = m.columns(Action.SEEK_UPGRADE)  # takes none pending
        t = m.targets[cols]
        ok[:, cols] = (world.offer_months[:, t] == 0) & (world.tier[:, t] < TOP_TIER)
        ok[:, m.columns(Action.JOIN_COMMUNITY)] = world.community_offer[:, None] > 0
        cols = m.columns(Action.DEFENSE_TIES)
        ok[:, cols] = ~(world.defense[:, m.targets[cols]] >= SATURATED)
        ok[:, m.columns(Action.SIDE_AGAINST_THIRD)] = ~(world.red_line[:, None] >= k.red_line_memory[:, None])
        cols = m.columns(Action.FORM_ALLIANCE, Action.HOST_FOREIGN_BASE)
        ok[:, cols] = ~(world.defense[:, m.targets[cols]] >= k.alliance_depth[:, None])
        return ok

    def weights(self, world: World, rows: np.ndarray | slice = ALL) -> np.ndarray:
        """Goal weights ``(R, 5)`` after Kuik's regime switches (``rows``: only these replicates'
        rows, each its replicate's own)."""
        k, sw, r = self.k, self.k.regime, rows
        w = self._base_weights[r].copy()
        us = world.index(Country.UNITED_STATES.value)
        us_reliability = world.commitment[r, us] * (sw.us_reliability_base[r] + world.trust[r, us])
        accommodate = us_reliability < k.us_reliability_threshold[r]
        balance = world.threat[r] > k.china_threat_threshold[r]
        w[:, Goal.STABILITY] *= (np.where(accommodate, sw.accommodate_stability[r], 1.0)
                                 * np.where(balance, sw.balance_stability[r], 1.0))
        w[:, Goal.SECURITY] *= (np.where(balance, sw.balance_security[r], 1.0)
                                * np.where(accommodate, sw.accommodate_security[r], 1.0))
        w[:, Goal.PROSPERITY] *= 1.0 + world.shock_severity[r] * (world.economic_shock[r] > 0)
        return w

    def balancing(self, world: World) -> np.ndarray:
        """``(R,)`` how far China's threat is past Kuik's balancing threshold, 0..1 ([Kuik2021]:
        hedging breaks toward balancing when China threatens on all fronts): 0 at or below
        ``china_threat_threshold``, 1 at full threat."""
        threshold = self.k.china_threat_threshold
        return np.clip((world.threat - threshold) / np.maximum(1.0 - threshold, 1e-9), 0.0, 1.0)

    def gains(self, world: World) -> np.ndarray:
        """``(R, M, 5)``: what each move does for each goal — :data:`GAINS` over the world's drivers."""
        return self._gains(_factors(world, self.balancing(world)))

    def utilities(self, world: World) -> np.ndarray:
        return self._weigh(world, self.weights(world))[0]

    def _weigh(self, world: World, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The utilities ``(R, M)`` under goal ``weights`` ``(R, 5)``, and conceding's gains ``(R, 5)``."""
        return self._gains.weighted(_factors(world, self.balancing(world)), weights, self._concede)

    def after_moves(self, world: World, actions: np.ndarray, targets: np.ndarray) -> None:
        r = np.arange(world.replicates)
        upgraded = actions == INDEX[Action.UPGRADE_PARTNERSHIP]
        world.offer_months[r, targets] = np.where(upgraded, 0, world.offer_months[r, targets])
        world.community_offer[:] = np.where(actions == INDEX[Action.JOIN_COMMUNITY], 0,
                                            world.community_offer)
        world.stood_firm[:] = np.maximum(world.stood_firm, actions == INDEX[Action.STAND_FIRM])
        crossed = np.isin(actions, [INDEX[a] for a in (Action.FORM_ALLIANCE, Action.HOST_FOREIGN_BASE,
                                                       Action.SIDE_AGAINST_THIRD)])
        world.red_line[:] = np.maximum(world.red_line, crossed)
        forced = actions == INDEX[Action.USE_FORCE]
        world.use_of_force[:] = np.maximum(world.use_of_force, forced)
        self._ask_partners(world, actions == INDEX[Action.SEEK_UPGRADE], targets)
        conceded = (actions == INDEX[Action.CONCEDE]) & world.in_crisis
        if conceded.any():
            terms = self._terms_before_move
            end_crisis(world, conceded, Country.VIETNAM)
            self.model.log_crisis_end(conceded, "vietnam", terms)

    def _ask_partners(self, world: World, sought: np.ndarray, targets: np.ndarray) -> None:
        """Each partner Vietnam asked for a higher tier answers by its own interest
        (:meth:`sim.agents.partner.Partner.answer_request`); a yes opens its offer."""
        if not sought.any():
            return
        for partner in self.model.others:
            asked = sought & (targets == partner.index)
            if asked.any():
                partner.answer_request(world, asked)

    def decide(self, world: World):  # noqa: ANN201
        """Weigh the month's world once: the utilities of the choice, and what conceding was worth
        when it was made (remembered for the crisis record)."""
        weights = self.weights(world)
        utilities, conceding = self._weigh(world, weights)
        self._terms_before_move = self._concession(conceding, weights)
        return super().decide(world, utilities)

    def concession_terms(self, world: World) -> dict[str, np.ndarray]:
        """``goal -> (R,)``: what conceding is worth to each goal, weighted (the terms of the choice)."""
        weights = self.weights(world)
        return self._concession(self._weigh(world, weights)[1], weights)

    @staticmethod
    def _concession(gains: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
        """``goal -> (R,)``: conceding's gains ``(R, 5)`` weighted."""
        weighted = gains * weights
        return {goal.name.lower(): weighted[:, goal] for goal in Goal}

    # --- a Chinese package of agreements (DESIGN.md, "Status anxiety") ------------------------------
    def answer_package(self, world: World, kinds: np.ndarray, proposed: np.ndarray) -> np.ndarray:
        """Sign or refuse each agreement of a package; returns signed ``(R, A)`` (False where none).

        Each agreement is weighed by its benefit against its security cost ([VOA2023];
        [Grossman2023]), plus the bonus of any rule binding Vietnam (e.g. refusal of
        security-sensitive deals), plus an idiosyncratic merit drawn from the model's streams.
        An agreement's value before its merit is its kind's, so it is weighed once per kind; the
        draws and answers are computed only for the replicates ``proposed`` picks (a package comes
        to ~1 % of them in a month).
        """
        rows = np.flatnonzero(proposed)
        by_kind = np.arange(len(AgreementKind))
        w = self.weights(world, rows)
        benefit, cost = self.agreement_terms(world, by_kind, rows, w)
        value = benefit - cost * world.threat[rows, None] * w[:, [Goal.SECURITY]]  # (n, kinds)
        bonuses = [(rule.id, b[:, kinds]) for rule in self.rules_in_force()
                   if (b := rule.agreement_bonus(world, by_kind, cost, rows)) is not None]
        value = value[:, kinds] + sum((b for _, b in bonuses), np.zeros((len(rows), len(kinds))))
        streams = self.model.streams
        shape = (world.replicates, len(kinds))
        merit = self.k.package.merit_sd[rows, None] * streams.of(Purpose.PACKAGE_MERIT).normal(
            0.0, 1.0, shape, where=proposed, compact=True)
        temperature = self.k.temperature[rows, None]
        signed = bernoulli(logistic((value + merit) / temperature), streams.of(Purpose.PACKAGE_SIGNING),
                           proposed, compact=True)
        if self.model.keeps_rule_report:
            self.model.note_rule_effects(self, [answer_effect(rid, value + merit - b, b, temperature,
                                                              proposed) for rid, b in bonuses])
        self._sign(world, kinds, signed, rows, tuple(rid for rid, _ in bonuses))
        out = np.zeros(shape, dtype=bool)
        out[rows] = signed
        return out

    def agreement_terms(self, world: World, kinds: np.ndarray, rows: np.ndarray | slice = ALL,
                        weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(R, A)`` each agreement's benefit (its kind's, times the weight of the goal it serves;
        a symbolic one also pays assurance debt) and its security cost per unit of threat
        (``rows``: only these replicates' rows; ``weights``: their :meth:`weights`, where the
        caller has them already)."""
        w = self.weights(world, rows) if weights is None else weights
        pk, r = self.k.package, rows
        benefit, cost = np.zeros((len(w), len(kinds))), np.zeros((len(w), len(kinds)))
        for kind, spec in AGREEMENTS.items():
            row = getattr(pk, kind.name.lower())
            gain = row.benefit[r] + (pk.symbolic_debt[r] * world.assurance_debt[r]
                                     if kind is AgreementKind.SYMBOLIC else 0.0)
            mask = kinds == kind
            benefit += np.where(mask, (gain * w[:, spec.goal])[:, None], 0.0)
            cost += np.where(mask, row.security_cost[r][:, None], 0.0)
        return benefit, cost

    def _sign(self, world: World, kinds: np.ndarray, signed: np.ndarray, rows: np.ndarray,
              shaping: tuple[str, ...]) -> None:
        """Count the answers ``signed`` ``(n, A)`` of the replicates ``rows`` and apply the package's
        effects (the actions table's, times the share signed)."""
        n_signed = signed.sum(axis=1)
        world.agreements_signed[rows] += n_signed
        world.agreements_refused[rows] += len(kinds) - n_signed
        sensitive = np.array([AgreementKind(k).sensitive for k in kinds], dtype=bool)
        for kind in AgreementKind:
            of_kind = kinds == kind
            self.package_proposed[rows, kind] += of_kind.sum()
            self.package_signed[rows, kind] += (signed & of_kind).sum(axis=1)
        world.sensitive_signed[rows] += (signed & sensitive).sum(axis=1)
        world.sensitive_refused[rows] += (~signed & sensitive).sum(axis=1)
        share = np.zeros(world.replicates)  # the package's effects (actions table) x share signed
        share[rows] = n_signed / max(1, len(kinds))
        actions = np.full(world.replicates, -1)
        actions[rows] = INDEX[Action.SIGN_AGREEMENTS]
        targets = np.full(world.replicates, CHINA)
        apply_moves(world, VIETNAM, actions, targets, share * self.model.effects_scale)
        if self.model.record_actions:
            detail = [""] * world.replicates
            for j, r in enumerate(rows.tolist()):
                detail[r] = self._package_detail(kinds, signed[j])
            self.model.log_moves(self, actions, targets, [shaping] * world.replicates, detail)

    @staticmethod
    def _package_detail(kinds: np.ndarray, signed: np.ndarray) -> str:
        refused = {k.name.lower(): int(((kinds == k) & ~signed).sum()) for k in AgreementKind}
        refused_txt = ", ".join(f"{k} {v}" for k, v in refused.items() if v)
        text = f"signed {int(signed.sum())} of {len(kinds)}"
        return f"{text}; refused {refused_txt}" if refused_txt else text

    # --- arms procurement ([Heydarian2022]) -------------------------------------------------------
    def procure_arms(self, world: World) -> None:
        """Spread this month's purchases over suppliers by attractiveness; home production grows
        with capability. The arms share is a moving mix of purchases over ``ARMS_SHARE_WINDOW``."""
        pr = self.k.procurement
        attract = world.arms_supplier * world.reliability + pr.defense_pull[:, None] * world.defense
        attract[:, VIETNAM] = pr.home_base + pr.home_capability * world.capability
        attract[:, CHINA] = -np.inf  # Vietnam does not arm itself against China with Chinese arms
        purchases = softmax(attract, self.k.procurement_temperature[:, None])
        n = ARMS_SHARE_WINDOW
        world.arms_share[:] = purchases if not world.arms_share.any() else (
            world.arms_share * ((n - 1) / n) + purchases / n)
        world.capability[:] = np.clip(
            world.capability + pr.capability_gain * (purchases * world.reliability).sum(axis=1)
            - pr.capability_wear, 0, 1)
