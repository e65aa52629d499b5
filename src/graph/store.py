"""The query engine: an embedded Oxigraph store, or a remote SPARQL 1.1 endpoint.

Both answer :meth:`GraphStore.query` with the same :class:`QueryResult`, whose
terms are pyoxigraph terms, so callers never care which one they talk to.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral
from typing import Protocol

import pyoxigraph as ox

from graph.errors import QueryError, QueryLimitExceeded, QueryRefused

Term = ox.NamedNode | ox.BlankNode | ox.Literal
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


class GraphStore(Protocol):
    """Anything that answers SPARQL queries over the built graph."""

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None, *,
              timeout_s: float | None = None, row_limit: int | None = None) -> QueryResult:
        """Run ``sparql`` with ``bindings`` (variable name to RDF term) and return the result."""
        ...

    def __len__(self) -> int:
        """Return the number of quads in the store."""
        ...


_UPDATE_RE = re.compile(
    r"^\s*(?:(?:PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*"
    r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE)


def refuse_updates(sparql: str) -> None:
    """Raise :class:`QueryRefused` when ``sparql`` is a SPARQL Update request."""
    match = _UPDATE_RE.match(_strip_comments(sparql))
    if match:
        raise QueryRefused(f"{match.group(1).upper()} is a SPARQL Update operation; "
                           "this graph is read-only. Send a SELECT, ASK, CONSTRUCT or DESCRIBE query.")


def inline_bindings(sparql: str, bindings: Mapping[str, Term]) -> str:
    """Return ``sparql`` with each bound variable fixed by a ``VALUES`` block.

    A one-row ``VALUES`` block goes at the start of every group pattern that mentions a
    bound variable, so the variable holds the value everywhere it appears (in nested
    ``OPTIONAL`` groups and sub-queries too), as with SPARQL substitution. Each value is
    written in its N-Triples form by pyoxigraph, which escapes it, so a value can never
    change the query's structure. Blocks go on the line of the group's opening brace,
    so line numbers in error messages stay those of the file.

    >>> print(inline_bindings("SELECT ?x WHERE { ?x ?p ?o }", {"o": ox.Literal('a" } DROP ALL #')}))
    SELECT ?x WHERE { VALUES (?o) { ("a\\" } DROP ALL #") } ?x ?p ?o }

    Raises:
        QueryError: a name is not a valid variable name, or the query has no group.
    """
    for name in bindings:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise QueryError(f"'{name}' is not a valid SPARQL variable name.")
    groups = _groups_mentioning(sparql, set(bindings))
    if not groups:
        raise QueryError("the query has no { ... } group to bind parameters in.")
    out = sparql
    for position, names in sorted(groups.items(), reverse=True):
        used = [n for n in bindings if n in names] or list(bindings)
        block = (" VALUES (" + " ".join(f"?{n}" for n in used) + ") { ("
                 + " ".join(str(bindings[n]) for n in used) + ") }")
        out = out[:position] + block + out[position:]
    return out


_VARIABLE_RE = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")


def _groups_mentioning(sparql: str, names: set[str]) -> dict[int, set[str]]:
    """Map the index just after each group's opening brace to the bound variables it mentions.

    Only group graph patterns count: not a CONSTRUCT template, not the data block of a
    ``VALUES`` clause, and not the braces around a sub-query (whose projection and
    ``GROUP BY`` name variables of the sub-query, not of the group). The outermost WHERE group is always included, so that a bound
    variable the query never mentions is still bound (and projected by ``SELECT *``).
    """
    stack: list[int | None] = []  # index after '{' for group patterns, None for other braces
    found: dict[int, set[str]] = {}
    outermost: int | None = None
    previous_word = ""
    i, n = 0, len(sparql)
    while i < n:
        ch = sparql[i]
        if ch == "#":
            i = sparql.find("\n", i)
            i = n if i < 0 else i
            continue
        if ch in "\"'":
            i = _skip_string(sparql, i)
            continue
        if ch == "<" and re.match(r"<[^<>\"{}|^`\\\s]*>", sparql[i:]):
            i = sparql.index(">", i) + 1
            continue
        if ch in "?$":
            match = _VARIABLE_RE.match(sparql, i)
            if match:
                if match.group(1) in names and stack and stack[-1] is not None:
                    found.setdefault(stack[-1], set()).add(match.group(1))
                i = match.end()
                continue
        if ch == "{":
            is_group = (previous_word not in ("CONSTRUCT", "VALUES") and not _after_values_vars(sparql, i)
                        and not re.match(r"\s*SELECT\b", sparql[i + 1:], re.IGNORECASE))
            stack.append(i + 1 if is_group else None)
            if is_group and outermost is None and (len(stack) == 1 or all(s is None for s in stack[:-1])):
                if previous_word != "CONSTRUCT":
                    outermost = i + 1
            previous_word = ""
            i += 1
            continue
        if ch == "}":
            if stack:
                stack.pop()
            i += 1
            continue
        if ch.isalpha():
            match = re.match(r"[A-Za-z_]+", sparql[i:])
            assert match is not None
            previous_word = match.group(0).upper()
            i += len(match.group(0))
            continue
        if not ch.isspace():
            previous_word = ""
        i += 1
    if outermost is not None:
        found.setdefault(outermost, set())
    return found


def _after_values_vars(sparql: str, brace: int) -> bool:
    """Whether the brace at ``brace`` opens the data block of ``VALUES ?x`` or ``VALUES (?x ?y)``."""
    return re.search(r"\bVALUES\s*(\?\w+|\$\w+|\([^()]*\))\s*$", sparql[:brace], re.IGNORECASE) is not None


def _skip_string(text: str, start: int) -> int:
    quote = text[start]
    long_quote = text[start:start + 3] == quote * 3
    end_token = quote * 3 if long_quote else quote
    i = start + len(end_token)
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(end_token, i):
            return i + len(end_token)
        i += 1
    return len(text)


def _strip_comments(sparql: str) -> str:
    out = []
    for line in sparql.splitlines():
        in_iri = in_str = False
        for i, ch in enumerate(line):
            if ch == "<" and not in_str:
                in_iri = True
            elif ch == ">" and in_iri:
                in_iri = False
            elif ch in "\"'" and not in_iri:
                in_str = not in_str
            elif ch == "#" and not in_iri and not in_str:
                line = line[:i]
                break
        out.append(line)
    return "\n".join(out)


class EmbeddedStore:
    """An in-memory Oxigraph store holding the built graph.

    The default graph is the union of all named graphs, so queries need no
    ``GRAPH`` clause. ``SERVICE`` is refused: the store never reaches out.

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
              default_graph: list[ox.NamedNode] | None = None,
              named_graphs: list[ox.NamedNode] | None = None) -> QueryResult:
        """Run a read-only query.

        Args:
            sparql: the query text.
            bindings: initial values for variables, as RDF terms (see :func:`inline_bindings`).
            timeout_s: stop reading results after this many seconds.
            row_limit: stop with :class:`QueryLimitExceeded` past this many rows.
            default_graph: the graphs forming the default graph (``default-graph-uri``);
                the union of all graphs when ``None``.
            named_graphs: the graphs visible to ``GRAPH`` (``named-graph-uri``); all when ``None``.

        Raises:
            QueryError: the text is not valid SPARQL (with line and column).
            QueryRefused: an update, or a ``SERVICE`` call.
            QueryLimitExceeded: the time or row limit was passed.
        """
        refuse_updates(sparql)
        if bindings:
            sparql = inline_bindings(sparql, bindings)
        kwargs: dict[str, object] = {}
        if default_graph is None:
            kwargs["use_default_graph_as_union"] = True
        else:
            kwargs["default_graph"] = default_graph
        if named_graphs is not None:
            kwargs["named_graphs"] = named_graphs
        deadline = time.monotonic() + timeout_s if timeout_s else None
        try:
            answer = self.store.query(sparql, custom_functions=None, **kwargs)  # type: ignore[arg-type]
        except SyntaxError as exc:
            raise query_syntax_error(exc) from exc
        except OSError as exc:
            raise _service_or_error(exc) from exc
        try:
            return _collect(answer, deadline, row_limit)
        except OSError as exc:
            raise _service_or_error(exc) from exc


def _service_or_error(exc: OSError) -> QueryError:
    text = str(exc)
    if "SERVICE" in text.upper() or "service" in text:
        return QueryRefused("SERVICE calls are not allowed: this graph answers from its own data only.")
    return QueryError(text)


_SYNTAX_AT_RE = re.compile(r"^error at (\d+):(\d+): ")


def query_syntax_error(exc: SyntaxError) -> QueryError:
    """Turn pyoxigraph's query ``SyntaxError`` into a :class:`QueryError` with line and column.

    pyoxigraph puts the location in the text (``error at 3:7: ...``), not in ``lineno``.
    """
    text = exc.msg or str(exc)
    match = _SYNTAX_AT_RE.match(text)
    if match:
        return QueryError(text[match.end():], int(match[1]), int(match[2]))
    return QueryError(text, exc.lineno, exc.offset)


def _collect(answer: object, deadline: float | None, row_limit: int | None) -> QueryResult:
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult("ask", boolean=bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        variables = [v.value for v in answer.variables]
        rows: list[tuple[Term | None, ...]] = []
        for solution in answer:
            rows.append(tuple(solution[v] for v in variables))
            _check_limits(len(rows), deadline, row_limit)
        return QueryResult("select", variables=variables, rows=rows)
    triples: list[ox.Triple] = []
    for triple in answer:  # type: ignore[attr-defined]
        triples.append(triple)
        _check_limits(len(triples), deadline, row_limit)
    return QueryResult("graph", triples=triples)


def _check_limits(count: int, deadline: float | None, row_limit: int | None) -> None:
    if row_limit is not None and count > row_limit:
        raise QueryLimitExceeded(f"the query returns more than {row_limit} results. "
                                 "Add LIMIT, or narrow the query.")
    if deadline is not None and time.monotonic() > deadline:
        raise QueryLimitExceeded("the query ran past its time limit. Narrow it, or add LIMIT.")
