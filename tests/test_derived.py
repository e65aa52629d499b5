"""The graph the build derives (graph.derived): what it holds is what the facts it shortens say."""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox
import pytest

from graph.build import BuiltGraph
from graph.derived import DERIVED_GRAPH, derive
from graph.diff import is_build_specific
from graph.metadata import META_GRAPH
from graph.namespaces import DATASET_IRI, GRAPH_BASE, KG, PREFIXES

RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
DCT, PROV, TIME = PREFIXES["dcterms"], PREFIXES["prov"], PREFIXES["time"]


def values(quads: list[ox.Quad], predicate: str) -> dict[str, set[ox.Term]]:
    """Subject IRI → objects of ``predicate`` among ``quads``."""
    found: dict[str, set[ox.Term]] = defaultdict(set)
    for quad in quads:
        if quad.predicate.value == predicate:
            found[quad.subject.value].add(quad.object)
    return found


@pytest.fixture(scope="module")
def source_quads(built: BuiltGraph) -> list[ox.Quad]:
    """Every quad of the built graph outside the derived and metadata graphs."""
    return [q for q in built.store if q.graph_name not in (DERIVED_GRAPH, META_GRAPH)]


@pytest.fixture(scope="module")
def derived(built: BuiltGraph) -> list[ox.Quad]:
    return list(built.store.quads_for_pattern(None, None, None, DERIVED_GRAPH))


def typed(quads: list[ox.Quad], cls: str) -> set[str]:
    return {q.subject.value for q in quads if q.predicate == RDF_TYPE and q.object == ox.NamedNode(cls)}


def test_each_touchpoint_lists_the_documents_its_citations_quote_sorted(source_quads: list[ox.Quad],
                                                                        derived: list[ox.Quad]) -> None:
    sources, quoted = values(source_quads, DCT + "source"), values(source_quads, PROV + "wasQuotedFrom")
    expected = {}
    for tp in typed(source_quads, KG + "Touchpoint"):
        documents = sorted({d.value for citation in sources.get(tp, ()) for d in quoted.get(citation.value, ())})
        if documents:
            expected[tp] = " ".join(documents)
    got = {s: {o.value for o in objects} for s, objects in values(derived, KG + "quotedDocuments").items()}
    assert got == {tp: {text} for tp, text in expected.items()}
    assert any(" " in text for text in expected.values()), "no touchpoint with two documents: the order is untested"


def test_each_touchpoint_and_agreement_has_its_period_bounds_one_step_away(source_quads: list[ox.Quad],
                                                                           derived: list[ox.Quad]) -> None:
    has_time = values(source_quads, TIME + "hasTime")
    dated = {p: values(source_quads, TIME + p) for p in ("inXSDDate", "inXSDgYearMonth", "inXSDgYear")}
    touchpoints, agreements = typed(source_quads, KG + "Touchpoint"), typed(source_quads, KG + "StateFrameworkAgreement")
    for bound, derived_property in (("hasBeginning", "periodStart"), ("hasEnd", "periodEnd")):
        instants = values(source_quads, TIME + bound)
        expected: dict[str, set[ox.Term]] = {}
        for node in touchpoints | agreements:
            found = {value for period in has_time.get(node, ()) for instant in instants.get(period.value, ())
                     for by in dated.values() for value in by.get(instant.value, ())}
            if found:
                expected[node] = found
        assert set(expected) & touchpoints and set(expected) & agreements, f"no {bound} to check in one class"
        assert values(derived, KG + derived_property) == expected


def test_each_area_and_agreement_counts_its_requirements_and_lists_its_call_off_parameters(
        source_quads: list[ox.Quad], derived: list[ox.Quad]) -> None:
    nodes = typed(source_quads, KG + "FrameworkAgreementArea") | typed(source_quads, KG + "StateFrameworkAgreement")
    requirements: dict[str, set[str]] = defaultdict(set)
    for quad in source_quads:
        if quad.predicate.value == KG + "requirementOf":
            requirements[quad.object.value].add(quad.subject.value)
    counts = {s: {int(o.value) for o in objects} for s, objects in values(derived, KG + "requirementCount").items()}
    assert counts == {node: {len(requirements[node])} for node in nodes}
    parameters = typed(source_quads, KG + "CallOffParameter")
    names = values(source_quads, PREFIXES["skos"] + "prefLabel")
    expected = {}
    for node in nodes:
        listed = sorted((name.value, p) for p in requirements[node] & parameters for name in names.get(p, ())
                        if isinstance(name, ox.Literal) and name.language == "sv")
        if listed:
            expected[node] = {ox.Literal(" | ".join(name for name, _ in listed), language="sv")}
    assert any(len(requirements[n] & parameters) > 1 for n in expected), "no list of two: the order is untested"
    assert values(derived, KG + "callOffParameterNames") == expected


def test_each_document_counts_its_citations_citing_nodes_and_touchpoints(source_quads: list[ox.Quad],
                                                                         derived: list[ox.Quad]) -> None:
    touchpoints = typed(source_quads, KG + "Touchpoint")
    citations: dict[str, set[str]] = defaultdict(set)
    for quad in source_quads:
        if quad.predicate.value == PROV + "wasQuotedFrom":
            citations[quad.object.value].add(quad.subject.value)
    citing: dict[str, set[str]] = defaultdict(set)
    for quad in source_quads:
        if quad.predicate.value == DCT + "source":
            citing[quad.object.value].add(quad.subject.value)
    counts = {name: {s: int(next(iter(o)).value) for s, o in values(derived, KG + name).items()}
              for name in ("citationCount", "citingNodeCount", "citingTouchpointCount")}
    documents = typed(source_quads, DCT + "BibliographicResource")
    assert set(counts["citationCount"]) == documents
    for document in documents:
        nodes = {node for citation in citations[document] for node in citing[citation]}
        assert counts["citationCount"][document] == len(citations[document]), document
        assert counts["citingNodeCount"][document] == len(nodes), document
        assert counts["citingTouchpointCount"][document] == len(nodes & touchpoints), document


def test_deriving_again_gives_the_same_quads(built: BuiltGraph, derived: list[ox.Quad]) -> None:
    assert set(derive(built.store)) == set(derived)


def test_the_dataset_describes_the_derived_graph_and_diff_leaves_it_out(built: BuiltGraph,
                                                                        derived: list[ox.Quad]) -> None:
    subset = ox.NamedNode(f"{DATASET_IRI}-graph-derived")
    assert ox.Quad(ox.NamedNode(DATASET_IRI), ox.NamedNode(PREFIXES["void"] + "subset"), subset, META_GRAPH) \
        in built.store
    assert DERIVED_GRAPH.value == GRAPH_BASE + "derived"
    assert derived and all(is_build_specific(q) for q in derived)
