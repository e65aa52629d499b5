"""``/favicon.ico``: the site's icon where browsers look for it (the pages also link ``/static/favicon.svg``)."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(include_in_schema=False)
ICON = resources.files("graph.api") / "static" / "favicon.svg"


@router.get("/favicon.ico")
async def favicon() -> Response:
    """The icon, as SVG (every current browser takes an SVG icon at this path)."""
    return Response(ICON.read_bytes(), media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
