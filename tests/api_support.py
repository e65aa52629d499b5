"""Fixtures for tests/test_api_*.py: the API over the shipped graph.

Every expected value is read back from the embedded store, never hard-coded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from graph.api import create_app
from graph.build import BuiltGraph, build_graph
from graph.config import Settings
from graph.store import EmbeddedStore

KG = "https://w3id.org/mmr-kg/def/"
KGID = "https://w3id.org/mmr-kg/id/"
HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="session")
def api_store(built: BuiltGraph) -> EmbeddedStore:
    """The store the API serves: the shipped graph."""
    return EmbeddedStore(built.store)


@pytest.fixture(scope="session")
def app(api_store: EmbeddedStore, settings: Settings) -> FastAPI:
    """The API app over the shipped graph."""
    return create_app(api_store, settings)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    """A real HTTP client (httpx) talking to the app in-process; server errors become 500s, not raises."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def agency(api_store: EmbeddedStore) -> str:
    """The IRI of the agency with the most touchpoints."""
    result = api_store.query(f"""SELECT ?a (COUNT(?tp) AS ?n) WHERE {{ ?tp <{KG}agency> ?a
        FILTER(STRSTARTS(STR(?a), "{KGID}")) }} GROUP BY ?a ORDER BY DESC(?n) STR(?a) LIMIT 1""")
    assert result.rows, "the graph has no touchpoints"
    return result.rows[0][0].value  # type: ignore[union-attr]
