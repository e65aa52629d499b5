"""Pick the store a command works on, and read a whole store back as one Oxigraph dataset."""

from __future__ import annotations

import logging
from pathlib import Path

import pyoxigraph as ox

from graph.build import build_graph, load_built_graph
from graph.config import Settings
from graph.store.embedded import EmbeddedStore, GraphStore

log = logging.getLogger(__name__)

#: Where ``kg build`` writes the graph, and where reading commands look for it first.
DEFAULT_GRAPH_FILE = Path("dist/graph.nq")
_ALL_QUADS = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"


def open_store(settings: Settings, endpoint: str | None = None,
               graph_file: Path | None = None) -> tuple[GraphStore, str]:
    """Return the store a reading command works on, and a few words saying what it is.

    ``endpoint`` wins (asked with ``settings.query_timeout_s`` per request); else
    ``graph_file`` (or ``dist/graph.nq`` when it exists); else the graph is built in memory
    from the sources of ``settings``.

    Raises:
        BuildError: ``graph_file`` was given but cannot be loaded, or a source cannot be parsed.
    """
    if endpoint:
        from graph.store.remote import RemoteStore  # SPARQLWrapper: only when asking a remote store

        return RemoteStore(endpoint, timeout_s=settings.query_timeout_s), endpoint
    path = graph_file or DEFAULT_GRAPH_FILE
    if graph_file is not None or path.exists():
        log.info("querying %s", path)
        return EmbeddedStore(load_built_graph(path)), str(path)
    log.info("no %s; building the graph in memory from the shipped sources", path)
    return EmbeddedStore(build_graph(settings).store), "the shipped sources (built in memory)"


def dataset_of(store: GraphStore) -> ox.Store:
    """Return every quad of ``store`` as a pyoxigraph store: the embedded one itself, or a copy.

    A remote store is copied with one query (no row limit), so validation and dumps work on
    any store.
    """
    if isinstance(store, EmbeddedStore):
        return store.store
    result = store.query(_ALL_QUADS)
    copy = ox.Store()
    copy.extend(ox.Quad(s, p, o, g) for g, s, p, o in result.rows)  # type: ignore[arg-type]
    return copy
