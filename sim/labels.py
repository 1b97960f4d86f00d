"""What a reader sees on a figure, declared once: labels for every column and parameter, one colour
per country, and how each kind of event is drawn.

Every figure (:mod:`sim.plots`, :mod:`sim.sweep.figures`, :mod:`sim.compare`) takes its words and
colours from here, so a column is called the same thing, and a country drawn in the same colour,
everywhere. The palette is Okabe & Ito's (2008, "Color Universal Design"), distinguishable under the
common colour-vision deficiencies; a test checks that the table covers every series column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sim.scenario.schema import Country, EventKind

# Okabe & Ito (2008): the eight colours of the colour-universal-design palette.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}
COUNTRY_COLORS = {  # one colour per country on every figure
    Country.CHINA.value: OKABE_ITO["vermillion"],
    Country.UNITED_STATES.value: OKABE_ITO["blue"],
    Country.JAPAN.value: OKABE_ITO["reddish_purple"],
    Country.RUSSIA.value: OKABE_ITO["bluish_green"],
    Country.VIETNAM.value: OKABE_ITO["orange"],
}
OTHER_COLORS = (OKABE_ITO["sky_blue"], "#7F7F7F", OKABE_ITO["yellow"], OKABE_ITO["black"])
# Scenarios in a comparison: the baseline black, what-ifs in the remaining colours, in order.
SCENARIO_COLORS = (OKABE_ITO["black"], OKABE_ITO["blue"], OKABE_ITO["vermillion"],
                   OKABE_ITO["bluish_green"], OKABE_ITO["reddish_purple"], OKABE_ITO["orange"],
                   OKABE_ITO["sky_blue"])
NEUTRAL = "#666666"  # lines that belong to no country (the hedging index, crisis shading edges)

COUNTRY_NAMES = {
    Country.CHINA.value: "China", Country.UNITED_STATES.value: "US", Country.JAPAN.value: "Japan",
    Country.RUSSIA.value: "Russia", Country.VIETNAM.value: "Vietnam",
}
TIER_NAMES = ("none", "comprehensive", "strategic", "comp. strategic", "community")


def country_color(name: str, i: int = 0) -> str:
    """The colour of a country (a partner beyond the five gets the ``i``-th spare colour)."""
    return COUNTRY_COLORS.get(name, OTHER_COLORS[i % len(OTHER_COLORS)])


def country_name(name: str) -> str:
    """``united_states`` -> ``US``; a partner beyond the five by its id, in words."""
    return COUNTRY_NAMES.get(name, name.replace("_", " ").title())


@dataclass(frozen=True)
class Label:
    """A column's words on a figure: ``text`` (axis label or legend) and its ``unit``/scale."""

    text: str
    unit: str = ""
    integer: bool = False  # counts and tiers: integer ticks

    def __str__(self) -> str:
        return f"{self.text} ({self.unit})" if self.unit else self.text


