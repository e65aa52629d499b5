"""A push that tells the truth: checked before writing, honest when it stops, and a store whose
default graph hides the named graphs is named, with the fix for that server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.build import BuiltGraph
from graph.cli import main
from graph.errors import EndpointError
from graph.store.push import push_graph
from graph.store.remote import RemoteStore, union_default_graph_problem

from servers import oxigraph_server


class FlakyStore(BaseHTTPRequestHandler):
    """A store whose query endpoint answers and whose graph store takes ``accept`` writes, then fails."""

    accept = 3
    writes: list[int] = []

    def do_GET(self) -> None:
        self._reply(200, json.dumps({"head": {}, "boolean": True}).encode(), "application/sparql-results+json")

    def do_PUT(self) -> None:
        self._write()

    def do_POST(self) -> None:
        if self.path.startswith("/query"):
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.do_GET()
        else:
            self._write()

    def do_HEAD(self) -> None:
        self._reply(200 if self.path.startswith("/store") else 404, b"", "text/plain")

    def _write(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if len(self.writes) < self.accept:
            self.writes.append(1)
            self._reply(204, b"", "text/plain")
        else:
            self._reply(500, b"disk full", "text/plain")

    def _reply(self, status: int, body: bytes, media: str) -> None:
        self.send_response(status)
        self.send_header("content-type", media)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def flaky() -> Iterator[str]:
    FlakyStore.writes = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyStore)  # bound here: no port race
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_push_that_stops_midway_says_what_was_written_and_how_to_recover(flaky: str, built_files: Path) -> None:
    with pytest.raises(EndpointError) as error:
        push_graph(built_files / "graph.nq", flaky + "/query", graph_store=flaky + "/store", batch_size=200)
    message = str(error.value)
    assert "HTTP 500: disk full" in message
    assert "Before it, " in message and "graphs complete" in message
    assert "push again" in message and "each graph is replaced whole" in message
    assert len(FlakyStore.writes) == FlakyStore.accept


@pytest.mark.server
def test_a_missing_query_endpoint_is_found_before_anything_is_written(built_files: Path) -> None:
    with oxigraph_server() as endpoint:
        with pytest.raises(EndpointError, match=r"no SPARQL endpoint at .*/nothing.*Nothing was written"):
            push_graph(built_files / "graph.nq", endpoint.base + "/nothing", graph_store=endpoint.graph_store)
        assert len(RemoteStore(endpoint.query)) == 0


#: The named graphs ``kg query council-chairs`` reads: pushing these (~1 200 triples, not the whole
#: graph's ~13 000) is enough to show what a store's default graph hides.
COUNCIL_GRAPHS = {f"https://w3id.org/mmr-kg/graph/data/{name}" for name in ("council", "citations", "periods", "agencies")}


@pytest.fixture(scope="module")
def council_file(built: BuiltGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built graph file holding only the named graphs of the council's memberships."""
    path = tmp_path_factory.mktemp("council") / "graph.nq"
    quads = [q for q in built.store if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in COUNCIL_GRAPHS]
    assert {q.graph_name.value for q in quads} == COUNCIL_GRAPHS  # type: ignore[union-attr]
    ox.serialize(quads, output=str(path), format=ox.RdfFormat.N_QUADS)
    return path


@pytest.mark.server
def test_a_store_whose_default_graph_hides_the_named_graphs_is_named_with_its_fix(
        council_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with oxigraph_server(union_default_graph=False) as endpoint:
        report = push_graph(council_file, endpoint.query)
        assert report.default_graph_problem is not None
        assert "default graph is empty" in report.default_graph_problem
        assert "Oxigraph/" in report.default_graph_problem and "--union-default-graph" in report.default_graph_problem
        assert main(["query", "council-chairs", "--endpoint", endpoint.query]) == 0
        out, err = capsys.readouterr()
        assert "(0 rows)" in out and "--union-default-graph" in err
    with oxigraph_server() as union:
        assert push_graph(council_file, union.query).default_graph_problem is None
        assert union_default_graph_problem(RemoteStore(union.query)) is None
        assert main(["query", "council-chairs", "--endpoint", union.query]) == 0
        out, err = capsys.readouterr()
        assert "(0 rows)" not in out and "warning" not in err
