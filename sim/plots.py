"""Figures from tables only (never from live model objects), in one consistent style.

Every figure is saved as PNG (for screens) and PDF (vector, for papers).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sim.metrics import EQUIDISTANCE_BAND  # noqa: E402

STYLE = {
    "figure.dpi": 110, "savefig.dpi": 150, "font.size": 9, "axes.titlesize": 10,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
    "legend.frameon": False, "legend.fontsize": 8,
}
COLORS = {"china": "#c0392b", "united_states": "#1f4e99", "japan": "#7d3c98", "russia": "#2e8b57",
          "vietnam": "#d4a017"}
FALLBACK = ["#555555", "#e67e22", "#16a085", "#8e44ad", "#2c3e50"]
TIER_LABELS = ["none", "comprehensive", "strategic", "comp. strategic", "community"]


def color(name: str, i: int = 0) -> str:
    return COLORS.get(name, FALLBACK[i % len(FALLBACK)])


def _time(df: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(df["date"], format="%Y-%m")


def save(fig: plt.Figure, out_dir: Path, stem: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.pdf"]
    for p in paths:
        fig.savefig(p, bbox_inches="tight")
    plt.close(fig)
    return paths


def _shade_crises(ax: plt.Axes, t: pd.Series, crisis: pd.Series) -> None:
    ax.fill_between(t, 0, 1, where=crisis > 0, transform=ax.get_xaxis_transform(), step="mid",
                    color="#f5b041", alpha=0.25, linewidth=0, label="crisis open")


def _mark_incidents(ax: plt.Axes, events: pd.DataFrame) -> None:
    if events is None or events.empty:
        return
    inc = events[events["kind"] == "maritime_incident"].drop_duplicates("date")
    for i, (_, e) in enumerate(inc.iterrows()):
        ax.axvline(pd.to_datetime(e["date"], format="%Y-%m"), color="#7f8c8d", lw=0.8, ls=":",
                   label="maritime incident" if i == 0 else None)


def overview(series: pd.DataFrame, events: pd.DataFrame | None = None, title: str = "") -> plt.Figure:
    """Four panels for one run: hedging index, tension and crises, partnership tiers, arms supply."""
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(4, 1, figsize=(8, 9.5), sharex=True)
        t = _time(series)
        ax = axes[0]
        ax.axhspan(-EQUIDISTANCE_BAND, EQUIDISTANCE_BAND, color="#bbbbbb", alpha=0.3,
                   label="equidistance band")
        ax.plot(t, series["hedging_index"], color="black", lw=1.5, label="hedging index")
        ax.set_ylim(-1, 1)
        ax.set_ylabel("alignment\n(-1 China, +1 US)")
        ax.set_title("Hedging between China and the United States")
        ax.legend(loc="upper left")

        ax = axes[1]
        _shade_crises(ax, t, series["crisis"])
        _mark_incidents(ax, events)
        ax.plot(t, series["tension_china"], color=color("china"), lw=1.5, label="tension with China")
        ax.plot(t, series["threat_china"], color="#e67e22", lw=1.2, ls="--", label="threat perception")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("level (0-1)")
        ax2 = ax.twinx()
        ax2.step(t, series["escalation"], where="mid", color="#6e2c00", lw=0.9, alpha=0.7)
        ax2.set_ylim(0, 5.5)
        ax2.set_ylabel("crisis rung (0-5)", color="#6e2c00")
        ax2.grid(False)
        ax.set_title("Tension with China, crises and incidents")
        ax.legend(loc="upper left", ncol=2)

        ax = axes[2]
        tiers = [c for c in series.columns if c.startswith("tier_")]
        for i, c in enumerate(tiers):
            name = c.removeprefix("tier_")
            ax.step(t, series[c] + 0.07 * (i - len(tiers) / 2), where="post", color=color(name, i),
                    lw=1.6, label=name.replace("_", " "))
        ax.set_yticks(range(5), TIER_LABELS)
        ax.set_ylim(-0.3, 4.4)
        ax.set_title("Partnership tiers in Vietnam's hierarchy")
        ax.legend(loc="lower right", ncol=3)

        ax = axes[3]
        ax.plot(t, series["russia_arms_share"], color=color("russia"), lw=1.5, label="Russia's arms share")
        ax.plot(t, series["domestic_arms_share"], color=color("vietnam"), lw=1.2, label="home production")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("share of purchases")
        ax.set_title("Arms supply")
        ax.legend(loc="upper right")
        ax.set_xlabel("month")
        if title:
            fig.suptitle(title, fontsize=12, y=0.995)
        fig.tight_layout()
    return fig


ENSEMBLE_SERIES = (("hedging_index", "hedging index (-1 China, +1 US)"),
                   ("tension_china", "tension with China (0-1)"),
                   ("tier_united_states", "US tier (0-3)"),
                   ("russia_arms_share", "Russia's arms share"))


def ensemble(series: pd.DataFrame, title: str = "",
             columns: tuple[tuple[str, str], ...] = ENSEMBLE_SERIES) -> plt.Figure:
    """Median and 5-95% band across replicates for a few key series."""
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(columns), 1, figsize=(8, 2.2 * len(columns)), sharex=True)
        for ax, (col, label) in zip(axes, columns, strict=True):
            q = series.groupby("date")[col].quantile([0.05, 0.5, 0.95]).unstack()
            t = pd.to_datetime(q.index, format="%Y-%m")
            ax.fill_between(t, q[0.05], q[0.95], color="#5d6d7e", alpha=0.3, label="5-95%")
            ax.plot(t, q[0.5], color="black", lw=1.5, label="median")
            ax.set_ylabel(label)
            if col == "hedging_index":
                ax.axhspan(-EQUIDISTANCE_BAND, EQUIDISTANCE_BAND, color="#bbbbbb", alpha=0.3)
        axes[0].legend(loc="upper left", ncol=2)
        axes[-1].set_xlabel("month")
        n = series["replicate"].nunique() if "replicate" in series else 1
        fig.suptitle(f"{title} — {n} replicates" if title else f"{n} replicates", fontsize=12)
        fig.tight_layout()
    return fig


def write_run_figures(series: pd.DataFrame, events: pd.DataFrame, out_dir: Path,
                      title: str = "") -> list[Path]:
    """The figures of ``hedgesim run``: the overview (first replicate) and, if many, the ensemble."""
    paths: list[Path] = []
    if "replicate" in series:
        first = series[series["replicate"] == 0]
        ev = events[events["replicate"] == 0] if "replicate" in events else events
        paths += save(overview(first, ev, f"{title} (replicate 0)"), out_dir, "overview")
        paths += save(ensemble(series, title), out_dir, "ensemble")
    else:
        paths += save(overview(series, events, title), out_dir, "overview")
    return paths
