"""The SHACL shapes: every constraint fires on data made to break it, and good data passes.

Fixtures live in ``tests/data/shapes/<concern>/``, one folder per ``shapes/<concern>.shapes.ttl``:

- ``valid-*.ttl``: complete, conforming examples. Validated with the ontology, they give no
  result of any severity on the nodes they (and their support files) describe.
- ``invalid-<what>.ttl``: each breaks exactly one named constraint, stated on its first lines::

      # expect: kgsh:AgencyShape-identifier path=org:identifier severity=Violation
      # support: support.ttl

  The first token names the constraint: a property shape, a node shape with a node-level
  constraint (``sh:or``, ``sh:xone``, ...) or a named ``sh:SPARQLConstraint``. ``path=`` is left out
  for node-level and SPARQL constraints. ``focus=`` names the focus node when it cannot be a
  ``kgid:test-…`` node (a shape with a fixed ``sh:targetNode``).
- ``# support:`` lines name files of supporting nodes in the same folder, validated together
  with the fixture.

Each fixture is validated on its own, with the ontology only (``graph.validate.validate_files``),
so a fixture run takes a fraction of a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, SH

from graph.build import BuiltGraph
from graph.config import Settings, default_settings
from graph.namespaces import KGID, PREFIXES
from graph.validate import ValidationReport, ValidationResult, validate_files

FIXTURES_DIR = Path(__file__).parent / "data" / "shapes"
SHAPES_DIR = default_settings().shapes_dir
TEST_NODE_PREFIX = KGID + "test-"
KGSH = PREFIXES["kgsh"]
SEVERITIES = {"Violation", "Warning", "Info"}

# Core constraint parameters that make a node shape validate its focus node itself (not
# through a property shape): a node shape that has one is itself a constraint to cover.
NODE_LEVEL_PARAMETERS = (
    SH["or"], SH["xone"], SH["and"], SH["not"], SH["node"], SH["class"], SH["datatype"], SH["nodeKind"],
    SH["in"], SH["hasValue"], SH["pattern"], SH["minLength"], SH["maxLength"], SH["languageIn"],
    SH["minInclusive"], SH["maxInclusive"], SH["minExclusive"], SH["maxExclusive"], SH["closed"],
)


@dataclass(frozen=True)
class Expectation:
    """What an invalid fixture must trigger, read from its ``# expect:`` line."""

    constraint: str
    severity: str
    path: str | None
    focus: str | None


@dataclass(frozen=True)
class Fixture:
    """A fixture file, its support files and (for invalid ones) its expectation."""

    path: Path
    support: tuple[Path, ...]
    expectation: Expectation | None

    @property
    def files(self) -> list[Path]:
        return [*self.support, self.path]


@dataclass(frozen=True)
class Fired:
    """One result of the SHACL report graph, with what ``ValidationResult`` leaves out."""

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
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, sep, rest = line.lstrip("# ").partition(":")
        if not sep:
            continue
        if key == "support":
            support.append(path.parent / rest.strip())
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
    return Fixture(path, tuple(support), expectations[0] if expectations else None)


def fixture_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


VALID_FILES = sorted(FIXTURES_DIR.glob("*/valid-*.ttl"))
INVALID_FILES = sorted(FIXTURES_DIR.glob("*/invalid-*.ttl"))


@cache
def shapes_graph() -> rdflib.Graph:
    """The shapes as written (blank nodes kept, unlike ``load_shapes``, which skolemises them)."""
    graph = rdflib.Graph()
    for path in sorted(SHAPES_DIR.glob("*.shapes.ttl")):
        graph.parse(path, format="turtle")
    return graph


def named_constraints(shapes: rdflib.Graph) -> dict[str, str]:
    """Every constraint a fixture must break, mapped to the shapes file that declares it.

    That is: every object of ``sh:property`` or ``sh:sparql`` of a node shape, and every node
    shape with a node-level constraint parameter of its own.
    """
    files: dict[str, str] = {}
    for path in sorted(SHAPES_DIR.glob("*.shapes.ttl")):
        one = rdflib.Graph().parse(path, format="turtle")
        for node in one.subjects(unique=True):
            files[str(node)] = path.name
    constraints: dict[str, str] = {}
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        for member in [*shapes.objects(shape, SH.property), *shapes.objects(shape, SH.sparql)]:
            constraints[str(member)] = files.get(str(member), "?")
        if any((shape, p, None) in shapes for p in NODE_LEVEL_PARAMETERS):
            constraints[str(shape)] = files.get(str(shape), "?")
    return constraints


def owner_of(shapes: rdflib.Graph, constraint: rdflib.URIRef) -> rdflib.term.Node:
    """The shape that holds ``constraint`` through sh:sparql (the constraint itself otherwise)."""
    return next(iter(shapes.subjects(SH.sparql, constraint)), constraint)


