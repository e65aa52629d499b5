"""How a network looks: node colour (by type or by community), node size, legends, Cytoscape styles.

Every format that carries colour (GEXF, the Cytoscape style, SVG, PNG, HTML) takes it from here,
so a node has the same colour everywhere for the same ``colour`` choice.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx

from graph.errors import NetworkError

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
#: Paul Tol's "muted" qualitative scheme (colour-blind safe) for the largest communities, in order.
COMMUNITY_PALETTE = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
                     "#882255", "#AA4499")
#: The colour of every community past the palette (the smallest ones, often single nodes).
SMALL_COMMUNITIES = "#DDDDDD"
COLOUR_SCHEMES = ("type", "community")
SIZE_SCALE = 3.0  # node size = base by type + SIZE_SCALE * sqrt(weighted degree)


@dataclass(frozen=True)
class LegendEntry:
    """One row of a legend: the value of the attribute coloured by, its text, colour and node count."""

    key: str | int
    label: str
    colour: str
    count: int


def check_scheme(colour: str) -> str:
    """Return ``colour`` if it is one of :data:`COLOUR_SCHEMES`.

    Raises:
        NetworkError: unknown scheme; the message lists the valid ones.
    """
    if colour not in COLOUR_SCHEMES:
        raise NetworkError(f"unknown colour scheme {colour!r}. Use one of: {', '.join(COLOUR_SCHEMES)}.")
    return colour


def community_colour(community: int) -> str:
    """Return the colour of community number ``community`` (0 is the largest).

    >>> community_colour(0), community_colour(len(COMMUNITY_PALETTE))
    ('#332288', '#DDDDDD')
    """
    return COMMUNITY_PALETTE[community] if 0 <= community < len(COMMUNITY_PALETTE) else SMALL_COMMUNITIES


def type_colour(node_type: str) -> str:
    """Return the ``#RRGGBB`` colour of a node type."""
    return TYPE_STYLE.get(node_type, TYPE_STYLE["other"])[0]


def node_colour(data: Mapping[str, object], colour: str = "type") -> str:
    """Return a node's ``#RRGGBB`` colour by its ``type`` or its ``community`` attribute."""
    if check_scheme(colour) == "community":
        return community_colour(int(data.get("community", -1)))  # type: ignore[call-overload]
    return type_colour(str(data["type"]))


def node_size(data: Mapping[str, object]) -> float:
    """Return a node's size: a base by type, grown with the square root of its weighted degree."""
    base = TYPE_STYLE.get(str(data["type"]), TYPE_STYLE["other"])[1]
    return base + SIZE_SCALE * math.sqrt(float(data.get("weightedDegree", 0.0)))  # type: ignore[arg-type]


def rgb(colour: str) -> tuple[int, int, int]:
    """Return the red, green and blue of ``#RRGGBB``.

    >>> rgb("#0072B2")
    (0, 114, 178)
    """
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def legend(graph: nx.Graph, colour: str = "type") -> list[LegendEntry]:
    """Return the legend of ``graph`` coloured by ``colour``: types in :data:`TYPE_STYLE` order, or
    the communities of the palette then one entry for all smaller communities."""
    if check_scheme(colour) == "type":
        counts = Counter(str(d["type"]) for _, d in graph.nodes(data=True))
        labels = {str(d["type"]): str(d["typeLabel"]) for _, d in graph.nodes(data=True)}
        return [LegendEntry(t, labels[t], type_colour(t), counts[t]) for t in TYPE_STYLE if t in counts]
    sizes = Counter(int(d["community"]) for _, d in graph.nodes(data=True))
    entries = [LegendEntry(c, f"community {c}", community_colour(c), sizes[c])
               for c in sorted(sizes) if c < len(COMMUNITY_PALETTE)]
    rest = [c for c in sizes if c >= len(COMMUNITY_PALETTE)]
    if rest:
        entries.append(LegendEntry(-1, f"{len(rest)} smaller communities", SMALL_COMMUNITIES,
                                   sum(sizes[c] for c in rest)))
    return entries


def cytoscape_style(graph: nx.Graph, colour: str = "type") -> list[dict[str, object]]:
    """Return a Cytoscape style for ``graph``, in the JSON that Cytoscape desktop writes for styles.

    One style object (``title``, ``style``: selector/css pairs, as cytoscape.js reads them): labels
    from ``label``, colour by ``type`` or ``community`` (one selector per value), node size by
    weighted degree (``mapData`` over the graph's range, the sizes of :func:`node_size` ×2) and
    edge width by ``weight``.
    """
    check_scheme(colour)
    degrees = [float(d["weightedDegree"]) for _, d in graph.nodes(data=True)] or [0.0]
    weights = [float(d.get("weight", 1)) for _, _, d in graph.edges(data=True)] or [1.0]
    low, high = min(degrees), max(degrees)
    smallest = 2 * (min(s for _, s in TYPE_STYLE.values()) + SIZE_SCALE * math.sqrt(low))
    largest = 2 * (max(s for _, s in TYPE_STYLE.values()) + SIZE_SCALE * math.sqrt(high))
    size = (f"mapData(weightedDegree, {low:g}, {high:g}, {smallest:.1f}, {largest:.1f})" if high > low
            else round(smallest, 1))
    rules: list[dict[str, object]] = [
        {"selector": "node", "css": {
            "content": "data(label)", "font-size": 11, "text-valign": "bottom", "text-halign": "center",
            "text-wrap": "wrap", "text-max-width": 160, "background-color": SMALL_COMMUNITIES,
            "border-color": "#FFFFFF", "border-width": 1.5, "width": size, "height": size}},
    ]
    for entry in legend(graph, colour):
        if colour == "type":
            selector = f"node[type = '{entry.key}']"
        elif entry.key == -1:
            continue  # the smaller communities keep the default colour
        else:
            selector = f"node[community = {entry.key}]"
        rules.append({"selector": selector, "css": {"background-color": entry.colour}})
    low_w, high_w = min(weights), max(weights)
    rules += [
        {"selector": "node:selected", "css": {"border-color": "#000000", "border-width": 3}},
        {"selector": "edge", "css": {
            "line-color": "#888888", "opacity": 0.6, "curve-style": "bezier",
            "width": f"mapData(weight, {low_w:g}, {high_w:g}, 1, 6)" if high_w > low_w else 1.5,
            "target-arrow-shape": "triangle" if graph.is_directed() else "none",
            "target-arrow-color": "#888888"}},
        {"selector": "edge:selected", "css": {"line-color": "#D00000", "opacity": 1}},
    ]
    title = f"mmr-kg {graph.graph.get('projection', 'network')} by {colour}"
    return [{"format_version": "1.0", "generated_by": "mmr-kg", "target_cytoscapejs_version": "~2.1",
             "title": title, "style": rules}]
