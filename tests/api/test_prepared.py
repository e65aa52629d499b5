"""Issue 12: the catalogue's texts are read once when the app is made, and start-up dumps the graph once."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import graph.api.app
import graph.api.caching
import graph.queries
import graph.store.sandbox
import graph.store.sparql_text
from graph.api import create_app
from graph.config import Settings
from graph.errors import QueryError, QueryRefused
from graph.queries import QuerySpec, bind_parameters, load_catalogue, load_query, prepare_catalogue
from graph.store import EmbeddedStore
from graph.store.sparql_text import inline_bindings

from api_support import KGID


@dataclasses.dataclass
class Calls:
    """How often a wrapped function was called."""

    count: int = 0

    def wrap(self, func: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return func(*args, **kwargs)
        return counted


@pytest.fixture
def tokenizer(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    """Counts every reading of query text: the checks, the binder and the ORDER BY test all tokenize."""
    calls = Calls()
    counted = calls.wrap(graph.store.sparql_text.tokens)
    for module in (graph.store.sparql_text, graph.queries):
        monkeypatch.setattr(module, "tokens", counted)
    yield calls


def test_requests_only_bind_values_into_texts_read_when_the_app_was_made(
        store: EmbeddedStore, settings: Settings, tokenizer: Calls) -> None:
    fresh = load_catalogue(settings.queries_dir)  # not yet prepared
    app = create_app(store, dataclasses.replace(settings, answer_cache_entries=0), queries=fresh)
    read_at_start = tokenizer.count
    assert read_at_start >= len(fresh)  # every text was read when the app was made
    client = TestClient(app)
    try:
        requests = [("agency-touchpoints", {}), ("agency-touchpoints", {"lang": "en"}),
                    ("agency-touchpoints", {"agency": KGID + "agency-naturvardsverket"}),
                    ("agency-touchpoints", {"limit": "5", "offset": "5"}),
                    ("facts-below-sure", {"confidence": "kgid:confidence-unsure"}),
                    ("council-members", {"date": "2019-06-01"})]
        for name, params in requests:
            assert client.get(f"/queries/{name}", params=params).status_code == 200
        assert tokenizer.count == read_at_start  # cache off: six runs, no text read again
    finally:
        app.state.kg.close()


def test_a_prepared_text_binds_as_inline_bindings_does(catalogue: dict[str, QuerySpec]) -> None:
    samples = {"iri": KGID + "agency-boverket", "date": "2019-06-01", "string": "x", "integer": "3"}
    for spec in catalogue.values():
        for lang in ("sv", "en"):
            raw = {p.name: (p.values[0] if p.type == "enum" else samples[p.type]) for p in spec.params}
            for chosen in ({}, raw):  # defaults only, then every parameter given
                try:
                    bindings = bind_parameters(spec, chosen, lang)
                except QueryError:  # a required parameter left out
                    continue
                assert spec.prepared.bind(bindings) == inline_bindings(spec.text, bindings), spec.name


def test_ordered_is_read_from_the_text(catalogue: dict[str, QuerySpec]) -> None:
    for spec in catalogue.values():
        code = "\n".join(line.split("#", 1)[0] for line in spec.text.splitlines())
        assert spec.prepared.ordered == ("ORDER BY" in " ".join(code.upper().split())), spec.name


def test_an_unsafe_catalogue_text_is_refused_when_the_app_is_made(tmp_path: Path) -> None:
    path = tmp_path / "calls-out.rq"
    path.write_text("#+ summary: s\n#+ description: d\n#+ columns: [s]\n"
                    "SELECT ?s WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }\n", encoding="utf-8")
    spec = load_query(path)  # reading the header alone does not run the checks
    with pytest.raises(QueryRefused, match=f"^{path}: SERVICE calls are not allowed"):
        prepare_catalogue({"calls-out": spec})


def test_start_up_dumps_the_graph_once_for_digest_and_sandbox(store: EmbeddedStore, settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    dumps = Calls()
    counted = dumps.wrap(graph.store.sandbox.dump_nquads)
    for module in (graph.store.sandbox, graph.api.caching, graph.api.app):
        monkeypatch.setattr(module, "dump_nquads", counted)
    app = create_app(store, dataclasses.replace(settings, sandbox_workers=1))
    with TestClient(app) as client:  # the lifespan starts the sandbox's worker
        count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        answer = client.get("/sparql", params={"query": count}, headers={"accept": "application/sparql-results+json"})
        assert answer.status_code == 200
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) == len(store)  # the worker's copy is whole
        assert client.get("/health").headers.get("cache-control") == "no-store"
        tagged = client.get("/queries/council-chairs")
        assert tagged.headers["etag"]  # the digest was made
    assert dumps.count == 1
