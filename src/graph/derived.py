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
    """Return the quads of :data:`DERIVED_GRAPH` for what ``store`` holds.

    Each derivation query runs over the union of the store's graphs and reads only terms the
    sources state, never a derived one, so deriving again from a store that already holds a
    derived graph gives the same quads. (Naming every other graph as the default graph instead
    would make the store look up each pattern in each graph: minutes at 1M triples in 2,000 graphs.)

    Example:
        >>> store = ox.Store()
        >>> derive(store)
        []
    """
    quads: list[ox.Quad] = []
    for path in sorted(derived_dir(queries_dir).glob("*.rq")):
        answer = store.query(load_query(path).text, prefixes=PREFIXES, use_default_graph_as_union=True)
        assert isinstance(answer, ox.QueryTriples), f"{path.name} must be a CONSTRUCT query"
        quads.extend(ox.Quad(t.subject, t.predicate, t.object, DERIVED_GRAPH) for t in answer)
    return quads
