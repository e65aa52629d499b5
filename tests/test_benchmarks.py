"""The benchmark harness (benchmarks/): its inputs, its synthetic graphs, its timers and its verdicts.

The figures in docs/benchmarks.md are only as good as what the harness measures. These tests check
that every benchmark input answers something, that the synthetic graphs clone instances (not the
shared concepts) and derive their tables again, that the rounds' process and the rdflib worker
report what they measured (and stop a runaway query), and that the report flags each missed target.
No test here reads a clock: they count runs, rows and flags.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.build import BuiltGraph
from graph.config import Settings
from graph.derived import DERIVED_GRAPH
from graph.queries import QuerySpec, bind_parameters
from graph.store import EmbeddedStore, QueryResult

# benchmarks/ is a folder of scripts, not a package: its modules import each other by name.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import queries as bench
import synthetic

KG = "https://w3id.org/mmr-kg/def/"
KGID = "https://w3id.org/mmr-kg/id/"
EX = "http://example.org/"


@pytest.fixture(scope="module")
def params(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> dict[str, dict[str, str]]:
    """The parameters the benchmark gives each query."""
    return bench.sample_parameters(catalogue, store)


def test_every_benchmark_input_answers_rows(store: EmbeddedStore, catalogue: dict[str, QuerySpec],
                                            params: dict[str, dict[str, str]]) -> None:
    """A benchmark of an empty answer measures nothing (issue 12 found `council-members` timed on a
    date with no members): each query, with the parameters the benchmark gives it, returns rows."""
    empty = [name for name, spec in catalogue.items()
             if not store.query(bench.prepared_text(spec, params[name])).rows]
    assert empty == []
    assert params["council-members"]["date"] == "2019-06-01"


def test_every_stored_answer_reads_back_the_same_rows_in_order(store: EmbeddedStore, catalogue: dict[str, QuerySpec],
                                                             params: dict[str, dict[str, str]]) -> None:
    """The `stored answer` column times a copy of each answer: it must be that answer, row for row,
    in both languages, with every copy in one store as the rounds' process keeps them."""
    answers = EmbeddedStore(ox.Store())
    read_back: dict[tuple[str, str], tuple[str, QueryResult]] = {}
    for lang in ("sv", "en"):
        for name, spec in catalogue.items():
            result = store.query(spec.prepared.bind(bind_parameters(spec, params[name], lang)))
            quads, text = bench.stored_answer(f"{name}@{lang}", result)
            answers.store.extend(quads)
            read_back[name, lang] = (text, result)
    differ = [key for key, (text, result) in read_back.items()
              if (back := answers.query(text)).rows != result.rows or back.variables != result.variables]
    assert differ == []


# --- synthetic graphs -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_quads(built: BuiltGraph) -> list[ox.Quad]:
    return list(built.store)


@pytest.fixture(scope="module")
def cloned(shipped_quads: list[ox.Quad]) -> EmbeddedStore:
    """The shipped graph with at least two synthetic clones of its instance data."""
    raw = ox.Store()
    raw.extend(synthetic.synthetic_quads(3 * len(shipped_quads), shipped_quads))
    return EmbeddedStore(raw)


