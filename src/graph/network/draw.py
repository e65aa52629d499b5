"""Pictures of a network: a static SVG or PNG (matplotlib, Agg) and a self-contained HTML page.

Every picture draws the positions :mod:`graph.network.layout` stored on the nodes, with the
colours and sizes of :mod:`graph.network.style` (by node type, or by community). The axes of a
picture are widened until every label fits inside them, so no label runs into the title or
off the edge; the HTML page fits its first view to the labels' extent the same way.
"""

from __future__ import annotations

import html
import io
import json
import textwrap
from collections.abc import Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

import networkx as nx

from graph.network.layout import CANVAS_WIDTH, canvas_height, positions
from graph.network.style import legend, node_colour, node_size
from graph.queries import LANGUAGES

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

LABEL_LIMIT = 30
FIGURE_WIDTH = 14.0  # inches
LABEL_MARGIN = 0.02  # share of each axis left free around the outermost label or node
PICTURE_DPI = 150
#: Matplotlib settings of every picture: SVG text kept as text, stable SVG ids, one font everywhere.
PICTURE_RC: dict[Any, Any] = {"svg.fonttype": "none", "svg.hashsalt": "mmr-kg", "font.family": "DejaVu Sans"}


def _labelled(graph: nx.Graph) -> set[str]:
    if len(graph) <= LABEL_LIMIT or graph.graph.get("layout") == "bipartite":
        return set(graph)
    ranked = sorted(graph, key=lambda n: (-graph.nodes[n]["weightedDegree"], graph.nodes[n]["label"]))
    return set(ranked[:LABEL_LIMIT])


