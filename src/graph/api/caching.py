"""HTTP caching for an immutable graph: strong ``ETag``, ``Cache-Control``, ``304`` and gzip.

The served graph does not change while the app runs, so the answer to a ``GET`` depends only
on the graph, the settings that shape answers, and the request's meaning: its path, its query
string (parameters in canonical order) and, where the answer is negotiated (``Vary: Accept``),
its ``Accept`` header. The entity tag is a digest of exactly those, so it is known before the
answer is computed: a matching ``If-None-Match`` gets ``304`` without running anything.

- A gzipped body is another representation, so its tag ends in ``-gzip`` (RFC 9110, 8.8.3).
- A tagged answer is kept whole, as sent (compressed or not), by the request's meaning and whether
  it accepts gzip (:class:`ResponseCache`): the same request again is answered from memory without
  running its route, so a repeated question costs less than ``/health``, which asks the store.
- ``If-None-Match`` uses the weak comparison (RFC 9110, 13.1.2): ``W/"x"`` matches ``"x"``.
- Only ``200`` answers carry validators; errors carry no caching headers, ``/health`` says
  ``no-store``, and so does a route for an answer that is not yet the one its address stands
  for (a first page served before its query was read whole).
- ``/static`` files keep the validators of :class:`~starlette.staticfiles.StaticFiles` (a tag of
  the file's size and time) and get the same ``Cache-Control``; a text file is gzipped when asked,
  once per version of the file (:class:`StaticGzip`), under its tag with ``-gzip``.
- A store whose content has no cheap digest (a remote endpoint, which may change under us) gets
  no validators at all; its answers are still compressed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.config import Settings
from graph.store import EmbeddedStore, GraphStore
from graph.store.sandbox import dump_nquads

#: Paths whose answers change while the graph does not (liveness, worker counts).
UNCACHED_PATHS = frozenset({"/health"})
#: Mounted files: StaticFiles gives them validators of their own (see :meth:`HttpCaching._static`).
STATIC_PREFIXES = ("/static/",)
#: Bodies smaller than this are sent as they are: gzip would save little and cost a round of CPU.
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6
#: Bodies from this size are compressed in a worker thread, off the event loop.
_THREAD_MIN_BYTES = 128 * 1024
_TEXTUAL = ("application/json", "application/xml", "application/javascript", "application/n-quads",
            "application/n-triples", "application/trig", "application/sparql-query")
_TAG_RE = re.compile(r'(?:W/)?"([^"]*)"')


def dataset_digest(store: GraphStore, dump: bytes | None = None) -> str | None:
    """Return a SHA-256 of the store's quads (its N-Quads lines, sorted), or ``None`` for a remote store.

    Computed once when the app starts (it reads every quad, so it grows with the graph), from
    ``dump`` when start-up has the store's N-Quads already (:func:`~graph.store.sandbox.dump_nquads`,
    shared with the sandbox's copy). Blank node labels are the store's own, so a graph with blank
    nodes gets another digest each time it is loaded: that costs cache hits, never a wrong answer.
    The shipped graph has none.

    >>> import pyoxigraph as ox
    >>> s, p = ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p")
    >>> one, two = ox.Store(), ox.Store()
    >>> one.extend([ox.Quad(s, p, ox.Literal("a")), ox.Quad(s, p, ox.Literal("b"))])
    >>> two.extend([ox.Quad(s, p, ox.Literal("b")), ox.Quad(s, p, ox.Literal("a"))])
    >>> dataset_digest(EmbeddedStore(one)) == dataset_digest(EmbeddedStore(two))
    True
    """
    if not isinstance(store, EmbeddedStore):
        return None
    lines = (dump_nquads(store.store) if dump is None else dump).split(b"\n")
    lines.sort()
    return hashlib.sha256(b"\n".join(lines)).hexdigest()


def validator_seed(digest: str | None, settings: Settings) -> str | None:
    """Return what every entity tag of this app starts from: the graph's digest and the settings
    that shape answers (version, public address, result cap), or ``None`` without a digest."""
    if digest is None:
        return None
    shaping = f"{digest}\n{settings.version}\n{settings.public_url}\n{settings.query_row_limit}"
    return hashlib.sha256(shaping.encode()).hexdigest()


def accepts_gzip(header: str | None) -> bool:
    """Return whether an ``Accept-Encoding`` header accepts gzip (q-values honoured).

    >>> accepts_gzip("gzip, deflate"), accepts_gzip("gzip;q=0, *"), accepts_gzip("*;q=0.5"), accepts_gzip(None)
    (True, False, True, False)
    """
    gzip: float | None = None
    anything: float | None = None
    for part in (header or "").split(","):
        name, *params = part.split(";")
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        coding = name.strip().lower()
        if coding in ("gzip", "x-gzip"):
            gzip = q
        elif coding == "*":
            anything = q
    chosen = gzip if gzip is not None else anything
    return chosen is not None and chosen > 0


def none_match(header: str | None) -> tuple[bool, frozenset[str]]:
    """Parse ``If-None-Match``: whether it is ``*``, and the opaque tags it lists (weak or strong).

    >>> star, tags = none_match('W/"a", "b-gzip"')
    >>> star, sorted(tags), none_match(" * ")[0]
    (False, ['a', 'b-gzip'], True)
    """
    text = (header or "").strip()
    return text == "*", frozenset(_TAG_RE.findall(text))


def compressible(content_type: str) -> bool:
    """Return whether a body of ``content_type`` is text that gzip shrinks (not PNG, zip …)."""
    media = content_type.partition(";")[0].strip().lower()
    return media.startswith("text/") or media.endswith(("+json", "+xml")) or media in _TEXTUAL


def request_tag(seed: str, scope: Scope, accept: str | None, day: dt.date | None = None) -> str:
    """Return the entity tag (without quotes or suffix) of a request's answer.

    ``accept`` is the request's ``Accept`` header for negotiated answers, ``None`` otherwise.
    ``day`` (default: today) is part of the meaning: a date parameter left out means ``today``,
    so the same address may answer otherwise tomorrow.
    """
    query = sorted(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    meaning = "\0".join([seed, (day or dt.date.today()).isoformat(), scope["path"], urlencode(query),
                         "" if accept is None else " ".join(accept.lower().split())])
    return hashlib.sha256(meaning.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ResponseCacheStats:
    """What the response cache holds and how it has been used."""

    entries: int
    bytes: int
    max_bytes: int
    hits: int
    misses: int


class ResponseCache:
    """Whole tagged answers as they were sent (status line, headers, body), by request key, least
    recently used dropped first, within ``max_bytes`` of bodies and headers (counted exactly).

    An answer larger than an eighth of the budget is not kept; ``max_bytes=0`` keeps nothing.

    >>> cache = ResponseCache(max_bytes=1000)
    >>> cache.keep("k", {"type": "http.response.start", "status": 200, "headers": []}, b"body")
    >>> cache.find("k")[1], cache.find("other"), cache.stats().hits
    (b'body', None, 1)
    """

    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._kept: OrderedDict[str, tuple[Message, bytes, int]] = OrderedDict()
        self._bytes = 0
        self._hits = 0
        self._misses = 0

    def find(self, key: str) -> tuple[Message, bytes] | None:
        """Return the start message and body kept under ``key``, or ``None``."""
        kept = self._kept.get(key)
        if kept is None:
            self._misses += 1
            return None
        self._kept.move_to_end(key)
        self._hits += 1
        return kept[0], kept[1]

    def keep(self, key: str, start: Message, body: bytes) -> None:
        """Keep an answer that was sent, unless it would take more than an eighth of the budget."""
        size = len(body) + sum(len(k) + len(v) for k, v in start.get("headers", []))
        if size > self.max_bytes // 8 or key in self._kept:
            return
        self._kept[key] = (start, body, size)
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, (_, _, dropped) = self._kept.popitem(last=False)
            self._bytes -= dropped

    def stats(self) -> ResponseCacheStats:
        """Return the current counts and bound."""
        return ResponseCacheStats(len(self._kept), self._bytes, self.max_bytes, self._hits, self._misses)


class HttpCaching:
    """ASGI middleware: validators, ``Cache-Control`` and ``304`` for ``GET``; gzip for every answer.

    Sits inside :class:`graph.api.http.ProtocolMiddleware`, which answers ``HEAD`` as a ``GET``.
    """

    def __init__(self, app: ASGIApp, *, seed: str | None, max_age_s: int, responses: ResponseCache,
                 gzip_min_bytes: int = GZIP_MIN_BYTES) -> None:
        self.app = app
        self.seed = seed
        self.cache_control = f"public, max-age={max_age_s}"
        self.responses = responses
        self.gzip_min_bytes = gzip_min_bytes
        self.static_gzip = StaticGzip()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(STATIC_PREFIXES):
            await self._static(scope, receive, send)
            return
        headers = Headers(scope=scope)
        gzip_ok = accepts_gzip(headers.get("accept-encoding"))
        accept = headers.get("accept", "")
        any_tag, tags = none_match(headers.get("if-none-match"))
        cacheable = self.seed is not None and scope["method"] == "GET" and scope["path"] not in UNCACHED_PATHS
        if cacheable and tags and await self._answer_early(scope, send, accept, tags, gzip_ok):
            return
        key = None
        if cacheable:
            assert self.seed is not None
            # The whole Accept header is part of the key, negotiated or not: never a wrong answer.
            key = request_tag(self.seed, scope, accept) + ("-gzip" if gzip_ok else "")
            kept = self.responses.find(key) if self.responses.max_bytes else None
            if kept is not None:
                await self._send_kept(send, *kept, any_tag=any_tag, tags=tags)
                return

        start: Message = {}
        chunks: list[bytes] = []

        async def buffered(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._finish(scope, send, start, b"".join(chunks), gzip_ok=gzip_ok,
                                       accept=accept if cacheable else None, any_tag=any_tag, tags=tags, key=key)
            else:
                await send(message)

        await self.app(scope, receive, buffered)

    async def _answer_early(self, scope: Scope, send: Send, accept: str, tags: frozenset[str],
                            gzip_ok: bool) -> bool:
        """Answer ``304`` before the route runs when the client's tag is certainly the current one.

        The same request meaning always gives the same body, so a client holding the ``-gzip``
        tag and accepting gzip would get that body again; one holding the plain tag while
        accepting gzip may hold a small body or an older identity copy: the route decides.
        """
        assert self.seed is not None
        for negotiated in (True, False):
            tag = request_tag(self.seed, scope, accept if negotiated else None)
            current = f"{tag}-gzip" if gzip_ok else tag
            if current in tags:
                vary = ["Accept", "Accept-Encoding"] if negotiated else ["Accept-Encoding"]
                await self._not_modified(send, [("etag", f'"{current}"'), ("cache-control", self.cache_control),
                                                ("vary", ", ".join(vary))])
                return True
        return False

    async def _send_kept(self, send: Send, start: Message, body: bytes, *, any_tag: bool,
                         tags: frozenset[str]) -> None:
        """Send a kept answer again, or ``304`` when the client holds it."""
        tag = _TAG_RE.findall(Headers(raw=start["headers"]).get("etag", ""))
        if any_tag or (tag and tag[0] in tags):
            await self._not_modified(send, _cache_fields(start["headers"]))
            return
        await send({**start, "headers": list(start["headers"])})  # outer middleware may add to the list
        await send({"type": "http.response.body", "body": body})

    async def _finish(self, scope: Scope, send: Send, start: Message, body: bytes, *, gzip_ok: bool,
                      accept: str | None, any_tag: bool, tags: frozenset[str], key: str | None) -> None:
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        status = int(start["status"])
        textual = compressible(headers.get("content-type", "")) and "content-encoding" not in headers
        if textual:
            headers.add_vary_header("Accept-Encoding")
        gzipped = textual and gzip_ok and len(body) >= self.gzip_min_bytes
        tag = None
        # A route says no-store for an answer that is not the one its address stands for (a page
        # served before its query was read whole): it gets no validators.
        if accept is not None and status == 200 and headers.get("cache-control") != "no-store":
            assert self.seed is not None
            negotiated = "accept" in {v.strip().lower() for v in headers.get("vary", "").split(",")}
            tag = request_tag(self.seed, scope, accept if negotiated else None) + ("-gzip" if gzipped else "")
            headers["ETag"] = f'"{tag}"'
            headers["Cache-Control"] = self.cache_control
            if any_tag or tag in tags:
                await self._not_modified(send, _cache_fields(headers.raw))
                return
        elif scope["path"] in UNCACHED_PATHS and status == 200:
            headers["Cache-Control"] = "no-store"
        if gzipped:
            body = await _gzip(body)
            headers["Content-Encoding"] = "gzip"
            headers["Content-Length"] = str(len(body))
        if tag is not None and key is not None:
            self.responses.keep(key, {**start, "headers": list(headers.raw)}, body)
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})

    async def _static(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a mounted file as StaticFiles does, with ``Cache-Control``, and gzipped when asked
        and worth it. StaticFiles compares ``If-None-Match`` with the file's own tag, so a client's
        ``-gzip`` tag reaches it without the suffix, and its ``304`` carries the suffix back."""
        request = Headers(scope=scope)
        gzip_ok = accepts_gzip(request.get("accept-encoding"))
        asked_gzipped = gzip_ok and "-gzip\"" in request.get("if-none-match", "")
        if asked_gzipped:
            scope = {**scope, "headers": [(k, v.replace(b'-gzip"', b'"') if k == b"if-none-match" else v)
                                          for k, v in scope["headers"]]}
        start: Message = {}
        chunks: list[bytes] = []

        async def passed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                status = int(message["status"])
                textual = compressible(headers.get("content-type", ""))
                if status in (200, 304):
                    headers["Cache-Control"] = self.cache_control
                if textual or status == 304:
                    headers.add_vary_header("Accept-Encoding")
                if status == 304 and asked_gzipped and (tag := headers.get("etag", "")).endswith('"'):
                    headers["ETag"] = tag[:-1] + '-gzip"'
                message = {**message, "headers": headers.raw}
                length = int(headers.get("content-length", "0") or 0)
                if status == 200 and textual and gzip_ok and length >= self.gzip_min_bytes:
                    start.update(message)  # the body is gzipped once it is read whole
                    return
                await send(message)
            elif message["type"] == "http.response.body" and start:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._send_gzipped_file(send, start, b"".join(chunks), scope["path"])
            else:
                await send(message)

        await self.app(scope, receive, passed)

    async def _send_gzipped_file(self, send: Send, start: Message, body: bytes, path: str) -> None:
        headers = MutableHeaders(raw=list(start["headers"]))
        tag = headers.get("etag", "")
        gzipped = await self.static_gzip.get(path, tag, body)
        if tag.endswith('"'):
            headers["ETag"] = tag[:-1] + '-gzip"'
        headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(gzipped))
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": gzipped})

    @staticmethod
    async def _not_modified(send: Send, fields: Iterable[tuple[str, str]]) -> None:
        await send({"type": "http.response.start", "status": 304,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in fields]})
        await send({"type": "http.response.body", "body": b""})


