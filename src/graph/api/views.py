"""What the pages and resource views show, read from the graph with SPARQL.

Each function takes the :class:`ApiContext` and returns plain data for a template
or a serializer; routers stay thin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from graph.api.context import ApiContext
from graph.build import SKOLEM_BASE, serialize_dataset, sorted_quads
from graph.coverage import compute_coverage
from graph.metadata import META_GRAPH
from graph.namespaces import DATASET_IRI, KGID, PREFIXES, compact
from graph.queries import LANGUAGES, load_query, run_query
from graph.store import QueryResult, Term
from graph.store.source import dataset_of
from graph.summary import DatasetSize, class_labels, class_name, dataset_size
from graph.validate import validate_store


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
        return next((self.labels[t] for t in (lang, *LANGUAGES, "") if self.labels.get(t)), compact(self.iri))


@cache
def _page_queries(folder: Path) -> dict[str, str]:
    """Read the pages' SPARQL (``queries/pages/*.rq``) once, by name."""
    return {path.stem: load_query(path).text for path in sorted(folder.glob("*.rq"))}


def page_query(ctx: ApiContext, name: str) -> str:
    """Return the text of ``queries/pages/{name}.rq``."""
    return _page_queries(ctx.settings.queries_dir / "pages")[name]


async def _all_labels(ctx: ApiContext) -> dict[str, dict[str, str]]:
    """Return every resource's labels by language tag, the first in label order (cached)."""
    async def collect() -> dict[str, dict[str, str]]:
        result = await ctx.query(page_query(ctx, "labels"), row_limit=None)
        found: dict[str, dict[str, str]] = {}
        for x, label in result.rows:
            assert isinstance(label, ox.Literal) and x is not None
            by_lang = found.setdefault(x.value, {})
            tag = label.language or ""
            if tag not in by_lang or label.value < by_lang[tag]:
                by_lang[tag] = label.value
        return found

    return await ctx.cached("labels", collect)


async def labels_for(ctx: ApiContext, iris: set[str], lang: str) -> dict[str, str]:
    """Return a label for each IRI that has one, preferring ``lang``, then English, Swedish, untagged."""
    if not iris:
        return {}
    order = [lang, *LANGUAGES, ""]
    labels = await _all_labels(ctx)
    chosen = {}
    for iri in iris:
        by_lang = labels.get(iri, {})
        tag = next((t for t in order if t in by_lang), None)
        if tag is not None:
            chosen[iri] = by_lang[tag]
    return chosen


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


async def describe_resource(ctx: ApiContext, iri: str, lang: str) -> ResourceView | None:
    """Collect what the resource page shows about ``iri``; ``None`` when the graph never mentions it."""
    node = ox.NamedNode(iri)
    bind: dict[str, Term] = {"s": node}
    out = await ctx.query(page_query(ctx, "outgoing"), bind, row_limit=None)
    incoming = await ctx.query(page_query(ctx, "incoming"), {"o": node}, row_limit=None)
    if not out.rows and not incoming.rows:
        return None
    sources = await ctx.query(page_query(ctx, "sources"), bind, row_limit=None)
    touchpoints = await ctx.query(page_query(ctx, "touchpoints"), bind, row_limit=None)
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


async def resource_graph(ctx: ApiContext, iri: str) -> QueryResult:
    """Return the triples about ``iri`` (out, one level into skolemised nodes, and in) as a graph result."""
    return await ctx.query(page_query(ctx, "resource-graph"),
                           {"s": ox.NamedNode(iri), "skolem": ox.Literal(SKOLEM_BASE)}, row_limit=None)


async def home_view(ctx: ApiContext, lang: str) -> dict[str, object]:
    """Return the home page's data: dataset title and version, counts, agencies and objectives."""
    meta = await ctx.query(page_query(ctx, "dataset"), {"meta": META_GRAPH, "dataset": ox.NamedNode(DATASET_IRI)},
                           row_limit=None)
    info: dict[str, str] = {}
    for p, o in sorted(meta.rows, key=lambda row: getattr(row[1], "language", None) != lang):
        if p is not None and o is not None:
            info.setdefault(compact(p.value).split(":")[-1], o.value)
    return {
        "title": info.get("title", ""),
        "description": info.get("description", ""),
        "version": info.get("version", ctx.settings.version),
        "size": await size(ctx),
        "counts": await class_counters(ctx, lang),
        "agencies": await list_instances(ctx, PREFIXES["kg"] + "Agency", lang),
        "objectives": await list_instances(ctx, PREFIXES["kg"] + "EnvironmentalQualityObjective", lang),
    }


