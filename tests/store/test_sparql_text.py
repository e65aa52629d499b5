"""Reading SPARQL text: refusing unsafe requests and binding parameters as VALUES blocks."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from graph.errors import QueryError, QueryRefused
from graph.store.sparql_text import Term, inline_bindings, refuse_unsafe, tokens

INJECTION = 'x" } ; DROP ALL #'
UNUSED = {"zz": ox.Literal("a")}


@pytest.mark.parametrize(("sparql", "before"), [
    ("SELECT ?s WHERE { ?s ?p ?o }", "SELECT ?s WHERE {"),
    ("SELECT * { ?s ?p ?o }", "SELECT * {"),
    ('# a comment with { a brace\nSELECT ?s WHERE { ?s ?p "}" }', '# a comment with { a brace\nSELECT ?s WHERE {'),
    ("PREFIX ex: <http://ex/where#>\nSELECT ?where WHERE { ?where ex:where ?o }",
     "PREFIX ex: <http://ex/where#>\nSELECT ?where WHERE {"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT { ?s ?p ?o } WHERE {"),
    ("ASK { ?s ?p '''{'''}", "ASK {"),
    ("SELECT (IF(?a < 2, 1, 0) AS ?x) WHERE { ?a ?b ?c }", "SELECT (IF(?a < 2, 1, 0) AS ?x) WHERE {"),
])
def test_every_binding_opens_the_outermost_where_group(sparql: str, before: str) -> None:
    bound = inline_bindings(sparql, UNUSED)
    assert bound == before + ' VALUES (?zz) { ("a") }' + sparql[len(before):]
    ox.Store().query(bound)


def test_values_are_ntriples_terms_not_pasted_text() -> None:
    text = inline_bindings("SELECT ?s WHERE { ?s ?p ?v }", {
        "v": ox.Literal(INJECTION), "lang": ox.Literal("sv"),
        "d": ox.Literal("2020-01-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))})
    assert text == ('SELECT ?s WHERE { VALUES (?v ?lang ?d) { ("x\\" } ; DROP ALL #" "sv" '
                    '"2020-01-01"^^<http://www.w3.org/2001/XMLSchema#date>) } ?s ?p ?v }')
    assert list(ox.Store().query(text)) == []


@pytest.mark.parametrize(("sparql", "bound"), [
    ("SELECT * { ?s ?p ?o OPTIONAL { ?s ?q ?l OPTIONAL { ?l ?r ?m FILTER(?m = ?v) } } }",
     'SELECT * { VALUES (?v) { ("a") } ?s ?p ?o OPTIONAL { ?s ?q ?l OPTIONAL '
     '{ VALUES (?v) { ("a") } ?l ?r ?m FILTER(?m = ?v) } } }'),
    ("SELECT * { { SELECT ?s WHERE { ?s ?p ?v } } VALUES ?x { 1 } }",
     'SELECT * { VALUES (?v) { ("a") } { SELECT ?s WHERE { VALUES (?v) { ("a") } ?s ?p ?v } } VALUES ?x { 1 } }'),
    ("SELECT * WHERE { ?s ?p ?o { ?s ?q ?w } UNION { ?s ?q ?v } }",
     'SELECT * WHERE { VALUES (?v) { ("a") } ?s ?p ?o { ?s ?q ?w } UNION { VALUES (?v) { ("a") } ?s ?q ?v } }'),
    ("SELECT ?a WHERE { ?a ?k ?o MINUS { SELECT DISTINCT ?a ?v WHERE { ?t ?p ?v } } }",
     'SELECT ?a WHERE { VALUES (?v) { ("a") } ?a ?k ?o MINUS { SELECT DISTINCT ?a ?v WHERE '
     '{ VALUES (?v) { ("a") } ?t ?p ?v } } }'),
    ("CONSTRUCT { ?s ?p ?v } WHERE { ?s ?p ?o }",
     'CONSTRUCT { ?s ?p ?v } WHERE { VALUES (?v) { ("a") } ?s ?p ?o }'),
])
def test_values_go_into_every_group_that_uses_them(sparql: str, bound: str) -> None:
    assert inline_bindings(sparql, {"v": ox.Literal("a")}) == bound
    list(ox.Store().query(bound))


def test_binding_reaches_a_nested_optional_filter() -> None:
    store = ox.Store()
    ex = "http://ex/"
    store.extend([ox.Quad(ox.NamedNode(ex + "a"), ox.NamedNode(ex + "p"), ox.NamedNode(ex + "b")),
                  ox.Quad(ox.NamedNode(ex + "b"), ox.NamedNode(ex + "l"), ox.Literal("B", language="sv")),
                  ox.Quad(ox.NamedNode(ex + "b"), ox.NamedNode(ex + "l"), ox.Literal("Bee", language="en"))])
    text = f"SELECT ?l WHERE {{ ?s <{ex}p> ?o OPTIONAL {{ ?o <{ex}l> ?l FILTER(LANG(?l) = ?lang) }} }}"
    rows = list(store.query(inline_bindings(text, {"lang": ox.Literal("sv")})))
    assert [r["l"].value for r in rows] == ["B"]


@pytest.mark.parametrize(("bindings", "message"), [
    ({"x": ox.BlankNode("b")}, "parameter 'x' is a blank node"),
    ({"x y": ox.Literal("a")}, "'x y' is not a variable name"),
])
def test_bad_bindings_are_refused(bindings: dict[str, Term], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        inline_bindings("SELECT * WHERE { ?s ?p ?o }", bindings)


@pytest.mark.parametrize(("sparql", "message"), [
    ("DESCRIBE <http://ex/a>", "no WHERE group"),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "short form 'CONSTRUCT WHERE { ... }' cannot take parameters"),
])
def test_queries_without_room_for_values_cannot_take_parameters(sparql: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        inline_bindings(sparql, {"x": ox.Literal("a")})
    assert inline_bindings(sparql, {}) == sparql


@pytest.mark.parametrize("sparql", [
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "PREFIX a: <http://a/>\nBASE <http://b/>\ndelete where { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "DROP ALL",
    "# a comment\nCLEAR DEFAULT",
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <http://example.org/sparql> { ?s ?p ?o } }",
    "select * where { service ?endpoint { ?s ?p ?o } }",
])
def test_updates_and_service_are_refused(sparql: str) -> None:
    with pytest.raises(QueryRefused):
        refuse_unsafe(sparql)


@pytest.mark.parametrize("sparql", [
    "SELECT * WHERE { ?s ?p 'SERVICE' }",
    "SELECT * WHERE { ?s <http://example.org/INSERT> ?o } # LOAD <http://x>",
    "PREFIX insert: <http://example.org/>\nSELECT * WHERE { ?s insert:p ?o }",
    "ASK { ?service ?p ?o }",
])
def test_keywords_inside_strings_iris_comments_or_names_are_not_refused(sparql: str) -> None:
    refuse_unsafe(sparql)


def test_tokens_skip_comments_and_keep_strings_whole() -> None:
    assert [t.kind for t in tokens('SELECT ?s # "x"\n{ ?s ?p "a b" }')] == [
        "word", "var", "open", "var", "var", "string", "close"]


@pytest.mark.parametrize("sparql", [
    # escapes that a naive tokenizer reads as the start of a comment (found in review)
    'SELECT * { BIND(<http://x/\\u0041#> AS ?z) SERVICE SILENT <http://127.0.0.1:9/> { ?s ?p ?o } }',
    'PREFIX ex: <http://x/>\nSELECT * { ?s ex:a\\#b ?o SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }',
    'SELECT * { ?s ?p "a\\"# " SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }',
    'SELECT * { ?s ?p ?o } # comment\nSELECT',  # unparseable text that mentions no service is left to the store
])
def test_escapes_cannot_hide_a_service_call(sparql: str) -> None:
    if "SERVICE" in sparql:
        with pytest.raises(QueryRefused):
            refuse_unsafe(sparql)
    else:
        refuse_unsafe(sparql)


def test_a_service_call_is_refused_even_where_the_tokenizer_is_fooled(monkeypatch: pytest.MonkeyPatch) -> None:
    import graph.store.sparql_text as text
    monkeypatch.setattr(text, "tokens", lambda sparql: iter(()))  # a tokenizer that sees nothing
    with pytest.raises(QueryRefused):
        text.refuse_unsafe("SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    text.refuse_unsafe("PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> SELECT * { ?s a sd:Service }")


@pytest.mark.parametrize("sparql", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "PREFIX ex: <http://x/>\nselect * { ?s ex:p ?o . service silent ?endpoint { ?s ?p ?o } }",
])
def test_the_tokenizer_refuses_a_service_call_without_the_second_opinion(monkeypatch: pytest.MonkeyPatch,
                                                                          sparql: str) -> None:
    # Each check must hold alone: with rdflib's opinion silenced, the words still refuse it.
    import graph.store.sparql_text as text
    monkeypatch.setattr(text, "_algebra_may_call_services", lambda sparql: False)
    with pytest.raises(QueryRefused, match="SERVICE calls are not allowed"):
        text.refuse_unsafe(sparql)
