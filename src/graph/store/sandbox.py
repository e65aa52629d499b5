"""Evaluate untrusted SPARQL in worker processes that can be killed.

pyoxigraph cannot cancel a query, and a query can crash the process that parses it. So
queries that arrive from outside run in a small pool of worker processes, each holding
the graph in memory (loaded from one N-Quads copy written at start; an on-disk store
opened read-only answered about three times slower):

- the N-Quads copy is the one start-up dumps for the graph's digest too (:func:`dump_nquads`,
  passed in as ``dump``), so a start writes the graph out once;
- a query past its time limit gets its worker killed and replaced: no CPU keeps burning;
- a query that kills its worker costs that query an error, never the server;
- requests wait in a bounded queue for a free worker, within their time limit; only when
  the queue is full is a request refused at once (503 with ``Retry-After``);
- a worker writes the answer in the format the client accepts, so only bytes cross the
  pipe (pickling pyoxigraph terms cost more than the query);
- workers are forked from a server process that has this module loaded (``forkserver``,
  :data:`_CONTEXT`), so a replacement starts in a fork and a load, not a fresh interpreter;
  the server is single-threaded, so forking it is safe where forking the API's threaded
  process is not.

The catalogue's own queries and the pages' queries are trusted texts and stay in-process.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

from graph.errors import GraphError, QueryError, QueryLimitExceeded
from graph.results import Serialized
from graph.store import EmbeddedStore, QueryResult, Term

log = logging.getLogger(__name__)


def _worker_context() -> multiprocessing.context.ForkServerContext | multiprocessing.context.SpawnContext:
    """``forkserver`` with this module preloaded where the platform has it, else ``spawn``."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])  # process-wide: only this module starts that server
    return context


_CONTEXT = _worker_context()


@dataclass(frozen=True)
class QueryJob:
    """One query for a worker: the text, its bindings and its limits."""

    sparql: str
    bindings: Mapping[str, Term] = field(default_factory=dict)
    row_limit: int | None = None
    timeout_s: float | None = None
    base_iri: str | None = None
    default_graph: list[ox.NamedNode] | None = None
    named_graphs: list[ox.NamedNode] | None = None
    #: When set, the worker answers with :class:`~graph.results.Serialized` bytes in the format
    #: this ``Accept`` header prefers, instead of the result's terms.
    accept: str | None = None
    serialize: bool = False


Evaluate = Callable[[EmbeddedStore, QueryJob], QueryResult]


def dump_nquads(store: ox.Store) -> bytes:
    """Return every quad of ``store`` as N-Quads: the one dump start-up makes, shared by the
    graph's digest (:func:`graph.api.caching.dataset_digest`) and the workers' copy."""
    dump = store.dump(format=ox.RdfFormat.N_QUADS)
    assert dump is not None, "dump returns the bytes when given no output"
    return dump


def evaluate(store: EmbeddedStore, job: QueryJob) -> QueryResult:
    """Answer ``job`` from ``store`` (what a worker does with each job)."""
    return store.query(job.sparql, job.bindings, timeout_s=job.timeout_s, row_limit=job.row_limit,
                       base_iri=job.base_iri, default_graph=job.default_graph, named_graphs=job.named_graphs)


def _work(conn: Connection, dump: str, answer: Evaluate) -> None:
    """A worker's life: load the graph into memory, then answer jobs until the pipe closes."""
    from graph.results import serialize_for

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    memory = ox.Store()
    memory.bulk_load(path=dump, format=ox.RdfFormat.N_QUADS)
    store = EmbeddedStore(memory)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result = answer(store, job)
            conn.send(("ok", serialize_for(result, job.accept) if job.serialize else result))
        except GraphError as exc:
            conn.send(("error", _portable(exc)))


def _portable(exc: GraphError) -> tuple[str, str, dict[str, Any]]:
    """Return what rebuilds ``exc`` in the parent: its class name, message and fields."""
    fields = {k: v for k, v in vars(exc).items() if k in ("line", "column", "parameter", "reason")}
    message = getattr(exc, "message", None) or str(exc)
    return type(exc).__name__, message, fields


