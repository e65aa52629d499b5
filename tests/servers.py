"""Real SPARQL server processes for the tests: started on a free port, stopped after.

``kg serve`` (uvicorn) needs nothing here: started with ``--port 0`` it binds the socket itself
and prints the address it got, so no port is ever picked first and bound later. Nor does
:func:`uvicorn_thread`, the same server in a thread of the test process.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
VIRTUOSO = shutil.which("virtuoso-t")
VIRTUOSO_ISQL = shutil.which("isql-vt")
_VIRTUOSO_INI = """[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = {sql_port}
DisableUnixSocket = 1
CaseMode = 2
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = .
[HTTPServer]
ServerPort = {http_port}
ServerRoot = {db}
ServerThreads = 4
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 1000000
"""


@dataclass(frozen=True)
class Endpoint:
    """The URLs of one running SPARQL 1.1 store."""

    base: str
    query: str
    update: str
    graph_store: str


@contextmanager
def closed_port() -> Iterator[int]:
    """Hold a TCP port on 127.0.0.1 that refuses connections: bound, never listening.

    The socket stays bound while the ``with`` block runs, so no other process can take the
    port and answer in the meantime.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def _unused_port() -> int:
    """Return a port that was free a moment ago. Only for servers that cannot take a socket:
    the caller must start the server on it and retry when it exits with "address in use"."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_PORT_ATTEMPTS = 5


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    """Poll ``url`` until it answers; fail early if ``process`` exits.

    Raises:
        RuntimeError: the process died, or nothing answered within ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    # One client for every attempt (each new one loads the CA bundle, ~10 ms of CPU), and a pause
    # that grows to 0.25 s: polling a slow starter (Virtuoso, ~10 s) every 50 ms cost seconds of CPU.
    pause = 0.02
    with httpx2.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with code {process.returncode} before answering {url}")
            try:
                client.get(url)
                return
            except httpx2.TransportError:
                time.sleep(pause)
                pause = min(pause * 1.5, 0.25)
    raise RuntimeError(f"nothing answered at {url} within {timeout_s:g} s")


@contextmanager
def oxigraph_server(binary: Path = OXIGRAPH, *, union_default_graph: bool = True) -> Iterator[Endpoint]:
    """Run ``oxigraph serve`` (with ``--union-default-graph`` unless told not to) on a free port,
    in memory: the same SPARQL and HTTP engine as over a ``--location`` folder, without RocksDB's
    writes and compactions (which made the server use ~4 times the CPU).

    Yields:
        the server's query, update and Graph Store Protocol URLs.
    """
    if not binary.exists():
        found = shutil.which("oxigraph")
        if found is None:
            raise RuntimeError("the oxigraph server is not installed: pip install 'oxigraph>=0.5'")
        binary = Path(found)
    union = ["--union-default-graph"] if union_default_graph else []
    process, port = start_on_a_free_port(
        lambda port: [str(binary), "serve", "--bind", f"127.0.0.1:{port}", *union],
        lambda port: f"http://127.0.0.1:{port}/")
    base = f"http://127.0.0.1:{port}"
    try:
        yield Endpoint(base, base + "/query", base + "/update", base + "/store")
    finally:
        _stop(process)


def start_on_a_free_port(command: Callable[[int], list[str]], ready_url: Callable[[int], str],
                         timeout_s: float = 20.0) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``command(port)``, a server that binds its own address, and wait (up to ``timeout_s``)
    until ``ready_url(port)`` answers.

    Such a server cannot be handed a bound socket, so a port is picked first: another process
    may take it before the server binds it. The server then exits saying the address is in
    use, and another port is tried. Once it answers, what it writes to stderr is read and
    dropped, so a server that logs much never blocks on a full pipe.

    Raises:
        RuntimeError: the server died for another reason, or never answered.
    """
    attempts = 0
    while True:
        attempts += 1
        port = _unused_port()
        process = subprocess.Popen(command(port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_until_up(ready_url(port), process, timeout_s)
        except RuntimeError:
            taken = _address_in_use(process)
            _stop(process)
            if taken and attempts < _PORT_ATTEMPTS:
                continue
            raise
        threading.Thread(target=_drain, args=(process,), daemon=True, name="drain-stderr").start()
        return process, port


def _drain(process: subprocess.Popen[bytes]) -> None:
    """Read a running server's stderr until it ends (the server exits, or :func:`_stop` closes it)."""
    try:
        while process.stderr is not None and process.stderr.read(65536):
            pass
    except (OSError, ValueError):  # closed by _stop
        pass


def _address_in_use(process: subprocess.Popen[bytes]) -> bool:
    """Whether ``process`` exited because its port was taken (it says so on stderr)."""
    if process.poll() is None or process.stderr is None:
        return False
    return b"in use" in process.stderr.read()


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stderr is not None:
        process.stderr.close()


@contextmanager
def virtuoso_server() -> Iterator[Endpoint]:
    """Run Virtuoso Open Source 7 (Debian's ``virtuoso-opensource``) on free ports over a temporary folder.

    The anonymous SPARQL user is granted ``SPARQL_UPDATE`` so that ``/sparql`` takes updates.
    Virtuoso has no separate Graph Store Protocol endpoint without authentication here.

    Raises:
        RuntimeError: Virtuoso is not installed, or did not start.
    """
    if VIRTUOSO is None or VIRTUOSO_ISQL is None:
        raise RuntimeError("Virtuoso is not installed: apt-get install virtuoso-opensource")
    for attempt in range(_PORT_ATTEMPTS):
        with tempfile.TemporaryDirectory(prefix="virtuoso-") as db:
            # Virtuoso binds its own two ports (see oxigraph_server): it exits when one is
            # taken, and we try again with others.
            http_port, sql_port = _unused_port(), _unused_port()
            ini = Path(db) / "virtuoso.ini"
            ini.write_text(_VIRTUOSO_INI.format(db=db, sql_port=sql_port, http_port=http_port), encoding="utf-8")
            process = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(ini)], cwd=db,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                base = f"http://127.0.0.1:{http_port}"
                try:
                    wait_until_up(base + "/sparql?query=ASK%7B%7D", process, timeout_s=60)
                except RuntimeError:
                    log = (Path(db) / "virtuoso.log").read_text(errors="replace") if (Path(db) / "virtuoso.log").exists() else ""
                    if attempt + 1 < _PORT_ATTEMPTS and process.poll() is not None and "in use" in log:
                        continue
                    raise
                subprocess.run([VIRTUOSO_ISQL, str(sql_port), "dba", "dba",
                                'exec=grant SPARQL_UPDATE to "SPARQL";'],
                               check=True, capture_output=True, timeout=30)
                yield Endpoint(base, base + "/sparql", base + "/sparql", "")
                return
            finally:
                _stop(process)