async def size(ctx: ApiContext) -> DatasetSize:
    """Return the served dataset's statements and named graphs (cached: the graph is read-only)."""
    async def count() -> DatasetSize:
        return await ctx.run(dataset_size, ctx.store, whole_graph=True)

    return await ctx.cached("size", count)


async def class_counters(ctx: ApiContext, lang: str) -> list[dict[str, object]]:
    """Return the home page's counters: per main class its entities and its name in ``lang``
    (``label_lang`` says which language the name is in, ``None`` when the class has no label;
    ``label_source`` where the name comes from), by name."""
    counts = await ctx.query(page_query(ctx, "class-counts"), row_limit=None)
    labels = await ctx.cached("class-labels", lambda: ctx.run(class_labels, ctx.store, whole_graph=True))
    counters = []
    for cls, n in counts.rows:
        if cls is None:
            continue
        name = class_name(cls.value, labels.get(cls.value, {}), lang)
        counters.append({"class": cls.value, "n": int(n.value) if n else 0, "label": name.label,
                         "label_lang": name.lang, "label_source": name.source})
    return sorted(counters, key=lambda c: str(c["label"]).casefold())


async def list_instances(ctx: ApiContext, class_iri: str, lang: str) -> list[dict[str, str]]:
    """Return the instances of ``class_iri`` with label, link and notation, by notation then label."""
    result = await ctx.query(page_query(ctx, "instances"), {"class": ox.NamedNode(class_iri)}, row_limit=None)
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


async def touchpoint_table(ctx: ApiContext, result: QueryResult, lang: str) -> list[dict[str, Any]]:
    """Return the rows of ``agency-touchpoints`` as the agency page shows them: a :class:`TermView`
    per column, and under ``documents`` a link to every document the touchpoint's citations quote
    (its ``sources`` column, IRIs separated by spaces), not only the first."""
    records = [dict(zip(result.variables, row, strict=True)) for row in result.rows]
    documents = [sources.value.split() if (sources := r.get("sources")) is not None else [] for r in records]
    iris = {t.value for row in result.rows for t in row if isinstance(t, ox.NamedNode)}
    labels = await labels_for(ctx, iris | {doc for docs in documents for doc in docs}, lang)
    table: list[dict[str, Any]] = []
    for record, docs in zip(records, documents, strict=True):
        row: dict[str, Any] = {name: _view(term, labels) for name, term in record.items()}
        row["documents"] = [_view(ox.NamedNode(doc), labels) for doc in docs]
        table.append(row)
    return table


def result_table(result: QueryResult, labels: dict[str, str]) -> list[list[TermView | None]]:
    """Return a SELECT result as rows of :class:`TermView` for a template."""
    return [[_view(term, labels) for term in row] for row in result.rows]


async def dataset_store(ctx: ApiContext) -> ox.Store:
    """Return the whole served dataset as a pyoxigraph store (a remote one is copied once)."""
    async def copy() -> ox.Store:
        return await ctx.run(dataset_of, ctx.store, whole_graph=True)

    return await ctx.cached("dataset", copy)


async def dump(ctx: ApiContext, name: str) -> bytes:
    """Return ``graph.nq`` or ``graph.trig`` of the served dataset, in stable order (cached)."""
    async def serialize() -> bytes:
        store = await dataset_store(ctx)
        return await ctx.run(lambda: serialize_dataset(sorted_quads(store), name), whole_graph=True)

    return await ctx.cached("dump:" + name, serialize)


async def validation_report(ctx: ApiContext) -> dict[str, Any]:
    """Run SHACL validation once and return the report as a dict (cached: the graph is read-only)."""
    async def validate() -> dict[str, Any]:
        store = await dataset_store(ctx)
        return (await ctx.run(validate_store, store, ctx.settings, whole_graph=True)).as_dict()

    return await ctx.cached("validation", validate)


async def coverage_report(ctx: ApiContext, lang: str, include_curated: bool = False) -> dict[str, Any]:
    """Return the coverage table as a dict (cached per language, with or without curated links)."""
    async def compute() -> dict[str, Any]:
        return (await ctx.run(compute_coverage, ctx.store, ctx.settings, lang, include_curated=include_curated,
                              whole_graph=True)).as_dict()

    return await ctx.cached(f"coverage:{lang}:{include_curated}", compute)
