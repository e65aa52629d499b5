"""The report's coverage grid and plurals, the home page's counters and its one explained count."""

from __future__ import annotations

import re
from html import unescape

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from graph.store import EmbeddedStore
from graph.summary import DatasetSize, dataset_size

from api_support import HTML, KG

DCTERMS = "http://purl.org/dc/terms/"


def _between(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end, text.index(start))]


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("violation", "violations", "warning", "warnings", "info", "infos")),
    ("sv", ("överträdelse", "överträdelser", "varning", "varningar", "upplysning", "upplysningar")),
])
def test_report_counts_in_plural_words(lang: str, words: tuple[str, ...], client: TestClient) -> None:
    counts = client.get("/validate").json()["counts"]
    page = client.get("/report", params={"lang": lang}, headers=HTML).text
    verdict = unescape(re.sub(r"\s+", " ", _between(page, 'id="conforms"', "</p>")))
    expected = ", ".join(f"{n} {words[2 * i] if n == 1 else words[2 * i + 1]}"
                         for i, n in enumerate(counts[s] for s in ("Violation", "Warning", "Info")))
    assert f"({expected})" in verdict.replace("\u00a0", "")
    assert "Violation," not in verdict and " Warning" not in verdict


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_report_coverage_is_an_agency_by_kind_grid(lang: str, client: TestClient) -> None:
    coverage = client.get("/report", params={"lang": lang}, headers=HTML).text
    grid = _between(coverage, 'id="coverage-agencies"', "</table>")
    headers = re.findall(r"<th[^>]*>(.*?)</th>", _between(grid, "<thead>", "</thead>"))
    kinds = re.findall(r'<abbr title="([^"]+)">(\d+)</abbr>', grid)
    assert len(headers) == 3 + len(kinds) == 3 + 22
    assert [short for _, short in kinds] == [str(n) for n in range(1, 23)]
    legend = re.findall(r'<li value="(\d+)">([^<]+)</li>', _between(coverage, 'id="coverage-kinds"', "</ol>"))
    assert legend == [(short, label) for label, short in kinds]  # the legend maps every header to its kind
    rows = re.findall(r"<tr>(.*?)</tr>", _between(grid, "<tbody>", "</tbody>"))
    assert len(rows) > 18
    for row in rows:
        cells = re.findall(r'<td class="tick">(.*?)</td>', row)[1:]  # after the council column
        assert len(cells) == 22 and all(re.fullmatch(r"(✓\d+)?", cell) for cell in cells)
        total = int(re.findall(r'<td class="num">(\d+)</td>', row)[0])
        assert total == sum(int(cell[1:]) for cell in cells if cell)
    assert "Missing" not in coverage and "Saknas" not in coverage  # the blanks say it


def test_home_counters_name_classes_in_the_page_language(client: TestClient, store: EmbeddedStore) -> None:
    for lang, citation in (("en", "Citation"), ("sv", "Citat ur källa")):
        counts = _between(client.get("/", params={"lang": lang}, headers=HTML).text, 'id="counts"', "</section>")
        names = re.findall(r'<span class="what"([^>]*)>([^<]+)</span>', counts)
        shown = {name: attrs for attrs, name in names}
        assert citation in shown and "Bibliographic Resource" in shown
        assert not any(":" in name for name in shown), names  # no dcterms:BibliographicResource
        # Dublin Core labels the class in English only: on the Swedish page, the name says its language
        assert ('lang="en"' in shown["Bibliographic Resource"]) == (lang == "sv")
        assert 'title="dcterms:BibliographicResource"' in shown["Bibliographic Resource"]
    label = store.query(f'SELECT ?l WHERE {{ <{KG}Agency> <http://www.w3.org/2000/01/rdf-schema#label> ?l '
                        'FILTER(LANG(?l) = "sv") }').rows[0][0]
    assert label is not None
    home = client.get("/", params={"lang": "sv"}, headers=HTML).text
    assert f">{label.value[:1].upper()}{label.value[1:]}</span>" in home


def test_home_and_health_show_one_explained_count(client: TestClient, store: EmbeddedStore) -> None:
    health = client.get("/health").json()
    graphs = store.query("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0][0]
    assert health["quads"] == len(store) and health["named_graphs"] == int(graphs.value)  # type: ignore[union-attr]
    quads = f"{len(store):,}"
    assert health["size"] == f"{quads} statements (quads) in {graphs.value} named graphs"  # type: ignore[union-attr]
    english = client.get("/", params={"lang": "en"}, headers=HTML).text
    assert f'<span id="size">{health["size"]}</span>' in english
    swedish = client.get("/", params={"lang": "sv"}, headers=HTML).text
    size = _between(swedish, "<span id=\"size\">", "</span>").removeprefix("<span id=\"size\">")
    spaced = quads.replace(",", "\u00a0")
    assert size == f"{spaced} påståenden (quads) i {graphs.value} namngivna grafer"  # type: ignore[union-attr]
    assert "tripler" not in swedish and " triples" not in english


def test_dataset_size_counts_the_statements_of_named_graphs() -> None:
    ex = "https://example.org/"
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(ex + "s"), ox.NamedNode(ex + "p"), ox.Literal("in the default graph")))
    for n, graph in enumerate(["a", "a", "b"]):
        store.add(ox.Quad(ox.NamedNode(ex + "s"), ox.NamedNode(ex + "p"), ox.Literal(str(n)), ox.NamedNode(ex + graph)))

    class Remote:  # any other GraphStore is asked with SPARQL
        def __init__(self) -> None:
            self.inner = EmbeddedStore(store)

        def query(self, sparql: str, *args: object, **kwargs: object) -> object:
            return self.inner.query(sparql)

    assert dataset_size(EmbeddedStore(store)) == dataset_size(Remote()) == DatasetSize(3, 2)  # type: ignore[arg-type]
