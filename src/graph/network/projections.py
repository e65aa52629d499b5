"""Network projections of the graph: SPARQL rows turned into a networkx graph.

Each projection is a SPARQL file in ``queries/network/`` whose header says how to read it::

    #+ directed: false                      # nx.Graph or nx.DiGraph
    #+ nodes: [agency, lever]               # node types always included ("all" for every type)
    #+ routes: [responsible, touchpoints]   # optional: ?route values become int edge attributes
    #+ joined: [kinds]                      # optional: "; "-joined lists, sorted for stable output
    #+ left: [agency]                       # optional: draw in two columns, these types on the left
    #+ columns: [source, target, weight, kinds]

Rows give ``?source ?target ?weight`` and edge attributes; a query that uses labels reads
``?lang`` (bound like every parameter, see :func:`graph.store.sparql_text.inline_bindings`; a projected
``?lang`` column is dropped). ``queries/network/nodes.rq`` gives
every node's label (in the chosen language), type and notation. Node ids are IRIs. Every
attribute is a ``str``, ``int`` or ``float`` and every node (edge) has the same keys, so each
export format can hold them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cache
from pathlib import Path

import networkx as nx
import pyoxigraph as ox

from graph.config import default_settings
from graph.errors import NetworkError
from graph.namespaces import DATASET_IRI
from graph.network.layout import add_layout
from graph.network.measures import Attr, add_measures
from graph.queries import LANGUAGES, QuerySpec, load_query
from graph.store import GraphStore, Term
from graph.store.sparql_text import tokens

log = logging.getLogger(__name__)

NODES_QUERY = "nodes"
NODE_ATTRIBUTES = ("label", "type", "typeLabel", "class", "notation")
_DATASET_VERSION = (f"SELECT ?version WHERE {{ GRAPH ?g {{ <{DATASET_IRI}> <http://www.w3.org/ns/dcat#version> "
                    "?version } } ORDER BY ?version LIMIT 1")


def network_dir(queries_dir: Path | None = None) -> Path:
    """Return the folder of projection queries (``queries/network``)."""
    return (queries_dir or default_settings().queries_dir) / "network"


@cache
def _load_specs(folder: Path) -> dict[str, QuerySpec]:
    return {p.stem: load_query(p) for p in sorted(folder.glob("*.rq"))}


def list_projections(queries_dir: Path | None = None) -> dict[str, QuerySpec]:
    """Return the projection queries by name (every ``queries/network/*.rq`` but ``nodes``).

    >>> sorted(list_projections())[:2]
    ['agency-agency', 'agency-lever']
    """
    specs = _load_specs(network_dir(queries_dir))
    return {name: spec for name, spec in specs.items() if name != NODES_QUERY}


def projection_spec(projection: str, queries_dir: Path | None = None) -> QuerySpec:
    """Return the query of ``projection``.

    Raises:
        NetworkError: no such projection; the message lists the valid ones.
    """
    projections = list_projections(queries_dir)
    if projection not in projections:
        raise NetworkError(f"unknown projection {projection!r}. Use one of: {', '.join(projections)}.")
    return projections[projection]


def build_network(store: GraphStore, projection: str, lang: str = LANGUAGES[0], *,
                  queries_dir: Path | None = None) -> nx.Graph:
    """Run a projection on ``store`` and return it as a networkx graph with measures.

    Args:
        store: the graph to read.
        projection: a name from :func:`list_projections` (``agency-lever`` …).
        lang: language of labels, ``sv`` or ``en`` (falling back to English).
        queries_dir: the query catalogue (default: the shipped one).

    Returns:
        ``nx.Graph`` or ``nx.DiGraph`` keyed by IRI; node attributes ``label``, ``type``,
        ``typeLabel``, ``class``, ``notation``, the :data:`MEASURES` and the position ``x``, ``y``
        (see :mod:`graph.network.layout`); graph attributes name the projection, language, methods,
        modularity, the dataset's version (``datasetVersion``, '' when the graph has none) and
        ``contentDigest`` (SHA-256 of the nodes, edges and their attributes: equal digests, equal networks).

    Raises:
        NetworkError: unknown projection or language.

    Example:
        >>> from graph import EmbeddedStore, build_graph, default_settings
        >>> g = build_network(EmbeddedStore(build_graph(default_settings()).store), "agency-lever")
        >>> {d["type"] for _, d in g.nodes(data=True)} <= {"agency", "agency-collective", "lever"}
        True
    """
    if lang not in LANGUAGES:
        raise NetworkError(f"unknown language {lang!r}. Use one of: {', '.join(LANGUAGES)}.")
    spec = projection_spec(projection, queries_dir)
    bindings: dict[str, Term] = {"lang": ox.Literal(lang)}
    nodes = _node_table(store, bindings, queries_dir)
    directed = bool(spec.extra.get("directed", False))
    graph: nx.Graph = nx.DiGraph() if directed else nx.Graph()
    graph.graph.update(projection=projection, lang=lang, description=spec.description,
                       directed=int(directed))
    left = _header_list(spec, "left")
    if left:
        graph.graph.update(layout="bipartite", leftTypes="; ".join(left))
    every = spec.extra.get("nodes") == "all"
    wanted = set() if every else set(_header_list(spec, "nodes"))
    for iri, attrs in nodes.items():
        if every or attrs["type"] in wanted:
            graph.add_node(iri, **attrs)
    for (source, target), attrs in _edge_table(store, spec, bindings).items():
        for iri in (source, target):
            if iri not in graph:
                graph.add_node(iri, **nodes.get(iri, _unknown_node(iri)))
        graph.add_edge(source, target, **attrs)
    add_measures(graph)
    add_layout(graph)
    graph.graph.update(datasetVersion=_dataset_version(store), contentDigest=content_digest(graph))
    log.info("projection %s: %d nodes, %d edges", projection, graph.number_of_nodes(),
             graph.number_of_edges())
    return graph


def content_digest(graph: nx.Graph) -> str:
    """Return the SHA-256 of the nodes, edges and their attributes, in a canonical order.

    >>> content_digest(nx.Graph([("a", "b")])) == content_digest(nx.Graph([("b", "a")]))
    True
    """
    def edge(source: str, target: str) -> list[str]:
        return [source, target] if graph.is_directed() else sorted((source, target))

    canonical = {
        "directed": graph.is_directed(),
        "nodes": sorted([str(n), d] for n, d in graph.nodes(data=True)),
        "edges": sorted([*edge(str(s), str(t)), d] for s, t, d in graph.edges(data=True)),
    }
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _dataset_version(store: GraphStore) -> str:
    """Return the ``dcat:version`` of the dataset in the store's metadata graph, or '' without one."""
    rows = list(store.query(_DATASET_VERSION, {}).records())
    return str(_value(rows[0]["version"])) if rows else ""


def _node_table(store: GraphStore, bindings: dict[str, Term],
                queries_dir: Path | None) -> dict[str, dict[str, Attr]]:
    spec = _load_specs(network_dir(queries_dir))[NODES_QUERY]
    table: dict[str, dict[str, Attr]] = {}
    for row in _run(store, spec, bindings):
        iri = _value(row["node"])
        if iri in table:
            continue
        attrs: dict[str, Attr] = {name: str(_value(row[name])) for name in NODE_ATTRIBUTES}
        attrs["label"] = attrs["label"] or _local_name(str(iri))
        attrs["class"] = _local_name(str(attrs["class"]))
        table[str(iri)] = attrs
    return table


def _run(store: GraphStore, spec: QuerySpec, bindings: dict[str, Term]) -> list[dict[str, Term | None]]:
    """Run ``spec`` with the bindings its text uses, and drop ``?lang`` from the rows."""
    mentioned = {t.text[1:] for t in tokens(spec.text) if t.kind == "var"}
    used = {name: term for name, term in bindings.items() if name in mentioned}
    rows = list(store.query(spec.text, used).records())
    for row in rows:
        row.pop("lang", None)
    return rows


def _header_list(spec: QuerySpec, key: str) -> list[str]:
    """Return the header entry ``key`` of a projection as a list of strings (empty when absent).

    Raises:
        NetworkError: the entry is not a list.
    """
    value = spec.extra.get(key, [])
    if not isinstance(value, list):
        raise NetworkError(f"{spec.path}: '{key}' must be a list, such as '{key}: [a, b]'.")
    return [str(item) for item in value]


def _unknown_node(iri: str) -> dict[str, Attr]:
    return {"label": _local_name(iri), "type": "other", "typeLabel": "other", "class": "", "notation": ""}


def _edge_table(store: GraphStore, spec: QuerySpec,
                bindings: dict[str, Term]) -> dict[tuple[str, str], dict[str, Attr]]:
    """Merge rows into one attribute dict per edge: ints add up, strings join as sorted sets."""
    routes = _header_list(spec, "routes")
    joined = set(_header_list(spec, "joined"))
    directed = bool(spec.extra.get("directed", False))
    edges: dict[tuple[str, str], dict[str, Attr]] = {}
    texts: dict[tuple[str, str], dict[str, set[str]]] = {}
    for row in _run(store, spec, bindings):
        source, target = str(_value(row.pop("source"))), str(_value(row.pop("target")))
        key = (source, target) if directed else (min(source, target), max(source, target))
        edge = edges.setdefault(key, {"weight": 0, **dict.fromkeys(routes, 0)})
        weight = int(_value(row.pop("weight")) or 0)
        edge["weight"] = int(edge["weight"]) + weight
        route = row.pop("route", None)
        if route is not None:
            edge[str(_value(route))] = weight
        for name, term in row.items():
            value = _value(term)
            if isinstance(value, str):
                parts = value.split("; ") if name in joined else [value]
                texts.setdefault(key, {}).setdefault(name, set()).update(p for p in parts if p)
            else:
                edge[name] = value + edge.get(name, 0)  # type: ignore[operator]
    for key, columns in texts.items():
        for name, values in columns.items():
            edges[key][name] = "; ".join(sorted(values))
    if routes:
        for edge in edges.values():
            edge["routes"] = "; ".join(r for r in routes if edge[r])
    return edges


def _value(term: Term | None) -> Attr:
    """Turn an RDF term into a plain scalar: IRI or string → str, numbers → int/float, unbound → ''."""
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        kind = term.datatype.value.rsplit("#", 1)[-1]
        if kind in {"integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger"}:
            return int(term.value)
        if kind in {"decimal", "double", "float"}:
            return float(term.value)
    return term.value


def _local_name(iri: str) -> str:
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]
