"""HTML pages for people, and entity IRIs resolved for people and programs.

``/id/{local}`` stands for ``kgid:{local}``; ``/resource?iri=`` for any IRI in the graph.
Browsers get HTML; programs get Turtle, N-Triples, JSON-LD or RDF/XML by ``Accept``.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from graph.api import render, views
from graph.api.context import ApiContext, get_context
from graph.api.errors import ApiError, ErrorBody, status_for
from graph.api.http import EDITOR_POLICY
from graph.errors import GraphError, QueryError
from graph.namespaces import KG, KGID, PREFIXES, compact
from graph.negotiate import prefers_html
from graph.queries import IRI_PARAMETER_PATTERN, LANGUAGES, Language, bound_text, expand_iri, named_node
from graph.store import QueryResult

router = APIRouter()
templates = Jinja2Templates(env=Environment(loader=PackageLoader("graph.api", "templates"),
                                            autoescape=select_autoescape(["html"])))
templates.env.filters["link"] = views.link_for
templates.env.filters["compact"] = compact
LangQuery = Query(LANGUAGES[0], description=f"language of labels ({' or '.join(LANGUAGES)})")
AGENCY = PREFIXES["kg"] + "Agency"
OBJECTIVE = PREFIXES["kg"] + "EnvironmentalQualityObjective"
EXAMPLE_QUERY = """# The project's prefixes (kg:, kgid:, skos: …) are declared: no PREFIX lines needed.
SELECT ?agency ?label (COUNT(?tp) AS ?touchpoints) WHERE {
  ?tp a kg:Touchpoint ; kg:agency ?agency .
  OPTIONAL { ?agency skos:prefLabel ?label FILTER(LANG(?label) = "sv") }
}
GROUP BY ?agency ?label
ORDER BY DESC(?touchpoints)"""
_RDF_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": "HTML for browsers, RDF for programs",
          "content": {"text/html": {"schema": {"type": "string"}},
                      **{m: {"schema": {"type": "string"}} for m in render.GRAPH_OFFERS}}},
    400: {"model": ErrorBody}, 404: {"model": ErrorBody}, 406: {"model": ErrorBody}}


def page(request: Request, name: str, status: int = 200, **context: object) -> HTMLResponse:
    """Render template ``name`` with the common context (language, paths)."""
    lang = request.query_params.get("lang", LANGUAGES[0])
    return templates.TemplateResponse(request, name, {"lang": lang if lang in LANGUAGES else LANGUAGES[0],
                                                      "path": request.url.path, **context}, status_code=status)


@router.get("/", response_class=HTMLResponse, summary="Home page", tags=["pages"])
async def home(request: Request, lang: Language = LangQuery, ctx: ApiContext = Depends(get_context)) -> HTMLResponse:
    """What the graph is, its counts, and links to agencies, objectives, queries and exports."""
    return page(request, "home.html", info=await views.home_view(ctx, lang),
                queries=list(ctx.catalogue.values()))


@router.get("/query", response_class=HTMLResponse, summary="Query page", tags=["pages"],
            responses={400: {"description": "The page, showing why the query failed",
                             "content": {"text/html": {}}},
                       403: {"description": "The page, saying the query was refused (an update, LOAD or "
                                            "SERVICE)", "content": {"text/html": {}}},
                       503: {"description": "The page, saying the query ran past its time limit",
                             "content": {"text/html": {}}}})
async def query_page(request: Request, query: str | None = Query(None, description="SPARQL to put in the editor "
                                                                          "(and to run, without JavaScript)"),
                     lang: Language = LangQuery, ctx: ApiContext = Depends(get_context)) -> HTMLResponse:
    """The SPARQL editor (YASGUI, served from the package) on ``/sparql``, with the project's
    prefixes declared and the catalogue's queries as examples; ``?query=`` fills it in and runs it.

    Without JavaScript the page is a form: ``?query=`` runs here and the rows come back as a table.
    """
    result: QueryResult | None = None
    error: str | None = None
    table: list[list[views.TermView | None]] = []
    status = 200
    if query is not None and query.strip():
        try:
            result = await ctx.query(query, adhoc=True)
        except GraphError as exc:
            error, status = f"{type(exc).__name__}: {exc}", status_for(exc)
        if result is not None and result.kind == "select":
            iris = {t.value for row in result.rows for t in row if isinstance(t, ox.NamedNode)}
            table = views.result_table(result, await views.labels_for(ctx, iris, lang))
    asked = query is not None and bool(query.strip())
    text = query if query is not None and asked else EXAMPLE_QUERY
    editor = {"endpoint": "/sparql", "query": text, "run": asked, "prefixes": PREFIXES,
              "examples": [{"name": spec.name, "summary": spec.summary, "text": bound_text(spec, {}, lang)}
                           for spec in ctx.catalogue.values()]}
    answer = page(request, "query.html", status=status, query=text, result=result, table=table, error=error,
                  formats=render.RESULT_OFFERS, editor=editor, prefixes=PREFIXES)
    answer.headers["Content-Security-Policy"] = EDITOR_POLICY
    return answer


async def _show(request: Request, ctx: ApiContext, iri: str, lang: str) -> Response:
    """Answer for ``iri``, which the caller has checked (``/id/`` answers 404, ``/resource`` 422)."""
    accept = request.headers.get("accept")
    if not prefers_html(accept, render.GRAPH_OFFERS):
        graph = await views.resource_graph(ctx, iri)
        if not graph.triples:
            raise ApiError(404, f"the graph says nothing about <{iri}>.")
        return render.respond(graph, accept)
    view = await views.describe_resource(ctx, iri, lang)
    if view is None:
        missing = page(request, "error.html", status=404, title="Not found",
                       message=f"The graph says nothing about {iri}.")
        missing.headers["Vary"] = "Accept"
        return missing
    name = "resource.html"
    table: list[dict[str, Any]] = []
    if AGENCY in view.type_iris:
        name = "agency.html"
        result = await views.agency_touchpoints(ctx, iri, lang)
        if result is not None:
            table = await views.touchpoint_table(ctx, result, lang)
    elif OBJECTIVE in view.type_iris:
        name = "objective.html"
    definition = "/def/" + iri.removeprefix(KG) if iri.startswith(KG) and iri != KG else None
    answer = page(request, name, view=view, title=view.label(lang), table=table, definition=definition)
    answer.headers["Vary"] = "Accept"
    return answer


@router.get("/id/{local:path}", summary="An entity of the graph (kgid:{local})", tags=["resources"],
            responses=_RDF_RESPONSES, response_class=Response)
async def entity(request: Request, local: str, lang: Language = LangQuery,
                 ctx: ApiContext = Depends(get_context)) -> Response:
    """HTML for browsers; Turtle, N-Triples, JSON-LD or RDF/XML for programs."""
    try:
        named_node("local", KGID + local)
    except QueryError as exc:  # any text fits the path; one that makes no IRI names no entity
        raise ApiError(404, f"the graph has no entity kgid:{local}, and cannot have one: {exc}") from None
    return await _show(request, ctx, KGID + local, lang)


@router.get("/resource", summary="Any IRI of the graph", tags=["resources"], responses=_RDF_RESPONSES,
            response_class=Response)
async def resource(request: Request, iri: str = Query(..., description="an absolute http(s) IRI, or a prefixed "
                                                                   "name such as kg:Touchpoint",
                                                       pattern=IRI_PARAMETER_PATTERN),
                   lang: Language = LangQuery, ctx: ApiContext = Depends(get_context)) -> Response:
    """Like ``/id/...`` for IRIs outside ``kgid:`` (classes, properties, documents)."""
    try:
        absolute = expand_iri("iri", iri)
    except GraphError as exc:
        raise ApiError(422, str(exc), parameter="iri") from None
    return await _show(request, ctx, absolute, lang)
