"""The app factory: one FastAPI app over a :class:`~graph.store.GraphStore`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from graph.api.context import ApiContext
from graph.api.errors import install_error_handlers
from graph.api.routes import catalogue, exports, health, pages, report, sparql
from graph.config import Settings
from graph.queries import QuerySpec, load_catalogue
from graph.store import GraphStore

DESCRIPTION = """Read-only access to the knowledge graph of where the Environmental Objectives
Council's agencies touch public procurement: a SPARQL 1.1 Protocol endpoint, the query
catalogue as REST operations, entity pages and graph dumps."""


def create_app(store: GraphStore, settings: Settings, *, queries: Mapping[str, QuerySpec] | None = None,
               workers: int = 8) -> FastAPI:
    """Return the API app serving ``store``.

    Args:
        store: the embedded or remote store to answer from.
        settings: paths and limits (``query_timeout_s``, ``query_row_limit``).
        queries: the query catalogue (default: loaded from ``settings.queries_dir``).
        workers: threads that run queries concurrently.

    Example:
        >>> import pyoxigraph as ox
        >>> from graph.config import default_settings
        >>> from graph.store import EmbeddedStore
        >>> app = create_app(EmbeddedStore(ox.Store()), default_settings())
        >>> "/sparql" in app.openapi()["paths"]
        True

    Raises:
        QueryError: a catalogued query's header is invalid.
    """
    ctx = ApiContext(store, settings, queries if queries is not None else load_catalogue(settings.queries_dir),
                     workers=workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        ctx.close()

    app = FastAPI(title="Miljömålsrådet procurement graph", version=settings.version, description=DESCRIPTION,
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.kg = ctx
    install_error_handlers(app)
    app.include_router(sparql.router)
    app.include_router(catalogue.router)
    catalogue.add_query_operations(app, ctx)
    app.include_router(pages.router)
    app.include_router(report.router)
    app.include_router(exports.router)
    app.include_router(health.router)
    app.mount("/static", StaticFiles(packages=[("graph.api", "static")]), name="static")
    return app