#: What a 304 repeats of the 200 it stands for (RFC 9110, 15.4.5).
_NOT_MODIFIED_FIELDS = frozenset({b"etag", b"cache-control", b"vary", b"content-location", b"expires", b"date"})


def _cache_fields(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw if k.lower() in _NOT_MODIFIED_FIELDS]


class StaticGzip:
    """The gzipped body of each served file, by path and the file's tag (its size and time), so
    a file is compressed once per version. A fixed set of package files: at most
    :attr:`max_entries` are kept, the oldest dropped first."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._bodies: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    async def get(self, path: str, tag: str, body: bytes) -> bytes:
        """Return ``body`` gzipped, compressing it only if this version was not seen before."""
        key = (path, tag)
        gzipped = self._bodies.get(key)
        if gzipped is None or not tag:
            gzipped = await _gzip(body)
            if tag:
                self._bodies[key] = gzipped
                while len(self._bodies) > self.max_entries:
                    self._bodies.popitem(last=False)
        return gzipped


async def _gzip(body: bytes) -> bytes:
    """Compress ``body`` deterministically (no timestamp), off the event loop when it is large."""
    if len(body) < _THREAD_MIN_BYTES:
        return _compress(body)
    return await anyio.to_thread.run_sync(_compress, body)


def _compress(body: bytes) -> bytes:
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip framing, mtime 0
    return compressor.compress(body) + compressor.flush()
