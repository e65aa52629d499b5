"""A bounded in-memory cache of catalogued queries' whole answers.

The served graph does not change while the app runs, so a catalogued query with the same
parameters always has the same answer: it is computed once, kept whole (every row, in the
stable order pages are cut from), and each page is a slice of it. The cache holds at most
``max_entries`` answers and about ``max_bytes`` of them, dropping the least recently used; an
answer larger than the whole budget is not kept. Only an app over a store with a content
digest (the embedded one) has this cache: a remote store may change under us.

A large answer need not be read whole before its first pages are served: asked for its first
rows (:class:`~graph.store.EarlyRows`), the computation hands them over as soon as it holds
them and goes on reading the rest into the cache.
"""

from __future__ import annotations

import asyncio
import functools
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass

from graph.store import EarlyRows, QueryResult, Term

#: Estimated bytes of one cached term beyond its text: the Python object and the store's term.
TERM_OVERHEAD = 96
#: Estimated bytes of one row beyond its terms: the tuple and its slot in the list.
ROW_OVERHEAD = 64


def answer_key(name: str, bindings: Mapping[str, Term]) -> tuple[Hashable, ...]:
    """Return the cache key of query ``name`` run with ``bindings`` (terms in N-Triples form)."""
    return (name, *sorted((var, str(term)) for var, term in bindings.items()))


def answer_size(result: QueryResult) -> int:
    """Estimate the memory an answer holds, in bytes (calibrated against RSS: see the README)."""
    terms = sum(TERM_OVERHEAD + len(str(term)) for row in result.rows for term in row if term is not None)
    triples = sum(3 * TERM_OVERHEAD + len(str(triple)) for triple in result.triples)
    return terms + triples + ROW_OVERHEAD * len(result.rows)


@dataclass(frozen=True)
class CacheStats:
    """What the cache holds and how it has been used."""

    entries: int
    bytes: int
    max_entries: int
    max_bytes: int
    hits: int
    misses: int


#: Computes an answer; given :class:`~graph.store.EarlyRows`, it hands over its first rows on the way.
Compute = Callable[[EarlyRows | None], Awaitable[QueryResult]]


class AnswerCache:
    """Whole answers by key, least recently used dropped first, bounded by count and bytes.

    Concurrent requests for an answer not yet computed share one computation; a computation
    that fails is not kept, so the next request tries again.

    Example:
        >>> cache = AnswerCache(max_entries=2, max_bytes=10_000)
        >>> async def compute(early: EarlyRows | None) -> QueryResult:
        ...     return QueryResult("ask", boolean=True)
        >>> answer, whole = asyncio.run(cache.get_rows(("q",), compute))
        >>> answer.boolean, whole, cache.stats().misses
        (True, True, 1)
    """

    def __init__(self, *, max_entries: int, max_bytes: int, first_rows: int = 1000) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.first_rows = first_rows
        self._entries: OrderedDict[Hashable, tuple[QueryResult, int]] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Future[QueryResult]] = {}
        #: The first rows of a pending computation that was asked for them, once they are read.
        self._first: dict[Hashable, asyncio.Future[QueryResult]] = {}
        self._bytes = 0
        self._hits = 0
        self._misses = 0

    async def get_rows(self, key: Hashable, compute: Compute, *, early: bool = False) -> tuple[QueryResult, bool]:
        """Return the answer under ``key`` and whether it is whole.

        With ``early``, an answer of more than :attr:`first_rows` rows that is not cached yet comes
        back as its first ``first_rows + 1`` rows as soon as they are read (so a page within the
        first ``first_rows`` knows whether another follows), while the rest is read into the cache.
        Only a computation started with ``early`` hands over its first rows.
        """
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            self._hits += 1
            return found[0], True
        pending = self._pending.get(key)
        if pending is None:
            self._misses += 1
            ask = None
            if early:
                loop = asyncio.get_running_loop()
                head: asyncio.Future[QueryResult] = loop.create_future()
                self._first[key] = head
                ask = EarlyRows(self.first_rows + 1, functools.partial(_hand_over, loop, head))
            pending = asyncio.ensure_future(compute(ask))
            self._pending[key] = pending

            def settle(done: asyncio.Future[QueryResult]) -> None:
                self._pending.pop(key, None)
                self._first.pop(key, None)
                if not done.cancelled() and done.exception() is None:
                    self._admit(key, done.result())

            pending.add_done_callback(settle)
        first = self._first.get(key) if early else None
        if first is None:
            return await asyncio.shield(pending), True
        await asyncio.wait((pending, first), return_when=asyncio.FIRST_COMPLETED)
        if pending.done():
            return pending.result(), True
        return first.result(), False

    def _admit(self, key: Hashable, result: QueryResult) -> None:
        if self.max_entries < 1:
            return
        size = answer_size(result)
        if size > self.max_bytes:
            return
        self._entries[key] = (result, size)
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped

    def stats(self) -> CacheStats:
        """Return the current counts and bounds."""
        return CacheStats(len(self._entries), self._bytes, self.max_entries, self.max_bytes, self._hits, self._misses)


def _hand_over(loop: asyncio.AbstractEventLoop, rows: asyncio.Future[QueryResult], answer: QueryResult) -> None:
    """Settle ``rows`` with ``answer`` on ``loop`` (called from the thread reading the answer)."""
    def settle() -> None:
        if not rows.done():
            rows.set_result(answer)

    if not loop.is_closed():  # the app may be shutting down while a query still reads
        loop.call_soon_threadsafe(settle)
