"""Start the browser page for ``hedgesim viz``: Solara's server on a loopback address by default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sim.scenario.loader import BUNDLED_DIR, resolve_path

APP = Path(__file__).resolve().with_name("app.py")
PACKAGE_ROOT = APP.parents[2]  # the directory holding ``sim``, so the server imports this same package


def scenario_reference(ref: str) -> str:
    """How the page should name the scenario: a bundled one by name, any other file by absolute path."""
    path = resolve_path(ref).resolve()
    return path.stem if path.parent == BUNDLED_DIR.resolve() else str(path)


def server_command(host: str, port: int, open_browser: bool) -> list[str]:
    """The ``solara run`` command line for the page."""
    return [sys.executable, "-m", "solara", "run", str(APP), "--host", host, "--port", str(port),
            "--open" if open_browser else "--no-open", "--no-check-version"]


def server_environment(scenario_ref: str) -> dict[str, str]:
    """The server's environment: the scenario to show, no telemetry, this package first on the path."""
    env = dict(os.environ)
    env["HEDGESIM_SCENARIO"] = scenario_ref
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
    return env


def serve(scenario: str, host: str, port: int, open_browser: bool) -> int:
    """Run the page until interrupted; return the server's exit code (0 after Ctrl-C)."""
    ref = scenario_reference(scenario)
    print(f"hedgesim viz: {ref} at http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
    server = subprocess.Popen(server_command(host, port, open_browser), env=server_environment(ref))
    try:
        return server.wait()
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM through the command line's handler
        return 0
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=10)
