"""``/docs``: Swagger UI over ``/openapi.json``, served by the app itself (no CDN, works offline).

Swagger UI 5 (it reads OpenAPI 3.1) comes from the ``fastapi-offline`` distribution, which ships
its ``swagger-ui-bundle.js`` and ``swagger-ui.css``; the app serves them under
:data:`SWAGGER_UI_PATH`. The page starts Swagger UI from ``/static/docs.js``, not an inline
script, so it keeps the pages' Content-Security-Policy.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from graph.api.routes.pages import page

#: Where the app serves Swagger UI's files, and the package folder they come from.
SWAGGER_UI_PATH = "/static/swagger-ui"
SWAGGER_UI_PACKAGE = ("fastapi_offline", "static")

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
async def docs(request: Request) -> HTMLResponse:
    """Swagger UI: every operation of ``/openapi.json``, to read and try."""
    return page(request, "docs.html", swagger_ui=SWAGGER_UI_PATH)


def swagger_ui_files() -> StaticFiles:
    """Return the app that serves Swagger UI's files (mount it at :data:`SWAGGER_UI_PATH`)."""
    return StaticFiles(packages=[SWAGGER_UI_PACKAGE])
