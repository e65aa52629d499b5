"""The catalogue as pages for a browser: the list, a query's typed form with choices read from the
graph, a paged table, downloads that carry the parameters, and messages beside the form."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from graph.api.catalogue_views import example_iris
from graph.namespaces import PREFIXES, compact
from graph.queries import QuerySpec, run_query
from graph.store import EmbeddedStore

from api_support import HTML, KG, KGID

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    """An element of a parsed page."""

    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return " ".join("".join(c if isinstance(c, str) else " " + c.text() + " " for c in self.children).split())

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def all(self, tag: str) -> list[Node]:
        return [n for n in self.walk() if n.tag == tag]

    def by_id(self, ident: str) -> Node | None:
        return next((n for n in self.walk() if n.attrs.get("id") == ident), None)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    return builder.root


def get_page(client: TestClient, url: str, params: dict[str, str] | None = None,
             status: int = 200) -> Node:
    response = client.get(url, params=params, headers=HTML)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert "accept" in response.headers["vary"].lower()
    return parse(response.text)


def options(page: Node, name: str) -> list[tuple[str, bool]]:
    select = next(s for s in page.all("select") if s.attrs.get("name") == name)
    return [(o.attrs["value"], "selected" in o.attrs) for o in select.all("option")]


def instances(store: EmbeddedStore, cls: str) -> set[str]:
    return {row[0].value for row in store.query(f"SELECT ?x WHERE {{ ?x a <{cls}> }}").rows}  # type: ignore[union-attr]


def library_rows(store: EmbeddedStore, spec: QuerySpec, raw: dict[str, str], lang: str = "sv") -> list[dict[str, str]]:
    result = run_query(store, spec, raw, lang)
    return [{k: "" if v is None else v.value for k, v in rec.items()} for rec in result.records()]


def results_rows(page: Node) -> list[Node]:
    table = page.by_id("results-table")
    assert table is not None, "the page has no results table"
    return table.all("tbody")[0].all("tr")


def test_browser_gets_the_catalogue_as_a_page(client: TestClient, catalogue: dict[str, QuerySpec]) -> None:
    page = get_page(client, "/queries", {"lang": "en"})
    links = {a.attrs["href"] for a in page.all("a")}
    for spec in catalogue.values():
        entry = page.by_id(f"q-{spec.name}")
        assert entry is not None and spec.summary in entry.text()
        assert f"/queries/{spec.name}?lang=en" in links and f"/queries/{spec.name}.rq" in links
        for param in spec.params:
            assert param.name in entry.text() and param.description.split("(")[0].strip() in entry.text()
    assert client.get("/queries").headers["content-type"] == "application/json"


def test_an_iri_parameter_chooses_among_the_instances_of_its_class(client: TestClient, store: EmbeddedStore) -> None:
    page = get_page(client, "/queries/agency-touchpoints")
    agencies = options(page, "agency")
    assert agencies[0] == ("", True)  # optional: "all agencies" first, chosen
    assert {PREFIXES["kgid"] + v.removeprefix("kgid:") for v, _ in agencies[1:]} == instances(store, KG + "Agency")
    groups = options(get_page(client, "/queries/framework-areas"), "group")
    # The example is both a framework area and a group: the parameter's name picks the group class.
    assert {PREFIXES["kgid"] + v.removeprefix("kgid:") for v, _ in groups[1:]} == instances(store, KG + "FrameworkAgreementGroup")


@pytest.mark.parametrize("name", ["agencies-lacking-kind", "agencies-sharing-levers", "agency-commissions",
                                  "agency-profile", "criteria-by-level", "criteria-library", "facts-below-sure",
                                  "objective-agencies", "objective-criteria", "objective-reach"])
def test_every_iri_parameter_offers_its_example(client: TestClient, catalogue: dict[str, QuerySpec], name: str) -> None:
    page = get_page(client, f"/queries/{name}")
    for param in catalogue[name].params:
        if param.type == "iri":
            values = [v for v, _ in options(page, param.name)]
            assert len(values) > 2
            assert {compact(iri) for iri in example_iris(param)} <= set(values)


def test_typed_fields(client: TestClient) -> None:
    members = get_page(client, "/queries/council-members")
    date = next(i for i in members.all("input") if i.attrs.get("name") == "date")
    assert date.attrs["type"] == "date"
    coverage = get_page(client, "/queries/objective-coverage")
    assert options(coverage, "include_curated") == [("false", True), ("true", False)]
    chosen = get_page(client, "/queries/objective-coverage", {"include_curated": "true"})
    assert options(chosen, "include_curated") == [("false", False), ("true", True)]


def test_a_required_parameter_opens_the_form_without_running(client: TestClient) -> None:
    page = get_page(client, "/queries/agency-profile", {"lang": "sv"})
    assert page.by_id("params-form") is not None and page.by_id("results") is None
    assert page.by_id("form-error") is None
    select = next(s for s in page.all("select") if s.attrs.get("name") == "agency")
    assert "required" in select.attrs
    assert client.get("/queries/agency-profile").status_code == 422  # a program still learns what is missing


@pytest.mark.parametrize(("params", "field_id", "words"), [
    ({"agency": ""}, "error-agency", "needs parameter 'agency'"),
    ({"agency": "not an iri"}, "error-agency", "must be an IRI"),
    ({"agency": "kgid:agency-naturvardsverket", "limit": "0"}, "error-limit", "from 1 to"),
    ({"agency": "kgid:agency-naturvardsverket", "lang": "de"}, "error-lang", "lang must be one of"),
])
def test_a_bad_value_is_shown_beside_its_field(client: TestClient, params: dict[str, str], field_id: str,
                                               words: str) -> None:
    page = get_page(client, "/queries/agency-profile", params, status=422)
    message = page.by_id(field_id)
    assert message is not None and words in message.text()
    assert page.by_id("form-error") is not None and page.by_id("results") is None


def test_the_table_is_paged_on_the_server(client: TestClient, store: EmbeddedStore,
                                          catalogue: dict[str, QuerySpec]) -> None:
    everything = library_rows(store, catalogue["agency-touchpoints"], {})
    assert len(everything) > 10
    page = get_page(client, "/queries/agency-touchpoints", {"limit": "5", "offset": "5"})
    assert len(results_rows(page)) == 5
    assert f"6–10 of {len(everything)}" in page.by_id("row-count").text().replace("av", "of")  # type: ignore[union-attr]
    nxt, prev = page.by_id("page-next"), page.by_id("page-previous")
    assert nxt is not None and prev is not None
    assert parse_qs(urlsplit(nxt.attrs["href"]).query) == {"lang": ["sv"], "limit": ["5"], "offset": ["10"]}
    assert parse_qs(urlsplit(prev.attrs["href"]).query) == {"lang": ["sv"], "limit": ["5"]}
    first = get_page(client, "/queries/agency-touchpoints", {"limit": "5"})
    assert first.by_id("page-previous") is None
    # Sources are external links: the cell of the first row's source shows the row's own value.
    cells = [td.text() for td in results_rows(first)[0].all("td")]
    assert len(cells) == len(catalogue["agency-touchpoints"].columns)


def test_downloads_carry_the_parameters_and_every_row(client: TestClient, store: EmbeddedStore,
                                                      catalogue: dict[str, QuerySpec], agency: str) -> None:
    short = "kgid:" + agency.removeprefix(KGID)
    page = get_page(client, "/queries/agency-touchpoints", {"agency": short, "lang": "en", "limit": "2"})
    assert options(page, "agency").count((short, True)) == 1
    links = {a.text(): a.attrs for a in page.by_id("downloads").all("a")}  # type: ignore[union-attr]
    assert set(links) == {"CSV", "TSV", "JSON", "XML"}
    assert links["CSV"]["download"] == "agency-touchpoints.csv"
    answer = client.get(links["CSV"]["href"], headers=HTML)
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert rows == library_rows(store, catalogue["agency-touchpoints"], {"agency": agency}, "en")
    assert len(rows) > 2  # every row, not the page of two
    tsv = client.get(links["TSV"]["href"], headers=HTML)
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")


def test_the_query_text_and_the_editor_link(client: TestClient, catalogue: dict[str, QuerySpec]) -> None:
    spec = catalogue["objective-reach"]
    page = get_page(client, f"/queries/{spec.name}", {"lang": "sv"})
    editor = page.by_id("open-editor")
    assert editor is not None
    address = urlsplit(editor.attrs["href"])
    assert address.path == "/query"
    # The editor gets the text as this page runs it (lang bound): its rows are the page's rows.
    (text,) = parse_qs(address.query)["query"]
    in_editor = client.post("/sparql", content=text.encode(), headers={
        "content-type": "application/sparql-query", "accept": "application/sparql-results+json"}).json()
    on_page = client.get(f"/queries/{spec.name}", params={"lang": "sv", "limit": 1000},
                         headers={"accept": "application/json"}).json()
    rows = [{k: v["value"] for k, v in row.items()} for row in in_editor["results"]["bindings"]]
    assert rows and sorted(map(sorted, (r.items() for r in rows))) == sorted(
        map(sorted, ({k: v for k, v in r.items() if v is not None}.items() for r in on_page["rows"])))
    shown = page.by_id("sparql-text")
    assert shown is not None and " ".join(spec.text.split()) in shown.text()
    text = client.get(page.by_id("rq-link").attrs["href"], headers=HTML)  # type: ignore[union-attr]
    assert text.headers["content-type"] == "text/plain; charset=utf-8" and text.text == spec.text


def test_an_empty_answer_shows_the_querys_note(client: TestClient) -> None:
    page = get_page(client, "/queries/council-members", {"date": "2025-01-01"})
    note = page.by_id("empty-note")
    assert note is not None and note.text().startswith("No membership in the data covers this date.")
    assert page.by_id("results-table") is None


def test_an_empty_answer_names_a_mistyped_iri(client: TestClient) -> None:
    page = get_page(client, "/queries/agency-profile", {"agency": "kgid:agency-boverk"})
    note = page.by_id("empty-note")
    assert note is not None
    assert note.text() == "agency kgid:agency-boverk names nothing in the graph. Did you mean kgid:agency-boverket?"


def test_unknown_query_page_is_404(client: TestClient) -> None:
    page = get_page(client, "/queries/no-such-query", status=404)
    assert "no query named 'no-such-query'" in page.text()


def test_home_page_query_links_open_pages(client: TestClient) -> None:
    home = get_page(client, "/")
    hrefs = sorted({a.attrs["href"] for a in home.all("a") if a.attrs.get("href", "").startswith("/queries")})
    assert any("agency-profile" in h for h in hrefs) and any("agencies-sharing-levers" in h for h in hrefs)
    for href in hrefs:
        response = client.get(href, headers=HTML)
        assert response.status_code == 200, href
        assert response.headers["content-type"].startswith(("text/html", "text/plain")), href
