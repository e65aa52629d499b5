"""``kg queries``, ``kg query`` and ``kg push``, run in-process through ``graph.cli.main``."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

import graph.cli
import graph.store.source
from graph.cli import main
from graph.config import default_settings
from graph.queries import QuerySpec, bind_parameters
from graph.store import EmbeddedStore, QueryResult
from graph.store.remote import RemoteStore

from query_samples import parameter_cases, query_names
from servers import Endpoint

QUERY_NAMES = query_names(default_settings().queries_dir)
INJECTION = 'x" } ; DROP ALL #'
PARAM_QUERY = """#+ summary: Things with a value
#+ description: Everything that has ?value as the object of some triple.
#+ params:
#+   - {name: value, type: string, description: any text}
#+ columns: [s]
SELECT ?s WHERE { ?s ?p ?value }
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def parsed(text: str, fmt: ox.QueryResultsFormat) -> list[tuple[ox.NamedNode | ox.BlankNode | ox.Literal | None, ...]]:
    solutions = ox.parse_query_results(text.encode("utf-8"), format=fmt)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [tuple(s[n] for n in names) for s in solutions]


@pytest.fixture(scope="module")
def cases(catalogue: dict[str, QuerySpec], store: EmbeddedStore) -> dict[str, list[dict[str, str]]]:
    """Parameter sets for every catalogued query, from the shipped data."""
    return parameter_cases(catalogue, store)


@pytest.fixture(scope="module")
def files_read() -> dict[tuple[str, Path], Any]:
    """What ``read_once`` has read in this module: by reader and resolved path."""
    return {}


@pytest.fixture()
def read_once(monkeypatch: pytest.MonkeyPatch, files_read: dict[tuple[str, Path], Any]) -> None:
    """Let ``kg query`` read the catalogue and a built graph file once per module, then hand out what it read.

    The tests below run ~180 commands over the same queries/ and graph.nq; parsing them (YAML
    headers, N-Quads) was ~0.3 s of each. The first command of the module reads them for real;
    the other tests here, and tests/test_cli_imports.py in a fresh process, read them every time.
    """
    def once(real: Callable[[Path], Any]) -> Callable[[Path], Any]:
        def read(path: Path) -> Any:
            key = (real.__name__, Path(path).resolve())
            if key not in files_read:
                files_read[key] = real(path)
            return files_read[key]
        return read

    monkeypatch.setattr(graph.cli, "load_catalogue", once(graph.cli.load_catalogue))
    monkeypatch.setattr(graph.store.source, "load_built_graph", once(graph.store.source.load_built_graph))


def params_for(name: str, cases: dict[str, list[dict[str, str]]]) -> tuple[dict[str, str], list[str]]:
    """The base parameters of query ``name`` and their ``--param`` options; skip when none fit."""
    if not cases[name]:
        pytest.skip("no value in the shipped data for a required parameter")
    base = cases[name][0]
    return base, [arg for key, value in base.items() for arg in ("--param", f"{key}={value}")]


def expected(store: EmbeddedStore, spec: QuerySpec, raw: dict[str, str], lang: str = "sv") -> QueryResult:
    return store.query(spec.text, bind_parameters(spec, raw, lang))


def by_value(rows: list[tuple[ox.NamedNode | ox.BlankNode | ox.Literal | None, ...]]) -> list[str]:
    """Rows in a stable order: ties under a query's ORDER BY may come in any order."""
    return sorted(" ".join("" if t is None else str(t) for t in row) for row in rows)


def test_queries_lists_the_catalogue(catalogue: dict[str, QuerySpec], capsys: pytest.CaptureFixture[str]) -> None:
    assert sorted(catalogue) == QUERY_NAMES  # the tests parametrised by name cover every query
    code, out, _ = run(capsys, "queries")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "SUMMARY", "PARAMETERS"]
    for spec in catalogue.values():
        line = next(line for line in lines if line.startswith(spec.name + " "))
        assert spec.summary in line
        for param in spec.params:
            assert f"{param.name}: {param.type}" in line


