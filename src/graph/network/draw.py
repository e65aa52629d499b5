"""Pictures of a network: a static SVG or PNG (matplotlib, Agg) and a self-contained HTML page.

Colours and sizes follow the node type, the same in every picture and in GEXF. The layout is
computed here, deterministically: two columns for bipartite projections (graph attribute
``layout = bipartite``), otherwise a spring layout with a fixed seed.
"""

from __future__ import annotations

import html
import io
import json
import math
import textwrap
from collections import Counter
from importlib import resources
from typing import TYPE_CHECKING

import networkx as nx

from graph.network.measures import SEED
from graph.queries import LANGUAGES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TYPE_STYLE: dict[str, tuple[str, float]] = {
    "agency": ("#0072B2", 14.0),
    "agency-collective": ("#56B4E9", 12.0),
    "objective": ("#009E73", 11.0),
    "generational-goal": ("#1B5E20", 11.0),
    "lever": ("#E69F00", 12.0),
    "criteria-area": ("#CC79A7", 8.0),
    "criterion": ("#E7B4D3", 5.0),
    "agreement-system": ("#8C510A", 9.0),
    "agreement-area": ("#BF812D", 7.0),
    "agreement": ("#DFC27D", 6.0),
    "measure": ("#D55E00", 10.0),
    "activity": ("#B8A000", 8.0),
    "programme-area": ("#6A3D9A", 9.0),
    "other": ("#999999", 5.0),
}
LABEL_LIMIT = 30
Position = dict[str, tuple[float, float]]


def node_colour(node_type: str) -> str:
    """Return the ``#RRGGBB`` colour of a node type."""
    return TYPE_STYLE.get(node_type, TYPE_STYLE["other"])[0]


def node_size(data: dict[str, object]) -> float:
    """Return a node's size: a base by type, grown with the square root of its weighted degree."""
    base = TYPE_STYLE.get(str(data["type"]), TYPE_STYLE["other"])[1]
    return base + 3.0 * math.sqrt(float(data.get("weightedDegree", 0.0)))  # type: ignore[arg-type]


def layout_network(graph: nx.Graph) -> Position:
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
    raw = _spread(raw)
    xs, ys = [p[0] for p in raw.values()], [p[1] for p in raw.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    bottom = 0.2 if rest else 0.0
    positions = {n: (float((p[0] - min(xs)) / span_x), bottom + (1 - bottom) * float((p[1] - min(ys)) / span_y))
                 for n, p in raw.items()}
    per_row = 14
    rows = max(math.ceil(len(rest) / per_row), 1)
    for i, node in enumerate(rest):
        row, col = divmod(i, per_row)
        positions[node] = (col / (per_row - 1), 0.12 * (1 - row / rows) - 0.04)
    return positions


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


def _labelled(graph: nx.Graph) -> set[str]:
    if len(graph) <= LABEL_LIMIT or graph.graph.get("layout") == "bipartite":
        return set(graph)
    ranked = sorted(graph, key=lambda n: (-graph.nodes[n]["weightedDegree"], graph.nodes[n]["label"]))
    return set(ranked[:LABEL_LIMIT])


def _figure(graph: nx.Graph) -> Figure:
    from matplotlib.figure import Figure  # matplotlib only when drawing: it costs ~0.3 s to import
    from matplotlib.lines import Line2D

    positions = layout_network(graph)
    height = max(7.0, 0.32 * len(graph)) if graph.graph.get("layout") == "bipartite" else 11.0
    figure = Figure(figsize=(14.0, min(height, 30.0)), layout="constrained")
    axes = figure.add_subplot()
    axes.set_axis_off()
    max_weight = max((float(d["weight"]) for _, _, d in graph.edges(data=True)), default=1.0)
    for source, target, data in graph.edges(data=True):
        (x1, y1), (x2, y2) = positions[source], positions[target]
        share = float(data["weight"]) / max_weight
        axes.plot([x1, x2], [y1, y2], color="#555555", alpha=0.25 + 0.45 * share,
                  linewidth=0.6 + 3.0 * share, zorder=1, solid_capstyle="round")
    for node, data in graph.nodes(data=True):
        x, y = positions[node]
        axes.scatter([x], [y], s=node_size(data) ** 2 * 0.9, color=node_colour(str(data["type"])),
                     edgecolors="white", linewidths=0.8, zorder=2)
    bipartite = graph.graph.get("layout") == "bipartite"
    for node in _labelled(graph):
        x, y = positions[node]
        text = textwrap.fill(str(graph.nodes[node]["label"]), 34 if bipartite else 22)
        offset = 0.018 if bipartite else 0.0
        align = "center" if not bipartite else ("right" if x < 0.5 else "left")
        axes.text(x - offset if align == "right" else x + offset, y if bipartite else y + 0.022, text,
                  fontsize=8, ha=align, va="center" if bipartite else "bottom", zorder=3,
                  bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.75, "linewidth": 0})
    if bipartite:
        axes.set_xlim(-0.55, 1.55)
    counts = Counter(str(d["type"]) for _, d in graph.nodes(data=True))
    type_labels = {str(d["type"]): str(d["typeLabel"]) for _, d in graph.nodes(data=True)}
    handles = [Line2D([], [], marker="o", linestyle="", markersize=9, color=node_colour(t),
                      label=f"{type_labels[t]} ({counts[t]})") for t in TYPE_STYLE if t in counts]
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.01), ncols=min(len(handles), 5),
                frameon=False, fontsize=9)
    axes.set_title(_title(graph), fontsize=13, loc="left")
    return figure


