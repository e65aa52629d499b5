"""The criteria queries of issue 8 on a small fixture graph, by value.

``tests/data/criteria-queries/library.ttl`` holds three objectives (A stated, B reached only by
the curators' reading, C a recorded gap), a product group with a kriteriegrupp, a cross-cutting
area, two criteria and one curated aspect → objective link. Each test writes out the rows the
query must return; curated rows must appear only when ``include_curated`` is "true".
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.errors import QueryError
from graph.queries import QuerySpec, run_query
from graph.store import EmbeddedStore

FIXTURE = Path(__file__).parent / "data" / "criteria-queries" / "library.ttl"
ID = "https://w3id.org/mmr-kg/id/"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"

Cell = str | frozenset[str] | None
Row = tuple[Cell, ...]


@pytest.fixture(scope="module")
def small() -> EmbeddedStore:
    """The fixture library in a store of its own (one named graph, queried as the union)."""
    store = ox.Store()
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("https://example.org/test/criteria"))
    return EmbeddedStore(store)


def cell(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str | None:
    """A result term as a short string: ``kgid:`` IRIs by local name, literals by value (ints as '3')."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value.removeprefix(ID)
    return term.value


def answer(store: EmbeddedStore, spec: QuerySpec, params: dict[str, str], lang: str = "sv",
           sets: dict[int, str] | None = None) -> Counter[Row]:
    """The query's rows as a multiset; columns in ``sets`` (GROUP_CONCAT, no order) become frozensets."""
    result = run_query(store, spec, params, lang)
    assert result.variables == list(spec.columns)
    rows = []
    for raw in result.rows:
        row: list[Cell] = [cell(t) for t in raw]
        for i, sep in (sets or {}).items():
            row[i] = frozenset(p.removeprefix(ID) for p in (row[i] or "").split(sep) if p)  # type: ignore[union-attr]
        rows.append(tuple(row))
    return Counter(rows)


OC_SETS = {6: " | ", 10: " "}
NOTE = "Our reading, not a source's."
STATED_A = [
    ("test-objective-a", "Mål A", "stated", "product group", "test-group-one", "Grupp ett",
     frozenset({"Område ett"}), None, None, "confidence-sure", frozenset({"test-doc-one"}), None),
    ("test-objective-a", "Mål A", "stated", "criteria area", "test-cross-cutting", "Tvärgående krav",
     frozenset({"Område ett", "Område två"}), None, None, "confidence-likely", frozenset({"test-doc-three"}), None),
]
CURATED_B = [
    ("test-objective-b", "Mål B", "curated", "product group", "test-group-one", "Grupp ett",
     frozenset({"Område ett"}), "test-aspect-one", "Aspekt ett", "confidence-unsure", frozenset(), NOTE),
    ("test-objective-b", "Mål B", "curated", "criterion", "test-criterion-one", "Kriterium ett",
     frozenset({"Område ett"}), "test-aspect-one", "Aspekt ett", "confidence-unsure", frozenset(), NOTE),
]


@pytest.mark.parametrize(("params", "expected"), [
    ({}, STATED_A),
    ({"include_curated": "false"}, STATED_A),
    ({"include_curated": "true"}, STATED_A + CURATED_B),
    ({"objective": "kgid:test-objective-b"}, []),
    ({"objective": "kgid:test-objective-b", "include_curated": "true"}, CURATED_B),
    ({"objective": "kgid:test-objective-c", "include_curated": "true"}, []),
], ids=["default", "curated-off", "curated-on", "b-default", "b-curated", "c-gap"])
def test_objective_criteria(small: EmbeddedStore, catalogue: dict[str, QuerySpec],
                            params: dict[str, str], expected: list[Row]) -> None:
    # Sources: only the citation that names the objective (doc one, not doc two); where no citation
    # names it, every source of the reacher (doc three). Curated rows carry no source, only the note.
    assert answer(small, catalogue["objective-criteria"], params, sets=OC_SETS) == Counter(expected)


