"""A large ordered answer serves its first pages before it is read whole (issue 12: the first page
at 1M triples under a second), and the whole answer still lands in the cache, computed once."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable, Iterator, Mapping

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from graph.api import create_app
from graph.api.answers import AnswerCache
from graph.config import Settings
from graph.store import EarlyRows, EmbeddedStore, QueryResult, Term
from graph.store.sandbox import WorkerPool

from api_support import HTML

ROWS = [(ox.Literal(str(n)),) for n in range(10)]
JSON = {"accept": "application/json", "accept-encoding": "identity"}
PATH = "/queries/agency-touchpoints"


def answer(rows: list[tuple[Term | None, ...]]) -> QueryResult:
    return QueryResult("select", ["n"], rows)


def test_the_first_rows_come_back_at_once_and_the_whole_answer_is_computed_once() -> None:
    async def scenario() -> None:
        cache = AnswerCache(max_entries=4, max_bytes=10**6, first_rows=3)
        release = asyncio.Event()
        runs: list[EarlyRows | None] = []

        async def compute(early: EarlyRows | None) -> QueryResult:
            runs.append(early)
            assert early is not None and early.count == 4  # one row more than a page may reach
            early.deliver(answer(ROWS[:4]))
            await release.wait()
            return answer(ROWS)

        first, whole = await cache.get_rows(("q",), compute, early=True)
        assert (first.rows, whole) == (ROWS[:4], False)
        again, whole = await cache.get_rows(("q",), compute, early=True)  # shares the run and its first rows
        assert (again.rows, whole) == (ROWS[:4], False)
        later = asyncio.ensure_future(cache.get_rows(("q",), compute))  # a page past the first rows waits
        await asyncio.sleep(0)
        assert not later.done()
        release.set()
        result, whole = await later
        assert (result.rows, whole) == (ROWS, True)
        cached, whole = await cache.get_rows(("q",), compute, early=True)
        assert (cached.rows, whole) == (ROWS, True)
        assert len(runs) == 1 and cache.stats().misses == 1 and cache.stats().entries == 1

    asyncio.run(scenario())


def test_a_short_answer_comes_back_whole_and_a_failed_run_is_tried_again() -> None:
    async def scenario() -> None:
        cache = AnswerCache(max_entries=4, max_bytes=10**6, first_rows=3)

        async def short(early: EarlyRows | None) -> QueryResult:
            return answer(ROWS[:2])  # fewer rows than early.count: never handed over

        assert await cache.get_rows(("short",), short, early=True) == (answer(ROWS[:2]), True)

        proceed = asyncio.Event()

        async def failing(early: EarlyRows | None) -> QueryResult:
            assert early is not None
            early.deliver(answer(ROWS[:4]))
            await proceed.wait()
            raise RuntimeError("the store went away")

        first, whole = await cache.get_rows(("failing",), failing, early=True)
        assert (first.rows, whole) == (ROWS[:4], False)
        proceed.set()
        with pytest.raises(RuntimeError):
            await cache.get_rows(("failing",), failing)  # a page past the first rows shares the failure
        assert await cache.get_rows(("failing",), short) == (answer(ROWS[:2]), True)  # not kept: run again
        assert cache.stats().misses == 3 and cache.stats().entries == 2

    asyncio.run(scenario())


class GatedStore(EmbeddedStore):
    """The embedded store, holding the reading thread right after it hands over its first rows."""

    def __init__(self, store: ox.Store) -> None:
        super().__init__(store)
        self.release = threading.Event()
        self.runs = 0

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None, *, early: EarlyRows | None = None,
              **kwargs: object) -> QueryResult:
        if early is not None:  # a catalogued answer (pages' own lookups come without)
            self.runs += 1
            early = EarlyRows(early.count, self._gate(early.deliver))
        return super().query(sparql, bindings, early=early, **kwargs)  # type: ignore[arg-type]

    def _gate(self, deliver: Callable[[QueryResult], None]) -> Callable[[QueryResult], None]:
        def gated(rows: QueryResult) -> None:
            deliver(rows)
            assert self.release.wait(60), "the test never released the query"
        return gated


@pytest.fixture
def gated(store: EmbeddedStore, settings: Settings) -> Iterator[tuple[TestClient, GatedStore]]:
    gated_store = GatedStore(store.store)
    pool = WorkerPool(store.store, size=1)  # passed in: starts on first use, which never comes
    app = create_app(gated_store, dataclasses.replace(settings, answer_first_rows=10), sandbox=pool)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:  # one event loop for every request
            yield client, gated_store
    finally:
        gated_store.release.set()
        pool.close()


def test_a_first_page_is_served_before_the_answer_is_whole_and_says_so(
        gated: tuple[TestClient, GatedStore], client: TestClient) -> None:
    test_client, store = gated
    whole = client.get(PATH, params={"limit": 1000}, headers=JSON).json()["rows"]
    assert len(whole) > 10, "the answer must pass the first rows for this test"

    early = test_client.get(PATH, params={"limit": 5}, headers=JSON)  # the reading thread is held
    assert early.status_code == 200, early.text
    body = early.json()
    assert body["rows"] == whole[:5] and body["total"] is None
    assert "offset=5" in body["next"]
    assert "etag" not in early.headers and "x-total-count" not in early.headers
    assert early.headers["cache-control"] == "no-store" and "rel=\"next\"" in early.headers["link"]
    second = test_client.get(PATH, params={"limit": 5, "offset": 5}, headers=JSON)  # still within the first rows
    assert second.json()["rows"] == whole[5:10] and second.json()["total"] is None
    page = test_client.get(PATH, params={"limit": 5}, headers=HTML)
    assert page.status_code == 200 and ("1–5 (more follow" in page.text or "1–5 (fler följer" in page.text)
    assert "etag" not in page.headers

    store.release.set()
    # A page past the first rows waits for the whole answer of the same run, which then is cached.
    beyond = test_client.get(PATH, params={"limit": 5, "offset": 10}, headers=JSON)
    assert beyond.json()["rows"] == whole[10:15] and beyond.json()["total"] == len(whole)
    done = test_client.get(PATH, params={"limit": 5}, headers=JSON)
    assert done.json()["rows"] == whole[:5] and done.json()["total"] == len(whole)
    assert done.headers["x-total-count"] == str(len(whole)) and done.headers["etag"].startswith('"')
    assert store.runs == 1, "every page came from the one run of the catalogued query"
