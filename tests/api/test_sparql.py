"""The /sparql endpoint against the W3C SPARQL 1.1 Protocol test cases, plus limits and refusals.

Test names mirror the W3C protocol suite (w3c/rdf-tests, sparql11/protocol; kasei's validator):
query_get, query_post_form, query_post_direct, query_dataset_*, query_content_type_*,
bad_query_method, bad_multiple_queries, bad_query_wrong_media_type, bad_query_missing_form_type,
bad_query_missing_direct_type, bad_query_non_utf8, bad_query_syntax, bad_update_get.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from graph.api import create_app
from graph.config import Settings
from graph.store import EmbeddedStore
from graph.store.sandbox import WorkerPool

from api_support import HTML, KG, scripted_answer

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
    assert "Accept" in [v.strip() for v in response.headers["vary"].split(",")]
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
    assert body["error"] == "QuerySyntaxError" and body["line"] == 3


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

def test_service_description_at_endpoint_root(client: TestClient, store: EmbeddedStore, settings: Settings) -> None:
    response = client.get("/sparql", headers={"accept": "text/turtle"})
    assert response.status_code == 200
    graph = ox.Store()
    graph.load(response.content, format=ox.RdfFormat.TURTLE)
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert graph.query(f"ASK {{ ?s a <{sd}Service> ; <{sd}endpoint> <{settings.query_base_iri}> ;"
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

#: A query that runs for hours: a 4-way cross product of the whole graph, counted.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def strict_client(store: EmbeddedStore, settings: Settings) -> Iterator[TestClient]:
    tight = dataclasses.replace(settings, query_timeout_s=0.3, query_row_limit=20, sandbox_workers=1)
    with TestClient(create_app(store, tight), raise_server_exceptions=False) as test_client:
        yield test_client


@contextmanager
def sandboxed(store: EmbeddedStore, settings: Settings, *, timeout_s: float = 10.0, workers: int = 1,
              queue: int = 64) -> Iterator[tuple[TestClient, WorkerPool]]:
    """An app whose sandbox answers with :func:`api_support.scripted_answer`."""
    tight = dataclasses.replace(settings, query_timeout_s=timeout_s)
    pool = WorkerPool(store.store, size=workers, queue_limit=queue, answer=scripted_answer)
    with TestClient(create_app(store, tight, sandbox=pool), raise_server_exceptions=False) as client:
        yield client, pool


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait until ``condition()`` holds, checking every 10 ms (a bound on tries, not a speed test)."""
    for _ in range(6_000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def in_thread(client: TestClient, query: str, answers: list[Response]) -> threading.Thread:
    thread = threading.Thread(target=lambda: answers.append(client.get("/sparql", params={"query": query})))
    thread.start()
    return thread


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_row_limit(strict_client: TestClient) -> None:
    response = strict_client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 400
    assert "more than 20 results" in response.json()["message"]


def test_time_limit_kills_the_query_and_keeps_serving(store: EmbeddedStore, settings: Settings) -> None:
    with sandboxed(store, settings, timeout_s=1.0) as (client, pool):
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200  # the pool starts
        [runner] = pool.stats().pids
        answers: list[Response] = []
        slow = in_thread(client, RUNAWAY, answers)
        wait_for(lambda: pool.stats().busy == 1, "the runaway query reached a worker")
        assert client.get("/health").status_code == 200
        assert client.get("/queries/council-chairs").status_code == 200
        slow.join()
        [response] = answers
        assert response.status_code == 503
        assert "time limit of 1 s and was stopped" in response.json()["message"]
        assert response.headers["retry-after"]
        wait_for(lambda: runner not in pool.stats().pids, "the runaway worker was replaced")
        assert not alive(runner), "the worker that ran past the limit is still running"
        wait_for(lambda: pool.stats().idle == 1, "the replacement worker is ready")
        assert client.get("/sparql", params={"query": "ASK {}"}).json()["boolean"] is True


def test_after_four_runaway_queries_the_endpoint_answers(store: EmbeddedStore, settings: Settings) -> None:
    with sandboxed(store, settings, timeout_s=0.5, workers=2) as (client, pool):
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200  # the pool starts
        first = pool.stats().pids
        answers: list[Response] = []
        for runner in [in_thread(client, RUNAWAY, answers) for _ in range(4)]:
            runner.join()
        assert [r.status_code for r in answers] == [503] * 4
        wait_for(lambda: pool.stats().idle == 2, "both workers are free again")
        assert pool.stats().restarts >= 2 and not any(alive(pid) for pid in first)
        response = client.get("/sparql", params={"query": "ASK {}"})
        assert response.status_code == 200 and response.json()["boolean"] is True


def test_requests_wait_for_a_worker_and_a_full_queue_is_503(store: EmbeddedStore, settings: Settings,
                                                            tmp_path: Path) -> None:
    gate = tmp_path / "open"
    with sandboxed(store, settings, timeout_s=120, workers=1, queue=1) as (client, pool):
        answers: list[Response] = []
        held = in_thread(client, f"ASK {{}} # GATE {gate}", answers)
        wait_for(lambda: pool.stats().busy == 1, "the gated query holds the worker")
        queued = in_thread(client, "ASK { ?s ?p ?o }", answers)
        wait_for(lambda: pool.stats().waiting == 1, "the second query waits in the queue")
        refused = client.get("/sparql", params={"query": "ASK {}"})
        assert refused.status_code == 503 and refused.headers["retry-after"]
        assert "1 requests are already waiting" in refused.json()["message"]
        gate.touch()
        held.join()
        queued.join()
        assert sorted(r.status_code for r in answers) == [200, 200]


def test_a_query_that_kills_its_worker_costs_only_that_query(store: EmbeddedStore, settings: Settings) -> None:
    with sandboxed(store, settings) as (client, pool):
        response = client.get("/sparql", params={"query": "ASK {} # CRASH"})
        assert response.status_code == 400
        assert response.json()["error"] == "QueryCrashed" and "SIGSEGV" in response.json()["message"]
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
        assert pool.stats().restarts == 1


def test_many_concurrent_small_queries_all_answer(client: TestClient) -> None:
    statuses: list[int] = []

    def ask(n: int) -> None:
        for i in range(15):
            query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s a ?c }} LIMIT {n * 15 + i + 1}"
            statuses.append(client.get("/sparql", params={"query": query}).status_code)

    clients = [threading.Thread(target=ask, args=(n,)) for n in range(12)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    assert statuses == [200] * 180


def test_relative_iris_resolve_against_the_endpoint(client: TestClient, settings: Settings) -> None:
    response = client.get("/sparql", params={"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"},
                          headers={"accept": "application/n-triples"})
    assert response.status_code == 200
    base = settings.public_url.rstrip("/")
    assert response.text.strip() == f'<{base}/s> <{base}/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .'


@pytest.mark.parametrize("spelling", [
    "SERVICE <{url}> {{ ?s ?p ?o }}",
    "service SILENT <{url}> {{ ?s ?p ?o }}",
    "SeRvIcE <{url}> {{ ?s ?p ?o }}",
    "SERVICE#comment\n<{url}> {{ ?s ?p ?o }}",
    "SERVICE <{escaped}> {{ ?s ?p ?o }}",
    "OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "{{ SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
])
def test_no_service_spelling_reaches_a_listener(client: TestClient, spelling: str) -> None:
    # pyoxigraph really calls a SERVICE out: the refusal is the only thing between a request
    # and an outbound connection (SSRF). The listener is bound here, so nothing else is on it.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        escaped = url.replace("sparql", "\\u0073parql")
        query = "SELECT * WHERE { " + spelling.format(url=url, escaped=escaped) + " }"
        response = client.get("/sparql", params={"query": query})
        assert response.status_code == 403, response.text
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_the_listener_would_see_an_unguarded_service_call() -> None:
    # The control for the test above: without the guard, pyoxigraph connects out.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        caller = threading.Thread(target=_unguarded_service_call, args=(url,), daemon=True)
        caller.start()
        listener.settimeout(60)
        connection, _ = listener.accept()
        connection.close()


def _unguarded_service_call(url: str) -> None:
    with contextlib.suppress(OSError, SyntaxError, RuntimeError):
        list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"))  # type: ignore[call-overload]


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


def test_a_refused_method_is_told_every_method_the_path_takes(client: TestClient) -> None:
    response = client.put("/sparql?query=ASK%7B%7D")
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD, POST, OPTIONS"
