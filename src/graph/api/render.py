"""Negotiate and write query results over HTTP, in the formats of :mod:`graph.formats`."""

from __future__ import annotations

from fastapi.responses import Response

from graph.formats import GRAPH_FORMATS, RESULT_FORMATS, ResultFormat
from graph.results import Serialized, serialize_for
from graph.store import QueryResult

SD = "http://www.w3.org/ns/sparql-service-description#"
RESULT_OFFERS = [f.media_type for f in RESULT_FORMATS.values()]
GRAPH_OFFERS = [f.media_type for f in GRAPH_FORMATS.values()]
ALL_OFFERS = RESULT_OFFERS + GRAPH_OFFERS


def format_iris() -> list[str]:
    """Return the W3C format IRIs of every format the endpoint writes (for ``sd:resultFormat``)."""
    return [f.iri for f in (*RESULT_FORMATS.values(), *GRAPH_FORMATS.values()) if f.iri is not None]


def media_type_header(fmt: ResultFormat) -> str:
    """Return the Content-Type for ``fmt``, with ``charset=utf-8`` on textual types."""
    binary = fmt.media_type.endswith("+json") or fmt.media_type.endswith("+xml")
    return fmt.media_type if binary else f"{fmt.media_type}; charset=utf-8"


def respond(result: QueryResult | Serialized, accept: str | None, *,
            headers: dict[str, str] | None = None) -> Response:
    """Answer with ``result`` in the negotiated format (``Vary: Accept``); a result already
    written (by a sandbox worker) goes out as it is.

    Raises:
        ResultNotAcceptable: the client accepts none of the formats that can carry the result (406).
    """
    written = result if isinstance(result, Serialized) else serialize_for(result, accept)
    return Response(written.body, media_type=media_type_header(written.format),
                    headers={"Vary": "Accept", **(headers or {})})