def network_figure(graph: nx.Graph, colour: str = "type") -> Figure:
    """Return the matplotlib figure of ``graph`` (from :func:`~graph.network.build_network`), nodes
    coloured by ``colour`` (``type`` or ``community``), with the title above the axes and the legend below."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.colors import to_rgba
    from matplotlib.figure import Figure  # matplotlib only when drawing: it costs ~0.3 s to import
    from matplotlib.lines import Line2D

    placed = positions(graph)
    figure = Figure(figsize=(FIGURE_WIDTH, FIGURE_WIDTH * canvas_height(graph) / CANVAS_WIDTH),
                    dpi=PICTURE_DPI, layout="constrained")
    FigureCanvasAgg(figure)  # the canvas measures the labels in _fit_labels
    axes = figure.add_subplot()
    axes.set_axis_off()
    # One artist for all edges and one for all nodes, drawn in graph order as one per edge or node would
    # be: a picture is drawn twice (the layout in _fit_labels, then the save), each artist every time.
    max_weight = max((float(d["weight"]) for _, _, d in graph.edges(data=True)), default=1.0)
    shares = [float(d["weight"]) / max_weight for _, _, d in graph.edges(data=True)]
    axes.add_collection(LineCollection([(placed[s], placed[t]) for s, t in graph.edges()],
                                       colors=[to_rgba("#555555", 0.25 + 0.45 * share) for share in shares],
                                       linewidths=[0.6 + 3.0 * share for share in shares], zorder=1,
                                       capstyle="round"))
    nodes = list(graph.nodes(data=True))
    axes.scatter([placed[n][0] for n, _ in nodes], [placed[n][1] for n, _ in nodes],
                 s=[node_size(d) ** 2 * 0.9 for _, d in nodes], c=[node_colour(d, colour) for _, d in nodes],
                 edgecolors="white", linewidths=0.8, zorder=2)
    bipartite = graph.graph.get("layout") == "bipartite"
    middle = CANVAS_WIDTH / 2
    labels = []
    for node in sorted(_labelled(graph)):
        x, y = placed[node]
        text = textwrap.fill(str(graph.nodes[node]["label"]), 34 if bipartite else 22)
        gap = 0.5 * node_size(graph.nodes[node]) + 4  # points from the node's centre: its radius and a gap
        offset: tuple[float, float]
        if bipartite:
            align, offset, valign = ("right", (-gap, 0.0), "center") if x < middle else ("left", (gap, 0.0), "center")
        else:
            align, offset, valign = "center", (0.0, gap - 2), "bottom"
        labels.append(axes.annotate(text, (x, y), xytext=offset, textcoords="offset points", fontsize=8,
                                    ha=align, va=valign, zorder=3,
                                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.75,
                                          "linewidth": 0}))
    handles = [Line2D([], [], marker="o", linestyle="", markersize=9, color=entry.colour,
                      label=f"{entry.label} ({entry.count})") for entry in legend(graph, colour)]
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.01), ncols=min(len(handles), 5),
                frameon=False, fontsize=9)
    axes.set_title(network_title(graph, colour), fontsize=13, loc="left")
    _fit_labels(figure, axes, list(placed.values()), labels)
    return figure


def _fit_labels(figure: Figure, axes: Axes, points: list[tuple[float, float]], labels: Sequence[Text]) -> None:
    """Widen the axes' limits until every node and every label's box lies inside them.

    Labels have a fixed size in points, so their extent in data units depends on the limits:
    measure, widen, and measure again until the limits stop growing. The labels end inside the
    axes, so the layout leaves them out: it is run once, and each round after only measures them.
    """
    from matplotlib.transforms import Bbox

    if not points:
        return
    for label in labels:
        label.set_in_layout(False)
    xs, ys = [x for x, _ in points], [y for _, y in points]
    limits = (min(xs), max(xs), min(ys), max(ys))
    for round_ in range(6):
        low_x, high_x, low_y, high_y = limits
        pad_x, pad_y = LABEL_MARGIN * ((high_x - low_x) or 1.0), LABEL_MARGIN * ((high_y - low_y) or 1.0)
        axes.set_xlim(low_x - pad_x, high_x + pad_x)
        axes.set_ylim(low_y - pad_y, high_y + pad_y)
        if not round_:
            figure.draw_without_rendering()  # runs the layout engine, so the axes have their final size
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]  # an Agg canvas has one
        boxes = [label.get_window_extent(renderer) for label in labels]
        if not boxes:
            return
        extent = Bbox.union(boxes).transformed(axes.transData.inverted())
        grown = (min(limits[0], extent.x0), max(limits[1], extent.x1),
                 min(limits[2], extent.y0), max(limits[3], extent.y1))
        if all(abs(a - b) <= 0.5 for a, b in zip(grown, limits, strict=True)):
            return
        limits = grown


def network_title(graph: nx.Graph, colour: str = "type") -> str:
    """Return the two-line title of a picture: what the network holds, then how it is drawn."""
    return (f"{graph.graph.get('projection', 'network')}: {graph.number_of_nodes()} nodes, "
            f"{graph.number_of_edges()} edges, {graph.graph.get('communities', 0)} communities (Louvain, "
            f"modularity {graph.graph.get('modularity', 0)})\n"
            f"node colour = {colour}, node size = weighted degree, edge width = weight")


def _render(graph: nx.Graph, fmt: str, colour: str) -> bytes:
    from matplotlib import rc_context

    with rc_context(PICTURE_RC):
        figure = network_figure(graph, colour)
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        figure.savefig(buffer, format=fmt, dpi=PICTURE_DPI, metadata=metadata, facecolor="white")
    return buffer.getvalue()


def draw_svg(graph: nx.Graph, colour: str = "type") -> bytes:
    """Return a static SVG picture with a legend of the colours (text kept as text)."""
    return _render(graph, "svg", colour)


def draw_png(graph: nx.Graph, colour: str = "type") -> bytes:
    """Return a static PNG picture (150 dpi) with a legend of the colours."""
    return _render(graph, "png", colour)


def draw_html(graph: nx.Graph, colour: str = "type") -> bytes:
    """Return a self-contained HTML page: filter by type, search labels, click for attributes.

    The stored positions, colours and sizes are embedded as JSON with the page's own JavaScript;
    the page loads nothing from the network. ``?focus=IRI`` in the page's address selects that node.
    """
    height = canvas_height(graph)
    types = {e.key: e for e in legend(graph, "type")}
    payload = {
        "graph": dict(graph.graph),
        "directed": graph.is_directed(),
        "colourBy": colour,
        "canvas": {"width": CANVAS_WIDTH, "height": height},
        "labelled": sorted(_labelled(graph)),
        "types": [{"type": t, "label": e.label, "colour": e.colour, "count": e.count} for t, e in types.items()],
        "legend": [{"label": e.label, "colour": e.colour, "count": e.count} for e in legend(graph, colour)],
        "nodes": [{"id": n, "x": d["x"], "y": round(height - float(d["y"]), 2), "size": round(node_size(d), 2),
                   "colour": node_colour(d, colour), "attrs": d} for n, d in graph.nodes(data=True)],
        "edges": [{"source": s, "target": t, "attrs": d} for s, t, d in graph.edges(data=True)],
    }
    data = json.dumps(payload, ensure_ascii=False, allow_nan=False).replace("</", "<\\/")
    template = resources.files("graph.network").joinpath("templates", "page.html").read_text(encoding="utf-8")
    page = (template.replace("__TITLE__", html.escape(network_title(graph, colour).replace("\n", "; ")))
            .replace("__LANG__", html.escape(str(graph.graph.get("lang", LANGUAGES[0]))))
            .replace("__DATA__", data))
    return page.encode("utf-8")
