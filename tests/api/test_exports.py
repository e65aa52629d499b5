"""/export/network/{projection}.{format}: the same networks as `kg export network`."""

from __future__ import annotations

import io

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from graph.network import build_network, list_projections
from graph.store import EmbeddedStore


@pytest.mark.parametrize("projection", sorted(list_projections()))
def test_graphml_download_matches_the_library_projection(client: TestClient, store: EmbeddedStore,
                                                         projection: str) -> None:
    response = client.get(f"/export/network/{projection}.graphml", params={"lang": "en"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphml+xml")
    assert f'filename="{projection}.graphml"' in response.headers["content-disposition"]
    downloaded = nx.read_graphml(io.BytesIO(response.content))
    expected = build_network(store, projection, "en")
    assert set(downloaded.nodes) == set(expected.nodes)
    assert set(map(frozenset, downloaded.edges)) == set(map(frozenset, expected.edges))
    assert {n: d["label"] for n, d in downloaded.nodes(data=True)} == {
        n: d["label"] for n, d in expected.nodes(data=True)}


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
