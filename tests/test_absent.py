"""graph.absent: the notes an empty answer gets when an IRI parameter names nothing in the graph,
or names a retired node."""

from __future__ import annotations

import pyoxigraph as ox

from graph.absent import absent_iri_notes, empty_answer_notes, retired_iri_notes, spelt_alike
from graph.queries import QuerySpec, bind_parameters
from graph.store import EmbeddedStore

KGID = "https://w3id.org/mmr-kg/id/"


def test_an_iri_in_the_graph_gets_no_note(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    spec = catalogue["agency-profile"]
    assert absent_iri_notes(store, spec, bind_parameters(spec, {"agency": "kgid:agency-boverket"})) == []


def test_an_iri_that_is_only_an_object_is_in_the_graph(catalogue: dict[str, QuerySpec]) -> None:
    """An IRI named only as the object of a triple still names something."""
    raw = ox.Store()
    raw.add(ox.Quad(ox.NamedNode(KGID + "touchpoint-x"), ox.NamedNode("https://w3id.org/mmr-kg/def/agency"),
                    ox.NamedNode(KGID + "agency-x"), ox.NamedNode("https://example.org/g")))
    spec = catalogue["agency-profile"]
    assert absent_iri_notes(EmbeddedStore(raw), spec, bind_parameters(spec, {"agency": "kgid:agency-x"})) == []
    # Suggestions are subjects: the graph's own nodes, not the pages and codes its triples point at.
    assert absent_iri_notes(EmbeddedStore(raw), spec, bind_parameters(spec, {"agency": "kgid:agency-y"})) == [
        "agency kgid:agency-y names nothing in the graph."]


def test_a_mistyped_iri_gets_a_note_with_the_iris_spelt_like_it(store: EmbeddedStore,
                                                                catalogue: dict[str, QuerySpec]) -> None:
    spec = catalogue["objective-agencies"]
    notes = absent_iri_notes(store, spec, bind_parameters(spec, {"objective": "kgid:objective-giftfri-miljö"}))
    assert notes == ["objective kgid:objective-giftfri-miljö names nothing in the graph. "
                     "Did you mean kgid:objective-giftfri-miljo?"]


def test_suggestions_come_from_the_same_kind_of_node(store: EmbeddedStore) -> None:
    alike = spelt_alike(store, KGID + "agency-naturvardsverke")
    assert alike[0] == KGID + "agency-naturvardsverket"
    assert all(iri.startswith(KGID + "agency-") for iri in alike)
    assert spelt_alike(store, KGID + "agency-zzzzzzzz") == []


def test_parameters_other_than_iris_get_no_note(catalogue: dict[str, QuerySpec]) -> None:
    """Only IRI parameters are looked up: a date that matches nothing is the query's own note's business."""
    empty = EmbeddedStore(ox.Store())
    spec = catalogue["council-members"]
    assert absent_iri_notes(empty, spec, bind_parameters(spec, {"date": "2030-01-01"})) == []


OWL_DEPRECATED = ox.NamedNode("http://www.w3.org/2002/07/owl#deprecated")
REPLACED_BY = ox.NamedNode("http://purl.org/dc/terms/isReplacedBy")
HISTORY = ox.NamedNode("http://www.w3.org/2004/02/skos/core#historyNote")


def test_a_retired_iri_gets_a_note_with_its_history(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    """A retired kind still names something, so it is not absent, yet the query answers nothing for it."""
    spec = catalogue["agencies-lacking-kind"]
    bindings = bind_parameters(spec, {"kind": "kgid:kind-objective-reached-by-criteria"})
    assert store.query(spec.prepared.bind(bindings)).rows == []
    assert absent_iri_notes(store, spec, bindings) == []
    [note] = retired_iri_notes(store, spec, bindings)
    assert note.startswith("kind kgid:kind-objective-reached-by-criteria is retired (owl:deprecated): "
                           "nothing replaces it. History: Retired in 0.2.0: it joined two stated facts")
    assert empty_answer_notes(store, spec, bindings) == [note]
    assert retired_iri_notes(store, spec, bind_parameters(spec, {"kind": "kgid:kind-buyer-network"})) == []


def test_a_retired_iri_names_what_replaces_it(catalogue: dict[str, QuerySpec]) -> None:
    raw = ox.Store()
    old, new, other = (ox.NamedNode(KGID + name) for name in ("agency-old", "agency-new", "agency-newer"))
    graph = ox.NamedNode("https://example.org/g")
    raw.extend([ox.Quad(old, OWL_DEPRECATED, ox.Literal(True), graph),
                ox.Quad(old, REPLACED_BY, new, graph), ox.Quad(old, REPLACED_BY, other, graph),
                ox.Quad(old, HISTORY, ox.Literal("Split in two.", language="en"), graph)])
    spec = catalogue["agency-profile"]
    assert retired_iri_notes(EmbeddedStore(raw), spec, bind_parameters(spec, {"agency": "kgid:agency-old"})) == [
        "agency kgid:agency-old is retired (owl:deprecated); use kgid:agency-new or kgid:agency-newer instead. "
        "History: Split in two."]
    raw.remove(ox.Quad(old, OWL_DEPRECATED, ox.Literal(True), graph))
    assert retired_iri_notes(EmbeddedStore(raw), spec, bind_parameters(spec, {"agency": "kgid:agency-old"})) == []
