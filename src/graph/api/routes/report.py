"""``/validate`` (the SHACL report as JSON or HTML) and ``/report`` (validation and coverage, for people)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from graph.api import views
from graph.api.context import ApiContext, get_context
from graph.api.errors import ApiError, ErrorBody
from graph.api.routes.pages import LangQuery, page
from graph.negotiate import choose
from graph.queries import Language
from graph.wording import count

router = APIRouter(tags=["operations"])


@router.get("/validate", summary="SHACL validation report (JSON or HTML)",
            responses={200: {"content": {"application/json": {}, "text/html": {}}},
                       406: {"model": ErrorBody}, 503: {"model": ErrorBody}})
async def validate(request: Request, lang: Language = LangQuery,
                   ctx: ApiContext = Depends(get_context)) -> Response:
    """The SHACL report of the served graph: ``conforms`` and every result."""
    chosen = choose(request.headers.get("accept"), ["application/json", "text/html"])
    if chosen is None:
        raise ApiError(406, "the report is available as application/json or text/html.")
    report = await views.validation_report(ctx)
    if chosen == "text/html":
        answer = page(request, "report.html", validation=report, counts_text=counts_text(report, lang),
                      coverage=await views.coverage_report(ctx, lang))
        answer.headers["Vary"] = "Accept"
        return answer
    return JSONResponse(report, headers={"Vary": "Accept"})


@router.get("/report", summary="Validation and coverage report page", tags=["pages"],
            response_class=Response, responses={200: {"content": {"text/html": {}}}})
async def report_page(request: Request, lang: Language = LangQuery,
                      curated: bool = Query(False, description="also show the curators' own aspect → objective "
                                                               "links (never a source's; off by default)"),
                      ctx: ApiContext = Depends(get_context)) -> Response:
    """The SHACL report and per-entity coverage, for people."""
    report = await views.validation_report(ctx)
    return page(request, "report.html", validation=report, counts_text=counts_text(report, lang),
                coverage=await views.coverage_report(ctx, lang, curated))


def counts_text(report: dict[str, Any] | None, lang: str) -> str:
    """The report's counts in words: ``0 violations, 46 warnings, 3 infos`` (or in Swedish)."""
    return ", ".join(count(n, severity.lower(), lang) for severity, n in (report or {}).get("counts", {}).items())
