"""The API in a real ``kg serve`` (uvicorn) process, and its pages in a real headless Chromium (Selenium)
on the same server in a thread (``site``)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from graph.api.server import YOUNG_GENERATION_THRESHOLD

from api_support import KGID
from query_samples import NESTED_FAMILY
from servers import kg_serve


@pytest.mark.server
def test_real_uvicorn_process(served: str, store: object) -> None:
    health = httpx2.get(served + "/health").json()
    assert health["quads"] == len(store)  # type: ignore[arg-type]
    answer = httpx2.post(served + "/sparql", content=b"ASK { ?s ?p ?o }",
                         headers={"content-type": "application/sparql-query"})
    assert answer.json() == {"head": {}, "boolean": True}
    assert httpx2.put(served + "/sparql?query=ASK%7B%7D").status_code == 405
    page = httpx2.get(served + "/queries/agency-touchpoints", params={"limit": 2}).json()
    assert len(page["rows"]) == min(2, page["total"])


@pytest.mark.server
def test_the_nested_family_never_takes_the_real_server_down(served: str) -> None:
    for name, text in NESTED_FAMILY.items():
        refused = httpx2.post(served + "/sparql", content=text.encode(),
                              headers={"content-type": "application/sparql-query"})
        assert refused.status_code == 400, name
        assert httpx2.get(served + "/sparql", params={"query": "ASK {}"}).status_code == 200, name


@pytest.mark.server
def test_the_real_server_shows_its_pool_and_no_banner(served: str) -> None:
    response = httpx2.get(served + "/health")
    assert "server" not in response.headers
    sandbox = response.json()["sandbox"]
    assert sandbox["workers"] == 2 and sandbox["queue_limit"] == 64


@pytest.mark.server
def test_runaway_queries_and_command_line_limits_on_the_real_server(built_files: Path) -> None:
    # One process for both (starting `kg serve` is the expensive part): --max-results, --workers, --query-timeout.
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    with kg_serve(built_files / "graph.nq", "--max-results", "5", "--query-timeout", "1", "--workers", "1") as base:
        accept = {"accept": "application/sparql-results+json"}
        over = httpx2.get(base + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 6"}, headers=accept)
        assert over.status_code == 400
        assert "more than 5 results" in over.json()["message"]
        under = httpx2.get(base + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"}, headers=accept)
        assert under.status_code == 200 and len(under.json()["results"]["bindings"]) == 5
        assert httpx2.get(base + "/health").json()["sandbox"]["workers"] == 1

        for _ in range(2):
            stopped = httpx2.get(base + "/sparql", params={"query": runaway}, timeout=60)
            assert stopped.status_code == 503 and "time limit of 1 s and was stopped" in stopped.json()["message"]
            for _ in range(600):  # the replacement worker starts: a bounded number of tries, not a timer
                health = httpx2.get(base + "/health").json()["sandbox"]
                if health["idle"] == 1:
                    break
                time.sleep(0.05)
        assert health["restarts"] == 2 and health["busy"] == 0
        assert httpx2.get(base + "/sparql", params={"query": "ASK {}"}).status_code == 200


@pytest.mark.server
@pytest.mark.browser
def test_browser_home_query_and_agency(site: str, browser: object, agency: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    driver = browser
    wait = WebDriverWait(driver, 10)  # type: ignore[arg-type]

    driver.get(site + "/")  # type: ignore[attr-defined]
    assert driver.find_elements(By.CSS_SELECTOR, "#agencies li a")  # type: ignore[attr-defined]
    assert "style.css" in driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.styleSheets].map(s => s.href).join(' ')")
    driver.save_screenshot(str(tmp_path / "home.png"))  # type: ignore[attr-defined]

    # The query page (the SPARQL editor) has its own browser tests: tests/api/test_editor.py.

    driver.get(site + "/id/" + agency.removeprefix(KGID))  # type: ignore[attr-defined]
    rows = wait.until(ec.presence_of_all_elements_located((By.CSS_SELECTOR, "#touchpoint-table tbody tr")))
    assert rows and rows[0].is_displayed()


def test_listening_socket_is_tcp_so_responses_are_not_delayed() -> None:
    # asyncio turns on TCP_NODELAY only for IPPROTO_TCP sockets; a proto-0 socket made every
    # small response wait ~40 ms for a delayed ACK (found by benchmarks/api.py).
    import socket

    from graph.api.server import base_url, listen

    sock = listen("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert base_url(sock).startswith("http://127.0.0.1:")
    finally:
        sock.close()


def test_serving_settles_the_collector_first() -> None:
    # In a process of its own: gc.freeze and the thresholds are process-wide.
    script = """
