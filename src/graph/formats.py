"""The one registry of file and result formats, built on pyoxigraph's ``RdfFormat`` and
``QueryResultsFormat`` (which carry each format's media type, file extension and W3C IRI).

- :data:`RESULT_FORMATS`: SELECT and ASK answers (W3C SPARQL results, plus a terminal ``table``).
- :data:`GRAPH_FORMATS`: CONSTRUCT and DESCRIBE answers.
- :data:`SOURCE_FORMATS`: the source files ``kg build`` reads, by suffix.
- :data:`DATASET_FILES`: the files ``kg build`` writes, by name.

>>> RESULT_FORMATS["json"].media_type
'application/sparql-results+json'
>>> GRAPH_FORMATS["turtle"].extension
'ttl'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox

#: pyoxigraph names JSON-LD ``https://www.w3.org/ns/formats/data/JSON-LD``; W3C's list of format
#: IRIs (https://www.w3.org/ns/formats/) names it as below.
_W3C_IRIS: dict[ox.RdfFormat | ox.QueryResultsFormat, str] = {ox.RdfFormat.JSON_LD: "http://www.w3.org/ns/formats/JSON-LD"}


@dataclass(frozen=True)
class ResultFormat:
    """One output format: its short name, what it is, and pyoxigraph's format (``None`` for ``table``)."""

    name: str
    label: str
    format: ox.RdfFormat | ox.QueryResultsFormat | None

    @property
    def media_type(self) -> str:
        """The media type, without parameters (``text/csv``)."""
        if self.format is None:
            return "text/plain"
        return self.format.media_type.split(";", 1)[0]

    @property
    def extension(self) -> str:
        """The usual file extension, without a dot."""
        return "txt" if self.format is None else self.format.file_extension

    @property
    def iri(self) -> str | None:
        """The format's IRI under https://www.w3.org/ns/formats/, if it has one."""
        if self.format is None:
            return None
        return _W3C_IRIS.get(self.format, self.format.iri)


RESULT_FORMATS: Mapping[str, ResultFormat] = {
    f.name: f for f in (
        ResultFormat("json", "SPARQL 1.1 Query Results JSON", ox.QueryResultsFormat.JSON),
        ResultFormat("xml", "SPARQL Query Results XML", ox.QueryResultsFormat.XML),
        ResultFormat("csv", "SPARQL 1.1 Query Results CSV", ox.QueryResultsFormat.CSV),
        ResultFormat("tsv", "SPARQL 1.1 Query Results TSV", ox.QueryResultsFormat.TSV),
        ResultFormat("table", "aligned text table for a terminal", None),
    )
}
"""Formats for SELECT and ASK results, by name."""

GRAPH_FORMATS: Mapping[str, ResultFormat] = {
    f.name: f for f in (
        ResultFormat("turtle", "Turtle", ox.RdfFormat.TURTLE),
        ResultFormat("ntriples", "N-Triples", ox.RdfFormat.N_TRIPLES),
        ResultFormat("jsonld", "JSON-LD (expanded)", ox.RdfFormat.JSON_LD),
        ResultFormat("rdfxml", "RDF/XML", ox.RdfFormat.RDF_XML),
    )
}
"""Formats for CONSTRUCT and DESCRIBE results, by name."""

SOURCE_FORMATS: Mapping[str, ox.RdfFormat] = {
    "." + f.file_extension: f for f in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.N_TRIPLES,
                                        ox.RdfFormat.N_QUADS)
}
"""The RDF formats of source files, by file suffix (``.ttl`` …)."""

DATASET_FILES: Mapping[str, ox.RdfFormat] = {"graph.nq": ox.RdfFormat.N_QUADS, "graph.trig": ox.RdfFormat.TRIG}
"""The files a build writes, by name."""


def formats_for(kind: str) -> Mapping[str, ResultFormat]:
    """Return the formats that can carry a result of ``kind`` (``graph`` for CONSTRUCT/DESCRIBE).

    >>> sorted(formats_for("graph"))
    ['jsonld', 'ntriples', 'rdfxml', 'turtle']
    """
    return GRAPH_FORMATS if kind == "graph" else RESULT_FORMATS
