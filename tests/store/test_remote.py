"""RemoteStore against a real Oxigraph server (and Virtuoso): same rows as the embedded store."""

from __future__ import annotations

import socket
from pathlib import Path

import pyoxigraph as ox
import pytest
from store_support import graph_counts

from graph.build import BuiltGraph
from graph.config import default_settings
from graph.errors import EndpointError, QueryError, QueryRefused
from graph.queries import QuerySpec, bind_parameters
from graph.store import EmbeddedStore, QueryResult, Term
from graph.store.push import push_graph
from graph.store.remote import RemoteStore

from query_samples import parameter_cases, query_names
from servers import Endpoint, virtuoso_server

QUERY_NAMES = query_names(default_settings().queries_dir)
INJECTION = 'x" } ; DROP ALL #'


def sorted_rows(result: QueryResult) -> list[tuple[Term | None, ...]]:
    return sorted(result.rows, key=lambda row: tuple("" if t is None else str(t) for t in row))


@pytest.mark.server
def test_remote_counts_every_quad(remote: RemoteStore, built: BuiltGraph) -> None:
    assert len(remote) == len(built)


@pytest.fixture(scope="module")
def cases(catalogue: dict[str, QuerySpec], store: EmbeddedStore) -> dict[str, list[dict[str, str]]]:
    """Parameter sets for every catalogued query, from the shipped data."""
    return parameter_cases(catalogue, store)


@pytest.mark.server
@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("name", QUERY_NAMES)
def test_named_query_same_rows_remote_and_embedded(name: str, lang: str, remote: RemoteStore,
                                                   store: EmbeddedStore, catalogue: dict[str, QuerySpec],
                                                   cases: dict[str, list[dict[str, str]]]) -> None:
    spec = catalogue[name]
    if not cases[name]:
        pytest.skip("no value in the shipped data for a required parameter")
    for raw in cases[name]:
        bindings = bind_parameters(spec, raw, lang)
        here = store.query(spec.text, bindings)
        there = remote.query(spec.text, bindings)
        assert there.kind == here.kind
        assert there.variables == here.variables
        assert sorted_rows(there) == sorted_rows(here), raw
        assert there.boolean == here.boolean
        assert sorted(map(str, there.triples)) == sorted(map(str, here.triples))


@pytest.mark.server
@pytest.mark.parametrize("sparql", [
    "ASK { ?s a ?type }",
    "ASK { ?s ?p ?lang }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s a ?type ; ?p ?o } ORDER BY ?s ?p ?o LIMIT 50",
    "CONSTRUCT WHERE { ?s <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ?type }",
    "SELECT ?type (COUNT(*) AS ?n) WHERE { ?s a ?type } GROUP BY ?type",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
])
def test_ad_hoc_queries_same_remote_and_embedded(sparql: str, remote: RemoteStore, store: EmbeddedStore) -> None:
    bindings: dict[str, Term] = {"lang": ox.Literal("sv")} if "?lang" in sparql else {}
    here, there = store.query(sparql, bindings), remote.query(sparql, bindings)
    assert (there.kind, there.boolean, there.variables) == (here.kind, here.boolean, here.variables)
    assert sorted_rows(there) == sorted_rows(here)
    assert sorted(map(str, there.triples)) == sorted(map(str, here.triples))


