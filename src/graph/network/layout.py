"""Node positions, computed once per network and carried by every format.

Two columns for bipartite projections (graph attribute ``layout = bipartite``), otherwise a spring
layout of the main component with a fixed seed and the rest in rows below. Positions are node
attributes ``x`` and ``y`` on a canvas :data:`CANVAS_WIDTH` wide (``y`` grows upwards, as in Gephi
and matplotlib; Cytoscape and SVG, where ``y`` grows downwards, get ``canvasHeight - y``).
"""

from __future__ import annotations

import math

import networkx as nx

from graph.network.measures import SEED

Position = dict[str, tuple[float, float]]
CANVAS_WIDTH = 1000.0
SPRING_HEIGHT = 11.0 / 14.0  # height/width of the canvas of a spring layout (the picture's 14 × 11 in)
SPRING_METHOD = (f"spring (networkx.spring_layout, weighted, k = 2.5/sqrt(n), 300 iterations, seed {SEED}) "
                 "of the largest component, distances from the centroid square-rooted; other components "
                 "and isolates in rows below")
BIPARTITE_METHOD = ("two columns: the right one by weighted degree, the left one by the mean rank of "
                    "each node's neighbours (fewer crossings)")


def canvas_height(graph: nx.Graph) -> float:
    """Return the height of the canvas: taller for two long columns, fixed for a spring layout."""
    if graph.graph.get("layout") == "bipartite":
        inches = min(max(7.0, 0.32 * len(graph)), 30.0)
        return round(CANVAS_WIDTH * inches / 14.0, 1)
    return round(CANVAS_WIDTH * SPRING_HEIGHT, 1)


def add_layout(graph: nx.Graph) -> None:
    """Store the positions as node attributes ``x``, ``y`` and name the method in graph attributes
    (``layoutAlgorithm``, ``layoutSeed``, ``canvasWidth``, ``canvasHeight``)."""
    height = canvas_height(graph)
    for node, (x, y) in _unit_layout(graph).items():
        graph.nodes[node].update(x=round(x * CANVAS_WIDTH, 2), y=round(y * height, 2))
    bipartite = graph.graph.get("layout") == "bipartite"
    graph.graph.update(layoutAlgorithm=BIPARTITE_METHOD if bipartite else SPRING_METHOD, layoutSeed=SEED,
                       canvasWidth=CANVAS_WIDTH, canvasHeight=height)


def positions(graph: nx.Graph) -> Position:
    """Return the positions :func:`add_layout` stored, ``y`` upwards."""
    return {n: (float(d["x"]), float(d["y"])) for n, d in graph.nodes(data=True)}


def _unit_layout(graph: nx.Graph) -> Position:
    """Return node positions in [0, 1]², deterministic for the same graph."""
    if not len(graph):
        return {}
    if graph.graph.get("layout") == "bipartite":
        return _two_columns(graph, set(str(graph.graph["leftTypes"]).split("; ")))
    return _spring_with_rest(graph)


def _spring_with_rest(graph: nx.Graph) -> Position:
    """Spring layout of the largest component on top; smaller components and isolates in rows below."""
    undirected = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    components = sorted(nx.connected_components(undirected), key=lambda c: (-len(c), min(c)))
    main = undirected.subgraph(components[0])
    rest = [n for c in components[1:] for n in sorted(c)]
    raw = nx.spring_layout(main, seed=SEED, weight="weight", k=2.5 / math.sqrt(len(main)), iterations=300)
    spread = _spread(raw)
    xs, ys = [p[0] for p in spread.values()], [p[1] for p in spread.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    bottom = 0.2 if rest else 0.0
    placed = {n: (float((p[0] - min(xs)) / span_x), bottom + (1 - bottom) * float((p[1] - min(ys)) / span_y))
              for n, p in spread.items()}
    per_row = 8  # wide enough apart for labels of two wrapped lines
    rows = max(math.ceil(len(rest) / per_row), 1)
    for i, node in enumerate(rest):
        row, col = divmod(i, per_row)
        placed[node] = (col / (per_row - 1), 0.12 * (1 - row / rows) - 0.04)
    return placed


def _spread(raw: dict[str, object]) -> dict[str, tuple[float, float]]:
    """Spread a dense core: move each node to the square root of its distance from the centroid."""
    points = {n: (float(p[0]), float(p[1])) for n, p in raw.items()}  # type: ignore[index]
    cx = sum(x for x, _ in points.values()) / len(points)
    cy = sum(y for _, y in points.values()) / len(points)
    spread = {}
    for node, (x, y) in points.items():
        scale = math.hypot(x - cx, y - cy) ** -0.5 if (x, y) != (cx, cy) else 0.0
        spread[node] = (cx + (x - cx) * scale, cy + (y - cy) * scale)
    return spread


def _two_columns(graph: nx.Graph, left_types: set[str]) -> Position:
    """Right column by weighted degree; left column by the mean rank of its neighbours (fewer crossings)."""
    right = sorted((n for n, d in graph.nodes(data=True) if d["type"] not in left_types),
                   key=lambda n: (-graph.nodes[n]["weightedDegree"], graph.nodes[n]["label"]))
    rank = {n: i for i, n in enumerate(right)}

    def barycentre(node: str) -> tuple[float, str]:
        ranks = [rank[m] for m in graph[node] if m in rank]
        return (sum(ranks) / len(ranks) if ranks else len(right) + 1.0, str(graph.nodes[node]["label"]))

    left = sorted((n for n in graph if n not in rank), key=barycentre)

    def column(nodes: list[str], x: float) -> Position:
        step = 1.0 / max(len(nodes) - 1, 1)
        return {n: (x, 1.0 - i * step if len(nodes) > 1 else 0.5) for i, n in enumerate(nodes)}

    return {**column(left, 0.0), **column(right, 1.0)}
