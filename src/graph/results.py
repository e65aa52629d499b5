"""Serialise a :class:`~graph.store.QueryResult` in every format the CLI and the API offer.

SELECT and ASK answers go out as the W3C SPARQL results formats (JSON, XML, CSV,
TSV) or as an aligned ``table`` for a terminal; CONSTRUCT and DESCRIBE answers as
Turtle, N-Triples, JSON-LD or RDF/XML (written by pyoxigraph). The HTTP API and the
CLI both use :func:`serialize_result` and the formats of :mod:`graph.formats`.

Example:
    >>> import pyoxigraph as ox
    >>> from graph.store import QueryResult
    >>> result = QueryResult("select", ["x"], [(ox.NamedNode("https://w3id.org/mmr-kg/id/a"),)])
    >>> serialize_result(result, "tsv")
    b'?x\\n<https://w3id.org/mmr-kg/id/a>\\n'
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) writes a str with

import pyoxigraph as ox

from graph.errors import QueryError, ResultNotAcceptable
from graph.formats import GRAPH_FORMATS, ResultFormat, formats_for
from graph.namespaces import PREFIXES, compact
from graph.negotiate import choose
from graph.store import QueryResult, Term
from graph.textable import render_table

_XSD_STRING = PREFIXES["xsd"] + "string"
_SRX_NS = "http://www.w3.org/2005/sparql-results#"
# Character references survive XML's line-end normalisation and parsers that trim text. (Not
# xml.sax.saxutils: it imports urllib.request, http.client and ssl, a third of `kg query`'s start.)
_XML_WHITESPACE = {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_XML_MARKUP = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", **_XML_WHITESPACE})
_XML_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", **_XML_WHITESPACE})


@dataclass(frozen=True)
class Serialized:
    """A result already written in the format a client asked for (plain data: it crosses processes)."""

    kind: str
    format_name: str
    body: bytes

    @property
    def format(self) -> ResultFormat:
        """The format the body is written in."""
        return formats_for(self.kind)[self.format_name]


def negotiate_format(kind: str, accept: str | None) -> ResultFormat | None:
    """Return the format ``accept`` prefers among those that carry a ``kind`` result, or ``None``.

    >>> negotiate_format("select", "text/csv;q=0.5, application/sparql-results+xml").name
    'xml'
    """
    formats = formats_for(kind)
    chosen = choose(accept, [f.media_type for f in formats.values()])
    return next((f for f in formats.values() if f.media_type == chosen), None)


def serialize_for(result: QueryResult, accept: str | None) -> Serialized:
    """Write ``result`` in the format ``accept`` prefers.

    Raises:
        ResultNotAcceptable: the client accepts none of the formats that can carry the result.
    """
    fmt = negotiate_format(result.kind, accept)
    if fmt is None:
        offered = ", ".join(f.media_type for f in formats_for(result.kind).values())
        raise ResultNotAcceptable(f"cannot answer with {accept!r}; this result can be sent as {offered}.")
    return Serialized(result.kind, fmt.name, serialize_result(result, fmt.name))


def serialize_result(result: QueryResult, format_name: str) -> bytes:
    """Serialise ``result`` in the named format, UTF-8 encoded.

    Args:
        result: a SELECT, ASK or graph (CONSTRUCT/DESCRIBE) result.
        format_name: a key of :data:`RESULT_FORMATS` (SELECT/ASK) or :data:`GRAPH_FORMATS` (graphs).

    Returns:
        The serialised bytes.

    Raises:
        QueryError: the format does not fit the kind of result; the message lists those that do.
    """
    formats = formats_for(result.kind)
    if format_name not in formats:
        kind = "CONSTRUCT/DESCRIBE" if result.kind == "graph" else "SELECT/ASK"
        raise QueryError(f"format '{format_name}' cannot carry a {kind} result. "
                         f"Use one of: {', '.join(formats)}.")
    if result.kind == "graph":
        return serialize_triples(result.triples, format_name)
    return _WRITERS[format_name](result).encode("utf-8")


def serialize_triples(triples: Iterable[ox.Triple], format_name: str) -> bytes:
    """Serialise triples in a :data:`GRAPH_FORMATS` format with the project prefixes that they use."""
    items = list(triples)
    rdf_format = GRAPH_FORMATS[format_name].format
    assert isinstance(rdf_format, ox.RdfFormat)
    body = ox.serialize(items, format=rdf_format, prefixes=_used_prefixes(items))
    assert body is not None, "serialize returns the bytes when given no output"
    return body


def _used_prefixes(triples: list[ox.Triple]) -> dict[str, str]:
    iris = {t.value for triple in triples for t in (triple.subject, triple.predicate, triple.object)
            if isinstance(t, ox.NamedNode)}
    iris |= {t.object.datatype.value for t in triples if isinstance(t.object, ox.Literal)}
    return {name: ns for name, ns in PREFIXES.items() if any(iri.startswith(ns) for iri in iris)}


def _json_term(term: Term) -> str:
    """The JSON text of one term (keys in the W3C order: type, value, then xml:lang or datatype)."""
    if isinstance(term, ox.NamedNode):
        return '{"type":"uri","value":' + encode_basestring(term.value) + "}"
    if isinstance(term, ox.BlankNode):
        return '{"type":"bnode","value":' + encode_basestring(term.value) + "}"
    text = '{"type":"literal","value":' + encode_basestring(term.value)
    if term.language:
        return text + ',"xml:lang":' + encode_basestring(term.language) + "}"
    if term.datatype.value != _XSD_STRING:
        return text + ',"datatype":' + encode_basestring(term.datatype.value) + "}"
    return text + "}"


def _once_per_term(write: Callable[[Term], str]) -> Callable[[Term], str]:
    """Return ``write`` keeping the text of each term it has written: answers repeat their IRIs
    and labels row after row."""
    written: dict[Term, str] = {}

    def text(term: Term) -> str:
        found = written.get(term)
        if found is None:
            found = written[term] = write(term)
        return found

    return text


def _json_text(value: object) -> str:
    # Compact separators keep json's C encoder (``indent`` falls back to the pure-Python one).
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _write_json(result: QueryResult) -> str:
    """The SPARQL JSON document, as ``json.dumps`` of the whole would write it, but each distinct
    term encoded once (:func:`_once_per_term`)."""
    if result.kind == "ask":
        return _json_text({"head": {}, "boolean": bool(result.boolean)}) + "\n"
    term_text = _once_per_term(_json_term)
    keys = [_json_text(var) + ":" for var in result.variables]
    bindings = ",".join("{" + ",".join(key + term_text(term) for key, term in zip(keys, row, strict=True)
                                       if term is not None) + "}" for row in result.rows)
    return '{"head":' + _json_text({"vars": list(result.variables)}) + ',"results":{"bindings":[' + bindings + "]}}\n"


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{term.value.translate(_XML_MARKUP)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{term.value.translate(_XML_MARKUP)}</bnode>"
    if term.language:
        attr = f" xml:lang={_xml_attribute(term.language)}"
    elif term.datatype.value != _XSD_STRING:
        attr = f" datatype={_xml_attribute(term.datatype.value)}"
    else:
        attr = ""
    return f"<literal{attr}>{_xml_text(term.value)}</literal>"


def _xml_attribute(value: str) -> str:
    return '"' + value.translate(_XML_ATTRIBUTE) + '"'


def _xml_text(value: str) -> str:
    text = value.translate(_XML_TEXT)
    core = text.strip(" ")
    if not core:
        return "&#32;" * len(text)
    lead = text.index(core)
    return "&#32;" * lead + core + "&#32;" * (len(text) - lead - len(core))


def _write_xml(result: QueryResult) -> str:
    """The SPARQL XML document, each distinct term written once (:func:`_once_per_term`)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sparql xmlns="{_SRX_NS}">']
    if result.kind == "ask":
        out += ["<head/>", f"<boolean>{'true' if result.boolean else 'false'}</boolean>"]
    else:
        out.append("<head>" + "".join(f"<variable name={_xml_attribute(v)}/>" for v in result.variables) + "</head>")
        out.append("<results>")
        term_text = _once_per_term(_xml_term)
        opens = [f"<binding name={_xml_attribute(var)}>" for var in result.variables]
        for row in result.rows:
            cells = "".join(start + term_text(term) + "</binding>"
                            for start, term in zip(opens, row, strict=True) if term is not None)
            out.append(f"<result>{cells}</result>")
        out.append("</results>")
    out.append("</sparql>")
    return "\n".join(out) + "\n"


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value


