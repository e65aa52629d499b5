"""What the app makes once from the whole graph: kept for the app's life over the embedded graph,
made again after its lifetime over a remote store, whose graph may change."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

import httpx2
import pytest
from fastapi.testclient import TestClient

from graph.api import create_app
from graph.api.context import ApiContext
from graph.config import Settings
from graph.store import EmbeddedStore
from graph.store.remote import RemoteStore

from api_support import HTML
from servers import Endpoint, oxigraph_server


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def counting_maker() -> tuple[list[int], Callable[[], Awaitable[int]]]:
    """A ``make`` for :meth:`ApiContext.cached` that returns how often it was called."""
    calls: list[int] = []

    async def make() -> int:
        calls.append(len(calls) + 1)
        return len(calls)

    return calls, make


def test_the_embedded_graphs_values_are_kept_for_the_apps_life(store: EmbeddedStore, settings: Settings) -> None:
    clock = FakeClock()
    ctx = ApiContext(store, settings, {}, clock=clock)
    calls, make = counting_maker()

    async def scenario() -> list[int]:
        first = await ctx.cached("value", make)
        clock.now += 1e9
        return [first, await ctx.cached("value", make)]

    assert asyncio.run(scenario()) == [1, 1] and calls == [1]


def test_a_value_is_made_again_only_once_its_lifetime_has_passed(store: EmbeddedStore, settings: Settings) -> None:
    clock = FakeClock()
    ctx = ApiContext(store, settings, {}, values_lifetime_s=300, clock=clock)
    calls, make = counting_maker()

    async def scenario() -> list[int]:
        seen = [await ctx.cached("value", make)]
        clock.now += 299
        seen.append(await ctx.cached("value", make))
        clock.now += 1
        seen.append(await ctx.cached("value", make))
        return seen

    assert asyncio.run(scenario()) == [1, 1, 2] and calls == [1, 2]


def test_a_value_being_made_is_shared_however_old(store: EmbeddedStore, settings: Settings) -> None:
    clock = FakeClock()
    ctx = ApiContext(store, settings, {}, values_lifetime_s=1, clock=clock)
    release = asyncio.Event()
    calls: list[int] = []

    async def slow() -> int:
        calls.append(1)
        await release.wait()
        return len(calls)

    async def scenario() -> list[int]:
        first = asyncio.ensure_future(ctx.cached("value", slow))
        await asyncio.sleep(0)  # the computation starts
        clock.now += 10
        second = asyncio.ensure_future(ctx.cached("value", slow))
        await asyncio.sleep(0)
        release.set()
        return [await first, await second]

    assert asyncio.run(scenario()) == [1, 1] and calls == [1]


def _insert(endpoint: Endpoint, subjects: range) -> None:
    triples = " ".join(f"<http://example.org/s{n}> <http://example.org/p> {n} ." for n in subjects)
    answer = httpx2.post(endpoint.update, data={"update": f"INSERT DATA {{ GRAPH <http://example.org/g> {{ {triples} }} }}"})
    assert answer.status_code < 300, answer.text


def _home_size(client: TestClient) -> str:
    found = re.search(r'<span id="size">([^<]*)</span>', client.get("/", params={"lang": "en"}, headers=HTML).text)
    assert found, "the home page shows no size"
    return found.group(1)


@pytest.mark.server
def test_a_remote_graph_is_counted_again_once_the_lifetime_has_passed(settings: Settings) -> None:
    with oxigraph_server() as endpoint:
        _insert(endpoint, range(1))
        app = create_app(RemoteStore(endpoint.query), settings)
        clock = FakeClock()
        app.state.kg.clock = clock
        with TestClient(app) as client:
            assert _home_size(client) == "1 statement (quads) in 1 named graph"
            _insert(endpoint, range(1, 3))
            assert _home_size(client) == "1 statement (quads) in 1 named graph"  # within its lifetime
            clock.now += settings.cache_max_age_s
            assert _home_size(client) == "3 statements (quads) in 1 named graph"
