"""``/health``: liveness and size of the served graph."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from graph.api.context import ApiContext, get_context

router = APIRouter(tags=["operations"])


@router.get("/health", summary="Liveness and size of the served graph")
async def health(ctx: ApiContext = Depends(get_context)) -> dict[str, object]:
    """``status``, number of quads, version, and which store answers."""
    quads = await ctx.run(len, ctx.store)
    return {"status": "ok", "quads": quads, "version": ctx.settings.version,
            "store": type(ctx.store).__name__, "queries": len(ctx.catalogue)}
