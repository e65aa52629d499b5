"""The Python API for notebooks: :func:`open` a graph, then ask it questions.

Everything goes through the functions the ``kg`` command uses (``open_store``, the query
catalogue, ``build_network``, ``validate_store``, ``compute_coverage``), so a notebook sees
what the CLI and the HTTP API see. ``docs/python-api.md`` walks through it.

Example:
    >>> import graph
    >>> g = graph.open()
    >>> rows = g.query("council-members", date="2019-06-01", lang="en")
    >>> rows.columns
    ('agency', 'agencyLabel', 'start', 'end', 'reportedStart', 'reportedStartSource', 'source', 'sources')
    >>> any(row["agencyLabel"] == "Swedish Environmental Protection Agency" for row in rows)
    True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, cast, overload

import pyoxigraph as ox

from graph.absent import empty_answer_notes
from graph.config import REMOTE_TIMEOUT_S, Settings, default_settings
from graph.coverage import Coverage, compute_coverage
from graph.errors import QueryError
from graph.namespaces import PREFIXES
from graph.queries import LANGUAGES, QuerySpec, bind_parameters, find_query, load_catalogue, run_query
from graph.results import serialize_result
from graph.store import GraphStore, QueryResult, Term
from graph.store.source import dataset_of, open_store

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

    from graph.validate import ValidationReport  # rdflib and pySHACL load only when validating

#: A cell of :class:`Rows`: IRIs and strings as ``str``, typed literals as Python values, unbound as ``None``.
Value = str | int | float | bool | dt.date | dt.datetime | None
#: How many rows ``repr(rows)`` shows before it says how many more there are.
REPR_ROWS = 10
PANDAS_HINT = "pip install 'mmr-kg[notebook]'"

_XSD = PREFIXES["xsd"]
_INTEGERS = {"integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
             "negativeInteger", "nonPositiveInteger", "unsignedLong", "unsignedInt", "unsignedShort",
             "unsignedByte"}
_FLOATS = {"decimal", "double", "float"}


def python_value(term: Term | None) -> Value:
    """Return ``term`` as a plain Python value for a table cell.

    IRIs give their text, blank nodes ``_:id``, numbers ``int`` or ``float``, ``xsd:boolean`` a
    ``bool``, ``xsd:date`` and ``xsd:dateTime`` a ``date`` or ``datetime``; any other literal (a
    language-tagged name, a ``gYear``) its text. A value that does not parse as its type stays text.

    Example:
        >>> python_value(ox.Literal("3", datatype=ox.NamedNode(_XSD + "integer")))
        3
        >>> python_value(ox.Literal("2019-06-01", datatype=ox.NamedNode(_XSD + "date")))
        datetime.date(2019, 6, 1)
        >>> python_value(ox.NamedNode("https://w3id.org/mmr-kg/id/agency-boverket"))
        'https://w3id.org/mmr-kg/id/agency-boverket'
    """
    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if not isinstance(term, ox.Literal) or not term.datatype.value.startswith(_XSD):
        return term.value
    kind = term.datatype.value.removeprefix(_XSD)
    try:
        if kind in _INTEGERS:
            return int(term.value)
        if kind in _FLOATS:
            return float(term.value)
        if kind == "boolean" and term.value in {"true", "false", "1", "0"}:
            return term.value in {"true", "1"}
        if kind == "date":
            return dt.date.fromisoformat(term.value)
        if kind == "dateTime":
            return dt.datetime.fromisoformat(term.value)
    except ValueError:
        pass
    return term.value


class Rows(Sequence[dict[str, Value]]):
    """The rows of a query's answer: a sequence of dicts from column to :data:`Value`.

    ``columns`` names the columns in order; ``result`` keeps the RDF terms as the store gave
    them; :meth:`to_dataframe` makes a pandas DataFrame. ``repr`` shows the first rows as the
    ``kg query`` table does. A CONSTRUCT or DESCRIBE answer has the columns ``subject``,
    ``predicate`` and ``object``. ``notes`` says what an empty answer of a catalogued query
    means (an IRI parameter that names nothing in the graph or a retired node; the query's own note), as
    ``kg query`` does; ``repr`` shows them under the table.
    """

    def __init__(self, result: QueryResult, notes: Sequence[str] = ()) -> None:
        if result.kind == "graph":
            triples = [cast(tuple[Term, Term, Term], (t.subject, t.predicate, t.object)) for t in result.triples]
            result = QueryResult("select", ["subject", "predicate", "object"], list(triples))
        self.result = result
        self.columns: tuple[str, ...] = tuple(result.variables)
        self.notes: tuple[str, ...] = tuple(notes)

    @cached_property
    def _dicts(self) -> list[dict[str, Value]]:
        return [dict(zip(self.columns, map(python_value, row), strict=True)) for row in self.result.rows]

    def __len__(self) -> int:
        return len(self.result.rows)

    @overload
    def __getitem__(self, index: int) -> dict[str, Value]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Value]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Value] | list[dict[str, Value]]:
        return self._dicts[index]

    def __iter__(self) -> Iterator[dict[str, Value]]:
        return iter(self._dicts)

    def column(self, name: str) -> list[Value]:
        """Return the values of one column.

        Raises:
            KeyError: no such column; the message lists the columns.
        """
        if name not in self.columns:
            raise KeyError(f"no column {name!r}; the columns are {', '.join(self.columns)}")
        return [row[name] for row in self._dicts]

    def to_dataframe(self) -> pd.DataFrame:
        """Return the rows as a pandas DataFrame with the query's columns, in order.

        Raises:
            ImportError: pandas is not installed; the message says how to install it.
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(f"Rows.to_dataframe() needs pandas, which is not installed. "
                              f"Install it with: {PANDAS_HINT}") from exc
        return pd.DataFrame(self._dicts, columns=list(self.columns))

    def __repr__(self) -> str:
        shown = QueryResult("select", list(self.columns), self.result.rows[:REPR_ROWS])
        text = serialize_result(shown, "table").decode("utf-8").rstrip("\n")
        if len(self) > REPR_ROWS:
            text = text.rsplit("\n", 1)[0] + f"\n(the first {REPR_ROWS} of {len(self)} rows)"
        return "\n".join([text, *(f"note: {note}" for note in self.notes)])


class Graph:
    """A graph opened for questions: the store, where it came from, and the settings in force.

    Build one with :func:`open`. ``source`` says in a few words what was opened;
    ``catalogue`` maps each named query to its :class:`~graph.queries.QuerySpec`
    (``summary``, ``description``, ``params``, ``columns``).
    """

    def __init__(self, store: GraphStore, source: str, settings: Settings) -> None:
        self.store = store
        self.source = source
        self.settings = settings
        self.catalogue: dict[str, QuerySpec] = load_catalogue(settings.queries_dir)

    def __repr__(self) -> str:
        return f"<graph.Graph: {self.source}>"

    def query(self, name: str, /, *, lang: str = LANGUAGES[0], **params: object) -> Rows:
        """Run the catalogued query ``name`` with its parameters, labels in ``lang``.

        Parameter values are given as ``kg query --param`` takes them (an IRI or ``kgid:``
        name, a date as ``YYYY-MM-DD``), or as Python values (a ``datetime.date``, an ``int``).

        Raises:
            QueryError: no such query, an unknown parameter, or a value that does not fit.

        Example:
            >>> import graph
            >>> rows = graph.open().query("agency-touchpoints", agency="kgid:agency-boverket")
            >>> {row["agency"] for row in rows}
            {'https://w3id.org/mmr-kg/id/agency-boverket'}
        """
        spec = find_query(self.catalogue, name, f"The catalogue holds: {', '.join(self.catalogue)}.")
        raw = {key: _param_text(value) for key, value in params.items()}
        result = run_query(self.store, spec, raw, lang, timeout_s=self.settings.query_timeout_s)
        if result.rows:
            return Rows(result)
        return Rows(result, empty_answer_notes(self.store, spec, bind_parameters(spec, raw, lang)))

    def sparql(self, text: str) -> Rows | bool:
        """Run a SPARQL query of your own: rows for SELECT, CONSTRUCT and DESCRIBE, a bool for ASK.

        The default graph is the union of the named graphs; updates and ``SERVICE`` are refused.

        Raises:
            QueryError: the text is not valid SPARQL (with line and column), or is refused.

        Example:
            >>> import graph
            >>> g = graph.open()
            >>> g.sparql("ASK { ?s a <https://w3id.org/mmr-kg/def/Agency> }")
            True
            >>> g.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?o a <https://w3id.org/mmr-kg/def/EnvironmentalQualityObjective> }")
            n
            --
            16
            (1 row)
        """
        result = self.store.query(text, timeout_s=self.settings.query_timeout_s)
        if result.kind == "ask":
            return bool(result.boolean)
        return Rows(result)

    def network(self, projection: str, *, lang: str = LANGUAGES[0]) -> nx.Graph:
        """Return a network projection (``agency-lever``, ``agency-agency`` …) as a networkx graph.

        Nodes are IRIs with ``label``, ``type`` and the measures (degree, betweenness,
        eigenvector, community) as attributes, as ``kg export network`` writes them.

        Raises:
            NetworkError: unknown projection or language; the message lists the valid ones.

        Example:
            >>> import graph
            >>> net = graph.open().network("agency-lever", lang="en")
            >>> net.nodes["https://w3id.org/mmr-kg/id/lever-sustainability-criteria"]["type"]
            'lever'
        """
        from graph.network import build_network  # networkx and matplotlib: only when asked

        return build_network(self.store, projection, lang)

    def validate(self) -> ValidationReport:
        """Validate the graph against the SHACL shapes, as ``kg validate`` and ``/validate`` do.

        Example:
            >>> import graph
            >>> report = graph.open().validate()
            >>> report.conforms, report.count("Violation")
            (True, 0)
        """
        from graph.validate import validate_store

        return validate_store(dataset_of(self.store), self.settings)

    def coverage(self, *, lang: str = LANGUAGES[0]) -> Coverage:
        """Return the completeness table (touchpoint kinds per agency, what reaches each objective).

        Example:
            >>> import graph
            >>> len(graph.open().coverage(lang="en").objectives)
            16
        """
        return compute_coverage(self.store, self.settings, lang)


def open(source: str | Path | None = None, *, endpoint: str | None = None,
         timeout: float = REMOTE_TIMEOUT_S) -> Graph:
    """Open the graph for questions, as the ``kg`` commands do.

    Args:
        source: a built graph (``dist/graph.nq`` or ``.trig``). Without it: ``dist/graph.nq``
            in the working folder if it exists, else the shipped sources built in memory
            (``Graph.source`` says which).
        endpoint: a remote SPARQL 1.1 query endpoint to ask instead (see ``kg push``).
        timeout: seconds each query may take (a remote store's answer, or reading the results).

    Raises:
        ValueError: both ``source`` and ``endpoint`` were given.
        BuildError: ``source`` cannot be read, or a shipped source cannot be parsed.

    Example:
        >>> import graph
        >>> graph.open().sparql("ASK { ?s ?p ?o }")
        True
        >>> graph.open("no/such/graph.nq")
        Traceback (most recent call last):
        ...
        graph.errors.BuildError: no built graph at no/such/graph.nq. Run 'kg build' first, or pass --graph FILE.
    """
    if source is not None and endpoint is not None:
        raise ValueError("give a built graph file (source) or a SPARQL endpoint (endpoint=), not both.")
    settings = default_settings(query_timeout_s=timeout, remote_timeout_s=timeout)
    store, described = open_store(settings, endpoint, Path(source) if source is not None else None)
    return Graph(store, described, settings)


def _param_text(value: object) -> str:
    """Return a query parameter as ``kg query --param`` takes it."""
    if isinstance(value, ox.NamedNode):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    raise QueryError(f"a query parameter must be text, a whole number, a date or an IRI, not {value!r}.")


__all__ = ["Graph", "Rows", "Value", "open", "python_value"]
