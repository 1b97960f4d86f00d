/* hedgesim: start loading plotly's widget bundle while the page connects, so that the charts, which
   import the same URL (sim/viz/chart_widget.py), find it ready within anywidget's 2 s start-up
   limit. Served by `hedgesim viz`; elsewhere the import fails quietly and the charts carry their own. */
window.hedgesimPlotly = import("/hedgesim/plotly-widget.js").catch(function () { return null; });
