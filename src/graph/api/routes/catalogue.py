"""The query library as REST: ``/queries`` lists the catalogue, ``/queries/{name}`` runs one.

Each catalogued query gets its own OpenAPI operation whose query-string parameters are the
ones its header declares, plus ``lang``, ``limit``, ``offset`` and ``format``. A browser (whose
``Accept`` prefers HTML, without ``?format=``) gets pages instead: the catalogue, and per query a
form, a paged results table and downloads.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.datastructures import Headers, QueryParams
from starlette.routing import Match
from starlette.types import Scope

from graph.absent import empty_answer_notes
from graph.api import catalogue_views, render
from graph.api.answers import answer_key
from graph.api.context import ApiContext, get_context
from graph.api.errors import ApiError, ErrorBody, status_for
from graph.api.routes.pages import page
from graph.errors import GraphError, QueryError
from graph.formats import RESULT_FORMATS
from graph.negotiate import choose, prefers_html
from graph.queries import (
    DATE_PARAMETER_PATTERN,
    IRI_PARAMETER_PATTERN,
    LANGUAGES,
    Language,
    ParamSpec,
    QuerySpec,
    bind_parameters,
    find_query,
    unknown_query,
)
from graph.results import Serialized, serialize_result
from graph.store import EarlyRows, QueryResult, Term

router = APIRouter(tags=["queries"])

PLAIN_JSON = "application/json"
SPARQL_QUERY = "application/sparql-query"
DEFAULT_LIMIT = 100
LISTING = "GET /queries lists them."
#: Patterns of the OpenAPI document: a value that fits is one the query accepts (a real calendar
#: date, with 29 February only in years divisible by four).
_PATTERNS = {
    "date": DATE_PARAMETER_PATTERN,
    "integer": r"^\s*[+-]?\d+\s*$",
    "iri": IRI_PARAMETER_PATTERN,
}


class ParamInfo(BaseModel):
    """A declared parameter, as listed by ``/queries``."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    default: str | None = None
    values: list[str] = []


class QueryInfo(BaseModel):
    """One catalogue entry."""

    name: str
    summary: str
    description: str
    tags: list[str]
    parameters: list[ParamInfo]
    columns: list[str]
    href: str
    sparql: str


class Page(BaseModel):
    """One page of a catalogued query's rows, as plain JSON (values are strings; absent is null)."""

    query: str
    columns: list[str]
    rows: list[dict[str, str | None]]
    limit: int
    offset: int
    #: Every row of the answer; ``null`` while a large answer is still being read (``next`` is then set).
    total: int | None
    next: str | None = None
    #: What an empty answer means: an IRI parameter that names nothing in the graph (with the IRIs
    #: spelt like it) or a retired node (with what replaces it), and what the query says (``#+ when-empty:``).
    note: str | None = None


def query_info(spec: QuerySpec) -> QueryInfo:
    """Return the catalogue entry of ``spec``."""
    return QueryInfo(name=spec.name, summary=spec.summary, description=spec.description,
                     tags=list(spec.tags), columns=list(spec.columns), href=f"/queries/{spec.name}",
                     sparql=f"/queries/{spec.name}.rq",
                     parameters=[ParamInfo(name=p.name, type=p.type, description=p.description,
                                           required=p.required, default=p.default, values=list(p.values))
                                 for p in spec.params])


def wants_page(scope: Scope) -> bool:
    """Return whether a request asks for a page: its ``Accept`` prefers HTML to JSON and the SPARQL
    results formats, and no ``?format=`` overrides it."""
    if "format" in QueryParams(scope.get("query_string", b"").decode("latin-1")):
        return False
    return prefers_html(Headers(scope=scope).get("accept"), [PLAIN_JSON, *render.RESULT_OFFERS])


class PageRoute(APIRoute):
    """A route for browsers: any other request falls through to the next route of the same path."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Match as an ordinary route would, but only a request that :func:`wants_page`."""
        match, child = super().matches(scope)
        if match is not Match.NONE and not wants_page(scope):
            return Match.NONE, {}
        return match, child


async def catalogue_page(request: Request, ctx: ApiContext = Depends(get_context)) -> Response:
    """The catalogue as a page: every query's question, description, tags and parameters."""
    answer = page(request, "queries.html", title="Queries", queries=list(ctx.catalogue.values()))
    answer.headers["Vary"] = "Accept"
    return answer


router.add_api_route("/queries", catalogue_page, methods=["GET"], include_in_schema=False,
                     route_class_override=PageRoute)


