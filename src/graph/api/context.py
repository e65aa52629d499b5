"""What every router needs: the store, settings, catalogue and a bounded query runner."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import pyoxigraph as ox
from fastapi import Request

from graph.config import Settings
from graph.errors import GraphError, QueryLimitExceeded
from graph.queries import QuerySpec
from graph.store import GraphStore, QueryResult, Term

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Extra seconds the worker gets past ``query_timeout_s`` before the request gives up on it.
GRACE_S = 0.5


@dataclass
class ApiContext:
    """The state shared by all requests of one app.

    Queries run in bounded thread pools: pyoxigraph releases the GIL while it
    evaluates, so one slow query does not stop the event loop or other queries.
    A query past its time limit is answered with 503; its worker finishes in the
    background (pyoxigraph cannot cancel a query). Ad-hoc SPARQL from requests runs
    in its own small pool (``adhoc_workers``): runaway queries can fill only that
    pool, so pages, the catalogue and ``/health`` keep answering; when it is full a
    new ad-hoc query is answered 503 at once instead of waiting.
    """

    store: GraphStore
    settings: Settings
    catalogue: Mapping[str, QuerySpec]
    workers: int = 8
    adhoc_workers: int = 2
    cache: dict[str, object] = field(default_factory=dict)
    _executor: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _adhoc_executor: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _adhoc_running: int = field(default=0, init=False, repr=False)
    _adhoc_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The worker pool, started on first use (and again after :meth:`close`)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="kg-query")
        return self._executor

    @property
    def adhoc_executor(self) -> ThreadPoolExecutor:
        """The small pool for ad-hoc SPARQL from requests."""
        if self._adhoc_executor is None:
            self._adhoc_executor = ThreadPoolExecutor(max_workers=self.adhoc_workers, thread_name_prefix="kg-adhoc")
        return self._adhoc_executor

    async def run(self, func: Callable[..., T], *args: object, adhoc: bool = False, **kwargs: object) -> T:
        """Run ``func`` in a worker pool (the ad-hoc one when ``adhoc``) under the time limit.

        Raises:
            QueryLimitExceeded: the call did not finish within ``query_timeout_s`` (reason
                ``time``), or every ad-hoc worker is still busy (reason ``busy``).
        """
        call = functools.partial(_in_worker, functools.partial(func, *args, **kwargs))
        if adhoc:
            with self._adhoc_lock:
                if self._adhoc_running >= self.adhoc_workers:
                    raise QueryLimitExceeded(
                        "the server is still busy with earlier long-running queries. Try again shortly, "
                        "or narrow the query.", reason="busy")
                self._adhoc_running += 1
            submitted = self.adhoc_executor.submit(call)
            submitted.add_done_callback(self._release_adhoc_slot)
        else:
            submitted = self.executor.submit(call)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(submitted), self.settings.query_timeout_s + GRACE_S)
        except TimeoutError:
            raise QueryLimitExceeded(
                f"the query ran past its time limit of {self.settings.query_timeout_s:g} s; its answer was "
                "abandoned. Narrow it, or add LIMIT.", reason="time") from None

    async def cached(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        """Return the value cached under ``key``, computing it with ``make`` once.

        Concurrent requests for a value not yet computed share one computation (the graph is
        read-only, so a value never goes stale). A computation that fails is forgotten, so
        the next request tries again.
        """
        task = self.cache.get(key)
        if task is None:
            task = asyncio.ensure_future(make())
            self.cache[key] = task

            def forget_failure(done: asyncio.Future[T]) -> None:
                if done.cancelled() or done.exception() is not None:
                    self.cache.pop(key, None)

            task.add_done_callback(forget_failure)
        return await asyncio.shield(task)  # type: ignore[arg-type]

    def _release_adhoc_slot(self, _: object) -> None:
        with self._adhoc_lock:
            self._adhoc_running -= 1

    async def query(self, sparql: str, bindings: Mapping[str, Term] | None = None, *,
                    row_limit: int | None | bool = True, adhoc: bool = False,
                    **dataset: list[ox.NamedNode]) -> QueryResult:
        """Run ``sparql`` on the store under the configured limits (``adhoc``: text from a request).

        ``row_limit=True`` applies ``query_row_limit``; ``None`` lifts it (dumps).
        ``dataset`` may hold ``default_graph`` and ``named_graphs`` (protocol parameters).
        """
        limit = self.settings.query_row_limit if row_limit is True else row_limit
        kwargs: dict[str, object] = {k: v for k, v in dataset.items() if v}
        return await self.run(self.store.query, sparql, bindings, adhoc=adhoc,
                              timeout_s=self.settings.query_timeout_s, row_limit=limit, **kwargs)

    def close(self) -> None:
        """Stop the worker pools; running queries finish in the background. The next query starts new ones."""
        for name in ("_executor", "_adhoc_executor"):
            pool = getattr(self, name)
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
                setattr(self, name, None)


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
