"""Describe the built dataset with DCAT and VoID: version, counts, graphs and sources."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from graph.formats import DATASET_FILES
from graph.namespaces import DATASET_IRI, GRAPH_BASE, PREFIXES

META_GRAPH = ox.NamedNode(GRAPH_BASE + "meta")

_RDF, _DCAT, _VOID, _DCT, _OWL, _PROV = (PREFIXES[p] for p in ("rdf", "dcat", "void", "dcterms", "owl", "prov"))
_XSD_INT = ox.NamedNode(PREFIXES["xsd"] + "integer")


_COUNTS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects)
       (COUNT(DISTINCT ?p) AS ?properties) (COUNT(DISTINCT ?o) AS ?objects)
WHERE { GRAPH ?g { ?s ?p ?o } }
"""
_CLASSES = f"""
SELECT ?class (COUNT(DISTINCT ?s) AS ?n)
WHERE {{ GRAPH ?g {{ ?s a ?class }} FILTER(STRSTARTS(STR(?g), "{GRAPH_BASE}data/")) }}
GROUP BY ?class ORDER BY STR(?class)
"""
_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY STR(?g)"
_SOURCES = """
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?doc WHERE { ?doc a dcterms:BibliographicResource } ORDER BY STR(?doc)
"""


def _select(store: ox.Store, sparql: str, *, union: bool = False) -> ox.QuerySolutions:
    answer = store.query(sparql, use_default_graph_as_union=union)
    assert isinstance(answer, ox.QuerySolutions), "a SELECT query answers with solutions"
    return answer


def _n(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def _int(value: ox.Literal) -> ox.Literal:
    return ox.Literal(value.value, datatype=_XSD_INT)


def describe_dataset(store: ox.Store, sources: Sequence[Path], version: str) -> list[ox.Quad]:
    """Return the quads of the metadata graph for what ``store`` holds now.

    The dataset is a ``dcat:Dataset`` and ``void:Dataset`` with its version, VoID
    counts (triples, entities, classes, properties), one ``void:subset`` per named
    graph, one ``void:classPartition`` per class used in the data, its
    distributions, and every source document as ``prov:wasDerivedFrom``.
    """
    ds = _n(DATASET_IRI)
    triples: list[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal]] = []

    def add(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        triples.append((s, _n(p), o))

    add(ds, _RDF + "type", _n(_DCAT + "Dataset"))
    add(ds, _RDF + "type", _n(_VOID + "Dataset"))
    add(ds, _DCT + "title", ox.Literal("Miljömålsrådets myndigheter och offentlig upphandling", language="sv"))
    add(ds, _DCT + "title", ox.Literal("The Environmental Objectives Council's agencies and public procurement", language="en"))
    add(ds, _DCT + "description", ox.Literal(
        "Var varje myndighet i Miljömålsrådet berör offentlig upphandling, och vilka miljökvalitetsmål det "
        "når; varje uppgift med sin källa och en tillförlitlighetsmarkering.", language="sv"))
    add(ds, _DCT + "description", ox.Literal(
        "Where each agency of the Environmental Objectives Council touches public procurement, and which "
        "environmental quality objectives that reaches; every fact with its source and a confidence mark.",
        language="en"))
    add(ds, _OWL + "versionInfo", ox.Literal(version))
    add(ds, _DCAT + "version", ox.Literal(version))

    counts = next(iter(_select(store, _COUNTS)))
    add(ds, _VOID + "triples", _int(counts["triples"]))
    add(ds, _VOID + "distinctSubjects", _int(counts["subjects"]))
    add(ds, _VOID + "properties", _int(counts["properties"]))
    add(ds, _VOID + "distinctObjects", _int(counts["objects"]))

    classes = list(_select(store, _CLASSES))
    add(ds, _VOID + "classes", ox.Literal(str(len(classes)), datatype=_XSD_INT))
    add(ds, _VOID + "entities", ox.Literal(str(sum(int(r["n"].value) for r in classes)), datatype=_XSD_INT))
    for row in classes:
        cls = row["class"]
        part = _n(f"{DATASET_IRI}-class-{_slug(cls.value)}")
        add(ds, _VOID + "classPartition", part)
        add(part, _VOID + "class", cls)
        add(part, _VOID + "entities", _int(row["n"]))

    for row in _select(store, _GRAPHS):
        graph = row["g"]
        subset = _n(f"{DATASET_IRI}-graph-{graph.value.removeprefix(GRAPH_BASE)}")
        add(ds, _VOID + "subset", subset)
        add(subset, _RDF + "type", _n(_VOID + "Dataset"))
        add(subset, _PREFIX_SD + "name", graph)
        add(subset, _VOID + "triples", _int(row["n"]))

    for name, rdf_format in DATASET_FILES.items():
        dist = _n(f"{DATASET_IRI}-distribution-{name}")
        add(ds, _DCAT + "distribution", dist)
        add(dist, _RDF + "type", _n(_DCAT + "Distribution"))
        add(dist, _DCT + "title", ox.Literal(name))
        add(dist, _DCAT + "mediaType", _n("https://www.iana.org/assignments/media-types/" + rdf_format.media_type))

    for row in _select(store, _SOURCES, union=True):
        add(ds, _PROV + "wasDerivedFrom", row["doc"])

    return [ox.Quad(s, p, o, META_GRAPH) for s, p, o in triples]


_PREFIX_SD = PREFIXES["sd"]


def _slug(iri: str) -> str:
    for name, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{name}-{iri.removeprefix(namespace)}"
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


_CLASS_COUNTS = f"""
PREFIX void: <http://rdfs.org/ns/void#>
SELECT ?class ?n WHERE {{
  GRAPH {META_GRAPH} {{ ?dataset void:classPartition ?part . ?part void:class ?class ; void:entities ?n }}
}} ORDER BY DESC(?n) STR(?class)
"""


def class_counts(store: ox.Store) -> list[tuple[str, int]]:
    """Return (class IRI, number of entities) from the dataset's VoID description."""
    return [(row["class"].value, int(row["n"].value)) for row in _select(store, _CLASS_COUNTS)]
