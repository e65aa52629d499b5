"""Negotiate and write query results over HTTP, in the formats of :mod:`graph.formats`."""

from __future__ import annotations

from fastapi.responses import Response

from graph.api.errors import ApiError
from graph.api.negotiate import choose
from graph.formats import GRAPH_FORMATS, RESULT_FORMATS, ResultFormat, formats_for
from graph.results import serialize_result
from graph.store import QueryResult

SD = "http://www.w3.org/ns/sparql-service-description#"
RESULT_OFFERS = [f.media_type for f in RESULT_FORMATS.values()]
GRAPH_OFFERS = [f.media_type for f in GRAPH_FORMATS.values()]
ALL_OFFERS = RESULT_OFFERS + GRAPH_OFFERS


def format_iris() -> list[str]:
    """Return the W3C format IRIs of every format the endpoint writes (for ``sd:resultFormat``)."""
    return [f.iri for f in (*RESULT_FORMATS.values(), *GRAPH_FORMATS.values()) if f.iri is not None]


def negotiate(result: QueryResult, accept: str | None) -> ResultFormat:
    """Return the format ``accept`` prefers for ``result``.

    Raises:
        ApiError: 406 when the client accepts none of the formats that can carry the result.
    """
    formats = formats_for(result.kind)
    chosen = choose(accept, [f.media_type for f in formats.values()])
    if chosen is None:
        offered = ", ".join(f.media_type for f in formats.values())
        raise ApiError(406, f"cannot answer with {accept!r}; this result can be sent as {offered}.")
    return next(f for f in formats.values() if f.media_type == chosen)


def media_type_header(fmt: ResultFormat) -> str:
    """Return the Content-Type for ``fmt``, with ``charset=utf-8`` on textual types."""
    binary = fmt.media_type.endswith("+json") or fmt.media_type.endswith("+xml")
    return fmt.media_type if binary else f"{fmt.media_type}; charset=utf-8"


def respond(result: QueryResult, accept: str | None, *, headers: dict[str, str] | None = None) -> Response:
    """Serialise ``result`` in the negotiated format as an HTTP answer (``Vary: Accept``)."""
    fmt = negotiate(result, accept)
    return Response(serialize_result(result, fmt.name), media_type=media_type_header(fmt),
                    headers={"Vary": "Accept", **(headers or {})})
