"""The page's pictures: a map of Vietnam's relations and four monthly plots, in plain matplotlib.

Each picture is a :class:`LayeredFigure`: its frame (axes, ticks, labels, legends) is rasterised once;
each month only the data artists are drawn again on a copy of that frame, so a redraw costs a few
milliseconds instead of a full matplotlib draw (~150 ms for four panels on a small laptop). The
figures read tables (``HedgingModel.series()``, ``events()`` and :func:`relations_now`), never agents.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from matplotlib.artist import Artist  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from PIL import Image  # noqa: E402

from sim.metrics import EQUIDISTANCE_BAND  # noqa: E402
from sim.plots import STYLE, TIER_LABELS, color  # noqa: E402
from sim.scenario.schema import Country, Scenario  # noqa: E402
from sim.state import LADDER, VIETNAM  # noqa: E402

DPI = 80
TRUST_COLOURS = colormaps["RdYlGn"]
TRUST_SCALE = Normalize(0.0, 1.0)

#: schematic map positions (longitude, latitude), Pacific-centred: the United States sits east of
#: Japan across the ocean. A scenario's ``position`` for a state wins over this table.
POSITIONS: dict[str, tuple[float, float]] = {
    Country.VIETNAM.value: (106.0, 16.0),
    Country.CHINA.value: (116.0, 33.0),
    Country.JAPAN.value: (139.0, 36.0),
    Country.RUSSIA.value: (90.0, 52.0),
    Country.UNITED_STATES.value: (178.0, 30.0),
    "india": (78.0, 22.0),
    "south_korea": (128.0, 37.0),
    "australia": (134.0, -24.0),
    "philippines": (122.0, 13.0),
    "indonesia": (113.0, -2.0),
    "singapore": (104.0, 1.3),
    "thailand": (101.0, 15.0),
    "cambodia": (105.0, 12.5),
    "laos": (102.5, 19.0),
    "european_union": (70.0, 50.0),
}
FREE_RING_DEGREES = 30.0  # radius around Vietnam for states with no known position


def positions(countries: Iterable[str], scenario: Scenario | None = None) -> dict[str, tuple[float, float]]:
    """Where each state is drawn: the scenario's ``position``, the table above, else a free spot on a
    ring around Vietnam (spread evenly, starting south-west where the map is empty)."""
    countries = list(countries)
    out: dict[str, tuple[float, float]] = {}
    unplaced = []
    for name in countries:
        given = getattr(scenario.agents.get(name), "position", None) if scenario else None
        if given is not None:
            out[name] = (float(given[0]), float(given[1]))
        elif name in POSITIONS:
            out[name] = POSITIONS[name]
        else:
            unplaced.append(name)
    cx, cy = POSITIONS[Country.VIETNAM.value]
    for k, name in enumerate(unplaced):
        angle = math.radians(200 + 50 * k)
        out[name] = (cx + FREE_RING_DEGREES * math.cos(angle), cy + FREE_RING_DEGREES * math.sin(angle))
    return out


def encode_png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas as PNG bytes, with fast compression (the picture is redrawn every month)."""
    out = io.BytesIO()
    Image.fromarray(np.asarray(canvas.buffer_rgba())).save(out, format="png", compress_level=1)
    return out.getvalue()


class LayeredFigure:
    """A figure drawn in two layers: a static frame rasterised once, data artists on top each time."""

    def __init__(self, figure: Figure, artists: list[Artist]) -> None:
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self.artists = artists
        for artist in artists:
            artist.set_animated(True)  # left out of the frame; drawn by render()
        self._frame = None

    def render(self) -> bytes:
        """PNG of the frame with the data artists in their current state."""
        if self._frame is None:
            self.canvas.draw()
            self._frame = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._frame)
        for artist in self.artists:
            if artist.get_visible():
                self.figure.draw_artist(artist)
        return encode_png(self.canvas)


# ------------------------------------------------------------------------------------------ the map
@dataclass(frozen=True)
class Snapshot:
    """Vietnam's relations right now: one row per partner, and the crisis rung (0 = none)."""

    relations: pd.DataFrame  # index: state; columns tier, trust, tension
    escalation: int


