"""Queries need no PREFIX lines for the project's prefixes, and syntax errors read as one line."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.cli import main
from graph.errors import QuerySyntaxError
from graph.namespaces import KG, PREFIXES
from graph.store import EmbeddedStore
from graph.store.remote import RemoteStore
from graph.store.sparql_text import declare_prefixes, refuse_unsafe, undeclared_prefixes


@pytest.fixture(scope="module")
def small() -> EmbeddedStore:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(PREFIXES["kgid"] + "tp-1"), ox.NamedNode(PREFIXES["rdf"] + "type"),
                      ox.NamedNode(KG + "Touchpoint"), ox.NamedNode("https://w3id.org/mmr-kg/graph/t")))
    return EmbeddedStore(store)


def test_the_project_prefixes_need_no_prefix_lines(small: EmbeddedStore) -> None:
    result = small.query("SELECT * { ?s a kg:Touchpoint }")
    assert [row[0] for row in result.rows] == [ox.NamedNode(PREFIXES["kgid"] + "tp-1")]


def test_a_prefix_line_of_the_query_wins(small: EmbeddedStore) -> None:
    result = small.query("PREFIX kg: <http://example.org/other#>\nSELECT ?x { BIND(kg:Touchpoint AS ?x) }")
    assert result.rows == [(ox.NamedNode("http://example.org/other#Touchpoint"),)]


def test_a_term_named_service_without_prefix_lines_is_not_refused() -> None:
    refuse_unsafe("SELECT * { ?s a sd:Service }")  # rdflib's second opinion gets the prefixes too


@pytest.mark.parametrize(("sparql", "expected"), [
    ("SELECT * { ?s a kg:Agency ; skos:prefLabel ?l }", ["kg", "skos"]),
    ("PREFIX kg: <http://example.org/>\nSELECT * { ?s a kg:Agency }", []),
    ("SELECT * { ?s ?p 'kg:Agency' . ?s ?q <kg:x> } # skos:Concept", []),
    ("SELECT * { ?s a ex:Agency ; kg:x _:b }", ["kg"]),
])
def test_undeclared_prefixes_are_found_in_names_only(sparql: str, expected: list[str]) -> None:
    assert undeclared_prefixes(sparql) == expected


def test_declared_prefixes_keep_line_numbers() -> None:
    text = declare_prefixes("SELECT * {\n  ?s a kg:Agency }")
    assert text.count("\n") == 1 and text.startswith(f"PREFIX kg: <{KG}> SELECT")
    ox.Store().query(text)


def test_a_remote_store_declares_the_prefixes_it_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[str] = []

    def send(self: RemoteStore, text: str, *args: object) -> tuple[bytes, str]:
        sent.append(text)
        return b'{"head": {"vars": ["s"]}, "results": {"bindings": []}}', "application/sparql-results+json"

    monkeypatch.setattr(RemoteStore, "_send", send)
    RemoteStore("http://127.0.0.1:9/query").query("SELECT * { ?s a kg:Touchpoint }")
    assert sent == [f"PREFIX kg: <{KG}> SELECT * {{ ?s a kg:Touchpoint }}"]
    with pytest.raises(QuerySyntaxError, match=r"^unknown prefix `foo:` at line 1, column 17"):
        RemoteStore("http://127.0.0.1:9/query").query("SELECT * { ?s a foo:Touchpoint }")


def test_an_unknown_prefix_is_named_where_it_starts(small: EmbeddedStore) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        small.query("SELECT * WHERE {\n  ?s a foo:Bar }")
    assert str(caught.value) == "unknown prefix `foo:` at line 2, column 8 (declare it: PREFIX foo: <…>)"
    assert (caught.value.line, caught.value.column) == (2, 8)


@pytest.mark.parametrize(("sparql", "message"), [
    ("SELECT * { ?s ?p ?o }\nLIMIT x", "syntax error at line 2, column 7: expected HAVING, OFFSET, OPTIONAL, VALUES or a number, "
                                       "found `x`"),
    ("SELECT * WHERE { ?s ?p ?o ", "syntax error at line 1, column 27: expected `,`, `.`, `;`, `{`, `{|`, `}` or `~`, "
                                   "found the end of the query"),
    ("SELECT * { ?s <a b> ?o }", "invalid IRI `<a b>` at line 1, column 15: an IRI holds no spaces and none of <>\"{}|^`\\"),
    ("SELECT ?x WHERE { ?s ?p ?o } GROUP BY ?s", "syntax error at line 1, column 41: The SELECT contains a variable "
                                                 "that is unbound"),
    ("SELECT * { ?s ?p 'å' . ?s a nope:x }", "unknown prefix `nope:` at line 1, column 29 (declare it: PREFIX nope: <…>)"),
])
def test_syntax_errors_read_as_one_line(small: EmbeddedStore, sparql: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        small.query(sparql)
    assert str(caught.value) == message


@pytest.mark.parametrize("sparql", [
    "SELECT * { ?s ?p ?o . FILTER(?x = ) }", "SELECT ?s { ?s a <http://x/> } ORDER BY", "SELECT * WHERE {\n  ?s ?p }",
    "SELECT * { ?s ?p \"abc }", "SELECT (COUNT(*) AS ?x ?y) {}", "SELECT * { ?s a kgid:x:y:z:: ?o } GROUP BY ?s",
])
def test_no_error_shows_the_parser_s_character_ranges(small: EmbeddedStore, sparql: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        small.query(sparql)
    message = str(caught.value)
    assert "\n" not in message and "\\u{" not in message and "..=" not in message and "[_]" not in message
    assert message.startswith(("syntax error at line ", "unknown prefix `", "invalid IRI `"))
    assert f"line {caught.value.line}, column {caught.value.column}" in message


def test_kg_query_prints_the_readable_line(tmp_path: Path, built_files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "mine.rq"
    query.write_text("SELECT * WHERE {\n  ?s a kg:Agency ; foo:name ?n }\n", encoding="utf-8")
    assert main(["query", "--file", str(query), "--graph", str(built_files / "graph.nq")]) == 2
    assert "unknown prefix `foo:` at line 2, column 20" in capsys.readouterr().err
    query.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s a kg:Agency }\n", encoding="utf-8")
    assert main(["query", "--file", str(query), "--graph", str(built_files / "graph.nq"), "--format", "csv"]) == 0


@pytest.mark.server
def test_a_real_remote_store_answers_a_query_without_prefix_lines(remote: RemoteStore, store: EmbeddedStore) -> None:
    text = "SELECT ?a ?label WHERE { ?a a kg:Agency ; skos:prefLabel ?label FILTER(LANG(?label) = 'sv') }"
    there, here = remote.query(text), store.query(text)
    assert sorted(map(str, there.rows)) == sorted(map(str, here.rows)) and here.rows
