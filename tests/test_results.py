"""Result serialisers: write, parse back with pyoxigraph / the csv module / rdflib, compare."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from graph.formats import GRAPH_FORMATS, RESULT_FORMATS
from graph.namespaces import compact
from graph.queries import QuerySpec, run_query
from graph.results import serialize_result
from graph.store import EmbeddedStore, QueryResult, Term

from query_samples import parameter_cases

XSD = "http://www.w3.org/2001/XMLSchema#"
KGID = "https://w3id.org/mmr-kg/id/"
PARSED_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                  "tsv": ox.QueryResultsFormat.TSV}
RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
               "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}

TRICKY_VALUES = ["plain", "", " leading and trailing ", "tab\there", "line\nbreak\r\nand CR",
                 'quote " and comma , and semicolon ;', "åäö Miljömålsrådet ✓", "<&>", "back\\slash"]


def tricky_result() -> QueryResult:
    """A SELECT result with every kind of term, awkward characters and unbound cells."""
    rows: list[tuple[Term | None, ...]] = []
    for i, value in enumerate(TRICKY_VALUES):
        rows.append((ox.NamedNode(f"{KGID}agency-{i}"), ox.Literal(value, language="sv"),
                     ox.Literal(value), ox.Literal(str(i), datatype=ox.NamedNode(XSD + "integer")),
                     ox.BlankNode(f"b{i}"), None))
    rows.append((None, None, None, ox.Literal("2019-05", datatype=ox.NamedNode(XSD + "gYearMonth")), None, None))
    return QueryResult("select", ["iri", "label", "text", "number", "node", "unbound"], rows)


def parse_rows(data: bytes, format_name: str) -> tuple[list[str], list[tuple[Term | None, ...]]]:
    parsed = ox.parse_query_results(data, format=PARSED_FORMATS[format_name])
    assert isinstance(parsed, ox.QuerySolutions)
    variables = [v.value for v in parsed.variables]
    return variables, [tuple(solution[v] for v in variables) for solution in parsed]


def csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value


def check_csv(result: QueryResult, data: bytes) -> None:
    text = data.decode("utf-8")
    assert text.endswith("\r\n")
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert records[0] == result.variables
    assert records[1:] == [[csv_value(t) for t in row] for row in result.rows]


@pytest.mark.parametrize("format_name", sorted(PARSED_FORMATS))
def test_tricky_select_round_trips(format_name: str) -> None:
    result = tricky_result()
    variables, rows = parse_rows(serialize_result(result, format_name), format_name)
    assert variables == result.variables
    assert rows == result.rows


def test_tricky_select_csv_holds_plain_values() -> None:
    result = tricky_result()
    check_csv(result, serialize_result(result, "csv"))


def test_json_is_typed_as_the_w3c_format_says() -> None:
    doc = json.loads(serialize_result(tricky_result(), "json"))
    first = doc["results"]["bindings"][0]
    assert doc["head"]["vars"] == tricky_result().variables
    assert first["iri"] == {"type": "uri", "value": KGID + "agency-0"}
    assert first["label"] == {"type": "literal", "value": "plain", "xml:lang": "sv"}
    assert first["text"] == {"type": "literal", "value": "plain"}
    assert first["number"] == {"type": "literal", "value": "0", "datatype": XSD + "integer"}
    assert first["node"] == {"type": "bnode", "value": "b0"}
    assert "unbound" not in first


def test_json_is_what_dumping_the_whole_document_writes() -> None:
    # The writer encodes each distinct term once; the bytes are those of json.dumps of the document.
    result = tricky_result()
    result.rows += result.rows  # every term again, as answers repeat their IRIs and labels

    def term(t: Term) -> dict[str, str]:
        if isinstance(t, ox.Literal):
            extra = {"xml:lang": t.language} if t.language else \
                {} if t.datatype.value == XSD + "string" else {"datatype": t.datatype.value}
            return {"type": "literal", "value": t.value, **extra}
        return {"type": "uri" if isinstance(t, ox.NamedNode) else "bnode", "value": t.value}

    document = {"head": {"vars": result.variables}, "results": {"bindings": [
        {var: term(t) for var, t in zip(result.variables, row, strict=True) if t is not None} for row in result.rows]}}
    expected = json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert serialize_result(result, "json") == expected.encode("utf-8")


def test_tsv_writes_terms_in_ntriples_form() -> None:
    lines = serialize_result(tricky_result(), "tsv").decode("utf-8").split("\n")
    assert lines[0] == "?iri\t?label\t?text\t?number\t?node\t?unbound"
    assert lines[1] == f'<{KGID}agency-0>\t"plain"@sv\t"plain"\t"0"^^<{XSD}integer>\t_:b0\t'
    assert lines[4].split("\t")[1] == '"tab\\there"@sv'
    assert lines[-1] == ""


@pytest.mark.parametrize("format_name", sorted(PARSED_FORMATS))
@pytest.mark.parametrize("answer", [True, False])
def test_ask_round_trips(format_name: str, answer: bool) -> None:
    data = serialize_result(QueryResult("ask", boolean=answer), format_name)
    assert bool(ox.parse_query_results(data, format=PARSED_FORMATS[format_name])) is answer


def test_empty_select_round_trips() -> None:
    result = QueryResult("select", ["a", "b"], [])
    for format_name in PARSED_FORMATS:
        assert parse_rows(serialize_result(result, format_name), format_name) == (["a", "b"], [])
    assert serialize_result(result, "csv") == b"a,b\r\n"


def test_every_catalogue_query_round_trips(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    cases = parameter_cases(catalogue, store)
    for spec in catalogue.values():
        if not cases[spec.name]:
            continue
        result = run_query(store, spec, cases[spec.name][0])
        if result.kind == "graph":
            continue
        for format_name in PARSED_FORMATS:
            data = serialize_result(result, format_name)
            if result.kind == "ask":
                assert bool(ox.parse_query_results(data, format=PARSED_FORMATS[format_name])) is result.boolean
            else:
                assert parse_rows(data, format_name) == (result.variables, result.rows), (spec.name, format_name)
        if result.kind == "select":
            check_csv(result, serialize_result(result, "csv"))


def describe_one(store: EmbeddedStore) -> QueryResult:
    return store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s a ?type ; ?p ?o } LIMIT 200")


@pytest.mark.parametrize("format_name", sorted(GRAPH_FORMATS))
def test_graph_formats_round_trip(format_name: str, store: EmbeddedStore) -> None:
    result = describe_one(store)
    extra = [ox.Triple(ox.BlankNode("x"), ox.NamedNode(KGID + "p"), ox.Literal(v, language="sv"))
             for v in TRICKY_VALUES]
    result.triples.extend(extra)
    data = serialize_result(result, format_name)
    fmt = RDF_FORMATS[format_name]
    parsed = [q.triple for q in ox.parse(data, format=fmt)]
    assert len(parsed) == len(result.triples)
    original = rdflib.Graph().parse(data=ox.serialize(result.triples, format=ox.RdfFormat.N_TRIPLES).decode(),
                                    format="nt")
    again = rdflib.Graph().parse(data=ox.serialize(parsed, format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")
    assert isomorphic(original, again)


def test_turtle_declares_only_the_prefixes_it_uses(store: EmbeddedStore) -> None:
    text = serialize_result(describe_one(store), "turtle").decode("utf-8")
    assert "@prefix wd:" not in text or "wd:" in text.split("@prefix wd:", 1)[1]
    assert "@prefix sh:" not in text


def test_table_is_aligned_with_short_iris() -> None:
    result = tricky_result()
    lines = serialize_result(result, "table").decode("utf-8").splitlines()
    assert lines[0].split() == result.variables
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].startswith("kgid:agency-0  plain")
    assert lines[-1] == f"({len(result.rows)} rows)"
    starts = [lines[0].index(v) for v in result.variables[1:]]
    for line in lines[2:-1]:
        assert all(line[start - 2:start] == "  " for start in starts if len(line) > start)
    assert "line break and CR" in lines[6]


def test_table_of_ask() -> None:
    assert serialize_result(QueryResult("ask", boolean=True), "table") == b"true\n"


@pytest.mark.parametrize(("iri", "short"), [
    (KGID + "agency-boverket", "kgid:agency-boverket"),
    ("https://w3id.org/mmr-kg/def/Touchpoint", "kg:Touchpoint"),
    ("http://www.w3.org/2001/XMLSchema#date", "xsd:date"),
    ("https://example.org/x", "<https://example.org/x>"),
    (KGID + "a/b", f"<{KGID}a/b>"),
])
def test_compact_iri_in_brackets(iri: str, short: str) -> None:
    assert compact(iri, brackets=True) == short


def test_format_map_agrees_with_pyoxigraph() -> None:
    for name, fmt in PARSED_FORMATS.items():
        assert RESULT_FORMATS[name].media_type == fmt.media_type.split(";")[0]
        assert RESULT_FORMATS[name].extension == fmt.file_extension
    assert RESULT_FORMATS["csv"].media_type == ox.QueryResultsFormat.CSV.media_type.split(";")[0]
    for name, rdf in RDF_FORMATS.items():
        assert GRAPH_FORMATS[name].media_type == rdf.media_type
        assert GRAPH_FORMATS[name].extension == rdf.file_extension

