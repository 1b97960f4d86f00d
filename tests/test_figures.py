"""Figures a journal accepts: one label table, one colour per country, every event keyed, readable
axes, TrueType fonts in every PDF, the formats asked for, observed facts over the replay, and sweep
figures that neither pool design points nor draw constant outcomes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from pypdf import PdfReader

from sim import labels, load_scenario, plots
from sim.cli import main
from sim.metrics import EQUIDISTANCE_BAND, series_for
from sim.runner import run_scenario
from sim.scenario.loader import BUNDLED_DIR
from sim.scenario.schema import Country, EventKind
from sim.sweep.analysis import analyze

FIVE = tuple(c.value for c in Country)


def font_subtypes(pdf: Path) -> set[str]:
    """Every font subtype used on any page of ``pdf`` (including inside form XObjects)."""
    found: set[str] = set()

    def visit(resources) -> None:
        if resources is None:
            return
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            found.add(str(font.get_object()["/Subtype"]))
        for xobj in (resources.get("/XObject") or {}).values():
            visit(xobj.get_object().get("/Resources"))

    for page in PdfReader(pdf).pages:
        visit(page.get("/Resources"))
    return found


def title(ax) -> str:
    """A panel's title (the style puts titles at the left)."""
    return ax.get_title(loc="left") or ax.get_title()


def assert_no_type3(paths: list[Path]) -> None:
    pdfs = [p for p in paths if p.suffix == ".pdf"]
    assert pdfs, "no PDF was written"
    for pdf in pdfs:
        subtypes = font_subtypes(pdf)
        assert subtypes, f"{pdf.name}: no fonts found (is there text?)"
        assert "/Type3" not in subtypes, f"{pdf.name} uses Type 3 fonts: {subtypes}"


@pytest.fixture(scope="module")
def replay():
    scenario = load_scenario("historical_2013_2024").model_copy(update={"months": 60})
    return scenario, run_scenario(scenario, replicates=4)


# ------------------------------------------------------------------------------------------ the tables
@pytest.mark.parametrize("countries", [FIVE, (*FIVE, "india", "south_korea")])
def test_the_label_table_covers_every_series_column(countries):
    for series in series_for(countries):
        label = labels.column(series.name)  # KeyError names the missing column
        assert label.text and label.text != series.name


def test_an_unknown_column_is_a_key_error_naming_it():
    with pytest.raises(KeyError, match="not_a_column"):
        labels.column("not_a_column")


def test_each_country_has_its_own_colour_from_the_colour_blind_safe_palette():
    colours = [labels.country_color(c) for c in FIVE]
    assert len(set(colours)) == len(FIVE)
    assert set(colours) <= set(labels.OKABE_ITO.values())
    assert labels.country_color("india") not in colours


def test_parameters_read_as_words():
    assert labels.parameter("agents.china.assertiveness") == "China: assertiveness"
    assert labels.parameter("agents.united_states.commitment") == "US: commitment"
    assert labels.parameter("rules.one_depend.threat_threshold") == "rule one-depend: threat threshold"
    assert labels.outcome("tension_china", "mean") == "mean tension with China (0-1)"


def test_every_event_kind_has_a_style_and_internal_source_tags_are_dropped():
    assert set(labels.EVENTS) == set(EventKind)
    assert labels.event_text("HD-981 oil rig [Diplomat2023]", "maritime_incident") == "HD-981 oil rig"
    assert labels.event_text("", "mekong_dams") == "Mekong dams"


def test_events_in_the_same_months_are_stacked_never_on_top_of_each_other():
    assert plots._rows([0, 10, 20, 200], gap=60) == [0, 1, 2, 0]


