"""The shape fixtures, and how they are validated: few pySHACL runs, with each fixture kept apart.

Fixtures live in ``tests/data/shapes/<concern>/`` (``test_shapes`` says what they hold). One
pySHACL run per fixture cost ~0.25 s each, most of it pySHACL's fixed cost per run. Here the
fixtures of a concern that have the same support files share a run: the ontology and the support
files once, as written, and each fixture file with its ``kgid:test-…`` IRIs (and skolemised blank
nodes) renamed into the fixture's own namespace, except the IRIs its support files use. Results
are read back under the IRIs the files use. A fixture keeps the results on the nodes it claims:
its own, the support files', and the focus node its expectation names.

Two fixtures of a run could still change each other's results through what they both see: the
ontology, the support nodes, fixed IRIs (``kgid:scheme-environmental-objectives``), literals. So:

- SHACL core constraints read a focus node's triples and, forwards, those of its values (the
  shapes use no ``sh:inversePath`` and no ``sh:targetObjectsOf``: ``SparqlQuestions`` checks).
  What a fixture reaches forwards is thus the same alone as in its run, unless another fixture
  of the run says something about a node outside its own namespace: such a fixture runs alone.
- A SPARQL constraint or target may read anything: a count over the graph, a link back into its
  focus node, a node met by value. Each is asked the question pySHACL asks, at each focus node a
  fixture claims, on the run's data and on the fixture's data alone (Oxigraph: milliseconds);
  a fixture that gets a different answer runs alone.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any, cast

import pyoxigraph as ox
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SH

import graph.validate
from graph.build import SKOLEM_BASE, build_from_files, graph_name_for, parse_file
from graph.config import Settings
from graph.namespaces import KGID, PREFIXES
from graph.validate import ValidationReport, ValidationResult

FIXTURES_DIR = Path(__file__).parent / "data" / "shapes"
VALID_FILES = sorted(FIXTURES_DIR.glob("*/valid-*.ttl"))
INVALID_FILES = sorted(FIXTURES_DIR.glob("*/invalid-*.ttl"))
RENAMED = (KGID + "test-", SKOLEM_BASE)  # what a fixture's own nodes start with
THIS = ox.Variable("this")
Graphs = list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]


# --- a fixture ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    """What an invalid fixture must trigger, read from its ``# expect:`` line."""

    constraint: str
    severity: str
    path: str | None
    focus: str | None


@dataclass(frozen=True)
class Fixture:
    """A fixture file, its support files, its expectation (invalid ones), and its data as validated."""

    path: Path
    support: tuple[Path, ...]
    expectation: Expectation | None
    #: Constraints an invalid fixture breaks too because its own constraint builds on them (``# also:``
    #: lines): a rule about sure nodes without a quoted citation needs a citation without a quote.
    also: tuple[str, ...] = ()

    @property
    def files(self) -> list[Path]:
        return [*self.support, self.path]

    @property
    def id(self) -> str:
        return fixture_id(self.path)

    @cached_property
    def tag(self) -> str:
        """The fixture's own namespace, inserted after each renamed prefix."""
        return f"{self.path.parent.name}.{self.path.stem}/"

    @cached_property
    def support_quads(self) -> list[ox.Quad]:
        return [q for path in self.support for q in _parsed(path)]

    @cached_property
    def kept(self) -> frozenset[str]:
        """The IRIs the support files use: the fixture file uses them as they are."""
        return frozenset(t.value for q in self.support_quads for t in (q.subject, q.object) if isinstance(t, ox.NamedNode))

    def rename(self, term: Any) -> Any:
        if isinstance(term, ox.NamedNode) and term.value.startswith(RENAMED) and term.value not in self.kept:
            prefix = next(p for p in RENAMED if term.value.startswith(p))
            return ox.NamedNode(prefix + self.tag + term.value[len(prefix):])
        return term

    def original(self, text: str) -> str:
        """``text`` (an IRI, a message) with the fixture's renamed IRIs as its file spells them."""
        for prefix in RENAMED:
            text = text.replace(prefix + self.tag, prefix)
        return text

    @cached_property
    def own_quads(self) -> list[ox.Quad]:
        """The fixture file's quads, its nodes renamed into its namespace."""
        return [ox.Quad(self.rename(q.subject), q.predicate, self.rename(q.object), q.graph_name) for q in _parsed(self.path)]

    @property
    def quads(self) -> list[ox.Quad]:
        return [*self.support_quads, *self.own_quads]

    @cached_property
    def graphs(self) -> Graphs:
        """The named graphs its files are loaded into (support files: the same for every fixture using them)."""
        return [graph_name_for(path) for path in self.files]

    @cached_property
    def nodes(self) -> frozenset[str]:
        """The nodes whose results are the fixture's: those its files describe, every ``kgid:test-…``
        IRI and blank node in them, and the focus node its expectation names."""
        terms = [_iri(t) for q in self.quads for t in (q.subject, q.object) if isinstance(t, ox.NamedNode)]
        described = {_iri(q.subject) for q in self.quads}
        expected = {self.expectation.focus} if self.expectation and self.expectation.focus else set()
        return frozenset({t for t in terms if t.startswith(RENAMED)} | described | expected)

    @cached_property
    def describes_shared_nodes(self) -> bool:
        """Whether the fixture file says something about a node outside its namespace."""
        return any(not _iri(q.subject).startswith(tuple(p + self.tag for p in RENAMED)) for q in self.own_quads)


