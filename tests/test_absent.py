"""graph.absent: the notes an empty answer gets when an IRI parameter names nothing in the graph."""

from __future__ import annotations

import pyoxigraph as ox

from graph.absent import absent_iri_notes, spelt_alike
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
