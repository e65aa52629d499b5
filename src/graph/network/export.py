"""Write a network projection in the formats researchers open: Gephi, Cytoscape, networkx, a browser.

One entry point, :func:`export_network`, serves both the CLI and the HTTP API. CSV comes as one
zip archive (``nodes.csv``, ``edges.csv``, ``graph.csv``) so that every format is one file and
one HTTP response. Every format carries the positions of :mod:`graph.network.layout`; the ones
that carry colour take it from :mod:`graph.network.style`, by node type or by community.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from graph.errors import NetworkError
from graph.network.draw import draw_html, draw_png, draw_svg
from graph.network.projections import build_network
from graph.network.style import check_scheme, cytoscape_style, node_colour, node_size, rgb
from graph.queries import LANGUAGES
from graph.store import GraphStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NetworkFormat:
    """One export format: file extension, media type and writer (graph and colour scheme to bytes)."""

    extension: str
    media_type: str
    write: Callable[[nx.Graph, str], bytes]


GEXF_NS = "http://www.gexf.net/1.2draft"


def write_graphml(graph: nx.Graph, colour: str = "type") -> bytes:
    """Return the graph as GraphML (every attribute typed, node ids are IRIs, positions as ``x``, ``y``).

    GraphML has no standard colour, so ``colour`` changes nothing here.
    """
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8")
    return buffer.getvalue()


def write_gexf(graph: nx.Graph, colour: str = "type") -> bytes:
    """Return the graph as GEXF 1.2 with ``viz`` position, colour (by ``colour``) and size, and the
    graph attributes (methods, modularity, layout, version, digest) in ``meta``.

    GEXF has no graph-level attribute values, so ``meta/description`` lists them one per line as
    ``key: value`` and ``meta/keywords`` names the projection; Gephi shows both.
    """
    styled = graph.copy()
    for _node, data in styled.nodes(data=True):
        red, green, blue = rgb(node_colour(data, colour))
        data["viz"] = {"color": {"r": red, "g": green, "b": blue, "a": 1.0}, "size": round(node_size(data), 2),
                       "position": {"x": float(data["x"]), "y": float(data["y"]), "z": 0.0}}
    buffer = io.BytesIO()
    nx.write_gexf(styled, buffer, encoding="utf-8")
    ET.register_namespace("", GEXF_NS)
    ET.register_namespace("viz", "http://www.gexf.net/1.2draft/viz")
    ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")
    root = ET.fromstring(buffer.getvalue())
    meta = root.find(f"{{{GEXF_NS}}}meta")
    assert meta is not None, "networkx writes a meta element"
    # networkx stamps today's date; the same graph must give the same bytes (the version and
    # digest below say what the file holds), and GEXF makes the date optional.
    meta.attrib.pop("lastmodifieddate", None)
    ET.SubElement(meta, f"{{{GEXF_NS}}}keywords").text = f"mmr-kg, {graph.graph.get('projection', 'network')}"
    ET.SubElement(meta, f"{{{GEXF_NS}}}description").text = "\n".join(
        f"{key}: {value}" for key, value in gexf_description(graph, colour).items())
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def gexf_description(graph: nx.Graph, colour: str) -> dict[str, str]:
    """Return what GEXF's ``meta/description`` lists: every graph attribute, and the colour scheme."""
    return {**{str(k): str(v).replace("\n", " ") for k, v in graph.graph.items()}, "colourBy": colour}


def read_gexf_description(body: bytes) -> dict[str, str]:
    """Return the ``key: value`` lines of a GEXF file's ``meta/description`` (see :func:`write_gexf`)."""
    description = ET.fromstring(body).find(f"{{{GEXF_NS}}}meta/{{{GEXF_NS}}}description")
    lines = (description.text or "").splitlines() if description is not None else []
    return dict(line.split(": ", 1) for line in lines)


def write_cytoscape(graph: nx.Graph, colour: str = "type") -> bytes:
    """Return the graph as Cytoscape.js JSON (``elements.nodes`` / ``elements.edges``), each node with
    its ``position`` (``y`` downwards, as Cytoscape draws), the graph attributes as the object ``data``. Colours come with the style file
    (format ``cytoscape-style``), so ``colour`` changes nothing here."""
    data = nx.cytoscape_data(graph, name="label")
    data["data"] = dict(graph.graph)  # an object, as Cytoscape reads network attributes (networkx writes pairs)
    height = float(graph.graph.get("canvasHeight", 0.0))
    for node in data["elements"]["nodes"]:
        node["position"] = {"x": float(node["data"]["x"]), "y": round(height - float(node["data"]["y"]), 2)}
    return _json(data)


def write_cytoscape_style(graph: nx.Graph, colour: str = "type") -> bytes:
    """Return the Cytoscape style of :func:`~graph.network.style.cytoscape_style` as JSON."""
    return _json(cytoscape_style(graph, colour))


