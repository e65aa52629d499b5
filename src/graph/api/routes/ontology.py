"""The ontology's documentation, and every ``kg:`` term IRI dereferenced.

The paths mirror the IRIs: a term ``https://w3id.org/mmr-kg/def/X`` is ``/def/X``, a module
``https://w3id.org/mmr-kg/ontology/M`` is ``/ontology/M`` (its version IRI ``/ontology/0.2.0/M``).

- ``/def/``: the index of modules (HTML).
- ``/def/{term}``: browsers are sent (303) to ``/ontology/{module}#{term}``; programs get the term's
  triples from its module (Turtle, JSON-LD, N-Triples or RDF/XML by ``Accept``).
- ``/def/{module}``: sent (303) to ``/ontology/{module}``, unless a term has that name: ``kg:measure``
  is a property, and ``measure`` a module.
- ``/ontology/{module}``: the module's pyLODE page, or its triples by ``Accept``.

The pages are the files ``kg ontology-docs`` wrote (:func:`graph.ontology_docs.default_docs_dir`),
with links rewritten for the site; the terms and triples come from the served graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from graph.api import render
from graph.api.context import ApiContext, get_context
from graph.api.errors import ApiError, ErrorBody
from graph.api.routes.pages import page
from graph.api.views import page_query
from graph.namespaces import KG, ONTOLOGY_BASE
from graph.negotiate import choose, prefers_html
from graph.ontology_docs import INDEX_PAGE, STYLESHEET, default_docs_dir, site_links

router = APIRouter(tags=["ontology"])
_HTML = "text/html"
_RDF = {"content": {_HTML: {"schema": {"type": "string"}}, **{m: {"schema": {"type": "string"}}
                                                              for m in render.GRAPH_OFFERS}}}
_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": "HTML for browsers, RDF for programs", **_RDF},
    303: {"description": "a browser is sent to the page that documents it"},
    404: {"model": ErrorBody}, 406: {"model": ErrorBody}}


@dataclass(frozen=True)
class OntologyTerms:
    """Which named graph holds each module, and which module defines each term (by local name)."""

    graphs: dict[str, ox.NamedNode]
    homes: dict[str, str]


async def ontology_terms(ctx: ApiContext) -> OntologyTerms:
    """Return the modules and terms of the served graph (read once)."""
    async def collect() -> OntologyTerms:
        result = await ctx.query(page_query(ctx, "ontology-terms"), {"ns": ox.Literal(KG)}, row_limit=None)
        graphs: dict[str, ox.NamedNode] = {}
        homes: dict[str, str] = {}
        for graph, ontology, term in result.rows:
            if not (isinstance(graph, ox.NamedNode) and ontology is not None
                    and ontology.value.startswith(ONTOLOGY_BASE)):
                continue
            module = ontology.value.removeprefix(ONTOLOGY_BASE)
            graphs[module] = graph
            if term is not None:
                homes[term.value.removeprefix(KG)] = module
        return OntologyTerms(graphs, homes)
    return await ctx.cached("ontology-terms", collect)


@cache
def _site_page(folder: Path, name: str, modules: tuple[str, ...]) -> str | None:
    """A generated page with its links rewritten for the site, or ``None`` when it was not generated."""
    path = folder / name
    return site_links(path.read_text(encoding="utf-8"), modules) if path.is_file() else None


def _html_page(name: str, terms: OntologyTerms, *, negotiated: bool = True) -> HTMLResponse:
    text = _site_page(default_docs_dir(), name, tuple(sorted(terms.graphs)))
    if text is None:
        raise ApiError(404, f"the documentation page {name} was not generated; run 'kg ontology-docs' "
                            "(make ontology-docs) in the checkout.")
    return HTMLResponse(text, headers={"Vary": "Accept"} if negotiated else None)


async def _rdf(ctx: ApiContext, request: Request, graph: ox.NamedNode, term: str | None) -> Response:
    accept = request.headers.get("accept")
    if choose(accept, render.GRAPH_OFFERS) is None:
        offers = ", ".join([_HTML, *render.GRAPH_OFFERS])
        raise ApiError(406, f"cannot answer {request.url.path} with {accept!r}; it can be sent as {offers}.")
    bindings: dict[str, ox.NamedNode] = {"graph": graph}
    if term is not None:
        bindings["term"] = ox.NamedNode(KG + term)
    result = await ctx.query(page_query(ctx, "ontology-graph"), bindings, row_limit=None)
    return render.respond(result, accept)


def _not_found(request: Request, message: str) -> Response:
    if prefers_html(request.headers.get("accept"), render.GRAPH_OFFERS):
        answer = page(request, "error.html", status=404, title="Not found", message=message)
        answer.headers["Vary"] = "Accept"
        return answer
    raise ApiError(404, message)


@router.get("/def/", response_class=HTMLResponse, summary="The ontology's modules")
async def ontology_index(ctx: ApiContext = Depends(get_context)) -> HTMLResponse:
    """The index of the ontology's modules: title, description, version, each linked to its page."""
    return _html_page(INDEX_PAGE, await ontology_terms(ctx), negotiated=False)