@router.get("/queries", summary="List the query catalogue", response_model=list[QueryInfo])
async def list_queries(response: Response, ctx: ApiContext = Depends(get_context)) -> list[QueryInfo]:
    """Every catalogued query with its parameters, columns and link (a browser gets the catalogue page)."""
    response.headers["Vary"] = "Accept"
    return [query_info(spec) for spec in ctx.catalogue.values()]


@router.get("/queries/{name}.rq", summary="The SPARQL text of a catalogued query",
            responses={200: {"content": {SPARQL_QUERY: {"schema": {"type": "string"}},
                                         "text/plain": {"schema": {"type": "string"}}}},
                       404: {"model": ErrorBody}})
async def query_text(request: Request, name: str, ctx: ApiContext = Depends(get_context)) -> Response:
    """Return the ``.rq`` file, header included: as ``application/sparql-query``, or as ``text/plain``
    to a browser (which shows it rather than saving it) and to a client that asks for text."""
    accept = request.headers.get("accept")
    text_wanted = prefers_html(accept, [SPARQL_QUERY]) or choose(accept, [SPARQL_QUERY, "text/plain"]) == "text/plain"
    media = "text/plain" if text_wanted else SPARQL_QUERY
    return Response(_find(ctx, name).text, media_type=f"{media}; charset=utf-8", headers={"Vary": "Accept"})


def _find(ctx: ApiContext, name: str) -> QuerySpec:
    """Return the catalogued query ``name``, or answer 404."""
    try:
        return find_query(ctx.catalogue, name, LISTING)
    except QueryError as exc:
        raise ApiError(404, str(exc)) from None


def stable_rows(result: QueryResult, ordered: bool) -> list[tuple[Term | None, ...]]:
    """Return the rows in a stable order: the query's ``ORDER BY``, else sorted by every column."""
    if ordered:
        return result.rows
    return sorted(result.rows, key=lambda row: tuple("" if t is None else str(t) for t in row))


async def run_catalogued(ctx: ApiContext, spec: QuerySpec, raw: dict[str, str], lang: str,
                         limit: int, offset: int) -> tuple[QueryResult, int | None]:
    """Run ``spec`` with validated parameters; return one page of rows and the total count.

    The text was checked and read when the catalogue loaded (``spec.prepared``): a request only
    binds values into it. The total is ``None`` while it is not known yet: a page within the
    first rows of a large ordered answer is served from them while the rest is still being read
    (:meth:`~graph.api.answers.AnswerCache.get_rows`); the page then holds at least one row less
    than the rows read, so whether another page follows is known.

    Raises:
        ApiError: 422 naming the parameter whose value does not fit its declared type.
    """
    try:
        bindings = bind_parameters(spec, raw, lang)
    except QueryError as exc:
        raise ApiError(422, str(exc), parameter=exc.parameter) from None
    prepared = spec.prepared

    async def whole_answer(early: EarlyRows | None = None) -> QueryResult:
        # A catalogued query is paged here, so its whole answer may pass the row limit that
        # guards ad-hoc SPARQL; the time limit still applies.
        result = await ctx.query(prepared.bind(bindings), row_limit=None, early=early)
        return QueryResult(result.kind, result.variables, stable_rows(result, prepared.ordered),
                           result.boolean, result.triples)

    # Pages are slices of the whole answer, computed once while it stays in the cache.
    whole = True
    if ctx.answers is None:
        answer = await whole_answer()
    else:
        early = prepared.ordered and offset + limit <= ctx.answers.first_rows  # unordered rows are sorted whole
        answer, whole = await ctx.answers.get_rows(answer_key(spec.name, bindings), whole_answer, early=early)
    rows = answer.rows
    page = QueryResult(answer.kind, answer.variables, rows[offset:offset + limit], answer.boolean, answer.triples)
    return page, len(rows) if whole else None


async def empty_note(ctx: ApiContext, spec: QuerySpec, raw: dict[str, str], lang: str) -> str:
    """What to say of an empty answer of ``spec`` (``raw`` already bound without error), in one
    paragraph (:func:`~graph.absent.empty_answer_notes`); only the query's own note if looking
    up its IRI parameters fails, which must not cost the answer."""
    try:
        notes = await ctx.run(empty_answer_notes, ctx.store, spec, bind_parameters(spec, raw, lang))
    except GraphError:
        notes = [spec.when_empty]
    return " ".join(notes)