def _subjects_under(store: EmbeddedStore, prefix: str) -> int:
    rows = store.query(f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{prefix}")) }}').rows
    return int(rows[0][0].value)  # type: ignore[union-attr]


def test_synthetic_graph_keeps_the_shipped_graph_and_adds_clones(shipped_quads: list[ox.Quad],
                                                                  cloned: EmbeddedStore) -> None:
    kept = {q for q in shipped_quads if q.graph_name != DERIVED_GRAPH}
    assert kept <= set(cloned.store)
    assert len(cloned) >= 2 * len(shipped_quads)
    first, second = (_subjects_under(cloned, f"{synthetic.SYNTHETIC_ID}{n}/") for n in (1, 2))
    assert first > 0 and second == first


def test_synthetic_clones_instances_not_shared_concepts(cloned: EmbeddedStore) -> None:
    """Objectives, kinds and levers are shared: clones link to them, and are not copies of them."""
    copies = cloned.query(f"""SELECT ?c WHERE {{ ?c a ?type .
        VALUES ?type {{ <{KG}EnvironmentalQualityObjective> <{KG}TouchpointKind> <{KG}ProcurementLever> }}
        FILTER(STRSTARTS(STR(?c), "{synthetic.SYNTHETIC_ID}")) }}""").rows
    assert copies == []
    links = cloned.query(f"""SELECT (COUNT(*) AS ?n) WHERE {{ ?tp <{KG}touchpointKind> ?kind .
        FILTER(STRSTARTS(STR(?tp), "{synthetic.SYNTHETIC_ID}1/") && STRSTARTS(STR(?kind), "{KGID}kind-")) }}""").rows
    assert int(links[0][0].value) > 0  # type: ignore[union-attr]


def test_synthetic_labels_say_which_clone(cloned: EmbeddedStore) -> None:
    labels = cloned.query(f"""SELECT ?label WHERE {{ ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?label
        FILTER(STRSTARTS(STR(?s), "{synthetic.SYNTHETIC_ID}2/")) }}""").column("label")
    assert labels
    assert all(isinstance(label, ox.Literal) and label.value.endswith("[synthetic 2]") for label in labels)


def test_synthetic_graph_derives_its_tables_again(store: EmbeddedStore, cloned: EmbeddedStore) -> None:
    """The derived counts of a cloned document are those of its original, not absent or doubled."""
    text = f"""SELECT ?s ?n WHERE {{ ?s <{KG}citationCount> ?n }}"""
    original = {s.value: n.value for s, n in store.query(text).rows}  # type: ignore[union-attr]
    clones = {s.value: n.value for s, n in cloned.query(text).rows}  # type: ignore[union-attr]
    assert original
    for iri, count in original.items():
        assert clones[iri] == count
        assert clones[synthetic.SYNTHETIC_ID + "1/" + iri.rsplit("/", 1)[-1]] == count


def test_every_catalogue_query_answers_at_least_as_much_on_the_clone(store: EmbeddedStore, cloned: EmbeddedStore,
                                                                     catalogue: dict[str, QuerySpec],
                                                                     params: dict[str, dict[str, str]]) -> None:
    shrunk = {}
    for name, spec in catalogue.items():
        text = bench.prepared_text(spec, params[name])
        shipped, clone = len(store.query(text).rows), len(cloned.query(text).rows)
        if clone < shipped:
            shrunk[name] = (shipped, clone)
    assert shrunk == {}


def test_synthetic_script_refuses_to_write_into_data(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    target = settings.data_dir / "synthetic.nq"
    assert synthetic.main(["--triples", "1", "--out", str(target)]) == 2
    assert not target.exists()
    assert "synthetic data never goes there" in capsys.readouterr().err


# --- timers -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_quads() -> list[ox.Quad]:
    return [ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"), ox.Literal(str(i)), ox.NamedNode(f"{EX}g"))
            for i in range(30)]


def test_median_ms_runs_until_the_budget_or_the_cap() -> None:
    calls: list[int] = []

    def run() -> int:
        calls.append(1)
        time.sleep(0.001)  # so that one run always passes a zero budget
        return 7

    assert bench.median_ms(run, budget_s=3600, min_runs=3, max_runs=4)[1] == 7
    assert len(calls) == 4
    calls.clear()
    bench.median_ms(run, budget_s=0, min_runs=3)
    assert len(calls) == 1  # one run past the budget is answer enough


def test_first_page_reads_one_row_past_the_page(small_quads: list[ox.Quad]) -> None:
    raw = ox.Store()
    raw.extend(small_quads)
    store = EmbeddedStore(raw)
    text = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s"
    assert bench._first_page_rows(store, text, 5) == 6
    assert bench._first_page_rows(store, text, 100) == 30


@pytest.fixture
def spread(small_quads: list[ox.Quad]) -> Iterator[bench.SpreadTimer]:
    timer = bench.SpreadTimer({"all": "SELECT * WHERE { ?s ?p ?o }", "three": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"},
                              small_quads)
    yield timer
    if timer.process.is_alive():
        timer.process.kill()
        timer.process.join()


def test_spread_timer_collects_rounds_and_fills_medians(spread: bench.SpreadTimer) -> None:
    spread.rounds(2)
    spread.rounds(1)
    assert {name: len(samples) for name, samples in spread.samples.items()} == {"all": 3, "three": 3}
    assert len(spread.plan_samples["all"]) == 3
    assert len(spread.stored_samples["three"]) == 3
    assert len(spread.round_totals) == 3
    run = bench.SizeRun("shipped", 30, {name: bench.Timing(float("nan"), 0) for name in ("all", "three")})
    spread.fill(run)
    assert run.timings["all"].embedded_ms == pytest.approx(sorted(spread.samples["all"])[1])
    assert run.timings["three"].plan_ms == pytest.approx(sorted(spread.plan_samples["three"])[1])
    assert run.timings["all"].stored_ms == pytest.approx(sorted(spread.stored_samples["all"])[1])
    assert not spread.process.is_alive()


def test_spread_timer_reports_a_failing_round(small_quads: list[ox.Quad]) -> None:
    timer = bench.SpreadTimer({"broken": "SELECT * WHERE { ?s ?p }"}, small_quads)
    try:
        with pytest.raises(RuntimeError, match="the rounds' process failed: QuerySyntaxError"):
            timer.rounds(1)
    finally:
        timer.process.kill()
        timer.process.join()


@pytest.fixture
def rdflib_worker(small_quads: list[ox.Quad], tmp_path: Path) -> Iterator[bench.RdflibWorker]:
    nq = tmp_path / "small.nq"
    ox.serialize(small_quads, nq, format=ox.RdfFormat.N_QUADS)
    worker = bench.RdflibWorker(nq, timeout_s=30)
    yield worker
    worker.stop()


def test_rdflib_worker_answers_and_reports_failures(rdflib_worker: bench.RdflibWorker) -> None:
    answer = rdflib_worker.time("SELECT ?s WHERE { ?s ?p ?o }")
    assert isinstance(answer, tuple) and answer[1] == 30
    failure = rdflib_worker.time("SELECT ?s WHERE { ?s ?p }")
    assert isinstance(failure, bench.RdflibFailure) and "ParseException" in failure.message
    assert rdflib_worker.process is not None and rdflib_worker.process.is_alive()  # a failure is an answer


def test_rdflib_worker_stops_a_runaway_query_and_starts_again(rdflib_worker: bench.RdflibWorker) -> None:
    assert isinstance(rdflib_worker.time("ASK { ?s ?p ?o }"), tuple)
    first = rdflib_worker.process
    assert first is not None
    rdflib_worker.timeout_s = 1
    # 30^6 (about 7 × 10^8) solutions: rdflib needs hours for it, so the worker is stopped at the timeout.
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?q ?r ?t }"
    assert rdflib_worker.time(runaway) is None
    assert rdflib_worker.process is None and not first.is_alive()
    rdflib_worker.timeout_s = 30
    answer = rdflib_worker.time("SELECT ?s WHERE { ?s ?p ?o } LIMIT 2")
    assert isinstance(answer, tuple) and answer[1] == 2


# --- the report's verdicts ----------------------------------------------------------------------


def _size(label: str, triples: int, **timings: bench.Timing) -> bench.SizeRun:
    return bench.SizeRun(label, triples, {name.replace("_", "-"): t for name, t in timings.items()})


def _report_rows(text: str) -> dict[str, str]:
    return {line.split("|")[1].strip().strip("`"): line for line in text.splitlines()
            if line.startswith("| `")}


def test_report_flags_each_missed_target() -> None:
    shipped = _size("shipped", 100,
                    clean=bench.Timing(1.0, 10, plan_ms=0.5, rdflib_ms=100, rdflib_rows=10),
                    slow=bench.Timing(6.0, 10, plan_ms=0.5, rdflib_ms=600, rdflib_rows=10),
                    empty=bench.Timing(1.0, 0, plan_ms=0.5, rdflib_ms=50, rdflib_rows=0),
                    unlike=bench.Timing(1.0, 10, plan_ms=0.5, rdflib_ms=50, rdflib_rows=9),
                    close=bench.Timing(1.0, 10, plan_ms=0.5, rdflib_ms=10, rdflib_rows=10))
    mid = _size("100k", 1_000, **{name.replace("-", "_"): bench.Timing(10.0, 10) for name in shipped.timings})
    big = _size("1M", 10_000, **{name.replace("-", "_"): bench.Timing(100.0, 100, first_page_ms=50.0, growth_base_ms=10.0)
                                 for name in shipped.timings})
    big.timings["clean"] = bench.Timing(100.0, 100, first_page_ms=50.0, growth_base_ms=10.0)
    big.timings["slow"] = bench.Timing(1_500.0, 100, first_page_ms=1_200.0, growth_base_ms=10.0)
    text = bench.render([shipped, mid, big], ["(planning table)"], [10.0, 12.0])
    rows = _report_rows(text)
    assert rows["clean"].endswith("| ok |")
    assert "≥ 5 ms" in rows["slow"] and "first page ≥ 1000 ms at 1M" in rows["slow"] and "growth > 15×" in rows["slow"]
    assert "no rows on shipped" in rows["empty"]
    assert "rdflib rows 9 ≠ 10 on shipped" in rows["unlike"]
    assert "< 20× rdflib" in rows["close"]
    assert "4 of 5 queries miss a target." in text
    assert "10–12 ms per round (median 11 ms)" in text
    assert "(planning table)" in text


def test_report_says_which_slow_queries_are_at_the_stores_read_out_speed() -> None:
    shipped = _size("shipped", 100,
                    quick=bench.Timing(1.0, 10, stored_ms=0.9),
                    read_out=bench.Timing(6.0, 300, stored_ms=5.5),
                    own_work=bench.Timing(7.0, 20, stored_ms=1.0))
    text = bench.render([shipped], [], [10.0])
    assert "| `read-out` | 300 | 6.00 | – | 5.50 |" in text
    assert ("Queries over 5 ms that take at most 1.25× the time of reading a stored copy of their answer back: "
            "`read-out` (1 of 2).") in text
    assert "Reading the stored answer back alone takes 5 ms or more for `read-out`." in text
