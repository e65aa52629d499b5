"""Fixtures of the store tests: the built graph pushed once into the session's Oxigraph server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.store.push import PushReport, push_graph
from graph.store.remote import RemoteStore

from servers import Endpoint


@pytest.fixture(scope="session")
def pushes(oxigraph_endpoint: Endpoint, built_files: Path) -> list[tuple[PushReport, list[tuple[str, int, int]]]]:
    """Push the built graph twice: by SPARQL Update in small batches, then by the Graph Store Protocol."""
    results = []
    for options in ({"update_endpoint": oxigraph_endpoint.update, "batch_size": 300}, {}):
        calls: list[tuple[str, int, int]] = []
        report = push_graph(built_files / "graph.nq", oxigraph_endpoint.query,
                            progress=lambda g, done, total, calls=calls: calls.append((g, done, total)),
                            **options)  # type: ignore[arg-type]
        results.append((report, calls))
    return results


@pytest.fixture(scope="session")
def remote(pushes: list[tuple[PushReport, list[tuple[str, int, int]]]], oxigraph_endpoint: Endpoint) -> RemoteStore:
    """A RemoteStore over the server holding the built graph."""
    return RemoteStore(oxigraph_endpoint.query, timeout_s=10)


@pytest.fixture()
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])
