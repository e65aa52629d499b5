"""What the pages and resource views show, read from the graph with SPARQL.

Each function takes the :class:`ApiContext` and returns plain data for a template
or a serializer; routers stay thin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox

from graph.api.context import ApiContext
from graph.build import SKOLEM_BASE
from graph.namespaces import DATASET_IRI, GRAPH_BASE, KGID, PREFIXES, prefixed_name, sparql_prologue
from graph.queries import run_query
from graph.store import QueryResult, Term

META_GRAPH = GRAPH_BASE + "meta"
_PROLOGUE = sparql_prologue()
LABEL_PROPERTIES = ("skos:prefLabel", "rdfs:label", "dcterms:title", "foaf:name")


def compact(iri: str) -> str:
    """Return ``iri`` as a prefixed name when a project prefix covers it, else as it is.

    >>> compact("https://w3id.org/mmr-kg/def/Agency")
    'kg:Agency'
    """
    return prefixed_name(iri) or iri


def link_for(iri: str) -> str:
    """Return the API path that shows ``iri`` (``/id/...`` for entities, ``/resource?iri=`` otherwise)."""
    if iri.startswith(KGID) and iri != KGID:
        return "/id/" + quote(iri.removeprefix(KGID), safe="/-_.~")
    return "/resource?iri=" + quote(iri, safe="")


@dataclass
class TermView:
    """A term as a page shows it: text, an optional link, and the raw term."""

    text: str
    href: str | None = None
    lang: str | None = None
    datatype: str | None = None
    external: bool = False


@dataclass
class ResourceView:
    """Everything the resource page shows about one IRI."""

    iri: str
    labels: dict[str, str] = field(default_factory=dict)
    types: list[TermView] = field(default_factory=list)
    properties: list[tuple[TermView, TermView]] = field(default_factory=list)
    incoming: list[tuple[TermView, TermView]] = field(default_factory=list)
    sources: list[dict[str, TermView | None]] = field(default_factory=list)
    touchpoints: list[dict[str, TermView | None]] = field(default_factory=list)
    type_iris: set[str] = field(default_factory=set)

    def label(self, lang: str) -> str:
        """The label in ``lang``, else the other language, else the compact IRI."""
        return self.labels.get(lang) or self.labels.get("en") or self.labels.get("sv") \
            or self.labels.get("") or compact(self.iri)


_LABELS = _PROLOGUE + """
SELECT ?x ?label WHERE {
  VALUES ?p { %s }
  ?x ?p ?label .
  FILTER(isLiteral(?label) && LANG(?label) IN (?lang, "en", "sv", ""))
}""" % " ".join(LABEL_PROPERTIES)


async def labels_for(ctx: ApiContext, iris: set[str], lang: str) -> dict[str, str]:
    """Return a label for each IRI that has one, preferring ``lang``, then English, Swedish, untagged."""
    if not iris:
        return {}
    values = " ".join(ox.NamedNode(i).__str__() for i in sorted(iris))
    text = _LABELS.replace("WHERE {", "WHERE {\n  VALUES ?x { " + values + " }", 1)
    result = await ctx.query(text, {"lang": ox.Literal(lang)}, row_limit=None)
    rank: dict[str, tuple[int, str]] = {}
    order = {"": 3, "sv": 2, "en": 1, lang: 0}
    for x, label in result.rows:
        assert isinstance(label, ox.Literal) and x is not None
        score = order.get(label.language or "", 3)
        if x.value not in rank or (score, label.value) < rank[x.value]:
            rank[x.value] = (score, label.value)
    return {iri: value for iri, (_, value) in rank.items()}


def _view(term: Term | None, labels: dict[str, str]) -> TermView | None:
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        dtype = term.datatype.value if term.datatype else None
        plain = dtype in (None, PREFIXES["xsd"] + "string", PREFIXES["rdf"] + "langString")
        return TermView(term.value, lang=term.language, datatype=None if plain else compact(dtype or ""))
    if isinstance(term, ox.BlankNode):
        return TermView("_:" + term.value)
    iri = term.value
    ours = iri.startswith(KGID) or iri.startswith(PREFIXES["kg"])
    if ours or iri in labels:
        return TermView(labels.get(iri) or compact(iri), link_for(iri))
    if iri.lower().startswith(("http://", "https://")):
        return TermView(compact(iri), iri, external=True)
    # Any other scheme (javascript:, data:, …) is never a link target: it is shown via /resource.
    return TermView(compact(iri), link_for(iri))


_OUT = "SELECT ?p ?o WHERE { ?s ?p ?o } ORDER BY STR(?p) STR(?o)"
_IN = "SELECT ?s ?p WHERE { ?s ?p ?o } ORDER BY STR(?p) STR(?s) LIMIT 200"
_SOURCES = _PROLOGUE + """
SELECT ?citation ?doc ?section ?quote WHERE {
  ?s dcterms:source ?citation .
  OPTIONAL { ?citation prov:wasQuotedFrom ?doc }
  OPTIONAL { ?citation kg:section ?section }
  OPTIONAL { ?citation kg:quote ?quote }
} ORDER BY STR(?doc) STR(?section)"""
_TOUCHPOINTS = _PROLOGUE + """
SELECT DISTINCT ?tp ?agency ?kind ?lever ?via ?confidence WHERE {
  ?tp a kg:Touchpoint ; kg:agency ?agency ; kg:touchpointKind ?kind ; kg:lever ?lever .
  { ?tp kg:agency ?s } UNION { ?tp kg:via ?s } UNION { ?tp kg:reachesObjective ?s }
  UNION { ?tp kg:touchpointKind ?s } UNION { ?tp kg:lever ?s }
  OPTIONAL { ?tp kg:via ?via }
  OPTIONAL { ?tp kg:confidence ?confidence }
} ORDER BY STR(?agency) STR(?kind) STR(?lever) STR(?tp) LIMIT 500"""


async def describe_resource(ctx: ApiContext, iri: str, lang: str) -> ResourceView | None:
    """Collect what the resource page shows about ``iri``; ``None`` when the graph never mentions it."""
    node = ox.NamedNode(iri)
    bind = {"s": node}
    out = await ctx.query(_OUT, bind, row_limit=None)
    incoming = await ctx.query(_IN, {"o": node}, row_limit=None)
    if not out.rows and not incoming.rows:
        return None
    sources = await ctx.query(_SOURCES, bind, row_limit=None)
    touchpoints = await ctx.query(_TOUCHPOINTS, bind, row_limit=None)
    mentioned = {t.value for r in (out, incoming, sources, touchpoints) for row in r.rows
                 for t in row if isinstance(t, ox.NamedNode)}
    labels = await labels_for(ctx, mentioned | {iri}, lang)
    view = ResourceView(iri)
    label_props = {PREFIXES["skos"] + "prefLabel", PREFIXES["rdfs"] + "label"}
    for p, o in out.rows:
        assert p is not None
        if p.value in label_props and isinstance(o, ox.Literal):
            view.labels.setdefault(o.language or "", o.value)
        if p.value == PREFIXES["rdf"] + "type" and o is not None:
            view.type_iris.add(o.value)
            view.types.append(_view(o, labels))  # type: ignore[arg-type]
            continue
        view.properties.append((_view(p, labels), _view(o, labels)))  # type: ignore[arg-type]
    view.incoming = [(_view(s, labels), _view(p, labels)) for s, p in incoming.rows]  # type: ignore[misc]
    view.sources = [dict(zip(sources.variables, (_view(t, labels) for t in row), strict=True))
                    for row in sources.rows]
    view.touchpoints = [dict(zip(touchpoints.variables, (_view(t, labels) for t in row), strict=True))
                        for row in touchpoints.rows]
    return view


_CONSTRUCT = """
CONSTRUCT { ?s ?p ?o . ?o ?p2 ?o2 . ?in ?pin ?s } WHERE {
  { ?s ?p ?o OPTIONAL { FILTER(isIRI(?o) && STRSTARTS(STR(?o), "%s")) ?o ?p2 ?o2 } }
  UNION { ?in ?pin ?s }
}""" % SKOLEM_BASE


async def resource_graph(ctx: ApiContext, iri: str) -> QueryResult:
    """Return the triples about ``iri`` (out, one level into skolemised nodes, and in) as a graph result."""
    return await ctx.query(_CONSTRUCT, {"s": ox.NamedNode(iri)}, row_limit=None)


_COUNTS = _PROLOGUE + """
SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE {
  VALUES ?class { kg:Agency kg:Touchpoint kg:EnvironmentalQualityObjective kg:Citation
                  dcterms:BibliographicResource kg:SustainabilityCriterion kg:StateFrameworkAgreement }
  OPTIONAL { ?x a ?class }
} GROUP BY ?class"""
_DATASET = _PROLOGUE + """
SELECT ?p ?o WHERE {
  GRAPH <%s> { <%s> ?p ?o }
  VALUES ?p { dcterms:title dcterms:description dcat:version void:triples }
}""" % (META_GRAPH, DATASET_IRI)
_LIST = _PROLOGUE + """
SELECT ?x ?notation WHERE { ?x a ?class OPTIONAL { ?x skos:notation ?notation } }"""


async def home_view(ctx: ApiContext, lang: str) -> dict[str, object]:
    """Return the home page's data: dataset title and version, counts, agencies and objectives."""
    meta = await ctx.query(_DATASET, row_limit=None)
    info: dict[str, str] = {}
    for p, o in sorted(meta.rows, key=lambda row: getattr(row[1], "language", None) != lang):
        if p is not None and o is not None:
            info.setdefault(compact(p.value).split(":")[-1], o.value)
    counts = await ctx.query(_COUNTS, row_limit=None)
    count_rows = [(_compact_term(c), int(n.value) if n else 0) for c, n in counts.rows]
    return {
        "title": info.get("title", ""),
        "description": info.get("description", ""),
        "version": info.get("version", ctx.settings.version),
        "triples": int(info["triples"]) if "triples" in info else len(ctx.store),
        "counts": sorted(count_rows),
        "agencies": await list_instances(ctx, PREFIXES["kg"] + "Agency", lang),
        "objectives": await list_instances(ctx, PREFIXES["kg"] + "EnvironmentalQualityObjective", lang),
    }


