"""Network projections (issue 5): values match SPARQL, measures are present, every export reads back.

The projections are built once per session (the ``networks`` fixture of ``tests/conftest.py``); each format
is written from them and read back with the real readers.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest

from graph.cli import main
from graph.errors import NetworkError
from graph.network import FORMATS, MEASURES, build_network, export_network, list_projections, write_network
from graph.store import EmbeddedStore

PREFIXES = """PREFIX kg: <https://w3id.org/mmr-kg/def/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""
PROJECTIONS = ("entities", "agency-lever", "agency-objective", "agency-agency")


def select(store: EmbeddedStore, body: str) -> list[dict[str, str]]:
    """Run a SELECT and return rows of plain values."""
    return [{k: v.value for k, v in row.items() if v is not None}
            for row in store.query(PREFIXES + body).records()]


def pair(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def test_projections_are_listed() -> None:
    assert set(PROJECTIONS) <= set(list_projections())


def test_agency_lever_matches_touchpoints(store: EmbeddedStore, networks: dict[str, nx.Graph]) -> None:
    rows = select(store, "SELECT ?a ?l (COUNT(DISTINCT ?tp) AS ?n) WHERE "
                         "{ ?tp a kg:Touchpoint ; kg:agency ?a ; kg:lever ?l } GROUP BY ?a ?l")
    graph = networks["agency-lever"]
    assert rows, "the shipped graph has touchpoints"
    assert {pair(r["a"], r["l"]): int(r["n"]) for r in rows} == {
        pair(s, t): d["weight"] for s, t, d in graph.edges(data=True)}
    levers = select(store, "SELECT ?l WHERE { ?l a kg:ProcurementLever }")
    assert {r["l"] for r in levers} == {n for n, d in graph.nodes(data=True) if d["type"] == "lever"}


def test_agency_objective_responsibility(store: EmbeddedStore, networks: dict[str, nx.Graph]) -> None:
    rows = select(store, "SELECT ?a ?o WHERE { ?o a kg:EnvironmentalQualityObjective ; kg:responsibleAgency ?a }")
    graph = networks["agency-objective"]
    assert rows
    assert {pair(r["a"], r["o"]) for r in rows} == {
        pair(s, t) for s, t, d in graph.edges(data=True) if d["responsible"]}
    for _, _, data in graph.edges(data=True):
        assert data["weight"] == data["responsible"] + data["touchpoints"] + data["criteriaAreas"] > 0


def test_agency_agency_shared_levers(store: EmbeddedStore, networks: dict[str, nx.Graph]) -> None:
    rows = select(store, """SELECT ?a ?b (COUNT(DISTINCT ?l) AS ?n) WHERE {
        ?t1 a kg:Touchpoint ; kg:agency ?a ; kg:lever ?l . ?t2 a kg:Touchpoint ; kg:agency ?b ; kg:lever ?l .
        FILTER(STR(?a) < STR(?b)) } GROUP BY ?a ?b""")
    graph = networks["agency-agency"]
    assert {pair(r["a"], r["b"]): int(r["n"]) for r in rows} == {
        pair(s, t): d["sharedLevers"] for s, t, d in graph.edges(data=True) if d["sharedLevers"]}


def test_entities_nodes_and_labels(store: EmbeddedStore, networks: dict[str, nx.Graph]) -> None:
    graph = networks["entities"]
    agencies = select(store, 'SELECT ?a ?label WHERE { ?a a kg:Agency ; skos:prefLabel ?label FILTER(LANG(?label) = "en") }')
    assert agencies
    for row in agencies:
        assert graph.nodes[row["a"]]["label"] == row["label"]
        assert graph.nodes[row["a"]]["type"] == "agency"
    types = Counter(d["type"] for _, d in graph.nodes(data=True))
    measures = select(store, "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a kg:MeasureActivity }")
    assert types["activity"] == int(measures[0]["n"])
    assert graph.is_directed()


def test_swedish_labels(store: EmbeddedStore) -> None:
    graph = build_network(store, "agency-lever", "sv")
    rows = select(store, 'SELECT ?l ?label WHERE { ?l a kg:ProcurementLever ; skos:prefLabel ?label FILTER(LANG(?label) = "sv") }')
    assert {r["l"]: r["label"] for r in rows} == {
        n: d["label"] for n, d in graph.nodes(data=True) if d["type"] == "lever"}


@pytest.mark.parametrize("projection", PROJECTIONS)
def test_measures_and_flat_attributes(networks: dict[str, nx.Graph], projection: str) -> None:
    graph = networks[projection]
    node_keys = {frozenset(d) for _, d in graph.nodes(data=True)}
    edge_keys = {frozenset(d) for _, _, d in graph.edges(data=True)}
    assert len(node_keys) == 1 and len(edge_keys) <= 1, "every node (edge) has the same keys"
    assert set(MEASURES) <= next(iter(node_keys))
    undirected = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    for node, data in graph.nodes(data=True):
        assert data["degree"] == undirected.degree(node)
        assert data["weightedDegree"] == pytest.approx(undirected.degree(node, weight="weight"))
    for value in [*(v for _, d in graph.nodes(data=True) for v in d.values()),
                  *(v for _, _, d in graph.edges(data=True) for v in d.values()), *graph.graph.values()]:
        assert isinstance(value, str | int | float) and value is not None
    assert "Louvain" in graph.graph["communityMethod"] and "eigenvector" in graph.graph["centralityMethod"]


@pytest.mark.parametrize("projection", PROJECTIONS)
def test_eigenvector_centrality_is_measured_in_each_component(networks: dict[str, nx.Graph], projection: str) -> None:
    # One eigenvector of a graph in pieces puts every score on the piece with the largest leading
    # eigenvalue (agency-objective: a two-node piece of weight 3, the eight-node one all 0).
    graph = networks[projection]
    undirected = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    scores = nx.get_node_attributes(graph, "eigenvector")
    assert sum(scores.values()) == pytest.approx(1, abs=1e-4) and min(scores.values()) > 0
    for component in nx.connected_components(undirected):
        assert sum(scores[n] for n in component) == pytest.approx(len(component) / len(graph), abs=1e-4)
        if len(component) > 2:  # its top node is the top of networkx's own eigenvector of the piece alone
            alone = nx.eigenvector_centrality(undirected.subgraph(component), weight="weight", max_iter=1000, tol=1e-8)
            assert alone[max(component, key=scores.__getitem__)] == pytest.approx(max(alone.values()), rel=1e-5)


def _read_graphml(body: bytes) -> nx.Graph:
    return nx.read_graphml(io.BytesIO(body))


def _read_gexf(body: bytes) -> nx.Graph:
    return nx.read_gexf(io.BytesIO(body))


def _read_cytoscape(body: bytes) -> nx.Graph:
    return nx.cytoscape_graph(json.loads(body), name="label")


def _read_json(body: bytes) -> nx.Graph:
    return nx.node_link_graph(json.loads(body), edges="edges")


READERS: dict[str, tuple[Callable[[bytes], nx.Graph], set[str], set[str]]] = {
    # format: (reader, node keys the format adds, edge keys the format adds)
    "graphml": (_read_graphml, set(), set()),
    "gexf": (_read_gexf, {"viz"}, {"id"}),
    "cytoscape": (_read_cytoscape, {"id", "value", "name"}, {"source", "target"}),
    "json": (_read_json, set(), set()),
}


def _same_attrs(written: dict[str, object], read: dict[str, object]) -> None:
    assert set(written) == set(read)
    for key, value in written.items():
        if isinstance(value, float):
            assert read[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key
        else:
            assert read[key] == value, key


@pytest.mark.parametrize("fmt", list(READERS))
@pytest.mark.parametrize("projection", PROJECTIONS)
def test_export_reads_back(networks: dict[str, nx.Graph], projection: str, fmt: str) -> None:
    body, media_type = write_network(networks[projection], fmt)
    assert media_type == FORMATS[fmt].media_type
    reader, node_extra, edge_extra = READERS[fmt]
    written, read = networks[projection], reader(body)
    assert read.is_directed() == written.is_directed()
    assert set(read.nodes) == set(written.nodes)
    assert {(s, t) if written.is_directed() else pair(s, t) for s, t in read.edges} == {
        (s, t) if written.is_directed() else pair(s, t) for s, t in written.edges}
    for node, data in written.nodes(data=True):
        _same_attrs(data, {k: v for k, v in read.nodes[node].items() if k not in node_extra})
    for source, target, data in written.edges(data=True):
        back = {k: v for k, v in read.edges[source, target].items() if k not in edge_extra}
        if fmt == "gexf":  # GEXF stores weight as a float
            back["weight"] = int(back["weight"])
        _same_attrs(data, back)


@pytest.mark.parametrize("projection", PROJECTIONS)
def test_csv_reads_back(networks: dict[str, nx.Graph], projection: str) -> None:
    body, media_type = write_network(networks[projection], "csv")
    assert media_type == "application/zip"
    written = networks[projection]
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert sorted(archive.namelist()) == ["edges.csv", "graph.csv", "nodes.csv"]
        nodes = list(csv.DictReader(io.StringIO(archive.read("nodes.csv").decode("utf-8"))))
        edges = list(csv.DictReader(io.StringIO(archive.read("edges.csv").decode("utf-8"))))
        meta = {r["key"]: r["value"] for r in csv.DictReader(io.StringIO(archive.read("graph.csv").decode()))}
    assert {r["id"]: {k: v for k, v in r.items() if k != "id"} for r in nodes} == {
        n: {k: str(v) for k, v in d.items()} for n, d in written.nodes(data=True)}
    assert len(edges) == written.number_of_edges()
    for row in edges:
        data = written.edges[row.pop("source"), row.pop("target")]
        assert row == {k: str(v) for k, v in data.items()}
    assert meta["communityMethod"] == written.graph["communityMethod"]


@pytest.mark.parametrize("fmt", [*READERS, "csv", "cytoscape-style", "html"])
def test_export_network_writes_what_build_network_builds(store: EmbeddedStore, networks: dict[str, nx.Graph],
                                                         fmt: str) -> None:
    # export_network builds afresh; the same bytes as the shared network written (the tests above read those back)
    assert export_network(store, "agency-lever", fmt, "en") == write_network(networks["agency-lever"], fmt)


def test_unknown_names_list_valid_ones(store: EmbeddedStore) -> None:
    with pytest.raises(NetworkError, match="unknown projection 'people'. Use one of: agency-agency, agency-lever"):
        export_network(store, "people", "graphml")
    with pytest.raises(NetworkError, match="unknown network format 'pdf'. Use one of: graphml, gexf"):
        export_network(store, "entities", "pdf")
    with pytest.raises(NetworkError, match="unknown language 'de'"):
        export_network(store, "entities", "graphml", "de")


def test_cli_export(built_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "net.graphml"
    assert main(["export", "network", "--projection", "agency-lever", "--format", "graphml", "--lang", "en",
                 "-o", str(out), "--graph", str(built_files / "graph.nq"), "--summary", "3"]) == 0
    assert nx.read_graphml(out).graph["projection"] == "agency-lever"
    assert "| label | type | degree" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "network", "--projection", "people", "--format", "png", "-o", str(out)])
    assert exit_info.value.code == 2
    assert "choose from 'agency-agency', 'agency-lever', 'agency-objective', 'entities'" in capsys.readouterr().err
