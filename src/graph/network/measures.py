"""The measures researchers compute first on a projection: degree, centralities, communities."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import networkx as nx

log = logging.getLogger(__name__)

Attr = str | int | float
SEED = 42
CENTRALITY_METHOD = ("eigenvector (networkx.eigenvector_centrality, weighted, undirected; in each connected "
                     "component, scaled by its share of the nodes, so the scores sum to 1; 1/n for a node "
                     "without edges; 0 in a component where it does not converge)")
BETWEENNESS_METHOD = "betweenness (networkx.betweenness_centrality, unweighted, normalised, undirected)"
COMMUNITY_METHOD = f"Louvain (networkx.community.louvain_communities, weighted, seed {SEED})"
MEASURES = ("degree", "weightedDegree", "betweenness", "eigenvector", "community")


def add_measures(graph: nx.Graph) -> None:
    """Compute the :data:`MEASURES` into node attributes and name the methods in graph attributes.

    Degree, betweenness, eigenvector centrality and communities are computed on the undirected graph.
    Communities are numbered from 0, largest first.
    """
    # A copy, not a view: networkx's algorithms read a view's adjacency through layers of Python
    # views, which made the entities projection more than twice as slow to build; the copy holds
    # the same nodes, edges and weights in the same order, so every measure is the same.
    undirected = nx.Graph(graph.to_undirected(as_view=True)) if graph.is_directed() else graph
    weighted = dict(undirected.degree(weight="weight"))
    betweenness = nx.betweenness_centrality(undirected, normalized=True)
    eigenvector = _eigenvector(undirected)
    communities = nx.community.louvain_communities(undirected, weight="weight", seed=SEED)
    ordered = sorted(communities, key=lambda c: (-len(c), min(c)))
    for number, members in enumerate(ordered):
        for node in members:
            graph.nodes[node]["community"] = number
    for node in graph.nodes:
        graph.nodes[node].update(degree=int(undirected.degree(node)),
                                 weightedDegree=float(weighted[node]),
                                 betweenness=round(float(betweenness[node]), 6),
                                 eigenvector=float(f"{eigenvector[node]:.6g}"))  # 6 digits: a small score stays > 0
    modularity = nx.community.modularity(undirected, ordered, weight="weight") if graph.number_of_edges() else 0.0
    graph.graph.update(centralityMethod=CENTRALITY_METHOD, betweennessMethod=BETWEENNESS_METHOD,
                       communityMethod=COMMUNITY_METHOD, communities=len(ordered),
                       modularity=round(float(modularity), 6))


def _eigenvector(graph: nx.Graph) -> dict[str, float]:
    """Weighted eigenvector centrality, computed in each connected component and scaled by the
    component's share of the nodes, so that the scores sum to 1 (as MATLAB's ``centrality`` does).

    One eigenvector of a graph in several pieces puts every score on the piece with the largest
    leading eigenvalue, not the largest piece (networkx warns that which one it reports may even
    depend on round-off). A node without edges scores 1/n; a component where the power iteration
    does not converge, 0.

    >>> path_and_pair = nx.Graph([("a", "b"), ("b", "c"), ("d", "e")])  # 3/5 and 2/5 of the nodes
    >>> {node: round(score, 3) for node, score in sorted(_eigenvector(path_and_pair).items())}
    {'a': 0.176, 'b': 0.249, 'c': 0.176, 'd': 0.2, 'e': 0.2}
    """
    nodes = graph.number_of_nodes()
    scores: dict[str, float] = {}
    for component in nx.connected_components(graph):
        share = len(component) / nodes
        if len(component) == 1:
            scores.update(dict.fromkeys(component, share))
            continue
        try:
            piece = graph.subgraph(component).copy()  # a copy: the view is several times slower to iterate
            values = nx.eigenvector_centrality(piece, weight="weight", max_iter=1000, tol=1e-8)
        except nx.PowerIterationFailedConvergence:
            log.warning("eigenvector centrality did not converge on a component of %s; set to 0",
                        graph.graph.get("projection"))
            scores.update(dict.fromkeys(component, 0.0))
            continue
        total = sum(values.values())
        scores.update({node: share * float(value) / total for node, value in values.items()})
    return scores


@dataclass(frozen=True)
class NetworkSummary:
    """Graph-level figures and the nodes ranked by eigenvector centrality."""

    stats: dict[str, Attr]
    rows: list[dict[str, Attr]]

    def to_markdown(self) -> str:
        """Return the summary as Markdown: a list of figures, then the table of nodes."""
        lines = [f"- {key}: {value}" for key, value in self.stats.items()]
        columns = ["label", "type", *MEASURES]
        lines += ["", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in self.rows]
        return "\n".join(lines) + "\n"


def summarise_network(graph: nx.Graph, top: int | None = None) -> NetworkSummary:
    """Return the summary table of a graph from :func:`build_network` (``top`` nodes, or all).

    >>> summarise_network(nx.Graph(projection="p")).stats["nodes"]
    0
    """
    undirected = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    stats: dict[str, Attr] = {
        "projection": graph.graph.get("projection", ""),
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "density": round(nx.density(graph), 4) if len(graph) > 1 else 0.0,
        "components": nx.number_connected_components(undirected) if len(graph) else 0,
    }
    for key in ("communities", "modularity", "communityMethod", "centralityMethod", "betweennessMethod"):
        if key in graph.graph:
            stats[key] = graph.graph[key]
    ranked = sorted(graph.nodes(data=True), key=lambda item: (-item[1].get("eigenvector", 0), item[1]["label"]))
    rows = [{"id": node, "label": data["label"], "type": data["type"],
             **{m: data.get(m, "") for m in MEASURES}} for node, data in ranked[:top]]
    return NetworkSummary(stats, rows)
