"""The site as a person meets it: every same-site link from the home page answers below 400, and
no page logs a console error in headless Chromium; a catalogue query is filled in, run, paged,
sorted and downloaded as CSV from its page.

The links are followed with the in-process client, which reads each HTML page for the elements
that load or lead somewhere. Chromium opens every page on the real server too (a console error
may come from one page's data, not its template), reads its console and the links its JavaScript
adds, which must work too; not the pages of the templates in :data:`OPENED_BY`, which the tests
named there open. Chromium's share is dealt to :data:`SHARDS` test items, so that both test
workers carry it.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

import httpx2
import pytest
from fastapi.testclient import TestClient

from graph.queries import QuerySpec, run_query
from graph.store import EmbeddedStore

from api_support import HTML

pytestmark = [pytest.mark.server, pytest.mark.browser]
#: HTML pages the crawl reads, nearest to the home page first (breadth-first).
MAX_PAGES = 80
#: Entity pages (``/id/…``) read: the first ones the home page and the pages after it link to.
#: The rest show the same templates.
ENTITY_PAGES = 6
#: Templates another test opens in Chromium, reading the console after doing more there than load it.
OPENED_BY = {
    "docs.html": "test_server.py::test_browser_docs_renders_every_operation_without_console_errors",
    "query.html": "test_editor.py::test_the_editor_highlights_runs_pages_and_stays_on_the_server",
}
#: The test items Chromium's pages are dealt to.
SHARDS = 4
#: What the elements that load or lead somewhere point at, resolved by the browser.
LINKS_SCRIPT = """return Array.from(document.querySelectorAll('a[href], link[href], script[src], img[src]'),
                                    e => e.href || e.src);"""


@dataclass
class Crawl:
    """What a crawl with the in-process client saw."""

    pages: list[str] = field(default_factory=list)
    #: The template of each page (see :func:`template_of`).
    templates: dict[str, str] = field(default_factory=dict)
    resources: list[str] = field(default_factory=list)
    broken: list[tuple[str, int, str]] = field(default_factory=list)
    #: The kinds of address (see :func:`kind_of`) found, followed or not.
    kinds: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: Whether every link found was followed (else the crawl stopped at :data:`MAX_PAGES`).
    complete: bool = False

    def to_open(self) -> list[str]:
        """The pages Chromium opens here: all but those of :data:`OPENED_BY`'s templates."""
        return [page for page in self.pages if self.templates[page] not in OPENED_BY]


class _Links(HTMLParser):
    """The same elements as :data:`LINKS_SCRIPT`, read from the HTML the server sent."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"a": "href", "link": "href", "script": "src", "img": "src"}.get(tag)
        value = dict(attrs).get(wanted) if wanted else None
        if value is not None:
            self.links.append(value)


def links_in(html: str, url: str) -> list[str]:
    """The addresses ``html``, found at ``url``, loads or leads to, resolved as a browser does."""
    parser = _Links()
    parser.feed(html)
    return [urljoin(url, link.strip()) for link in parser.links]


def kind_of(address: str) -> tuple[str, str]:
    """What ``address`` shows: its path (``/id`` for every entity) and the ``format`` it asks for.
    Other languages, pages of a table or a catalogue query's parameters show the same template."""
    parts = urlsplit(address)
    path = "/id" if parts.path.startswith("/id/") else parts.path
    return path, parse_qs(parts.query).get("format", [""])[0]


def template_of(response: httpx2.Response) -> str:
    """The template a page was made from: its Jinja template (the test client is told its name),
    else its folder (the ontology's pyLODE pages, the network pages)."""
    template = getattr(response, "template", None)
    if template is not None:
        return str(template.name)
    path = response.url.path
    return path[: path.rindex("/") + 1]


def on_site(links: list[str], host: str) -> list[str]:
    """The http(s) ``links`` to ``host``, as addresses on the site: path and query, no fragment."""
    return [urlunsplit(("", "", parts.path, parts.query, "")) for parts in map(urlsplit, links)
            if parts.scheme in ("http", "https") and parts.netloc == host]


def crawl(client: TestClient) -> Crawl:
    """Follow the same-site links from the home page breadth-first, one address per kind (see
    :func:`kind_of`; :data:`ENTITY_PAGES` entities), with ``client`` (at most :data:`MAX_PAGES`
    HTML pages)."""
    seen = Crawl(kinds=Counter([kind_of("/")]))
    queue: deque[tuple[str, str]] = deque([("/", "start")])
    while queue and len(seen.pages) < MAX_PAGES:
        address, found_on = queue.popleft()
        response = fetch(client, address, found_on, seen)
        if response is None:
            continue
        for link in on_site(links_in(response.text, str(response.url)), client.base_url.netloc.decode()):
            if follows(link, seen.kinds):
                queue.append((link, address))
    seen.complete = not queue
    return seen


