"""Benchmark the HTTP API against the Oxigraph server on the same graph, in one run.

Starts ``kg serve`` (uvicorn, one process) and ``oxigraph serve`` on free loopback ports,
loads the same ``graph.nq`` into both, then fires a bounded number of requests from an
httpx async client with N concurrent workers:

* ``/sparql`` with the touchpoints-per-agency aggregate (both servers);
* ``/queries/agency-touchpoints`` (our API) vs. the same SPARQL text on the Oxigraph server.

Writes requests/s, median and p99 latency and error counts to docs/benchmarks-api.md.

Usage: .venv/bin/python benchmarks/api.py [--requests 1000] [--concurrency 1 10 50]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from servers import start_on_a_free_port, wait_until_up  # noqa: E402  (the tests' server helpers)

from graph.build import build_graph, write_graph
from graph.config import default_settings
from graph.queries import QuerySpec, bind_parameters, load_catalogue
from graph.results import serialize_for
from graph.store import EmbeddedStore
from graph.store.sandbox import QueryJob, WorkerPool

ROOT = Path(__file__).resolve().parents[1]
AGGREGATE = """PREFIX kg: <https://w3id.org/mmr-kg/def/>
SELECT ?agency ?kind (COUNT(?tp) AS ?n) WHERE { ?tp a kg:Touchpoint ; kg:agency ?agency ; kg:touchpointKind ?kind }
GROUP BY ?agency ?kind ORDER BY ?agency ?kind"""
JSON = "application/sparql-results+json"


@dataclass
class Outcome:
    """One measured scenario."""

    server: str
    target: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def hammer(name: str, target: str, make: object, total: int, concurrency: int) -> Outcome:
    """Send ``total`` requests made by ``make(client)`` from ``concurrency`` workers."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:
        async def worker() -> None:
            nonlocal errors
            for _ in counter:
                started = time.perf_counter()
                try:
                    response = await make(client)  # type: ignore[operator]
                    ok = response.status_code == 200 and response.content
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - started) * 1000)
                errors += 0 if ok else 1
        for _ in range(min(20, total)):  # warm-up
            await make(client)  # type: ignore[operator]
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return Outcome(name, target, concurrency, total, errors, seconds, latencies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per scenario (default 1000)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks-api.md")
    args = parser.parse_args(argv)

    settings = default_settings()
    spec = load_catalogue(settings.queries_dir)["agency-touchpoints"]
    bind_parameters(spec, {}, "sv")  # the same text both servers run
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        built = build_graph(settings)
        write_graph(built, Path(tmp))
        graph = Path(tmp) / "graph.nq"
        triples = len(built)
        try:
            api = subprocess.Popen([sys.executable, "-m", "graph", "serve", "--graph", str(graph),
                                    "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            processes.append(api)
            assert api.stdout is not None
            api_base = re.search(rb"at (http://[\d.]+:\d+)/", api.stdout.readline()).group(1).decode()  # type: ignore[union-attr]
            wait_until_up(api_base + "/health", api)

            store_dir = Path(tmp) / "oxigraph"
            subprocess.run([oxigraph, "load", "--location", str(store_dir), "--file", str(graph)],
                           check=True, capture_output=True)
            ox_server, port = start_on_a_free_port(
                lambda port: [oxigraph, "serve-read-only", "--location", str(store_dir), "--bind",
                              f"127.0.0.1:{port}", "--union-default-graph"],
                lambda port: f"http://127.0.0.1:{port}/")
            processes.append(ox_server)
            ox_base = f"http://127.0.0.1:{port}"

            # The catalogued query with ?lang bound, as the Oxigraph server needs plain text.
            touchpoints_text = spec.text.replace("?lang", '"sv"')
            scenarios = {
                ("kg serve (FastAPI)", "/sparql aggregate"):
                    lambda c: c.get(api_base + "/sparql", params={"query": AGGREGATE}, headers={"accept": JSON}),
                ("oxigraph server", "/query aggregate"):
                    lambda c: c.get(ox_base + "/query", params={"query": AGGREGATE}, headers={"accept": JSON}),
                ("kg serve (FastAPI)", "/queries/agency-touchpoints"):
                    lambda c: c.get(api_base + "/queries/agency-touchpoints", params={"limit": 1000},
                                    headers={"accept": JSON}),
                ("oxigraph server", "/query agency-touchpoints text"):
                    lambda c: c.get(ox_base + "/query", params={"query": touchpoints_text},
                                    headers={"accept": JSON}),
            }
            outcomes = []
            for concurrency in args.concurrency:
                for (server, target), make in scenarios.items():
                    outcome = asyncio.run(hammer(server, target, make, args.requests, concurrency))
                    outcomes.append(outcome)
                    print(f"{server:20} {target:34} c={concurrency:<3} {outcome.rps:8.0f} req/s "
                          f"p50 {outcome.pct(0.5):6.1f} ms  p99 {outcome.pct(0.99):6.1f} ms  "
                          f"errors {outcome.errors}", flush=True)
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)
        isolation = asyncio.run(isolation_cost(built.store, spec, args.requests))
    print(f"isolation: in-process p50 {isolation[0]:.2f} ms, worker process p50 {isolation[1]:.2f} ms", flush=True)
    write_report(args.out, outcomes, triples, args.requests, isolation)
    return 0


async def isolation_cost(store: ox.Store, spec: QuerySpec, runs: int) -> tuple[float, float]:
    """Median ms of one catalogued query answered as SPARQL-JSON in-process, and through a sandbox
    worker process (which writes the JSON and sends the bytes back)."""
    bindings = bind_parameters(spec, {}, "sv")
    embedded = EmbeddedStore(store)
    pool = WorkerPool(store, size=1)
    try:
        await pool.start()
        job = QueryJob(spec.text, bindings, accept=JSON, serialize=True)  # as /sparql sends it
        for _ in range(20):  # warm-up, both ways
            embedded.query(spec.text, bindings)
            await pool.run(job, 30)
        inside, isolated = [], []
        for _ in range(runs):
            started = time.perf_counter()
            serialize_for(embedded.query(spec.text, bindings), JSON)
            inside.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await pool.run(job, 30)
            isolated.append((time.perf_counter() - started) * 1000)
    finally:
        pool.close()
    return statistics.median(inside), statistics.median(isolated)


def write_report(path: Path, outcomes: list[Outcome], triples: int, total: int,
                 isolation: tuple[float, float]) -> None:
    """Write the results table and the throughput ratios as Markdown."""
    lines = ["# API benchmark: `kg serve` vs. the Oxigraph server", "",
             f"Generated by `benchmarks/api.py` on {platform.machine()} with {_cpus()} CPUs, Python "
             f"{platform.python_version()}; graph of {triples} quads; {total} requests per row from an httpx "
             "async client on loopback (after 20 warm-up requests). Both servers ran in the same run on "
             "the same `graph.nq`; `kg serve` is one uvicorn process with its defaults (ad-hoc `/sparql` in two "
             "killable worker processes; catalogued answers cached in memory, so `/queries/…` is measured warm), "
             "Oxigraph is `oxigraph serve-read-only`.", "",
             "| server | request | clients | req/s | p50 ms | p99 ms | errors |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for o in outcomes:
        lines.append(f"| {o.server} | {o.target} | {o.concurrency} | {o.rps:.0f} | {o.pct(0.5):.1f} | "
                     f"{o.pct(0.99):.1f} | {o.errors} |")
    lines += ["", "Throughput of Oxigraph ÷ ours, same query and concurrency (target: ≤ 3):", ""]
    by_key = {(o.server, o.target, o.concurrency): o for o in outcomes}
    for o in outcomes:
        if o.server.startswith("kg"):
            other_target = "/query aggregate" if "sparql" in o.target else "/query agency-touchpoints text"
            other = by_key[("oxigraph server", other_target, o.concurrency)]
            lines.append(f"- {o.target}, {o.concurrency} clients: {other.rps / o.rps:.2f}×")
    inside, isolated = isolation
    lines += ["", "## What process isolation costs", "",
              "Ad-hoc `/sparql` queries run in killable worker processes (`graph.store.sandbox`). The same "
              f"catalogued query (`agency-touchpoints`), {total} runs alternated in one loop: "
              f"in-process p50 **{inside:.2f} ms**, through a worker process p50 **{isolated:.2f} ms**, so "
              f"isolation costs **{isolated - inside:.2f} ms** per query at the median (target: under 2 ms: "
              f"{'met' if isolated - inside < 2 else 'not met'}).", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _cpus() -> int:
    import os
    return os.cpu_count() or 1


if __name__ == "__main__":
    raise SystemExit(main())