def relations_now(model) -> Snapshot:
    """Read the current relations off a running model (replicate 0) into a :class:`Snapshot`."""
    w = model.world
    partners = list(w.countries[1:])
    columns = {kind: getattr(w, kind)[0, 1:] for kind in ("tier", "trust", "tension")}
    relations = pd.DataFrame(columns, index=pd.Index(partners, name="state"))
    return Snapshot(relations, int(w.escalation[0]))


class RelationsMap(LayeredFigure):
    """States placed roughly on a map; an edge from Vietnam to each partner, its width the partnership
    tier and its colour Vietnam's trust; a crisis shown on the Vietnam-China edge."""

    def __init__(self, countries: tuple[str, ...], names: Mapping[str, str],
                 scenario: Scenario | None = None) -> None:
        self.countries = countries
        self.partners = list(countries[1:])
        self.where = positions(countries, scenario)
        with matplotlib.rc_context(STYLE):
            fig = Figure(figsize=(6.6, 3.4), dpi=DPI)
            ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
            artists = self._draw_frame(fig, ax, names)
        super().__init__(fig, artists)

    def _draw_frame(self, fig: Figure, ax, names: Mapping[str, str]) -> list[Artist]:
        xs, ys = zip(*self.where.values(), strict=True)
        ax.set_xlim(min(xs) - 14, max(xs) + 14)
        ax.set_ylim(min(ys) - 13, max(ys) + 8)
        ax.set_facecolor("#eaf2f8")
        ax.grid(False)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.text(118, 9, "South China Sea", fontsize=7, color="#5d6d7e", style="italic", ha="center")
        vx, vy = self.where[self.countries[VIETNAM]]
        self.edges = LineCollection([[(vx, vy), self.where[p]] for p in self.partners], capstyle="round",
                                    zorder=1)
        ax.add_collection(self.edges)
        self.tier_labels = [self._tier_label(ax, p) for p in self.partners]
        for i, name in enumerate(self.countries):  # names in the frame: above each node, clear of edges
            x, y = self.where[name]
            above = i != VIETNAM
            ax.text(x, y + (2.8 if above else -3.2), names.get(name, name), ha="center",
                    va="bottom" if above else "top", fontsize=8, weight="bold")
        xy = np.array([self.where[name] for name in self.countries])
        nodes = ax.scatter(xy[:, 0], xy[:, 1], s=[260 if i == VIETNAM else 170 for i in range(len(xy))],
                           color=[color(name, i) for i, name in enumerate(self.countries)], zorder=4,
                           edgecolors="white", linewidths=1.5)
        cx, cy = self._crisis_point()
        self.crisis_marker = ax.scatter([cx], [cy], marker="*", s=380, color="#e74c3c", edgecolors="#641e16",
                                        zorder=6, visible=False)
        self.crisis_label = ax.text(cx + 2.5, cy - 1.5, "", fontsize=8, color="#922b21", weight="bold",
                                    ha="left", va="top", zorder=6)
        self._legend(fig, ax)
        # drawn in this order on top of the frame: edges under nodes, labels and the crisis on top
        return [self.edges, nodes, *self.tier_labels, self.crisis_marker, self.crisis_label]

    def _tier_label(self, ax, partner: str) -> Artist:
        """Text box on the edge to ``partner``; China's sits left of its short edge, clear of Japan's."""
        x, y = self._along_edge(partner, 0.55)
        china = partner == Country.CHINA.value
        return ax.text(x - 1.5 if china else x, y, "", fontsize=7, ha="right" if china else "center",
                       va="center", zorder=3, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                                                    "alpha": 0.8})

    def _along_edge(self, partner: str, fraction: float) -> tuple[float, float]:
        (vx, vy), (px, py) = self.where[self.countries[VIETNAM]], self.where[partner]
        return vx + fraction * (px - vx), vy + fraction * (py - vy)

    def _crisis_point(self) -> tuple[float, float]:
        return self._along_edge(Country.CHINA.value, 0.25)

    @staticmethod
    def _legend(fig: Figure, ax) -> None:
        widths = [Line2D([], [], color="#7f8c8d", lw=_tier_width(t), label=TIER_LABELS[t])
                  for t in range(1, 5)]
        crisis = Line2D([], [], marker="*", ms=11, ls="", color="#e74c3c", label="maritime crisis")
        ax.legend(handles=[*widths, crisis], loc="lower right", fontsize=7, title="tier (edge width)",
                  title_fontsize=7, frameon=True, framealpha=0.85)
        bar_ax = ax.inset_axes((0.66, 0.9, 0.3, 0.035))
        fig.colorbar(matplotlib.cm.ScalarMappable(TRUST_SCALE, TRUST_COLOURS), cax=bar_ax,
                     orientation="horizontal")
        bar_ax.set_xlabel("Vietnam's trust (edge colour)", fontsize=7, labelpad=1)
        bar_ax.tick_params(labelsize=7)

    def update(self, snapshot: Snapshot) -> bytes:
        """Set edges, labels and the crisis marker from ``snapshot``; return the PNG."""
        rel = snapshot.relations  # in the map's order: the world's partners
        self.edges.set_linewidths([_tier_width(t) for t in rel["tier"]])
        self.edges.set_colors(TRUST_COLOURS(TRUST_SCALE(rel["trust"].to_numpy())))
        for label, (name, row) in zip(self.tier_labels, rel.iterrows(), strict=True):
            text = TIER_LABELS[int(row["tier"])]
            if name == Country.CHINA.value:
                text += f"\ntension {row['tension']:.2f}"
            label.set_text(text)
        rung = snapshot.escalation
        self.crisis_marker.set_visible(rung > 0)
        self.crisis_marker.set_sizes([220 + 90 * rung])
        self.crisis_label.set_text(f"crisis: {LADDER[rung]}" if rung > 0 else "")
        return self.render()


