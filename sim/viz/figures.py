"""The page's charts, in Plotly (drawn in the browser by the plotly.js that the ``plotly`` package ships,
through Solara's ``FigurePlotly``; no network needed): a map of Vietnam's relations whose states can
be clicked, and monthly panels with hover values and the run before Reset drawn faintly beside.

The figures read tables (``HedgingModel.series()``, ``events()`` and :func:`relations_now`), never agents.
Colours and tier names come from :mod:`sim.plots`, so the page and the paper figures agree.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from sim.labels import COUNTRY_NAMES
from sim.metrics import EQUIDISTANCE_BAND
from sim.plots import TIER_LABELS, color
from sim.scenario.schema import Country, Scenario
from sim.state import LADDER, VIETNAM

TRUST_SCALE = "RdYlGn"  # Vietnam's trust, 0 red .. 1 green, on the map's edges
BASELINE_OPACITY = 0.35  # the run before Reset, drawn faintly
#: the modebar keeps zoom, pan, reset and the PNG download; nothing that would send data anywhere
CONFIG_REMOVE = ["sendDataToCloud", "select2d", "lasso2d", "autoScale2d", "toggleSpikelines"]
FONT = {"family": "Roboto, Arial, sans-serif", "size": 12}
#: figure width in px: fits a card of the page's narrowest column (a grid column is at least 440 px,
#: app.GRID_STYLE, less the card's padding). Fixed, because the figure widget sizes itself to its
#: container only on a window resize, never on its first drawing: with no width it is drawn 700 px
#: wide and clipped.
WIDTH = 400

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


def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(height=height, width=WIDTH, margin={"l": 48, "r": 12, "t": 28, "b": 28}, font=FONT,
                      plot_bgcolor="white", modebar={"remove": CONFIG_REMOVE},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0,
                              "font": {"size": 11}})
    return fig


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


def tier_width(tier: float) -> float:
    """Edge width on the map for a partnership tier (0 none .. 4 community)."""
    return 1.0 + 2.2 * float(tier)


STATES_TRACE = "states"  # ``meta`` of the map's trace of states (clickable, ids in ``customdata``)


def map_figure(snapshot: Snapshot, where: Mapping[str, tuple[float, float]], names: Mapping[str, str],
               selected: str | None = None) -> go.Figure:
    """States on a schematic map; an edge from Vietnam to each partner, its width the partnership tier
    and its colour Vietnam's trust; the crisis on the Vietnam-China edge. Built once per run and kept
    current by :func:`update_map`. The states' trace (``meta`` :data:`STATES_TRACE`) lists them in
    ``[Vietnam, *partners]`` order, each with its id as ``customdata``, for clicks."""
    countries = [Country.VIETNAM.value, *snapshot.relations.index]
    vx, vy = where[countries[VIETNAM]]
    fig = go.Figure()
    for name in countries[1:]:
        px, py = where[name]
        fig.add_trace(go.Scatter(x=[vx, px], y=[vy, py], mode="lines", showlegend=False, hoverinfo="skip",
                                 meta=name))
        fig.add_annotation(x=vx + 0.55 * (px - vx), y=vy + 0.55 * (py - vy), showarrow=False, name=name,
                           font={"size": 10}, bgcolor="rgba(255,255,255,0.8)")
    cx, cy = where.get(Country.CHINA.value, (vx, vy))
    fig.add_trace(go.Scatter(x=[vx + 0.3 * (cx - vx)], y=[vy + 0.3 * (cy - vy)], mode="markers+text",
                             meta="crisis", textposition="middle right", showlegend=False,
                             textfont={"color": "#922b21", "size": 11}, hoverinfo="skip",
                             marker={"symbol": "star", "color": "#e74c3c", "line": {"color": "#641e16",
                                                                                     "width": 1}}))
    fig.add_trace(go.Scatter(
        x=[where[c][0] for c in countries], y=[where[c][1] for c in countries], mode="markers+text",
        text=[names.get(c, c) for c in countries], textposition="top center", customdata=countries,
        textfont={"size": 12, "color": "#222"}, hoverinfo="text", showlegend=False, meta=STATES_TRACE,
        marker={"size": [26 if c == countries[VIETNAM] else 20 for c in countries],
                "color": [color(c, i) for i, c in enumerate(countries)]}))
    xs, ys = zip(*(where[c] for c in countries), strict=True)
    fig.update_xaxes(visible=False, range=[min(xs) - 12, max(xs) + 12], fixedrange=True)
    fig.update_yaxes(visible=False, range=[min(ys) - 10, max(ys) + 9], fixedrange=True)
    _layout(fig, 330)
    fig.update_layout(plot_bgcolor="#eaf2f8", margin={"l": 4, "r": 4, "t": 4, "b": 4}, dragmode=False)
    update_map(fig, snapshot, names, selected)
    return fig


def update_map(fig: go.Figure, snapshot: Snapshot, names: Mapping[str, str], selected: str | None) -> None:
    """Set the map of :func:`map_figure` (a ``Figure`` or a live ``FigureWidget``) to ``snapshot``."""
    rel = snapshot.relations
    trusts = dict(zip(rel.index, sample_colorscale(TRUST_SCALE, [min(max(float(t), 0.0), 1.0)
                                                                  for t in rel["trust"]]), strict=True))
    for trace in fig.data:
        if trace.meta in trusts:
            trace.line = {"width": tier_width(rel.at[trace.meta, "tier"]), "color": trusts[trace.meta]}
        elif trace.meta == "crisis":
            rung = snapshot.escalation
            trace.visible = rung > 0
            trace.marker.size = 14 + 4 * rung
            trace.text = [f"crisis: {LADDER[rung]}" if rung else ""]
        elif trace.meta == STATES_TRACE:
            states = list(trace.customdata)
            trace.hovertext = ["Vietnam<br>click to inspect"] + [
                f"{names.get(p, p)}<br>tier: {TIER_LABELS[int(r['tier'])]}<br>trust: {r['trust']:.2f}"
                f"<br>tension: {r['tension']:.2f}<br>click to inspect" for p, r in rel.iterrows()]
            trace.marker.line = {"color": ["#000" if c == selected else "white" for c in states],
                                 "width": [3 if c == selected else 1.5 for c in states]}
    for note in fig.layout.annotations:
        if note.name in trusts:
            note.text = TIER_LABELS[int(rel.at[note.name, "tier"])]


# ------------------------------------------------------------------------------------------ the panels
PANELS = ("hedging", "tension", "tiers", "arms")
TITLES = {"hedging": "Hedging index (−1 China … +1 US)", "tension": "Tension with China",
          "tiers": "Partnership tiers", "arms": "Arms supply (shares)"}
PANEL_HEIGHT = 270  # px per panel
PANEL_GAP = 0.15  # space between panels, a fraction of the figure's height: a title and a legend's line
LEGEND_LINE = 20  # px: the panel's legend sits in this line above the plot, its title above that
HOVER_CHARS = 46  # characters per line of a hover text: fits the figure's width
LIVE = "live:"  # ``meta`` prefix of a trace that follows this run's column (``live:hedging_index``)


def _months(dates: pd.Series) -> list[str]:
    """Months (``"2013-01"``) as Plotly reads dates; plain strings travel to the browser as they are."""
    return [str(d) for d in dates]


def _lines(panel: str, names: Mapping[str, str], partners: list[str]) -> list[tuple[str, str, str, str]]:
    """(column, label, colour, dash) of the lines in a panel."""
    if panel == "hedging":
        return [("hedging_index", "hedging index", "#000000", "solid")]
    if panel == "tension":
        return [("tension_china", "tension with China", color("china"), "solid"),
                ("threat_china", "threat perception", "#e67e22", "dash")]
    if panel == "tiers":
        # the short names of the paper figures ("US"), so that the panel's legend fits one line
        return [(f"tier_{p}", COUNTRY_NAMES.get(p) or names.get(p, p), color(p, i), "solid")
                for i, p in enumerate(partners)]
    if panel == "arms":
        return [("russia_arms_share", "Russia's share", color("russia"), "solid"),
                ("domestic_arms_share", "home production", color("vietnam"), "solid")]
    raise ValueError(f"unknown panel {panel!r}; valid: {PANELS}")


def monthly_figure(scenario: Scenario, names: Mapping[str, str], partners: list[str],
                   panels: tuple[str, ...] = PANELS, baseline: pd.DataFrame | None = None) -> go.Figure:
    """Stacked panels over the scenario's whole span, built once per run: this run's lines (empty until
    :func:`update_monthly` fills them), the ``baseline`` run (the one before Reset) faint and dotted,
    crises shaded and incidents marked; hovering shows every value of a month."""
    unknown = set(panels) - set(PANELS)
    if unknown:
        raise ValueError(f"unknown panel(s) {sorted(unknown)}; valid: {PANELS}")
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=PANEL_GAP,
                        subplot_titles=[TITLES[p] for p in panels])
    for row, panel in enumerate(panels, start=1):
        lines = _lines(panel, names, partners)
        for column, label, colour, dash in lines:
            if baseline is not None and len(baseline):
                fig.add_trace(go.Scatter(x=_months(baseline["date"]), y=baseline[column].to_numpy(),
                                         mode="lines",
                                         name=f"{label}, before Reset", showlegend=False, meta="baseline",
                                         opacity=BASELINE_OPACITY, hovertemplate="%{y:.2f}",
                                         line={"color": colour, "dash": "dot", "width": 1.5}), row=row, col=1)
            shape = "hv" if panel == "tiers" else "linear"
            fig.add_trace(go.Scatter(x=[], y=[], mode="lines", name=label, meta=LIVE + column,
                                     line={"color": colour, "dash": dash, "width": 2, "shape": shape},
                                     legend=f"legend{row}" if row > 1 else "legend",
                                     showlegend=len(lines) > 1, hovertemplate="%{y:.2f}"), row=row, col=1)
        _frame(fig, row, panel)
    start = pd.Timestamp(year=scenario.start.year, month=scenario.start.month, day=1)
    end = start + pd.DateOffset(months=scenario.months)
    fig.update_xaxes(range=[start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")], showgrid=True,
                     gridcolor="#eee")
    fig.update_yaxes(showgrid=True, gridcolor="#eee", zeroline=False)
    _layout(fig, PANEL_HEIGHT * len(panels))
    fig.update_layout(hovermode="x unified", margin={"t": 30 + LEGEND_LINE})
    _legends(fig, len(panels))
    # each panel's title sits above its legend's line, so neither covers the other
    fig.update_annotations(font={"size": 13}, x=0, xanchor="left", yshift=LEGEND_LINE)
    return fig


def _legends(fig: go.Figure, rows: int) -> None:
    """One legend per panel, in a line between the panel's title and its plot, clear of the data."""
    for row in range(1, rows + 1):
        domain = fig.get_subplot(row, 1).yaxis.domain
        fig.update_layout({("legend" if row == 1 else f"legend{row}"): {
            "orientation": "h", "x": 0.0, "xanchor": "left", "y": domain[1],
            "yanchor": "bottom", "itemwidth": 30, "font": {"size": 11}, "bgcolor": "rgba(255,255,255,0)"}})