def _rebuild(name: str, message: str, fields: dict[str, Any]) -> GraphError:
    import graph.errors as errors

    kind = getattr(errors, name, None)
    if not (isinstance(kind, type) and issubclass(kind, GraphError)):
        return QueryError(message)
    if issubclass(kind, QueryLimitExceeded):
        return kind(message, reason=fields.get("reason", "time"))
    if issubclass(kind, QueryError):
        return kind(message, fields.get("line"), fields.get("column"), parameter=fields.get("parameter"))
    return kind(message)


class QueryCrashed(QueryError):
    """The query stopped the engine's worker process (it crashed or was killed by the system)."""


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, dump: str, answer: Evaluate) -> None:
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_work, args=(child, dump, answer), daemon=True,
                                        name="kg-sparql-worker")
        self.process.start()
        child.close()
        kind, pid = self.conn.recv() if self.conn.poll(120) else ("timeout", None)
        if kind != "ready" or not isinstance(pid, int):
            self.stop()
            raise GraphError("a SPARQL worker process did not start within 120 s.")
        self.pid = pid

    def call(self, job: QueryJob, timeout_s: float) -> tuple[str, Any]:
        """Send ``job`` and wait up to ``timeout_s`` for the answer.

        Returns ``("ok", result)``, ``("error", portable error)``, ``("timeout", None)`` or
        ``("died", exit code)``.
        """
        try:
            self.conn.send(job)
            if not self.conn.poll(max(timeout_s, 0.0)):
                return "timeout", None
            return self.conn.recv()  # type: ignore[no-any-return]
        except (EOFError, OSError):
            self.process.join(5)
            return "died", self.process.exitcode

    def stop(self) -> None:
        """Kill the process (a running query cannot be stopped any other way) and reap it."""
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(10)


@dataclass
class PoolStats:
    """What ``/health`` shows of the pool."""

    workers: int
    idle: int
    busy: int
    waiting: int
    queue_limit: int
    restarts: int
    pids: list[int]


