"""Serve the browser page for ``hedgesim viz``: Solara's app behind a same-origin guard, on a loopback
address by default.

Two processes. The command (:func:`serve`) binds the listening socket itself, so a bad or busy port is
one clear line before anything starts, and hands it to a child (``python -m sim.viz.serve``) that runs
Solara's Starlette app under uvicorn, wrapped in :class:`SameOriginOnly`. Stopping the command (Ctrl-C
or SIGTERM) stops the child for sure: terminate, then kill after :data:`GRACE_SECONDS`.

Why the guard: the page's websocket drives a model on this machine. Browsers let any web page open a
websocket to ``127.0.0.1``; only the ``Origin`` header tells a foreign page from ours (the WebSocket
protocol, RFC 6455 section 10.2, leaves this check to the server), and a ``Host`` header check stops a
rebinding of a foreign name to our address.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import webbrowser
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from sim.scenario.loader import bundled_scenarios, resolve_path

APP = Path(__file__).resolve().with_name("app.py")
ASSETS = APP.with_name("assets")  # served at /static/assets/ (Solara looks in <app's parent>/assets first)
PACKAGE_ROOT = APP.parents[2]  # the directory holding ``sim``, so the server imports this same package
GRACE_SECONDS = 5.0  # after SIGTERM, how long the child may take before it is killed
CHILD_SHUTDOWN_SECONDS = 2  # uvicorn's own limit for open requests when it is told to stop
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
SCENARIO_ENV = "HEDGESIM_SCENARIO"

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class ServeError(ValueError):
    """The page cannot be served as asked (bad or busy port, unknown host); the message is one line."""


def scenario_reference(ref: str) -> str:
    """How the page should name the scenario: a bundled one by name, any other file by absolute path."""
    path = resolve_path(ref).resolve()
    bundled = {p.resolve() for p in bundled_scenarios()}
    return path.stem if path in bundled else str(path)


# ------------------------------------------------------------------------------------------ the guard
def _authority(host: str, port: int) -> str:
    """``host:port`` as it appears in a ``Host`` header (IPv6 literals in brackets)."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return f"{host.lower()}:{port}"
    return f"[{literal}]:{port}" if literal.version == 6 else f"{literal}:{port}"


def allowed_authorities(host: str, port: int) -> frozenset[str] | None:
    """The ``Host`` values a request may carry: the address we serve (any loopback name for a loopback
    address), or ``None`` (any) when bound to every interface, where the names are not known."""
    if host in ("0.0.0.0", "::", ""):
        return None
    names = LOOPBACK_NAMES if host in LOOPBACK_NAMES else (host,)
    return frozenset(_authority(name, port) for name in names)


def refusal(host: str | None, origin: str | None, websocket: bool,
            allowed: frozenset[str] | None) -> str:
    """Why a request must be refused ("" if it may pass): a ``Host`` we do not serve, an ``Origin`` that
    is not the page's own, or a websocket without an ``Origin`` (browsers always send one)."""
    if not host or (allowed is not None and host.lower() not in allowed):
        return f"host {host!r} is not served here"
    if origin is None:
        return "a websocket needs an Origin" if websocket else ""
    if origin.lower() != f"http://{host.lower()}":
        return f"origin {origin!r} is not this page"
    return ""


class SameOriginOnly:
    """ASGI middleware: only the page's own origin may open its websocket or send it requests."""

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        self.app = app
        self.allowed = allowed_authorities(host, port)

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        websocket = scope["type"] == "websocket"
        reason = refusal(headers.get("host"), headers.get("origin"), websocket, self.allowed)
        if not reason:
            return await self.app(scope, receive, send)
        if websocket:  # closing before accepting makes the server answer the handshake with 403
            await receive()
            await send({"type": "websocket.close", "code": 1008, "reason": "foreign origin"})
            return None
        body = f"refused: {reason}\n".encode()
        headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return None


# ------------------------------------------------------------------------------------------ the command
def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening; :class:`ServeError` if that cannot be."""
    if not 1 <= port <= 65535:
        raise ServeError(f"--port {port} is not a TCP port: give a number from 1 to 65535")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise ServeError(f"--host {host!r} is not an address of this machine ({exc})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot serve on {_authority(host, port)}: {exc.strerror or exc}") from None
    return sock


def server_command(fd: int, host: str, port: int) -> list[str]:
    """The child's command line: this module, serving on the already-bound socket ``fd``."""
    return [sys.executable, "-m", "sim.viz.serve", "--fd", str(fd), "--host", host, "--port", str(port)]


def server_environment(scenario_ref: str) -> dict[str, str]:
    """The server's environment: the scenario to show, no telemetry, this package first on the path."""
    env = dict(os.environ)
    env[SCENARIO_ENV] = scenario_ref
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
    return env


def start_server(scenario_ref: str, host: str, port: int, **popen: Any) -> subprocess.Popen:
    """Bind ``host:port`` and start the page's server on it (the socket passes to the child)."""
    with listening_socket(host, port) as sock:
        fd = sock.fileno()
        return subprocess.Popen(server_command(fd, host, port), env=server_environment(scenario_ref),
                                pass_fds=(fd,), **popen)


def stop(process: subprocess.Popen, grace: float = GRACE_SECONDS) -> int:
    """Stop ``process`` for sure: SIGTERM, then SIGKILL if it has not exited after ``grace`` seconds.
    Further Ctrl-C / SIGTERM while stopping are ignored, so they cannot interrupt the clean-up."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(scenario: str, host: str, port: int, open_browser: bool) -> int:
    """Run the page until interrupted (Ctrl-C, or SIGTERM through the command line's handler).

    Returns 0 after an interruption, else the server's own exit code; raises :class:`ServeError`
    (before anything starts) when ``host:port`` cannot be served."""
    ref = scenario_reference(scenario)
    server = start_server(ref, host, port)
    url = f"http://{_authority(host, port)}/"
    try:
        print(f"hedgesim viz: {ref} at {url}  (Ctrl-C to stop)", flush=True)
        if open_browser:
            webbrowser.open(url)
        return server.wait()
    except KeyboardInterrupt:
        print("hedgesim viz: stopped", file=sys.stderr, flush=True)
        return 0
    finally:
        stop(server)


# ------------------------------------------------------------------------------------------ the child
def run_child(fd: int, host: str, port: int) -> None:
    """Serve Solara's app for :data:`APP` on the inherited socket ``fd``, behind the guard."""
    import uvicorn

    from sim.viz.chart_widget import SERVED_ENV, BundleRoute

    os.environ["SOLARA_APP"] = str(APP)
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = host, str(port)
    from solara.server import settings

    settings.main.mode = "production"  # no file watchers, no development checks
    settings.assets.extra_locations = [str(ASSETS)]  # the page's custom.js
    os.environ.setdefault(SERVED_ENV, "1")  # charts fetch plotly's bundle from BundleRoute ("0": inline)
    from solara.server.starlette import app

    config = uvicorn.Config(SameOriginOnly(BundleRoute(app), host, port), fd=fd, log_level="warning",
                            timeout_graceful_shutdown=CHILD_SHUTDOWN_SECONDS)
    uvicorn.Server(config).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.viz.serve",
                                     description="the page's server process (started by hedgesim viz)")
    parser.add_argument("--fd", type=int, required=True, help="an inherited, listening socket")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        run_child(args.fd, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
