"""HTTP as clients expect it: HEAD, OPTIONS and CORS, security headers, Vary, the configured address."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from graph.api import create_app
from graph.api.http import PAGE_POLICY
from graph.config import Settings
from graph.store import EmbeddedStore

from api_support import HTML, KGID

GETS = ["/", "/health", "/sparql?query=ASK%7B%7D", "/queries", "/queries/council-chairs", "/report",
        "/static/style.css", "/export/graph.nq"]


@pytest.mark.parametrize("path", GETS)
def test_head_answers_wherever_get_does_without_a_body(client: TestClient, path: str) -> None:
    get, head = client.get(path), client.head(path)
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


@pytest.mark.parametrize(("path", "allow"), [
    ("/sparql", "GET, HEAD, POST, OPTIONS"),
    ("/health", "GET, HEAD, OPTIONS"),
    ("/queries/council-chairs", "GET, HEAD, OPTIONS"),
    ("/static/app.js", "GET, HEAD, OPTIONS"),
])
def test_options_tells_the_true_allow(client: TestClient, path: str, allow: str) -> None:
    response = client.options(path)
    assert response.status_code == 204
    assert response.headers["allow"] == allow


def test_options_on_nothing_is_404(client: TestClient) -> None:
    assert client.options("/nothing-here").status_code == 404


def test_a_refused_method_names_the_methods_that_work(client: TestClient) -> None:
    response = client.delete("/health")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.json()["message"] == "DELETE is not allowed here. Use GET, HEAD, OPTIONS."


def test_cors_preflight_and_simple_requests(client: TestClient) -> None:
    preflight = client.options("/sparql", headers={"origin": "https://example.org",
                                                   "access-control-request-method": "POST",
                                                   "access-control-request-headers": "content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    simple = client.get("/sparql", params={"query": "ASK {}"}, headers={"origin": "https://example.org"})
    assert simple.headers["access-control-allow-origin"] == "*"


@pytest.fixture(scope="module")
def closed_client(store: EmbeddedStore, settings: Settings) -> Iterator[TestClient]:
    closed = dataclasses.replace(settings, cors_origins=("https://analysts.example",),
                                 public_url="https://graph.example/kg")
    with TestClient(create_app(store, closed)) as test_client:
        yield test_client


def test_cors_origins_are_configurable(closed_client: TestClient) -> None:
    allowed = closed_client.get("/health", headers={"origin": "https://analysts.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://analysts.example"
    other = closed_client.get("/health", headers={"origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers


def test_the_public_address_comes_from_configuration_not_the_host_header(closed_client: TestClient) -> None:
    forged = {"host": "attacker.example", "accept": "text/turtle"}
    description = closed_client.get("/sparql", headers=forged)
    assert "attacker.example" not in description.text
    assert "<https://graph.example/kg/sparql>" in description.text
    page = closed_client.get("/queries/agency-touchpoints", params={"limit": 1}, headers={"host": "attacker.example"})
    assert page.headers["link"].startswith("<https://graph.example/kg/queries/agency-touchpoints?")
    assert page.json()["next"].startswith("https://graph.example/kg/")


def test_every_answer_says_nosniff_and_pages_carry_a_policy(client: TestClient) -> None:
    for path in ("/", "/health", "/nothing-here"):
        assert client.get(path, headers=HTML).headers["x-content-type-options"] == "nosniff"
    page = client.get("/", headers=HTML)
    assert page.headers["content-security-policy"] == PAGE_POLICY
    assert "frame-ancestors 'none'" in PAGE_POLICY
    assert "content-security-policy" not in client.get("/health").headers


def test_negotiated_entity_pages_vary_on_accept(client: TestClient, agency: str) -> None:
    local = agency.removeprefix(KGID)
    for accept in (HTML, {"accept": "text/turtle"}):
        response = client.get(f"/id/{local}", headers=accept)
        assert response.status_code == 200
        assert "Accept" in [v.strip() for v in response.headers["vary"].split(",")]
    assert "Accept" in client.get("/sparql", headers=HTML, follow_redirects=False).headers["vary"]