def declared_severity(shapes: rdflib.Graph, node: rdflib.term.Node) -> str | None:
    value = shapes.value(node, SH.severity)
    return str(value).rsplit("#", 1)[-1] if value is not None else None


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


def fixture_nodes(fixture: Fixture) -> set[str]:
    """The IRIs a fixture and its support files describe (their subjects)."""
    graph = rdflib.Graph()
    for path in fixture.files:
        graph.parse(path, format="turtle")
    return {str(s) for s in graph.subjects(unique=True) if isinstance(s, rdflib.URIRef)}


def is_fixture_node(iri: str, described: set[str]) -> bool:
    return iri.startswith(TEST_NODE_PREFIX) or iri in described


def show(results: list[Fired]) -> str:
    return "\n".join(
        f"  {r.severity} {r.constraint} focus={r.focus} path={r.path} {r.messages}" for r in results) or "  (none)"


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return shapes_graph()


# --- fixtures: good data passes, every constraint fires ------------------------------------


def test_fixtures_exist_for_every_shapes_file() -> None:
    concerns = {p.name.removesuffix(".shapes.ttl") for p in SHAPES_DIR.glob("*.shapes.ttl")}
    for concern in sorted(concerns):
        folder = FIXTURES_DIR / concern
        assert list(folder.glob("valid-*.ttl")), f"expected at least one {folder}/valid-*.ttl for shapes/{concern}.shapes.ttl"
        assert list(folder.glob("invalid-*.ttl")), f"expected invalid-*.ttl fixtures in {folder}"
    strays = {p.name for p in FIXTURES_DIR.iterdir() if p.is_dir()} - concerns
    assert not strays, f"fixture folders without a shapes file: {sorted(strays)}"


@pytest.mark.parametrize("path", VALID_FILES, ids=fixture_id)
def test_valid_fixture_conforms(path: Path, settings: Settings) -> None:
    fixture = read_fixture(path)
    assert fixture.expectation is None, f"{path.name}: a valid fixture has no '# expect:' line"
    report = validate_files(fixture.files, settings)
    described = fixture_nodes(fixture)
    offending = [r for r in fired_results(report) if is_fixture_node(r.focus, described)]
    assert not offending, f"expected no results on the nodes of {fixture_id(path)}, got:\n{show(offending)}"
    assert not [r for r in report.results if is_fixture_node(r.focus_node, described)]


@pytest.mark.parametrize("path", INVALID_FILES, ids=fixture_id)
def test_invalid_fixture_fires_its_constraint(path: Path, settings: Settings, shapes: rdflib.Graph) -> None:
    fixture = read_fixture(path)
    expected = fixture.expectation
    assert expected is not None, f"{path.name}: expected a first line '# expect: kgsh:<Shape> [path=…] severity=…'"
    assert expected.severity in SEVERITIES, f"{path.name}: severity must be one of {sorted(SEVERITIES)}"
    constraint = rdflib.URIRef(expected.constraint)
    assert expected.constraint in named_constraints(shapes), f"{path.name}: {expected.constraint} is not a named constraint in shapes/"
    assert declared_severity(shapes, constraint) == expected.severity, (
        f"{path.name}: the header says {expected.severity}, shapes/ declares {declared_severity(shapes, constraint)}")
    source_shape = str(owner_of(shapes, constraint))

    report = validate_files(fixture.files, settings)
    described = fixture_nodes(fixture) | ({expected.focus} if expected.focus else set())
    on_fixture = [r for r in fired_results(report) if is_fixture_node(r.focus, described)]
    hits = [r for r in on_fixture if r.constraint == expected.constraint]
    assert hits, f"expected {expected.constraint} to fire on {fixture_id(path)}; results on its nodes:\n{show(on_fixture)}"
    for hit in hits:
        assert hit.source_shape == source_shape, f"expected sh:sourceShape {source_shape}, got {hit.source_shape}"
        assert hit.path == expected.path, f"expected sh:resultPath {expected.path}, got {hit.path}"
        assert hit.severity == expected.severity, f"expected severity {expected.severity}, got {hit.severity}"
        assert expected.focus is None or hit.focus == expected.focus, f"expected focus node {expected.focus}, got {hit.focus}"
        assert len(hit.messages) == 1 and hit.messages[0].strip(), (
            f"expected exactly one non-empty sh:resultMessage, got {hit.messages}")

    # The library's own view of the same result: focus, shape, path, severity and a message.
    public = [r for r in report.results if r.source_shape == source_shape and is_fixture_node(r.focus_node, described)]
    assert any(_matches(r, expected) for r in public), (
        f"expected a ValidationResult from {source_shape} with path {expected.path} and severity "
        f"{expected.severity}; got {[(r.path, r.severity, r.message) for r in public]}")

    others = [r for r in on_fixture if r.constraint != expected.constraint]
    assert not others, f"{fixture_id(path)} must break only {expected.constraint}; it also breaks:\n{show(others)}"


