"""Validate the graph against the SHACL shapes and report what is missing, and where.

Violations make the data non-conforming; warnings and infos are reported but do not.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH, SKOS
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query

from graph.build import parse_file
from graph.config import Settings
from graph.errors import BuildError
from graph.namespaces import compact
from graph.queries import LANGUAGES
from graph.textable import wrap_lines
from graph.wording import count, plural

SEVERITIES = ("Violation", "Warning", "Info")
REPORT_FORMATS = ("text", "json", "turtle")


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result: which node, which path, how severe, and what to do."""

    focus_node: str
    focus_label: str
    severity: str
    message: str
    path: str | None
    value: str | None
    source_shape: str
    constraint: str


@dataclass
class ValidationReport:
    """The outcome of validating a graph.

    ``conforms`` is true when no result has severity Violation.
    """

    results: list[ValidationResult]
    report_graph: rdflib.Graph

    @property
    def conforms(self) -> bool:
        return not any(r.severity == "Violation" for r in self.results)

    @property
    def verdict(self) -> str:
        """``conforms`` or ``does NOT conform``, as every report and summary words it."""
        return "conforms" if self.conforms else "does NOT conform"

    def count(self, severity: str) -> int:
        """Return how many results have ``severity`` (Violation, Warning or Info)."""
        return sum(1 for r in self.results if r.severity == severity)

    def by_focus_node(self) -> dict[str, list[ValidationResult]]:
        """Group the results by focus node, nodes in IRI order, worst results first."""
        groups: dict[str, list[ValidationResult]] = defaultdict(list)
        for result in self.results:
            groups[result.focus_node].append(result)
        return {node: sorted(groups[node], key=_result_order) for node in sorted(groups)}

    def at_least(self, severity: str) -> list[ValidationResult]:
        """Return the results of ``severity`` (Violation, Warning or Info) or worse.

        Raises:
            ValueError: an unknown severity.
        """
        worst = severities_from(severity)
        return [r for r in self.results if r.severity in worst]

    def as_dict(self, severity: str = SEVERITIES[-1]) -> dict[str, object]:
        """Return the report as plain data (the JSON format).

        ``counts`` and ``conforms`` are always those of the whole report; ``results`` holds those
        of ``severity`` or worse (all by default; else ``severity`` says which were kept).
        """
        shown = sorted(self.at_least(severity), key=lambda r: (r.focus_node, *_result_order(r)))
        return {
            "conforms": self.conforms,
            "counts": {s: self.count(s) for s in SEVERITIES},
            **({"severity": severity} if severity != SEVERITIES[-1] else {}),
            "results": [asdict(r) for r in shown],
        }

    def to_text(self, severity: str = SEVERITIES[-1], width: int | None = None) -> str:
        """Return a readable report: a summary line, then the results of ``severity`` or worse by focus
        node; lines longer than ``width`` wrap (``None``: they do not).

        Example:
            >>> ValidationReport([], rdflib.Graph()).to_text("Warning").splitlines()
            ['The graph conforms: 0 violations, 0 warnings, 0 infos.', 'Shown: violations and warnings.']
        """
        counts = ", ".join(count(self.count(s), s.lower()) for s in SEVERITIES)
        lines = [f"The graph {self.verdict}: {counts}."]
        kept = severities_from(severity)
        if kept != SEVERITIES:
            lines.append(f"Shown: {' and '.join(plural(2, s.lower()) for s in kept)}.")
        lines.append("")
        for node, every in self.by_focus_node().items():
            results = [r for r in every if r.severity in kept]
            if not results:
                continue
            lines.append(f"{compact(node)}  ({results[0].focus_label})")
            for r in results:
                where = f" [{compact(r.path)}]" if r.path else ""
                value = f" value: {compact(r.value)}" if r.value else ""
                lines.append(f"  {r.severity.upper():9} {r.message}{where}{value}")
                lines.append(f"            shape: {compact(r.source_shape)}")
            lines.append("")
        return "\n".join(wrap_lines(lines, width)).rstrip() + "\n"

    def render(self, fmt: str, severity: str = SEVERITIES[-1], width: int | None = None) -> str:
        """Render as ``text``, ``json`` or ``turtle`` (the whole SHACL report graph).

        ``text`` and ``json`` show the results of ``severity`` or worse (all by default); ``text``
        wraps at ``width`` characters.
        """
        if fmt == "json":
            return json.dumps(self.as_dict(severity), ensure_ascii=False, indent=2) + "\n"
        if fmt == "turtle":
            return self.report_graph.serialize(format="turtle")
        return self.to_text(severity, width)


def severities_from(severity: str) -> tuple[str, ...]:
    """Return ``severity`` and the severities worse than it, worst first.

    Raises:
        ValueError: an unknown severity.

    Example:
        >>> severities_from("Warning")
        ('Violation', 'Warning')
    """
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}; use one of {', '.join(SEVERITIES)}")
    return SEVERITIES[:SEVERITIES.index(severity) + 1]


def _result_order(result: ValidationResult) -> tuple[int, str, str]:
    return (SEVERITIES.index(result.severity), result.path or "", result.message)