def _iri(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode) else str(term)


@cache
def _parsed(path: Path) -> list[ox.Quad]:
    """A fixture or support file's quads (a support file serves many fixtures: parsed once)."""
    return parse_file(path)


def fixture_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def expand(curie: str) -> str:
    """Expand ``prefix:local`` with the project's prefixes; a full IRI in <…> is returned as is."""
    if curie.startswith("<") and curie.endswith(">"):
        return curie[1:-1]
    prefix, sep, local = curie.partition(":")
    if not sep or prefix not in PREFIXES:
        raise ValueError(f"unknown prefix in {curie!r}: use one of {', '.join(sorted(PREFIXES))}")
    return PREFIXES[prefix] + local


def read_fixture(path: Path) -> Fixture:
    """Parse the leading comment lines of a fixture file."""
    expectations: list[Expectation] = []
    support: list[Path] = []
    also: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, sep, rest = line.lstrip("# ").partition(":")
        if not sep:
            continue
        if key == "support":
            support.append(path.parent / rest.strip())
        elif key == "also":
            also.append(expand(rest.strip()))
        elif key == "expect":
            tokens = rest.split()
            fields = dict(t.split("=", 1) for t in tokens[1:])
            unknown = set(fields) - {"path", "severity", "focus"}
            if unknown or "severity" not in fields:
                raise ValueError(f"{path.name}: bad expect line {line!r} (fields: path=, severity=, focus=)")
            expectations.append(Expectation(
                constraint=expand(tokens[0]),
                severity=fields["severity"],
                path=expand(fields["path"]) if "path" in fields else None,
                focus=expand(fields["focus"]) if "focus" in fields else None,
            ))
    if len(expectations) > 1:
        raise ValueError(f"{path.name}: an invalid fixture breaks exactly one constraint; found {len(expectations)} expect lines")
    if also and not expectations:
        raise ValueError(f"{path.name}: '# also:' names what an invalid fixture breaks besides its '# expect:'")
    return Fixture(path, tuple(support), expectations[0] if expectations else None, tuple(also))


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fired:
    """One result of a SHACL report graph, with what ``ValidationResult`` leaves out."""

    focus: str
    severity: str
    path: str | None
    source_shape: str
    source_constraint: str | None
    messages: tuple[str, ...]

    @property
    def constraint(self) -> str:
        """The named constraint that produced the result (the SPARQL constraint, else the shape)."""
        return self.source_constraint or self.source_shape


def fired_results(report: ValidationReport) -> list[Fired]:
    """Read every result straight from the SHACL report graph (it names the SPARQL constraint)."""
    graph = report.report_graph
    fired = []
    for node in graph.subjects(RDF.type, SH.ValidationResult):
        path = graph.value(node, SH.resultPath)
        constraint = graph.value(node, SH.sourceConstraint)
        fired.append(Fired(
            focus=str(graph.value(node, SH.focusNode)),
            severity=str(graph.value(node, SH.resultSeverity)).rsplit("#", 1)[-1],
            path=str(path) if isinstance(path, rdflib.URIRef) else None,
            source_shape=str(graph.value(node, SH.sourceShape)),
            source_constraint=str(constraint) if constraint is not None else None,
            messages=tuple(sorted(str(m) for m in graph.objects(node, SH.resultMessage))),
        ))
    return fired


