"""A remote SPARQL 1.1 endpoint as a :class:`~graph.store.GraphStore`, through SPARQLWrapper.

Queries are checked locally first (so a syntax error names its line and column), then
sent by URL-encoded POST. Parameters travel as ``VALUES`` blocks written from the
terms' N-Triples form (:func:`graph.store.sparql_text.inline_bindings`, as in the embedded
store). Answers
are parsed back into pyoxigraph terms, so a remote result compares equal to the
embedded one.

The endpoint should treat its default graph as the union of the named graphs, as the
embedded store does (``oxigraph serve --union-default-graph``; see docs/readme-remote.md).
"""

from __future__ import annotations

import ast
import http.client
import logging
import math
import time
import urllib.error
from collections.abc import Mapping

import httpx
import pyoxigraph as ox
from SPARQLWrapper import ASK, CONSTRUCT, JSON, POST, SELECT, TURTLE, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import (
    EndPointNotFound,
    QueryBadFormed,
    SPARQLWrapperException,
    Unauthorized,
)

from graph.config import REMOTE_TIMEOUT_S, project_version
from graph.errors import EndpointError, QueryError
from graph.namespaces import PREFIXES
from graph.store.embedded import EarlyRows, QueryResult, ResultKind, collect_result
from graph.store.sparql_text import Term, declare_prefixes, inline_bindings, refuse_unsafe, syntax_error

log = logging.getLogger(__name__)

_WRAPPER_FORMS: dict[ResultKind, str] = {"select": SELECT, "ask": ASK, "graph": CONSTRUCT}
_COUNT_QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


class RemoteStore:
    """A SPARQL 1.1 query endpoint, answering like :class:`~graph.store.EmbeddedStore`.

    Example:
        >>> store = RemoteStore("http://127.0.0.1:7878/query", timeout_s=30)
        >>> store.endpoint_url
        'http://127.0.0.1:7878/query'

    Args:
        endpoint_url: the SPARQL query endpoint.
        timeout_s: how long to wait for an answer to each request.
    """

    def __init__(self, endpoint_url: str, *, timeout_s: float = REMOTE_TIMEOUT_S) -> None:
        self.endpoint_url = endpoint_url
        self.timeout_s = timeout_s
        self._checker = ox.Store()

    def __len__(self) -> int:
        row = self.query(_COUNT_QUADS).rows[0]
        return int(row[0].value) if row[0] is not None else 0

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None, *,
              timeout_s: float | None = None, row_limit: int | None = None,
              base_iri: str | None = None, default_graph: list[ox.NamedNode] | None = None,
              named_graphs: list[ox.NamedNode] | None = None, early: EarlyRows | None = None) -> QueryResult:
        """Run a read-only query on the endpoint.

        Args:
            sparql: the query text.
            bindings: variable name to RDF term, sent as a ``VALUES`` block.
            timeout_s: wait at most this long (default: the store's ``timeout_s``).
            row_limit: stop with :class:`~graph.errors.QueryLimitExceeded` past this many rows.
            base_iri: relative IRIs resolve against it (sent as a ``BASE`` declaration).
            default_graph: sent as ``default-graph-uri`` protocol parameters (the endpoint's
                own default graph when ``None``).
            named_graphs: sent as ``named-graph-uri`` protocol parameters.
            early: the first rows, handed over while the answer (which arrives whole) is converted.

        Returns:
            The result, with pyoxigraph terms.

        The project's prefixes need no ``PREFIX`` lines: those the text uses but does not declare
        are declared before it is sent (:func:`~graph.store.sparql_text.declare_prefixes`).

        Raises:
            QuerySyntaxError: the text is not valid SPARQL (one readable line, with line and column).
            QueryError: the endpoint rejected the query.
            QueryRefused: an update, or a ``SERVICE`` call.
            EndpointError: the endpoint is down, refused the request, timed out or answered garbage.
        """
        refuse_unsafe(sparql)
        kind = self._kind_of(sparql, base_iri)
        text = declare_prefixes(inline_bindings(sparql, bindings or {}))
        if base_iri is not None:
            text = f"BASE {ox.NamedNode(base_iri)} " + text  # on the first line: line numbers stay
        timeout = timeout_s or self.timeout_s
        deadline = time.monotonic() + timeout
        body, content_type = self._send(text, kind, timeout, default_graph or [], named_graphs or [])
        return self._read_answer(body, content_type, kind, deadline, row_limit, early)

    def _read_answer(self, body: bytes, content_type: str, kind: ResultKind, deadline: float,
                     row_limit: int | None, early: EarlyRows | None) -> QueryResult:
        """Parse the endpoint's answer in a frame of its own (see ``EmbeddedStore._evaluate``)."""
        try:
            if kind == "graph":
                rdf_format = ox.RdfFormat.from_media_type(content_type) or ox.RdfFormat.TURTLE
                answer: object = (q.triple for q in ox.parse(body, format=rdf_format))
            else:
                results_format = ox.QueryResultsFormat.from_media_type(content_type) or ox.QueryResultsFormat.JSON
                answer = ox.parse_query_results(body, format=results_format)
            return collect_result(answer, deadline, row_limit, early)
        except SyntaxError as exc:
            raise EndpointError(f"{self.endpoint_url} answered with something that is not a valid "
                                f"{content_type or 'SPARQL'} result ({exc.msg}). Is this URL a SPARQL "
                                "query endpoint?") from exc

    def _kind_of(self, sparql: str, base_iri: str | None = None) -> ResultKind:
        """Parse ``sparql`` on an empty local store: syntax errors with line and column, and the form.

        ``SERVICE`` was refused before this, so parsing it here never contacts another host.
        """
        try:
            answer = self._checker.query(sparql, base_iri=base_iri, prefixes=PREFIXES)
        except SyntaxError as exc:
            raise syntax_error(sparql, exc) from exc
        if isinstance(answer, ox.QueryBoolean):
            return "ask"
        return "select" if isinstance(answer, ox.QuerySolutions) else "graph"

    def _send(self, text: str, kind: ResultKind, timeout: float, default_graph: list[ox.NamedNode],
              named_graphs: list[ox.NamedNode]) -> tuple[bytes, str]:
        url = self.endpoint_url
        wrapper = SPARQLWrapper(url, agent=f"mmr-kg/{project_version()}")
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(URLENCODED)
        wrapper.setReturnFormat(TURTLE if kind == "graph" else JSON)
        wrapper.setTimeout(math.ceil(timeout))
        wrapper.setQuery(text)
        for graph in default_graph:
            wrapper.addDefaultGraph(graph.value)
        for graph in named_graphs:
            wrapper.addNamedGraph(graph.value)
        # SPARQLWrapper guesses the form with a regex that words in comments can fool
        # (``#+ columns: [webAddress]`` reads as ADD); the local parse already knows it.
        wrapper.queryType = _WRAPPER_FORMS[kind]
        log.debug("POST %s: %s", url, text)
        try:
            response = wrapper.query().response
            return response.read(), response.headers.get("Content-Type", "")
        except QueryBadFormed as exc:
            raise QueryError(f"{url} rejected the query as malformed: {_remote_body(exc)}") from exc
        except EndPointNotFound as exc:
            raise EndpointError(f"no SPARQL endpoint at {url} (HTTP 404). Check the URL; see "
                                "docs/readme-remote.md for each store's query endpoint.") from exc
        except Unauthorized as exc:
            raise EndpointError(f"{url} needs credentials (HTTP 401). Use an endpoint that allows "
                                "anonymous reading.") from exc
        except SPARQLWrapperException as exc:
            raise EndpointError(f"{url} failed to answer: {_remote_body(exc)}") from exc
        except urllib.error.HTTPError as exc:
            raise EndpointError(f"{url} refused the query with HTTP {exc.code}: "
                                f"{exc.read().decode('utf-8', 'replace').strip()[:500]}") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise EndpointError(_timeout_message(url, timeout)) from exc
            raise EndpointError(f"cannot reach the SPARQL endpoint {url}: {exc.reason}. Is the store "
                                "running? Start it, or check --endpoint.") from exc
        except TimeoutError as exc:
            raise EndpointError(_timeout_message(url, timeout)) from exc
        except (ConnectionError, http.client.HTTPException) as exc:
            raise EndpointError(f"lost the connection to {url} ({exc}). Is the store running? "
                                "Try again, or check its log.") from exc