def _title(graph: nx.Graph) -> str:
    return (f"{graph.graph.get('projection', 'network')}: {graph.number_of_nodes()} nodes, "
            f"{graph.number_of_edges()} edges, {graph.graph.get('communities', 0)} communities "
            f"(Louvain); node size = weighted degree, edge width = weight")


def _render(graph: nx.Graph, fmt: str) -> bytes:
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "mmr-kg", "font.family": "DejaVu Sans"}):
        figure = _figure(graph)
        FigureCanvasAgg(figure)
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        figure.savefig(buffer, format=fmt, dpi=150, metadata=metadata, facecolor="white")
    return buffer.getvalue()


def draw_svg(graph: nx.Graph) -> bytes:
    """Return a static SVG picture with a legend by node type (text kept as text)."""
    return _render(graph, "svg")


def draw_png(graph: nx.Graph) -> bytes:
    """Return a static PNG picture (150 dpi) with a legend by node type."""
    return _render(graph, "png")


def draw_html(graph: nx.Graph) -> bytes:
    """Return a self-contained HTML page: filter by type, search labels, click for attributes.

    The layout is computed here and embedded as JSON with the page's own JavaScript; the page
    loads nothing from the network.
    """
    positions = layout_network(graph)
    counts = Counter(str(d["type"]) for _, d in graph.nodes(data=True))
    type_labels = {str(d["type"]): str(d["typeLabel"]) for _, d in graph.nodes(data=True)}
    payload = {
        "graph": dict(graph.graph),
        "directed": graph.is_directed(),
        "labelled": sorted(_labelled(graph)),
        "types": [{"type": t, "label": type_labels[t], "colour": node_colour(t), "count": counts[t]}
                  for t in TYPE_STYLE if t in counts],
        "nodes": [{"id": n, "x": round(positions[n][0], 5), "y": round(positions[n][1], 5),
                   "size": round(node_size(d), 2), "colour": node_colour(str(d["type"])), "attrs": d}
                  for n, d in graph.nodes(data=True)],
        "edges": [{"source": s, "target": t, "attrs": d} for s, t, d in graph.edges(data=True)],
    }
    data = json.dumps(payload, ensure_ascii=False, allow_nan=False).replace("</", "<\\/")
    template = resources.files("graph.network").joinpath("templates", "page.html").read_text(encoding="utf-8")
    page = (template.replace("__TITLE__", html.escape(_title(graph)))
            .replace("__LANG__", html.escape(str(graph.graph.get("lang", LANGUAGES[0]))))
            .replace("__DATA__", data))
    return page.encode("utf-8")
