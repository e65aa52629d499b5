"""push_graph against a real Oxigraph server: both ways of loading, the count check, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_support import graph_counts

from graph.build import BuiltGraph
from graph.errors import BuildError, EndpointError
from graph.store.push import PushReport, push_graph, verify_counts
from graph.store.remote import RemoteStore

from servers import Endpoint


@pytest.mark.server
def test_push_by_update_then_graph_store(pushes: list[tuple[PushReport, list[tuple[str, int, int]]]],
                                         built: BuiltGraph, oxigraph_endpoint: Endpoint) -> None:
    expected = graph_counts(built)
    (by_update, update_calls), (by_gsp, gsp_calls) = pushes
    assert by_update.method == "update" and by_update.target == oxigraph_endpoint.update
    assert by_gsp.method == "graph-store" and by_gsp.target == oxigraph_endpoint.graph_store
    for report, calls in pushes:
        assert dict(report.graphs) == expected
        assert report.triples == len(built)
        done = [c[1] for c in calls]
        assert done == sorted(done) and done[-1] == len(built)
        assert {c[0] for c in calls} == set(expected)
    assert len(update_calls) > len(gsp_calls)


@pytest.mark.server
def test_verify_counts_names_the_graph_that_differs(remote: RemoteStore, built: BuiltGraph) -> None:
    graph, count = next(iter(graph_counts(built).items()))
    with pytest.raises(EndpointError, match=f"<{graph}> holds {count}, expected {count + 1}"):
        verify_counts(remote, {graph: count + 1})


def test_push_to_a_closed_port_is_an_endpoint_error(built_files: Path, closed_url: str) -> None:
    url = closed_url
    with pytest.raises(EndpointError, match=r"cannot reach the SPARQL endpoint http://127\.0\.0\.1:\d+/query: "
                                            r".*Is the store running.*Nothing was written"):
        push_graph(built_files / "graph.nq", url, timeout_s=2)


def test_a_push_that_never_gets_an_answer_times_out(silent_port: int, built_files: Path) -> None:
    url = f"http://127.0.0.1:{silent_port}/sparql"
    with pytest.raises(EndpointError, match=f"{url} did not answer within 0.3 s.*Nothing was written"):
        push_graph(built_files / "graph.nq", url, timeout_s=0.3)


def test_push_needs_the_built_graph(tmp_path: Path, closed_url: str) -> None:
    with pytest.raises(BuildError, match="Run 'kg build' first"):
        push_graph(tmp_path / "graph.nq", closed_url)


@pytest.mark.server
def test_refused_update_shows_the_stores_answer(oxigraph_endpoint: Endpoint, built_files: Path) -> None:
    with pytest.raises(EndpointError, match=f"{oxigraph_endpoint.query} refused the update of graph <.*> with "
                                            "HTTP 400: .*query must be set"):
        push_graph(built_files / "graph.nq", oxigraph_endpoint.query, update_endpoint=oxigraph_endpoint.query)


@pytest.mark.server
def test_refused_graph_store_request_shows_the_status(oxigraph_endpoint: Endpoint, built_files: Path) -> None:
    url = oxigraph_endpoint.base + "/no-such-service"
    with pytest.raises(EndpointError, match=f"{url} refused graph <.*> with HTTP 404.*check .*--graph-store"):
        push_graph(built_files / "graph.nq", oxigraph_endpoint.query, graph_store=url)
