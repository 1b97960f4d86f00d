"""The action vocabulary and its effects table: one row per action, each citing its source.

Every action any state can take is an :class:`Action`. Its *effects* on the world are declared once,
here, in :data:`ACTION_TABLE`, as deltas on named :class:`Channel` s. The direction of each effect comes
from the cited source; the magnitudes are calibration assumptions (docs/model.md, "Calibration") and
can be scaled per scenario through ``effects_scale``.

Channels named ``dyad_*`` act on the relation between Vietnam and the other party of the action
(the target when Vietnam acts, the actor when another state acts toward Vietnam).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntEnum

import numpy as np

from sim.coefficients import Arrays, coef, signed_range, table


class Family(str, Enum):
    """Families of moves: [LeHongHiep2013]'s tiers of hedging plus the other powers' repertoires."""

    ASSURANCE = "assurance"  # Vietnam -> China: deterrence by assurance ([Diplomat2023])
    # internal/external balancing, protest, standing firm ([Heydarian2022]; [Diplomat2023])
    DETERRENCE = "deterrence"
    PARTNERSHIP = "partnership"  # tier upgrades ([VOA2023]; [Grossman2023])
    ECONOMIC = "economic"  # economic pragmatism ([Kuik2008]; [LeHongHiep2013])
    FORBIDDEN = "forbidden"  # what the Four Nos rule out ([SCMP2023]; [DWP2019])
    COERCION = "coercion"  # China's gray-zone pressure ([Diplomat2023])
    INDUCEMENT = "inducement"  # China's carrots: BRI, market access, packages ([VOA2023]; [Grossman2023])
    ENGAGEMENT = "engagement"  # other powers' offers and aid ([VOA2023]; [SCMP2023]; [Heydarian2022])
    PRESSURE = "pressure"  # US democracy promotion and sanctions pressure ([Heydarian2022])
    RESTRAINT = "restraint"  # holding still


class Channel(IntEnum):
    """What an action can change. Index into the columns of :data:`EFFECTS`."""

    DYAD_TRUST = 0
    DYAD_TENSION = 1
    DYAD_INTERDEPENDENCE = 2
    DYAD_DEFENSE = 3
    DYAD_TIER = 4
    THREAT = 5  # Vietnam's threat perception of China
    REGIME_INSECURITY = 6  # Vietnam's fear for regime survival
    CAPABILITY = 7  # Vietnam's own military capability
    ASSURANCE_DEBT = 8  # owed to Beijing after deepening with others ([Diplomat2023])
    CHINA_SUSPICION = 9  # China's unease at Vietnam's ties with rivals ([SCMP2023])
    ESCALATION = 10  # rung on the crisis ladder
    REPUTATION_COST = 11  # China's accumulated reputational cost of pressing on ([Thayer2011])
    TENSION_CHINA = 12  # Vietnam-China tension, whoever the other party is
    SANCTIONED_ARMS = 13  # arms-supplier attractiveness of every state under sanctions (CAATSA)


class Action(str, Enum):
    """Every move in the model. Values are the names written to ``actions.csv``."""

    # Vietnam: assurance toward China ([Diplomat2023]; [Womack2006])
    PARTY_VISIT = "party_visit"
    IDEOLOGICAL_BONDING = "ideological_bonding"
    JOIN_COMMUNITY = "join_community"
    SIGN_AGREEMENTS = "sign_agreements"
    # Vietnam: deterrence ([Heydarian2022]; [Diplomat2023]; [Thayer2011])
    MODERNISE = "modernise"
    DEFENSE_TIES = "defense_ties"
    LEGAL_PROTEST = "legal_protest"
    STAND_FIRM = "stand_firm"
    CONCEDE = "concede"  # halt drilling, withdraw a vessel: Vietnam steps down ([Diplomat2023])
    # Vietnam: partnerships and economic pragmatism ([VOA2023]; [Grossman2023])
    UPGRADE_PARTNERSHIP = "upgrade_partnership"
    SEEK_UPGRADE = "seek_upgrade"  # ask a partner for a higher tier; it answers (sim.agents.partner)
    TRADE_DEAL = "trade_deal"
    # Vietnam: what the Four Nos forbid ([SCMP2023]; [DWP2019])
    FORM_ALLIANCE = "form_alliance"
    HOST_FOREIGN_BASE = "host_foreign_base"
    SIDE_AGAINST_THIRD = "side_against_third"
    USE_FORCE = "use_force"
    # China ([VOA2023]; [Grossman2023]; [SCMP2023]; [Diplomat2023])
    GRAY_ZONE_INCIDENT = "gray_zone_incident"
    ESCALATE = "escalate"
    THREATEN_FORCE = "threaten_force"  # a direct threat of force: the crisis jumps to THREAT_RUNG
    DE_ESCALATE = "de_escalate"
    INDUCEMENT = "inducement"
    PROPOSE_PACKAGE = "propose_package"
    WARNING = "warning"
    ECONOMIC_PUNISHMENT = "economic_punishment"
    # United States, Japan, generic partners ([VOA2023]; [SCMP2023]; [Heydarian2022])
    UPGRADE_OFFER = "upgrade_offer"
    MARITIME_AID = "maritime_aid"
    DEMOCRACY_PROMOTION = "democracy_promotion"
    SANCTIONS_PRESSURE = "sanctions_pressure"
    ODA = "oda"
    COAST_GUARD_AID = "coast_guard_aid"
    # Russia ([Heydarian2022])
    ARMS_SALE = "arms_sale"
    IDEOLOGICAL_SOLIDARITY = "ideological_solidarity"
    # everyone
    HOLD = "hold"


@dataclass(frozen=True)
class ActionSpec:
    """One row of the effects table."""

    action: Action
    family: Family
    effects: dict[Channel, float]
    source: str
    returns_or_risk: str = ""  # [Kuik2016]: returns-maximising vs risk-contingency
    is_assurance: bool = False  # counts in the ``assurance_acts`` series
    description: str = ""
    extra: dict[str, float] = field(default_factory=dict)


C = Channel
ACTION_TABLE: tuple[ActionSpec, ...] = (
    ActionSpec(Action.PARTY_VISIT, Family.ASSURANCE,
               {C.DYAD_TRUST: 0.01, C.DYAD_TENSION: -0.02, C.ASSURANCE_DEBT: -0.6,
                C.CHINA_SUSPICION: -0.15},
               "[Diplomat2023] (HD-981: inter-party ties evoked); [Heydarian2022] (Trong to Beijing 2022)",
               "returns", True, "high-level or party-to-party visit to Beijing"),
    ActionSpec(Action.IDEOLOGICAL_BONDING, Family.ASSURANCE,
               {C.DYAD_TRUST: 0.01, C.DYAD_TENSION: -0.01, C.REGIME_INSECURITY: -0.05,
                C.ASSURANCE_DEBT: -0.4, C.CHINA_SUSPICION: -0.1},
               "[Heydarian2022] (joint fight against 'colour revolutions'); [Diplomat2023] (shared ideology)",
               "risk", True, "communist solidarity, shared regime-security agenda"),
    ActionSpec(Action.JOIN_COMMUNITY, Family.ASSURANCE,
               {C.DYAD_TIER: 1, C.DYAD_TRUST: 0.03, C.DYAD_TENSION: -0.05,
                C.ASSURANCE_DEBT: -1.0, C.CHINA_SUSPICION: -0.4},
               "[VOA2023]; [Grossman2023] ('community of shared future', Dec 2023: symbolic upgrade)",
               "returns", True, "symbolic upgrade: join China's community of shared future"),
    ActionSpec(Action.SIGN_AGREEMENTS, Family.ASSURANCE,
               {C.ASSURANCE_DEBT: -0.3, C.CHINA_SUSPICION: -0.1, C.DYAD_INTERDEPENDENCE: 0.2},
               "[VOA2023]; [Grossman2023] (36 of ~45 prepared documents signed, Dec 2023: market access, "
               "rail link, BRI projects)",
               "returns", True, "sign a Chinese package of agreements (effects per package, scaled by "
               "the share signed)"),
    ActionSpec(Action.MODERNISE, Family.DETERRENCE,
               {C.CAPABILITY: 0.02},
               "[Heydarian2022] ('porcupine' modernisation); [Diplomat2023] (force as fallback)",
               "risk", False, "internal balancing: buy and build arms"),
    ActionSpec(Action.DEFENSE_TIES, Family.DETERRENCE,
               {C.DYAD_DEFENSE: 0.06, C.DYAD_TRUST: 0.02, C.CAPABILITY: 0.005,
                C.ASSURANCE_DEBT: 0.3, C.CHINA_SUSPICION: 0.1},
               "[Diplomat2023] (defense ties with the US since 2014; One Depend)",
               "risk", False, "exercises, visits, coast-guard cooperation with a partner"),
    ActionSpec(Action.LEGAL_PROTEST, Family.DETERRENCE,
               {C.TENSION_CHINA: 0.01, C.REPUTATION_COST: 0.12},
               "[Thayer2011] ('cooperation and struggle'); arbitral award 2016 (UNCLOS)",
               "risk", False, "diplomatic protest, UNCLOS, ASEAN statements"),
    ActionSpec(Action.STAND_FIRM, Family.DETERRENCE,
               {C.TENSION_CHINA: 0.02, C.REPUTATION_COST: 0.06, C.ESCALATION: 0.0},
               "[Diplomat2023] (Vietnam held its ground at sea in 2014, 2019, 2023)",
               "risk", False, "keep coast-guard ships on station"),
    ActionSpec(Action.CONCEDE, Family.RESTRAINT,
               {C.DYAD_TENSION: -0.04, C.THREAT: 0.02},
               "[Diplomat2023]; [Hayton2017]; [Hayton2018] (Repsol drilling halted under threat of force, "
               "2017 and 2018)",
               "risk", False, "halt drilling or withdraw a vessel: Vietnam steps down and the crisis "
               "ends (sim.dynamics.end_crisis)"),
    ActionSpec(Action.UPGRADE_PARTNERSHIP, Family.PARTNERSHIP,
               {C.DYAD_TIER: 1, C.DYAD_TRUST: 0.06, C.DYAD_INTERDEPENDENCE: 0.02,
                C.ASSURANCE_DEBT: 1.0, C.CHINA_SUSPICION: 0.3},
               "[VOA2023]; [Grossman2023]; [SCMP2023] (US, Japan CSPs 2023; Beijing's unease)",
               "returns", False, "raise a partner one tier in Vietnam's hierarchy"),
    ActionSpec(Action.SEEK_UPGRADE, Family.PARTNERSHIP, {},
               "[Grossman2023] (Hanoi strengthening partnerships with strategically significant nations)",
               "returns", False, "ask a partner for a higher tier: if it agrees, its offer opens "
               "(Partner.answer_request)"),
    ActionSpec(Action.TRADE_DEAL, Family.ECONOMIC,
               {C.DYAD_INTERDEPENDENCE: 0.01, C.DYAD_TRUST: 0.01},
               "[VOA2023] (China top trade partner, >$175bn 2022); [SCMP2023] (diversification)",
               "returns", False, "trade and investment deal"),
    ActionSpec(Action.FORM_ALLIANCE, Family.FORBIDDEN,
               {C.DYAD_DEFENSE: 0.3, C.DYAD_TRUST: 0.05, C.TENSION_CHINA: 0.25,
                C.CHINA_SUSPICION: 1.0, C.CAPABILITY: 0.05},
               "[SCMP2023] and [DWP2019] (Four Nos: no military alliance)",
               "risk", False, "military alliance with a partner"),
    ActionSpec(Action.HOST_FOREIGN_BASE, Family.FORBIDDEN,
               {C.DYAD_DEFENSE: 0.2, C.TENSION_CHINA: 0.2, C.CHINA_SUSPICION: 1.0,
                C.CAPABILITY: 0.03},
               "[SCMP2023] and [DWP2019] (Four Nos: no foreign military bases)",
               "risk", False, "let a partner base forces in Vietnam"),
    ActionSpec(Action.SIDE_AGAINST_THIRD, Family.FORBIDDEN,
               {C.DYAD_TRUST: 0.04, C.TENSION_CHINA: 0.15, C.CHINA_SUSPICION: 0.8},
               "[SCMP2023]; [Diplomat2023] (no joining one country against another)",
               "risk", False, "join a partner's coalition against China"),
    ActionSpec(Action.USE_FORCE, Family.FORBIDDEN,
               {C.TENSION_CHINA: 0.3, C.ESCALATION: 2.0, C.CHINA_SUSPICION: 0.5},
               "[SCMP2023] (Four Nos: no use or threat of force); 1988 Johnson South Reef clash",
               "risk", False, "use or threaten force at sea"),
    ActionSpec(Action.GRAY_ZONE_INCIDENT, Family.COERCION,
               {C.DYAD_TRUST: -0.05},  # the crisis it opens (rung, threat, tension): open_crisis
               "[Diplomat2023] (HD-981 2014, survey ships 2019 and 2023)",
               "", False, "oil rig, survey ship or coast-guard intrusion; opens a crisis"),
    ActionSpec(Action.ESCALATE, Family.COERCION,
               {C.DYAD_TENSION: 0.05, C.DYAD_TRUST: -0.03, C.THREAT: 0.04, C.ESCALATION: 1.0},
               "[Diplomat2023] (2014: a fishing boat sunk; water cannon and ramming)",
               "", False, "press on: move one rung up the crisis ladder"),
    ActionSpec(Action.THREATEN_FORCE, Family.COERCION,
               {C.DYAD_TENSION: 0.05, C.DYAD_TRUST: -0.05, C.THREAT: 0.04},  # the rung: dynamics.threaten
               "[Hayton2017] (Jul 2017: Beijing threatens to attack Vietnam's outposts in the Spratlys "
               "unless Repsol's drilling stops); [Schelling1966] (compellence by threat)",
               "", False, "a direct threat of force: the crisis jumps to the rung below force"),
    ActionSpec(Action.DE_ESCALATE, Family.RESTRAINT,
               {C.DYAD_TENSION: -0.04},  # the crisis ends: dynamics.end_crisis
               "[Diplomat2023] (every crisis ended without force; HD-981 withdrawn a month early, "
               "Haiyang Dizhi 8 left the EEZ)",
               "", False, "withdraw: the rig or the ships go home and the crisis ends"),
    ActionSpec(Action.INDUCEMENT, Family.INDUCEMENT,
               {C.DYAD_INTERDEPENDENCE: 0.02, C.DYAD_TRUST: 0.02, C.DYAD_TENSION: -0.02},
               "[VOA2023] (market access, rail link funding); [Grossman2023] (BRI)",
               "", False, "market access, BRI finance"),
    ActionSpec(Action.PROPOSE_PACKAGE, Family.INDUCEMENT,
               {C.DYAD_TRUST: 0.0},
               "[VOA2023]; [Grossman2023] (Xi's Dec 2023 visit: ~45 prepared agreements, community offer)",
               "", False, "summit with a package of agreements and a symbolic upgrade offer"),
    ActionSpec(Action.WARNING, Family.COERCION,
               {C.DYAD_TENSION: 0.02, C.THREAT: 0.01},
               "[SCMP2023] ('misunderstanding, dissatisfaction and even punishment')",
               "", False, "public warning against ties with rivals"),
    ActionSpec(Action.ECONOMIC_PUNISHMENT, Family.COERCION,
               {C.DYAD_TENSION: 0.06, C.DYAD_TRUST: -0.05, C.DYAD_INTERDEPENDENCE: -0.02,
                C.THREAT: 0.03},
               "[SCMP2023] (punishment feared); [Heydarian2022] (supply-chain dependence)",
               "", False, "border closures, import curbs"),
    ActionSpec(Action.UPGRADE_OFFER, Family.ENGAGEMENT, {},
               "[VOA2023]; [Grossman2023] (Biden's Sept 2023 visit; Japan Nov 2023)",
               "", False, "offer Vietnam a higher partnership tier"),
    ActionSpec(Action.MARITIME_AID, Family.ENGAGEMENT,
               {C.DYAD_DEFENSE: 0.02, C.DYAD_TRUST: 0.02, C.CAPABILITY: 0.01,
                C.CHINA_SUSPICION: 0.05},
               "[SCMP2023] (Thayer: Vietnam would welcome US maritime assistance)",
               "", False, "coast-guard cutters, maritime domain awareness"),
    ActionSpec(Action.DEMOCRACY_PROMOTION, Family.PRESSURE,
               {C.REGIME_INSECURITY: 0.08, C.DYAD_TRUST: -0.03},
               "[Heydarian2022] (Summit for Democracy; Hanoi's suspicion); [SCMP2023] (regime wariness)",
               "", False, "democracy and human-rights pressure"),
    ActionSpec(Action.SANCTIONS_PRESSURE, Family.PRESSURE,
               {C.DYAD_TRUST: -0.02, C.SANCTIONED_ARMS: -0.1},
               "[Heydarian2022] (CAATSA forced Indonesia and the Philippines to cancel Russian deals)",
               "", False, "CAATSA pressure on buyers of Russian arms"),
    ActionSpec(Action.ODA, Family.ENGAGEMENT,
               {C.DYAD_INTERDEPENDENCE: 0.005, C.DYAD_TRUST: 0.02},
               "[LeHongHiep2013] (Japan as top ODA donor); [VOA2023]",
               "", False, "official development assistance, infrastructure"),
    ActionSpec(Action.COAST_GUARD_AID, Family.ENGAGEMENT,
               {C.DYAD_DEFENSE: 0.015, C.DYAD_TRUST: 0.02, C.CAPABILITY: 0.008,
                C.CHINA_SUSPICION: 0.03},
               "[Thayer2011]; [Grossman2023] (partners help Hanoi answer China at sea)",
               "", False, "patrol vessels and training for the coast guard"),
    ActionSpec(Action.ARMS_SALE, Family.ENGAGEMENT,
               {C.DYAD_DEFENSE: 0.03, C.DYAD_TRUST: 0.01, C.CAPABILITY: 0.01},
               "[Heydarian2022] (Russia the primary supplier: fighters, Kilo-class submarines)",
               "", False, "offer arms on credit"),
    ActionSpec(Action.IDEOLOGICAL_SOLIDARITY, Family.ENGAGEMENT,
               {C.DYAD_TRUST: 0.02},
               "[Heydarian2022] (shared history; neutrality on Ukraine)",
               "", False, "solidarity visits, shared history"),
    ActionSpec(Action.HOLD, Family.RESTRAINT, {}, "status quo", "", False, "do nothing new"),
)
del C

ACTIONS: tuple[Action, ...] = tuple(spec.action for spec in ACTION_TABLE)
SPEC: dict[Action, ActionSpec] = {spec.action: spec for spec in ACTION_TABLE}
INDEX: dict[Action, int] = {a: i for i, a in enumerate(ACTIONS)}

#: effects matrix, shape (n_actions, n_channels): row i is ``ACTION_TABLE[i].effects``
EFFECTS: np.ndarray = np.zeros((len(ACTIONS), len(Channel)))
for _i, _spec in enumerate(ACTION_TABLE):
    for _ch, _v in _spec.effects.items():
        EFFECTS[_i, _ch] = _v
EFFECTS.setflags(write=False)

#: channels whose entries are definitions (a tier, a rung), not sizes to calibrate
DEFINITION_CHANNELS = (Channel.DYAD_TIER, Channel.ESCALATION)


def _effects_table() -> type:
    """The pydantic table of effect sizes: ``actions.<action>.<channel>``, one field per sized
    effect of :data:`ACTION_TABLE` (direction from the row's source; size calibrated)."""
    rows = {}
    for spec in ACTION_TABLE:
        entries = {ch.name.lower(): coef(v, *signed_range(v), f"change in {ch.name.lower()} per "
                                         f"{spec.action.value} (direction: {spec.source})")
                   for ch, v in spec.effects.items() if ch not in DEFINITION_CHANNELS}
        if entries:
            rows[spec.action.value] = table(f"Effects_{spec.action.value}",
                                            f"effect sizes of {spec.action.value}", entries, __name__)
    return table("ActionEffects", "Effect sizes of the actions table (per move).", rows, __name__)


ActionEffects = _effects_table()


def effects_matrix(k: Arrays, replicates: int) -> np.ndarray:
    """The effects table with each replicate's sizes: ``(R, actions, channels)``, from the
    compiled ``actions`` table ``k``; read-only. Where every replicate has the same sizes (a run,
    a Monte Carlo, a design that varies no effect size) it is one table seen R times (a view with
    stride 0 on the replicate axis): applying moves then reads one table that stays in the cache
    rather than R copies of it (4x faster at R = 4,000)."""
    out = np.broadcast_to(EFFECTS, (replicates, *EFFECTS.shape)).copy()
    for i, spec in enumerate(ACTION_TABLE):
        row = getattr(k, spec.action.value, None)
        for ch in spec.effects:
            if ch not in DEFINITION_CHANNELS:
                out[:, i, ch] = getattr(row, ch.name.lower())
    if (out == out[:1]).all():
        out = np.broadcast_to(out[0].copy(), out.shape)
    out.setflags(write=False)
    return out


#: actions that each of the Four Nos forbids ([SCMP2023])
FORBIDDEN_ACTIONS: frozenset[Action] = frozenset(
    a for a in ACTIONS if SPEC[a].family is Family.FORBIDDEN
)
ASSURANCE_ACTIONS: frozenset[Action] = frozenset(a for a in ACTIONS if SPEC[a].is_assurance)

assert set(ACTIONS) == set(Action), "every Action needs a row in ACTION_TABLE"


class AgreementKind(IntEnum):
    """Kinds of the agreements in a Chinese package ([VOA2023]; [Grossman2023]: 36 of ~45 signed; the
    critical-minerals deal Xi lobbied for refused). What each is worth to Vietnam, and its security
    cost, is :data:`sim.agents.vietnam.AGREEMENTS`."""

    SYMBOLIC = 0
    ECONOMIC = 1
    MARITIME = 2  # low-sensitivity security: search and rescue, joint patrols, incident hotlines
    SECURITY = 3  # sensitive security cooperation
    STRATEGIC_RESOURCE = 4  # critical minerals, rare earths

    @property
    def sensitive(self) -> bool:
        """Counted as security-sensitive in the series (``sensitive_signed`` / ``_refused``)."""
        return self in (AgreementKind.SECURITY, AgreementKind.STRATEGIC_RESOURCE)