def union_default_graph_problem(store: RemoteStore) -> str | None:
    """Say how to fix a store whose default graph leaves out the named graphs, or ``None``.

    The graph is pushed as named graphs and the queries read the default graph; a store
    whose default graph is not their union (``oxigraph serve`` without
    ``--union-default-graph``, Fuseki's TDB without ``unionDefaultGraph``) answers every
    query with nothing, silently.

    Raises:
        EndpointError: the store cannot be asked.
    """
    if not store.query("ASK { GRAPH ?g { ?s ?p ?o } }").boolean:
        return None
    if store.query("ASK { ?s ?p ?o }").boolean:
        return None
    software = server_software(store.endpoint_url)
    return (f"{store.endpoint_url} holds the graph in named graphs, but its default graph is empty, so "
            f"every query finds nothing. {union_fix(software)} (See docs/readme-remote.md.)")


def server_software(endpoint_url: str) -> str:
    """Return the ``Server`` header the endpoint answers with, or ``""``."""
    try:
        answer = httpx.get(endpoint_url, params={"query": "ASK {}"}, timeout=10.0)
    except httpx.HTTPError:
        return ""
    return str(answer.headers.get("server", ""))


def union_fix(software: str) -> str:
    """How to make the default graph the union of the named graphs in the store ``software`` names.

    >>> union_fix("Oxigraph/0.5.13")
    'This is Oxigraph/0.5.13: restart it with `oxigraph serve --location DIR --union-default-graph`.'
    """
    name = software.lower()
    if "oxigraph" in name:
        return f"This is {software}: restart it with `oxigraph serve --location DIR --union-default-graph`."
    if "jena" in name or "fuseki" in name:
        return (f"This is {software}: set `tdb2:unionDefaultGraph true` (TDB2) or `tdb:unionDefaultGraph true` "
                "(TDB1) on the dataset in its configuration, and restart it.")
    return ("Make the store's default graph the union of its named graphs (Oxigraph: "
            "`--union-default-graph`; Fuseki: `tdb2:unionDefaultGraph true`; Virtuoso and GraphDB do so "
            "unless a query names its graphs).")


def _timeout_message(url: str, timeout: float) -> str:
    return (f"{url} did not answer within {timeout:g} s. The store may be busy or the query too "
            "heavy: narrow the query, or allow more time (--timeout).")


def _remote_body(exc: SPARQLWrapperException) -> str:
    """Return the response body that SPARQLWrapper folded into its message, decoded."""
    message = str(exc)
    _, found, raw = message.partition("Response:\n")
    if not found:
        return message
    try:
        body = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return raw.strip()[:500]
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    return text.strip()[:500]
