"""The HTTP edge: turn library errors into 4xx/503 JSON (or HTML for browsers) with a clear message."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph.errors import (
    BuildError,
    EndpointError,
    GraphError,
    QueryError,
    QueryLimitExceeded,
    QueryRefused,
    ResultNotAcceptable,
)
from graph.queries import PATTERN_FORMS

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """The JSON body of every error answer."""

    error: str
    message: str
    status: int
    parameter: str | None = None
    line: int | None = None
    column: int | None = None


class ApiError(Exception):
    """An error the API answers directly, with its status code."""

    def __init__(self, status: int, message: str, *, parameter: str | None = None,
                 headers: dict[str, str] | None = None, kind: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameter = parameter
        self.headers = headers or {}
        self.kind = kind or _REASONS.get(status, "Error")


_REASONS = {400: "BadRequest", 404: "NotFound", 405: "MethodNotAllowed", 406: "NotAcceptable",
            413: "TooLarge", 415: "UnsupportedMediaType", 422: "InvalidParameter", 503: "Unavailable"}


def status_for(exc: GraphError) -> int:
    """Return the HTTP status for a library error."""
    if isinstance(exc, ResultNotAcceptable):
        return 406
    if isinstance(exc, QueryLimitExceeded):
        return 400 if exc.reason == "rows" else 503
    if isinstance(exc, QueryRefused):
        return 403
    if isinstance(exc, QueryError):
        return 400
    if isinstance(exc, EndpointError):
        return 503
    if isinstance(exc, BuildError):
        return 500
    return 400


def error_response(status: int, kind: str, message: str, *, headers: dict[str, str] | None = None,
                   **extra: object) -> Response:
    """Return the JSON error answer."""
    body = ErrorBody(error=kind, message=message, status=status, **extra)  # type: ignore[arg-type]
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


async def _graph_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GraphError)
    status = status_for(exc)
    headers = {"Retry-After": "5"} if status == 503 else None
    extra: dict[str, object] = {}
    if isinstance(exc, QueryError) and exc.line is not None:
        extra = {"line": exc.line, "column": exc.column}
    log.info("%s %s -> %d %s", request.method, request.url.path, status, exc)
    return error_response(status, type(exc).__name__, str(exc), headers=headers, **extra)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.kind, exc.message, headers=exc.headers, parameter=exc.parameter)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail)
    if exc.status_code == 405:
        from graph.api.http import allowed_methods
        message = f"{request.method} is not allowed here. Use {', '.join(allowed_methods(request.scope))}."
    if exc.status_code == 404:
        message = f"nothing at {request.url.path}. See / for what this service offers."
    return error_response(exc.status_code, _REASONS.get(exc.status_code, "Error"), message,
                          headers=dict(exc.headers or {}))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path", "header")]
    name = loc[0] if loc else None
    message = f"parameter '{name}': {first.get('msg', 'invalid value')}." if name else str(first.get("msg"))
    form = PATTERN_FORMS.get(str((first.get("ctx") or {}).get("pattern")))
    if name and form:
        message = f"parameter '{name}' must be {form}, not {first.get('input')!r}."
    return error_response(422, "InvalidParameter", message, parameter=name)


async def _unexpected(request: Request, exc: Exception) -> Response:
    # The one broad catch: the HTTP edge never answers with a bare 500 page.
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "InternalError", "unexpected error; the server log has the details.")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that map errors to answers."""
    app.add_exception_handler(GraphError, _graph_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
