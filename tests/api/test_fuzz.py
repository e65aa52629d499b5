"""Property-based fuzzing of every operation in the app's OpenAPI document (schemathesis).

Every check schemathesis has: no 5xx, every response matches its documented status, media type,
headers and schema, schema-valid input is accepted, methods and Allow agree. Boundary and invalid
values of every parameter (the coverage phase), then a few random schema-valid examples per operation.
The invalid values of the parameters all catalogue operations share go to one of them
(:func:`shared_parameters_refused_once`).

The schema is loaded from a fixture, so collecting this module costs nothing. The operations are
fuzzed in :data:`GROUPS` pytest items, so xdist spreads them over its workers; a worker that runs
any of them makes the app, its workers and the regex character classes once (session fixtures), and
each item makes the cases of its own operations only, each operation reported as a subtest (``[GET /resource]``).
"""

from __future__ import annotations

import json
import re._constants as sre
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis.strategies import SearchStrategy
from hypothesis.strategies._internal import regex
from hypothesis.strategies._internal.lazy import unwrap_strategies
from schemathesis.filters import HasAPIOperation
from schemathesis.generation.meta import CoveragePhaseData
from schemathesis.schemas import BaseSchema

from graph.api import create_app
from graph.config import Settings
from graph.queries import QuerySpec
from graph.store import EmbeddedStore
from graph.store.sandbox import WorkerPool
from graph.validate import ValidationReport

#: Every check schemathesis has. One judgement is ours: a text that fits the schema's ``string`` is
#: not yet SPARQL, so /sparql and the /query page may answer schema-valid input with 400
#: (a malformed query, or dataset parameters without a query, which the protocol forbids).
SPARQL_TEXT_ACCEPTANCE = {"positive_data_acceptance": {"expected-statuses": [
    "2xx", "3xx", "400", "401", "403", "404", "409", "429"]}}
#: The coverage phase sends each parameter's boundary and invalid values (negative cases, made
#: from the schema, deterministic); the random fuzzing phase sends schema-valid input only. Random
#: negative input cost two thirds of this module's time and found nothing the coverage phase
#: does not send; positive fuzzing found the 400 of /id/{local} for text that makes no IRI.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({
    "phases": {"fuzzing": {"generation": {"mode": "positive"}}}, "operations": [
    {"include-path": path, "checks": SPARQL_TEXT_ACCEPTANCE} for path in ("/sparql", "/query")]})


