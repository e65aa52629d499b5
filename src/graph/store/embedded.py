"""The query engine: an embedded Oxigraph store, or a remote SPARQL 1.1 endpoint.

Both answer :meth:`GraphStore.query` with the same :class:`QueryResult`, whose
terms are pyoxigraph terms, so callers never care which one they talk to.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral
from typing import Protocol

import pyoxigraph as ox

from graph.errors import QueryError, QueryLimitExceeded
from graph.namespaces import PREFIXES
from graph.store.sparql_text import CheckedQuery, Term, inline_bindings, refuse_unsafe, syntax_error

ResultKind = TypingLiteral["select", "ask", "graph"]


@dataclass
class QueryResult:
    """The answer to one query.

    ``kind`` is ``select`` (``variables`` and ``rows``), ``ask`` (``boolean``) or
    ``graph`` (``triples``, for CONSTRUCT and DESCRIBE). A row holds one term or
    ``None`` per variable.
    """

    kind: ResultKind
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[ox.Triple] = field(default_factory=list)

    def column(self, name: str) -> list[Term | None]:
        """Return one column of a SELECT result."""
        index = self.variables.index(name)
        return [row[index] for row in self.rows]

    def records(self) -> Iterator[dict[str, Term | None]]:
        """Yield each row as a dict from variable name to term."""
        for row in self.rows:
            yield dict(zip(self.variables, row, strict=True))


@dataclass(frozen=True)
class EarlyRows:
    """Ask a query for its first rows before the rest: once it holds ``count`` rows of a
    ``SELECT`` answer (and so knows there are that many), the store calls ``deliver`` with
    them, from the thread that reads the answer, then goes on reading. A store that cannot
    read an answer in parts, or an answer that ends sooner, never calls it.
    """

    count: int
    deliver: Callable[[QueryResult], None]


class GraphStore(Protocol):
    """Anything that answers SPARQL queries over the built graph."""

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None, *,
              timeout_s: float | None = None, row_limit: int | None = None,
              base_iri: str | None = None, default_graph: list[ox.NamedNode] | None = None,
              named_graphs: list[ox.NamedNode] | None = None, early: EarlyRows | None = None) -> QueryResult:
        """Run ``sparql`` with ``bindings`` (variable name to RDF term) and return the result.

        Relative IRIs in the query resolve against ``base_iri``. ``default_graph`` and
        ``named_graphs`` restrict the dataset as the SPARQL protocol's
        ``default-graph-uri`` and ``named-graph-uri`` do (``None``: the store's own).
        ``early`` asks for the first rows as soon as they are read (:class:`EarlyRows`).
        """
        ...

    def __len__(self) -> int:
        """Return the number of quads in the store."""
        ...


class EmbeddedStore:
    """An in-memory Oxigraph store holding the built graph.

    The default graph is the union of all named graphs, so queries need no
    ``GRAPH`` clause. The project's prefixes (:data:`graph.namespaces.PREFIXES`) are
    declared, so queries need no ``PREFIX`` lines for them; a query's own declaration of
    the same prefix wins. ``SERVICE`` is refused: the store never reaches out.

    Example:
        >>> store = EmbeddedStore(ox.Store())
        >>> store.query("ASK { ?s ?p ?o }").boolean
        False
    """

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def __len__(self) -> int:
        return len(self.store)

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None, *,
              timeout_s: float | None = None, row_limit: int | None = None,
              base_iri: str | None = None, default_graph: list[ox.NamedNode] | None = None,
              named_graphs: list[ox.NamedNode] | None = None, early: EarlyRows | None = None) -> QueryResult:
        """Run a read-only query.

        Args:
            sparql: the query text; a :class:`~graph.store.sparql_text.CheckedQuery` (a catalogued
                query, prepared once, with its bindings inlined) is not read again.
            bindings: initial values for variables, as RDF terms
                (see :func:`graph.store.sparql_text.inline_bindings`).
            timeout_s: stop reading results after this many seconds.
            row_limit: stop with :class:`QueryLimitExceeded` past this many rows.
            base_iri: the IRI that relative IRIs in the query resolve against.
            default_graph: the graphs forming the default graph (``default-graph-uri``);
                the union of all graphs when ``None``.
            named_graphs: the graphs visible to ``GRAPH`` (``named-graph-uri``); all when ``None``.
            early: hand over the first rows of a ``SELECT`` answer as soon as they are read
                (an ``ORDER BY`` is sorted by then), before the rest is read and converted.

        Raises:
            QuerySyntaxError: the text is not valid SPARQL (one readable line, with line and column).
            QueryRefused: an update, or a ``SERVICE`` call.
            QueryLimitExceeded: the time or row limit was passed.
        """
        if not isinstance(sparql, CheckedQuery) or bindings:  # a CheckedQuery was read when prepared
            refuse_unsafe(sparql)
            sparql = inline_bindings(sparql, bindings or {})
        kwargs: dict[str, object] = {"base_iri": base_iri} if base_iri else {}
        if default_graph is None:
            kwargs["use_default_graph_as_union"] = True
        else:
            kwargs["default_graph"] = default_graph
        if named_graphs is not None:
            kwargs["named_graphs"] = named_graphs
        deadline = time.monotonic() + timeout_s if timeout_s is not None else None
        # The answer lives in _evaluate's own frame: the text checks above may leave cyclic
        # garbage (pyparsing exceptions) whose frames reach this one, and a pyoxigraph result
        # kept alive by it would be freed by the collector on some other thread, which
        # pyoxigraph refuses ("unsendable").
        return self._evaluate(sparql, kwargs, deadline, row_limit, early)

    def _evaluate(self, sparql: str, kwargs: dict[str, object], deadline: float | None,
                  row_limit: int | None, early: EarlyRows | None) -> QueryResult:
        try:
            answer = self.store.query(sparql, prefixes=PREFIXES, custom_functions=None, **kwargs)  # type: ignore[arg-type]
        except SyntaxError as exc:
            raise syntax_error(sparql, exc) from exc
        except OSError as exc:
            raise QueryError(f"the store could not answer: {exc}") from exc
        try:
            return collect_result(answer, deadline, row_limit, early)
        except OSError as exc:
            raise QueryError(f"the store could not answer: {exc}") from exc


def collect_result(answer: object, deadline: float | None, row_limit: int | None,
                   early: EarlyRows | None = None) -> QueryResult:
    """Read a pyoxigraph answer into a :class:`QueryResult` under the limits, handing over its
    first rows to ``early`` on the way."""
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult("ask", boolean=bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        variables = [v.value for v in answer.variables]
        rows: list[tuple[Term | None, ...]] = []
        for solution in answer:
            rows.append(tuple(solution))  # in variable order, None when unbound; ~4x cheaper than solution[v]
            _check_limits(len(rows), deadline, row_limit)
            if early is not None and len(rows) == early.count:
                early.deliver(QueryResult("select", variables=variables, rows=list(rows)))
        return QueryResult("select", variables=variables, rows=rows)
    triples: list[ox.Triple] = []
    for triple in answer:  # type: ignore[attr-defined]
        triples.append(triple)
        _check_limits(len(triples), deadline, row_limit)
    return QueryResult("graph", triples=triples)


def _check_limits(count: int, deadline: float | None, row_limit: int | None) -> None:
    if row_limit is not None and count > row_limit:
        raise QueryLimitExceeded(f"the query returns more than {row_limit} results. "
                                 "Add LIMIT, or narrow the query.", reason="rows")
    if deadline is not None and time.monotonic() > deadline:
        raise QueryLimitExceeded("the query ran past its time limit. Narrow it, or add LIMIT.", reason="time")
