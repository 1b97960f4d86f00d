"""The browser view of the model (Mesa's SolaraViz): ``hedgesim viz`` or ``solara run sim/viz/app.py``.

- :mod:`sim.viz.explain` turns logged moves, rules and events into readable words;
- :mod:`sim.viz.figures` draws the map of relations and the monthly plots (plain matplotlib);
- :mod:`sim.viz.app` is the page: the model built from the controls, and its components;
- :mod:`sim.viz.serve` starts the page for the command line.

The viz imports the model, never the reverse.
"""
