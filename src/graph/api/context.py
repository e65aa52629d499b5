"""What every router needs: the store, settings, catalogue and bounded query runners."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import pyoxigraph as ox
from fastapi import Request

from graph.api.answers import AnswerCache
from graph.api.caching import ResponseCache
from graph.config import Settings
from graph.errors import GraphError, QueryLimitExceeded
from graph.queries import QuerySpec
from graph.results import Serialized, serialize_for
from graph.store import EarlyRows, GraphStore, QueryResult, Term
from graph.store.sandbox import QueryJob, WorkerPool

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Extra seconds the worker gets past ``query_timeout_s`` before the request gives up on it.
GRACE_S = 0.5


@dataclass
class ApiContext:
    """The state shared by all requests of one app.

    Trusted queries (the catalogue's, the pages') run in a bounded thread pool: pyoxigraph
    releases the GIL while it evaluates, so one query does not stop the event loop or other
    queries. Ad-hoc SPARQL from requests runs in ``sandbox``, killable worker processes
    (see :mod:`graph.store.sandbox`), when the store is embedded; a remote store gets it over HTTP,
    under the same time limit.
    """

    store: GraphStore
    settings: Settings
    catalogue: Mapping[str, QuerySpec]
    workers: int = 8
    sandbox: WorkerPool | None = None
    #: Whole answers of catalogued queries (``None``: not cached, as for a remote store).
    answers: AnswerCache | None = None
    #: Whole tagged HTTP answers as sent (graph.api.caching; holds nothing for a remote store).
    responses: ResponseCache | None = None
    #: How long a value :meth:`cached` made is kept: ``None`` (an embedded graph, which cannot change
    #: while it is served) for the app's life; a remote store's graph may change, so its values are
    #: made again once this many seconds have passed.
    values_lifetime_s: float | None = None
    #: The clock :attr:`values_lifetime_s` is measured on (tests give a fake one).
    clock: Callable[[], float] = time.monotonic
    cache: dict[str, tuple[asyncio.Future[object], float]] = field(default_factory=dict)
    _executor: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The worker pool, started on first use (and again after :meth:`close`)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="kg-query")
        return self._executor

    async def run(self, func: Callable[..., T], *args: object, whole_graph: bool = False, **kwargs: object) -> T:
        """Run ``func`` in the thread pool under the time limit: ``query_timeout_s``, or
        ``report_timeout_s`` for work over the whole graph (``whole_graph``: validation,
        coverage, dumps), which is trusted, done once and cached.

        Raises:
            QueryLimitExceeded: the call did not finish within its limit (reason ``time``).
        """
        limit = self.settings.report_timeout_s if whole_graph else self.settings.query_timeout_s
        call = functools.partial(_in_worker, functools.partial(func, *args, **kwargs))
        submitted = self.executor.submit(call)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(submitted), limit + GRACE_S)
        except TimeoutError:
            what = "the report" if whole_graph else "the query"
            raise QueryLimitExceeded(
                f"{what} ran past its time limit of {limit:g} s; its answer was abandoned. "
                + ("Try again later." if whole_graph else "Narrow it, or add LIMIT."), reason="time") from None

    async def cached(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        """Return the value cached under ``key``, computing it with ``make`` once.

        Concurrent requests for a value not yet computed share one computation. A value is kept
        for the app's life (the served graph is read-only), or for :attr:`values_lifetime_s`
        when that is set; one being made is never dropped. A computation that fails is
        forgotten, so the next request tries again.
        """
        kept = self.cache.get(key)
        if kept is not None and self.values_lifetime_s is not None and kept[0].done() \
                and self.clock() - kept[1] >= self.values_lifetime_s:
            kept = None
        if kept is None:
            task: asyncio.Future[object] = asyncio.ensure_future(make())
            kept = self.cache[key] = (task, self.clock())

            def forget_failure(done: asyncio.Future[object]) -> None:
                if (done.cancelled() or done.exception() is not None) and self.cache.get(key, (None,))[0] is done:
                    self.cache.pop(key, None)

            task.add_done_callback(forget_failure)
        return await asyncio.shield(kept[0])  # type: ignore[arg-type]

    async def query(self, sparql: str, bindings: Mapping[str, Term] | None = None, *,
                    row_limit: int | None | bool = True, adhoc: bool = False, early: EarlyRows | None = None,
                    **dataset: list[ox.NamedNode]) -> QueryResult:
        """Run ``sparql`` on the store under the configured limits (``adhoc``: text from a request,
        evaluated in the sandbox when there is one).

        ``row_limit=True`` applies ``query_row_limit``; ``None`` lifts it (dumps).
        ``early`` hands over the first rows as they are read (not for ``adhoc`` text).
        ``dataset`` may hold ``default_graph`` and ``named_graphs`` (protocol parameters).
        """
        limit = self.settings.query_row_limit if row_limit is True else row_limit
        kwargs: dict[str, object] = {k: v for k, v in dataset.items() if v}
        if adhoc and self.sandbox is not None:
            answer = await self._in_sandbox(sparql, bindings, limit, dataset)
            assert isinstance(answer, QueryResult)
            return answer
        query = functools.partial(self.store.query, base_iri=self.settings.query_base_iri if adhoc else None,
                                  early=early, **kwargs)  # type: ignore[arg-type]
        return await self.run(query, sparql, bindings, timeout_s=self.settings.query_timeout_s, row_limit=limit)

    async def query_written(self, sparql: str, accept: str | None, **dataset: list[ox.NamedNode]) -> Serialized:
        """Run ad-hoc ``sparql`` like :meth:`query` and write the answer in the format ``accept``
        prefers; in the sandbox, the worker writes it, so only bytes cross the pipe.

        Raises:
            ResultNotAcceptable: no acceptable format for this result (406).
        """
        if self.sandbox is not None:
            written = await self._in_sandbox(sparql, None, self.settings.query_row_limit, dataset,
                                             accept=accept, serialize=True)
            assert isinstance(written, Serialized)
            return written
        result = await self.query(sparql, None, adhoc=True, default_graph=dataset.get("default_graph", []),
                                  named_graphs=dataset.get("named_graphs", []))
        return await self.run(serialize_for, result, accept)

    async def _in_sandbox(self, sparql: str, bindings: Mapping[str, Term] | None, row_limit: int | None,
                          dataset: Mapping[str, list[ox.NamedNode]], *, accept: str | None = None,
                          serialize: bool = False) -> QueryResult | Serialized:
        """Answer ad-hoc ``sparql`` in a sandbox worker under the time limit, relative IRIs against the endpoint."""
        assert self.sandbox is not None
        job = QueryJob(sparql, dict(bindings or {}), row_limit=row_limit, timeout_s=self.settings.query_timeout_s,
                       base_iri=self.settings.query_base_iri, default_graph=dataset.get("default_graph") or None,
                       named_graphs=dataset.get("named_graphs") or None, accept=accept, serialize=serialize)
        return await self.sandbox.run(job, self.settings.query_timeout_s)

    async def start(self) -> None:
        """Start the sandbox's workers, so the first ad-hoc query does not wait for them."""
        if self.sandbox is not None:
            await self.sandbox.start()

    def close(self, *, sandbox: bool = True) -> None:
        """Stop the thread pool (running queries finish in the background) and, with ``sandbox``,
        the sandbox's workers."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        if sandbox and self.sandbox is not None:
            self.sandbox.close()


def _in_worker(call: Callable[[], T]) -> T:
    """Run ``call``; on error, drop traceback frames here, in the worker thread.

    The frames hold pyoxigraph result iterators, which must not be freed on another thread.
    An unexpected error is logged with its traceback first, since the frames go with it.
    """
    try:
        return call()
    except GraphError as exc:
        _drop_frames(exc)
        raise
    except Exception as exc:
        log.exception("unexpected error in a query worker")
        _drop_frames(exc)
        raise


def _drop_frames(exc: BaseException) -> None:
    error: BaseException | None = exc
    while error is not None:
        error.__traceback__ = None
        error = error.__cause__ or error.__context__


def get_context(request: Request) -> ApiContext:
    """FastAPI dependency: the app's :class:`ApiContext`."""
    return request.app.state.kg  # type: ignore[no-any-return]
