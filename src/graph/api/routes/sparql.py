"""The SPARQL 1.1 Protocol endpoint (queries only) and its service description."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from graph.api import render
from graph.api.context import ApiContext, get_context
from graph.api.errors import ApiError, ErrorBody
from graph.errors import QueryError, QueryRefused
from graph.negotiate import prefers_html
from graph.queries import named_node
from graph.results import Serialized
from graph.store import QueryResult

router = APIRouter(tags=["sparql"])

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"

_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody, "description": text} for code, text in {
        400: "Malformed query, missing or repeated `query`, or a bad graph IRI",
        403: "An update, LOAD or SERVICE: this endpoint is read-only and never reaches out",
        406: "None of the accepted media types can carry this result",
        415: "The POST body is neither form-encoded nor application/sparql-query (UTF-8)",
        503: "The query ran past its time limit",
    }.items()}
_RESULTS: dict[str, dict[str, object]] = {
    media: {"schema": {"type": "string"}} for media in render.ALL_OFFERS}
_PARAMS = [
    {"name": "query", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "A SELECT, ASK, CONSTRUCT or DESCRIBE query. Without any parameter, "
                    "GET answers with the service description."},
    {"name": "default-graph-uri", "in": "query", "required": False,
     "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": True,
     "description": "A graph of the default graph (repeatable); the union of all graphs when absent."},
    {"name": "named-graph-uri", "in": "query", "required": False,
     "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": True,
     "description": "A graph visible to GRAPH (repeatable); all graphs when absent."},
]


#: The largest POST body read (a query text, form-encoded or not); larger ones get 413.
MAX_BODY_BYTES = 1_000_000


async def _read_body(request: Request) -> bytes:
    """Read the request body, stopping with 413 past :data:`MAX_BODY_BYTES`."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(413, f"the request body is larger than {MAX_BODY_BYTES:,} bytes; a SPARQL query "
                                "should be far smaller.")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, f"the {what} is not valid UTF-8. Send it UTF-8 encoded.") from None


async def protocol_parameters(request: Request) -> list[tuple[str, str]] | None:
    """Return the protocol parameters of ``request``, or ``None`` for a bare GET (service description).

    Raises:
        ApiError: 415 for a POST that is neither form-encoded nor ``application/sparql-query``
            or not UTF-8; 400 when a query is sent both in the body and the URL.
    """
    url_params = list(request.query_params.multi_items())
    if request.method == "GET":
        return url_params or None
    media, _, rest = (request.headers.get("content-type") or "").partition(";")
    media = media.strip().lower()
    charset = re.search(r"charset\s*=\s*\"?([\w-]+)", rest, re.IGNORECASE)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        raise ApiError(415, f"the body is {charset.group(1)}; this endpoint reads UTF-8 only.")
    body = await _read_body(request)
    if media == FORM:
        return url_params + parse_qsl(_decode(body, "form body"), keep_blank_values=True)
    if media == DIRECT:
        if any(k == "query" for k, _ in url_params):
            raise ApiError(400, "the query is both in the body and in the URL; send it once.")
        return url_params + [("query", _decode(body, "query"))]
    shown = media or "no Content-Type"
    raise ApiError(415, f"a POST must be {FORM} or {DIRECT}, not {shown}.",
                   kind="UnsupportedMediaType")


def _graphs(params: list[tuple[str, str]], name: str) -> list[ox.NamedNode]:
    graphs = []
    for key, value in params:
        if key == name:
            try:
                graphs.append(named_node(name, value))
            except QueryError as exc:
                raise ApiError(400, str(exc), parameter=name) from None
    return graphs


async def run_protocol_query(ctx: ApiContext, params: list[tuple[str, str]], accept: str | None) -> Serialized:
    """Validate protocol parameters, run the query under the app's limits, and write the
    answer in the format ``accept`` prefers.

    Raises:
        ApiError: 400 for a missing or repeated ``query``, 403 for ``update``.
        QueryError, QueryRefused, QueryLimitExceeded, ResultNotAcceptable: from the store.
    """
    if any(k == "update" for k, _ in params):
        raise QueryRefused("this endpoint is read-only: SPARQL Update is not accepted.")
    queries = [v for k, v in params if k == "query"]
    if not queries:
        raise ApiError(400, "missing 'query' parameter. Send a SPARQL query as query=... "
                            f"(GET or {FORM} POST) or as an {DIRECT} POST body.", parameter="query")
    if len(queries) > 1:
        raise ApiError(400, f"'query' was given {len(queries)} times; send exactly one query.",
                       parameter="query")
    sparql = queries[0]
    if not sparql.strip():
        raise ApiError(400, "the query is empty.", parameter="query")
    return await ctx.query_written(sparql, accept, default_graph=_graphs(params, "default-graph-uri"),
                                   named_graphs=_graphs(params, "named-graph-uri"))


