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
- ``# also: kgsh:…`` names a constraint an invalid fixture cannot help breaking besides its own,
  because its own builds on it (a sure node citing only unquoted citations needs a citation
  without a quote). It must fire too.

Each fixture is validated with the ontology and its support files, as if on its own. Fixtures
that cannot meet share a pySHACL run: ``shape_fixtures`` says how they are kept apart, and the
tests under "fixtures that share a pySHACL run do not meet" show that they are.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, SH

from graph.build import BuiltGraph
from graph.config import Settings, default_settings
from graph.namespaces import KGID, PREFIXES
from graph.validate import ValidationReport, ValidationResult, validate_files
from shape_fixtures import (
    FIXTURES_DIR,
    INVALID_FILES,
    VALID_FILES,
    Expectation,
    Fired,
    FixtureRuns,
    Run,
    fired_results,
    fixture_id,
    read_fixture,
)

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


def message_pattern(shapes: rdflib.Graph, constraint: rdflib.URIRef) -> re.Pattern[str]:
    """The constraint's sh:message (else its shape's) as a pattern: each {?variable} stands for any text."""
    template = str(shapes.value(constraint, SH.message) or shapes.value(owner_of(shapes, constraint), SH.message))
    return re.compile(".+".join(map(re.escape, re.split(r"\{[?$]\w+\}", template))), re.DOTALL)


def declared_severity(shapes: rdflib.Graph, node: rdflib.term.Node) -> str | None:
    value = shapes.value(node, SH.severity)
    return str(value).rsplit("#", 1)[-1] if value is not None else None


def show(results: list[Fired]) -> str:
    return "\n".join(
        f"  {r.severity} {r.constraint} focus={r.focus} path={r.path} {r.messages}" for r in results) or "  (none)"


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return shapes_graph()


@pytest.fixture(scope="module")
def constraints(shapes: rdflib.Graph) -> dict[str, str]:
    return named_constraints(shapes)


@pytest.fixture(scope="module")
def runs(shapes: rdflib.Graph, settings: Settings) -> FixtureRuns:
    """The fixtures' pySHACL runs, each validated once per module, when a test first needs it."""
    return FixtureRuns(shapes, settings)


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
def test_valid_fixture_conforms(path: Path, runs: FixtureRuns) -> None:
    fixture = read_fixture(path)
    assert fixture.expectation is None, f"{path.name}: a valid fixture has no '# expect:' line"
    outcome = runs.outcome(fixture)
    assert not outcome.fired, f"expected no results on the nodes of {fixture_id(path)}, got:\n{show(outcome.fired)}"
    assert not outcome.results


@pytest.mark.parametrize("path", INVALID_FILES, ids=fixture_id)
def test_invalid_fixture_fires_its_constraint(
        path: Path, runs: FixtureRuns, shapes: rdflib.Graph, constraints: dict[str, str]) -> None:
    fixture = read_fixture(path)
    expected = fixture.expectation
    assert expected is not None, f"{path.name}: expected a first line '# expect: kgsh:<Shape> [path=…] severity=…'"
    assert expected.severity in SEVERITIES, f"{path.name}: severity must be one of {sorted(SEVERITIES)}"
    constraint = rdflib.URIRef(expected.constraint)
    assert expected.constraint in constraints, f"{path.name}: {expected.constraint} is not a named constraint in shapes/"
    assert declared_severity(shapes, constraint) == expected.severity, (
        f"{path.name}: the header says {expected.severity}, shapes/ declares {declared_severity(shapes, constraint)}")
    source_shape = str(owner_of(shapes, constraint))
    message = message_pattern(shapes, constraint)

    outcome = runs.outcome(fixture)
    hits = [r for r in outcome.fired if r.constraint == expected.constraint]
    assert hits, f"expected {expected.constraint} to fire on {fixture_id(path)}; results on its nodes:\n{show(outcome.fired)}"
    for hit in hits:
        assert hit.source_shape == source_shape, f"expected sh:sourceShape {source_shape}, got {hit.source_shape}"
        assert hit.path == expected.path, f"expected sh:resultPath {expected.path}, got {hit.path}"
        assert hit.severity == expected.severity, f"expected severity {expected.severity}, got {hit.severity}"
        assert expected.focus is None or hit.focus == expected.focus, f"expected focus node {expected.focus}, got {hit.focus}"
        assert len(hit.messages) == 1 and message.fullmatch(hit.messages[0]), (
            f"expected exactly one sh:resultMessage, the constraint's sh:message filled in ({message.pattern}), got {hit.messages}")

    # The library's own view of the same result: focus, shape, path, severity and a message.
    public = [r for r in outcome.results if r.source_shape == source_shape]
    assert any(_matches(r, expected) for r in public), (
        f"expected a ValidationResult from {source_shape} with path {expected.path} and severity "
        f"{expected.severity}; got {[(r.path, r.severity, r.message) for r in public]}")

    for also in fixture.also:
        assert any(r.constraint == also for r in outcome.fired), f"{fixture_id(path)} says it also breaks {also}; it does not"
    others = [r for r in outcome.fired if r.constraint != expected.constraint and r.constraint not in fixture.also]
    assert not others, f"{fixture_id(path)} must break only {expected.constraint}; it also breaks:\n{show(others)}"


def _matches(result: ValidationResult, expected: Expectation) -> bool:
    return result.path == expected.path and result.severity == expected.severity and bool(result.message.strip())


