"""Property-based fuzzing of every operation in the app's OpenAPI document (schemathesis).

Checks: no 5xx, and every response matches its documented status, media type and schema.
Bounded to a few examples per operation so the whole file runs in seconds.
"""

from __future__ import annotations

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from graph.api import create_app
from graph.build import build_graph
from graph.config import default_settings
from graph.store import EmbeddedStore


def _app() -> FastAPI:
    # Built at import: schemathesis needs the schema to collect one test per operation
    # (its fixture-based loader does not work with this pytest).
    settings_ = default_settings()
    return create_app(EmbeddedStore(build_graph(settings_).store), settings_)


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_never_fails_and_matches_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance,
                                   content_type_conformance, response_schema_conformance])