@contextmanager
def uvicorn_thread(make_app: Callable[[str], Any]) -> Iterator[str]:
    """Serve ``make_app(base_url)`` as ``kg serve`` does (its socket, no Server banner), from a
    thread of this process; yield the base URL once the app has started."""
    import uvicorn

    from graph.api.server import base_url, listen

    sock = listen("127.0.0.1", 0)
    try:
        server = uvicorn.Server(uvicorn.Config(make_app(base_url(sock)), log_level="warning", server_header=False))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            for _ in range(6000):  # a bounded number of tries until the app has started, not a timer
                if server.started or not thread.is_alive():
                    break
                time.sleep(0.01)
            assert server.started, "uvicorn did not start the app (its log is above)"
            yield base_url(sock)
        finally:
            server.should_exit = True
            thread.join()
    finally:
        sock.close()


@contextmanager
def kg_serve(graph_file: Path, *options: str) -> Iterator[str]:
    """Run ``kg serve --port 0 OPTIONS`` on ``graph_file``; yield the base URL it prints."""
    process = subprocess.Popen([sys.executable, "-m", "graph", "serve", "--graph", str(graph_file),
                                "--host", "127.0.0.1", "--port", "0", *options],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        stderr = process.stderr.read() if process.poll() is not None and process.stderr is not None else ""
        assert match, f"kg serve printed {line!r}; stderr: {stderr}"
        base = match.group(1).rstrip("/")
        for _ in range(100):
            try:
                httpx2.get(base + "/health", timeout=1.0)
                break
            except httpx2.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@contextmanager
def chromium(*, window: str = "1280,1000", eager: bool = False, page_load_timeout_s: int = 30) -> Iterator[Any]:
    """Headless Chromium from Debian's packages, driven by Selenium, with a fresh profile.

    It logs the console (``get_log("browser")``) and every request (``get_log("performance")``).
    ``eager`` stops waiting for a page once its DOM and deferred scripts are there.
    """
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("Debian's chromium and chromedriver are not installed: apt-get install chromium "
                    "chromium-driver (.ci/run does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="kg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 f"--window-size={window}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    if eager:
        options.page_load_strategy = "eager"
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(page_load_timeout_s)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