# One entry per monthly column of sim.metrics.series_for (a test checks it covers them all).
COLUMNS: dict[str, Label] = {
    "hedging_index": Label("hedging index", "-1 China, +1 US"),
    "tension_china": Label("tension with China", "0-1"),
    "crisis": Label("crisis open", "0/1", integer=True),
    "escalation": Label("crisis rung", "0-5; 5 = use of force", integer=True),
    "use_of_force": Label("use of force", "0/1", integer=True),
    "threat_china": Label("threat perception of China", "0-1"),
    "regime_insecurity": Label("regime insecurity", "0-1"),
    "capability": Label("military capability", "0-1"),
    "russia_arms_share": Label("Russia's arms share", "share of purchases"),
    "domestic_arms_share": Label("home-produced arms share", "share of purchases"),
    "assurance_acts": Label("assurance acts toward China", "per month", integer=True),
    "assurance_debt": Label("assurance owed to Beijing", "0-1"),
    "four_nos_violations": Label("Four-Nos violations", "per month", integer=True),
    "four_nos_removed": Label("choice probability removed by the Four Nos", "per month"),
    "four_nos_prevented": Label("forbidden moves prevented by the Four Nos (expected)", "per month"),
    "china_coercion": Label("coercive Chinese moves", "per month", integer=True),
    "china_suspicion": Label("China's suspicion of Vietnam", "0-1"),
    "agreements_signed": Label("agreements signed", "per month", integer=True),
    "agreements_refused": Label("agreements refused", "per month", integer=True),
    "sensitive_signed": Label("sensitive agreements signed", "per month", integer=True),
    "sensitive_refused": Label("sensitive agreements refused", "per month", integer=True),
    "crisis_count": Label("crises opened", "cumulative count", integer=True),
    "china_incidents": Label("incidents China chose to start", "per month", integer=True),
    "ended_by_china": Label("crisis ended by China stepping down", "0/1", integer=True),
    "ended_by_vietnam": Label("crisis ended by Vietnam conceding", "0/1", integer=True),
    "coercion_memory": Label("Vietnam's memory of coercion", "accumulated severity"),
}
PER_STATE: dict[str, Label] = {  # columns ``<kind>_<country>``
    "tier": Label("tier", "0 none - 3 comp. strategic", integer=True),
    "trust": Label("trust", "0-1"),
    "defense": Label("defence ties", "0-1"),
    "interdependence": Label("economic interdependence", "0-1"),
}
# Natural range of a column (for axis limits): counts and unbounded columns are absent.
RANGES: dict[str, tuple[float, float]] = {
    "hedging_index": (-1.0, 1.0), "escalation": (0.0, 5.0), "tier": (0.0, 4.0),
}
UNIT_COLUMNS = {"tension_china", "threat_china", "regime_insecurity", "capability", "russia_arms_share",
                "domestic_arms_share", "assurance_debt", "china_suspicion", "crisis", "use_of_force",
                "trust", "defense", "interdependence"}


def column(name: str) -> Label:
    """The label of a series column; KeyError for a column the table does not know."""
    if name in COLUMNS:
        return COLUMNS[name]
    kind, _, state = name.partition("_")
    if kind in PER_STATE and state:
        base = PER_STATE[kind]
        return Label(f"{country_name(state)} {base.text}", base.unit, base.integer)
    raise KeyError(f"no label for column {name!r}; add it to sim.labels.COLUMNS")


def column_text(name: str) -> str:
    """``column(name)`` as text, or the raw name for a column the table does not know."""
    try:
        return str(column(name))
    except KeyError:
        return name


def column_range(name: str) -> tuple[float, float] | None:
    kind = name.partition("_")[0] if name not in COLUMNS else name
    if name in RANGES or kind in RANGES:
        return RANGES.get(name, RANGES.get(kind))
    if name in UNIT_COLUMNS or kind in UNIT_COLUMNS:
        return (0.0, 1.0)
    return None


def is_tier(name: str) -> bool:
    return name.startswith("tier_")


# Scenario values a design may vary, by their last path component (agents.<state>.<field>,
# rules.<rule>.<field>); the state or rule is named in front.
PARAMETERS: dict[str, str] = {
    "noise_floor_dummy": "dummy parameter (noise floor)",
    "assertiveness": "assertiveness", "status_sensitivity": "status sensitivity",
    "commitment": "commitment", "reliability": "arms reliability", "trust": "initial trust",
    "tension": "initial tension", "tier": "initial tier", "defense": "initial defence ties",
    "interdependence": "initial interdependence", "democracy_promotion": "democracy promotion",
    "arms_supplier": "arms-supplier appeal", "offer_propensity": "offer propensity",
    "temperature": "choice temperature", "weight_security": "weight on security",
    "weight_autonomy": "weight on autonomy", "weight_prosperity": "weight on prosperity",
    "weight_regime": "weight on regime survival", "weight_stability": "weight on stability",
    "threat": "initial threat perception", "regime_insecurity": "initial regime insecurity",
    "capability": "initial capability", "threshold": "threshold", "threat_threshold": "threat threshold",
    "enabled": "on", "monthly_rate": "monthly rate", "severity": "severity",
}
RULE_NAMES = {"four_nos": "Four Nos", "one_depend": "one-depend", "china_first": "China first",
              "no_alliance": "no alliance", "no_foreign_bases": "no foreign bases",
              "no_siding_against_third": "no siding against a third", "no_force": "no force"}


