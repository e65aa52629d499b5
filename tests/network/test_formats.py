"""Networks researchers open as they see them (issue 10, item 5): one set of positions in every format,
colours by type or community, the Cytoscape style, the GEXF methods, ``-o`` by file ending. The pictures
(title over no label, colours by community) are checked in ``test_draw.py``."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

from graph.cli import main
from graph.errors import NetworkError
from graph.network import EXTENSIONS, FORMATS, build_network, format_for_path, write_network
from graph.network.export import gexf_description, read_gexf_description, write_gexf
from graph.network.layout import CANVAS_WIDTH
from graph.network.projections import content_digest
from graph.network.style import COMMUNITY_PALETTE, TYPE_STYLE, community_colour, node_colour, node_size, rgb
from graph.store import EmbeddedStore

PROJECTIONS = ("entities", "agency-lever", "agency-objective", "agency-agency")
GRAPH_KEYS = ("projection", "communityMethod", "modularity", "communities", "layoutAlgorithm", "layoutSeed",
              "datasetVersion", "contentDigest")


@pytest.mark.parametrize("projection", PROJECTIONS)
def test_positions_are_computed_once_on_the_canvas(store: EmbeddedStore, networks: dict[str, nx.Graph],
                                                   projection: str) -> None:
    graph = networks[projection]
    height = graph.graph["canvasHeight"]
    for _, data in graph.nodes(data=True):
        assert 0 <= data["x"] <= CANVAS_WIDTH and -0.05 * height <= data["y"] <= height
    again = build_network(store, projection, "en")
    assert {n: (d["x"], d["y"]) for n, d in again.nodes(data=True)} == {
        n: (d["x"], d["y"]) for n, d in graph.nodes(data=True)}
    assert len({(d["x"], d["y"]) for _, d in graph.nodes(data=True)}) == len(graph), "no two nodes share a place"
    assert graph.graph["contentDigest"] == again.graph["contentDigest"] == content_digest(graph)


def test_graph_attributes_name_the_dataset_version(store: EmbeddedStore, networks: dict[str, nx.Graph]) -> None:
    rows = list(store.query("SELECT ?v WHERE { GRAPH ?g { ?d <http://www.w3.org/ns/dcat#version> ?v } }").records())
    assert rows and {networks[p].graph["datasetVersion"] for p in PROJECTIONS} == {rows[0]["v"].value}
    assert networks["agency-lever"].graph["layoutSeed"] == 42
    assert "two columns" in networks["agency-lever"].graph["layoutAlgorithm"]
    assert "spring" in networks["agency-agency"].graph["layoutAlgorithm"]


def test_content_digest_changes_with_the_content(networks: dict[str, nx.Graph]) -> None:
    changed = networks["agency-agency"].copy()
    node = next(iter(changed))
    changed.nodes[node]["label"] += " (changed)"
    assert content_digest(changed) != networks["agency-agency"].graph["contentDigest"]


@pytest.mark.parametrize("projection", PROJECTIONS)
def test_graphml_reads_back_positions_and_graph_attributes(networks: dict[str, nx.Graph], projection: str) -> None:
    graph = networks[projection]
    read = nx.read_graphml(io.BytesIO(write_network(graph, "graphml")[0]))
    for node, data in graph.nodes(data=True):
        assert (read.nodes[node]["x"], read.nodes[node]["y"]) == pytest.approx((data["x"], data["y"]))
    for key in GRAPH_KEYS:
        assert read.graph[key] == pytest.approx(graph.graph[key]) if isinstance(graph.graph[key], float) \
            else read.graph[key] == graph.graph[key], key


def test_gexf_stamps_no_date(networks: dict[str, nx.Graph]) -> None:
    # networkx writes today's date into meta; the same graph gives the same bytes on any day.
    body = write_gexf(networks["agency-lever"])
    assert b"lastmodifieddate" not in body
    assert body == write_gexf(networks["agency-lever"].copy())


@pytest.mark.parametrize("colour", ["type", "community"])
@pytest.mark.parametrize("projection", PROJECTIONS)
def test_gexf_reads_back_position_colour_size_and_methods(networks: dict[str, nx.Graph], projection: str,
                                                          colour: str) -> None:
    graph = networks[projection]
    body = write_network(graph, "gexf", colour)[0]
    read = nx.read_gexf(io.BytesIO(body))
    for node, data in graph.nodes(data=True):
        viz = read.nodes[node]["viz"]
        assert (viz["position"]["x"], viz["position"]["y"]) == pytest.approx((data["x"], data["y"]))
        assert (viz["color"]["r"], viz["color"]["g"], viz["color"]["b"]) == rgb(node_colour(data, colour))
        assert viz["size"] == pytest.approx(node_size(data), abs=0.01)
    meta = read_gexf_description(body)
    assert meta == gexf_description(graph, colour)
    assert meta["colourBy"] == colour
    for key in GRAPH_KEYS:
        assert meta[key] == str(graph.graph[key]), key
    assert float(meta["modularity"]) == pytest.approx(graph.graph["modularity"])
    root = ET.fromstring(body)
    keywords = root.find("{http://www.gexf.net/1.2draft}meta/{http://www.gexf.net/1.2draft}keywords")
    assert keywords is not None and projection in (keywords.text or "")


def test_community_colours_follow_the_communities(networks: dict[str, nx.Graph]) -> None:
    graph = networks["entities"]
    by_community: dict[int, set[str]] = {}
    for _, data in graph.nodes(data=True):
        by_community.setdefault(data["community"], set()).add(node_colour(data, "community"))
    assert all(len(colours) == 1 for colours in by_community.values())
    big = [c for c in by_community if c < len(COMMUNITY_PALETTE)]
    assert len({community_colour(c) for c in big}) == len(big), "the largest communities each their own colour"
    with pytest.raises(NetworkError, match="unknown colour scheme 'size'. Use one of: type, community"):
        write_network(graph, "gexf", "size")


@pytest.mark.parametrize("projection", PROJECTIONS)
def test_cytoscape_json_has_what_cytoscape_needs(networks: dict[str, nx.Graph], projection: str) -> None:
    graph = networks[projection]
    document = json.loads(write_network(graph, "cytoscape")[0])
    nodes, edges = document["elements"]["nodes"], document["elements"]["edges"]
    assert isinstance(nodes, list) and isinstance(edges, list)
    assert document["data"] == graph.graph, "network attributes as one object"
    ids = set()
    for node in nodes:
        assert isinstance(node["data"]["id"], str) and node["data"]["id"]
        position = node["position"]
        assert set(position) == {"x", "y"} and all(isinstance(v, int | float) for v in position.values())
        data = graph.nodes[node["data"]["id"]]
        assert position["x"] == pytest.approx(data["x"])
        assert position["y"] == pytest.approx(graph.graph["canvasHeight"] - data["y"]), "Cytoscape's y is downwards"
        ids.add(node["data"]["id"])
    assert ids == set(graph)
    assert len(edges) == graph.number_of_edges()
    for edge in edges:
        assert edge["data"]["source"] in ids and edge["data"]["target"] in ids


SELECTOR = re.compile(r"^(node|edge)(\[(\w+) = ('[^']*'|\d+)\]|:selected)?$")
MAP_DATA = re.compile(r"^mapData\((\w+), ([\d.]+), ([\d.]+), ([\d.]+), ([\d.]+)\)$")


@pytest.mark.parametrize("colour", ["type", "community"])
@pytest.mark.parametrize("projection", PROJECTIONS)
def test_cytoscape_style_selectors_and_mappings(networks: dict[str, nx.Graph], projection: str, colour: str) -> None:
    graph = networks[projection]
    styles = json.loads(write_network(graph, "cytoscape-style", colour)[0])
    assert isinstance(styles, list) and len(styles) == 1
    assert projection in styles[0]["title"] and colour in styles[0]["title"]
    network = json.loads(write_network(graph, "cytoscape")[0])["elements"]
    node_keys = set(network["nodes"][0]["data"])
    edge_keys = set(network["edges"][0]["data"]) if network["edges"] else {"weight"}
    colours: dict[str, str] = {}
    for rule in styles[0]["style"]:
        match = SELECTOR.match(rule["selector"])
        assert match, rule["selector"]
        if match[3]:
            assert match[3] in node_keys, "a selector reads an attribute the network has"
            colours[match[4].strip("'")] = rule["css"]["background-color"]
        for value in rule["css"].values():
            mapped = MAP_DATA.match(str(value))
            if mapped:
                assert mapped[1] in (node_keys if match[1] == "node" else edge_keys)
    node_rule = next(r["css"] for r in styles[0]["style"] if r["selector"] == "node")
    assert node_rule["content"] == "data(label)"
    mapped = MAP_DATA.match(node_rule["width"])
    degrees = [d["weightedDegree"] for _, d in graph.nodes(data=True)]
    assert mapped and mapped[1] == "weightedDegree"
    assert (float(mapped[2]), float(mapped[3])) == (min(degrees), max(degrees))
    assert node_rule["height"] == node_rule["width"]
    for _, data in graph.nodes(data=True):
        key = str(data["type"] if colour == "type" else data["community"])
        expected = node_colour(data, colour)
        assert colours.get(key, node_rule["background-color"]) == expected


def test_style_by_type_names_every_type_once(networks: dict[str, nx.Graph]) -> None:
    styles = json.loads(write_network(networks["entities"], "cytoscape-style")[0])[0]["style"]
    selectors = [r["selector"] for r in styles if r["selector"].startswith("node[type")]
    types = {d["type"] for _, d in networks["entities"].nodes(data=True)}
    assert sorted(selectors) == sorted(f"node[type = '{t}']" for t in types)
    assert all(t in TYPE_STYLE for t in types)


@pytest.mark.parametrize(("name", "fmt"), [
    ("net.graphml", "graphml"), ("net.gexf", "gexf"), ("net.json", "cytoscape"), ("net.cyjs", "cytoscape"),
    ("net.style.json", "cytoscape-style"), ("NET.HTML", "html"), ("net.png", "png"), ("net.svg", "svg"),
    ("net.zip", "csv"),
])
def test_file_ending_picks_the_format(name: str, fmt: str) -> None:
    assert format_for_path(Path(name)) == fmt
    assert format_for_path(Path(name), fmt) == fmt


def test_every_format_has_an_ending() -> None:
    assert {f for formats in EXTENSIONS.values() for f in formats} == set(FORMATS)


def test_unknown_ending_or_contradicting_format_fails() -> None:
    with pytest.raises(NetworkError, match=r"net\.docx: cannot tell the format.*\.graphml, \.gexf"):
        format_for_path(Path("net.docx"))
    with pytest.raises(NetworkError, match="--format png contradicts the file ending .gexf"):
        format_for_path(Path("net.gexf"), "png")
    assert format_for_path(Path("net.json"), "json") == "json", "node-link JSON may still end in .json"
    assert format_for_path(Path("net.data"), "gexf") == "gexf", "an unknown ending with --format is the user's choice"


def test_cli_picks_the_format_from_the_ending(built_files: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    graph_file = str(built_files / "graph.nq")
    out = tmp_path / "agency-agency.gexf"
    assert main(["export", "network", "--projection", "agency-agency", "--lang", "en", "--colour", "community",
                 "-o", str(out), "--graph", graph_file]) == 0
    read = nx.read_gexf(out)
    assert read.graph.get("mode") == "static" and read.number_of_nodes() > 0
    assert read_gexf_description(out.read_bytes())["colourBy"] == "community"
    style = tmp_path / "agency-agency.style.json"
    assert main(["export", "network", "--projection", "agency-agency", "-o", str(style), "--graph", graph_file]) == 0
    assert json.loads(style.read_text())[0]["style"][0]["selector"] == "node"
    capsys.readouterr()
    assert main(["export", "network", "--projection", "agency-agency", "-o", str(tmp_path / "x.docx"),
                 "--graph", graph_file]) == 2
    assert ".graphml, .gexf" in capsys.readouterr().err
    assert main(["export", "network", "--projection", "agency-agency", "--format", "png",
                 "-o", str(tmp_path / "x.gexf"), "--graph", graph_file]) == 2
    assert "--format png contradicts the file ending .gexf" in capsys.readouterr().err
    assert main(["export", "network", "--projection", "agency-agency", "-o", "-", "--graph", graph_file]) == 2
    assert "give --format" in capsys.readouterr().err
