"""Operations: the SHACL report (``/validate``), coverage and report page, graph dumps, health."""

from __future__ import annotations

import dataclasses
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from graph.api.context import ApiContext, get_context
from graph.api.errors import ApiError, ErrorBody
from graph.api.negotiate import choose
from graph.build import serialize_dataset, sorted_quads
from graph.coverage import compute_coverage
from graph.network import NetworkError, list_projections
from graph.network_export import FORMATS as NETWORK_FORMATS
from graph.network_export import export_network
from graph.validate import validate_store

router = APIRouter(tags=["operations"])

#: The policy of a self-contained file (the network page, SVG pictures): inline code only, no fetches.
SELF_CONTAINED_POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                         "img-src data:; frame-ancestors 'none'")

DUMPS = {"graph.nq": "application/n-quads", "graph.trig": "application/trig"}
_ALL_QUADS = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"


async def dataset_store(ctx: ApiContext) -> ox.Store:
    """Return the whole dataset as a pyoxigraph store (copied once from a remote endpoint)."""
    if ctx.oxigraph_store is not None:
        return ctx.oxigraph_store

    async def copy() -> ox.Store:
        result = await ctx.query(_ALL_QUADS, row_limit=None)
        store = ox.Store()
        store.extend(ox.Quad(s, p, o, g) for g, s, p, o in result.rows)  # type: ignore[arg-type]
        return store

    return await ctx.cached("dataset", copy)


async def dump(ctx: ApiContext, name: str) -> bytes:
    """Return ``graph.nq`` or ``graph.trig`` of the served dataset, in stable order (cached)."""
    async def serialize() -> bytes:
        store = await dataset_store(ctx)
        return await ctx.run(lambda: serialize_dataset(sorted_quads(store), name))

    return await ctx.cached("dump:" + name, serialize)


async def validation_report(ctx: ApiContext) -> dict[str, Any]:
    """Run SHACL validation once and return the report as a dict (cached: the graph is read-only)."""
    async def validate() -> dict[str, Any]:
        store = await dataset_store(ctx)
        return (await ctx.run(validate_store, store, ctx.settings)).as_dict()

    return await ctx.cached("validation", validate)


async def coverage_report(ctx: ApiContext, lang: str) -> dict[str, Any]:
    """Return the coverage table as a dict (cached per language)."""
    async def compute() -> dict[str, Any]:
        return (await ctx.run(compute_coverage, ctx.store, ctx.settings, lang)).as_dict()

    return await ctx.cached("coverage:" + lang, compute)


@router.get("/validate", summary="SHACL validation report (JSON or HTML)",
            responses={200: {"content": {"application/json": {}, "text/html": {}}},
                       406: {"model": ErrorBody}, 503: {"model": ErrorBody}})
async def validate(request: Request, lang: str = Query("sv", pattern="^(sv|en)$"),
                   ctx: ApiContext = Depends(get_context)) -> Response:
    """The SHACL report of the served graph: ``conforms`` and every result."""
    chosen = choose(request.headers.get("accept"), ["application/json", "text/html"])
    if chosen is None:
        raise ApiError(406, "the report is available as application/json or text/html.")
    report = await validation_report(ctx)
    if chosen == "text/html":
        from graph.api.pages import page
        answer = page(request, "report.html", validation=report, coverage=await coverage_report(ctx, lang))
        answer.headers["Vary"] = "Accept"
        return answer
    return JSONResponse(report, headers={"Vary": "Accept"})


@router.get("/report", summary="Validation and coverage report page", tags=["pages"],
            response_class=Response, responses={200: {"content": {"text/html": {}}}})
async def report_page(request: Request, lang: str = Query("sv", pattern="^(sv|en)$"),
                      ctx: ApiContext = Depends(get_context)) -> Response:
    """The SHACL report and per-entity coverage, for people."""
    from graph.api.pages import page
    return page(request, "report.html", validation=await validation_report(ctx),
                coverage=await coverage_report(ctx, lang))


@router.get("/export/graph.nq", summary="The whole dataset as N-Quads", response_class=Response,
            responses={200: {"content": {"application/n-quads": {"schema": {"type": "string"}}}}})
async def export_nquads(ctx: ApiContext = Depends(get_context)) -> Response:
    """Every quad, one named graph per source file plus the metadata graph."""
    return _download(await dump(ctx, "graph.nq"), "graph.nq")


@router.get("/export/graph.trig", summary="The whole dataset as TriG", response_class=Response,
            responses={200: {"content": {"application/trig": {"schema": {"type": "string"}}}}})
async def export_trig(ctx: ApiContext = Depends(get_context)) -> Response:
    """The same dataset as TriG, with the project prefixes."""
    return _download(await dump(ctx, "graph.trig"), "graph.trig")


def _download(body: bytes, name: str) -> Response:
    return Response(body, media_type=DUMPS[name],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/export/network/{projection}.{fmt}", summary="A network projection of the graph",
            response_class=Response,
            responses={200: {"content": {f.media_type: {"schema": {"type": "string"}} for f in NETWORK_FORMATS.values()}},
                       404: {"model": ErrorBody}})
async def export_network_file(projection: str, fmt: str, lang: str = Query("sv", pattern="^(sv|en)$"),
                              ctx: ApiContext = Depends(get_context)) -> Response:
    """The same networks as ``kg export network``: GraphML, GEXF, Cytoscape.js JSON, node-link JSON,
    CSV (zip), SVG, PNG or a self-contained HTML page. Projections: entities, agency-lever,
    agency-objective, agency-agency."""
    projections = list_projections(ctx.settings.queries_dir)
    if projection not in projections:
        raise ApiError(404, f"no projection '{projection}'. Projections: {', '.join(projections)}.")
    if fmt not in NETWORK_FORMATS:
        raise ApiError(404, f"no network format '{fmt}'. Formats: {', '.join(NETWORK_FORMATS)}.")
    async def export() -> tuple[bytes, str]:
        try:
            return await ctx.run(export_network, ctx.store, projection, fmt, lang,
                                 queries_dir=ctx.settings.queries_dir)
        except NetworkError as exc:
            raise ApiError(400, str(exc)) from exc

    body, media_type = await ctx.cached(f"network:{projection}.{fmt}:{lang}", export)
    filename = f"{projection}.{NETWORK_FORMATS[fmt].extension}"
    disposition = "inline" if fmt in ("svg", "png", "html") else "attachment"
    headers = {"Content-Disposition": f'{disposition}; filename="{filename}"'}
    if fmt in ("html", "svg"):
        # The network page is one self-contained file: its own inline script and style, nothing else.
        headers["Content-Security-Policy"] = SELF_CONTAINED_POLICY
    return Response(body, media_type=media_type, headers=headers)


@router.get("/health", summary="Liveness and size of the served graph")
async def health(ctx: ApiContext = Depends(get_context)) -> dict[str, object]:
    """``status``, number of quads, version, which store answers, the limits, and the sandbox's
    worker processes (how many, idle, busy, requests waiting, queue limit, replacements)."""
    quads = await ctx.run(len, ctx.store)
    limits = {"query_timeout_s": ctx.settings.query_timeout_s, "max_results": ctx.settings.query_row_limit}
    sandbox = None
    if ctx.sandbox is not None:
        sandbox = {k: v for k, v in dataclasses.asdict(ctx.sandbox.stats()).items() if k != "pids"}
    return {"status": "ok", "quads": quads, "version": ctx.settings.version,
            "store": type(ctx.store).__name__, "queries": len(ctx.catalogue), "limits": limits, "sandbox": sandbox}