@pytest.mark.usefixtures("read_once")
@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_json_and_tsv_match_the_store(name: str, lang: str, built_files: Path, store: EmbeddedStore,
                                            catalogue: dict[str, QuerySpec], cases: dict[str, list[dict[str, str]]],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    raw, options = params_for(name, cases)
    want = expected(store, catalogue[name], raw, lang)
    if want.kind != "select":
        pytest.skip("not a SELECT query")
    graph = str(built_files / "graph.nq")
    for fmt, ox_format in (("json", ox.QueryResultsFormat.JSON), ("tsv", ox.QueryResultsFormat.TSV)):
        code, out, err = run(capsys, "query", name, "--lang", lang, "--format", fmt, "--graph", graph, *options)
        assert code == 0
        assert err == "" or (not want.rows and err.startswith("note: "))  # an empty answer may say what it means
        assert by_value(parsed(out, ox_format)) == by_value(want.rows)


@pytest.mark.usefixtures("read_once")
@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_csv_and_table_hold_the_values(name: str, built_files: Path, store: EmbeddedStore,
                                             catalogue: dict[str, QuerySpec], cases: dict[str, list[dict[str, str]]],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    raw, options = params_for(name, cases)
    want = expected(store, catalogue[name], raw)
    if want.kind != "select":
        pytest.skip("not a SELECT query")
    graph = str(built_files / "graph.nq")
    code, out, _ = run(capsys, "query", name, "--format", "csv", "--graph", graph, *options)
    assert code == 0
    records = list(csv.reader(io.StringIO(out, newline="")))
    assert records[0] == want.variables
    assert sorted(records[1:]) == sorted(["" if t is None else t.value for t in row] for row in want.rows)
    code, out, _ = run(capsys, "query", name, "--graph", graph, *options)
    assert code == 0
    assert out.splitlines()[0].split() == want.variables
    assert out.splitlines()[-1] == f"({len(want.rows)} row{'' if len(want.rows) == 1 else 's'})"


def test_query_builds_in_memory_without_a_built_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      store: EmbeddedStore, catalogue: dict[str, QuerySpec],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "query", "agency-touchpoints", "--format", "json")
    assert code == 0
    assert by_value(parsed(out, ox.QueryResultsFormat.JSON)) == by_value(expected(store, catalogue["agency-touchpoints"], {}).rows)


@pytest.mark.parametrize(("argv", "message"), [
    (["query", "no-such-query"], "no query named 'no-such-query'. Run 'kg queries'"),
    (["query", "agency-touchpoints", "--param", "nope=1"], "query 'agency-touchpoints' has no parameter 'nope'"),
    (["query", "agency-touchpoints", "--param", f"agency={INJECTION}"], "parameter 'agency' must be an IRI"),
    (["query", "agency-touchpoints", "--param", "agency"], "--param must look like NAME=VALUE, not 'agency'"),
    (["query"], "give either a query NAME"),
    (["query", "agency-touchpoints", "--file", "x.rq"], "give either a query NAME"),
    (["query", "--file", "/no/such/file.rq"], "cannot read the query file /no/such/file.rq"),
    (["push", "--endpoint", "http://127.0.0.1:9/query", "--graph", "/no/such/graph.nq"],
     "no built graph at /no/such/graph.nq. Run 'kg build' first"),
])
def test_usage_errors_exit_2_with_a_message(argv: list[str], message: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and message in err


def test_bad_choice_is_an_argparse_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["query", "agency-touchpoints", "--lang", "fr"])
    assert caught.value.code == 2
    assert "invalid choice: 'fr'" in capsys.readouterr().err


def test_syntax_error_points_at_file_line_and_column(tmp_path: Path, built_files: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "broken.rq"
    query.write_text("SELECT ?s\nWHERE { ?s ?p ?o }\nLIMT 3\n", encoding="utf-8")
    code, out, err = run(capsys, "query", "--file", str(query), "--graph", str(built_files / "graph.nq"))
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {query}: syntax error at line 3, column 7: expected")


def test_ad_hoc_file_runs_and_takes_declared_parameters(tmp_path: Path, built_files: Path, store: EmbeddedStore,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    graph = str(built_files / "graph.nq")
    plain = tmp_path / "types.rq"
    plain.write_text("SELECT ?type (COUNT(*) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY ?type\n")
    code, out, _ = run(capsys, "query", "--file", str(plain), "--format", "tsv", "--graph", graph)
    assert code == 0
    assert parsed(out, ox.QueryResultsFormat.TSV) == store.query(plain.read_text()).rows

    with_param = tmp_path / "by-value.rq"
    with_param.write_text(PARAM_QUERY)
    code, out, _ = run(capsys, "query", "--file", str(with_param), "--format", "json", "--graph", graph,
                       "--param", f"value={INJECTION}")
    assert code == 0
    assert parsed(out, ox.QueryResultsFormat.JSON) == []


def test_construct_prints_turtle_by_default(tmp_path: Path, built_files: Path, store: EmbeddedStore,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "types.rq"
    query.write_text("CONSTRUCT { ?s a ?type } WHERE { ?s a ?type }")
    code, out, _ = run(capsys, "query", "--file", str(query), "--graph", str(built_files / "graph.nq"))
    assert code == 0
    got = {q.triple for q in ox.parse(out.encode(), format=ox.RdfFormat.TURTLE)}
    assert got == set(store.query(query.read_text()).triples)


def test_closed_endpoint_exits_2_and_says_what_to_do(capsys: pytest.CaptureFixture[str], closed_url: str) -> None:
    url = closed_url
    code, _, err = run(capsys, "query", "agency-touchpoints", "--endpoint", url, "--timeout", "2")
    assert code == 2
    assert f"cannot reach the SPARQL endpoint {url}" in err and "Is the store running?" in err


@pytest.mark.server
@pytest.mark.usefixtures("read_once")
def test_push_then_query_remotely(oxigraph_endpoint: Endpoint, built_files: Path, store: EmbeddedStore,
                                  catalogue: dict[str, QuerySpec], cases: dict[str, list[dict[str, str]]], tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "push", "--endpoint", oxigraph_endpoint.query,
                         "--graph", str(built_files / "graph.nq"))
    assert code == 0
    assert out.startswith(f"pushed {len(store)} triples in ")
    assert "(Graph Store Protocol); the counts on" in out
    assert err.splitlines()[-1].startswith(f"pushed {len(store)}/{len(store)} triples (")

    for name in QUERY_NAMES:
        if not cases[name]:
            continue
        raw, options = params_for(name, cases)
        code, out, _ = run(capsys, "query", name, "--format", "json", "--endpoint", oxigraph_endpoint.query,
                           *options)
        assert code == 0, name
        want = expected(store, catalogue[name], raw)
        if want.kind == "select":
            assert by_value(parsed(out, ox.QueryResultsFormat.JSON)) == by_value(want.rows), name

    with_param = tmp_path / "by-value.rq"
    with_param.write_text(PARAM_QUERY)
    code, out, _ = run(capsys, "query", "--file", str(with_param), "--format", "json",
                       "--endpoint", oxigraph_endpoint.query, "--param", f"value={INJECTION}")
    assert code == 0
    assert parsed(out, ox.QueryResultsFormat.JSON) == []
    # A mistyped IRI is looked up in the remote store as in the embedded one.
    code, _, err = run(capsys, "query", "agency-profile", "--param", "agency=kgid:agency-boverk",
                       "--endpoint", oxigraph_endpoint.query)
    assert code == 0
    assert "agency kgid:agency-boverk names nothing in the graph. Did you mean kgid:agency-boverket?" in err
    assert len(RemoteStore(oxigraph_endpoint.query)) == len(store)


def test_version_is_the_one_in_pyproject(capsys: pytest.CaptureFixture[str]) -> None:
    import tomllib

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"kg {pyproject['project']['version']}\n"


def test_an_empty_answer_says_what_it_means(built_files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # issue 8: council-members for a date after the data's memberships said nothing at all.
    assert main(["query", "council-members", "--param", "date=2025-01-01", "--graph", str(built_files / "graph.nq")]) == 0
    out, err = capsys.readouterr()
    assert "(0 rows)" in out
    assert err.startswith("note: No membership in the data covers this date.") and "2026" in err
    assert main(["query", "council-members", "--param", "date=2019-06-01", "--graph", str(built_files / "graph.nq")]) == 0
    assert "note:" not in capsys.readouterr().err


def test_an_empty_answer_names_a_mistyped_iri(built_files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = str(built_files / "graph.nq")
    assert main(["query", "agency-profile", "--param", "agency=kgid:agency-boverk", "--graph", graph]) == 0
    out, err = capsys.readouterr()
    assert "(0 rows)" in out
    assert err == "note: agency kgid:agency-boverk names nothing in the graph. Did you mean kgid:agency-boverket?\n"
    assert main(["query", "objective-agencies", "--param", "objective=https://example.org/nothing", "--graph", graph]) == 0
    assert capsys.readouterr().err == "note: objective https://example.org/nothing names nothing in the graph.\n"
    assert main(["query", "agencies-lacking-kind", "--param", "kind=kgid:kind-objective-reached-by-criteria",
                 "--graph", graph]) == 0
    assert capsys.readouterr().err.startswith(
        "note: kind kgid:kind-objective-reached-by-criteria is retired (owl:deprecated): nothing replaces it.")