# ------------------------------------------------------------------------------------------ run figures
def test_overview_keys_every_dated_event_by_its_own_text_and_says_date_on_the_x_axis(replay):
    scenario, result = replay
    first = result.series[result.series["replicate"] == 0]
    events = result.events[result.events["replicate"] == 0]
    fig = plots.overview(first, events, **plots.titles(scenario))
    key = [t.get_text() for t in fig.legends[0].get_texts()]
    dated = events[~events["label"].str.startswith("random ")]
    for e in dated.itertuples():
        assert any(labels.event_text(e.label, e.kind) in k and e.date in k for k in key), e.label
    assert not any("seed 0" in k for k in key)
    bottom = next(ax for ax in fig.axes if title(ax) == "Arms supply")
    assert bottom.get_xlabel().startswith("date")
    assert scenario.description.split(";")[0] in fig._suptitle.get_text()
    plt.close(fig)


def test_country_lines_wear_their_country_colour(replay):
    _, result = replay
    fig = plots.overview(result.series[result.series["replicate"] == 0])
    tier_panel = next(ax for ax in fig.axes if "tiers" in title(ax))
    for line in tier_panel.get_lines():
        name = {labels.country_name(c): c for c in FIVE}.get(line.get_label())
        if name:
            assert line.get_color().upper() == labels.country_color(name).upper()
    plt.close(fig)


def test_ensemble_axes_show_the_data_tiers_on_integer_ticks_and_the_band_does_not_fill_the_panel(replay):
    _, result = replay
    fig = plots.ensemble(result.series, "t")
    panels = {title(ax): ax for ax in fig.axes if title(ax)}
    hedging = panels["Hedging index"]
    low, high = hedging.get_ylim()
    assert (high - low) >= 2 * (2 * EQUIDISTANCE_BAND), "the equidistance band must not fill the panel"
    tier = panels["US tier"]
    ticks = tier.get_yticks()
    assert len(ticks) >= 2 and np.allclose(ticks, np.round(ticks))
    for ax in panels.values():  # every median stays inside its axes
        for line in ax.get_lines():
            y = np.asarray(line.get_ydata(), dtype=float)
            if y.size > 2:
                assert ax.get_ylim()[0] <= np.nanmin(y) and np.nanmax(y) <= ax.get_ylim()[1]
    plt.close(fig)


def test_run_figures_in_every_format_with_truetype_fonts(tmp_path, replay):
    scenario, result = replay
    options = plots.FigureOptions.parse("png,pdf,svg", 80)
    paths = plots.write_run_figures(result.series, result.events, tmp_path, **plots.titles(scenario),
                                    options=options)
    assert sorted(p.name for p in paths) == sorted(f"{s}.{f}" for s in ("overview", "ensemble")
                                                   for f in ("png", "pdf", "svg"))
    assert_no_type3(paths)
    assert "<text" in (tmp_path / "overview.svg").read_text(), "SVG keeps text as text"


def test_figure_format_and_dpi_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "south_china_sea_flareup", "--out", str(out), "--figure-format", "svg",
                 "--dpi", "72"]) == 0
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["overview.svg"]
    with pytest.raises(SystemExit) as stop:
        main(["run", "south_china_sea_flareup", "--out", str(tmp_path / "x"), "--figure-format", "gif"])
    assert stop.value.code == 2 and "gif" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


OBSERVED = """\
    # Observed facts (test fixture). Columns: kind, country, date, end, tier, label
    kind,country,date,end,tier,label
    partnership_upgrade,united_states,2013-07,,1,US comprehensive partnership
    partnership_upgrade,japan,2014-03,,2,Japan extensive strategic partnership
    maritime_crisis,china,2014-05,2014-07,,HD-981
    trade,china,2015,,,not drawn
    """