def load_shapes(settings: Settings) -> rdflib.Graph:
    """Parse every ``*.shapes.ttl`` in the shapes folder into one graph.

    The graph is parsed once per version of the files (their names, sizes and modification
    times) and shared between validations. pySHACL writes only two RDFS axioms into it
    (``owl:Class rdfs:subClassOf rdfs:Class`` and the like), the same on every run, so a shared
    graph validates as a fresh one would. Treat it as read-only.

    Raises:
        BuildError: a shapes file is not valid Turtle (file, line, column).
    """
    files = tuple((path, path.stat().st_mtime_ns, path.stat().st_size)
                  for path in sorted(settings.shapes_dir.glob("*.shapes.ttl")))
    return _parsed_shapes(files)


@lru_cache(maxsize=4)
def _parsed_shapes(files: tuple[tuple[Path, int, int], ...]) -> rdflib.Graph:
    shapes = rdflib.Graph()
    for path, _, _ in files:
        for quad in parse_file(path):
            shapes.add(tuple(_to_rdflib(t) for t in (quad.subject, quad.predicate, quad.object)))  # type: ignore[arg-type]
    return shapes


def _to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


@lru_cache(maxsize=512)
def _prepared(text: str, namespaces: tuple[tuple[str, str], ...]) -> Query:
    return prepareQuery(text, initNs=dict(namespaces))


class PreparedQueryGraph(rdflib.Graph):
    """An rdflib graph that parses each SPARQL text once and reuses the prepared query.

    pySHACL hands the same constraint and target texts to ``query`` once per focus node and
    once per validation; rdflib would parse each anew (its parser is most of the cost of a
    small validation). A prepared query is rdflib's own way to run one text many times with
    different ``initBindings``.
    """

    def query(self, query_object: str | Query, processor: Any = "sparql", result: Any = "sparql",
              initNs: Mapping[str, Any] | None = None,
              initBindings: Mapping[str, Any] | None = None,
              use_store_provided: bool = True, **kwargs: Any) -> Any:
        """Run ``query_object``, preparing a text query once per distinct text and prefixes."""
        if isinstance(query_object, str) and processor == "sparql" and not kwargs:
            namespaces = initNs if initNs is not None else dict(self.namespaces())
            query_object = _prepared(query_object, tuple(sorted((k, str(v)) for k, v in namespaces.items())))
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)


def store_to_rdflib(store: ox.Store) -> rdflib.Graph:
    """Return the union of every graph in ``store`` as one rdflib graph (pySHACL's input).

    Terms are converted one by one, each distinct term once: twice as fast as writing
    N-Triples for rdflib's parser to read back.
    """
    terms: dict[ox.NamedNode | ox.BlankNode | ox.Literal, rdflib.term.Node] = {}

    def convert(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
        node = terms.get(term)
        if node is None:
            node = terms[term] = _to_rdflib(term)
        return node

    data = PreparedQueryGraph()
    data.addN((convert(q.subject), convert(q.predicate), convert(q.object), data) for q in store)
    return data


def validate_store(store: ox.Store, settings: Settings) -> ValidationReport:
    """Validate everything in ``store`` against the project's shapes.

    Example:
        >>> from graph.config import default_settings
        >>> validate_store(ox.Store(), default_settings()).conforms  # nothing to check: conforms
        True
    """
    from pyshacl import validate as shacl_validate  # ~0.4 s to import: only when validating

    data = store_to_rdflib(store)
    shapes = load_shapes(settings)
    _, report_graph, _ = shacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True,
        allow_warnings=True, allow_infos=True, meta_shacl=False,
        inplace=True)  # no inference writes to `data`, and it is ours: no need for pySHACL's copy
    return ValidationReport(_results(report_graph, data), report_graph)


def validate_files(files: list[Path], settings: Settings) -> ValidationReport:
    """Validate the given data files (or a built graph.nq) together with the ontology.

    Raises:
        BuildError: a file cannot be parsed (file, line, column).
    """
    from graph.build import build_from_files  # local: build imports nothing from here

    missing = [f for f in files if not f.exists()]
    if missing:
        raise BuildError("no such file. Give data files (.ttl) or a built graph (dist/graph.nq).", missing[0])
    ontology = sorted(settings.ontology_dir.glob("*.ttl"))
    built = build_from_files([*ontology, *files], settings.version, settings.queries_dir)
    return validate_store(built.store, settings)


def _results(report: rdflib.Graph, data: rdflib.Graph) -> list[ValidationResult]:
    results = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(node, SH.focusNode)
        severity = report.value(node, SH.resultSeverity)
        path = report.value(node, SH.resultPath)
        value = report.value(node, SH.value)
        message = report.value(node, SH.resultMessage)
        shape = report.value(node, SH.sourceShape)
        results.append(ValidationResult(
            focus_node=str(focus),
            focus_label=_label(data, focus),
            severity=str(severity).rsplit("#", 1)[-1],
            message=str(message) if message is not None else "",
            path=str(path) if isinstance(path, rdflib.URIRef) else None,
            value=str(value) if value is not None else None,
            source_shape=str(shape),
            constraint=str(report.value(node, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
        ))
    return results


def _label(data: rdflib.Graph, node: rdflib.term.Node | None) -> str:
    labels: dict[str | None, str] = {}
    for prop in (SKOS.prefLabel, rdflib.RDFS.label):
        for lit in data.objects(node, prop):
            if isinstance(lit, rdflib.Literal) and lit.language not in labels:
                labels[lit.language] = str(lit)
    return next((labels[t] for t in LANGUAGES if labels.get(t)), next(iter(labels.values()), compact(str(node))))
