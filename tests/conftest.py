"""Shared fixtures: the shipped graph built, and its SHACL report computed, once per test session."""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import os
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import graph.api.views
import graph.summary
import graph.validate
from graph.api import create_app
from graph.api.server import settle_collector
from graph.build import BuiltGraph, build_graph, write_graph
from graph.config import Settings, default_settings
from graph.network import build_network
from graph.queries import QuerySpec, load_catalogue
from graph.store import EmbeddedStore
from graph.store.sandbox import WorkerPool
from graph.validate import ValidationReport

from api_support import KG, KGID
from servers import Endpoint, chromium, closed_port, kg_serve, oxigraph_server, uvicorn_thread

TESTS_DIR = Path(__file__).parent
TEST_DATA = TESTS_DIR / "data"


def pytest_collection_finish(session: pytest.Session) -> None:
    """Settle the collector as ``kg serve`` does (:func:`graph.api.server.settle_collector`): the
    test process keeps what collection imported and built for its whole life, and each collection
    of the oldest generation walked it all again."""
    settle_collector()


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Settings for the shipped ontology, data, shapes and queries."""
    return default_settings()


@pytest.fixture(scope="session")
def built(settings: Settings) -> BuiltGraph:
    """The shipped graph, built in memory."""
    return build_graph(settings)


@pytest.fixture(scope="session")
def store(built: BuiltGraph) -> EmbeddedStore:
    """An embedded store over the shipped graph."""
    return EmbeddedStore(built.store)


class Networks(dict[str, nx.Graph]):
    """The network projections of one store, each built (and frozen) when first asked for."""

    def __init__(self, store: EmbeddedStore) -> None:
        super().__init__()
        self.store = store

    def __missing__(self, projection: str) -> nx.Graph:
        self[projection] = nx.freeze(build_network(self.store, projection, "en"))
        return self[projection]


@pytest.fixture(scope="session")
def networks(store: EmbeddedStore) -> Networks:
    """The network projections of the shipped graph, labels in English, by name, each built once per
    session (``entities`` with its measures and layout takes seconds); frozen: no test adds or removes
    a node or edge another test reads (copy one to change it)."""
    return Networks(store)


@pytest.fixture(scope="session")
def built_files(built: BuiltGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding graph.nq and graph.trig of the shipped graph."""
    out = tmp_path_factory.mktemp("dist")
    write_graph(built, out)
    return out


@pytest.fixture(scope="session")
def catalogue(settings: Settings) -> dict[str, QuerySpec]:
    """The shipped query catalogue, by name."""
    return load_catalogue(settings.queries_dir)


@pytest.fixture(scope="session")
def oxigraph_endpoint() -> Iterator[Endpoint]:
    """A real Oxigraph server (default graph = union of named graphs) on a free port, empty at start."""
    with oxigraph_server() as endpoint:
        yield endpoint


def session_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every process of this test session shares: xdist gives each worker its own
    base folder (``…/popen-gw0``) under the session's, which is the one shared."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) across this session's processes."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session", autouse=True)
def validate_each_dataset_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ValidationReport]]:
    """Make ``validate_store`` compute each distinct dataset's report once per session.

    The whole-graph SHACL report takes seconds, and the shape tests, ``kg validate``,
    ``kg summary`` and the API's ``/validate`` all ask for the report of the same graph. The
    report of a dataset depends only on its quads and the shapes, so a report computed once
    is the report every later call would compute. The first process to need a report computes
    it under a lock and leaves it in the session's shared folder; the other test worker reads it
    from there (a pickle this session wrote). Yields the reports by dataset.
    """
    real = graph.validate.validate_store
    reports: dict[str, ValidationReport] = {}
    shared = session_folder(tmp_path_factory)

    def once(store: ox.Store, settings: Settings) -> ValidationReport:
        digest = hashlib.sha256(str(settings.shapes_dir).encode())
        for line in sorted(str(quad) for quad in store):
            digest.update(line.encode())
        key = digest.hexdigest()
        if key not in reports:
            saved = shared / f"shacl-report-{key}.pickle"
            with locked(shared / f"shacl-report-{key}.lock"):
                if saved.exists():
                    reports[key] = pickle.loads(saved.read_bytes())
                else:
                    reports[key] = real(store, settings)
                    partial = saved.with_suffix(".partial")
                    partial.write_bytes(pickle.dumps(reports[key]))
                    partial.replace(saved)  # a reader never meets half a report
        return reports[key]

    with pytest.MonkeyPatch.context() as patch:
        for module in (graph.validate, graph.summary, graph.api.views):  # graph.notebook imports it when called
            patch.setattr(module, "validate_store", once)
        yield reports


@pytest.fixture(scope="session")
def shipped_report(built: BuiltGraph, settings: Settings) -> ValidationReport:
    """The SHACL report of the shipped graph (computed once per session)."""
    return graph.validate.validate_store(built.store, settings)


@pytest.fixture
def closed_url() -> Iterator[str]:
    """A SPARQL endpoint URL whose port refuses connections, held for the whole test."""
    with closed_port() as port:
        yield f"http://127.0.0.1:{port}/query"


@pytest.fixture(scope="session")
def app(store: EmbeddedStore, settings: Settings, shipped_report: ValidationReport) -> FastAPI:
    """The API app over the shipped graph (its SHACL report already computed: see validate_each_dataset_once).

    Its response cache is off, so every request runs its route (tests look at what a route did,
    such as the template a page came from); the cache is tested on apps of its own
    (tests/api/test_caching.py) and is on in ``site`` and ``served``, as ``kg serve`` runs.
    """
    return create_app(store, dataclasses.replace(settings, response_cache_bytes=0))


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    """A real HTTP client (httpx2, which Starlette's TestClient runs on) talking to the app in-process; server
    errors become 500s, not raises."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def agency(store: EmbeddedStore) -> str:
    """The IRI of the agency with the most touchpoints."""
    result = store.query(f"""SELECT ?a (COUNT(?tp) AS ?n) WHERE {{ ?tp <{KG}agency> ?a
        FILTER(STRSTARTS(STR(?a), "{KGID}")) }} GROUP BY ?a ORDER BY DESC(?n) STR(?a) LIMIT 1""")
    assert result.rows, "the graph has no touchpoints"
    return result.rows[0][0].value  # type: ignore[union-attr]


@pytest.fixture(scope="session")
def served(built_files: Path) -> Iterator[str]:
    """A real ``kg serve`` process (uvicorn, sandbox workers) over the shipped graph; its base URL."""
    with kg_serve(built_files / "graph.nq") as base:
        yield base


@pytest.fixture(scope="session")
def site(store: EmbeddedStore, settings: Settings, shipped_report: ValidationReport) -> Iterator[str]:
    """The app as ``kg serve`` runs it, in a real uvicorn server on a thread of this process; its base URL.

    For the browser tests, where the pages are under test and the process is not: it shares the
    session's store and SHACL report (no second process, graph load or validation). Its one query
    worker (the pages send one query at a time) starts on the first ad-hoc query. The process
    itself is tested on ``served``.
    """
    pool = WorkerPool(store.store, size=1, queue_limit=settings.sandbox_queue)
    try:
        with uvicorn_thread(lambda base: create_app(store, dataclasses.replace(settings, public_url=base),
                                                    sandbox=pool)) as base:
            yield base
    finally:
        pool.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (see ``servers.chromium``); tests drain its logs first."""
    with chromium() as driver:
        yield driver