def test_the_replay_overlays_observed_dates_when_the_observed_table_exists(tmp_path, replay, monkeypatch):
    scenario, result = replay
    path = tmp_path / "observed.csv"
    path.write_text(textwrap.dedent(OBSERVED))
    observed = plots.read_observed(path)
    assert len(observed.upgrades) == 2 and len(observed.crises) == 1
    assert observed.crises.iloc[0]["end"].month == 7

    first = result.series[result.series["replicate"] == 0]
    fig = plots.overview(first, observed=observed)
    legend_texts = {t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()}
    assert {"observed upgrade", "observed crisis (top edge)"} <= legend_texts
    plt.close(fig)

    monkeypatch.setattr(plots, "OBSERVED_FILE", path)  # the hook reads the bundled file when present
    assert plots.read_observed() is not None
    monkeypatch.setattr(plots, "OBSERVED_FILE", tmp_path / "absent.csv")
    assert plots.read_observed() is None


# ------------------------------------------------------------------------------------------ sweep figures
EXPERIMENT = """\
    name: tiny_figures
    description: A small grid to test the sweep figures.
    scenario: {scenario}
    replicates: 2
    seed: 3
    design:
      method: {method}
      samples: 2
      parameters:
        agents.china.assertiveness: [0.3, 0.9]
        agents.united_states.commitment: [0.3, 0.9]
    outcomes:
      mean_tension_china: {{series: tension_china, reduce: mean}}
      start_tier_china: {{series: tier_china, reduce: first}}
    plots: [{plots}]
    ensemble_series: [hedging_index, tier_united_states]
    """


def _sweep(tmp_path: Path, method: str, plots_: str) -> Path:
    short = tmp_path / "short.yaml"
    short.write_text(f"name: short\nextends: {BUNDLED_DIR / 'south_china_sea_flareup.yaml'}\nmonths: 12\n")
    exp = tmp_path / f"{method}.yaml"
    exp.write_text(textwrap.dedent(EXPERIMENT.format(scenario=short, method=method, plots=plots_)))
    out = tmp_path / method
    assert main(["sweep", str(exp), "--out", str(out), "--no-progress", "--workers", "1", "--no-analyze"]) == 0
    return out


def test_grid_sweep_figures_skip_constant_outcomes_and_facet_the_design_points(tmp_path):
    out = _sweep(tmp_path, "grid", "heatmap, outcome_vs_parameter, ensemble_series")
    made = analyze(out, figures=plots.FigureOptions(("png", "pdf")))
    assert any("start_tier_china" in n and "every run" in n for n in made.notes)
    assert_no_type3(made.figures)

    from sim.sweep import figures
    from sim.sweep.analysis import load_results
    results = load_results(out)
    fig = figures.heatmap(results, ["mean_tension_china"])
    assert len([ax for ax in fig.axes if ax.get_label() == "<colorbar>"]) == 1
    plt.close(fig)
    fig = figures.ensemble_by_point(results, ["hedging_index", "tier_united_states"])
    titles = [title(ax) for ax in fig.axes if ax.get_visible() and title(ax)]
    assert len(titles) == 2 * 4, "one panel per design point and series"
    assert all("China: assertiveness" in t and "US: commitment" in t for t in titles)
    plt.close(fig)


def test_many_design_points_are_drawn_one_line_each_coloured_by_a_parameter(tmp_path, monkeypatch):
    from sim.sweep import figures
    from sim.sweep.analysis import load_results
    out = _sweep(tmp_path, "grid", "ensemble_series")
    monkeypatch.setattr(figures, "MAX_FACETS", 2)
    results = load_results(out)
    fig = figures.ensemble_by_point(results, ["hedging_index"])
    lines = _point_lines(fig.axes[0])
    assert len(lines) == 4 and all(len(seg) == 12 for seg in lines), "one line per point, every month"
    assert any(ax.get_label() == "<colorbar>" and "China: assertiveness" in ax.get_ylabel() for ax in fig.axes)
    medians = results.store.series(["hedging_index"]).merge(results.runs[["run", "point"]]) \
        .groupby(["point", "step"])["hedging_index"].median().unstack("step").to_numpy()
    assert np.array_equal(np.array([seg[:, 1] for seg in lines]), medians), "each line its point's median"
    plt.close(fig)