@dataclass(frozen=True)
class Outcome:
    """A fixture's results, under the IRIs its files use."""

    fired: list[Fired]
    results: list[ValidationResult]


# --- what a SPARQL constraint or target answers --------------------------------------------


class SparqlQuestions:
    """The shapes' SPARQL constraints and targets, asked as pySHACL asks them (Oxigraph answers)."""

    def __init__(self, shapes: rdflib.Graph) -> None:
        """Raises ValueError where the shapes read in a way the sharing of runs does not account for."""
        unread = [p.n3() for p in (SH.inversePath, SH.targetObjectsOf, SH.ask, SH.rule) if (None, p, None) in shapes]
        unread += [s.n3() for s in shapes.subjects(RDF.type, SH.ConstraintComponent)]
        if unread:
            raise ValueError(f"the shapes use {', '.join(unread)}: teach tests/shape_fixtures.py how far those read")
        self.shapes = shapes
        self.constraints = {c: (owner, self._query(c)) for owner, c in shapes.subject_objects(SH.sparql)}
        self.targets = {t: self._query(t) for t in shapes.objects(None, SH.target)}

    def _query(self, node: rdflib.term.Node) -> str:
        select = self.shapes.value(node, SH.select)
        if select is None or any(v in str(select) for v in ("$currentShape", "$shapesGraph", "$PATH", "$value")):
            raise ValueError(f"{node}: a SPARQL constraint or target not asked here as pySHACL asks it")
        return "".join(f"PREFIX {self.shapes.value(d, SH.prefix)}: <{self.shapes.value(d, SH.namespace)}>\n"
                       for p in self.shapes.objects(node, SH.prefixes) for d in self.shapes.objects(p, SH.declare)) + str(select)

    def focus_nodes(self, store: ox.Store, graphs: Graphs, shape: rdflib.term.Node) -> set[str]:
        """The focus nodes of ``shape`` in the union of ``graphs``: its targets, as SHACL defines them."""
        nodes = {str(n) for n in self.shapes.objects(shape, SH.targetNode)}
        implicit = [shape] if any((shape, RDF.type, c) in self.shapes for c in (RDFS.Class, OWL.Class)) else []
        queries = [f"SELECT ?this {{ ?this a/<{RDFS.subClassOf}>* <{c}> }}"
                   for c in [*self.shapes.objects(shape, SH.targetClass), *implicit]]
        queries += [f"SELECT ?this {{ ?this <{p}> [] }}" for p in self.shapes.objects(shape, SH.targetSubjectsOf)]
        queries += [self.targets[t] for t in self.shapes.objects(shape, SH.target)]
        for query in queries:
            nodes |= {_iri(s[THIS]) for s in _solutions(store, query, graphs)}
        return nodes

    def answers(self, store: ox.Store, graphs: Graphs, nodes: frozenset[str],
                focus: dict[rdflib.term.Node, set[str]]) -> dict[tuple[str, str], list[tuple[str, ...]]]:
        """What each target selects among ``nodes``, and what each constraint answers at each of its
        ``focus`` nodes among ``nodes``, with ``$this`` pre-bound, in the union of ``graphs``."""
        answers: dict[tuple[str, str], list[tuple[str, ...]]] = defaultdict(list)
        for target, query in self.targets.items():
            answers[str(target), ""] = sorted((_iri(s[THIS]),) for s in _solutions(store, query, graphs) if _iri(s[THIS]) in nodes)
        for constraint, (owner, query) in self.constraints.items():
            for node in sorted(focus[owner] & nodes):
                answers[str(constraint), node] = sorted(tuple(map(str, s)) for s in _solutions(store, query, graphs, this=node))
        return answers


