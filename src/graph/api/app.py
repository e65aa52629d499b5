"""The app factory: one FastAPI app over a :class:`~graph.store.GraphStore`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware

from graph.api.answers import AnswerCache
from graph.api.caching import HttpCaching, ResponseCache, dataset_digest, validator_seed
from graph.api.context import ApiContext
from graph.api.errors import install_error_handlers
from graph.api.http import ProtocolMiddleware
from graph.api.routes import catalogue, docs, exports, favicon, health, ontology, pages, report, sparql
from graph.config import Settings
from graph.queries import QuerySpec, load_catalogue, prepare_catalogue
from graph.store import EmbeddedStore, GraphStore
from graph.store.sandbox import WorkerPool, dump_nquads

DESCRIPTION = """Read-only access to the knowledge graph of where the Environmental Objectives
Council's agencies touch public procurement: a SPARQL 1.1 Protocol endpoint, the query
catalogue as REST operations, entity pages and graph dumps."""


def create_app(store: GraphStore, settings: Settings, *, queries: Mapping[str, QuerySpec] | None = None,
               workers: int = 8, sandbox: WorkerPool | None = None) -> FastAPI:
    """Return the API app serving ``store``.

    Args:
        store: the embedded or remote store to answer from.
        settings: paths and limits (``query_timeout_s``, ``query_row_limit``).
        queries: the query catalogue (default: loaded from ``settings.queries_dir``).
        workers: threads that run trusted queries (catalogue, pages) concurrently.
        sandbox: the worker processes for ad-hoc SPARQL. By default, for an embedded store,
            the app makes ``settings.sandbox_workers`` processes with a queue of
            ``settings.sandbox_queue``, started and stopped with the app (its lifespan). A pool
            passed in starts on first use and is the caller's to close.

    Example:
        >>> import pyoxigraph as ox
        >>> from graph.config import default_settings
        >>> from graph.store import EmbeddedStore
        >>> app = create_app(EmbeddedStore(ox.Store()), default_settings())
        >>> "/sparql" in app.openapi()["paths"]
        True

    Raises:
        QueryError: a catalogued query's header is invalid, or its text unsafe.
    """
    owned = sandbox is None and isinstance(store, EmbeddedStore)
    # One dump at start-up: the graph's digest and the sandbox's copy are made from it.
    dump = dump_nquads(store.store) if isinstance(store, EmbeddedStore) else None
    if owned:
        sandbox = WorkerPool(store.store, size=settings.sandbox_workers,  # type: ignore[attr-defined]
                             queue_limit=settings.sandbox_queue, dump=dump)
    digest = dataset_digest(store, dump)  # None for a remote store: its graph may change, so no answer is cached
    answers = (AnswerCache(max_entries=settings.answer_cache_entries, max_bytes=settings.answer_cache_bytes,
                           first_rows=settings.answer_first_rows)
               if digest is not None and settings.answer_cache_entries > 0 else None)
    specs = queries if queries is not None else load_catalogue(settings.queries_dir)
    prepare_catalogue(specs)  # each text read once here: a request only binds values
    responses = ResponseCache(max_bytes=settings.response_cache_bytes)
    ctx = ApiContext(store, settings, specs, workers=workers, sandbox=sandbox, answers=answers, responses=responses,
                     values_lifetime_s=None if digest is not None else settings.cache_max_age_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if owned:
            await ctx.start()
        try:
            yield
        finally:
            ctx.close(sandbox=owned)

    app = FastAPI(title="Miljömålsrådet procurement graph", version=settings.version, description=DESCRIPTION,
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.kg = ctx
    install_error_handlers(app)
    app.add_middleware(HttpCaching, seed=validator_seed(digest, settings), max_age_s=settings.cache_max_age_s,
                       responses=responses)
    app.add_middleware(ProtocolMiddleware)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_credentials=False,
                           allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
                           allow_headers=["Accept", "Content-Type", "If-None-Match"],
                           expose_headers=["Link", "Retry-After", "ETag"], max_age=600)
    app.include_router(sparql.router)
    app.include_router(catalogue.router)
    catalogue.add_query_operations(app, ctx)
    app.include_router(pages.router)
    app.include_router(ontology.router)
    app.include_router(report.router)
    app.include_router(exports.router)
    app.include_router(health.router)
    app.include_router(docs.router)
    app.include_router(favicon.router)
    app.mount(docs.SWAGGER_UI_PATH, docs.swagger_ui_files(), name="swagger-ui")  # before /static, which would hide it
    app.mount("/static", StaticFiles(packages=[("graph.api", "static")]), name="static")
    return app