def test_objective_criteria_labels_follow_the_language(small: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    rows = answer(small, catalogue["objective-criteria"], {}, lang="en", sets=OC_SETS)
    assert {(r[1], r[5]) for r in rows} == {("Objective A", "Grupp ett"), ("Objective A", "Cross-cutting requirements")}


@pytest.mark.parametrize(("params", "expected"), [
    ({}, [("test-objective-a", "Mål A", "criterion", "test-criterion-one", "Kriterium ett", "stated"),
          ("test-objective-a", "Mål A", "criteria area", "test-group-one", "Grupp ett", "stated"),
          ("test-objective-a", "Mål A", "criteria area", "test-cross-cutting", "Tvärgående krav", "stated")]),
    ({"objective": "kgid:test-objective-b", "include_curated": "true"},
     [("test-objective-b", "Mål B", "criteria area", "test-group-one", "Grupp ett", "curated"),
      ("test-objective-b", "Mål B", "criterion", "test-criterion-one", "Kriterium ett", "curated")]),
    ({"objective": "kgid:test-objective-b"}, []),
], ids=["default", "b-curated", "b-default"])
def test_objective_reach_basis(small: EmbeddedStore, catalogue: dict[str, QuerySpec],
                               params: dict[str, str], expected: list[Row]) -> None:
    assert answer(small, catalogue["objective-reach"], params) == Counter(expected)


@pytest.mark.parametrize(("params", "expected"), [
    ({}, [("test-objective-a", "Mål A", None, None, "3", "0", "0", "0", "0", "stated"),
          ("test-objective-b", "Mål B", None, None, "0", "0", "0", "0", "0", "none"),
          ("test-objective-c", "Mål C", None, None, "0", "0", "0", "0", "0", "gap")]),
    ({"include_curated": "true"},
     [("test-objective-a", "Mål A", None, None, "3", "0", "0", "0", "0", "stated"),
      ("test-objective-b", "Mål B", None, None, "0", "0", "0", "0", "2", "curated"),
      ("test-objective-c", "Mål C", None, None, "0", "0", "0", "0", "0", "gap")]),
], ids=["default", "curated-on"])
def test_objective_coverage_basis(small: EmbeddedStore, catalogue: dict[str, QuerySpec],
                                  params: dict[str, str], expected: list[Row]) -> None:
    # Objective A: the criterion below the group, the group and the cross-cutting area (3).
    assert answer(small, catalogue["objective-coverage"], params) == Counter(expected)


CRITERION_ONE = ("test-criterion-one", "Kriterium ett", "10699", "2", "test-level-bas", "Basnivå", "test-type-ts",
                 "Teknisk specifikation", "test-kgroup-one", "Kriteriegrupp ett", frozenset({"Område ett"}),
                 frozenset({"Aspekt ett"}), "confidence-sure")
CRITERION_TWO = ("test-criterion-two", "Kriterium två", "11567", None, None, None, None, None, "test-group-two",
                 "Grupp två", frozenset({"Område ett", "Område två"}), frozenset(), "confidence-likely")


@pytest.mark.parametrize(("params", "expected"), [
    ({}, [CRITERION_ONE, CRITERION_TWO]),
    ({"area": "kgid:test-area-two"}, [CRITERION_TWO]),
    ({"area": "kgid:test-group-one"}, [CRITERION_ONE]),
    ({"area": "kgid:test-cross-cutting"}, []),
], ids=["all", "area-two", "group-one", "cross-cutting"])
def test_criteria_library(small: EmbeddedStore, catalogue: dict[str, QuerySpec],
                          params: dict[str, str], expected: list[Row]) -> None:
    # KravID and version are separate columns; a criterion without level or type still has a row.
    assert answer(small, catalogue["criteria-library"], params, sets={10: " | ", 11: " | "}) == Counter(expected)


@pytest.mark.parametrize("name", ["objective-criteria", "objective-reach", "objective-coverage"])
def test_include_curated_takes_only_true_or_false(small: EmbeddedStore, catalogue: dict[str, QuerySpec],
                                                   name: str) -> None:
    with pytest.raises(QueryError, match="include_curated.*must be one of false, true"):
        run_query(small, catalogue[name], {"include_curated": "yes"})