@router.get("/def/{name}", summary="A term of the ontology (kg:{name})", response_class=Response,
            responses=_RESPONSES)
async def term(request: Request, name: str, ctx: ApiContext = Depends(get_context)) -> Response:
    """Browsers are sent to the term's place in its module's page; programs get the term's triples."""
    terms = await ontology_terms(ctx)
    module = terms.homes.get(name)
    if module is None:
        if name in terms.graphs:
            return RedirectResponse(f"/ontology/{name}", status_code=303)
        return _not_found(request, f"the ontology defines no term kg:{name} ({KG}{name}), and no module of "
                                   f"that name. /def/ lists the modules; each module's page lists its terms.")
    if prefers_html(request.headers.get("accept"), render.GRAPH_OFFERS):
        return RedirectResponse(f"/ontology/{module}#{name}", status_code=303, headers={"Vary": "Accept"})
    return await _rdf(ctx, request, terms.graphs[module], name)


@router.get("/ontology/", include_in_schema=False)
async def ontology_folder() -> RedirectResponse:
    """The modules are listed at ``/def/``."""
    return RedirectResponse("/def/", status_code=303)


@router.get("/ontology/" + STYLESHEET, include_in_schema=False)
async def stylesheet() -> Response:
    """pyLODE's stylesheet, which every documentation page links."""
    path = default_docs_dir() / STYLESHEET
    if not path.is_file():
        raise ApiError(404, f"{STYLESHEET} was not generated; run 'kg ontology-docs' in the checkout.")
    return Response(path.read_bytes(), media_type="text/css; charset=utf-8")


@router.get("/ontology/{module}", summary="An ontology module", response_class=Response,
            responses={k: v for k, v in _RESPONSES.items() if k != 303})
async def module_page(request: Request, module: str, ctx: ApiContext = Depends(get_context)) -> Response:
    """The module's documentation (pyLODE) for browsers; its triples for programs."""
    terms = await ontology_terms(ctx)
    if module not in terms.graphs:
        return _not_found(request, f"no ontology module '{module}'; the modules are {', '.join(sorted(terms.graphs))}.")
    if prefers_html(request.headers.get("accept"), render.GRAPH_OFFERS):
        return _html_page(f"{module}.html", terms)
    return await _rdf(ctx, request, terms.graphs[module], None)


@router.get("/ontology/{version}/{module}", summary="An ontology module by its version IRI",
            response_class=Response, responses={k: v for k, v in _RESPONSES.items() if k != 303})
async def module_version(request: Request, version: str, module: str,
                         ctx: ApiContext = Depends(get_context)) -> Response:
    """The module as ``/ontology/{module}``, when ``version`` is the version served."""
    if version != ctx.settings.version:
        return _not_found(request, f"only version {ctx.settings.version} of the ontology is served: "
                                   f"/ontology/{ctx.settings.version}/{module}.")
    return await module_page(request, module, ctx)
