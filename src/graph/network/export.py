"""Write a network projection in the formats researchers open: Gephi, Cytoscape, networkx, a browser.

One entry point, :func:`export_network`, serves both the CLI and the HTTP API. CSV comes as one
zip archive (``nodes.csv``, ``edges.csv``, ``graph.csv``) so that every format is one file and
one HTTP response.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from graph.errors import NetworkError
from graph.network.draw import draw_html, draw_png, draw_svg, node_colour, node_size
from graph.network.projections import build_network
from graph.queries import LANGUAGES
from graph.store import GraphStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NetworkFormat:
    """One export format: file extension, media type and writer."""

    extension: str
    media_type: str
    write: Callable[[nx.Graph], bytes]


def write_graphml(graph: nx.Graph) -> bytes:
    """Return the graph as GraphML (every attribute typed, node ids are IRIs)."""
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8")
    return buffer.getvalue()


def write_gexf(graph: nx.Graph) -> bytes:
    """Return the graph as GEXF 1.2 with ``viz`` colour and size by node type."""
    styled = graph.copy()
    for _node, data in styled.nodes(data=True):
        red, green, blue = (int(node_colour(str(data["type"]))[i:i + 2], 16) for i in (1, 3, 5))
        data["viz"] = {"color": {"r": red, "g": green, "b": blue, "a": 1.0},
                       "size": round(node_size(data), 2)}
    buffer = io.BytesIO()
    nx.write_gexf(styled, buffer, encoding="utf-8")
    return buffer.getvalue()


def write_cytoscape(graph: nx.Graph) -> bytes:
    """Return the graph as Cytoscape.js JSON (``elements.nodes`` / ``elements.edges``)."""
    return _json(nx.cytoscape_data(graph, name="label"))


def write_node_link(graph: nx.Graph) -> bytes:
    """Return the graph as node-link JSON, read back with ``nx.node_link_graph(data, edges="edges")``."""
    return _json(nx.node_link_data(graph, edges="edges"))


def write_csv(graph: nx.Graph) -> bytes:
    """Return a zip of ``nodes.csv`` (id + attributes), ``edges.csv`` (source, target + attributes)
    and ``graph.csv`` (key, value: projection, methods, counts)."""
    node_keys = _keys(data for _, data in graph.nodes(data=True))
    edge_keys = _keys(data for _, _, data in graph.edges(data=True))
    tables = {
        "nodes.csv": [["id", *node_keys]] + [[n, *(d.get(k, "") for k in node_keys)]
                                             for n, d in graph.nodes(data=True)],
        "edges.csv": [["source", "target", *edge_keys]] + [[s, t, *(d.get(k, "") for k in edge_keys)]
                                                           for s, t, d in graph.edges(data=True)],
        "graph.csv": [["key", "value"]] + [[k, v] for k, v in graph.graph.items()],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in tables.items():
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerows(rows)
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.getvalue().encode("utf-8"))
    return buffer.getvalue()


def _keys(items: object) -> list[str]:
    keys: list[str] = []
    for data in items:  # type: ignore[attr-defined]
        keys.extend(k for k in data if k not in keys)
    return keys


def _json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False).encode("utf-8")


FORMATS: dict[str, NetworkFormat] = {
    "graphml": NetworkFormat("graphml", "application/graphml+xml", write_graphml),
    "gexf": NetworkFormat("gexf", "application/gexf+xml", write_gexf),
    "cytoscape": NetworkFormat("cyjs", "application/json", write_cytoscape),
    "json": NetworkFormat("json", "application/json", write_node_link),
    "csv": NetworkFormat("zip", "application/zip", write_csv),
    "svg": NetworkFormat("svg", "image/svg+xml", draw_svg),
    "png": NetworkFormat("png", "image/png", draw_png),
    "html": NetworkFormat("html", "text/html; charset=utf-8", draw_html),
}


def network_format(fmt: str) -> NetworkFormat:
    """Return the :class:`NetworkFormat` named ``fmt``.

    Raises:
        NetworkError: unknown format; the message lists the valid ones.
    """
    if fmt not in FORMATS:
        raise NetworkError(f"unknown network format {fmt!r}. Use one of: {', '.join(FORMATS)}.")
    return FORMATS[fmt]


def export_network(store: GraphStore, projection: str, fmt: str, lang: str = LANGUAGES[0], *,
                   queries_dir: Path | None = None) -> tuple[bytes, str]:
    """Build ``projection`` over ``store`` and serialise it as ``fmt``.

    Args:
        store: the graph to read.
        projection: ``entities``, ``agency-lever``, ``agency-objective`` or ``agency-agency``
            (see :func:`graph.network.list_projections`).
        fmt: one of :data:`FORMATS` (``graphml``, ``gexf``, ``cytoscape``, ``json``, ``csv``,
            ``svg``, ``png``, ``html``).
        lang: language of labels, ``sv`` or ``en``.
        queries_dir: the query folder holding ``network/`` (default: the shipped one).

    Returns:
        The file's bytes and its media type.

    Raises:
        NetworkError: unknown projection, format or language (message lists the valid ones).

    Example:
        >>> from graph import EmbeddedStore, build_graph, default_settings
        >>> store = EmbeddedStore(build_graph(default_settings()).store)
        >>> body, media_type = export_network(store, "agency-lever", "graphml", "en")
        >>> media_type
        'application/graphml+xml'
    """
    network_format(fmt)  # an unknown format fails before the graph is built
    return write_network(build_network(store, projection, lang, queries_dir=queries_dir), fmt)


def write_network(graph: nx.Graph, fmt: str) -> tuple[bytes, str]:
    """Serialise a graph from :func:`~graph.network.projections.build_network` as ``fmt``.

    Returns:
        The file's bytes and its media type.

    Raises:
        NetworkError: unknown format; the message lists the valid ones.

    >>> write_network(nx.Graph(), "json")[1]
    'application/json'
    """
    writer = network_format(fmt)
    body = writer.write(graph)
    log.info("exported %s as %s (%d bytes)", graph.graph.get("projection", "a network"), fmt, len(body))
    return body, writer.media_type

