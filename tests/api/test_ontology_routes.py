"""``/def/`` and ``/ontology/``: the ontology's pages, and every ``kg:`` term IRI dereferenced."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx2
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from graph.api.http import PAGE_POLICY
from graph.config import Settings
from graph.namespaces import KG
from graph.ontology_docs import OntologyModule, read_modules

from api_support import HTML

TURTLE = {"accept": "text/turtle"}
JSONLD = {"accept": "application/ld+json"}
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


@pytest.fixture(scope="module")
def modules(settings: Settings) -> list[OntologyModule]:
    return read_modules(settings.ontology_dir)


def _triples(answer: httpx2.Response, fmt: ox.RdfFormat) -> set[ox.Triple]:
    return {quad.triple for quad in ox.parse(answer.content, format=fmt)}


def test_the_index_is_a_page_listing_every_module(client: TestClient, modules: list[OntologyModule]) -> None:
    answer = client.get("/def/", headers=HTML)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == PAGE_POLICY
    for module in modules:
        assert f'href="/ontology/{module.name}"' in answer.text
    assert 'href="/def/"' in client.get("/", headers=HTML).text  # the menu


def test_each_module_page_is_html_and_its_turtle_is_the_modules_file(client: TestClient,
                                                                    modules: list[OntologyModule]) -> None:
    for module in modules:
        page = client.get(f"/ontology/{module.name}", headers=HTML)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), module.name
        assert 'href="/ontology/pylode.css"' in page.text
        turtle = client.get(f"/ontology/{module.name}", headers=TURTLE)
        assert turtle.headers["content-type"].startswith("text/turtle")
        assert _triples(turtle, ox.RdfFormat.TURTLE) == {q.triple for q in ox.parse(path=module.path)}, module.name
    assert client.get("/ontology/pylode.css").headers["content-type"].startswith("text/css")


def test_def_of_a_module_name_leads_to_the_module_unless_a_term_has_that_name(
        client: TestClient, modules: list[OntologyModule]) -> None:
    homes = {term: m.name for m in modules for term in m.terms}
    assert homes["measure"] == "agreements"  # kg:measure, a property; measure is also a module
    for module in modules:
        answer = client.get(f"/def/{module.name}", headers=HTML, follow_redirects=False)
        assert answer.status_code == 303
        expected = f"/ontology/{homes[module.name]}#{module.name}" if module.name in homes else f"/ontology/{module.name}"
        assert answer.headers["location"] == expected


def test_touchpoint_answers_turtle_and_json_ld_with_its_label(client: TestClient) -> None:
    turtle = client.get("/def/Touchpoint", headers=TURTLE)
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    assert "Accept" in turtle.headers["vary"]
    triples = _triples(turtle, ox.RdfFormat.TURTLE)
    touchpoint = ox.NamedNode(KG + "Touchpoint")
    assert ox.Triple(touchpoint, LABEL, ox.Literal("touchpoint", language="en")) in triples
    assert {t.subject for t in triples} == {touchpoint}
    jsonld = client.get("/def/Touchpoint", headers=JSONLD)
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    assert _triples(jsonld, ox.RdfFormat.JSON_LD) == triples


def test_every_term_dereferences_for_programs_and_for_browsers(client: TestClient,
                                                               modules: list[OntologyModule]) -> None:
    pages: dict[str, str] = {}
    for module in modules:
        for term in module.terms:
            data = client.get(f"/def/{term}", headers=TURTLE)
            assert data.status_code == 200, term
            assert {t.subject.value for t in _triples(data, ox.RdfFormat.TURTLE)} == {KG + term}
            seen = client.get(f"/def/{term}", headers=HTML, follow_redirects=False)
            assert seen.status_code == 303, term
            path, _, anchor = seen.headers["location"].partition("#")
            assert (path, anchor) == (f"/ontology/{module.name}", term)
            if path not in pages:
                pages[path] = client.get(path, headers=HTML).text
            assert f' id="{anchor}"' in pages[path], term


def test_an_unknown_term_is_404_and_an_unacceptable_type_406(client: TestClient) -> None:
    missing = client.get("/def/NoSuchTerm", headers=TURTLE)
    assert missing.status_code == 404
    assert "defines no term kg:NoSuchTerm" in missing.json()["message"]
    assert client.get("/def/NoSuchTerm", headers=HTML).status_code == 404
    refused = client.get("/def/Touchpoint", headers={"accept": "image/png"})
    assert refused.status_code == 406
    message = refused.json()["message"]
    assert all(offer in message for offer in ("text/html", "text/turtle", "application/ld+json"))
    assert client.get("/ontology/nothing", headers=TURTLE).status_code == 404
    assert "only version" in client.get("/ontology/0.0.1/core", headers=TURTLE).json()["message"]


def test_answers_carry_validators_and_come_back_304(client: TestClient) -> None:
    for headers in (TURTLE, HTML):
        path = "/def/Touchpoint" if headers is TURTLE else "/ontology/touchpoints"
        first = client.get(path, headers=headers)
        assert first.headers["cache-control"].startswith("public, max-age=")
        assert "Accept" in first.headers["vary"]
        again = client.get(path, headers={**headers, "if-none-match": first.headers["etag"]})
        assert again.status_code == 304


def test_the_version_iri_and_the_resource_page_lead_to_the_docs(client: TestClient, settings: Settings) -> None:
    assert client.get(f"/ontology/{settings.version}/core", headers=HTML).status_code == 200
    page = client.get("/resource", params={"iri": "kg:Touchpoint"}, headers=HTML).text
    assert 'href="/def/Touchpoint"' in page


def test_every_link_on_the_served_pages_answers(client: TestClient, modules: list[OntologyModule]) -> None:
    paths = ["/def/", *(f"/ontology/{m.name}" for m in modules)]
    links = {href for path in paths
             for href in re.findall(r'href="(/[^"#]*)', client.get(path, headers=HTML).text)}
    failing = [(href, status) for href in sorted(links)
               if (status := client.get(href, headers=HTML).status_code) >= 400]
    assert failing == []


@pytest.mark.server
@pytest.mark.browser
def test_browser_shows_a_term_in_its_module_page_without_console_errors(site: str, browser: object) -> None:
    from selenium.webdriver.common.by import By
    driver = browser
    driver.get_log("browser")  # type: ignore[attr-defined]  # drop what earlier pages logged
    driver.get(site + "/def/Touchpoint")  # type: ignore[attr-defined]
    assert urlsplit(driver.current_url).path == "/ontology/touchpoints"  # type: ignore[attr-defined]
    assert urlsplit(driver.current_url).fragment == "Touchpoint"  # type: ignore[attr-defined]
    assert driver.find_element(By.ID, "Touchpoint").is_displayed()  # type: ignore[attr-defined]
    sheets = driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.styleSheets].map(s => s.href).join(' ')")
    assert "/ontology/pylode.css" in sheets
    driver.get(site + "/def/")  # type: ignore[attr-defined]
    assert driver.find_elements(By.CSS_SELECTOR, "#modules h3 a")  # type: ignore[attr-defined]
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]  # type: ignore[attr-defined]
    assert errors == []
