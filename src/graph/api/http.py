"""HTTP as clients expect it, for every route at once: HEAD, OPTIONS, ``Allow``, security headers.

- ``HEAD`` works wherever ``GET`` does: the request is answered as a ``GET`` without its body.
- ``OPTIONS`` (not a CORS preflight, which :class:`starlette.middleware.cors.CORSMiddleware`
  answers) gets ``204`` with the methods the path really takes in ``Allow``; so does every
  ``405``, whichever route the router tried first.
- Every answer carries ``X-Content-Type-Options: nosniff``; HTML pages also a
  Content-Security-Policy that loads only the service's own files and forbids framing
  (a route may set its own policy, as the self-contained network page does).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The policy of HTML pages: only the service's own scripts, styles and images; never framed.
PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
               "form-action 'self'; frame-ancestors 'none'")
#: The policy of the query page: the vendored editor (YASGUI) is the service's own file too; it
#: asks only this service (``connect-src 'self'``), so a query typed there never leaves it. It sets
#: inline styles (sizes of the editor and table columns), so styles may be inline; scripts may not.
EDITOR_POLICY = ("default-src 'self'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
                 "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
                 "frame-ancestors 'none'")


class ProtocolMiddleware:
    """Answer HEAD and OPTIONS for every route, fix ``Allow``, add the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "OPTIONS":
            await self._options(scope, send)
            return
        if method == "HEAD":
            scope = {**scope, "method": "GET"}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if headers.get("content-type", "").startswith("text/html") \
                        and "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = PAGE_POLICY
                if message["status"] == 405:
                    headers["Allow"] = ", ".join(allowed_methods(scope))
            elif message["type"] == "http.response.body" and method == "HEAD":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _options(self, scope: Scope, send: Send) -> None:
        methods = allowed_methods(scope)
        status = 204 if len(methods) > 1 else 404
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"allow", ", ".join(methods).encode()), (b"x-content-type-options", b"nosniff")]})
        await send({"type": "http.response.body", "body": b""})


_PROBED = ("GET", "POST", "PUT", "DELETE", "PATCH")


def allowed_methods(scope: Scope) -> list[str]:
    """Return the methods the request's path takes, HEAD with GET, and OPTIONS.

    Each method is tried against the app's routes as the router would (routers may nest, so
    their route lists are not read); a mounted folder of files takes GET only.
    """
    routes = list(getattr(getattr(scope.get("app"), "router", None), "routes", []))
    found = []
    for method in _PROBED:
        probe = {**scope, "method": method}
        for route in routes:
            if route.matches(probe)[0] == Match.FULL:
                if not isinstance(route, Mount) or method == "GET":
                    found.append(method)
                break
    if "GET" in found:
        found.insert(1, "HEAD")
    return found + ["OPTIONS"]
