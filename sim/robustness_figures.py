"""The figures of a robustness run (:mod:`sim.robustness`): total-order indices per statistic with
the noise floor, and the holds-share of each test at the defaults, over the box and by quartile of
the coefficient that flips it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.plots import FigureOptions, save  # noqa: E402
from sim.sweep.design import DUMMY  # noqa: E402

INDEX_COLOUR, FLOOR_COLOUR, NOISE_COLOUR, BOX_COLOUR = "#c0392b", "#555555", "#999999", "#1f4e99"
ST_LIMIT = 1.2
EDGE = ("knife edge (coefficients)", "knife edge (replicate noise)")


def _short(path: str) -> str:
    return "dummy (noise floor)" if path == DUMMY else ".".join(path.split(".")[-2:])


def _wrap(text: str, width: int = 42) -> str:
    return "\n".join(textwrap.wrap(text, width))


def indices_figure(sobol: pd.DataFrame, labels: dict[str, str]) -> plt.Figure:
    """One panel per statistic: ST with its bootstrap interval per coefficient, the floor dashed."""
    keys = [k for k, g in sobol.groupby("outcome", sort=False) if (g["ST"].fillna(0) > 0).any()]
    cols = 4
    rows = max(1, -(-len(keys) // cols))
    height = (0.28 * sobol["parameter"].nunique() + 1.2) * rows
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, height), sharey=True, squeeze=False)
    order = list(dict.fromkeys(sobol["parameter"]))
    y = np.arange(len(order))
    for ax, key in zip(axes.flat, keys, strict=False):
        g = sobol[sobol["outcome"] == key].set_index("parameter").reindex(order)
        colours = [FLOOR_COLOUR if p == DUMMY else INDEX_COLOUR for p in order]
        ax.barh(y, g["ST"].clip(lower=0), xerr=g["ST_conf"], color=colours, alpha=0.85, capsize=2)
        floor = g["noise_floor"].dropna()
        if len(floor):
            ax.axvline(floor.iloc[0], color=FLOOR_COLOUR, ls="--", lw=1)
        ax.set_title(_wrap(labels.get(key, key)), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_xlim(0, ST_LIMIT)  # an index is a share of variance; wider intervals run off the panel
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_yticks(y, [_short(p) for p in order])
    axes[0, 0].invert_yaxis()
    fig.suptitle("Sobol' total-order index ST per validation statistic (bars: 95 % bootstrap interval; "
                 "dashed: noise floor = dummy's ST + interval; axis cut at 1.2)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))  # room for the title
    return fig


def holds_figure(verdicts: pd.DataFrame, quartiles: pd.DataFrame) -> plt.Figure:
    """Left: each test's holds-share from noise alone at the defaults and over the box (the
    knife-edge threshold dotted). Right: for each test on a knife edge, the holds-share by quartile
    of the coefficient that flips it, and of the dummy (what noise alone does)."""
    from sim.robustness import HOLDS_SHARE

    tests = verdicts[verdicts["kind"] != "reported"].reset_index(drop=True)
    edges = tests[tests["verdict"].isin(EDGE) & tests["flipped_by"].notna() & (tests["flipped_by"] != "")]
    fig = plt.figure(figsize=(15, max(5.0, 0.42 * len(tests) + 1.5)))
    grid = fig.add_gridspec(max(1, len(edges)), 2, width_ratios=[1.25, 1])
    ax = fig.add_subplot(grid[:, 0])
    y = np.arange(len(tests))
    ax.barh(y - 0.2, tests["holds_share_defaults"], 0.4, color=NOISE_COLOUR,
            label="at the defaults (noise of R runs)")
    ax.barh(y + 0.2, tests["holds_share_box"], 0.4, color=BOX_COLOUR, label="over the box (Sobol' points)")
    ax.axvline(HOLDS_SHARE, color="black", ls=":", lw=1)
    ax.set_yticks(y, [_wrap(f"{p}. {t}" + ("  [EDGE]" if v in EDGE else ""), 60)
                      for p, t, v in zip(tests["pattern"], tests["label"], tests["verdict"], strict=True)],
                  fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of points (groups of R runs) where the test holds")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=2, fontsize=7)
    for i, (_, v) in enumerate(edges.iterrows()):
        sub = fig.add_subplot(grid[i, 1])
        mine = quartiles[quartiles["statistic"] == v["statistic"]]
        for name, colour in ((v["flipped_by"], BOX_COLOUR), (DUMMY, NOISE_COLOUR)):
            q = mine[mine["parameter"] == name].sort_values("quartile")
            sub.plot(q["quartile"] + 1, q["holds_share"], marker="o", color=colour, label=_short(name))
        sub.set_ylim(-0.02, 1.02)
        sub.set_xticks([1, 2, 3, 4], ["lowest", "2nd", "3rd", "highest"], fontsize=7)
        sub.set_title(_wrap(v["label"], 60), fontsize=8)
        sub.set_ylabel("holds-share", fontsize=7)
        sub.legend(fontsize=7, loc="lower left")
    if edges.empty:
        note = fig.add_subplot(grid[0, 1])
        note.axis("off")
        note.text(0.5, 0.5, "no test on a knife edge of the coefficients", ha="center", va="center")
    fig.suptitle("Where the validation tests hold: noise alone at the defaults vs the plausible box; "
                 "right: by quartile of the coefficient that flips each knife-edge test", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / fig.get_figheight()))
    return fig


def write_figures(out: Path, verdicts: pd.DataFrame, sobol: pd.DataFrame, quartiles: pd.DataFrame,
                  options: FigureOptions | None = None) -> list[Path]:
    """Both figures into ``out/plots`` (PNG only unless ``options`` say otherwise)."""
    options = options or FigureOptions(("png",))
    labels = dict(zip(verdicts["statistic"], verdicts["label"], strict=True))
    paths = save(indices_figure(sobol, labels), out / "plots", "robustness_indices", options)
    return paths + save(holds_figure(verdicts, quartiles), out / "plots", "robustness_holds", options)