import gc
from graph.api import server
seen = []
class Server:
    def __init__(self, config):
        pass
    def run(self, sockets):
        seen.append((gc.get_freeze_count(), gc.get_threshold()[0]))
server.uvicorn.Server = Server
sock = server.listen("127.0.0.1", 0)
server.serve(object(), sock)
sock.close()
frozen, young = seen[0]
print(frozen > 10_000, young)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", str(YOUNG_GENERATION_THRESHOLD)]


def test_busy_port_is_a_clear_error() -> None:
    from graph.api.server import listen
    from graph.errors import GraphError

    first = listen("127.0.0.1", 0)
    try:
        port = first.getsockname()[1]
        first.listen()
        with pytest.raises(GraphError, match=f"cannot listen on 127.0.0.1:{port}"):
            listen("127.0.0.1", port).close()
    finally:
        first.close()


@pytest.mark.server
@pytest.mark.browser
def test_browser_docs_renders_every_operation_without_console_errors(site: str, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    driver = browser
    paths = httpx2.get(site + "/openapi.json").json()["paths"]
    # Swagger UI shows an operation once under each of its tags.
    operations = sum(len(op.get("tags", [])) or 1 for methods in paths.values() for op in methods.values())
    driver.get_log("browser")  # type: ignore[attr-defined]  # drop what earlier pages logged
    driver.get(site + "/docs")  # type: ignore[attr-defined]
    blocks = WebDriverWait(driver, 20).until(  # type: ignore[arg-type]
        lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock") if len(
            d.find_elements(By.CSS_SELECTOR, ".opblock")) == operations else False)
    assert len(blocks) == operations > 10
    # The page's text and the operation's place in one call each: Selenium's .text walks the DOM for every element.
    assert "/sparql" in driver.execute_script("return document.getElementById('swagger-ui').innerText")  # type: ignore[attr-defined]
    # Try one operation: Swagger UI's request passes the page's policy and shows the answer.
    index = driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.querySelectorAll('.opblock')].findIndex("
        "b => b.querySelector('.opblock-summary-path').innerText.trim() === '/health')")
    assert index >= 0, "Swagger UI shows no /health operation"
    health = blocks[index]
    health.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    WebDriverWait(driver, 10).until(lambda d: health.find_elements(By.CSS_SELECTOR, ".try-out__btn"))  # type: ignore[arg-type]
    health.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
    health.find_element(By.CSS_SELECTOR, ".execute").click()
    status = WebDriverWait(driver, 10).until(  # type: ignore[arg-type]
        lambda d: health.find_elements(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"))
    assert status[0].text == "200"
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]  # type: ignore[attr-defined]
    assert errors == []


@pytest.mark.server
@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "sv"])
def test_browser_report_coverage_is_a_grid_of_a_few_hundred_pixels(site: str, browser: object, lang: str) -> None:
    from selenium.webdriver.common.by import By
    driver = browser
    driver.get(f"{site}/report?lang={lang}")  # type: ignore[attr-defined]
    grid = driver.find_element(By.ID, "coverage-agencies")  # type: ignore[attr-defined]
    legend = driver.find_element(By.ID, "coverage-kinds")  # type: ignore[attr-defined]
    section = driver.find_element(By.ID, "coverage")  # type: ignore[attr-defined]
    # The comma lists it replaced made a 4,759-pixel wall at 1280 px; the grid fits in a few hundred.
    assert 200 < grid.size["height"] + legend.size["height"] < 900
    assert section.size["height"] < 1600
    # and nothing is wider than the window: no sideways scrolling
    width, inner = driver.execute_script(  # type: ignore[attr-defined]
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= inner
    assert grid.size["width"] <= section.size["width"]
