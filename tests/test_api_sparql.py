"""The /sparql endpoint against the W3C SPARQL 1.1 Protocol test cases, plus limits and refusals.

Test names mirror the W3C protocol suite (w3c/rdf-tests, sparql11/protocol; kasei's validator):
query_get, query_post_form, query_post_direct, query_dataset_*, query_content_type_*,
bad_query_method, bad_multiple_queries, bad_query_wrong_media_type, bad_query_missing_form_type,
bad_query_missing_direct_type, bad_query_non_utf8, bad_query_syntax, bad_update_get.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import threading
import time
from collections.abc import Iterator
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api_support import HTML, KG
from graph.api import create_app
from graph.config import Settings
from graph.store import EmbeddedStore

ASK = "ASK { ?s ?p ?o }"
SELECT = f"SELECT ?a WHERE {{ ?a a <{KG}Agency> }} ORDER BY ?a"
FORM = {"content-type": "application/x-www-form-urlencoded"}
DIRECT = {"content-type": "application/sparql-query"}
JSON_RESULTS = "application/sparql-results+json"


def agencies(store: EmbeddedStore) -> list[str]:
    return [t.value for t in store.query(SELECT).column("a")]  # type: ignore[union-attr]


def bindings(body: bytes, var: str) -> list[str]:
    return [b[var]["value"] for b in json.loads(body)["results"]["bindings"]]


# --- positive W3C cases -------------------------------------------------------------------

def test_query_get(client: TestClient, store: EmbeddedStore) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"accept": JSON_RESULTS})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(JSON_RESULTS)
    assert bindings(response.content, "a") == agencies(store)


def test_query_post_form(client: TestClient, store: EmbeddedStore) -> None:
    response = client.post("/sparql", content=f"query={ASK}", headers={**FORM, "accept": JSON_RESULTS})
    assert response.status_code == 200
    assert json.loads(response.content)["boolean"] is True


def test_query_post_direct(client: TestClient, store: EmbeddedStore) -> None:
    response = client.post("/sparql", content=SELECT.encode(), headers={**DIRECT, "accept": JSON_RESULTS})
    assert response.status_code == 200
    assert bindings(response.content, "a") == agencies(store)


def _graphs(store: EmbeddedStore) -> list[str]:
    rows = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g").rows
    return [row[0].value for row in rows]  # type: ignore[union-attr]


COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _count_in(store: EmbeddedStore, graphs: list[str]) -> int:
    result = store.query(COUNT, default_graph=[ox.NamedNode(g) for g in graphs])
    return int(result.rows[0][0].value)  # type: ignore[union-attr]


def test_query_dataset_default_graphs_get(client: TestClient, store: EmbeddedStore) -> None:
    graphs = _graphs(store)[:2]
    response = client.get("/sparql", params=[("query", COUNT)] + [("default-graph-uri", g) for g in graphs])
    assert response.status_code == 200
    assert int(bindings(response.content, "n")[0]) == _count_in(store, graphs)
    assert _count_in(store, graphs) < len(store)


def test_query_dataset_default_graphs_post(client: TestClient, store: EmbeddedStore) -> None:
    graph = _graphs(store)[0]
    body = f"query={COUNT}&default-graph-uri={graph}"
    response = client.post("/sparql", content=body, headers=FORM)
    assert int(bindings(response.content, "n")[0]) == _count_in(store, [graph])


def test_query_dataset_named_graphs_get(client: TestClient, store: EmbeddedStore) -> None:
    graph = _graphs(store)[-1]
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = client.get("/sparql", params={"query": query, "named-graph-uri": graph})
    assert bindings(response.content, "g") == [graph]


def test_query_dataset_named_graphs_post_direct(client: TestClient, store: EmbeddedStore) -> None:
    first, second = _graphs(store)[:2]
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    response = client.post(f"/sparql?named-graph-uri={first}&named-graph-uri={second}",
                           content=query.encode(), headers=DIRECT)
    assert bindings(response.content, "g") == [first, second]


def test_query_dataset_full(client: TestClient, store: EmbeddedStore) -> None:
    first, second = _graphs(store)[:2]
    query = "SELECT (COUNT(*) AS ?n) ?g WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } GROUP BY ?g"
    response = client.get("/sparql", params={"query": query, "default-graph-uri": first, "named-graph-uri": second})
    counts = {b.get("g", {}).get("value"): int(b["n"]["value"])
              for b in json.loads(response.content)["results"]["bindings"]}
    assert counts == {None: _count_in(store, [first]), second: _count_in(store, [second])}


@pytest.mark.parametrize(("query", "accept", "media"), [
    (SELECT, "application/sparql-results+xml", "application/sparql-results+xml"),
    (SELECT, "text/csv", "text/csv"),
    (SELECT, "text/tab-separated-values", "text/tab-separated-values"),
    (ASK, "application/sparql-results+json", "application/sparql-results+json"),
    (ASK, "application/sparql-results+xml", "application/sparql-results+xml"),
    ("DESCRIBE <https://w3id.org/mmr-kg/def/Touchpoint>", "application/rdf+xml", "application/rdf+xml"),
    ("CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 5", "text/turtle", "text/turtle"),
    ("CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 5", "application/n-triples", "application/n-triples"),
    ("CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 5", "application/ld+json", "application/ld+json"),
], ids=["select-xml", "select-csv", "select-tsv", "ask-json", "ask-xml", "describe-rdfxml",
        "construct-turtle", "construct-ntriples", "construct-jsonld"])
def test_query_content_type(client: TestClient, query: str, accept: str, media: str) -> None:
    response = client.get("/sparql", params={"query": query}, headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    assert response.headers["vary"] == "Accept"
    if media.endswith("+xml") and "sparql" in media:
        assert ElementTree.fromstring(response.content).tag.endswith("sparql")
    if media in ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"):
        fmt = ox.RdfFormat.from_media_type(media)
        assert list(ox.parse(response.content, format=fmt))


@pytest.mark.parametrize(("accept", "media"), [
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("*/*", "application/sparql-results+json"),
    ("text/*", "text/csv"),
    ("application/json, text/tab-separated-values;q=0.1", "text/tab-separated-values"),
    ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
    ("", "application/sparql-results+json"),
])
def test_negotiation_honours_q_values(client: TestClient, accept: str, media: str) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"accept": accept})
    assert response.headers["content-type"].split(";")[0] == media


def test_csv_results_are_utf8_with_swedish_labels(client: TestClient, store: EmbeddedStore) -> None:
    query = f'SELECT ?l WHERE {{ ?a a <{KG}Agency> ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?l ' \
            'FILTER(LANG(?l) = "sv") } ORDER BY ?l'
    expected = [t.value for t in store.query(query).column("l")]  # type: ignore[union-attr]
    response = client.get("/sparql", params={"query": query}, headers={"accept": "text/csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert [r[0] for r in rows[1:]] == expected
    assert response.headers["content-type"] == "text/csv; charset=utf-8"


def test_not_acceptable(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": ASK}, headers={"accept": "image/png"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.json()["message"]


# --- negative W3C cases -------------------------------------------------------------------

@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_bad_query_method(client: TestClient, method: str) -> None:
    response = client.request(method, "/sparql", params={"query": ASK})
    assert response.status_code == 405
    assert "GET" in response.headers["allow"] and "POST" in response.headers["allow"]
    assert method in response.json()["message"]


def test_bad_multiple_queries(client: TestClient) -> None:
    response = client.get("/sparql", params=[("query", ASK), ("query", SELECT)])
    assert response.status_code == 400
    assert response.json()["message"] == "'query' was given 2 times; send exactly one query."


def test_bad_multiple_queries_form(client: TestClient) -> None:
    response = client.post("/sparql", content="query=ASK%7B%7D&query=ASK%7B%7D", headers=FORM)
    assert response.status_code == 400


def test_bad_query_wrong_media_type(client: TestClient) -> None:
    response = client.post("/sparql", content=b"ASK {}", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert "text/plain" in response.json()["message"]


def test_bad_query_missing_form_type(client: TestClient) -> None:
    response = client.post("/sparql", content=b"query=ASK%20%7B%7D")
    assert response.status_code == 415
    assert "no Content-Type" in response.json()["message"]


def test_bad_query_missing_direct_type(client: TestClient) -> None:
    response = client.post("/sparql", content=b"ASK {}")
    assert response.status_code == 415


def test_bad_query_non_utf8(client: TestClient) -> None:
    response = client.post("/sparql", content="ASK {}".encode("utf-16"),
                           headers={"content-type": "application/sparql-query; charset=UTF-16"})
    assert response.status_code == 415
    undeclared = client.post("/sparql", content="ASK {}".encode("utf-16"), headers=DIRECT)
    assert undeclared.status_code == 400
    assert "UTF-8" in undeclared.json()["message"]


def test_bad_query_syntax(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE {\n  ?s ?p \n"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "QueryError" and body["line"] == 3


def test_bad_query_missing(client: TestClient) -> None:
    response = client.post("/sparql", content=b"", headers=FORM)
    assert response.status_code == 400
    assert response.json()["parameter"] == "query"
    assert client.get("/sparql", params={"default-graph-uri": "http://example.org/g"}).status_code == 400


@pytest.mark.parametrize("text", [
    "INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }",
    "PREFIX ex: <http://e/> DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "CLEAR ALL",
])
def test_updates_are_refused(client: TestClient, store: EmbeddedStore, text: str) -> None:
    before = len(store)
    for response in (client.get("/sparql", params={"query": text}),
                     client.post("/sparql", content=text.encode(), headers=DIRECT)):
        assert response.status_code == 403
        assert "read-only" in response.json()["message"]
    assert len(store) == before


def test_bad_update_get(client: TestClient) -> None:
    response = client.get("/sparql", params={"update": "CLEAR ALL"})
    assert response.status_code == 403


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <http://example.org/sparql> { ?s ?p ?o } }",
    "select * where { service <http://127.0.0.1:1/> { ?s ?p ?o } }",
])
def test_service_is_refused(client: TestClient, text: str) -> None:
    response = client.get("/sparql", params={"query": text})
    assert response.status_code == 403
    assert "SERVICE" in response.json()["message"]


def test_service_inside_a_string_is_not_a_service_call(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": 'ASK { FILTER("SERVICE" != "x") } # SERVICE'})
    assert response.status_code == 200


def test_bad_graph_iri(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": ASK, "default-graph-uri": "not an iri"})
    assert response.status_code == 400
    assert response.json()["parameter"] == "default-graph-uri"


# --- service description ------------------------------------------------------------------

def test_service_description_at_endpoint_root(client: TestClient, store: EmbeddedStore) -> None:
    response = client.get("/sparql", headers={"accept": "text/turtle"})
    assert response.status_code == 200
    graph = ox.Store()
    graph.load(response.content, format=ox.RdfFormat.TURTLE)
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert graph.query(f"ASK {{ ?s a <{sd}Service> ; <{sd}endpoint> <http://testserver/sparql> ;"
                       f" <{sd}supportedLanguage> <{sd}SPARQL11Query> ;"
                       f" <{sd}resultFormat> <http://www.w3.org/ns/formats/SPARQL_Results_TSV> }}")
    triples = store.query("SELECT ?n WHERE { GRAPH <https://w3id.org/mmr-kg/graph/meta> "
                              "{ <https://w3id.org/mmr-kg/id/dataset> <http://rdfs.org/ns/void#triples> ?n } }")
    served = graph.query("SELECT ?n WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
                         "<http://rdfs.org/ns/void#triples> ?n }")
    assert [r["n"] for r in served] == triples.column("n")


def test_service_description_sends_browsers_to_the_query_page(client: TestClient) -> None:
    response = client.get("/sparql", headers=HTML, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/query"


# --- limits -------------------------------------------------------------------------------

# A fixed amount of work (4000 × 4000 rows, a few seconds), so that the tests' timing does not grow
# with the data: a plain cross join of all triples grew fourfold when the graph doubled (issue 8).
SLOW = ("SELECT (COUNT(*) AS ?n) WHERE { { SELECT ?a WHERE { ?a ?b ?c } LIMIT 4000 } "
        "{ SELECT ?d WHERE { ?d ?e ?f } LIMIT 4000 } }")


@pytest.fixture(scope="module")
def strict_client(store: EmbeddedStore, settings: Settings) -> Iterator[TestClient]:
    tight = dataclasses.replace(settings, query_timeout_s=0.3, query_row_limit=20)
    with TestClient(create_app(store, tight), raise_server_exceptions=False) as test_client:
        yield test_client


def test_row_limit(strict_client: TestClient) -> None:
    response = strict_client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 400
    assert "more than 20 results" in response.json()["message"]


def test_time_limit_answers_503_and_keeps_serving(strict_client: TestClient) -> None:
    answers: dict[str, float] = {}

    def health() -> None:
        time.sleep(0.05)
        started = time.monotonic()
        assert strict_client.get("/health").status_code == 200
        answers["health"] = time.monotonic() - started

    other = threading.Thread(target=health)
    other.start()
    started = time.monotonic()
    response = strict_client.get("/sparql", params={"query": SLOW})
    elapsed = time.monotonic() - started
    other.join()
    assert response.status_code == 503
    assert "time limit of 0.3 s" in response.json()["message"]
    assert response.headers["retry-after"]
    assert elapsed < 2.0
    assert answers["health"] < 0.5


def test_runaway_queries_fill_only_the_adhoc_pool(strict_client: TestClient) -> None:
    # Found in review: pyoxigraph cannot cancel a query, so runaway queries kept their workers
    # after the 503 and, with one shared pool, could starve every route. Two slow queries
    # (1-2 s of work each, 0.3 s limit) now fill only the two ad-hoc slots.
    slow_answers: list[int] = []
    runners = [threading.Thread(target=lambda: slow_answers.append(
        strict_client.get("/sparql", params={"query": SLOW}).status_code)) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    assert slow_answers == [503, 503]
    busy = strict_client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert busy.status_code == 503 and "busy" in busy.json()["message"]
    assert strict_client.get("/health").status_code == 200
    assert strict_client.get("/queries/council-chairs").status_code == 200
    deadline = time.monotonic() + 30
    while strict_client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code != 200:
        assert time.monotonic() < deadline, "the ad-hoc slots were never released"
        time.sleep(0.1)


def test_oversized_body_is_413(client: TestClient) -> None:
    body = b"ASK { ?s ?p ?o } #" + b"x" * 1_000_001
    response = client.post("/sparql", content=body, headers={"content-type": "application/sparql-query"})
    assert response.status_code == 413
    assert "larger than" in response.json()["message"]


@pytest.mark.parametrize(("path", "params"), [
    ("/sparql", {"query": "ASK { ?s ?p ?o }", "default-graph-uri": "http://x/%zz"}),
    ("/queries/agency-touchpoints", {"agency": "https://x/%zz"}),
])
def test_malformed_iris_are_4xx_not_500(client: TestClient, path: str, params: dict[str, str]) -> None:
    response = client.get(path, params=params)
    assert response.status_code in (400, 422)
    assert "IRI" in response.json()["message"]


def test_head_is_not_advertised_when_refusing_a_method(client: TestClient) -> None:
    response = client.put("/sparql?query=ASK%7B%7D")
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"
