"""The API and command-line benchmarks (benchmarks/api.py, benchmarks/cli.py): what they count and
what their reports conclude. Nothing here reads a clock: requests, errors and verdicts are counted
or computed from given numbers; the query benchmark's harness is tested in test_benchmarks.py."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from servers import uvicorn_thread

# benchmarks/ is a folder of scripts, not a package: its modules import each other by name.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import cli as cli_bench

import api as api_bench  # benchmarks/api.py: tests/api is a folder without an __init__, never imported as `api`


def _small_app(_base: str) -> FastAPI:
    app = FastAPI()

    @app.get("/ok")
    def ok() -> PlainTextResponse:
        return PlainTextResponse("answer")

    @app.get("/empty")
    def empty() -> PlainTextResponse:
        return PlainTextResponse("")

    return app


@pytest.mark.parametrize(("path", "errors"), [("/ok", 0), ("/empty", 7), ("/missing", 7)])
def test_hammer_counts_each_request_and_each_error(path: str, errors: int) -> None:
    """A 200 with a body is an answer; an empty body or another status is an error. Warm-up
    requests are sent but not counted."""
    with uvicorn_thread(_small_app) as base:
        outcome = api_bench.Outcome("server", "target", concurrency=3)
        asyncio.run(api_bench.hammer(outcome, api_bench._get(base + path), total=7, warm_up=2))
    assert (outcome.requests, outcome.errors, len(outcome.latencies_ms)) == (7, errors, 7)


def test_hammer_counts_a_refused_connection_as_an_error(closed_url: str) -> None:
    outcome = api_bench.Outcome("server", "target", concurrency=2)
    asyncio.run(api_bench.hammer(outcome, api_bench._get(closed_url), total=4, warm_up=0))
    assert (outcome.requests, outcome.errors) == (4, 4)


def _outcome(server: str, target: str, clients: int, *, requests: int = 100, seconds: float = 1.0,
             errors: int = 0, p99: float = 10.0) -> api_bench.Outcome:
    """An outcome whose 99th-percentile latency is ``p99`` and whose median is 1 ms."""
    return api_bench.Outcome(server, target, clients, requests, errors, seconds, [1.0] * 98 + [p99] * 2)


CATALOGUED = f"catalogued `{api_bench.CATALOGUED}`"


def test_a_ratio_meets_its_target_only_with_zero_errors_and_for_2x_a_p99_no_worse() -> None:
    ours, oxigraph = _outcome(api_bench.KG_WARM, CATALOGUED, 10, requests=300), _outcome(api_bench.OXIGRAPH, CATALOGUED, 10)
    assert api_bench._ratio_line(ours, oxigraph, 2.0).endswith("target ≥ 2×: met")
    assert "**3.00×**" in api_bench._ratio_line(ours, oxigraph, 2.0)
    slower_tail = _outcome(api_bench.KG_WARM, CATALOGUED, 10, requests=300, p99=11.0)
    assert api_bench._ratio_line(slower_tail, oxigraph, 2.0).endswith("**not met**")
    assert api_bench._ratio_line(slower_tail, oxigraph, 1.0).endswith("met")  # the p99 rule is for 2× only
    failing = _outcome(api_bench.KG_WARM, CATALOGUED, 10, requests=300, errors=1)
    assert api_bench._ratio_line(failing, oxigraph, 1.0).endswith("**not met**")
    assert "target" not in api_bench._ratio_line(ours, oxigraph, None)


def test_report_states_every_cell_ratio_and_verdict(tmp_path: Path) -> None:
    adhoc = "ad-hoc aggregate"
    outcomes = [
        _outcome(api_bench.KG_WARM, CATALOGUED, 1, requests=500, p99=2.0),
        _outcome(api_bench.KG_COLD, CATALOGUED, 1, requests=90),
        _outcome(api_bench.OXIGRAPH, CATALOGUED, 1),
        _outcome(api_bench.RDFLIB, CATALOGUED, 1, requests=2),
        _outcome(api_bench.KG_WARM, adhoc, 1, requests=85),
        _outcome(api_bench.OXIGRAPH, adhoc, 1),
        _outcome(api_bench.KG_WARM, api_bench.HEALTH, 1, requests=600),
    ]
    out = tmp_path / "api.md"
    args = argparse.Namespace(requests=100, rdflib_requests=20)
    api_bench.write_report(out, outcomes, 15_000, args, isolation=(4.0, 7.5))
    text = out.read_text(encoding="utf-8")
    assert text.count("\n| ") == len(outcomes) + 1  # the header and one row per outcome
    assert f"| {CATALOGUED} | {api_bench.KG_COLD} | 1 | 90 | 1.0 | 10.0 | 0 / 90 |" in text
    assert f"- {api_bench.KG_WARM} ÷ {api_bench.OXIGRAPH}, {CATALOGUED}, 1 clients: **5.00×**" in text
    verdicts = re.findall(r"^- (kg serve \(\w+\)) ÷ oxigraph server, (.+?), 1 clients: .*target ≥ ([\d.]+)×: (.+)$",
                          text, flags=re.MULTILINE)
    assert verdicts == [(api_bench.KG_WARM, CATALOGUED, "2", "met"), (api_bench.KG_COLD, CATALOGUED, "1", "**not met**"),
                        (api_bench.KG_WARM, adhoc, "0.8", "met")]
    assert f"÷ {api_bench.RDFLIB}, {CATALOGUED}, 1 clients: **250.00×**" in text
    assert "- 1 clients: repeated `agency-touchpoints` p50 **1.0 ms** (500 req/s), `/health` p50 **1.0 ms** " \
           "(600 req/s): met" in text
    assert "isolation costs **3.50 ms** per query at the median (target: under 2 ms: not met)" in text


def test_cli_start_up_report_compares_each_command_with_the_old_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    """One round of ``kg --help`` each way, in fresh interpreters: the row's ratio is its two
    medians' quotient, and its verdict follows from the ratio."""
    monkeypatch.setattr(cli_bench, "COMMANDS", (("--help",),))
    text = cli_bench.run(rounds=1)
    [row] = [line for line in text.splitlines() if line.startswith("| `kg --help`")]
    ours, eager, ratio, verdict = (cell.strip() for cell in row.split("|")[2:6])
    # Both medians are printed to 0.01 s and the ratio to 0.01: the bound on their rounding.
    assert float(ratio) == pytest.approx(float(ours) / float(eager), abs=0.005 + 0.01 / (float(eager) - 0.01))
    assert verdict == f"< 0.5: {'met' if float(ratio) < 0.5 else '**not met**'}"
    assert "median of 1 rounds" in text