_SPARQL_DOC = ("SPARQL 1.1 Protocol query operation: GET with `query=`, POST form-encoded, or POST "
               "`application/sparql-query`. Results are negotiated from `Accept` (q-values honoured). "
               "Read-only; each query runs under a time and a result-size limit.\n\n"
               "The project's prefixes (`kg:`, `kgid:`, `skos:`, `dcterms:`, `org:`, `prov:`, `xsd:` …: every "
               "prefix listed on the `/query` page) are declared, so `SELECT * { ?s a kg:Touchpoint }` needs no "
               "PREFIX lines; a query's own PREFIX line for the same name wins. A malformed query gets 400 with "
               "one readable line in `message` (\"unknown prefix `foo:` at line 2, column 7 …\", \"syntax error "
               "at line L, column C: expected …, found …\") and `line`, `column`.")


@router.get("/sparql", summary="SPARQL query (GET)", description=_SPARQL_DOC, responses={**_ERRORS},
            openapi_extra={"parameters": _PARAMS, "responses": {"200": {"description": "Query results",
                                                                         "content": _RESULTS}}})
async def sparql_get(request: Request, ctx: ApiContext = Depends(get_context)) -> Response:
    """Answer a GET: the service description when bare, else the query's results."""
    params = await protocol_parameters(request)
    if params is None:
        accept = request.headers.get("accept")
        if prefers_html(accept, render.GRAPH_OFFERS):
            return Response(status_code=303, headers={"Location": "/query", "Vary": "Accept"})
        return render.respond(await service_description(ctx, ctx.settings.query_base_iri), accept)
    accept = request.headers.get("accept")
    return render.respond(await run_protocol_query(ctx, params, accept), accept)


@router.post("/sparql", summary="SPARQL query (POST)", description=_SPARQL_DOC, responses={**_ERRORS},
             openapi_extra={"requestBody": {"required": True, "content": {
                 FORM: {"schema": {"type": "object", "required": ["query"], "properties": {
                     "query": {"type": "string"},
                     "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                     "named-graph-uri": {"type": "array", "items": {"type": "string"}}}}},
                 DIRECT: {"schema": {"type": "string"}}}},
                 "parameters": _PARAMS[1:],
                 "responses": {"200": {"description": "Query results", "content": _RESULTS}}})
async def sparql_post(request: Request, ctx: ApiContext = Depends(get_context)) -> Response:
    """Answer a POST, form-encoded or direct."""
    params = await protocol_parameters(request) or []
    accept = request.headers.get("accept")
    return render.respond(await run_protocol_query(ctx, params, accept), accept)


_SD = """
PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
CONSTRUCT {
  ?service a sd:Service, dcat:DataService ;
    sd:endpoint ?service ; dcat:endpointURL ?service ; dcat:servesDataset ?ds ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:feature sd:UnionDefaultGraph ;
    sd:defaultDataset ?sdds .
  ?sdds a sd:Dataset ; dcterms:source ?ds ; sd:defaultGraph ?dg ; sd:namedGraph ?ng .
  ?dg a sd:Graph ; void:triples ?triples .
  ?ng sd:name ?g ; sd:graph ?subset .
  ?s ?p ?o .
} WHERE {
  { GRAPH <%(meta)s> { ?s ?p ?o } }
  UNION { GRAPH <%(meta)s> { <%(ds)s> void:triples ?triples } }
  UNION { GRAPH <%(meta)s> { <%(ds)s> void:subset ?subset . ?subset sd:name ?g }
          BIND(IRI(CONCAT(STR(?service), "#graph-", STRAFTER(STR(?g), "%(base)s"))) AS ?ng) }
}"""


async def service_description(ctx: ApiContext, endpoint: str) -> QueryResult:
    """Return the SPARQL service description of ``endpoint`` with the dataset's DCAT/VoID record."""
    from graph.metadata import META_GRAPH
    from graph.namespaces import DATASET_IRI, GRAPH_BASE
    try:
        service = named_node("public_url", endpoint)
    except QueryError:
        raise ApiError(500, f"the configured public address {endpoint!r} is not a valid IRI; "
                            "check --public-url.") from None
    # Only project constants go into the text; the request's own address is bound as a term.
    text = _SD % {"meta": META_GRAPH.value, "ds": DATASET_IRI, "base": GRAPH_BASE}
    bindings = {"service": service, "ds": ox.NamedNode(DATASET_IRI),
                "sdds": ox.NamedNode(endpoint + "#dataset"), "dg": ox.NamedNode(endpoint + "#default-graph")}
    result = await ctx.query(text, bindings, row_limit=None)
    extra = [ox.Triple(service, ox.NamedNode(render.SD + "resultFormat"), ox.NamedNode(f))
             for f in render.format_iris()]
    result.triples.extend(extra)
    return result
