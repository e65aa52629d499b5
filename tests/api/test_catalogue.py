"""The query catalogue as REST: listing, running, 422s naming the parameter, paging, negotiation, OpenAPI."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from graph.api.routes.catalogue import Page
from graph.formats import RESULT_FORMATS
from graph.queries import QuerySpec, run_query
from graph.store import EmbeddedStore

from api_support import HTML, KGID

NAME = "agency-touchpoints"


def expected(store: EmbeddedStore, spec: QuerySpec, raw: dict[str, str] | None = None,
             lang: str = "sv") -> list[dict[str, str | None]]:
    result = run_query(store, spec, raw or {}, lang)
    return [{k: (None if v is None else v.value) for k, v in rec.items()} for rec in result.records()]


def test_catalogue_lists_every_query(client: TestClient, catalogue: dict[str, QuerySpec]) -> None:
    body = client.get("/queries").json()
    assert [q["name"] for q in body] == list(catalogue)
    entry = next(q for q in body if q["name"] == NAME)
    assert entry["columns"] == list(catalogue[NAME].columns)
    assert [p["name"] for p in entry["parameters"]] == [p.name for p in catalogue[NAME].params]
    assert entry["href"] == f"/queries/{NAME}"
    assert client.get(entry["sparql"]).text == catalogue[NAME].text


def test_run_with_parameter(client: TestClient, store: EmbeddedStore, catalogue: dict[str, QuerySpec],
                            agency: str) -> None:
    short = "kgid:" + agency.removeprefix(KGID)
    body = client.get(f"/queries/{NAME}", params={"agency": short, "lang": "en"}).json()
    assert body["rows"] == expected(store, catalogue[NAME], {"agency": agency}, "en")[:100]
    assert body["rows"] and {r["agency"] for r in body["rows"]} == {agency}
    assert body["columns"] == list(catalogue[NAME].columns)


def test_pages_are_stable_and_cover_all_rows(client: TestClient, store: EmbeddedStore,
                                             catalogue: dict[str, QuerySpec]) -> None:
    everything = expected(store, catalogue[NAME])
    pages, offset, size = [], 0, max(1, len(everything) // 3)
    while True:
        response = client.get(f"/queries/{NAME}", params={"limit": size, "offset": offset})
        body = response.json()
        assert body["total"] == len(everything) == int(response.headers["x-total-count"])
        pages += body["rows"]
        if body["next"] is None:
            break
        assert response.headers["link"].endswith('rel="next"')
        offset += size
    assert pages == everything
    again = client.get(f"/queries/{NAME}", params={"limit": size, "offset": size}).json()["rows"]
    assert again == everything[size:2 * size]


def test_a_page_is_what_its_schema_says_in_the_schema_s_order(client: TestClient, agency: str) -> None:
    body = client.get(f"/queries/{NAME}", params={"agency": agency, "limit": 3}).json()
    assert Page.model_validate(body).model_dump() == body
    assert list(body) == list(Page.model_fields)


def test_the_same_question_in_another_parameter_order_gets_the_same_bytes_and_tag(client: TestClient,
                                                                                 agency: str) -> None:
    # The ETag depends on what a request means, not on how its parameters are ordered: so must the body.
    one = client.get(f"/queries/{NAME}?agency={agency}&lang=en&limit=2&offset=1")
    two = client.get(f"/queries/{NAME}?offset=1&limit=2&lang=en&agency={agency}")
    assert one.status_code == two.status_code == 200
    assert one.content == two.content and one.headers["etag"] == two.headers["etag"]
    assert one.json()["next"].endswith(f"?agency={quote(agency, safe='')}&lang=en&limit=2&offset=3")


@pytest.mark.parametrize(("params", "parameter"), [
    ({"agency": "not an iri"}, "agency"),
    ({"agency": "javascript:alert(1)"}, "agency"),
    ({"lang": "de"}, "lang"),
    ({"limit": "-1"}, "limit"),
    ({"offset": "many"}, "offset"),
])
def test_bad_parameter_is_422_naming_it(client: TestClient, params: dict[str, str], parameter: str) -> None:
    response = client.get(f"/queries/{NAME}", params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["parameter"] == parameter
    assert parameter in body["message"]


def test_injection_is_bound_as_a_term_not_pasted(client: TestClient) -> None:
    response = client.get(f"/queries/{NAME}", params={"agency": "https://x.org/a> } ?s ?p ?o { <b"})
    assert response.status_code == 422


@pytest.mark.parametrize(("accept", "media"), [
    ("text/csv", "text/csv"), ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("*/*", "application/json"), ("application/json", "application/json"),
])
def test_negotiated_output(client: TestClient, accept: str, media: str) -> None:
    response = client.get(f"/queries/{NAME}", params={"limit": 3}, headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media


def test_csv_page_matches_the_library(client: TestClient, store: EmbeddedStore,
                                      catalogue: dict[str, QuerySpec]) -> None:
    rows = list(csv.DictReader(io.StringIO(client.get(f"/queries/{NAME}", params={"limit": 2, "offset": 1},
                                                      headers={"accept": "text/csv"}).text)))
    assert [r["agency"] for r in rows] == [r["agency"] for r in expected(store, catalogue[NAME])[1:3]]


def test_unknown_query_is_404(client: TestClient) -> None:
    response = client.get("/queries/no-such-query")
    assert response.status_code == 404 and "GET /queries" in response.json()["message"]


def test_openapi_has_one_operation_per_query(client: TestClient, catalogue: dict[str, QuerySpec]) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for spec in catalogue.values():
        operation = paths[f"/queries/{spec.name}"]["get"]
        names = {p["name"] for p in operation["parameters"]}
        assert {p.name for p in spec.params} | {"lang", "limit", "offset", "format"} == names
        assert operation["summary"] == spec.summary
        fmt = next(p for p in operation["parameters"] if p["name"] == "format")
        assert fmt["schema"]["enum"] == list(RESULT_FORMATS) and "Accept" in fmt["description"]


@pytest.mark.parametrize("name", list(RESULT_FORMATS))
def test_format_overrides_accept(client: TestClient, name: str) -> None:
    response = client.get(f"/queries/{NAME}", params={"limit": 3, "format": name},
                          headers={"accept": "text/html,application/json;q=0.9"})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == RESULT_FORMATS[name].media_type
    assert int(response.headers["x-total-count"]) > 3


def test_csv_format_matches_the_library(client: TestClient, store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    text = client.get(f"/queries/{NAME}", params={"limit": 4, "offset": 2, "format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["agency"] for r in rows] == [r["agency"] for r in expected(store, catalogue[NAME])[2:6]]


@pytest.mark.parametrize("value", ["yaml", "CSV", ""])
def test_unknown_format_is_400_naming_the_formats(client: TestClient, value: str) -> None:
    response = client.get(f"/queries/{NAME}", params={"format": value})
    assert response.status_code == 400
    body = response.json()
    assert body["parameter"] == "format"
    assert all(name in body["message"] for name in RESULT_FORMATS)


@pytest.mark.parametrize(("accept", "media"), [
    (HTML["accept"], "text/plain"), ("text/plain", "text/plain"), ("*/*", "application/sparql-query"),
    ("application/sparql-query", "application/sparql-query"), (None, "application/sparql-query"),
])
def test_rq_text_is_shown_to_browsers(client: TestClient, catalogue: dict[str, QuerySpec], accept: str | None,
                                      media: str) -> None:
    response = client.get(f"/queries/{NAME}.rq", headers={} if accept is None else {"accept": accept})
    assert response.headers["content-type"] == f"{media}; charset=utf-8"
    assert response.text == catalogue[NAME].text and "accept" in response.headers["vary"].lower()


def test_an_empty_page_carries_the_querys_note(client: TestClient) -> None:
    empty = client.get("/queries/council-members", params={"date": "2025-01-01"}, headers={"accept": "application/json"})
    assert empty.status_code == 200 and empty.json()["total"] == 0
    assert empty.json()["note"].startswith("No membership in the data covers this date.")
    full = client.get("/queries/council-members", params={"date": "2019-06-01"}, headers={"accept": "application/json"})
    assert full.json()["total"] > 0 and full.json()["note"] is None


def test_an_empty_page_names_a_parameter_that_names_nothing(client: TestClient) -> None:
    json = {"accept": "application/json"}
    typo = client.get("/queries/agency-touchpoints", params={"agency": "kgid:agency-naturvardsverke"}, headers=json)
    assert typo.status_code == 200 and typo.json()["total"] == 0
    assert typo.json()["note"] == ("agency kgid:agency-naturvardsverke names nothing in the graph. "
                                   "Did you mean kgid:agency-naturvardsverket?")
    known = client.get("/queries/agency-touchpoints", params={"agency": "kgid:agency-naturvardsverket"}, headers=json)
    assert known.json()["total"] > 0 and known.json()["note"] is None


def test_an_empty_page_says_a_parameter_is_retired(client: TestClient) -> None:
    retired = client.get("/queries/agencies-lacking-kind", params={"kind": "kgid:kind-objective-reached-by-criteria"},
                         headers={"accept": "application/json"})
    assert retired.status_code == 200 and retired.json()["total"] == 0
    assert retired.json()["note"].startswith("kind kgid:kind-objective-reached-by-criteria is retired (owl:deprecated): "
                                             "nothing replaces it. History: Retired in 0.2.0:")
