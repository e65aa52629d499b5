"""Tables the build derives from the graph, so that queries read them instead of recomputing.

The built graph never changes while it is served, so what several catalogue queries would
group, count or walk on every request is computed once, at build time, by the ``CONSTRUCT``
queries in ``queries/derived/``, and kept in a named graph of its own (:data:`DERIVED_GRAPH`):
it says nothing a source does not, and the facts it shortens stay where they were.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from graph.config import default_settings
from graph.namespaces import GRAPH_BASE, PREFIXES
from graph.queries import load_query

DERIVED_GRAPH = ox.NamedNode(GRAPH_BASE + "derived")


def derived_dir(queries_dir: Path | None = None) -> Path:
    """Return the folder of the derivation queries: ``derived/`` in the query catalogue."""
    return (queries_dir or default_settings().queries_dir) / "derived"


def derive(store: ox.Store, queries_dir: Path | None = None) -> list[ox.Quad]:
    """Return the quads of :data:`DERIVED_GRAPH` for what ``store`` holds, without its own graph.

    Each derivation query runs over the union of the other graphs, so deriving again from a
    store that already holds a derived graph gives the same quads.

    Example:
        >>> store = ox.Store()
        >>> derive(store)
        []
    """
    graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [
        g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g != DERIVED_GRAPH]
    quads: list[ox.Quad] = []
    for path in sorted(derived_dir(queries_dir).glob("*.rq")):
        answer = store.query(load_query(path).text, prefixes=PREFIXES, default_graph=graphs)
        assert isinstance(answer, ox.QueryTriples), f"{path.name} must be a CONSTRUCT query"
        quads.extend(ox.Quad(t.subject, t.predicate, t.object, DERIVED_GRAPH) for t in answer)
    return quads
