"""Mesa's own tools drive the model: its DataCollector holds the monthly columns (sim/metrics.py),
so mesa.batch_run works with the model's keyword arguments and Mesa's charts can read it."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from sim import HedgingModel
from sim.metrics import series_for
from sim.scenario.loader import load_scenario

SCENARIO = "south_china_sea_flareup"


def test_the_datacollector_table_is_the_series_table() -> None:
    model = HedgingModel(SCENARIO, seed=4).run()
    mesa_table = model.datacollector.get_model_vars_dataframe()
    series = model.series()
    assert list(mesa_table.columns) == [c.name for c in series_for(model.world.countries)]
    pd.testing.assert_frame_equal(mesa_table.reset_index(drop=True), series[mesa_table.columns],
                                  check_dtype=False)


def test_batch_run_drives_the_model_by_its_keyword_arguments() -> None:
    months = load_scenario(SCENARIO).months
    rows = mesa.batch_run(HedgingModel, parameters={"scenario": SCENARIO, "seed": [1, 2]},
                          data_collection_period=1, max_steps=10_000, display_progress=False)
    table = pd.DataFrame(rows)
    assert sorted(table["seed"].unique()) == [1, 2]
    assert len(table) == 2 * months, "one row per month and run, the last month included"
    for seed, rows_of_seed in table.groupby("seed"):
        alone = HedgingModel(SCENARIO, seed=int(seed)).run().series()
        np.testing.assert_allclose(rows_of_seed.sort_values("Step")["hedging_index"].to_numpy(),
                                   alone["hedging_index"].to_numpy())
    assert not table.loc[table["seed"] == 1, "hedging_index"].equals(
        table.loc[table["seed"] == 2, "hedging_index"].reset_index(drop=True))


def test_a_lockstep_model_keeps_its_arrays_only() -> None:
    model = HedgingModel(SCENARIO, seed=1, replicates=3).run(months=3)
    assert model.datacollector.get_model_vars_dataframe().empty
    assert len(model.series()) == 3 * 3


def test_mesa_chart_component_plots_the_columns() -> None:
    """Mesa's Matplotlib chart (what ``make_plot_component`` puts on a SolaraViz page) draws the months."""
    import solara
    from mesa.visualization.components.matplotlib_components import PlotMatplotlib

    model = HedgingModel(SCENARIO, seed=1).run(months=5)
    drawn = {}

    def capture(ax) -> None:
        drawn.update({line.get_label(): line.get_ydata() for line in ax.get_lines()})

    solara.render(PlotMatplotlib(model, ["hedging_index", "tension_china"], post_process=capture),
                  handle_error=False)
    series = model.series()
    for column in ("hedging_index", "tension_china"):
        np.testing.assert_allclose(drawn[column], series[column].to_numpy())

