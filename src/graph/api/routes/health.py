"""``/health``: liveness and size of the served graph."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Depends

from graph.api.context import ApiContext, get_context
from graph.summary import dataset_size

router = APIRouter(tags=["operations"])


@router.get("/health", summary="Liveness and size of the served graph")
async def health(ctx: ApiContext = Depends(get_context)) -> dict[str, object]:
    """``status``, size (``quads``: the statements of every named graph; ``named_graphs``; and
    ``size``, the two in words, as the home page shows them), version, which store answers, the
    limits, and the sandbox's worker processes (how many, idle, busy, requests waiting, queue limit, replacements), and the
    answer cache (entries, bytes, bounds, hits, misses; ``null`` when off), and the response cache
    (entries, bytes, bound, hits, misses)."""
    size = await ctx.run(dataset_size, ctx.store)  # asked each time: it also shows the store answers
    limits = {"query_timeout_s": ctx.settings.query_timeout_s, "max_results": ctx.settings.query_row_limit}
    sandbox = None
    if ctx.sandbox is not None:
        sandbox = {k: v for k, v in dataclasses.asdict(ctx.sandbox.stats()).items() if k != "pids"}
    answers = None if ctx.answers is None else dataclasses.asdict(ctx.answers.stats())
    responses = None if ctx.responses is None else dataclasses.asdict(ctx.responses.stats())
    return {"status": "ok", "quads": size.statements, "named_graphs": size.graphs, "size": size.describe(),
            "version": ctx.settings.version, "store": type(ctx.store).__name__,
            "queries": len(ctx.catalogue), "limits": limits, "sandbox": sandbox, "answer_cache": answers,
            "response_cache": responses}