def _point_lines(ax) -> list[np.ndarray]:
    from matplotlib.collections import LineCollection
    return [seg for c in ax.collections if isinstance(c, LineCollection) for seg in c.get_segments()]


def test_a_study_of_many_points_draws_an_evenly_spaced_few_and_says_so(tmp_path, monkeypatch):
    """Beyond MAX_LINES points the figure draws that many, evenly spaced in the first parameter from
    its lowest to its highest value, reads only their runs, and its title says how many of how many."""
    from sim.sweep import figures
    from sim.sweep.analysis import load_results
    out = _sweep(tmp_path, "grid", "ensemble_series")
    monkeypatch.setattr(figures, "MAX_FACETS", 1)
    monkeypatch.setattr(figures, "MAX_LINES", 3)
    results = load_results(out)
    points = np.sort(results.runs["point"].unique())
    shown = figures.evenly_spaced_points(results, points, 3)
    values = results.points.loc[shown, results.parameters[0]]
    first = results.points[results.parameters[0]]
    assert len(shown) == 3 and values.min() == first.min() and values.max() == first.max()
    read = []
    real = results.store.series
    monkeypatch.setattr(results.store, "series", lambda cols, runs=None: read.append(runs) or real(cols, runs))
    fig = figures.ensemble_by_point(results, ["hedging_index"])
    assert len(_point_lines(fig.axes[0])) == 3
    assert set(read[0]) == set(results.runs.loc[results.runs["point"].isin(shown), "run"])
    assert "3 of 4 design points, evenly spaced in China: assertiveness" in fig.get_suptitle()
    plt.close(fig)


def test_morris_bars_are_sorted_and_a_mu_star_sigma_plot_is_written(tmp_path):
    out = _sweep(tmp_path, "morris", "sensitivity")
    made = analyze(out)
    assert {p.name for p in made.figures} >= {"sensitivity.png", "morris_mu_sigma.png", "morris_mu_sigma.pdf"}
    assert_no_type3(made.figures)

    from sim.sweep import figures
    from sim.sweep.analysis import load_results
    from sim.sweep.experiment import Method
    indices = pd.read_csv(out / "analysis" / "sensitivity.csv")
    shown = indices[indices["outcome"] == "mean_tension_china"]
    fig = figures.sensitivity_bars(shown, Method.MORRIS, load_results(out))
    ax = fig.axes[0]
    mu_bars = next(c for c in ax.containers if isinstance(c, BarContainer) and "μ*" in c.get_label())
    mu = [bar.get_width() for bar in mu_bars]
    assert mu == sorted(mu, reverse=True)
    plt.close(fig)


def test_outcomes_against_parameters_thin_the_runs_and_bin_the_means_of_a_large_study(tmp_path, monkeypatch):
    """Beyond MAX_MARKERS the panels draw that many runs, evenly spaced, and the design points' means
    as one line, the mean over equal bins of the parameter's range; the legend says so."""
    from sim.sweep import figures
    from sim.sweep.analysis import load_results, point_means
    out = _sweep(tmp_path, "grid", "outcome_vs_parameter")
    monkeypatch.setattr(figures, "MAX_MARKERS", 3)
    monkeypatch.setattr(figures, "MEAN_BINS", 2)
    results = load_results(out)
    fig = figures.outcome_vs_parameter(results, ["mean_tension_china"])
    ax = fig.axes[0]  # China's assertiveness: levels 0.3 and 0.9, the two bins' ends
    assert len(ax.collections[0].get_offsets()) == 3, "3 of the 8 runs"
    (line,) = ax.get_lines()
    means = point_means(results).join(results.points)
    expected = means.groupby("agents.china.assertiveness")["mean_tension_china"].mean()
    assert np.allclose(line.get_xdata(), [0.45, 0.75]) and np.allclose(line.get_ydata(), expected.to_numpy())
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["one run (3 of 8, evenly spaced)", "mean of the design points' means, by 2ths of the range"]
    plt.close(fig)