# The two fixtures below are session-scoped, so each xdist worker makes them once: a worker may run this
# module's items between other modules' tests, and a module fixture would be made again after each.
@pytest.fixture(scope="session")
def character_classes_built_once() -> Iterator[dict[Any, SearchStrategy[str]]]:
    """Make Hypothesis build the strategy of each regex character class once; yields them by class.

    Hypothesis turns a class into characters one code point at a time, and the IRI pattern of
    14 parameters holds three classes with ``\\u00a0-\\ud7ff\\uf900-\\ufdcf\\ufdf0-\\uffef``
    (~57,000 code points): each build of that pattern took ~2 s, and schemathesis builds it again
    for every operation and phase, 80 % of this module's time. A class's strategy depends only
    on its members, the flags and the alphabet, so the one built first is the one every later
    build would make: generation is unchanged, example for example. (This module is the suite's
    only user of Hypothesis, so the patch may outlive it in a worker.)
    """
    real = regex._strategy
    built: dict[Any, SearchStrategy[str]] = {}

    def strategy(codes: Any, context: regex.Context, is_unicode: bool, *, alphabet: Any) -> SearchStrategy[Any]:
        if not (is_unicode and isinstance(codes, tuple) and codes[0] == sre.IN):
            return real(codes, context, is_unicode, alphabet=alphabet)
        key = (tuple(codes[1]), context.flags, unwrap_strategies(alphabet).intervals)
        if key not in built:
            built[key] = real(codes, context, is_unicode, alphabet=alphabet)
        return built[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(regex, "_strategy", strategy)  # the recursion inside looks it up here too
        yield built


@pytest.fixture(scope="session")
def api_schema(store: EmbeddedStore, settings: Settings, shipped_report: ValidationReport,
               catalogue: dict[str, QuerySpec],
               character_classes_built_once: dict[Any, SearchStrategy[str]]) -> Iterator[BaseSchema]:
    """The app's OpenAPI document, over an app whose sandbox it does not own.

    schemathesis starts the app's lifespan at the first call and ends it only when the process
    exits, so the app gets workers this fixture closes at the end of the session. The shipped graph's SHACL
    report is computed first (see conftest): ``/validate`` answers from it, and computing it inside
    a call could pass schemathesis's 10-second read timeout on a busy machine.
    """
    pool = WorkerPool(store.store, size=1)
    try:
        loaded = schemathesis.openapi.from_asgi("/openapi.json", create_app(store, settings, sandbox=pool),
                                                config=CONFIG)
        loaded.hook(shared_parameters_refused_once(loaded.raw_schema, catalogue))
        yield loaded
    finally:
        pool.close()


def shared_parameters_refused_once(document: dict[str, Any],
                                   catalogue: dict[str, QuerySpec]) -> Callable[..., bool]:
    """A ``filter_case`` hook: the invalid values of the parameters every catalogue operation
    declares alike (``lang``, ``limit``, ``offset``, ``format``) go to one catalogue operation.

    One factory makes all the catalogue's operations (``graph.api.routes.catalogue._endpoint``),
    so these values meet the same code in each; sent to every one they were two fifths of this
    module's cases. Every operation still gets its own parameters' invalid values, every valid
    value of the shared ones (each format), the methods it refuses and its random cases.
    """
    paths = sorted(f"/queries/{name}" for name in catalogue)
    declared = [{json.dumps(p, sort_keys=True) for p in document["paths"][path]["get"].get("parameters", [])}
                for path in paths]
    shared = {json.loads(p)["name"] for p in set.intersection(*declared)}
    others = set(paths[1:])

    def filter_case(context: Any, case: schemathesis.Case) -> bool:
        meta = case.meta
        return not (meta is not None and meta.generation.mode.is_negative
                    and isinstance(meta.phase.data, CoveragePhaseData) and meta.phase.data.parameter in shared
                    and case.operation.path in others and case.method == "GET")
    return filter_case


schema = schemathesis.pytest.from_fixture("api_schema")
#: How many pytest items the operations are fuzzed in (3 to 5 s each).
GROUPS = 6


def in_group(number: int) -> Callable[[HasAPIOperation], bool]:
    """Return the filter of group ``number``: the document's paths, sorted, are dealt to the groups in
    turn, so each path is in exactly one group, with all its methods (schemathesis sends the methods a
    path does not allow once per path and item)."""
    def member(context: HasAPIOperation) -> bool:
        paths = sorted(context.operation.schema.raw_schema["paths"])
        return paths.index(context.operation.path) % GROUPS == number
    return member


@pytest.fixture(autouse=True)
def node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """Give the test the ``_nodeid`` schemathesis's fixture loader reads (pytest 9.2 keeps ``_id``).

    The loader renames the test per operation through it; pytest no longer reads that
    attribute, and each operation is reported as a subtest that carries its label instead.
    """
    request.node._nodeid = request.node.nodeid


@hypothesis.settings(max_examples=6, deadline=None, derandomize=True,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_api_never_fails_and_matches_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate()


# One item per group, all from the one test above: Hypothesis seeds its random examples from the test's
# source (``derandomize``), so every group sends the cases the single item sent, case for case.
(test_api_group_0, test_api_group_1, test_api_group_2, test_api_group_3, test_api_group_4,
 test_api_group_5) = (schema.include(in_group(number)).parametrize()(test_api_never_fails_and_matches_its_schema)
                      for number in range(GROUPS))
del test_api_never_fails_and_matches_its_schema  # collected as its groups