def _page_json(spec: QuerySpec, page: QueryResult, total: int | None, limit: int, offset: int,
               request: Request, note: str) -> dict[str, object]:
    """Return the :class:`Page` of ``page`` as plain data, its fields in the model's order.

    Built directly rather than through the model, which would check every row again on each
    request; the model documents it in the schema, and the same JSON comes out.
    """
    nxt = None
    if total is None or offset + limit < total:
        # The public address comes from configuration, never from the request's Host header; the
        # parameters in sorted order, so the body depends only on what the request means (its ETag).
        kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit")]
        query = urlencode(sorted([*kept, ("offset", str(offset + limit)), ("limit", str(limit))]))
        nxt = get_context(request).settings.public_url.rstrip("/") + request.url.path + "?" + query
    variables = page.variables
    rows = [dict(zip(variables, [None if t is None else t.value for t in row], strict=True)) for row in page.rows]
    return {"query": spec.name, "columns": list(variables), "rows": rows, "limit": limit, "offset": offset,
            "total": total, "next": nxt, "note": note or None}


def _whole(params: QueryParams, name: str, default: int, low: int, high: int, errors: dict[str, str]) -> int:
    """Read the whole number ``name`` from ``params`` (``default`` when absent); note a bad one in ``errors``."""
    raw = params.get(name, "").strip()
    if not raw:
        return default
    if raw.lstrip("+").isdigit() and low <= int(raw) <= high:
        return int(raw)
    errors[name] = f"parameter '{name}' must be a whole number from {low} to {high}, not {raw!r}."
    return default


async def query_page(request: Request, name: str, ctx: ApiContext = Depends(get_context)) -> Response:
    """One catalogued query as a page: its question, a typed form, a paged table of the answer,
    downloads and its SPARQL. A query whose required parameters are not given yet shows the form
    without running; a bad value is shown beside its field (status 422)."""
    spec = ctx.catalogue.get(name)
    if spec is None:
        missing = page(request, "error.html", status=404, title="Not found",
                       message=str(unknown_query(name, "The catalogue at /queries lists them.")))
        missing.headers["Vary"] = "Accept"
        return missing
    params = request.query_params
    raw = {p.name: params[p.name] for p in spec.params if p.name in params}
    lang = catalogue_views.page_language(params.get("lang"))
    errors: dict[str, str] = {}
    most = ctx.settings.query_row_limit
    limit = _whole(params, "limit", DEFAULT_LIMIT, 1, most, errors)
    offset = _whole(params, "offset", 0, 0, most, errors)
    # A first visit (no declared parameter in the address) waits for the form when a value is required.
    waiting = not raw and any(p.required and p.default is None for p in spec.params)
    result: QueryResult | None = None
    total: int | None = 0
    note = ""
    status, message = 200, next(iter(errors.values()), None)
    if errors:
        status = 422
    elif not waiting:
        try:
            result, total = await run_catalogued(ctx, spec, raw, params.get("lang", lang), limit, offset)
            if total == 0:
                note = await empty_note(ctx, spec, raw, params.get("lang", lang))
        except ApiError as exc:
            status, message = exc.status, exc.message
            if exc.parameter:
                errors[exc.parameter] = exc.message
        except GraphError as exc:
            status, message = status_for(exc), str(exc)
    view = catalogue_views
    answer = page(
        request, "query_page.html", status=status, title=spec.summary, spec=spec, info=query_info(spec),
        fields=await view.form_fields(ctx, spec, raw, lang, errors), errors=errors, message=message,
        limit=limit, offset=offset, sizes=view.page_sizes(limit), result=result, total=total,
        table=[] if result is None else await view.results_table(ctx, result, lang),
        note=note,
        pager=[] if result is None else view.pager(spec, raw, lang, limit, offset, total),
        downloads=[] if result is None else view.downloads(spec, raw, lang, most),
        editor=view.editor_address(spec, raw, params.get("lang", lang)))
    answer.headers["Vary"] = "Accept"
    if total is None:  # served before the answer was read whole: the total comes with the next visit
        answer.headers["Cache-Control"] = "no-store"
    return answer


router.add_api_route("/queries/{name}", query_page, methods=["GET"], include_in_schema=False,
                     route_class_override=PageRoute)