def fetch(client: TestClient, address: str, found_on: str, seen: Crawl) -> httpx2.Response | None:
    """GET ``address``; note it as broken, a resource or a page (with its template); return a page."""
    response = client.get(address, headers=HTML, follow_redirects=True)
    if response.status_code >= 400:
        seen.broken.append((address, response.status_code, found_on))
        return None
    if not response.headers.get("content-type", "").startswith("text/html"):
        seen.resources.append(address)
        return None
    seen.pages.append(address)
    seen.templates[address] = template_of(response)
    return response


def follows(link: str, kinds: Counter[tuple[str, str]]) -> bool:
    """Whether the crawl follows ``link``: a kind not met yet (or one of the first entities); counts it."""
    kind = kind_of(link)
    if kinds[kind] >= (ENTITY_PAGES if kind == ("/id", "") else 1):
        return False
    kinds[kind] += 1
    return True


@pytest.fixture(scope="module")
def crawled(client: TestClient) -> Crawl:
    return crawl(client)


def test_every_link_works(crawled: Crawl) -> None:
    assert crawled.complete, f"more kinds of page than MAX_PAGES ({MAX_PAGES}): raise it"
    assert crawled.broken == []
    paths = {urlsplit(url).path for url in crawled.pages}
    # The crawl reached the kinds of pages a person clicks through to.
    assert {"/", "/queries", "/queries/agency-profile", "/queries/agencies-sharing-levers", "/report"} <= paths
    assert any(p.startswith("/id/agency-") for p in paths)
    assert any(urlsplit(url).path == "/queries/agency-profile.rq" for url in crawled.resources)
    # The test client names each page's template: Chromium opens pages of these, and leaves these to other tests.
    assert {"home.html", "query_page.html", "agency.html", "report.html"} <= {
        crawled.templates[page] for page in crawled.to_open()}
    assert set(OPENED_BY) <= set(crawled.templates.values())


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_page_logs_an_error_and_its_scripts_links_work(shard: int, crawled: Crawl, client: TestClient,
                                                          site: str, browser: object) -> None:
    driver = browser
    pages = crawled.to_open()[shard::SHARDS]
    assert pages, "fewer pages than SHARDS: lower it"
    driver.get_log("browser")  # type: ignore[attr-defined]  # drop what earlier pages logged
    seen = Crawl(kinds=Counter(crawled.kinds))  # this item's own count: links its scripts add to new kinds
    console: list[tuple[str, str]] = []
    queue = deque(pages)
    while queue:
        address = queue.popleft()
        driver.get(site + address)  # type: ignore[attr-defined]
        console += [(address, entry["message"]) for entry in driver.get_log("browser")  # type: ignore[attr-defined]
                    if entry["level"] == "SEVERE"]
        for link in on_site(driver.execute_script(LINKS_SCRIPT), urlsplit(site).netloc):  # type: ignore[attr-defined]
            if follows(link, seen.kinds) and fetch(client, link, address, seen) is not None \
                    and seen.templates[link] not in OPENED_BY:
                queue.append(link)  # a kind only scripts lead to: opened here too
    assert console == []
    assert seen.broken == []


def test_a_catalogue_query_is_filled_in_run_paged_and_downloaded(site: str, browser: object, store: EmbeddedStore,
                                                                 catalogue: dict[str, QuerySpec]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    spec = catalogue["facts-below-sure"]
    likely = "kgid:confidence-likely"
    expected = _library_rows(store, spec, {"confidence": likely}, "en")
    assert len(expected) > 50, "the test needs an answer of more than two pages of 25"
    driver = browser
    driver.get_log("browser")  # type: ignore[attr-defined]  # drop what earlier pages logged
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
    answer = httpx2.get(href, headers=HTML)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert list(csv.DictReader(io.StringIO(answer.text))) == expected  # every row, not the page shown
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []  # type: ignore[attr-defined]


def _column(driver: object, index: int) -> list[str]:
    """The text of column ``index`` of the results, as shown (one script: a Selenium call per cell is a round trip)."""
    return driver.execute_script(  # type: ignore[attr-defined,no-any-return]
        "return [...document.querySelectorAll('#results-table tbody tr')]"
        ".map(row => row.querySelectorAll('td')[arguments[0]].innerText.replace(/\\s+/g, ' ').trim())", index)


def _library_rows(store: EmbeddedStore, spec: QuerySpec, raw: dict[str, str], lang: str) -> list[dict[str, str]]:
    result = run_query(store, spec, raw, lang)
    return [{k: "" if v is None else v.value for k, v in rec.items()} for rec in result.records()]