def _frame(fig: go.Figure, row: int, panel: str) -> None:
    """Axis ranges and fixed marks of a panel, and the (empty) crisis and incident traces."""
    if panel == "hedging":
        fig.add_hrect(y0=-EQUIDISTANCE_BAND, y1=EQUIDISTANCE_BAND, fillcolor="#bbbbbb", opacity=0.25,
                      line_width=0, row=row, col=1)
        fig.update_yaxes(range=[-1, 1], row=row, col=1)
    elif panel == "tension":
        fig.update_yaxes(range=[0, 1.05], row=row, col=1)
        fig.add_trace(go.Bar(x=[], y=[], marker_color="#f5b041", opacity=0.3, meta="crisis",
                             width=28 * 24 * 3600 * 1000, name="crisis open",
                             hovertemplate="%{hovertext}<extra></extra>", showlegend=False), row=row, col=1)
        fig.add_trace(go.Scatter(x=[], y=[], mode="markers", name="incident", meta="incidents",
                                 marker={"symbol": "triangle-down", "size": 9, "color": "#7f8c8d"},
                                 showlegend=False, hovertemplate="%{text}<extra></extra>"), row=row, col=1)
    elif panel == "tiers":
        fig.update_yaxes(range=[-0.3, 4.4], tickvals=list(range(5)), ticktext=TIER_LABELS, row=row, col=1)
    else:
        fig.update_yaxes(range=[0, 1.05], row=row, col=1)