@pytest.mark.server
def test_words_in_comments_do_not_turn_a_query_into_an_update(remote: RemoteStore, store: EmbeddedStore) -> None:
    sparql = ("# add, insert, drop: words that SPARQLWrapper's guess mistakes for updates\n"
              "#+ columns: [webAddress]\n#+ more: [x]\nSELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert remote.query(sparql).rows == store.query(sparql).rows


@pytest.mark.server
def test_injection_is_just_a_value(remote: RemoteStore, built: BuiltGraph) -> None:
    result = remote.query("SELECT ?s WHERE { ?s ?p ?value }", {"value": ox.Literal(INJECTION)})
    assert result.rows == []
    assert len(remote) == len(built)


@pytest.mark.server
def test_row_limit_applies_remotely(remote: RemoteStore) -> None:
    from graph.errors import QueryLimitExceeded

    with pytest.raises(QueryLimitExceeded, match="more than 3 results"):
        remote.query("SELECT * WHERE { ?s ?p ?o }", row_limit=3)


def test_syntax_error_is_found_locally_with_line_and_column(closed_url: str) -> None:
    with pytest.raises(QueryError) as caught:
        RemoteStore(closed_url).query("SELECT *\nWHERE { ?s ?p ?o }\nLIMT 3")
    assert (caught.value.line, caught.value.column) == (3, 7)
    assert str(caught.value).startswith("syntax error at line 3, column 7: expected")


@pytest.mark.parametrize("form", ["ASK", "SELECT *", "CONSTRUCT { ?s ?p ?o } WHERE"])
def test_service_is_refused_before_anything_is_contacted(form: str, store: EmbeddedStore, closed_url: str) -> None:
    with socket.socket() as service_socket:
        service_socket.bind(("127.0.0.1", 0))
        service_socket.listen(4)
        service_socket.setblocking(False)
        service = f"http://127.0.0.1:{service_socket.getsockname()[1]}/sparql"
        for silent in ("", "SILENT "):
            text = f"{form} {{ SERVICE {silent}<{service}> {{ ?s ?p ?o }} }}"
            with pytest.raises(QueryRefused, match="SERVICE calls are not allowed"):
                RemoteStore(closed_url, timeout_s=2).query(text)
            with pytest.raises(QueryRefused, match="SERVICE calls are not allowed"):
                store.query(text)
        with pytest.raises(BlockingIOError):
            service_socket.accept()  # nobody knocked


def test_updates_are_refused_before_sending(closed_url: str) -> None:
    with pytest.raises(QueryRefused, match="DROP is a SPARQL Update operation"):
        RemoteStore(closed_url).query("DROP ALL")


def test_closed_port_is_an_endpoint_error(closed_url: str) -> None:
    url = closed_url
    with pytest.raises(EndpointError, match=f"cannot reach the SPARQL endpoint {url}: .*refused.*Is the store running"):
        RemoteStore(url, timeout_s=2).query("ASK { ?s ?p ?o }")


def test_a_store_that_never_answers_times_out(silent_port: int) -> None:
    url = f"http://127.0.0.1:{silent_port}/query"
    with pytest.raises(EndpointError, match=f"{url} did not answer within 1 s.*--timeout"):
        RemoteStore(url, timeout_s=1).query("ASK { ?s ?p ?o }")


@pytest.mark.server
def test_wrong_query_url_says_so(oxigraph_endpoint: Endpoint) -> None:
    url = oxigraph_endpoint.base + "/no-such-service"
    with pytest.raises(EndpointError, match=f"no SPARQL endpoint at {url} \\(HTTP 404\\)"):
        RemoteStore(url).query("ASK { ?s ?p ?o }")


# --- a second store: Virtuoso Open Source 7 from Debian -----------------------------------------

VIRTUOSO_QUERIES = [
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
    "FILTER(STRSTARTS(STR(?g), 'https://w3id.org/mmr-kg/')) } GROUP BY ?g",
    "PREFIX kg: <https://w3id.org/mmr-kg/def/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    "SELECT ?agency ?label WHERE { ?agency a kg:Agency ; skos:prefLabel ?label FILTER(LANG(?label) = ?lang) }",
    "PREFIX kg: <https://w3id.org/mmr-kg/def/> "
    "SELECT ?tp ?agency ?kind ?lever WHERE { ?tp a kg:Touchpoint ; kg:agency ?agency ; "
    "kg:touchpointKind ?kind ; kg:lever ?lever }",
    "PREFIX kg: <https://w3id.org/mmr-kg/def/> ASK { ?tp a kg:Touchpoint ; kg:agency ?agency }",
]


@pytest.mark.server
def test_virtuoso_takes_the_push_and_answers_like_the_embedded_store(built_files: Path, built: BuiltGraph,
                                                                     store: EmbeddedStore) -> None:
    with virtuoso_server() as endpoint:
        report = push_graph(built_files / "graph.nq", endpoint.query, batch_size=1000)
        assert report.method == "update" and report.target == endpoint.update
        assert dict(report.graphs) == graph_counts(built)
        remote = RemoteStore(endpoint.query, timeout_s=20)
        bindings: dict[str, Term] = {"lang": ox.Literal("sv")}
        for sparql in VIRTUOSO_QUERIES:
            here, there = store.query(sparql, bindings), remote.query(sparql, bindings)
            assert (there.kind, there.boolean) == (here.kind, here.boolean)
            assert sorted_rows(there) == sorted_rows(here), sparql
            assert here.boolean or here.rows
