"""The Python API for notebooks (graph.open): the same answers as the library functions the CLI uses."""

from __future__ import annotations

import builtins
import datetime as dt
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest

import graph
from graph.config import Settings
from graph.coverage import compute_coverage
from graph.errors import BuildError, QueryError
from graph.namespaces import PREFIXES
from graph.network import build_network
from graph.notebook import PANDAS_HINT, Rows, python_value
from graph.queries import QuerySpec, bind_parameters
from graph.store import EmbeddedStore, QueryResult
from graph.validate import ValidationReport

KGID = PREFIXES["kgid"]
XSD = PREFIXES["xsd"]


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> graph.Graph:
    """graph.open() in a folder without dist/: the shipped sources built in memory."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("notebook"))
        return graph.open()


def test_open_without_a_built_graph_builds_the_shipped_sources(opened: graph.Graph, store: EmbeddedStore) -> None:
    assert opened.source == "the shipped sources (built in memory)"
    assert isinstance(opened.store, EmbeddedStore)
    assert len(opened.store) == len(store)
    assert repr(opened) == "<graph.Graph: the shipped sources (built in memory)>"


def test_open_a_built_graph_file(built_files: Path, store: EmbeddedStore) -> None:
    opened = graph.open(built_files / "graph.nq")
    assert opened.source == str(built_files / "graph.nq")
    assert len(opened.store) == len(store)


def test_open_refuses_a_file_and_an_endpoint_together(built_files: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        graph.open(built_files / "graph.nq", endpoint="http://127.0.0.1:7878/query")


def test_open_a_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="kg build"):
        graph.open(tmp_path / "graph.nq")


def test_query_gives_the_catalogue_rows_as_python_values(opened: graph.Graph, store: EmbeddedStore,
                                                          catalogue: dict[str, QuerySpec]) -> None:
    rows = opened.query("council-members", date="2019-06-01", lang="en")
    spec = catalogue["council-members"]
    expected = store.query(spec.text, bind_parameters(spec, {"date": "2019-06-01"}, "en"))
    assert rows.columns == tuple(expected.variables) == spec.columns
    assert len(rows) == len(expected.rows) > 0
    assert [row["agency"] for row in rows] == [term.value for term in expected.column("agency")]
    assert all(isinstance(row["start"], dt.date) for row in rows)
    assert rows.column("agencyLabel") == [row["agencyLabel"] for row in rows]


def test_query_takes_python_values_for_parameters(opened: graph.Graph) -> None:
    by_text = opened.query("council-members", date="2019-06-01")
    by_date = opened.query("council-members", date=dt.date(2019, 6, 1))
    assert list(by_date) == list(by_text)
    agency = ox.NamedNode(KGID + "agency-boverket")
    assert list(opened.query("agency-touchpoints", agency=agency)) == \
        list(opened.query("agency-touchpoints", agency="kgid:agency-boverket"))


def test_an_empty_answer_says_what_it_means(opened: graph.Graph) -> None:
    """As ``kg query`` does: the mistyped IRI, and the query's own note."""
    typo = opened.query("agency-profile", agency="kgid:agency-boverk")
    assert len(typo) == 0
    assert typo.notes == ("agency kgid:agency-boverk names nothing in the graph. Did you mean kgid:agency-boverket?",)
    assert repr(typo).splitlines()[-1] == f"note: {typo.notes[0]}"
    later = opened.query("council-members", date="2030-01-01")
    assert len(later.notes) == 1 and later.notes[0].startswith("No membership in the data covers this date.")
    assert opened.query("agency-profile", agency="kgid:agency-boverket").notes == ()


@pytest.mark.parametrize(("name", "params", "message"), [
    ("no-such-query", {}, "no query named 'no-such-query'. The catalogue holds: "),
    ("council-members", {"colour": "green"}, "has no parameter 'colour'"),
    ("council-members", {"date": "June"}, "must be a date as YYYY-MM-DD"),
    ("council-members", {"date": 1.5}, "must be text, a whole number, a date or an IRI"),
])
def test_query_errors_name_what_is_wrong(opened: graph.Graph, name: str, params: dict[str, object],
                                         message: str) -> None:
    with pytest.raises(QueryError, match=message.replace(".", r"\.")):
        opened.query(name, **params)