def _matches(result: ValidationResult, expected: Expectation) -> bool:
    return result.path == expected.path and result.severity == expected.severity and bool(result.message.strip())


def test_every_constraint_has_an_invalid_fixture(shapes: rdflib.Graph) -> None:
    expectations = [read_fixture(p).expectation for p in INVALID_FILES]
    covered = {e.constraint for e in expectations if e is not None}
    missing = {c: f for c, f in named_constraints(shapes).items() if c not in covered}
    listing = "\n".join(f"  {f}: {c.replace(KGSH, 'kgsh:')}" for c, f in sorted(missing.items(), key=lambda i: (i[1], i[0])))
    assert not missing, (
        f"expected an invalid fixture in tests/data/shapes/<concern>/ for every constraint; none breaks:\n{listing}")


# --- the shapes themselves ---------------------------------------------------------------


def test_constraints_are_named(shapes: rdflib.Graph) -> None:
    unnamed = [
        (str(shape), str(member))
        for shape in shapes.subjects(RDF.type, SH.NodeShape)
        for member in [*shapes.objects(shape, SH.property), *shapes.objects(shape, SH.sparql)]
        if not str(member).startswith(KGSH)
    ]
    assert not unnamed, f"expected every sh:property / sh:sparql to be a named kgsh: node, got {unnamed}"


def test_every_shape_has_severity_and_message(shapes: rdflib.Graph) -> None:
    members = {m for p in (SH.property, SH.sparql) for m in shapes.objects(None, p)}
    typed = {s for t in (SH.PropertyShape, SH.SPARQLConstraint) for s in shapes.subjects(RDF.type, t)}
    problems = [
        f"{n}: {what}"
        for n in sorted(members | typed, key=str)
        for what, ok in (("sh:severity", (n, SH.severity, None) in shapes), ("sh:message", (n, SH.message, None) in shapes))
        if not ok
    ]
    for shape in sorted(shapes.subjects(RDF.type, SH.NodeShape), key=str):
        if any((shape, p, None) in shapes for p in NODE_LEVEL_PARAMETERS):
            problems += [f"{shape}: {p.n3(shapes.namespace_manager)} (it has a node-level constraint)"
                         for p in (SH.severity, SH.message) if (shape, p, None) not in shapes]
        elif not any((shape, p, None) in shapes for p in (SH.property, SH.sparql)):
            problems.append(f"{shape}: no constraints at all")
    assert not problems, "expected sh:severity and sh:message on every constraint; missing:\n  " + "\n  ".join(problems)


def test_sparql_constraint_severity_takes_effect(shapes: rdflib.Graph) -> None:
    """A SPARQL constraint's results carry the severity of the shape that holds it (SHACL 5.3.2).

    Its own sh:severity is only documentation, so it must agree with the shape's (default Violation).
    """
    wrong = []
    for shape, constraint in shapes.subject_objects(SH.sparql):
        effective = declared_severity(shapes, shape) or "Violation"
        declared = declared_severity(shapes, constraint)
        if declared != effective:
            wrong.append(f"{constraint} declares {declared} but {shape} reports it as {effective}")
    assert not wrong, "expected each SPARQL constraint's severity to be its shape's:\n  " + "\n  ".join(wrong)


# --- the shipped data --------------------------------------------------------------------


def test_shipped_data_conforms(shipped_report: ValidationReport) -> None:
    violations = [r for r in shipped_report.results if r.severity == "Violation"]
    assert not violations, "expected the shipped data to conform; violations:\n" + "\n".join(
        f"  {r.focus_node} {r.source_shape} {r.path}: {r.message}" for r in violations)



def test_fixture_iris_never_collide_with_shipped_data(built: BuiltGraph) -> None:
    used = {str(q.subject) for q in built.store} | {str(q.object) for q in built.store}
    shipped_test_iris = sorted(i for i in used if i.startswith(TEST_NODE_PREFIX))
    assert not shipped_test_iris, f"expected no {TEST_NODE_PREFIX}… IRI in the shipped data, got {shipped_test_iris}"


def test_fixture_headers_use_known_keys() -> None:
    pattern = re.compile(r"^# (expect|support): ")
    for path in [*VALID_FILES, *INVALID_FILES]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            if line.startswith(("# expect", "# support")):
                assert pattern.match(line), f"{fixture_id(path)}: malformed header line {line!r}"
        for support in read_fixture(path).support:
            assert support.exists(), f"{fixture_id(path)}: support file {support.name} not found"
