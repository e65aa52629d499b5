"""Pages and resources: home, agency, objective, query page, resource negotiation, reports, dumps, health."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from graph.api.views import link_for
from graph.build import BuiltGraph
from graph.queries import QuerySpec, run_query
from graph.store import EmbeddedStore

from api_support import HTML, KG, KGID

SKOS = "http://www.w3.org/2004/02/skos/core#"


def labels(store: EmbeddedStore, iri: str) -> dict[str, str]:
    result = store.query(f"SELECT ?l WHERE {{ <{iri}> <{SKOS}prefLabel> ?l }}")
    return {t.language: t.value for t in result.column("l")}  # type: ignore[union-attr]


def test_home_shows_counts_and_links(client: TestClient, store: EmbeddedStore) -> None:
    page = client.get("/", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    n = store.query(f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ ?a a <{KG}Agency> }}").rows[0][0]
    assert f'<span class="n">{n.value}</span>' in page.text  # type: ignore[union-attr]
    for href in ("/sparql", "/queries", "/query", "/validate", "/export/graph.nq"):
        assert f'href="{href}' in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text.split("<main>")[0]


def test_agency_page_has_its_touchpoint_table(client: TestClient, store: EmbeddedStore, agency: str,
                                             catalogue: dict[str, QuerySpec]) -> None:
    local = agency.removeprefix(KGID)
    page = client.get(f"/id/{local}", params={"lang": "sv"}, headers=HTML)
    assert page.status_code == 200
    assert labels(store, agency)["sv"] in page.text and labels(store, agency)["en"] in page.text
    rows = run_query(store, catalogue["agency-touchpoints"], {"agency": agency}, "sv").records()
    table = page.text.split('id="touchpoint-table"')[1].split("</table>")[0]
    expected = list(rows)
    assert expected and table.count("<tr><td>") == len(expected)
    assert all(r["kindLabel"].value in table for r in expected)  # type: ignore[union-attr]


def test_agency_page_links_every_document_of_each_touchpoint(client: TestClient, store: EmbeddedStore,
                                                            catalogue: dict[str, QuerySpec]) -> None:
    # An agency with a touchpoint whose citations quote more than one document.
    found = store.query(f"""SELECT ?a WHERE {{ ?tp <{KG}agency> ?a ; <{KG}quotedDocuments> ?d
        FILTER(CONTAINS(?d, " ")) }} ORDER BY ?a LIMIT 1""")
    agency = found.rows[0][0].value  # type: ignore[union-attr]
    records = list(run_query(store, catalogue["agency-touchpoints"], {"agency": agency}, "en").records())
    page = client.get("/id/" + agency.removeprefix(KGID), params={"lang": "en"}, headers=HTML).text
    cells = [row.split('<td class="documents">')[1].split("</td>")[0]
             for row in page.split('id="touchpoint-table"')[1].split("</table>")[0].split("<tr><td>")[1:]]
    documents = [r["sources"].value.split() for r in records]  # type: ignore[union-attr]
    assert len(cells) == len(documents) and any(len(docs) > 1 for docs in documents)
    for cell, docs in zip(cells, documents, strict=True):
        assert cell.count("<a ") == len(docs)
        assert [cell.index(f'href="{link_for(doc)}"') for doc in docs] == sorted(
            cell.index(f'href="{link_for(doc)}"') for doc in docs)  # every document, in the query's order


def test_objective_page(client: TestClient, store: EmbeddedStore) -> None:
    iri = store.query(f"SELECT ?o WHERE {{ ?o a <{KG}EnvironmentalQualityObjective> }} ORDER BY ?o LIMIT 1")
    objective = iri.rows[0][0].value  # type: ignore[union-attr]
    page = client.get("/id/" + objective.removeprefix(KGID), params={"lang": "en"}, headers=HTML)
    assert page.status_code == 200
    assert labels(store, objective)["en"] in page.text


@pytest.mark.parametrize("media", ["text/turtle", "application/ld+json", "application/n-triples",
                                   "application/rdf+xml"])
def test_resource_negotiates_rdf(client: TestClient, store: EmbeddedStore, agency: str, media: str) -> None:
    response = client.get("/id/" + agency.removeprefix(KGID), headers={"accept": media})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    triples = {q.triple for q in ox.parse(response.content, format=ox.RdfFormat.from_media_type(media))}
    expected = {ox.Triple(ox.NamedNode(agency), q.predicate, q.object)
                for q in store.store.quads_for_pattern(ox.NamedNode(agency), None, None)}
    assert expected <= triples


def test_resource_by_iri_and_unknown(client: TestClient) -> None:
    assert client.get("/resource", params={"iri": KG + "Touchpoint"}, headers=HTML).status_code == 200
    assert client.get("/id/does-not-exist", headers={"accept": "text/turtle"}).status_code == 404
    assert client.get("/id/does-not-exist", headers=HTML).status_code == 404
    # Any text fits /id/{local}; one that makes no IRI is no entity (schemathesis found the 400).
    no_iri = client.get("/id/a[b", headers={"accept": "text/turtle"})
    assert no_iri.status_code == 404 and "kgid:a[b" in no_iri.json()["message"]
    assert client.get("/resource", params={"iri": "no iri"}).json()["parameter"] == "iri"


def test_query_page_runs_sparql(client: TestClient, store: EmbeddedStore) -> None:
    query = f"SELECT ?a WHERE {{ ?a a <{KG}Agency> }}"
    page = client.get("/query", params={"query": query}, headers=HTML)
    n = len(store.query(query).rows)
    assert f'id="row-count">{n} ' in page.text
    bad = client.get("/query", params={"query": "SELECT nonsense"}, headers=HTML)
    assert bad.status_code == 400 and 'id="error"' in bad.text


def test_static_assets_are_served_by_the_app(client: TestClient) -> None:
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/app.js").status_code == 200


def test_exports_round_trip(client: TestClient, built: BuiltGraph) -> None:
    for name, fmt in (("graph.nq", ox.RdfFormat.N_QUADS), ("graph.trig", ox.RdfFormat.TRIG)):
        response = client.get(f"/export/{name}")
        assert response.status_code == 200
        assert set(ox.parse(response.content, format=fmt)) == set(built.store)


def test_health(client: TestClient, store: EmbeddedStore) -> None:
    assert client.get("/health").json()["quads"] == len(store)


def test_validate_json_and_html(client: TestClient) -> None:
    response = client.get("/validate")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["conforms"], bool)
    html = client.get("/validate", headers=HTML)
    assert html.headers["content-type"].startswith("text/html") and 'id="conforms"' in html.text
    assert json.dumps(body)


def test_report_page(client: TestClient) -> None:
    assert client.get("/report", headers=HTML).status_code == 200


@pytest.mark.parametrize("iri", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "JAVASCRIPT:alert(1)"])
def test_query_page_never_links_to_a_script_iri(client: TestClient, iri: str) -> None:
    # Found in review: an IRI made by the query itself was written into href as it was.
    response = client.get("/query", params={"query": f'SELECT ?x {{ BIND(IRI("{iri}") AS ?x) }}'}, headers=HTML)
    assert response.status_code == 200
    assert f'href="{iri}' not in response.text and "href=\"javascript" not in response.text.lower()
    if iri.lower().startswith("javascript"):
        assert "/resource?iri=javascript%3aalert" in response.text.lower()


def test_report_shows_the_basis_and_curated_links_only_when_asked(client: TestClient) -> None:
    plain = client.get("/report", params={"lang": "en"}, headers=HTML)
    asked = client.get("/report", params={"lang": "en", "curated": "true"}, headers=HTML)
    assert plain.status_code == asked.status_code == 200
    assert "<th>Basis</th>" in plain.text and "<td>stated</td>" in plain.text and "<td>gap</td>" in plain.text
    assert "<td>curated</td>" not in plain.text and "Also show our own links" in plain.text
    assert "<th>Our own links (unsure)</th>" in asked.text and "<td>curated</td>" in asked.text
