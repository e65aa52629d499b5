"""The guard before parsing: queries nested or chained past the engine's parser limits get a 400.

Each query of the family below kills a process that hands it to pyoxigraph's parser (SIGSEGV:
the parser recurses until its stack overflows). The guard reads the text once, linearly, and
refuses it first, wherever a query comes in: the SPARQL endpoint, the query page, the CLI.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph.cli import main
from graph.errors import QueryTooComplex
from graph.store.sparql_text import MAX_NESTING, MAX_OPERATORS, refuse_too_complex

from api_support import HTML
from query_samples import NESTED_FAMILY


@pytest.mark.parametrize("name", NESTED_FAMILY)
def test_the_family_is_refused_before_parsing(name: str) -> None:
    with pytest.raises(QueryTooComplex) as error:
        refuse_too_complex(NESTED_FAMILY[name])
    assert str(MAX_NESTING) in str(error.value) or f"{MAX_OPERATORS:,}" in str(error.value)
    assert error.value.line == 1 and error.value.column is not None


@pytest.mark.parametrize("text", [
    "SELECT * WHERE " + "{" * MAX_NESTING + " ?s ?p ?o " + "}" * MAX_NESTING,
    "ASK { FILTER(" + "+".join(["1"] * (MAX_OPERATORS - 1)) + " > 0) }",
    'ASK { FILTER("' + "(" * 5_000 + '" != "") } # ' + "{" * 5_000,
    "ASK { <http://e/" + "a" * 5_000 + "> ?p ?o }",
])
def test_what_stays_within_the_limits_passes(text: str) -> None:
    refuse_too_complex(text)


def test_the_location_is_where_the_limit_is_passed() -> None:
    text = "SELECT *\nWHERE " + "{" * (MAX_NESTING + 5)
    with pytest.raises(QueryTooComplex) as error:
        refuse_too_complex(text)
    assert (error.value.line, error.value.column) == (2, 7 + MAX_NESTING)


def test_the_engine_really_dies_on_the_family_without_the_guard() -> None:
    # Why the guard exists: the same text kills a bare pyoxigraph process.
    result = subprocess.run([sys.executable, "-c", "import sys, pyoxigraph; pyoxigraph.Store().query(sys.stdin.read())"],
                            input=NESTED_FAMILY["braces"].encode(), capture_output=True, timeout=120)
    assert result.returncode < 0


@pytest.mark.parametrize("name", NESTED_FAMILY)
def test_the_endpoint_answers_400_and_keeps_serving(client: TestClient, name: str) -> None:
    response = client.post("/sparql", content=NESTED_FAMILY[name].encode(),
                           headers={"content-type": "application/sparql-query"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "QueryTooComplex" and "the limit here" in body["message"]
    assert client.get("/sparql", params={"query": "ASK {}"}).json()["boolean"] is True


def test_the_query_page_shows_the_refusal(client: TestClient) -> None:
    response = client.get("/query", params={"query": NESTED_FAMILY["braces"]}, headers=HTML)
    assert response.status_code == 400
    assert f"more than {MAX_NESTING} deep" in response.text


def test_the_cli_exits_2_with_the_location(tmp_path: Path, built_files: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "deep.rq"
    query.write_text(NESTED_FAMILY["negations"], encoding="utf-8")
    assert main(["query", "--file", str(query), "--graph", str(built_files / "graph.nq")]) == 2
    assert f"more than {MAX_OPERATORS:,} operators" in capsys.readouterr().err
