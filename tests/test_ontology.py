"""The ontology modules: one owl:Ontology each, versioned from pyproject, every term documented."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from graph.config import Settings
from graph.namespaces import KG, ONTOLOGY_BASE

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted((ROOT / "ontology").glob("*.ttl"))


def load(path: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle")


def pyproject_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_module_is_one_versioned_ontology(path: Path) -> None:
    graph = load(path)
    ontologies = list(graph.subjects(RDF.type, OWL.Ontology))
    assert ontologies == [rdflib.URIRef(ONTOLOGY_BASE + path.stem)]
    ontology = ontologies[0]
    version = pyproject_version()
    assert graph.value(ontology, OWL.versionInfo) == rdflib.Literal(version)
    assert graph.value(ontology, OWL.versionIRI) == rdflib.URIRef(f"{ONTOLOGY_BASE}{version}/{path.stem}")
    assert {lit.language for lit in graph.objects(ontology, RDFS.label)} == {"sv", "en"}
    if path.stem != "core":
        assert rdflib.URIRef(ONTOLOGY_BASE + "core") in set(graph.objects(ontology, OWL.imports))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_every_term_has_labels_and_a_comment(path: Path) -> None:
    graph = load(path)
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    terms = {s for kind in kinds for s in graph.subjects(RDF.type, kind)}
    assert terms, "module declares no terms"
    for term in terms:
        assert str(term).startswith(KG), f"{term} is declared here but is not a project term"
        assert {lit.language for lit in graph.objects(term, RDFS.label)} >= {"sv", "en"}, term
        assert graph.value(term, RDFS.comment) is not None, term


def test_no_term_is_declared_twice() -> None:
    seen: dict[rdflib.term.Node, str] = {}
    for path in MODULES:
        graph = load(path)
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
            for term in graph.subjects(RDF.type, kind):
                assert term not in seen, f"{term} declared in {seen[term]} and {path.name}"
                seen[term] = path.name


def test_every_project_term_used_in_data_and_shapes_is_declared(settings: Settings) -> None:
    declared = set()
    for path in MODULES:
        graph = load(path)
        declared |= {s for s in graph.subjects() if str(s).startswith(KG)}
    used = set()
    for folder in (settings.data_dir, settings.shapes_dir):
        for path in folder.glob("*.ttl"):
            graph = load(path)
            used |= {t for triple in graph for t in triple if isinstance(t, rdflib.URIRef) and str(t).startswith(KG)}
    assert used - declared == set(), "terms used but never declared in ontology/"


def test_shapes_mirror_the_ontology_modules(settings: Settings) -> None:
    shapes = {p.name.removesuffix(".shapes.ttl") for p in settings.shapes_dir.glob("*.shapes.ttl")}
    assert shapes == {p.stem for p in MODULES}