def _write_csv(result: QueryResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if result.kind == "ask":
        writer.writerow(["true" if result.boolean else "false"])
    else:
        writer.writerow(result.variables)
        writer.writerows([_csv_value(term) for term in row] for row in result.rows)
    return buffer.getvalue()


def _tsv_value(term: Term | None) -> str:
    # N-Triples form; a tab inside a literal must be written as \t in TSV.
    return "" if term is None else str(term).replace("\t", "\\t")


def _write_tsv(result: QueryResult) -> str:
    if result.kind == "ask":
        return ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += ["\t".join(_tsv_value(term) for term in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _table_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compact(term.value, brackets=True)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def table_text(result: QueryResult, width: int | None = None) -> str:
    """Return a SELECT or ASK result as an aligned text table that fits ``width`` characters
    (``None``: full values; see :func:`graph.textable.render_table`), with a row count."""
    if result.kind == "ask":
        return ("true" if result.boolean else "false") + "\n"
    cells = [[_table_value(term) for term in row] for row in result.rows]
    out = render_table(result.variables, cells, width)
    out.append(f"({len(cells)} row{'' if len(cells) == 1 else 's'})")
    return "\n".join(out) + "\n"


_WRITERS: Mapping[str, Callable[[QueryResult], str]] = {
    "json": _write_json,
    "xml": _write_xml,
    "csv": _write_csv,
    "tsv": _write_tsv,
    "table": table_text,
}