def parameter(path: str) -> str:
    """A dotted scenario path as words: ``agents.china.assertiveness`` -> ``China: assertiveness``."""
    parts = path.split(".")
    field = parts[-1]
    words = PARAMETERS.get(field, field.replace("_", " "))
    if len(parts) >= 3 and parts[0] == "agents":
        return f"{country_name(parts[1])}: {words}"
    if len(parts) >= 3 and parts[0] == "rules":
        return f"rule {RULE_NAMES.get(parts[1], parts[1].replace('_', ' '))}: {words}"
    if len(parts) >= 2:
        return f"{parts[-2].replace('_', ' ')}: {words}"
    return words


@dataclass(frozen=True)
class EventStyle:
    """How one kind of event is drawn: its words, marker and colour."""

    text: str
    marker: str
    color: str


EVENTS: dict[EventKind, EventStyle] = {
    EventKind.MARITIME_INCIDENT: EventStyle("maritime incident", "v", COUNTRY_COLORS["china"]),
    EventKind.SANCTIONS: EventStyle("sanctions", "X", COUNTRY_COLORS["russia"]),
    EventKind.SUMMIT: EventStyle("summit", "D", OKABE_ITO["orange"]),
    EventKind.ECONOMIC_SHOCK: EventStyle("economic shock", "s", "#7F7F7F"),
    EventKind.FOREIGN_BASE_NEARBY: EventStyle("foreign base nearby", "P", OKABE_ITO["black"]),
    EventKind.MEKONG_DAMS: EventStyle("Mekong dams", "h", OKABE_ITO["sky_blue"]),
    EventKind.UPGRADE_OFFER: EventStyle("upgrade offer", "^", COUNTRY_COLORS["united_states"]),
    EventKind.ARMS_EMBARGO_LIFTED: EventStyle("arms embargo lifted", "o", OKABE_ITO["sky_blue"]),
    EventKind.LEADERSHIP_CHANGE: EventStyle("leadership change", "*", OKABE_ITO["reddish_purple"]),
}
assert set(EVENTS) == set(EventKind), "every EventKind needs a style"

_SOURCE_TAG = re.compile(r"\s*\[[A-Z][A-Za-z0-9]*\]")  # a citation key: [Diplomat2023]


def event_text(label: str, kind: str) -> str:
    """An event's own label for a figure (internal source tags dropped), or its kind's words."""
    text = _SOURCE_TAG.sub("", label or "").strip()
    return text or EVENTS[EventKind(kind)].text


def title(name: str, description: str = "", limit: int = 240) -> str:
    """A figure title from the scenario or experiment: its description (shortened past ``limit``
    characters), else its name in words."""
    text = " ".join((description or "").split()).rstrip(".")
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    return text or name.replace("_", " ")


REDUCE_WORDS = {  # how an outcome reduces its series over a run (sim.sweep.experiment.Reducer)
    "mean": "mean", "median": "median", "min": "lowest", "max": "highest", "first": "first",
    "last": "final", "sum": "total", "std": "s.d. of", "any": "any", "share": "share of months with",
}


def outcome(series: str, reduce: str, since: object = None, until: object = None) -> str:
    """A per-run outcome in words: ``tension_china``, ``mean`` -> ``mean tension with China (0-1)``."""
    lab = column(series) if _known(series) else Label(series)
    words = f"{REDUCE_WORDS.get(reduce, reduce)} {lab.text}"
    unit = {"any": "share of runs", "share": "0-1"}.get(reduce, lab.unit)
    if reduce == "sum" and unit == "per month":
        unit = "count"
    window = f", {since or 'start'} to {until or 'end'}" if since or until else ""
    return f"{words} ({unit}{window})" if unit or window else words


def _known(name: str) -> bool:
    try:
        column(name)
    except KeyError:
        return False
    return True