def _solutions(store: ox.Store, query: str, graphs: Graphs, this: str | None = None) -> list[ox.QuerySolution]:
    """The solutions of a SELECT ``query`` over the union of ``graphs``, ``$this`` pre-bound to ``this`` if given."""
    bound: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {THIS: ox.NamedNode(this)} if this else {}
    return list(cast(ox.QuerySolutions, store.query(query, default_graph=graphs, substitutions=bound)))


# --- runs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Fixtures with the same support files, validated together in one pySHACL run."""

    fixtures: tuple[Fixture, ...]

    @property
    def quads(self) -> list[ox.Quad]:
        return [*self.fixtures[0].support_quads, *(q for f in self.fixtures for q in f.own_quads)]


class FixtureRuns:
    """Plans each concern's runs, and validates each run once, when a test first needs it."""

    def __init__(self, shapes: rdflib.Graph, settings: Settings) -> None:
        """``shapes`` as written (blank nodes kept); ``settings`` of the shipped ontology and shapes."""
        self.questions = SparqlQuestions(shapes)
        self.settings = settings
        ontology = sorted(settings.ontology_dir.glob("*.ttl"))
        self.ontology = list(build_from_files(ontology, settings.version).store)
        self.ontology_graphs = sorted({q.graph_name for q in self.ontology}, key=str)
        self.plans: dict[Path, list[Run]] = {}
        self.done: dict[Run, dict[Path, Outcome]] = {}

    def outcome(self, fixture: Fixture) -> Outcome:
        """The results ``fixture`` claims, from the run it belongs to."""
        run = next(r for r in self.plan(fixture.path.parent) if fixture in r.fixtures)
        if run not in self.done:
            self.done[run] = self.validate(run)
        return self.done[run][fixture.path]

    def plan(self, folder: Path) -> list[Run]:
        """The runs of the fixtures in ``folder``: one per support set, less the fixtures that must run alone."""
        if folder not in self.plans:
            groups: dict[tuple[Path, ...], list[Fixture]] = defaultdict(list)
            for path in [*VALID_FILES, *INVALID_FILES]:
                if path.parent == folder:
                    fixture = read_fixture(path)
                    groups[fixture.support].append(fixture)
            self.plans[folder] = [run for group in groups.values() for run in self.share(group)]
        return self.plans[folder]

    def share(self, fixtures: list[Fixture]) -> list[Run]:
        """One run for the fixtures that can share it, and a run of its own for each of the others."""
        together = [f for f in fixtures if not f.describes_shared_nodes]
        while together and (meeting := self.meeting(Run(tuple(together)))):
            together = [f for f in together if f not in meeting]
        return [*([Run(tuple(together))] if together else []), *(Run((f,)) for f in fixtures if f not in together)]

    def meeting(self, run: Run) -> list[Fixture]:
        """The fixtures of ``run`` that some SPARQL constraint or target answers otherwise in the run
        than on their own data."""
        store = ox.Store()
        store.extend(self.ontology)
        store.extend(run.quads)
        everything = [*self.ontology_graphs, *{g for f in run.fixtures for g in f.graphs}]
        owners = {owner for owner, _ in self.questions.constraints.values()}
        focus = {owner: self.questions.focus_nodes(store, everything, owner) for owner in owners}
        return [f for f in run.fixtures if self.questions.answers(store, everything, f.nodes, focus)
                != self.questions.answers(store, [*self.ontology_graphs, *f.graphs], f.nodes, focus)]

    def validate(self, run: Run) -> dict[Path, Outcome]:
        """Validate ``run`` in one pySHACL run; return the results each of its fixtures claims."""
        store = ox.Store()
        store.extend(self.ontology)
        store.extend(run.quads)
        report = graph.validate.validate_store(store, self.settings)
        fired = fired_results(report)
        return {fixture.path: Outcome(
            [dataclasses.replace(f, focus=fixture.original(f.focus), messages=tuple(map(fixture.original, f.messages)))
             for f in fired if f.focus in fixture.nodes],
            [dataclasses.replace(r, focus_node=fixture.original(r.focus_node), message=fixture.original(r.message),
                                 value=fixture.original(r.value) if r.value else r.value)
             for r in report.results if r.focus_node in fixture.nodes],
        ) for fixture in run.fixtures}