def _tier_width(tier: float) -> float:
    return 0.8 + 2.4 * float(tier)


# ------------------------------------------------------------------------------------------ the plots
PANELS = ("hedging", "tension", "tiers", "arms")


class MonthlyPlots(LayeredFigure):
    """Panels over the whole run, any of :data:`PANELS`: the hedging index with the equidistance band,
    tension with China with crises and incidents, partnership tiers, and Russia's share of arms."""

    def __init__(self, scenario: Scenario, countries: tuple[str, ...], names: Mapping[str, str],
                 panels: tuple[str, ...] = PANELS) -> None:
        unknown = set(panels) - set(PANELS)
        if unknown:
            raise ValueError(f"unknown panel(s) {sorted(unknown)}; valid: {PANELS}")
        self.x0 = scenario.start.year + (scenario.start.month - 1) / 12
        self.partners = list(countries[1:])
        self.names = names
        self.panels = panels
        with matplotlib.rc_context(STYLE):
            fig = Figure(figsize=(7.0, 2.25 * len(panels)), dpi=DPI)
            axes = np.atleast_1d(fig.subplots(len(panels), 1, sharex=True))
            artists: list[Artist] = []
            for ax, panel in zip(axes, panels, strict=True):
                ax.set_xlim(self.x0, self.x0 + scenario.months / 12)
                artists += getattr(self, f"_frame_{panel}")(ax)
            axes[-1].set_xlabel("year")
            fig.tight_layout(h_pad=0.4)
        super().__init__(fig, artists)

    def _frame_hedging(self, ax) -> list[Artist]:
        ax.axhspan(-EQUIDISTANCE_BAND, EQUIDISTANCE_BAND, color="#bbbbbb", alpha=0.35,
                   label="equidistance band")
        (self.hedging,) = ax.plot([], [], color="black", lw=1.5, label="hedging index")
        ax.set_ylim(-1, 1)
        ax.set_ylabel("-1 China .. +1 US", fontsize=8)
        ax.set_title("Hedging index", loc="left")
        ax.legend(loc="upper left", ncol=2)
        return [self.hedging]

    def _frame_tension(self, ax) -> list[Artist]:
        self.crises = ax.fill_between([], [], [], step="mid", transform=ax.get_xaxis_transform(),
                                      color="#f5b041", alpha=0.3, linewidth=0, label="crisis open")
        self.incidents = LineCollection([], colors="#7f8c8d", linewidths=1.0, linestyles=":",
                                        transform=ax.get_xaxis_transform(), label="maritime incident")
        ax.add_collection(self.incidents)
        (self.tension,) = ax.plot([], [], color=color("china"), lw=1.5, label="tension with China")
        (self.threat,) = ax.plot([], [], color="#e67e22", lw=1.1, ls="--", label="threat perception")
        ax.set_ylim(0, 1.05)
        ax.set_title("Tension with China, crises and incidents", loc="left")
        ax.legend(loc="upper left", ncol=2)
        return [self.crises, self.incidents, self.tension, self.threat]

    def _frame_tiers(self, ax) -> list[Artist]:
        self.tiers = []
        for i, name in enumerate(self.partners):
            (line,) = ax.step([], [], where="post", color=color(name, i), lw=1.6,
                              label=self.names.get(name, name))
            self.tiers.append(line)
        ax.set_yticks(range(5), TIER_LABELS, fontsize=7)
        ax.set_ylim(-0.3, 4.4)
        ax.set_title("Partnership tiers", loc="left")
        ax.legend(loc="lower right", ncol=3)
        return self.tiers

    def _frame_arms(self, ax) -> list[Artist]:
        (self.russia_share,) = ax.plot([], [], color=color("russia"), lw=1.5, label="Russia's arms share")
        (self.home_share,) = ax.plot([], [], color=color("vietnam"), lw=1.2, label="home production")
        ax.set_ylim(0, 1.05)
        ax.set_title("Arms supply", loc="left")
        ax.legend(loc="upper right", ncol=2)
        return [self.russia_share, self.home_share]

    def x_of(self, steps: pd.Series | np.ndarray) -> np.ndarray:
        """Position on the time axis (fractional years) of model steps (step 1 = the start month)."""
        return self.x0 + (np.asarray(steps, dtype=float) - 1) / 12

    def update(self, series: pd.DataFrame, events: pd.DataFrame) -> bytes:
        """Point every line at the months run so far; return the PNG."""
        x = self.x_of(series["step"])
        for panel in self.panels:
            getattr(self, f"_update_{panel}")(x, series, events)
        return self.render()

    def _update_hedging(self, x: np.ndarray, series: pd.DataFrame, events: pd.DataFrame) -> None:
        self.hedging.set_data(x, series["hedging_index"])

    def _update_tension(self, x: np.ndarray, series: pd.DataFrame, events: pd.DataFrame) -> None:
        self.tension.set_data(x, series["tension_china"])
        self.threat.set_data(x, series["threat_china"])
        crisis = series["crisis"].to_numpy() > 0
        self.crises.set_visible(bool(crisis.any()))
        if crisis.any():
            self.crises.set_data(x, np.zeros_like(x), np.ones_like(x), where=crisis)
        incidents = events[events["kind"] == "maritime_incident"]
        steps = incidents["step"].clip(lower=1)
        self.incidents.set_segments([[(xi, 0), (xi, 1)] for xi in self.x_of(steps)])

    def _update_tiers(self, x: np.ndarray, series: pd.DataFrame, events: pd.DataFrame) -> None:
        offsets = 0.07 * (np.arange(len(self.tiers)) - len(self.tiers) / 2)
        for line, name, offset in zip(self.tiers, self.partners, offsets, strict=True):
            line.set_data(x, series[f"tier_{name}"] + offset)

    def _update_arms(self, x: np.ndarray, series: pd.DataFrame, events: pd.DataFrame) -> None:
        self.russia_share.set_data(x, series["russia_arms_share"])
        self.home_share.set_data(x, series["domestic_arms_share"])
