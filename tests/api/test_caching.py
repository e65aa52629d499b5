"""HTTP caching of the immutable graph (issue 12): ETag, Cache-Control, 304, gzip, and the answer cache."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
from collections.abc import Iterator, Mapping
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from graph.api import caching, create_app
from graph.api.caching import request_tag
from graph.build import load_built_graph
from graph.cli import make_parser
from graph.config import Settings
from graph.queries import QuerySpec, bind_parameters
from graph.store import EmbeddedStore, QueryResult, Term
from graph.store.remote import RemoteStore

from api_support import HTML, KGID

PAGE = "/queries/agency-touchpoints"
PLAIN = {"accept-encoding": "identity"}
GZIP = {"accept-encoding": "gzip"}


class CountingStore(EmbeddedStore):
    """The embedded store, counting how often each query text is run."""

    def __init__(self, store: ox.Store) -> None:
        super().__init__(store)
        self.runs: dict[str, int] = {}

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None, **kwargs: object) -> QueryResult:
        self.runs[sparql] = self.runs.get(sparql, 0) + 1
        return super().query(sparql, bindings, **kwargs)  # type: ignore[arg-type]


def default_text(spec: QuerySpec) -> str:
    """The text the store gets for ``spec`` with its default parameters (bound when it was prepared)."""
    return spec.prepared.bind(bind_parameters(spec, {}, "sv"))


def counting_client(store: ox.Store, settings: Settings) -> tuple[TestClient, CountingStore, FastAPI]:
    """A client of a new app over a counting copy of ``store`` (no lifespan: ad-hoc workers are not started),
    with the response cache off: each request reaches its route."""
    counting = CountingStore(store)
    app = create_app(counting, dataclasses.replace(settings, response_cache_bytes=0))
    return TestClient(app, raise_server_exceptions=False), counting, app


@pytest.fixture
def counted(store: EmbeddedStore, settings: Settings) -> Iterator[tuple[TestClient, CountingStore, FastAPI]]:
    client, counting, app = counting_client(store.store, settings)
    yield client, counting, app
    app.state.kg.close()


def etag(client: TestClient, path: str, **headers: str) -> str:
    response = client.get(path, headers={**PLAIN, **headers})
    assert response.status_code == 200, response.text
    return response.headers["etag"]


def test_graph_answers_carry_a_strong_etag_and_max_age(client: TestClient, agency: str) -> None:
    for path in (PAGE, "/queries", f"/id/{agency.removeprefix(KGID)}", "/sparql?query=ASK%7B%7D", "/export/graph.nq",
                 "/"):
        first, second = client.get(path, headers=PLAIN), client.get(path, headers=PLAIN)
        assert first.headers["etag"] == second.headers["etag"], path
        assert first.headers["etag"].startswith('"') and not first.headers["etag"].startswith("W/"), path
        assert first.headers["cache-control"] == "public, max-age=300", path


def test_the_etag_is_the_same_for_another_app_over_the_same_graph(client: TestClient, built_files: Path,
                                                                  settings: Settings) -> None:
    again = create_app(EmbeddedStore(load_built_graph(built_files / "graph.nq")), settings)
    other = TestClient(again)
    try:
        for path in (PAGE, "/queries/council-chairs?lang=en"):
            assert etag(client, path) == etag(other, path), path
    finally:
        again.state.kg.close()


def test_another_graph_or_setting_gives_other_etags(client: TestClient, store: EmbeddedStore,
                                                     settings: Settings) -> None:
    smaller = ox.Store()
    smaller.extend(list(store.store)[:-1])
    for app in (create_app(EmbeddedStore(smaller), settings),
                create_app(store, dataclasses.replace(settings, public_url="https://kg.example"))):
        try:
            assert etag(TestClient(app), "/queries") != etag(client, "/queries")
        finally:
            app.state.kg.close()


def test_the_etag_follows_accept_language_and_parameters(client: TestClient, agency: str) -> None:
    tags = {
        etag(client, PAGE),
        etag(client, PAGE, accept="text/csv"),
        etag(client, PAGE + "?lang=en"),
        etag(client, PAGE + "?agency=kgid:" + agency.removeprefix(KGID)),
        etag(client, PAGE + "?limit=5"),
    }
    assert len(tags) == 5
    assert etag(client, PAGE + "?lang=en&limit=5") == etag(client, PAGE + "?limit=5&lang=en")


def test_the_etag_changes_with_the_day() -> None:
    # council-members' date defaults to today: yesterday's tag must not validate today's answer.
    scope = {"path": "/queries/council-members", "query_string": b"lang=sv"}
    monday, tuesday = dt.date(2026, 11, 30), dt.date(2026, 12, 1)
    assert request_tag("seed", scope, None, monday) == request_tag("seed", scope, None, monday)
    assert request_tag("seed", scope, None, monday) != request_tag("seed", scope, None, tuesday)


@pytest.mark.parametrize("form", ["{tag}", "W/{tag}", '"other", {tag}', "*"])
def test_if_none_match_gets_304(client: TestClient, form: str) -> None:
    tag = etag(client, PAGE)
    response = client.get(PAGE, headers={**PLAIN, "if-none-match": form.format(tag=tag)})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == tag
    assert response.headers["cache-control"] == "public, max-age=300"
    assert "Accept" in response.headers["vary"]


def test_a_stale_tag_gets_the_whole_answer(client: TestClient) -> None:
    response = client.get(PAGE, headers={**PLAIN, "if-none-match": '"not-this-one"'})
    assert response.status_code == 200 and response.json()["rows"]


def test_a_matching_tag_is_answered_without_running_anything(counted: tuple[TestClient, CountingStore, FastAPI],
                                                             agency: str) -> None:
    client, counting, _ = counted
    path = f"/id/{agency.removeprefix(KGID)}"
    for headers in (PLAIN, GZIP):
        tag = client.get(path, headers={**HTML, **headers}).headers["etag"]
        before = dict(counting.runs)
        response = client.get(path, headers={**HTML, **headers, "if-none-match": tag})
        assert response.status_code == 304
        assert counting.runs == before


def test_gzip_is_another_representation_of_the_same_body(client: TestClient) -> None:
    plain, packed = client.get(PAGE, headers=PLAIN), client.get(PAGE, headers=GZIP)
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content == plain.content  # the client decodes the gzipped body
    assert int(packed.headers["content-length"]) < len(plain.content) // 3
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    assert {v.strip() for v in packed.headers["vary"].split(",")} >= {"Accept", "Accept-Encoding"}
    again = client.get(PAGE, headers={**GZIP, "if-none-match": packed.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == packed.headers["etag"]
    # The gzip tag does not stand for the plain body, nor the plain tag for the gzipped one.
    assert client.get(PAGE, headers={**PLAIN, "if-none-match": packed.headers["etag"]}).status_code == 200
    assert client.get(PAGE, headers={**GZIP, "if-none-match": plain.headers["etag"]}).status_code == 200


def test_gzip_is_deterministic_and_honours_q_values(client: TestClient) -> None:
    raw = client.get("/export/graph.nq", headers=GZIP)
    assert raw.headers["content-encoding"] == "gzip"
    refused = client.get("/export/graph.nq", headers={"accept-encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers
    assert raw.content == refused.content
    with client.stream("GET", "/export/graph.nq", headers=GZIP) as one, \
            client.stream("GET", "/export/graph.nq", headers=GZIP) as two:
        first, second = b"".join(one.iter_raw()), b"".join(two.iter_raw())
    assert first == second and gzip.decompress(first) == refused.content


SWAGGER_BUNDLE = "/static/swagger-ui/swagger-ui-bundle.js"


@pytest.mark.parametrize("path", [SWAGGER_BUNDLE, "/static/style.css"])
def test_static_files_are_gzipped_when_asked_and_keep_their_validators(client: TestClient, path: str) -> None:
    plain, packed = client.get(path, headers=PLAIN), client.get(path, headers=GZIP)
    assert "content-encoding" not in plain.headers and packed.headers["content-encoding"] == "gzip"
    assert packed.content == plain.content  # the client decodes the gzipped body
    assert int(packed.headers["content-length"]) < len(plain.content) // 2
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    for response in (plain, packed):
        assert response.headers["cache-control"] == "public, max-age=300"
        assert "Accept-Encoding" in response.headers["vary"]
    # Each tag stands for its own body: 304 with the same tag, the whole body for the other.
    assert client.get(path, headers={**GZIP, "if-none-match": packed.headers["etag"]}).status_code == 304
    again = client.get(path, headers={**GZIP, "if-none-match": packed.headers["etag"]})
    assert again.headers["etag"] == packed.headers["etag"]
    assert client.get(path, headers={**PLAIN, "if-none-match": plain.headers["etag"]}).status_code == 304
    assert client.get(path, headers={**PLAIN, "if-none-match": packed.headers["etag"]}).status_code == 200
    with client.stream("GET", path, headers=GZIP) as raw:
        assert gzip.decompress(b"".join(raw.iter_raw())) == plain.content


def test_a_static_file_is_compressed_once(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    compressed: list[int] = []
    real = caching._compress
    monkeypatch.setattr(caching, "_compress", lambda body: compressed.append(len(body)) or real(body))
    first = client.get("/static/app.js?first", headers=GZIP).content  # the query string is not the file's
    assert client.get("/static/app.js", headers=GZIP).content == first
    assert len(compressed) <= 1  # none when an earlier test compressed it already
    small = client.get("/static/favicon.svg", headers=GZIP)  # under GZIP_MIN_BYTES: sent as it is
    assert "content-encoding" not in small.headers and small.headers["cache-control"] == "public, max-age=300"


@pytest.mark.parametrize(("path", "status"), [
    ("/id/no-such-thing", 404),
    ("/queries/no-such-query", 404),
    ("/queries/council-members?date=yesterday", 422),
    ("/sparql?query=SELEKT", 400),
    ("/sparql?query=ASK%7B%7D", 406),
])
def test_errors_carry_no_caching_headers(client: TestClient, path: str, status: int) -> None:
    headers = {**PLAIN, "accept": "image/png"} if status == 406 else PLAIN
    response = client.get(path, headers=headers)
    assert response.status_code == status
    assert "etag" not in response.headers and "cache-control" not in response.headers


def test_health_is_never_cached_and_shows_the_answer_cache(client: TestClient) -> None:
    assert client.get("/queries/council-chairs").status_code == 200
    response = client.get("/health", headers={"if-none-match": "*"})
    assert response.status_code == 200
    assert "etag" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    cache = response.json()["answer_cache"]
    assert cache["entries"] >= 1 and 0 < cache["bytes"] <= cache["max_bytes"]


def test_kg_serve_can_turn_the_answer_and_response_caches_off() -> None:
    assert make_parser().parse_args(["serve", "--answer-cache", "0"]).answer_cache == 0
    assert make_parser().parse_args(["serve"]).answer_cache == Settings.answer_cache_entries
    assert make_parser().parse_args(["serve", "--response-cache", "0"]).response_cache == 0
    assert make_parser().parse_args(["serve"]).response_cache * 2**20 == Settings.response_cache_bytes


def test_a_remote_store_gets_no_validators_but_gzip(closed_url: str, settings: Settings) -> None:
    app = create_app(RemoteStore(closed_url), settings)
    try:
        response = TestClient(app).get("/queries", headers=GZIP)
        assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
        assert "etag" not in response.headers and "cache-control" not in response.headers
        assert app.state.kg.answers is None
    finally:
        app.state.kg.close()


def test_pages_are_sliced_from_one_run(counted: tuple[TestClient, CountingStore, FastAPI],
                                       catalogue: dict[str, QuerySpec]) -> None:
    client, counting, _ = counted
    whole = client.get(PAGE, params={"limit": 1000}).json()["rows"]
    assert len(whole) > 15
    pages = [client.get(PAGE, params={"limit": 5, "offset": offset}).json()["rows"] for offset in (0, 5, 10)]
    assert pages == [whole[0:5], whole[5:10], whole[10:15]]
    assert client.get(PAGE, params={"limit": 5, "offset": 5}, headers={"accept": "text/csv"}).status_code == 200
    assert counting.runs[default_text(catalogue["agency-touchpoints"])] == 1


def test_without_the_answer_cache_each_page_runs_the_query(store: EmbeddedStore, settings: Settings,
                                                           catalogue: dict[str, QuerySpec]) -> None:
    client, counting, app = counting_client(store.store, dataclasses.replace(settings, answer_cache_entries=0))
    try:
        for offset in (0, 5):
            assert client.get(PAGE, params={"limit": 5, "offset": offset}).status_code == 200
        assert counting.runs[default_text(catalogue["agency-touchpoints"])] == 2
        assert app.state.kg.answers is None
    finally:
        app.state.kg.close()


def test_the_answer_cache_keeps_its_bounds(store: EmbeddedStore, settings: Settings) -> None:
    names = ["council-chairs", "strategy-goals", "programme-areas", "known-gaps"]
    client, _, app = counting_client(store.store, dataclasses.replace(settings, answer_cache_entries=2))
    try:
        for name in names:
            assert client.get(f"/queries/{name}").status_code == 200
        stats = app.state.kg.answers.stats()
        assert (stats.entries, stats.misses) == (2, 4)
        assert client.get(f"/queries/{names[-1]}").status_code == 200
        assert app.state.kg.answers.stats().hits == 1
    finally:
        app.state.kg.close()

    client, _, app = counting_client(store.store, dataclasses.replace(settings, answer_cache_bytes=20_000))
    try:
        for name in [*names, "agency-touchpoints"]:
            assert client.get(f"/queries/{name}").status_code == 200
            stats = app.state.kg.answers.stats()
            assert 0 < stats.bytes <= 20_000
        assert stats.entries < len(names)  # the least recently used were dropped to stay within the bytes
        assert client.get(PAGE).status_code == 200
        assert app.state.kg.answers.stats().misses == len(names) + 2  # larger than the budget: never kept
    finally:
        app.state.kg.close()


def test_a_repeated_request_is_answered_as_sent_without_running_anything(store: EmbeddedStore, settings: Settings,
                                                                         agency: str) -> None:
    counting = CountingStore(store.store)
    app = create_app(counting, settings)  # the response cache on, as kg serve runs
    client = TestClient(app, raise_server_exceptions=False)
    page = f"/id/{agency.removeprefix(KGID)}"
    origin = {"origin": "https://example.org"}
    try:
        for path, headers in ((page, {**HTML, **GZIP, **origin}), (page, {**HTML, **PLAIN, **origin}),
                              (PAGE, {"accept": "application/json", **GZIP, **origin})):
            first = client.get(path, headers=headers)
            runs = sum(counting.runs.values())
            again = client.get(path, headers=headers)
            assert sum(counting.runs.values()) == runs, f"{path}: the repeat ran queries"
            assert again.content == first.content and again.headers == first.headers, path
            assert again.headers.get_list("access-control-allow-origin") == ["*"], "kept headers grew on the way out"
        assert client.get(page, headers={**HTML, **GZIP}).headers["content-encoding"] == "gzip"
        assert "content-encoding" not in client.get(page, headers={**HTML, **PLAIN}).headers
        tag = client.get(PAGE, headers={"accept": "application/json", **GZIP}).headers["etag"]
        assert client.get(PAGE, headers={"accept": "application/json", **GZIP, "if-none-match": tag}).status_code == 304
        stats = client.get("/health").json()["response_cache"]
        assert stats["entries"] >= 3 and stats["hits"] >= 5 and 0 < stats["bytes"] <= stats["max_bytes"]
    finally:
        app.state.kg.close()


def test_the_response_cache_keeps_its_bound_and_never_keeps_errors(store: EmbeddedStore, settings: Settings) -> None:
    app = create_app(store, dataclasses.replace(settings, response_cache_bytes=64_000))
    client = TestClient(app, raise_server_exceptions=False)
    try:
        for name in ["council-chairs", "strategy-goals", "programme-areas", "known-gaps", "sources"]:
            assert client.get(f"/queries/{name}", headers={"accept": "application/json", **PLAIN}).status_code == 200
            assert 0 < app.state.kg.responses.stats().bytes <= 64_000
        assert client.get("/queries/sources", headers={"accept": "application/json", **PLAIN}).status_code == 200
        assert app.state.kg.responses.stats().hits == 0  # over an eighth of the budget: never kept
        assert client.get("/queries/agency-profile").status_code == 422  # a required parameter is missing
        assert client.get("/queries/agency-profile").status_code == 422
        assert app.state.kg.responses.stats().hits == 0
    finally:
        app.state.kg.close()