class WorkerPool:
    """A fixed number of worker processes answering :class:`QueryJob`s, with a bounded queue.

    Start it with :meth:`start` (or let the first :meth:`run` do it) inside the event loop
    that will use it; :meth:`close` kills the workers and removes the on-disk copy. ``dump``,
    the store's N-Quads when the caller has them already (:func:`dump_nquads`), is written as
    the first start's copy instead of dumping the store again.

    Example:
        >>> pool = WorkerPool(ox.Store(), size=1, queue_limit=4)
        >>> pool.stats().workers
        0
    """

    def __init__(self, store: ox.Store, *, size: int = 2, queue_limit: int = 64,
                 answer: Evaluate = evaluate, dump: bytes | None = None) -> None:
        if size < 1 or queue_limit < 0:
            raise ValueError("a pool needs at least one worker and a queue limit of 0 or more")
        self.size = size
        self.queue_limit = queue_limit
        self._source = store
        self._dump = dump
        self._answer = answer
        self._location: str | None = None
        self._workers: list[_Worker] = []
        self._idle: asyncio.Queue[_Worker] | None = None
        self._waiting = 0
        self._restarts = 0
        self._start_lock: asyncio.Lock | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._closed = threading.Event()

    async def start(self) -> None:
        """Write the graph out once and start the workers (idempotent; again after :meth:`close`)."""
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if self._idle is not None:
                return
            self._closed.clear()
            self._threads = ThreadPoolExecutor(max_workers=2 * self.size + 1, thread_name_prefix="kg-sandbox")
            loop = asyncio.get_running_loop()
            self._location = await loop.run_in_executor(self._threads, self._write_copy)
            workers = await asyncio.gather(*(loop.run_in_executor(self._threads, self._spawn)
                                             for _ in range(self.size)))
            self._idle = asyncio.Queue()
            for worker in workers:
                self._idle.put_nowait(worker)

    def _write_copy(self) -> str:
        location = tempfile.mkdtemp(prefix="kg-sandbox-")
        dump, self._dump = self._dump, None  # given once: a later start dumps the store itself
        with open(os.path.join(location, "graph.nq"), "wb") as copy:
            copy.write(dump_nquads(self._source) if dump is None else dump)
        return location

    def _spawn(self) -> _Worker:
        assert self._location is not None
        worker = _Worker(os.path.join(self._location, "graph.nq"), self._answer)
        self._workers.append(worker)
        return worker

    async def run(self, job: QueryJob, timeout_s: float) -> QueryResult | Serialized:
        """Answer ``job`` in a worker within ``timeout_s`` seconds, waiting for one included
        (:class:`~graph.results.Serialized` bytes when ``job.serialize``).

        Raises:
            QueryLimitExceeded: the queue is full (reason ``queue``), or the time limit passed
                while waiting or running (reason ``time``; a running query's worker is killed).
            QueryCrashed: the worker died on the query.
            QueryError, QueryRefused, QueryTooComplex, ResultNotAcceptable: as raised in the worker.
        """
        await self.start()
        assert self._idle is not None and self._threads is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        if self._idle.empty() and self._waiting >= self.queue_limit:
            raise QueryLimitExceeded(f"all {self.size} query workers are busy and {self._waiting} requests are "
                                     "already waiting. Try again shortly.", reason="queue")
        self._waiting += 1
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout_s)
        except TimeoutError:
            raise QueryLimitExceeded(f"no query worker became free within the time limit of {timeout_s:g} s. "
                                     "Try again shortly.", reason="time") from None
        finally:
            self._waiting -= 1
        call = loop.run_in_executor(self._threads, worker.call, job, deadline - loop.time())
        # Whatever happens to this request (its client may go away), the worker goes back
        # to the pool when it answers, or is replaced when it does not.
        call.add_done_callback(lambda done: self._settle(worker, done))
        kind, value = await asyncio.shield(call)
        if kind == "ok":
            assert isinstance(value, (QueryResult, Serialized))
            return value
        if kind == "error":
            raise _rebuild(*value)
        if kind == "timeout":
            raise QueryLimitExceeded(f"the query ran past its time limit of {timeout_s:g} s and was stopped. "
                                     "Narrow it, or add LIMIT.", reason="time")
        reason = _exit_reason(value)
        log.warning("a SPARQL worker died on a query (%s): %.200s", reason, job.sparql)
        raise QueryCrashed(f"the query stopped the query engine ({reason}); the engine could not evaluate it. "
                           "Simplify it: fewer nested groups or operators, or a smaller result.")

    def _settle(self, worker: _Worker, done: asyncio.Future[tuple[str, Any]]) -> None:
        kind = done.result()[0] if not done.cancelled() and done.exception() is None else "died"
        if kind in ("ok", "error") and self._idle is not None:
            self._idle.put_nowait(worker)
        else:
            self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start another in the background."""
        self._restarts += 1
        loop = asyncio.get_running_loop()

        def renew() -> _Worker | None:
            worker.stop()
            self._workers.remove(worker)
            return None if self._closed.is_set() else self._spawn()

        def put_back(done: asyncio.Future[_Worker | None]) -> None:
            if done.exception() is not None:
                log.error("could not start a replacement SPARQL worker: %s", done.exception())
            elif (fresh := done.result()) is not None and self._idle is not None:
                self._idle.put_nowait(fresh)

        if self._threads is not None:
            loop.run_in_executor(self._threads, renew).add_done_callback(put_back)

    def stats(self) -> PoolStats:
        """The pool's size, what it is doing, and how often a worker was replaced."""
        idle = self._idle.qsize() if self._idle is not None else 0
        running = len(self._workers)
        return PoolStats(workers=running, idle=idle, busy=max(running - idle, 0), waiting=self._waiting,
                         queue_limit=self.queue_limit, restarts=self._restarts,
                         pids=sorted(w.pid for w in self._workers))

    def close(self) -> None:
        """Kill every worker and delete the on-disk copy; :meth:`start` may start them again."""
        self._closed.set()
        for worker in list(self._workers):
            worker.stop()
        self._workers.clear()
        self._idle = None
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._threads = None
        if self._location is not None:
            shutil.rmtree(self._location, ignore_errors=True)
            self._location = None


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"its worker was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"its worker was killed by signal {-code}"
    return f"its worker exited with code {code}"
