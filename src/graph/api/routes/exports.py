"""Downloads: the whole dataset (``/export/graph.nq``, ``/export/graph.trig``) and network projections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from graph.api import views
from graph.api.context import ApiContext, get_context
from graph.api.errors import ApiError, ErrorBody
from graph.api.routes.pages import LangQuery
from graph.errors import NetworkError
from graph.formats import DATASET_FILES
from graph.network import FORMATS as NETWORK_FORMATS
from graph.network import build_network, list_projections, write_network
from graph.queries import Language

if TYPE_CHECKING:
    import networkx as nx

#: The policy of a self-contained file (the network page, SVG pictures): inline code only, no fetches.
SELF_CONTAINED_POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                         "img-src data:; frame-ancestors 'none'")

router = APIRouter(tags=["operations"])
ColourQuery = Query("type", description="colour nodes by node type or by Louvain community "
                                        "(GEXF, cytoscape-style, svg, png, html)")
FocusQuery = Query(None, description="html only: the IRI of a node to select when the page opens")


@router.get("/export/graph.nq", summary="The whole dataset as N-Quads", response_class=Response,
            responses={200: {"content": {"application/n-quads": {"schema": {"type": "string"}}}}})
async def export_nquads(ctx: ApiContext = Depends(get_context)) -> Response:
    """Every quad: one named graph per source file, plus the derived graph and the metadata graph."""
    return _download(await views.dump(ctx, "graph.nq"), "graph.nq")


@router.get("/export/graph.trig", summary="The whole dataset as TriG", response_class=Response,
            responses={200: {"content": {"application/trig": {"schema": {"type": "string"}}}}})
async def export_trig(ctx: ApiContext = Depends(get_context)) -> Response:
    """The same dataset as TriG, with the project prefixes."""
    return _download(await views.dump(ctx, "graph.trig"), "graph.trig")


def _download(body: bytes, name: str) -> Response:
    return Response(body, media_type=DATASET_FILES[name].media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/export/network/{projection}.{fmt}", summary="A network projection of the graph",
            response_class=Response,
            responses={200: {"content": {f.media_type: {"schema": {"type": "string"}} for f in NETWORK_FORMATS.values()}},
                       400: {"model": ErrorBody}, 404: {"model": ErrorBody}})
async def export_network_file(projection: str, fmt: str, lang: Language = LangQuery,
                              colour: Literal["type", "community"] = ColourQuery, focus: str | None = FocusQuery,
                              ctx: ApiContext = Depends(get_context)) -> Response:
    """The same networks as ``kg export network``: GraphML, GEXF, Cytoscape.js JSON and its style
    (``cytoscape-style``), node-link JSON, CSV (zip), SVG, PNG or a self-contained HTML page, every
    one with the same node positions. Projections: entities, agency-lever, agency-objective,
    agency-agency. The HTML page selects the node ``focus`` names (its own script reads the address)."""
    projections = list_projections(ctx.settings.queries_dir)
    if projection not in projections:
        raise ApiError(404, f"no projection '{projection}'. Projections: {', '.join(projections)}.")
    if fmt not in NETWORK_FORMATS:
        raise ApiError(404, f"no network format '{fmt}'. Formats: {', '.join(NETWORK_FORMATS)}.")
    if focus is not None and fmt != "html":
        raise ApiError(400, f"focus selects a node in the html page only; drop it for {fmt}.", parameter="focus")

    # As export_network does, in two steps: a projection is built once per language (its
    # queries, measures and layout are most of the cost), then written in each format asked for.
    async def network() -> nx.Graph:
        try:
            return await ctx.run(build_network, ctx.store, projection, lang, queries_dir=ctx.settings.queries_dir,
                                 whole_graph=True)
        except NetworkError as exc:
            raise ApiError(400, str(exc)) from exc

    async def export() -> tuple[bytes, str]:
        graph = await ctx.cached(f"network:{projection}:{lang}", network)
        return await ctx.run(write_network, graph, fmt, colour, whole_graph=True)

    body, media_type = await ctx.cached(f"network:{projection}.{fmt}:{lang}:{colour}", export)
    filename = f"{projection}.{NETWORK_FORMATS[fmt].extension}"
    disposition = "inline" if fmt in ("svg", "png", "html") else "attachment"
    headers = {"Content-Disposition": f'{disposition}; filename="{filename}"'}
    if fmt in ("html", "svg"):
        # The network page is one self-contained file: its own inline script and style, nothing else.
        headers["Content-Security-Policy"] = SELF_CONTAINED_POLICY
    return Response(body, media_type=media_type, headers=headers)