def test_sparql_answers_select_ask_and_construct(opened: graph.Graph, store: EmbeddedStore) -> None:
    select = "SELECT ?s WHERE { ?s a <https://w3id.org/mmr-kg/def/Agency> } ORDER BY ?s"
    rows = opened.sparql(select)
    assert isinstance(rows, Rows)
    assert [row["s"] for row in rows] == [term.value for term in store.query(select).column("s")]
    assert opened.sparql("ASK { ?s a <https://w3id.org/mmr-kg/def/Agency> }") is True
    assert opened.sparql("ASK { ?s a <https://w3id.org/mmr-kg/def/NoSuchClass> }") is False
    triples = opened.sparql(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ BIND(<{KGID}agency-boverket> AS ?s) ?s ?p ?o }}")
    assert isinstance(triples, Rows)
    assert triples.columns == ("subject", "predicate", "object")
    assert {row["subject"] for row in triples} == {KGID + "agency-boverket"}


def test_sparql_errors_carry_line_and_column(opened: graph.Graph) -> None:
    with pytest.raises(QueryError) as caught:
        opened.sparql("SELECT * WHERE {\n  ?s ?p }")
    assert caught.value.line == 2


def test_network_is_the_projection_the_exports_use(opened: graph.Graph, store: EmbeddedStore) -> None:
    net = opened.network("agency-lever", lang="en")
    expected = build_network(store, "agency-lever", "en")
    assert isinstance(net, nx.Graph)
    assert dict(net.nodes(data=True)) == dict(expected.nodes(data=True))
    assert nx.utils.edges_equal(net.edges(data=True), expected.edges(data=True))


def test_validate_is_the_shipped_report(opened: graph.Graph, shipped_report: ValidationReport) -> None:
    assert opened.validate().as_dict() == shipped_report.as_dict()


def test_coverage_is_the_cli_table(opened: graph.Graph, store: EmbeddedStore, settings: Settings) -> None:
    assert opened.coverage(lang="en").as_dict() == compute_coverage(store, settings, "en").as_dict()


def test_to_dataframe_keeps_columns_rows_and_types(opened: graph.Graph) -> None:
    rows = opened.query("council-members", date="2019-06-01", lang="en")
    frame = rows.to_dataframe()
    assert list(frame.columns) == list(rows.columns)
    assert len(frame) == len(rows)
    # pandas marks a missing text as NaN (its str dtype); the rows say None.
    assert frame.astype(object).where(frame.notna(), None).to_dict("records") == list(rows)


def test_to_dataframe_without_pandas_says_how_to_install_it(opened: graph.Graph,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_pandas(name: str, *args: object, **kwargs: object) -> object:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("No module named 'pandas'", name="pandas")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError) as caught:
        opened.query("known-gaps").to_dataframe()
    assert PANDAS_HINT in str(caught.value)
    assert PANDAS_HINT == "pip install 'mmr-kg[notebook]'"


def test_repr_shows_the_first_rows_as_a_table() -> None:
    many = QueryResult("select", ["n"], [(ox.Literal(str(i), datatype=ox.NamedNode(XSD + "integer")),)
                                         for i in range(25)])
    lines = repr(Rows(many)).splitlines()
    assert lines[:3] == ["n", "-", "0"]
    assert lines[-1] == "(the first 10 of 25 rows)"
    assert len(lines) == 2 + 10 + 1
    assert repr(Rows(QueryResult("select", ["n"], many.rows[:2]))).splitlines()[-1] == "(2 rows)"


@pytest.mark.parametrize(("term", "value"), [
    (None, None),
    (ox.NamedNode(KGID + "a"), KGID + "a"),
    (ox.BlankNode("b1"), "_:b1"),
    (ox.Literal("Boverket", language="sv"), "Boverket"),
    (ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")), 42),
    (ox.Literal("0.5", datatype=ox.NamedNode(XSD + "decimal")), 0.5),
    (ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")), True),
    (ox.Literal("0", datatype=ox.NamedNode(XSD + "boolean")), False),
    (ox.Literal("2019-06-01", datatype=ox.NamedNode(XSD + "date")), dt.date(2019, 6, 1)),
    (ox.Literal("2019-06-01T10:00:00Z", datatype=ox.NamedNode(XSD + "dateTime")),
     dt.datetime(2019, 6, 1, 10, tzinfo=dt.UTC)),
    (ox.Literal("2019", datatype=ox.NamedNode(XSD + "gYear")), "2019"),
    (ox.Literal("2019-13-45", datatype=ox.NamedNode(XSD + "date")), "2019-13-45"),
])
def test_python_value(term: ox.NamedNode | ox.BlankNode | ox.Literal | None, value: object) -> None:
    assert python_value(term) == value
    assert type(python_value(term)) is type(value)