def write_node_link(graph: nx.Graph, colour: str = "type") -> bytes:
    """Return the graph as node-link JSON, read back with ``nx.node_link_graph(data, edges="edges")``."""
    return _json(nx.node_link_data(graph, edges="edges"))


def write_csv(graph: nx.Graph, colour: str = "type") -> bytes:
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
    "cytoscape-style": NetworkFormat("style.json", "application/json", write_cytoscape_style),
    "json": NetworkFormat("json", "application/json", write_node_link),
    "csv": NetworkFormat("zip", "application/zip", write_csv),
    "svg": NetworkFormat("svg", "image/svg+xml", draw_svg),
    "png": NetworkFormat("png", "image/png", draw_png),
    "html": NetworkFormat("html", "text/html; charset=utf-8", draw_html),
}


#: Output file endings and the formats each may hold, the one chosen without ``--format`` first.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    ".graphml": ("graphml",),
    ".gexf": ("gexf",),
    ".style.json": ("cytoscape-style",),
    ".cyjs": ("cytoscape",),
    ".json": ("cytoscape", "json", "cytoscape-style"),
    ".zip": ("csv",),
    ".html": ("html",),
    ".png": ("png",),
    ".svg": ("svg",),
}


def format_for_path(path: Path, fmt: str | None = None) -> str:
    """Return the format to write ``path`` in: ``fmt`` if given and it fits the file's ending, else
    the ending's format (``.json`` is Cytoscape JSON, ``.style.json`` the Cytoscape style).

    Raises:
        NetworkError: an unknown ending without ``fmt``, or ``fmt`` contradicting the ending.

    >>> format_for_path(Path("agency-lever.json")), format_for_path(Path("net.json"), "json")
    ('cytoscape', 'json')
    """
    name = path.name.lower()
    ending = next((e for e in EXTENSIONS if name.endswith(e)), None)
    known = ", ".join(EXTENSIONS)
    if fmt is not None:
        network_format(fmt)
        if ending is not None and fmt not in EXTENSIONS[ending]:
            raise NetworkError(f"{path}: --format {fmt} contradicts the file ending {ending}, which holds "
                               f"{' or '.join(EXTENSIONS[ending])}. Drop --format or rename the file "
                               f"(a {fmt} file ends in .{FORMATS[fmt].extension}).")
        return fmt
    if ending is None:
        raise NetworkError(f"{path}: cannot tell the format from the file name. Use one of the endings "
                           f"{known}, or give --format.")
    return EXTENSIONS[ending][0]


def network_format(fmt: str) -> NetworkFormat:
    """Return the :class:`NetworkFormat` named ``fmt``.

    Raises:
        NetworkError: unknown format; the message lists the valid ones.
    """
    if fmt not in FORMATS:
        raise NetworkError(f"unknown network format {fmt!r}. Use one of: {', '.join(FORMATS)}.")
    return FORMATS[fmt]


def export_network(store: GraphStore, projection: str, fmt: str, lang: str = LANGUAGES[0], *,
                   colour: str = "type", queries_dir: Path | None = None) -> tuple[bytes, str]:
    """Build ``projection`` over ``store`` and serialise it as ``fmt``.

    Args:
        store: the graph to read.
        projection: ``entities``, ``agency-lever``, ``agency-objective`` or ``agency-agency``
            (see :func:`graph.network.list_projections`).
        fmt: one of :data:`FORMATS` (``graphml``, ``gexf``, ``cytoscape``, ``cytoscape-style``,
            ``json``, ``csv``, ``svg``, ``png``, ``html``).
        lang: language of labels, ``sv`` or ``en``.
        colour: colour nodes by ``type`` or ``community`` (GEXF, the Cytoscape style, pictures, HTML).
        queries_dir: the query folder holding ``network/`` (default: the shipped one).

    Returns:
        The file's bytes and its media type.

    Raises:
        NetworkError: unknown projection, format, language or colour scheme (message lists the valid ones).

    Example:
        >>> from graph import EmbeddedStore, build_graph, default_settings
        >>> store = EmbeddedStore(build_graph(default_settings()).store)
        >>> body, media_type = export_network(store, "agency-lever", "graphml", "en")
        >>> media_type
        'application/graphml+xml'
    """
    network_format(fmt)  # an unknown format or colour scheme fails before the graph is built
    check_scheme(colour)
    return write_network(build_network(store, projection, lang, queries_dir=queries_dir), fmt, colour)


def write_network(graph: nx.Graph, fmt: str, colour: str = "type") -> tuple[bytes, str]:
    """Serialise a graph from :func:`~graph.network.projections.build_network` as ``fmt``.

    Returns:
        The file's bytes and its media type.

    Raises:
        NetworkError: unknown format or colour scheme; the message lists the valid ones.

    >>> write_network(nx.Graph(), "json")[1]
    'application/json'
    """
    writer = network_format(fmt)
    body = writer.write(graph, check_scheme(colour))
    log.info("exported %s as %s (%d bytes)", graph.graph.get("projection", "a network"), fmt, len(body))
    return body, writer.media_type