def _endpoint(spec: QuerySpec, max_limit: int) -> Callable[..., Awaitable[Response]]:
    async def endpoint(request: Request, ctx: ApiContext = Depends(get_context), **kwargs: object) -> Response:
        lang = str(kwargs.pop("lang"))
        limit = int(kwargs.pop("limit"))  # type: ignore[call-overload]
        offset = int(kwargs.pop("offset"))  # type: ignore[call-overload]
        fmt = kwargs.pop("format")
        if fmt is not None and fmt not in RESULT_FORMATS:
            raise ApiError(400, f"format {fmt!r} is not offered. Use one of: {', '.join(RESULT_FORMATS)} "
                                "(or leave it out and ask by Accept).", parameter="format")
        raw = {p.name: str(kwargs[f"p_{p.name}"]) for p in spec.params if kwargs.get(f"p_{p.name}") is not None}
        rows, total = await run_catalogued(ctx, spec, raw, lang, limit, offset)
        accept = request.headers.get("accept")
        # A page served before its answer was read whole says no total, and is not to be kept:
        # the same address answers with the total once the answer is whole.
        links = {"X-Total-Count": str(total)} if total is not None else {"Cache-Control": "no-store"}
        if fmt is not None:
            written = Serialized(rows.kind, str(fmt), serialize_result(rows, str(fmt)))
            return render.respond(written, accept, headers=links)
        if choose(accept, [PLAIN_JSON, *render.RESULT_OFFERS]) == PLAIN_JSON:
            note = await empty_note(ctx, spec, raw, lang) if total == 0 else ""  # only this body carries it
            body = _page_json(spec, rows, total, limit, offset, request, note)
            if body["next"]:
                links["Link"] = f'<{body["next"]}>; rel="next"'
            return JSONResponse(body, headers={"Vary": "Accept", **links})
        return render.respond(rows, accept, headers=links)

    params = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
              inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=ApiContext,
                                default=Depends(get_context))]
    params += [_openapi_param(p) for p in spec.params]
    params += [
        inspect.Parameter("lang", inspect.Parameter.KEYWORD_ONLY, annotation=Language,
                          default=Query(LANGUAGES[0], description="language of labels")),
        inspect.Parameter("limit", inspect.Parameter.KEYWORD_ONLY, annotation=int,
                          default=Query(DEFAULT_LIMIT, ge=1, le=max_limit, description="rows per page")),
        inspect.Parameter("offset", inspect.Parameter.KEYWORD_ONLY, annotation=int,
                          default=Query(0, ge=0, le=max_limit, description="rows to skip (stable order)")),
        inspect.Parameter("format", inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
                          default=Query(None, description="the answer's format, overriding Accept: "
                                        + ", ".join(f"{n} ({f.label})" for n, f in RESULT_FORMATS.items())
                                        + ". Any other value is refused with 400.",
                                        json_schema_extra={"enum": list(RESULT_FORMATS)})),
    ]
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    endpoint.__name__ = "query_" + spec.name.replace("-", "_")
    return endpoint


def _openapi_param(param: ParamSpec) -> inspect.Parameter:
    extra: dict[str, object] = {"alias": param.name, "description": param.description or param.type}
    annotation: object = str if param.required else str | None
    if param.type == "enum" and param.values:
        annotation = Literal[tuple(param.values)] | None
    elif param.type in _PATTERNS:
        extra["pattern"] = _PATTERNS[param.type]
    if param.type == "iri":
        extra["examples"] = ["kgid:agency-naturvardsverket"]
    default = ... if param.required else param.default
    return inspect.Parameter(f"p_{param.name}", inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                             default=Query(default, **extra))  # type: ignore[arg-type]


def add_query_operations(app: FastAPI, ctx: ApiContext) -> None:
    """Add one ``GET /queries/{name}`` operation per catalogued query, then a 404 for unknown names."""
    content = {PLAIN_JSON: {"schema": {"$ref": "#/components/schemas/Page"}}}
    # A SPARQL JSON answer (``?format=json``) is a JSON object; the other formats are text.
    content |= {f.media_type: {"schema": {"type": "object" if f.media_type.endswith("+json") else "string"}}
                for f in RESULT_FORMATS.values()}
    for spec in ctx.catalogue.values():
        app.add_api_route(
            f"/queries/{spec.name}", _endpoint(spec, ctx.settings.query_row_limit), methods=["GET"],
            tags=["queries"], summary=spec.summary, description=spec.description,
            operation_id=f"query_{spec.name.replace('-', '_')}", response_model=None,
            responses={200: {"description": "One page of rows", "content": content, "model": Page},
                       400: {"model": ErrorBody}, 406: {"model": ErrorBody},
                       422: {"model": ErrorBody}, 503: {"model": ErrorBody}})

    async def no_such_query(name: str) -> Response:
        raise ApiError(404, str(unknown_query(name, LISTING)))
    app.add_api_route("/queries/{name}", no_such_query, methods=["GET"], include_in_schema=False)
