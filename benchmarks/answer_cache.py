"""Memory and speed of the catalogued-answer cache (issue 12), in one run.

1. Memory: every catalogued query (both languages, default parameters) is answered whole, as the
   API caches it, on the shipped graph and on a synthetic graph of about 100k triples. The
   process's resident memory before and after holding the answers (after a collection) is set
   against :func:`graph.api.answers.answer_size`, the estimate the cache's byte bound counts.
2. Speed: in-process requests (``TestClient``) to ``/health`` and to a catalogued page, with the
   answer cache and without it (the response cache off in both, or it would answer every repeat).

Usage: ``python benchmarks/answer_cache.py [--triples 100000] [--requests 300]``. Prints a
Markdown table; writes nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox
from fastapi.testclient import TestClient

from graph.api import create_app
from graph.api.answers import answer_size
from graph.api.routes.catalogue import stable_rows
from graph.config import default_settings
from graph.queries import LANGUAGES, bind_parameters, load_catalogue
from graph.store import EmbeddedStore, QueryResult

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import shipped_quads, synthetic_quads

PAGE = "/queries/agency-touchpoints"


def resident_bytes() -> int:
    """The process's resident memory, from /proc (Linux)."""
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def whole_answers(store: EmbeddedStore, copies: int) -> tuple[int, int, int, int]:
    """Answer the catalogue ``copies`` times; return (answers, rows, estimated bytes, resident growth)."""
    catalogue = load_catalogue(default_settings().queries_dir)
    before = resident_bytes()
    kept: list[QueryResult] = []
    for _ in range(copies):
        for spec in catalogue.values():
            if any(p.required for p in spec.params):
                continue
            for lang in LANGUAGES:
                result = store.query(spec.prepared.bind(bind_parameters(spec, {}, lang)))
                kept.append(QueryResult(result.kind, result.variables, stable_rows(result, spec.prepared.ordered)))
    grown = resident_bytes() - before
    return len(kept), sum(len(r.rows) for r in kept), sum(answer_size(r) for r in kept), grown


def request_ms(client: TestClient, path: str, requests: int) -> float:
    """Median milliseconds of ``requests`` GETs of ``path`` (after 20 to warm up)."""
    times = []
    for i in range(requests + 20):
        start = time.perf_counter()
        assert client.get(path).status_code == 200
        if i >= 20:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Print the memory and speed tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=100_000, help="size of the synthetic graph (default 100k)")
    parser.add_argument("--requests", type=int, default=300, help="requests per timing (default 300)")
    args = parser.parse_args(argv)

    base = shipped_quads()
    print("| graph | quads | copies | answers | rows | estimated MB | resident growth MB | estimate / resident |")
    print("|---|---|---|---|---|---|---|---|")
    for label, quads, copies in (("shipped", base, 20), (f"synthetic ~{args.triples:,}", synthetic_quads(args.triples, base), 2)):
        store = ox.Store()
        store.extend(quads)
        answers, rows, estimated, grown = whole_answers(EmbeddedStore(store), copies)
        print(f"| {label} | {len(store):,} | {copies} | {answers} | {rows:,} | {estimated / 2**20:.2f} | "
              f"{grown / 2**20:.2f} | {estimated / max(grown, 1):.2f} |")

    store = ox.Store()
    store.extend(base)
    settings = default_settings()
    print("\n| request (in-process, shipped graph) | median ms |\n|---|---|")
    for label, entries in (("answer cache on", settings.answer_cache_entries), ("answer cache off", 0)):
        app = create_app(EmbeddedStore(store), dataclasses.replace(settings, answer_cache_entries=entries,
                                                                   response_cache_bytes=0))
        client = TestClient(app)
        if entries:
            print(f"| /health | {request_ms(client, '/health', args.requests):.2f} |")
        print(f"| {PAGE} ({label}) | {request_ms(client, PAGE, args.requests):.2f} |")
        app.state.kg.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
