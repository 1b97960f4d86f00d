"""The page's server as a user and an attacker meet it: real processes on loopback ports. A foreign
``Origin`` cannot open the websocket (a real handshake), bad ports are one line and exit 2, and SIGTERM
while a request hangs stops every process cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import plotly.graph_objects as go
import psutil
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from sim.viz.chart_widget import BUNDLE_FILE, BUNDLE_ROUTE, ChartWidget
from sim.viz.serve import start_server, stop
from tests.conftest import poll

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 240  # generous: CI runs on two loaded cores, and the first page loads the app
SCENARIO = "historical_2013_2024"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_answering(url: str, server: subprocess.Popen) -> None:
    """Poll ``url`` until it answers 200 (the server process must stay alive meanwhile)."""
    def answers() -> bool:
        if server.poll() is not None:
            raise RuntimeError(f"the page's server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=60) as answer:
                return answer.status == 200
        except OSError:
            return False

    poll(answers, f"{url} to answer", STARTUP_SECONDS)


def wait_gone(pids: list[int], seconds: float = 30) -> list[int]:
    """Poll until none of ``pids`` runs (zombies count as gone); return those still running."""
    def running() -> list[int]:
        return [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]

    with contextlib.suppress(AssertionError):
        poll(lambda: not running(), "the processes to end", seconds)
    return running()


@pytest.fixture(scope="module")
def served():
    port = free_port()
    server = start_server(SCENARIO, "127.0.0.1", port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/", server)
        yield port
    finally:
        stop(server)


def handshake(port: int, origin: str | None) -> int:
    """Open the page's kernel websocket with ``origin``; the HTTP status of the handshake (101 = open)."""
    url = f"ws://127.0.0.1:{port}/jupyter/api/kernels/k-test/channels?session_id=s-test"
    try:
        with connect(url, origin=origin, open_timeout=60):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


def get(port: int, **headers: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_websocket_refuses_a_foreign_origin_and_accepts_our_own(served):
    port = served
    assert handshake(port, "http://evil.example") == 403
    assert handshake(port, f"http://evil.example:{port}") == 403
    assert handshake(port, None) == 403  # browsers always send an Origin; a client without one is not ours
    assert handshake(port, f"http://127.0.0.1:{port}") == 101
    assert handshake(port, f"http://localhost:{port}") == 403  # Host 127.0.0.1 but Origin localhost


def test_http_refuses_foreign_origins_and_rebound_hosts(served):
    port = served
    assert get(port) == 200  # a plain navigation sends no Origin
    assert get(port, Origin=f"http://127.0.0.1:{port}") == 200
    assert get(port, Origin="http://evil.example") == 403
    assert get(port, Host=f"evil.example:{port}") == 403  # DNS rebinding: a foreign name for our address


def test_the_page_serves_plotly_s_bundle_once_for_every_chart(served):
    """The charts import plotly's widget bundle from our route (one fetch per page), not from their
    widget state (5 MB per chart); the page's custom.js starts that import early."""
    url = f"http://127.0.0.1:{served}"
    with urllib.request.urlopen(url + BUNDLE_ROUTE, timeout=60) as answer:
        assert answer.status == 200
        assert answer.headers["content-type"].startswith("text/javascript")
        assert answer.read() == BUNDLE_FILE.read_bytes()
    with urllib.request.urlopen(url + "/static/assets/custom.js", timeout=60) as answer:
        assert f'import("{BUNDLE_ROUTE}")' in answer.read().decode()
    assert get(served, Origin="http://evil.example") == 403  # the route sits behind the same guard


def test_a_chart_sends_a_few_lines_that_import_the_shared_bundle():
    shim = ChartWidget()._esm
    assert len(shim) < 500 and BUNDLE_ROUTE in shim and "export default" in shim
    assert len(go.FigureWidget()._esm) > 1_000_000  # what each chart would send otherwise


def viz(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim.cli", "viz", *args], cwd=ROOT, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, **popen)


@pytest.mark.parametrize("port", ["99999", "0", "-1", "65536"])
def test_a_port_out_of_range_is_one_line_and_exit_2(port):
    proc = viz("--port", port, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert err.strip().splitlines() == [f"hedgesim viz: --port {port} is not a TCP port: give a number "
                                        "from 1 to 65535"]
    assert out == ""


def test_a_busy_port_is_one_line_and_exit_2():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = viz("--port", str(port), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "in use" in lines[0], err


def test_sigterm_while_a_request_hangs_stops_everything_cleanly():
    port = free_port()
    proc = viz("--port", str(port), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/", proc)
        children = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        assert children, "the page is served by a child process"
        with socket.create_connection(("127.0.0.1", port), timeout=60) as hanging:
            hanging.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never finished
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Traceback" not in out
    assert wait_gone(children) == []


def test_stop_kills_a_server_that_ignores_sigterm():
    stubborn = subprocess.Popen([sys.executable, "-c", "import signal, sys\n"
                                 "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                 "print('ready', flush=True)\nsys.stdin.read()"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert stubborn.stdout.readline().strip() == "ready"  # its SIGTERM handler is in place
    assert stop(stubborn, grace=0.5) == -signal.SIGKILL
    assert wait_gone([stubborn.pid]) == []
