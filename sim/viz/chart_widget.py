"""The page's live Plotly charts, with plotly.js fetched once per page instead of once per chart.

Plotly's ``FigureWidget`` is an anywidget whose front-end module (``_esm``) is plotly's whole widget
bundle, ~5 MB of JavaScript, sent as widget state over the page's websocket *for every chart* and
evaluated again for each (anywidget imports inline module text through a fresh blob URL, so the
browser cannot reuse it). anywidget then gives a chart a fixed 2 s to start (``Runtime`` in its
front end, anywidget 0.11), and on two loaded cores several 5 MB evaluations at once can miss that:
the chart stays blank ("[anywidget] Failed to initialize model.").

:class:`ChartWidget` sends instead a few lines that import the bundle from :data:`BUNDLE_ROUTE`, a
URL of our own server (:class:`BundleRoute`). The browser's module map then fetches and evaluates the
bundle once per page, and every chart shares it; the widget state is a few hundred bytes.
Same plotly, same behaviour: only how the bundle reaches the browser changes.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import plotly
import plotly.graph_objects as go

#: where the page's server serves plotly's widget bundle (a path no Solara route uses)
BUNDLE_ROUTE = "/hedgesim/plotly-widget.js"
#: plotly's front-end bundle for FigureWidget, as installed
BUNDLE_FILE = Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"
#: set (to "1") by the page's server process, which serves :data:`BUNDLE_ROUTE`
SERVED_ENV = "HEDGESIM_CHART_BUNDLE"

#: the module each chart sends: import the shared bundle by URL and re-export its widget
SHIM_ESM = (
    f'const bundle = await import(new URL("{BUNDLE_ROUTE}", window.location.href).href);\n'
    "export default bundle.default;\n"
)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]


class ChartWidget(go.FigureWidget):
    """A ``FigureWidget`` whose front end comes from :data:`BUNDLE_ROUTE` (see the module docstring)."""

    _esm = SHIM_ESM


def chart_class() -> type[go.FigureWidget]:
    """The widget class for a live chart: :class:`ChartWidget` under our server (which serves the
    bundle), plotly's own ``FigureWidget`` elsewhere (e.g. ``solara run sim/viz/app.py``)."""
    return ChartWidget if os.environ.get(SERVED_ENV) == "1" else go.FigureWidget


class BundleRoute:
    """ASGI middleware: answer ``GET`` :data:`BUNDLE_ROUTE` with plotly's bundle (cacheable for a day,
    as it changes only with the installed plotly); pass everything else to ``app``."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]],
                 bundle: Path = BUNDLE_FILE) -> None:
        self.app = app
        self.body = bundle.read_bytes()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != BUNDLE_ROUTE:
            return await self.app(scope, receive, send)
        head = scope.get("method") == "HEAD"
        if scope.get("method") not in ("GET", "HEAD"):
            return await _answer(send, 405, b"GET only\n", b"text/plain")
        return await _answer(send, 200, b"" if head else self.body, b"text/javascript; charset=utf-8",
                             length=len(self.body), cache=b"public, max-age=86400")


async def _answer(send: Send, status: int, body: bytes, kind: bytes, length: int | None = None,
                  cache: bytes = b"no-store") -> None:
    """Send one whole HTTP response."""
    size = str(len(body) if length is None else length).encode()
    headers = [(b"content-type", kind), (b"content-length", size), (b"cache-control", cache)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
