"""What every router needs: the store, settings, catalogue and a bounded query runner."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Mapping
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

#: Extra seconds the worker gets past ``query_timeout_s`` before the request gives up on it.
GRACE_S = 0.5


@dataclass
class ApiContext:
    """The state shared by all requests of one app.

    Queries run in a bounded thread pool: pyoxigraph releases the GIL while it
    evaluates, so one slow query does not stop the event loop or other queries.
    A query past its time limit is answered with 503; its worker finishes in the
    background (pyoxigraph cannot cancel a query), which the pool size bounds.
    """

    store: GraphStore
    settings: Settings
    catalogue: Mapping[str, QuerySpec]
    workers: int = 8
    cache: dict[str, object] = field(default_factory=dict)
    _executor: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The worker pool, started on first use (and again after :meth:`close`)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="kg-query")
        return self._executor

    @property
    def oxigraph_store(self) -> ox.Store | None:
        """The embedded pyoxigraph store, or ``None`` when serving a remote endpoint."""
        inner = getattr(self.store, "store", None)
        return inner if isinstance(inner, ox.Store) else None

    async def run(self, func: Callable[..., T], *args: object, **kwargs: object) -> T:
        """Run ``func`` in the worker pool under the time limit.

        Raises:
            QueryLimitExceeded: the call did not finish within ``query_timeout_s``.
        """
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, _in_worker, functools.partial(func, *args, **kwargs))
        timeout = self.settings.query_timeout_s + GRACE_S
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise QueryLimitExceeded(
                f"the query ran past its time limit of {self.settings.query_timeout_s:g} s; its answer was "
                "abandoned. Narrow it, or add LIMIT.", reason="time") from None

    async def query(self, sparql: str, bindings: Mapping[str, Term] | None = None, *,
                    row_limit: int | None | bool = True, **dataset: list[ox.NamedNode]) -> QueryResult:
        """Run ``sparql`` on the store under the configured limits.

        ``row_limit=True`` applies ``query_row_limit``; ``None`` lifts it (dumps).
        ``dataset`` may hold ``default_graph`` and ``named_graphs`` (protocol parameters).
        """
        limit = self.settings.query_row_limit if row_limit is True else row_limit
        kwargs: dict[str, object] = {k: v for k, v in dataset.items() if v}
        if kwargs and not self.accepts_dataset:
            from graph.api.errors import ApiError
            raise ApiError(400, "default-graph-uri and named-graph-uri are not supported when serving a "
                                "remote endpoint; use FROM / FROM NAMED in the query instead.")
        return await self.run(self.store.query, sparql, bindings,
                              timeout_s=self.settings.query_timeout_s, row_limit=limit, **kwargs)

    @property
    def accepts_dataset(self) -> bool:
        """Whether the store takes ``default_graph`` / ``named_graphs`` (the embedded store does)."""
        return "default_graph" in inspect.signature(self.store.query).parameters

    def close(self) -> None:
        """Stop the worker pool; running queries finish in the background. The next query starts a new one."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _in_worker(call: Callable[[], T]) -> T:
    """Run ``call``; on error, drop traceback frames here, in the worker thread.

    The frames hold pyoxigraph result iterators, which must not be freed on another thread.
    """
    try:
        return call()
    except GraphError as exc:
        error: BaseException | None = exc
        while error is not None:
            error.__traceback__ = None
            error = error.__cause__ or error.__context__
        raise


def get_context(request: Request) -> ApiContext:
    """FastAPI dependency: the app's :class:`ApiContext`."""
    return request.app.state.kg  # type: ignore[no-any-return]
