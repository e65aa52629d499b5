"""The site as a person meets it, in headless Chromium: every same-site link from the home page
answers below 400 and no page logs a console error; a catalogue query is filled in, run, paged,
sorted and downloaded as CSV from its page."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx
import pytest
import uvicorn

from graph.api import create_app
from graph.config import Settings
from graph.queries import QuerySpec, run_query
from graph.store import EmbeddedStore
from graph.validate import ValidationReport

from api_support import HTML
from servers import chromium

pytestmark = [pytest.mark.server, pytest.mark.browser]
#: HTML pages the crawl opens in the browser, nearest to the home page first (breadth-first).
MAX_PAGES = 80
#: Entity pages (``/id/…``) opened: agencies and objectives from the home page, then what the query
#: pages link to. The rest show the same templates.
ENTITY_PAGES = 6
#: What the elements that load or lead somewhere point at, resolved by the browser.
LINKS_SCRIPT = """return Array.from(document.querySelectorAll('a[href], link[href], script[src], img[src]'),
                                    e => e.href || e.src);"""


@pytest.fixture(scope="module")
def site(store: EmbeddedStore, settings: Settings, shipped_report: ValidationReport) -> Iterator[str]:
    """The app in a real uvicorn server (in a thread, on a port it picks); yields its base URL.
    (``shipped_report``: the SHACL report the /report page shows is computed once per session.)"""
    server = uvicorn.Server(uvicorn.Config(create_app(store, settings), host="127.0.0.1", port=0,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(2000):  # a bounded number of tries until the socket listens, not a timer
        if server.started or not thread.is_alive():
            break
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    """One headless Chromium for the crawl, waiting for each page's DOM and deferred scripts, not every image."""
    with chromium(eager=True) as browser:
        yield browser


@dataclass
class Crawl:
    """What a crawl saw."""

    pages: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    broken: list[tuple[str, int, str]] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)
    #: Whether every link found was followed (else the crawl stopped at :data:`MAX_PAGES`).
    complete: bool = False


def _address(url: str) -> str:
    """``url`` without its fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def kind_of(address: str) -> tuple[str, str]:
    """What ``address`` shows: its path (``/id`` for every entity) and the ``format`` it asks for.
    Other languages, pages of a table or a catalogue query's parameters show the same template."""
    parts = urlsplit(address)
    path = "/id" if parts.path.startswith("/id/") else parts.path
    return path, parse_qs(parts.query).get("format", [""])[0]


def crawl(driver: object, base: str) -> Crawl:
    """Follow the same-site links from ``base``/ breadth-first, one address per kind (see
    :func:`kind_of`; :data:`ENTITY_PAGES` entities): HTML pages in the browser (at most
    :data:`MAX_PAGES`), other resources with httpx."""
    seen = Crawl()
    queue: deque[tuple[str, str]] = deque([(base + "/", "start")])
    kinds = Counter([kind_of(base + "/")])
    host = urlsplit(base).netloc
    with httpx.Client(headers=HTML, timeout=30, follow_redirects=True) as http:
        while queue and len(seen.pages) < MAX_PAGES:
            url, found_on = queue.popleft()
            response = http.get(url)
            if response.status_code >= 400:
                seen.broken.append((url, response.status_code, found_on))
                continue
            if not response.headers.get("content-type", "").startswith("text/html"):
                seen.resources.append(url)
                continue
            driver.get(url)  # type: ignore[attr-defined]
            seen.pages.append(url)
            seen.console += [(url, entry["message"]) for entry in driver.get_log("browser")  # type: ignore[attr-defined]
                             if entry["level"] == "SEVERE"]
            for link in driver.execute_script(LINKS_SCRIPT):  # type: ignore[attr-defined]
                address = _address(link)
                parts = urlsplit(address)
                kind = kind_of(address)
                if parts.scheme not in ("http", "https") or parts.netloc != host \
                        or kinds[kind] >= (ENTITY_PAGES if kind == ("/id", "") else 1):
                    continue
                kinds[kind] += 1
                queue.append((address, url))
    seen.complete = not queue
    return seen