def update_monthly(fig: go.Figure, series: pd.DataFrame, events: pd.DataFrame,
                   crises: pd.DataFrame | None = None) -> None:
    """Point the live lines of :func:`monthly_figure` (a ``Figure`` or a ``FigureWidget``) at the
    months run so far; shade the crisis months and mark the incidents. ``crises`` (rows of
    ``HedgingModel.crises()`` with a ``text`` column, the crisis in words) adds who began and who
    ended each crisis to the hover of its months, and marks the incidents China chose itself."""
    x = _months(series["date"])
    crisis = series["crisis"].to_numpy() > 0
    crisis_months = [m for m, c in zip(x, crisis, strict=True) if c]
    incidents = events[events["kind"] == "maritime_incident"]
    labels = [f"incident: {label}" for label in incidents["label"].fillna("")]
    marks = list(zip(_months(incidents["date"]), labels, strict=True))
    spans: list[tuple[str, str, str]] = []  # (start, end or "", text) of each crisis
    if crises is not None and len(crises):
        spans = list(zip(crises["start"], crises["end"], crises["text"], strict=True))
        marks += [(start, f"incident: {text}") for start, by, text in
                  zip(crises["start"], crises["started_by"], crises["text"], strict=True) if by == "china"]
    for trace in fig.data:
        meta = trace.meta or ""
        if meta.startswith(LIVE):
            trace.x, trace.y = x, series[meta[len(LIVE):]].to_numpy()
        elif meta == "crisis":
            trace.x, trace.y = crisis_months, [1.05] * len(crisis_months)
            trace.hovertext = [_wrap(_crisis_of(m, spans)) for m in crisis_months]
        elif meta == "incidents":
            trace.x, trace.y = [m for m, _ in marks], [1.0] * len(marks)
            trace.text = [_wrap(text) for _, text in marks]


def _wrap(text: str) -> str:
    """Hover text in lines that fit the figure's width (Plotly breaks lines only at ``<br>``)."""
    return "<br>".join(textwrap.wrap(text, HOVER_CHARS))


def _crisis_of(month: str, spans: list[tuple[str, str, str]]) -> str:
    """The words of the crisis open in ``month`` ("YYYY-MM"), or plain "crisis open"."""
    for start, end, text in spans:
        if start <= month and (not end or month <= end):
            return f"crisis {text}"
    return "crisis open"
