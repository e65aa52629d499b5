"""/export/network/{projection}.{format}: the same networks as `kg export network`."""

from __future__ import annotations

import dataclasses
import html
import io
import re
from urllib.parse import parse_qs, urlsplit

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from graph.api import create_app
from graph.api.routes import exports
from graph.config import Settings
from graph.network import list_projections
from graph.network.style import node_colour, rgb
from graph.store import EmbeddedStore, GraphStore

KG = "https://w3id.org/mmr-kg/def/"
KGID = "https://w3id.org/mmr-kg/id/"


@pytest.mark.parametrize("projection", sorted(list_projections()))
def test_graphml_download_matches_the_library_projection(client: TestClient, networks: dict[str, nx.Graph],
                                                         projection: str) -> None:
    response = client.get(f"/export/network/{projection}.graphml", params={"lang": "en"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphml+xml")
    assert f'filename="{projection}.graphml"' in response.headers["content-disposition"]
    downloaded = nx.read_graphml(io.BytesIO(response.content))
    expected = networks[projection]
    assert set(downloaded.nodes) == set(expected.nodes)
    assert set(map(frozenset, downloaded.edges)) == set(map(frozenset, expected.edges))
    assert {n: d["label"] for n, d in downloaded.nodes(data=True)} == {
        n: d["label"] for n, d in expected.nodes(data=True)}
    assert downloaded.graph["contentDigest"] == expected.graph["contentDigest"], "every attribute the same"


def test_html_page_is_served_inline(client: TestClient) -> None:
    response = client.get("/export/network/agency-lever.html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-disposition"].startswith("inline")
    assert "<script src" not in response.text


@pytest.mark.parametrize(("path", "named"), [
    ("/export/network/nope.graphml", "agency-lever"),
    ("/export/network/agency-lever.docx", "graphml"),
])
def test_unknown_projection_or_format_is_404_listing_the_choices(client: TestClient, path: str, named: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert named in response.json()["message"]


def test_colour_by_community_reaches_the_gexf(client: TestClient, networks: dict[str, nx.Graph]) -> None:
    response = client.get("/export/network/agency-agency.gexf", params={"lang": "en", "colour": "community"})
    assert response.status_code == 200
    read = nx.read_gexf(io.BytesIO(response.content))
    for node, data in networks["agency-agency"].nodes(data=True):
        viz = read.nodes[node]["viz"]["color"]
        assert (viz["r"], viz["g"], viz["b"]) == rgb(node_colour(data, "community"))
    assert client.get("/export/network/agency-agency.gexf", params={"colour": "size"}).status_code == 422


def test_cytoscape_style_is_a_download_beside_the_network(client: TestClient) -> None:
    response = client.get("/export/network/agency-lever.cytoscape-style")
    assert response.status_code == 200
    assert 'filename="agency-lever.style.json"' in response.headers["content-disposition"]
    assert response.json()[0]["style"][0]["selector"] == "node"


def test_focus_is_for_the_page_only(client: TestClient, agency: str) -> None:
    response = client.get("/export/network/agency-lever.graphml", params={"focus": agency})
    assert response.status_code == 400 and response.json()["parameter"] == "focus"


@pytest.mark.parametrize(("kind", "projections"), [
    ("Agency", {"agency-lever", "agency-objective", "agency-agency", "entities"}),
    ("EnvironmentalQualityObjective", {"agency-objective", "entities"}),
])
def test_agency_and_objective_pages_link_to_their_networks(client: TestClient, store: EmbeddedStore, agency: str,
                                                           kind: str, projections: set[str]) -> None:
    if kind == "Agency":
        iri = agency
    else:
        rows = store.query(f"SELECT ?o WHERE {{ ?o a <{KG}{kind}> }} ORDER BY ?o LIMIT 1").rows
        iri = rows[0][0].value  # type: ignore[union-attr]
    page = client.get(f"/id/{iri.removeprefix(KGID)}", params={"lang": "en"}, headers={"Accept": "text/html"})
    assert page.status_code == 200
    links = re.findall(r'href="(/export/network/[^"]+)"', page.text)
    assert {re.match(r"/export/network/([\w-]+)\.html", link)[1] for link in links} == projections  # type: ignore[index]
    for link in links:
        url = html.unescape(link)
        assert parse_qs(urlsplit(url).query)["focus"] == [iri]
        network = client.get(url)
        assert network.status_code == 200 and network.headers["content-type"].startswith("text/html")
        assert iri in network.text, "the focused node is in the network"


def test_a_projection_is_built_once_for_all_its_formats(store: EmbeddedStore, settings: Settings,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[str, str]] = []
    real = exports.build_network

    def counting(store: GraphStore, projection: str, lang: str, **kwargs: object) -> nx.Graph:
        built.append((projection, lang))
        return real(store, projection, lang, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(exports, "build_network", counting)
    app = create_app(store, dataclasses.replace(settings, response_cache_bytes=0))
    client = TestClient(app, raise_server_exceptions=False)
    try:
        bodies = {fmt: client.get(f"/export/network/agency-lever.{fmt}") for fmt in ("graphml", "json", "html", "svg")}
        assert all(r.status_code == 200 for r in bodies.values())
        assert client.get("/export/network/agency-lever.json", params={"lang": "en"}).status_code == 200
        assert built == [("agency-lever", "sv"), ("agency-lever", "en")]
        # The positions the library computed once are the ones every format carries.
        graph = nx.node_link_graph(bodies["json"].json(), edges="edges")
        read = nx.read_graphml(io.BytesIO(bodies["graphml"].content))
        assert {n: (d["x"], d["y"]) for n, d in graph.nodes(data=True)} == \
            {n: (d["x"], d["y"]) for n, d in read.nodes(data=True)}
    finally:
        app.state.kg.close()
