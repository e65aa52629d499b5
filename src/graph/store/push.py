"""Load the built graph into a remote SPARQL 1.1 store, then check that it all arrived.

Each named graph of ``graph.nq`` replaces the graph of the same name in the store:
through the Graph Store Protocol (``PUT`` the first batch, ``POST`` the rest) when the
store offers it, else through SPARQL Update (``DROP SILENT GRAPH`` then ``INSERT DATA``
in batches). Afterwards a ``COUNT`` per graph on the query endpoint must match.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx
import pyoxigraph as ox

from graph.build import load_built_graph
from graph.config import REMOTE_TIMEOUT_S, project_version
from graph.errors import BuildError, EndpointError, QueryError
from graph.store.remote import RemoteStore, union_default_graph_problem

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int], None]
"""Called after each batch with (graph IRI, triples sent so far, triples in all)."""

DEFAULT_BATCH_SIZE = 2000
_REPOSITORY_RE = re.compile(r"^(?P<repo>.*/repositories/[^/?#]+)/?$")


@dataclass(frozen=True)
class PushReport:
    """What :func:`push_graph` did: how, and how many triples each graph holds remotely now."""

    method: Literal["graph-store", "update"]
    target: str
    graphs: Mapping[str, int]
    #: How to fix a store whose default graph leaves out the named graphs (queries would find nothing).
    default_graph_problem: str | None = None

    @property
    def triples(self) -> int:
        """All triples pushed (and found again by the count)."""
        return sum(self.graphs.values())


def push_graph(graph_file: Path, endpoint: str, update_endpoint: str | None = None,
               graph_store: str | None = None, *, batch_size: int = DEFAULT_BATCH_SIZE,
               timeout_s: float = REMOTE_TIMEOUT_S, progress: ProgressCallback | None = None) -> PushReport:
    """Replace each named graph of ``graph_file`` in the store at ``endpoint``, then verify the counts.

    Example (with an Oxigraph server running)::

        push_graph(Path("dist/graph.nq"), "http://127.0.0.1:7878/query")
        # PushReport(method='graph-store', target='http://127.0.0.1:7878/store', graphs={...})

    Args:
        graph_file: the built graph (``dist/graph.nq``).
        endpoint: the store's SPARQL query endpoint, used to discover the other services and to count.
        update_endpoint: a SPARQL Update endpoint; used when no ``graph_store`` is given.
        graph_store: a Graph Store Protocol endpoint. When neither this nor ``update_endpoint``
            is given, the usual places next to ``endpoint`` are tried, then SPARQL Update.
        batch_size: triples per request (a graph holding blank nodes goes in one request).
        timeout_s: how long to wait for each request.
        progress: called after each batch (see :data:`ProgressCallback`).

    Returns:
        A :class:`PushReport` with the verified triple count of each graph.

    Raises:
        BuildError: ``graph_file`` is missing or unreadable, or holds triples outside named graphs.
        EndpointError: the query endpoint does not answer (checked before anything is written);
            the store refused a request (its answer is quoted, with what was written before it and
            how to recover), timed out, or holds a different number of triples afterwards.
    """
    if batch_size < 1:
        raise EndpointError(f"the batch size must be at least 1, not {batch_size}.")
    graphs = _triples_by_graph(graph_file)
    remote = RemoteStore(endpoint, timeout_s=timeout_s)
    _check_query_endpoint(remote)
    total = sum(len(triples) for triples in graphs.values())
    written: dict[str, int] = {}
    headers = {"User-Agent": f"mmr-kg/{project_version()}"}
    with httpx.Client(timeout=timeout_s, headers=headers) as client:
        gsp = graph_store or (None if update_endpoint else discover_graph_store(client, endpoint))
        method: Literal["graph-store", "update"] = "graph-store" if gsp else "update"
        target = gsp or update_endpoint or default_update_endpoint(endpoint)
        log.info("pushing %d triples in %d graphs to %s (%s)", total, len(graphs), target, method)
        for graph, triples in graphs.items():
            for first, batch in _batches(triples, batch_size):
                try:
                    if gsp:
                        _send_graph_store(client, gsp, graph, batch, replace=first)
                    else:
                        _send_update(client, target, graph, batch, replace=first)
                except EndpointError as exc:
                    raise EndpointError(f"{exc} {_partial_push(written, graphs, graph)}") from exc
                written[graph] = written.get(graph, 0) + len(batch)
                if progress is not None:
                    progress(graph, sum(written.values()), total)
    expected = {graph: len(triples) for graph, triples in graphs.items()}
    verify_counts(remote, expected)
    return PushReport(method, target, expected, union_default_graph_problem(remote))


def _check_query_endpoint(remote: RemoteStore) -> None:
    """Ask the query endpoint a trivial question before writing: the counts need it afterwards."""
    try:
        remote.query("ASK {}")
    except (EndpointError, QueryError) as exc:
        raise EndpointError(f"{exc} Nothing was written: the query endpoint must answer before a push "
                            "(it checks the counts afterwards).") from exc


def _partial_push(written: Mapping[str, int], graphs: Mapping[str, Sequence[ox.Triple]], failed: str) -> str:
    """Say what a push that stopped had written, and how to recover."""
    complete = [g for g, n in written.items() if n == len(graphs[g])]
    done = sum(written.values())
    if not done and not written.get(failed):
        return "Nothing was written before it. Fix the cause and push again."
    partly = written.get(failed, 0)
    part = f"; <{failed}> holds {partly} of its {len(graphs[failed])} triples" if partly else ""
    return (f"Before it, {done} triples were written: {len(complete)} of {len(graphs)} graphs complete"
            f"{part}. The store holds a partial copy now; push again when the cause is fixed: each "
            "graph is replaced whole, so a second push repairs it.")


def _triples_by_graph(graph_file: Path) -> dict[str, list[ox.Triple]]:
    store = load_built_graph(graph_file)
    loose = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    if loose:
        raise BuildError(f"{loose} triples lie outside any named graph; 'kg push' loads named graphs "
                         "only. Push the file that 'kg build' wrote.", graph_file)
    graphs: dict[str, list[ox.Triple]] = {}
    for name in sorted(store.named_graphs(), key=lambda g: g.value):
        graphs[name.value] = [q.triple for q in store.quads_for_pattern(None, None, None, name)]
    return graphs


def _batches(triples: Sequence[ox.Triple], size: int) -> Iterator[tuple[bool, Sequence[ox.Triple]]]:
    """Yield (is first batch, batch); blank nodes keep their graph in one batch, as labels are per request."""
    if any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples):
        size = max(size, len(triples))
    for start in range(0, max(len(triples), 1), size):
        yield start == 0, triples[start:start + size]


def discover_graph_store(client: httpx.Client, endpoint: str) -> str | None:
    """Return the Graph Store Protocol endpoint beside ``endpoint``, if one of the usual places answers.

    Tried (with ``HEAD …?default``): Oxigraph ``…/store`` and Fuseki ``…/data`` beside ``…/query``
    or ``…/sparql``, Virtuoso ``…/sparql-graph-crud``, GraphDB/RDF4J ``…/repositories/ID/rdf-graphs/service``.

    >>> _graph_store_candidates("http://localhost:3030/ds/query")
    ['http://localhost:3030/ds/store', 'http://localhost:3030/ds/data']
    """
    for candidate in _graph_store_candidates(endpoint):
        try:
            answer = client.head(candidate, params={"default": ""})
        except httpx.TransportError:
            continue
        if answer.is_success:
            log.info("found a Graph Store Protocol endpoint at %s", candidate)
            return candidate
    return None


def _graph_store_candidates(endpoint: str) -> list[str]:
    url = endpoint.rstrip("/")
    repository = _REPOSITORY_RE.match(url)
    if repository:
        return [repository["repo"] + "/rdf-graphs/service"]
    base, _, last = url.rpartition("/")
    if last == "query":
        return [base + "/store", base + "/data"]
    if last == "sparql":
        return [url + "-graph-crud", base + "/data"]
    return []


def default_update_endpoint(endpoint: str) -> str:
    """Return the usual SPARQL Update endpoint for a query endpoint.

    >>> default_update_endpoint("http://localhost:7878/query")
    'http://localhost:7878/update'
    >>> default_update_endpoint("http://localhost:7200/repositories/kg")
    'http://localhost:7200/repositories/kg/statements'
    """
    url = endpoint.rstrip("/")
    repository = _REPOSITORY_RE.match(url)
    if repository:
        return repository["repo"] + "/statements"
    base, _, last = url.rpartition("/")
    return base + "/update" if last == "query" else endpoint


def _ntriples(triples: Sequence[ox.Triple]) -> str:
    return "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)


def _send_graph_store(client: httpx.Client, url: str, graph: str, triples: Sequence[ox.Triple],
                      *, replace: bool) -> None:
    _request(client, "PUT" if replace else "POST", url, f"graph <{graph}>",
             params={"graph": graph}, content=_ntriples(triples).encode("utf-8"),
             headers={"Content-Type": "application/n-triples"})


def _send_update(client: httpx.Client, url: str, graph: str, triples: Sequence[ox.Triple],
                 *, replace: bool) -> None:
    iri = ox.NamedNode(graph)
    drop = f"DROP SILENT GRAPH {iri} ;\n" if replace else ""
    update = f"{drop}INSERT DATA {{ GRAPH {iri} {{\n{_ntriples(triples)}}} }}"
    _request(client, "POST", url, f"the update of graph <{graph}>", data={"update": update})


def _request(client: httpx.Client, method: str, url: str, what: str, **kwargs: object) -> httpx.Response:
    try:
        answer = client.request(method, url, **kwargs)  # type: ignore[arg-type]
    except httpx.ConnectError as exc:
        raise EndpointError(f"cannot reach {url}: {exc}. Is the store running? Start it, or check the "
                            "URL (--endpoint, --update-endpoint, --graph-store).") from exc
    except httpx.TimeoutException as exc:
        raise EndpointError(f"{url} did not answer within {client.timeout.read} s while loading {what}. "
                            "Use a smaller --batch-size or a longer --timeout.") from exc
    except httpx.TransportError as exc:
        raise EndpointError(f"lost the connection to {url} while loading {what}: {exc}. "
                            "Check the store's log, then push again.") from exc
    if answer.is_error:
        body = answer.text.strip()[:500] or "(empty answer)"
        raise EndpointError(f"{url} refused {what} with HTTP {answer.status_code}: {body}. "
                            f"{_hint(answer.status_code)}")
    return answer


def _hint(status: int) -> str:
    if status in (401, 403):
        return ("The store needs credentials or does not allow writes at this URL; use an endpoint "
                "that accepts updates (see docs/readme-remote.md).")
    if status in (404, 405, 415):
        return "No write service at this URL; check --update-endpoint or --graph-store."
    if status == 413:
        return "The request is too large; use a smaller --batch-size."
    return "See the store's log for the cause."


def verify_counts(store: RemoteStore, expected: Mapping[str, int]) -> None:
    """Check that each graph in ``expected`` holds that many triples in ``store``.

    Raises:
        EndpointError: a count differs; the message lists each graph that does.
    """
    if not expected:
        return
    graphs = " ".join(str(ox.NamedNode(g)) for g in expected)
    result = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { VALUES ?g { " + graphs + " } "
                         "GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    found = {row[0].value: int(row[1].value) for row in result.rows if row[0] is not None and row[1] is not None}
    wrong = [f"<{g}> holds {found.get(g, 0)}, expected {n}" for g, n in expected.items() if found.get(g, 0) != n]
    if wrong:
        raise EndpointError(f"after the push, {store.endpoint_url} does not hold the graph as sent: "
                            + "; ".join(wrong) + ". Another writer may have changed it; push again.")
