"""What ``kg summary`` prints: a built graph's size, entities per class and validation verdict;
and the two things the home page and ``/health`` share with it: the size of the dataset in one
explained number, and the readable name of a class."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from graph.build import load_built_graph
from graph.config import Settings
from graph.metadata import class_counts
from graph.namespaces import PREFIXES, compact
from graph.queries import LANGUAGES
from graph.store import EmbeddedStore, GraphStore
from graph.textable import render_table
from graph.validate import validate_store
from graph.wording import EXTERNAL_CLASS_LABELS, count, number

_SIZE = "SELECT (COUNT(*) AS ?statements) (COUNT(DISTINCT ?g) AS ?graphs) WHERE { GRAPH ?g { ?s ?p ?o } }"
_CLASS_LABELS = f"""
SELECT ?class ?label WHERE {{
  ?class <{PREFIXES["rdfs"]}label> ?label FILTER(isLiteral(?label) && LANG(?label) IN ({", ".join(f'"{code}"' for code in LANGUAGES)}))
}}"""


@dataclass(frozen=True)
class DatasetSize:
    """How big the dataset is: statements (quads, each in one named graph) and named graphs."""

    statements: int
    graphs: int

    def describe(self, lang: str = "en") -> str:
        """Return the size as one explained phrase.

        Example:
            >>> DatasetSize(4344, 14).describe()
            '4,344 statements (quads) in 14 named graphs'
            >>> DatasetSize(4344, 1).describe("sv")
            '4\\xa0344 påståenden (quads) i 1 namngiven graf'
        """
        where = "i" if lang == "sv" else "in"
        return f"{count(self.statements, 'statement', lang)} (quads) {where} {count(self.graphs, 'named graph', lang)}"


def dataset_size(store: GraphStore) -> DatasetSize:
    """Count the statements of every named graph in ``store`` and the graphs (what ``/health``,
    the home page and ``kg summary`` all show)."""
    if isinstance(store, EmbeddedStore):  # the same numbers without reading every quad through SPARQL
        default = sum(1 for _ in store.store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
        return DatasetSize(len(store.store) - default, sum(1 for _ in store.store.named_graphs()))
    row = store.query(_SIZE).rows[0]
    return DatasetSize(*(int(term.value) if term is not None else 0 for term in row))


@dataclass(frozen=True)
class ClassName:
    """A class as a counter names it: ``label`` in ``lang`` (another language's when the class has
    none in the asked one, ``None`` when it has none at all: ``label`` is then the compact IRI),
    and ``source``: ``ontology``, the address of an external vocabulary, or ``None``."""

    iri: str
    label: str
    lang: str | None
    source: str | None


def class_name(iri: str, ontology_labels: Mapping[str, str], lang: str) -> ClassName:
    """Name the class ``iri`` in ``lang`` from its ``rdfs:label`` by language in the ontology, else
    from :data:`~graph.wording.EXTERNAL_CLASS_LABELS`, falling back to the other language.

    Example:
        >>> class_name(PREFIXES["dcterms"] + "BibliographicResource", {}, "sv").label
        'Bibliographic Resource'
        >>> class_name("https://example.org/Thing", {}, "en")
        ClassName(iri='https://example.org/Thing', label='https://example.org/Thing', lang=None, source=None)
    """
    external = EXTERNAL_CLASS_LABELS.get(iri)
    labels, source = (ontology_labels, "ontology") if ontology_labels else (
        (external.labels, external.source) if external else ({}, None))
    for tag in (lang, *LANGUAGES):
        if labels.get(tag):
            text = labels[tag]
            return ClassName(iri, text[:1].upper() + text[1:], tag, source)
    return ClassName(iri, compact(iri), None, None)


def class_labels(store: GraphStore) -> dict[str, dict[str, str]]:
    """Return the ``rdfs:label`` of every labelled resource in ``store`` (the ontology's classes
    among them), by language: the input of :func:`class_name`."""
    found: dict[str, dict[str, str]] = {}
    for cls, label in store.query(_CLASS_LABELS).rows:
        if isinstance(cls, ox.NamedNode) and isinstance(label, ox.Literal) and label.language:
            found.setdefault(cls.value, {}).setdefault(label.language, label.value)
    return found


_TEXT = {
    "en": ("Graph", "version", "Entities per class", "entities", "class", "Validation", "Details"),
    "sv": ("Graf", "version", "Entiteter per klass", "antal", "klass", "Validering", "Detaljer"),
}
_VERDICT = {"sv": {"conforms": "uppfyller formerna", "does NOT conform": "uppfyller INTE formerna"}}


def summarise_graph(graph_file: Path, settings: Settings, lang: str = "en",
                    width: int | None = None) -> tuple[str, bool]:
    """Return the summary text of the built graph in ``graph_file`` in ``lang`` (its tables fit
    ``width`` characters; ``None``: full names), and whether the graph conforms.

    Raises:
        BuildError: the file is missing or not a readable graph (says to run ``kg build``).
    """
    store = load_built_graph(graph_file)
    graph_store = EmbeddedStore(store)
    title, version, per_class, entities, cls, validation, details = _TEXT[lang]
    lines = [f"{title}: {graph_file}: {dataset_size(graph_store).describe(lang)}; {version} {settings.version}",
             f"{per_class}:"]
    labels = class_labels(graph_store)
    names = [(n, class_name(iri, labels.get(iri, {}), lang)) for iri, n in class_counts(store)]
    # a class without a label in either language shows "–": its IRI is beside it
    rows = [[number(n, lang), name.label if name.lang else "–", compact(name.iri)] for n, name in names]
    lines += ["  " + line for line in render_table([entities, cls, "IRI"], rows,
                                                   None if width is None else width - 2, right=[0])]
    report = validate_store(store, settings)
    verdict = _VERDICT.get(lang, {}).get(report.verdict, report.verdict)
    counts = ", ".join(count(report.count(s), s.lower(), lang) for s in ("Violation", "Warning", "Info"))
    lines.append(f"{validation}: {verdict} ({counts}). {details}: kg validate {graph_file}")
    return "\n".join(lines) + "\n", report.conforms