def test_every_link_works_and_no_page_logs_an_error(site: str, driver: object) -> None:
    seen = crawl(driver, site)
    assert seen.complete, f"more kinds of page than MAX_PAGES ({MAX_PAGES}): raise it"
    assert seen.broken == []
    assert seen.console == []
    paths = {urlsplit(url).path for url in seen.pages}
    # The crawl reached the kinds of pages a person clicks through to.
    assert {"/", "/queries", "/queries/agency-profile", "/queries/agencies-sharing-levers", "/report"} <= paths
    assert any(p.startswith("/id/agency-") for p in paths)
    assert any(urlsplit(url).path == "/queries/agency-profile.rq" for url in seen.resources)


def test_a_catalogue_query_is_filled_in_run_paged_and_downloaded(site: str, driver: object, store: EmbeddedStore,
                                                                 catalogue: dict[str, QuerySpec]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    spec = catalogue["facts-below-sure"]
    likely = "kgid:confidence-likely"
    expected = _library_rows(store, spec, {"confidence": likely}, "en")
    assert len(expected) > 50, "the test needs an answer of more than two pages of 25"
    driver.get(f"{site}/queries/{spec.name}")  # type: ignore[attr-defined]
    wait = WebDriverWait(driver, 20)
    assert driver.find_elements(By.ID, "results-table")  # type: ignore[attr-defined]  # no required parameter: runs
    Select(driver.find_element(By.NAME, "confidence")).select_by_value(likely)  # type: ignore[attr-defined]
    Select(driver.find_element(By.NAME, "lang")).select_by_value("en")  # type: ignore[attr-defined]
    Select(driver.find_element(By.NAME, "limit")).select_by_value("25")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "run").click()  # type: ignore[attr-defined]
    wait.until(ec.url_contains("confidence="))
    assert len(driver.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")) == 25  # type: ignore[attr-defined]
    assert driver.find_element(By.ID, "row-count").text == f"Rows 1–25 of {len(expected)}"  # type: ignore[attr-defined]

    driver.find_element(By.ID, "page-next").click()  # type: ignore[attr-defined]
    wait.until(ec.url_contains("offset=25"))
    assert driver.find_element(By.ID, "row-count").text == f"Rows 26–50 of {len(expected)}"  # type: ignore[attr-defined]
    column = spec.columns.index("nodeLabel")
    assert _column(driver, column) == [row["nodeLabel"] or "–" for row in expected[25:50]]

    # Sorting on the page, as the browser's collator orders text: ascending, then descending.
    header = driver.find_elements(By.CSS_SELECTOR, "#results-table thead th button.sort")[column]  # type: ignore[attr-defined]
    header.click()
    ascending = _column(driver, column)
    collated = driver.execute_script(  # type: ignore[attr-defined]
        "return arguments[0].slice().sort(new Intl.Collator('en', {numeric: true}).compare)",
        [v for v in ascending if v != "–"])
    assert ascending == collated + ["–"] * ascending.count("–")
    header.click()
    assert _column(driver, column) == collated[::-1] + ["–"] * ascending.count("–")

    href = driver.find_element(By.CSS_SELECTOR, "#downloads a[download$='.csv']").get_attribute("href")  # type: ignore[attr-defined]
    answer = httpx.get(href, headers=HTML)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert list(csv.DictReader(io.StringIO(answer.text))) == expected  # every row, not the page shown
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []  # type: ignore[attr-defined]


def _column(driver: object, index: int) -> list[str]:
    from selenium.webdriver.common.by import By
    return [row.find_elements(By.TAG_NAME, "td")[index].text
            for row in driver.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")]  # type: ignore[attr-defined]


def _library_rows(store: EmbeddedStore, spec: QuerySpec, raw: dict[str, str], lang: str) -> list[dict[str, str]]:
    result = run_query(store, spec, raw, lang)
    return [{k: "" if v is None else v.value for k, v in rec.items()} for rec in result.records()]
