"""The embedded store: answers are freed in the thread that made them."""

from __future__ import annotations

import gc
import sys
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox
import pytest

from graph.store import EmbeddedStore

# The text mentions "service", so the refusal check parses it with rdflib (pyparsing), which
# leaves cyclic garbage whose frames reach the caller's.
QUERY = """PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>
CONSTRUCT { ?service a sd:Service . ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5"""


@pytest.mark.parametrize("sparql", [QUERY, QUERY.replace("CONSTRUCT { ?service a sd:Service . ?s ?p ?o }", "SELECT *")])
def test_no_pyoxigraph_result_is_left_for_another_thread(store: EmbeddedStore, sparql: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # Found while reading the fuzz test's warnings: the answer sat in a frame that the parser's
    # garbage kept alive, so the main thread's collector freed it, which pyoxigraph refuses.
    dropped: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda info: dropped.append(str(info.exc_value)))
    gc.collect()
    with ThreadPoolExecutor(1) as worker:
        result = worker.submit(store.query, sparql, {"service": ox.NamedNode("http://t/sparql")}).result()
    assert result.triples or result.rows
    gc.collect()
    assert dropped == []
