"""The query page's SPARQL editor (vendored YASGUI), prefix-less queries on /sparql, readable errors."""

from __future__ import annotations

import hashlib
import json
import re
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote, urlsplit

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from graph.api.http import EDITOR_POLICY
from graph.namespaces import PREFIXES
from graph.queries import QuerySpec
from graph.store import EmbeddedStore

from api_support import HTML, KG

VENDOR = Path(str(files("graph.api") / "static" / "vendor" / "yasgui"))
JSON_RESULTS = {"accept": "application/sparql-results+json"}
TOUCHPOINTS = "SELECT ?tp ?agency WHERE { ?tp a kg:Touchpoint ; kg:agency ?agency }"


def editor_data(page: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="editor-data">(.*?)</script>', page, re.DOTALL)
    assert found, "the page carries no editor data"
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_sparql_answers_a_query_without_prefix_lines(client: TestClient, store: EmbeddedStore) -> None:
    response = client.get("/sparql", params={"query": TOUCHPOINTS}, headers=JSON_RESULTS)
    assert response.status_code == 200
    expected = store.query(f"SELECT ?tp WHERE {{ ?tp a <{KG}Touchpoint> }}").rows
    assert len(response.json()["results"]["bindings"]) == len(expected) > 0


def test_the_query_s_own_prefix_line_wins_on_sparql(client: TestClient) -> None:
    query = "PREFIX kg: <http://example.org/mine#>\nSELECT ?t WHERE { BIND(kg:Touchpoint AS ?t) }"
    response = client.post("/sparql", content=query.encode(),
                           headers={"content-type": "application/sparql-query", **JSON_RESULTS})
    assert response.json()["results"]["bindings"][0]["t"]["value"] == "http://example.org/mine#Touchpoint"


def test_an_unknown_prefix_is_one_readable_line(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE {\n  ?s a foo:Bar }"})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "unknown prefix `foo:` at line 2, column 8 (declare it: PREFIX foo: <…>)"
    assert (body["line"], body["column"]) == (2, 8)


def test_a_syntax_error_says_line_column_and_what_was_expected(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE {\n  ?s ?p ?o\n}\nLIMIT x"})
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("syntax error at line 4, column 7: expected ") and message.endswith("found `x`")
    assert "\n" not in message and "\\u{" not in message


def test_the_editor_page_declares_prefixes_and_offers_the_catalogue(client: TestClient,
                                                                     catalogue: dict[str, QuerySpec]) -> None:
    response = client.get("/query", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == EDITOR_POLICY
    for name, iri in PREFIXES.items():
        assert f"<th><code>{name}:</code></th><td><code>{iri}</code></td>" in response.text
    data = editor_data(response.text)
    assert data["endpoint"] == "/sparql" and data["run"] is False and data["prefixes"] == PREFIXES
    examples = data["examples"]
    assert isinstance(examples, list) and [e["name"] for e in examples] == list(catalogue)
    for example in examples:
        assert example["summary"] == catalogue[example["name"]].summary
        ox.Store().query(example["text"], prefixes=PREFIXES)  # each example is a whole query
    sources = re.findall(r'<(?:script|link)[^>]* (?:src|href)="([^"]+)"', response.text)
    assert "/static/vendor/yasgui/yasgui.min.js" in sources and "/static/editor.js" in sources
    assert all(urlsplit(src).netloc == "" and src.startswith("/") for src in sources), sources


def test_query_fills_the_editor_and_runs_without_javascript(client: TestClient, store: EmbeddedStore) -> None:
    response = client.get("/query", params={"query": TOUCHPOINTS}, headers=HTML)
    assert response.status_code == 200
    data = editor_data(response.text)
    assert data["query"] == TOUCHPOINTS and data["run"] is True
    n = len(store.query(f"SELECT ?tp WHERE {{ ?tp a <{KG}Touchpoint> }}").rows)
    assert f'id="row-count">{n} ' in response.text.split("<noscript>", 1)[1]


def test_the_page_s_error_is_the_readable_line(client: TestClient) -> None:
    response = client.get("/query", params={"query": "SELECT * { ?s a nope:x }"}, headers=HTML)
    assert response.status_code == 400
    assert "unknown prefix `nope:` at line 1, column 17" in response.text


def test_the_vendored_editor_matches_its_recorded_checksums() -> None:
    recorded = dict(reversed(line.split(maxsplit=1)) for line in (VENDOR / "SHA256SUMS").read_text().splitlines())
    assert set(recorded) == {"yasgui.min.js", "yasgui.min.css", "LICENSE"}
    assert {p.name for p in VENDOR.iterdir()} == set(recorded) | {"SHA256SUMS"}
    for name, digest in recorded.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, f"{name} differs from SHA256SUMS"
    assert "MIT License" in (VENDOR / "LICENSE").read_text()


def test_the_vendored_editor_names_no_cdn() -> None:
    for name in ("yasgui.min.js", "yasgui.min.css"):
        text = (VENDOR / name).read_text(encoding="utf-8")
        for host in ("cdn.", "unpkg.com", "jsdelivr", "googleapis", "cdnjs", "fonts.gstatic"):
            assert host not in text, f"{name} names {host}"


def requested_urls(driver: object) -> list[str]:
    """The http(s) addresses the page asked for since the last call (the browser's own pages aside)."""
    urls = []
    for entry in driver.get_log("performance"):  # type: ignore[attr-defined]
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if url.startswith(("http:", "https:")):
                urls.append(url)
    return urls


@pytest.mark.server
@pytest.mark.browser
def test_the_editor_highlights_runs_pages_and_stays_on_the_server(site: str, browser: object,
                                                                  store: EmbeddedStore) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
    driver = browser
    wait = WebDriverWait(driver, 30)  # type: ignore[arg-type]
    driver.get_log("browser")  # type: ignore[attr-defined]
    requested_urls(driver)  # drop what earlier pages asked for
    driver.get(site + "/query")  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".CodeMirror-code .cm-keyword"))
    assert not driver.find_element(By.ID, "query-form").is_displayed()  # type: ignore[attr-defined]

    # A query without PREFIX lines: highlighted, not marked as an error, run, shown in a paged table.
    driver.execute_script("document.querySelector('.CodeMirror').CodeMirror.setValue(arguments[0])",  # type: ignore[attr-defined]
                          TOUCHPOINTS)
    # What the page shows is read in one script each: a Selenium call per element costs a round trip.
    kinds = set(driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.querySelectorAll('.CodeMirror-code span')].map(e => e.getAttribute('class'))"))
    assert {"cm-keyword", "cm-atom", "cm-string-2"} <= kinds  # keywords, variables, prefixed names
    assert driver.find_elements(By.CSS_SELECTOR, ".parseErrorIcon") == []  # type: ignore[attr-defined]
    driver.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()  # type: ignore[attr-defined]
    rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#yasr table.dataTable tbody tr"))
    total = len(store.query(f"SELECT ?tp WHERE {{ ?tp a <{KG}Touchpoint> }}").rows)
    assert total > 50 and len(rows) == 50  # the first page
    info = driver.find_element(By.CSS_SELECTOR, "#yasr .dt-info, #yasr .dataTables_info")  # type: ignore[attr-defined]
    assert f"of {total} " in info.text
    links = driver.execute_script("return [...document.querySelectorAll('#yasr a.iri')].map(a => a.href)")  # type: ignore[attr-defined]
    assert links and all(href.startswith(site + "/resource?iri=https%3A%2F%2Fw3id.org%2Fmmr-kg%2Fid%2F")
                         for href in links)
    header = driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.querySelectorAll('#yasr table.dataTable thead th')].find(th => th.innerText.trim() === 'agency')")
    header.click()  # sortable
    wait.until(lambda d: header.get_attribute("aria-sort") in ("ascending", "descending"))
    driver.find_element(By.CSS_SELECTOR, "#yasr .dt-paging-button.next, #yasr .paginate_button.next").click()  # type: ignore[attr-defined]
    wait.until(lambda d: "51 to 100" in d.find_element(By.CSS_SELECTOR, "#yasr .dt-info, #yasr .dataTables_info").text)

    # The catalogue's queries are examples.
    data = editor_data(driver.page_source)  # type: ignore[attr-defined]
    first = data["examples"][0]  # type: ignore[index]
    Select(driver.find_element(By.ID, "example")).select_by_value(first["name"])  # type: ignore[attr-defined]
    value = driver.execute_script("return document.querySelector('.CodeMirror').CodeMirror.getValue()")  # type: ignore[attr-defined]
    assert value == first["text"]

    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]  # type: ignore[attr-defined]
    assert errors == []
    requested = requested_urls(driver)
    assert site + "/sparql" in requested and site + "/static/vendor/yasgui/yasgui.min.js" in requested
    assert all(url.startswith(site + "/") for url in requested), requested


@pytest.mark.server
@pytest.mark.browser
def test_query_in_the_address_fills_the_editor_and_shows_readable_errors(site: str, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    driver = browser
    wait = WebDriverWait(driver, 30)  # type: ignore[arg-type]
    requested_urls(driver)  # drop what earlier pages asked for
    driver.get(site + "/query?query=" + quote("ASK { ?a a kg:Agency }"))  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#yasr .booleanResult"))
    assert "true" in driver.find_element(By.CSS_SELECTOR, "#yasr .booleanResult").text.lower()  # type: ignore[attr-defined]

    driver.get(site + "/query?query=" + quote("SELECT * WHERE {\n  ?s a foo:Bar }"))  # type: ignore[attr-defined]
    shown = wait.until(lambda d: d.find_elements(By.ID, "editor-error"))
    assert shown[0].text == "unknown prefix `foo:` at line 2, column 8 (declare it: PREFIX foo: <…>)"
    assert all(url.startswith(site + "/") for url in requested_urls(driver))