def _compact_term(term: Term | None) -> str:
    return compact(term.value) if term is not None else ""


async def list_instances(ctx: ApiContext, class_iri: str, lang: str) -> list[dict[str, str]]:
    """Return the instances of ``class_iri`` with label, link and notation, by notation then label."""
    result = await ctx.query(_LIST, {"class": ox.NamedNode(class_iri)}, row_limit=None)
    iris = {x.value for x, _ in result.rows if x is not None}
    labels = await labels_for(ctx, iris, lang)
    seen: dict[str, dict[str, str]] = {}
    for x, notation in result.rows:
        assert x is not None
        seen.setdefault(x.value, {"iri": x.value, "href": link_for(x.value),
                                  "label": labels.get(x.value, compact(x.value)),
                                  "notation": notation.value if notation else ""})

    def key(item: dict[str, str]) -> tuple[int, str]:
        n = item["notation"]
        return (int(n) if n.isdigit() else 10_000, item["label"].casefold())
    return sorted(seen.values(), key=key)


async def agency_touchpoints(ctx: ApiContext, iri: str, lang: str) -> QueryResult | None:
    """Run the catalogue's ``agency-touchpoints`` for one agency (``None`` if the catalogue lacks it)."""
    spec = ctx.catalogue.get("agency-touchpoints")
    if spec is None:
        return None
    return await ctx.run(run_query, ctx.store, spec, {"agency": iri}, lang,
                         timeout_s=ctx.settings.query_timeout_s, row_limit=ctx.settings.query_row_limit)


def result_table(result: QueryResult, labels: dict[str, str]) -> list[list[TermView | None]]:
    """Return a SELECT result as rows of :class:`TermView` for a template."""
    return [[_view(term, labels) for term in row] for row in result.rows]
