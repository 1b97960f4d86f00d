"""Figures from tables only (never from live model objects), in one style for papers and screens.

One style for every figure of the project (run, sweep and comparison figures): words and colours
from :mod:`sim.labels`, legends outside the data, dates on the x axis, each event marked in a strip
above the panels and keyed underneath by number with its own text, and TrueType (Type 42) fonts in
PDF and SVG, which publishers' checks accept (Type 3 fonts are refused by several).
Figures are written in the formats and resolution of a :class:`FigureOptions`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from sim import labels  # noqa: E402
from sim.metrics import EQUIDISTANCE_BAND  # noqa: E402
from sim.outputs import FIGURE_FORMATS, FIGURE_STEMS  # noqa: E402
from sim.scenario.schema import EventKind  # noqa: E402

STYLE = {
    "figure.dpi": 110, "savefig.dpi": 150, "font.size": 9, "axes.titlesize": 10,
    "axes.titleweight": "bold", "axes.titlelocation": "left",
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
    "legend.frameon": False, "legend.fontsize": 8,
    "pdf.fonttype": 42, "ps.fonttype": 42,  # TrueType in PDF/PS: no Type 3 fonts
    "svg.fonttype": "none",  # SVG keeps text as text, in the font named
    "axes.prop_cycle": matplotlib.cycler(color=list(labels.SCENARIO_COLORS)),
}
FORMATS = FIGURE_FORMATS
TIER_LABELS = labels.TIER_NAMES
BAND_COLOR = "#BBBBBB"
CRISIS_COLOR = labels.OKABE_ITO["yellow"]


@dataclass(frozen=True)
class FigureOptions:
    """Which files each figure is written as, and at what resolution (raster formats)."""

    formats: tuple[str, ...] = ("png", "pdf")
    dpi: int = 150

    @classmethod
    def parse(cls, formats: str | None = None, dpi: int | None = None) -> FigureOptions:
        """From ``--figure-format png,pdf,svg`` and ``--dpi``; ValueError naming a bad format."""
        chosen = cls.formats if formats is None else tuple(
            dict.fromkeys(f.strip().lower().lstrip(".") for f in formats.split(",") if f.strip()))
        bad = [f for f in chosen if f not in FORMATS]
        if bad or not chosen:
            raise ValueError(f"figure format {', '.join(bad) or '(none)'}: choose from {', '.join(FORMATS)}")
        return cls(chosen, cls.dpi if dpi is None else dpi)


def save(fig: plt.Figure, out_dir: Path, stem: str, options: FigureOptions | None = None) -> list[Path]:
    """Write ``fig`` as ``out_dir/stem.<format>`` for each format of ``options``, then close it."""
    options = options or FigureOptions()
    assert stem in FIGURE_STEMS, f"declare figure {stem!r} in sim.outputs.FIGURE_STEMS (output safety)"
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.{fmt}" for fmt in options.formats]
    with plt.rc_context(STYLE):  # the font types are read at save time
        for p in paths:
            fig.savefig(p, bbox_inches="tight", dpi=options.dpi)
    plt.close(fig)
    return paths


def color(name: str, i: int = 0) -> str:
    """The colour of a country (see :mod:`sim.labels`)."""
    return labels.country_color(name, i)


def dates(values: Iterable[str] | pd.Series) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(pd.Series(list(values), dtype=str), format="%Y-%m"))


def date_axis(ax: plt.Axes, label: bool = True) -> None:
    """Year ticks (months minor) and an x label that says so."""
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    if label:
        ax.set_xlabel("date (year)")


def legend_outside(ax: plt.Axes, handles: Sequence | None = None, labels_: Sequence[str] | None = None,
                   **kw) -> None:
    """A legend to the right of the panel, never on the data."""
    if handles is None:
        handles, labels_ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels_, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, **kw)


def limits(ax: plt.Axes, column: str, values: Iterable[float]) -> None:
    """Y limits that show the data: its range padded, inside the column's natural range; integer
    ticks for counts and tiers; the hedging index always shows well beyond the equidistance band."""
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
    if v.size == 0:
        return
    lo, hi = float(v.min()), float(v.max())
    natural = labels.column_range(column)
    span = hi - lo
    pad = max(0.08 * span, 0.05 * ((natural[1] - natural[0]) if natural else max(abs(hi), 1.0)))
    if column == "hedging_index":
        lo, hi = min(lo, -2 * EQUIDISTANCE_BAND), max(hi, 2 * EQUIDISTANCE_BAND)
    lab = _label(column)
    if lab is not None and lab.integer:
        pad = 0.4
    if labels.is_tier(column):  # the whole hierarchy, so tiers read the same on every figure
        lo, hi = min(lo, 0.0), max(hi, 3.0)
    low, high = lo - pad, hi + pad
    if natural is not None:
        low, high = max(low, natural[0] - pad), min(high, natural[1] + pad)
    ax.set_ylim(low, high)
    if lab is not None and lab.integer:
        ticks = range(int(np.floor(lo)), int(np.ceil(hi)) + 1)
        step = max(1, len(ticks) // 6)
        if labels.is_tier(column):
            names = [TIER_LABELS[t] if 0 <= t < len(TIER_LABELS) else str(t) for t in ticks]
            ax.set_yticks(list(ticks), names)
        else:
            ax.set_yticks(list(ticks)[::step])


def _label(column: str) -> labels.Label | None:
    try:
        return labels.column(column)
    except KeyError:
        return None


def equidistance_band(ax: plt.Axes) -> Patch:
    """The equidistance band, hatched and edged so a data band drawn over it stays readable."""
    ax.axhspan(-EQUIDISTANCE_BAND, EQUIDISTANCE_BAND, facecolor="none", edgecolor=BAND_COLOR,
               hatch="////", lw=0, zorder=0)
    for y in (-EQUIDISTANCE_BAND, EQUIDISTANCE_BAND):
        ax.axhline(y, color=BAND_COLOR, lw=0.8, ls="--", zorder=0)
    return Patch(facecolor="none", edgecolor=BAND_COLOR, hatch="////",
                 label=f"equidistance (|index| < {EQUIDISTANCE_BAND:g})")


# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class Mark:
    """One event to mark: its month, kind, words, and the colour of the scenario it belongs to
    (``None``: the kind's colour)."""

    date: str
    kind: str
    text: str
    color: str | None = None
    random: bool = False


def marks_from(events: pd.DataFrame | None, color: str | None = None) -> list[Mark]:
    """The events table of a run (one replicate) as marks: dated events once each, random ones each;
    in ``color`` (a scenario's), else in the colour of the country the event concerns."""
    if events is None or events.empty:
        return []
    out, seen = [], set()
    for e in events.itertuples(index=False):
        label = str(getattr(e, "label", "") or "")
        random_ = label.startswith("random ")
        key = (e.date, e.kind, label)
        if key in seen and not random_:
            continue
        seen.add(key)
        actor = str(getattr(e, "actor", "") or "")
        own = labels.COUNTRY_COLORS.get(actor)  # an event is drawn in its actor's colour
        out.append(Mark(str(e.date), str(e.kind), labels.event_text("" if random_ else label, e.kind),
                        color or own, random_))
    return out


def _rows(times: Sequence[float], gap: float) -> list[int]:
    """Greedy stacking: each mark takes the lowest row whose last mark is at least ``gap`` earlier."""
    last: list[float] = []
    rows = []
    for t in times:
        for r, prev in enumerate(last):
            if t - prev >= gap:
                last[r] = t
                rows.append(r)
                break
        else:
            last.append(t)
            rows.append(len(last) - 1)
    return rows


def _gap(span: tuple[pd.Timestamp, pd.Timestamp]) -> float:
    """Days between two marks in one row of the strip: a sixteenth of the span, at least a month."""
    return max((span[1] - span[0]).days / 16.0, 31.0)


def draw_events(strip: plt.Axes, panels: Sequence[plt.Axes], marks: list[Mark],
                span: tuple[pd.Timestamp, pd.Timestamp]) -> tuple[list, list[str]]:
    """Mark every event in ``strip`` (numbered, stacked so markers never overlap) and as faint
    lines through ``panels``; returns the key (legend handles and texts, one per numbered event,
    one per kind of random event)."""
    strip.set_xlim(*span)
    strip.set_yticks([])
    strip.grid(False)
    for side in ("left", "right", "top"):
        strip.spines[side].set_visible(False)
    strip.tick_params(axis="x", labelbottom=False)
    marks = sorted(marks, key=lambda m: (m.date, m.random))
    when = dates([m.date for m in marks]) if marks else pd.DatetimeIndex([])
    rows = _rows([t.toordinal() for t in when], _gap(span))
    handles, texts, randoms = [], [], {}
    number = 0
    for m, t, row in zip(marks, when, rows, strict=True):
        style = labels.EVENTS[EventKind(m.kind)]
        colour = m.color or style.color
        for ax in panels:
            ax.axvline(t, color=colour, lw=0.6, ls=":", alpha=0.35 if m.random else 0.7, zorder=1)
        if m.random:
            strip.plot(t, row, marker=style.marker, ms=4, color=colour, alpha=0.45, ls="none",
                       markeredgewidth=0)
            randoms[(m.kind, colour)] = randoms.get((m.kind, colour), 0) + 1
            continue
        number += 1
        strip.plot(t, row, marker=style.marker, ms=6, color=colour, ls="none", markeredgewidth=0)
        strip.annotate(str(number), (t, row), xytext=(4, 0), textcoords="offset points", fontsize=7,
                       va="center", ha="left")
        handles.append(Line2D([], [], marker=style.marker, color=colour, ls="none", ms=6))
        texts.append(f"{number}  {m.date}  {m.text}")
    for (kind, colour), n in randoms.items():
        style = labels.EVENTS[EventKind(kind)]
        handles.append(Line2D([], [], marker=style.marker, color=colour, alpha=0.45, ls="none", ms=4))
        texts.append(f"random {style.text}: {n} (unnumbered)")
    strip.set_ylim(-0.7, max(rows, default=0) + 0.7)
    strip.set_ylabel("events", rotation=0, ha="right", va="center")
    return handles, texts


def event_key(fig: plt.Figure, handles: list, texts: list[str], ncol: int = 2) -> None:
    """The numbered list of events under the figure."""
    if handles:
        fig.legend(handles, texts, loc="outside lower left", ncol=ncol if len(texts) > 4 else 1,
                   fontsize=7, handletextpad=0.3, columnspacing=1.2, title="Events",
                   title_fontproperties={"weight": "bold", "size": 8}, alignment="left")


def _strip_height(marks: list[Mark], span: tuple[pd.Timestamp, pd.Timestamp]) -> float:
    when = dates([m.date for m in sorted(marks, key=lambda m: (m.date, m.random))])
    rows = _rows([t.toordinal() for t in when], _gap(span))
    return 0.35 + 0.16 * (max(rows, default=0) + 1)


def panels_with_strip(n: int, marks: list[Mark], span: tuple[pd.Timestamp, pd.Timestamp],
                      width: float = 9.0, panel_height: float = 2.1, ncols: int = 1
                      ) -> tuple[plt.Figure, list[plt.Axes], np.ndarray]:
    """A figure of ``n`` rows x ``ncols`` panels sharing the dates, an event strip above each column."""
    strip_h = _strip_height(marks, span)
    fig = plt.figure(figsize=(width, strip_h + panel_height * n + 0.5 + 0.14 * len(marks) / 2),
                     layout="constrained")
    grid = fig.add_gridspec(n + 1, ncols, height_ratios=[strip_h] + [panel_height] * n)
    strips = [fig.add_subplot(grid[0, j]) for j in range(ncols)]
    axes = np.empty((n, ncols), dtype=object)
    for i in range(n):
        for j in range(ncols):
            axes[i, j] = fig.add_subplot(grid[i + 1, j], sharex=strips[j])
            if i < n - 1:
                axes[i, j].tick_params(axis="x", labelbottom=False)
    for j in range(ncols):
        date_axis(axes[-1, j])
    return fig, strips, axes


def suptitle(fig: plt.Figure, title: str, subtitle: str = "", width: int = 95) -> None:
    """The figure's title (wrapped) and a smaller line of what is shown, at the left."""
    text = "\n".join(textwrap.wrap(title, width))
    fig.suptitle(text + (f"\n{subtitle}" if subtitle else ""), fontsize=11, x=0.01, ha="left")


# ---------------------------------------------------------------- observed data (the replay)

OBSERVED_FILE = Path(__file__).resolve().parent / "bundled" / "observed" / "observed_2013_2024.csv"


@dataclass(frozen=True)
class Observed:
    """Observed facts to overlay: partnership upgrades (date, country, tier) and crises (start, end)."""

    upgrades: pd.DataFrame  # date (Timestamp), country, tier
    crises: pd.DataFrame  # start, end (Timestamps), text


def _pick(df: pd.DataFrame, *names: str) -> str | None:
    return next((n for n in names if n in df.columns), None)


def read_observed(path: Path | None = None) -> Observed | None:
    """The observed table (``sim/bundled/observed/observed_2013_2024.csv``), or None if absent.

    The hook reads any CSV with ``#`` comment lines on top and these columns (alternative names in
    brackets): ``kind`` [category, type] whose value names an upgrade (``upgrade``,
    ``partnership_upgrade``, ...) or a crisis (``crisis``, ``maritime_crisis``, ...); ``date``
    [start, start_date]; ``end`` [end_date] for crises; ``country`` [partner, actor] and ``tier``
    [value] for upgrades; ``label`` [description, text]. Rows of other kinds are ignored.
    """
    path = OBSERVED_FILE if path is None else Path(path)
    if not path.is_file():
        return None
    df = pd.read_csv(path, comment="#", dtype=str).fillna("")
    kind, start = _pick(df, "kind", "category", "type"), _pick(df, "date", "start", "start_date")
    if kind is None or start is None:
        return None
    end, who = _pick(df, "end", "end_date"), _pick(df, "country", "partner", "actor")
    tier, text = _pick(df, "tier", "value"), _pick(df, "label", "description", "text")
    when = pd.to_datetime(df[start].str.slice(0, 7), format="%Y-%m", errors="coerce")
    k = df[kind].str.lower()
    up = k.str.contains("upgrade") & when.notna()
    upgrades = pd.DataFrame({"date": when[up], "country": df.loc[up, who] if who else "",
                             "tier": pd.to_numeric(df.loc[up, tier], errors="coerce") if tier else np.nan})
    cr = k.str.contains("crisis|incident") & when.notna()
    stop = (pd.to_datetime(df.loc[cr, end].str.slice(0, 7), format="%Y-%m", errors="coerce")
            if end else when[cr])
    crises = pd.DataFrame({"start": when[cr], "end": stop.fillna(when[cr]),
                           "text": df.loc[cr, text] if text else ""})
    return Observed(upgrades.reset_index(drop=True), crises.reset_index(drop=True))


def _overlay_crises(ax: plt.Axes, observed: Observed) -> Patch | None:
    if observed.crises.empty:
        return None
    for c in observed.crises.itertuples():
        ax.axvspan(c.start, c.end + pd.offsets.MonthEnd(0), ymin=0.94, ymax=1.0, color="black",
                   alpha=0.8, lw=0)
    return Patch(color="black", alpha=0.8, label="observed crisis (top edge)")


def _overlay_upgrades(ax: plt.Axes, observed: Observed, tiers: list[str]) -> Line2D | None:
    ups = observed.upgrades[observed.upgrades["country"].isin([c.removeprefix("tier_") for c in tiers])]
    if ups.empty:
        return None
    for u in ups.itertuples():
        y = u.tier if np.isfinite(u.tier) else ax.get_ylim()[1] - 0.2
        ax.plot(u.date, y, marker="D", ms=6, mfc="none", mec=color(u.country), mew=1.4, ls="none",
                zorder=5)
    return Line2D([], [], marker="D", mfc="none", mec="black", ls="none", label="observed upgrade")


# ---------------------------------------------------------------- run figures


def overview(series: pd.DataFrame, events: pd.DataFrame | None = None, title: str = "",
             subtitle: str = "", observed: Observed | None = None) -> plt.Figure:
    """Four panels for one run: hedging index, tension and crises, partnership tiers, arms supply;
    every event above them, keyed by number underneath; observed facts overlaid when given."""
    t = dates(series["date"])
    span = (t.min() - pd.Timedelta(days=20), t.max() + pd.Timedelta(days=20))
    marks = marks_from(events)
    with plt.rc_context(STYLE):
        fig, strips, axes = panels_with_strip(4, marks, span)
        axes = axes[:, 0]
        handles, texts = draw_events(strips[0], axes, marks, span)

        ax = axes[0]
        band = equidistance_band(ax)
        ax.plot(t, series["hedging_index"], color="black", lw=1.5, label="hedging index")
        limits(ax, "hedging_index", series["hedging_index"])
        ax.set_ylabel("alignment\n-1 China · +1 US")
        ax.set_title("Hedging between China and the United States")
        legend_outside(ax, [*ax.get_legend_handles_labels()[0], band],
                       [*ax.get_legend_handles_labels()[1], band.get_label()])

        ax = axes[1]
        ax.fill_between(t, 0, 1, where=series["crisis"] > 0, transform=ax.get_xaxis_transform(),
                                 step="mid", color=CRISIS_COLOR, alpha=0.35, lw=0, label="crisis open")
        ax.plot(t, series["tension_china"], color=color("china"), lw=1.5, label="tension with China")
        ax.plot(t, series["threat_china"], color=color("china"), lw=1.1, ls="--",
                label="threat perception of China")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("level (0-1)")
        ax2 = ax.twinx()
        ax2.step(t, series["escalation"], where="mid", color="#555555", lw=0.9, alpha=0.8)
        ax2.set_ylim(0, 5.5)
        ax2.set_yticks(range(6))
        ax2.set_ylabel("crisis rung (0-5)")
        ax2.grid(False)
        ax2.spines["right"].set_visible(True)
        ax.set_title("Tension with China, crises and the crisis ladder")
        h, lab = ax.get_legend_handles_labels()
        h, lab = [*h, Line2D([], [], color="#555555", lw=0.9)], [*lab, "crisis rung (right axis)"]
        extra = _overlay_crises(ax, observed) if observed else None
        if extra is not None:
            h, lab = [*h, extra], [*lab, extra.get_label()]
        legend_outside(ax, h, lab)
        ax.get_legend().set_bbox_to_anchor((1.09, 1.0))  # past the twin axis's tick labels

        ax = axes[2]
        tiers = [c for c in series.columns if c.startswith("tier_")]
        for i, c in enumerate(tiers):
            name = c.removeprefix("tier_")
            ax.step(t, series[c] + 0.06 * (i - (len(tiers) - 1) / 2), where="post", color=color(name, i),
                    lw=1.6, label=labels.country_name(name))
        limits(ax, "tier_any", series[tiers].to_numpy().ravel())
        ax.set_title("Partnership tiers in Vietnam's hierarchy (lines offset slightly to stay visible)")
        extra = _overlay_upgrades(ax, observed, tiers) if observed else None
        h, lab = ax.get_legend_handles_labels()
        if extra is not None:
            h, lab = [*h, extra], [*lab, extra.get_label()]
        legend_outside(ax, h, lab)

        ax = axes[3]
        ax.plot(t, series["russia_arms_share"], color=color("russia"), lw=1.5, label="Russia's arms share")
        ax.plot(t, series["domestic_arms_share"], color=color("vietnam"), lw=1.2, label="home production")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("share of purchases")
        ax.set_title("Arms supply")
        legend_outside(ax)
        suptitle(fig, title, subtitle)
        event_key(fig, handles, texts)
    return fig


ENSEMBLE_SERIES = ("hedging_index", "tension_china", "tier_united_states", "russia_arms_share")


def quantiles(series: pd.DataFrame, col: str) -> pd.DataFrame:
    """5%, median and 95% of ``col`` across replicates, one row per month (index: date)."""
    return series.groupby("date")[col].quantile([0.05, 0.5, 0.95]).unstack()


def ensemble(series: pd.DataFrame, title: str = "", columns: Sequence[str] = ENSEMBLE_SERIES,
             events: pd.DataFrame | None = None, subtitle: str = "") -> plt.Figure:
    """Median and 5-95% band across replicates for a few key series, with the dated events."""
    t_all = dates(series["date"].unique())
    span = (t_all.min() - pd.Timedelta(days=20), t_all.max() + pd.Timedelta(days=20))
    marks = [m for m in marks_from(events) if not m.random]
    n = series["replicate"].nunique() if "replicate" in series else 1
    with plt.rc_context(STYLE):
        fig, strips, axes = panels_with_strip(len(columns), marks, span, panel_height=1.9)
        handles, texts = draw_events(strips[0], axes[:, 0], marks, span)
        for ax, col in zip(axes[:, 0], columns, strict=True):
            q = quantiles(series, col)
            t = dates(q.index)
            extra = []
            if col == "hedging_index":
                extra.append(equidistance_band(ax))
            colour = color(col.removeprefix("tier_")) if labels.is_tier(col) else "black"
            ax.fill_between(t, q[0.05], q[0.95], color=colour, alpha=0.2, lw=0, label="5-95% of runs")
            ax.plot(t, q[0.5], color=colour, lw=1.5, label="median")
            limits(ax, col, np.r_[q[0.05].to_numpy(), q[0.95].to_numpy()])
            ax.set_title(labels.column(col).text[:1].upper() + labels.column(col).text[1:])
            ax.set_ylabel("" if labels.is_tier(col) else labels.column(col).unit)
            h, lab = ax.get_legend_handles_labels()
            legend_outside(ax, [*h, *extra], [*lab, *(e.get_label() for e in extra)])
        suptitle(fig, title, subtitle or f"median and 5-95% band over {n} replicates")
        event_key(fig, handles, texts)
    return fig


def write_run_figures(series: pd.DataFrame, events: pd.DataFrame, out_dir: Path, title: str = "",
                      subtitle: str = "", options: FigureOptions | None = None,
                      observed: Observed | None = None) -> list[Path]:
    """The figures of ``hedgesim run``: the overview (first replicate) and, if many, the ensemble.

    ``observed`` facts are overlaid on the overview when their dates fall inside the run.
    """
    observed = observed if observed is not None else read_observed()
    if observed is not None and not _overlaps(observed, series):
        observed = None
    if "replicate" in series:
        first = series[series["replicate"] == 0]
        ev = events[events["replicate"] == 0] if "replicate" in events else events
        paths = save(overview(first, ev, title, _join(subtitle, "replicate 0"), observed), out_dir,
                     "overview", options)
        paths += save(ensemble(series, title, events=ev), out_dir, "ensemble", options)
        return paths
    return save(overview(series, events, title, subtitle, observed), out_dir, "overview", options)


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _overlaps(observed: Observed, series: pd.DataFrame) -> bool:
    """Whether most observed dates fall inside the run (the replay, not a 2025-2030 what-if)."""
    t = dates(series["date"].iloc[[0, -1]])
    seen = pd.concat([observed.upgrades["date"], observed.crises["start"]])
    return bool(len(seen)) and bool(((seen >= t[0]) & (seen <= t[1])).mean() >= 0.5)


def titles(scenario) -> dict[str, str]:
    """``title`` and ``subtitle`` of a scenario's figures: its description, then its name and dates."""
    return {"title": labels.title(scenario.name, scenario.description),
            "subtitle": f"scenario {scenario.name}, {scenario.start} to {scenario.end}"}


# ---------------------------------------------------------------- what-if against baseline


def comparison_marks(events: pd.DataFrame, names: Sequence[str], span: tuple[str, str]) -> list[Mark]:
    """Dated events of the scenarios, each once: in grey when several scenarios share it (the key
    names them unless all do), else in the colour of the one scenario that has it."""
    dated = events[~events["label"].fillna("").str.startswith("random ")]
    dated = dated[(dated["date"] >= span[0]) & (dated["date"] <= span[1])]
    keyed = dated.drop_duplicates(["scenario", "date", "kind", "label"])
    owners = keyed.groupby(["date", "kind", "label"], sort=True)["scenario"].agg(list)
    marks = []
    for (date, kind, label), who in owners.items():
        text, who = labels.event_text(label, kind), list(dict.fromkeys(who))
        if len(who) == len(names):
            marks.append(Mark(date, kind, text, labels.NEUTRAL))
        elif len(who) == 1:
            colour = labels.SCENARIO_COLORS[list(names).index(who[0]) % len(labels.SCENARIO_COLORS)]
            marks.append(Mark(date, kind, f"{text} [{who[0]} only]", colour))
        else:
            marks.append(Mark(date, kind, f"{text} [{', '.join(who)}]", labels.NEUTRAL))
    return marks


def comparison(series: pd.DataFrame, over_time: pd.DataFrame, events: pd.DataFrame, names: Sequence[str],
               columns: Sequence[str], title: str = "", subtitle: str = "") -> plt.Figure:
    """Left: each scenario's median and 5-95% band, overlaid. Right: the mean paired difference
    from the baseline (same seeds) with its 95% bootstrap interval and the 5-95% of single runs'
    differences. Events of every scenario in the strip above. A column constant in every run of
    every scenario has nothing to compare: it is named in the subtitle instead of drawn flat."""
    constant = [c for c in columns if series[c].nunique(dropna=False) <= 1]
    if constant and len(constant) < len(columns):
        columns = [c for c in columns if c not in constant]
        note = "not drawn, the same in every run: " + ", ".join(labels.column_text(c) for c in constant)
        subtitle = f"{subtitle}; {note}" if subtitle else note
    t_all = dates(sorted(series["date"].unique()))
    span = (t_all.min() - pd.Timedelta(days=20), t_all.max() + pd.Timedelta(days=20))
    marks = comparison_marks(events, names, (series["date"].min(), series["date"].max()))
    colours = {n: labels.SCENARIO_COLORS[i % len(labels.SCENARIO_COLORS)] for i, n in enumerate(names)}
    with plt.rc_context(STYLE):
        fig, strips, axes = panels_with_strip(len(columns), marks, span, width=12, panel_height=2.0, ncols=2)
        handles, texts = draw_events(strips[0], axes[:, 0], marks, span)
        draw_events(strips[1], axes[:, 1], marks, span)
        for row, col in enumerate(columns):
            lab = labels.column(col)
            ax = axes[row, 0]
            if col == "hedging_index":
                equidistance_band(ax)
            shown = []
            for n in names:
                q = quantiles(series[series["scenario"] == n], col)
                t = dates(q.index)
                ax.fill_between(t, q[0.05], q[0.95], color=colours[n], alpha=0.15, lw=0)
                ax.plot(t, q[0.5], color=colours[n], lw=1.5 if n == names[0] else 1.3,
                        ls="-" if n == names[0] else "--")
                shown += [*q[0.05], *q[0.95]]
            limits(ax, col, shown)
            ax.set_title(f"{lab.text[:1].upper() + lab.text[1:]}: median and 5-95% of runs")
            ax.set_ylabel("" if labels.is_tier(col) else lab.unit)
            ax = axes[row, 1]
            ax.axhline(0, color="black", lw=0.8)
            for n in names[1:]:
                d = over_time[(over_time["scenario"] == n) & (over_time["column"] == col)]
                t = dates(d["date"])
                ax.fill_between(t, d["ci_low"], d["ci_high"], color=colours[n], alpha=0.35, lw=0)
                ax.plot(t, d["difference"], color=colours[n], lw=1.4)
                ax.plot(t, d["p5"], color=colours[n], lw=0.6, ls=":")
                ax.plot(t, d["p95"], color=colours[n], lw=0.6, ls=":")
            ax.set_title("Difference from the baseline (same seeds)")
            ax.set_ylabel("what-if − baseline")
        left = [Line2D([], [], color=colours[n], lw=1.5, ls="-" if i == 0 else "--")
                for i, n in enumerate(names)]
        left_text = [f"{n} (baseline)" if i == 0 else n for i, n in enumerate(names)]
        legend_outside(axes[0, 0], [*left, Patch(color="#999999", alpha=0.3)],
                       [*left_text, "5-95% of runs"])
        legend_outside(axes[0, 1], [Line2D([], [], color="#333333", lw=1.4),
                                    Patch(color="#333333", alpha=0.35),
                                    Line2D([], [], color="#333333", lw=0.6, ls=":")],
                       ["mean paired difference", "95% bootstrap interval", "5-95% of single runs"])
        suptitle(fig, title, subtitle)
        event_key(fig, handles, texts)
    return fig