def test_every_constraint_has_an_invalid_fixture(constraints: dict[str, str]) -> None:
    expectations = [read_fixture(p).expectation for p in INVALID_FILES]
    covered = {e.constraint for e in expectations if e is not None}
    missing = {c: f for c, f in constraints.items() if c not in covered}
    listing = "\n".join(f"  {f}: {c.replace(KGSH, 'kgsh:')}" for c, f in sorted(missing.items(), key=lambda i: (i[1], i[0])))
    assert not missing, (
        f"expected an invalid fixture in tests/data/shapes/<concern>/ for every constraint; none breaks:\n{listing}")


# --- fixtures that share a pySHACL run do not meet ------------------------------------------


def test_fixtures_run_alone_only_where_they_could_meet_others(runs: FixtureRuns) -> None:
    """Both describe kgid:scheme-environmental-objectives, which the other objectives fixtures only name;
    every other fixture shares the run of its concern and support files."""
    plans = [run for folder in sorted({p.parent for p in VALID_FILES}) for run in runs.plan(folder)]
    alone = [run.fixtures[0].id for run in plans if len(run.fixtures) == 1]
    assert alone == ["objectives/valid-objectives.ttl", "objectives/invalid-objective-scheme-sixteen.ttl"]
    groups = {(p.parent, read_fixture(p).support) for p in [*VALID_FILES, *INVALID_FILES]}
    assert len(plans) == len(groups) + len(alone), "expected one shared run per concern and set of support files"


# The most exposed to the other fixtures of their run: links back into nodes (memberships, touchpoints for
# support agencies, a criterion's gaps), a node met by value (an objective's number), roles in the support file.
EXPOSED = ["organisations/valid-organisations.ttl", "criteria/invalid-criterion-type.ttl",
           "objectives/invalid-objective-unique-number.ttl", "touchpoints/valid-touchpoints.ttl"]


@pytest.mark.parametrize("name", EXPOSED)
def test_a_shared_run_gives_a_fixture_the_results_of_a_run_of_its_own(name: str, runs: FixtureRuns, settings: Settings) -> None:
    """The fixture as its files stand, validated alone (all of it, with the ontology), as before runs were shared."""
    fixture = read_fixture(FIXTURES_DIR / name)
    assert any(fixture in run.fixtures and len(run.fixtures) > 1 for run in runs.plan(fixture.path.parent))
    alone = validate_files(fixture.files, settings)
    nodes = {fixture.original(n) for n in fixture.nodes}
    outcome = runs.outcome(fixture)
    assert sorted(map(repr, outcome.fired)) == sorted(repr(f) for f in fired_results(alone) if f.focus in nodes)
    assert sorted(map(repr, outcome.results)) == sorted(repr(r) for r in alone.results if r.focus_node in nodes)


def test_fixtures_that_would_meet_are_found_and_would_fail(runs: FixtureRuns) -> None:
    """Why the check matters: valid-objectives and the unique-number fixture both number an objective 6."""
    pair = tuple(read_fixture(FIXTURES_DIR / "objectives" / n) for n in ("valid-objectives.ttl", "invalid-objective-unique-number.ttl"))
    assert runs.meeting(Run(pair)) == list(pair)
    fired = runs.validate(Run(pair))[pair[0].path].fired  # 16 + 2 objectives in the scheme, two numbered 6
    assert {f.constraint.removeprefix(KGSH) for f in fired} == {
        "EnvironmentalQualityObjectiveShape-unique-number", "ObjectiveSchemeShape-sixteen"}, show(fired)
    assert all(pair[1].tag in f.messages[0] for f in fired if f.constraint.endswith("unique-number")), show(fired)


PREFIXES_TTL = "".join(f"@prefix {k}: <{PREFIXES[k]}> .\n" for k in ("kg", "kgid", "org", "skos"))


def test_a_fixture_that_would_hide_a_result_of_another_is_found(runs: FixtureRuns, settings: Settings, tmp_path: Path) -> None:
    """What no assertion on the results could see: one fixture's touchpoint for the council member in
    the support file both use would hide the violation the other one has on its own."""
    folder = tmp_path / "organisations"
    folder.mkdir()
    (folder / "support.ttl").write_text(PREFIXES_TTL + """
        kgid:test-agency-member a kg:Agency ; skos:prefLabel "Testverket"@sv .
        kgid:test-membership a org:Membership ; org:member kgid:test-agency-member ;
            org:organization kgid:org-miljomalsradet ; org:role kgid:role-council-member .""")
    (folder / "valid-touchpoint.ttl").write_text("# support: support.ttl\n" + PREFIXES_TTL + """
        kgid:test-touchpoint a kg:Touchpoint ; kg:agency kgid:test-agency-member .""")
    (folder / "valid-sector.ttl").write_text("# support: support.ttl\n" + PREFIXES_TTL + """
        kgid:test-sector a kg:SectorArea ; skos:prefLabel "Miljö"@sv .""")
    hiding, hidden = (read_fixture(folder / name) for name in ("valid-touchpoint.ttl", "valid-sector.ttl"))
    assert runs.meeting(Run((hiding, hidden))) == [hidden]

    council = KGSH + "CouncilMemberShape-has-touchpoint"
    alone = [f.focus for f in fired_results(validate_files(hidden.files, settings)) if f.constraint == council]
    shared = [f.focus for f in runs.validate(Run((hiding, hidden)))[hidden.path].fired if f.constraint == council]
    assert (alone, shared) == ([KGID + "test-agency-member"], [])


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
