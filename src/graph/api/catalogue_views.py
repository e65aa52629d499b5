"""What the catalogue pages show: a query's form (typed fields, IRI choices read from the graph),
its results as a table, and the links that page, download and open it in the editor.

An IRI parameter's choices are the instances of the class its header points at: the class of the
example IRI its description gives (``e.g. kgid:agency-trafikverket`` → ``kg:Agency``). Where the
example has several classes, those whose name ends with the parameter's name are kept
(``group`` → ``kg:FrameworkAgreementGroup``), else all of them. One SPARQL query per class fills
the choices, through :func:`graph.api.views.list_instances`; the answers are cached.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import pyoxigraph as ox

from graph.api import views
from graph.api.context import ApiContext
from graph.errors import QueryError
from graph.formats import RESULT_FORMATS
from graph.namespaces import PREFIXES, compact
from graph.queries import LANGUAGES, ParamSpec, QuerySpec, bound_text, expand_iri
from graph.store import QueryResult

#: The formats the page offers as downloads, by their name in :data:`graph.formats.RESULT_FORMATS`.
DOWNLOADS = ("csv", "tsv", "json", "xml")
#: Rows per page the form offers (any other value in the address is kept as a choice too).
PAGE_SIZES = (25, 100, 500)
_RDF_TYPE = PREFIXES["rdf"] + "type"
_EXAMPLE_RE = re.compile(r"https?://[^\s<>\"'(),;]+|\b(?:" + "|".join(sorted(PREFIXES)) + r"):[A-Za-z0-9_.-]+")
_INPUTS = {"date": "date", "integer": "number"}


@dataclass(frozen=True)
class Choice:
    """One option of a ``<select>``."""

    value: str
    label: str
    selected: bool = False


@dataclass
class FormField:
    """One typed field of a query's form.

    ``input`` is ``select`` (IRI with known choices, enum), ``date``, ``number`` or ``text``.
    """

    name: str
    type: str
    description: str
    required: bool
    value: str
    input: str
    default: str | None = None
    choices: list[Choice] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class Link:
    """A labelled link."""

    label: str
    href: str
    download: str | None = None


def example_iris(param: ParamSpec) -> list[str]:
    """Return the IRIs that ``param``'s description gives as examples, expanded.

    >>> from graph.queries import ParamSpec
    >>> example_iris(ParamSpec("agency", "iri", "IRI of an agency (e.g. kgid:agency-boverket)"))
    ['https://w3id.org/mmr-kg/id/agency-boverket']
    """
    found = []
    for match in _EXAMPLE_RE.finditer(param.description):
        text = match.group(0).rstrip(".")
        prefix = text.partition(":")[0]
        found.append(PREFIXES[prefix] + text.partition(":")[2] if prefix in PREFIXES else text)
    return list(dict.fromkeys(found))


def classes_named_by(param_name: str, types: list[str]) -> list[str]:
    """Keep the classes whose local name ends with ``param_name``; all of them when none does.

    >>> kg = "https://w3id.org/mmr-kg/def/"
    >>> classes_named_by("group", [kg + "FrameworkAgreementArea", kg + "FrameworkAgreementGroup"])
    ['https://w3id.org/mmr-kg/def/FrameworkAgreementGroup']
    >>> classes_named_by("area", [kg + "CriteriaArea", kg + "ProductArea"]) == [kg + "CriteriaArea", kg + "ProductArea"]
    True
    """
    named = [t for t in types if re.split(r"[/#]", t)[-1].lower().endswith(param_name.lower())]
    return named or types


async def parameter_classes(ctx: ApiContext, param: ParamSpec) -> list[str]:
    """Return the classes whose instances ``param`` expects (empty when its description gives no typed example)."""
    types: list[str] = []
    for iri in example_iris(param):
        about = await ctx.query(views.page_query(ctx, "outgoing"), {"s": ox.NamedNode(iri)}, row_limit=None)
        types += [o.value for p, o in about.rows if p is not None and p.value == _RDF_TYPE and isinstance(o, ox.NamedNode)]
    return classes_named_by(param.name, sorted(set(types)))


async def iri_choices(ctx: ApiContext, spec: QuerySpec, param: ParamSpec, lang: str) -> list[dict[str, str]]:
    """Return the instances ``param`` of ``spec`` can take (iri, label, notation), one SPARQL query per class (cached)."""
    async def collect() -> list[dict[str, str]]:
        seen: dict[str, dict[str, str]] = {}
        for cls in await parameter_classes(ctx, param):
            for item in await views.list_instances(ctx, cls, lang):
                seen.setdefault(item["iri"], item)
        return list(seen.values())

    return await ctx.cached(f"choices:{spec.name}:{param.name}:{lang}", collect)


def _absolute(value: str) -> str:
    try:
        return expand_iri("value", value.strip())
    except QueryError:
        return value.strip()


async def form_fields(ctx: ApiContext, spec: QuerySpec, raw: Mapping[str, str], lang: str,
                      errors: Mapping[str, str]) -> list[FormField]:
    """Return the typed fields of ``spec``'s form, holding the values in ``raw`` and the messages in ``errors``."""
    fields = []
    for param in spec.params:
        value = raw.get(param.name, "")
        item = FormField(param.name, param.type, param.description, param.required, value,
                         _INPUTS.get(param.type, "text"), param.default, error=errors.get(param.name))
        if param.type == "enum":
            current = value or param.default or ""
            item.input = "select"
            item.choices = [Choice(v, v, v == current) for v in param.values]
        elif param.type == "iri":
            instances = await iri_choices(ctx, spec, param, lang)
            if instances:
                item.input = "select"
                chosen = _absolute(value) if value else ""
                item.choices = [Choice(compact(i["iri"]), f"{i['notation']}. {i['label']}" if i["notation"] else i["label"],
                                       i["iri"] == chosen) for i in instances]
                if chosen and not any(c.selected for c in item.choices):
                    item.choices.append(Choice(value, value, True))  # a value typed into the address stays
        fields.append(item)
    return fields


def query_address(spec: QuerySpec, raw: Mapping[str, str], lang: str, **extra: object) -> str:
    """Return ``/queries/{name}`` with the non-empty parameters in ``raw``, ``lang`` and ``extra``."""
    pairs = [(p.name, raw[p.name]) for p in spec.params if raw.get(p.name)]
    pairs.append(("lang", lang))
    pairs += [(k, str(v)) for k, v in extra.items() if v is not None]
    return f"/queries/{spec.name}?" + urlencode(pairs)


def pager(spec: QuerySpec, raw: Mapping[str, str], lang: str, limit: int, offset: int,
          total: int | None) -> list[Link]:
    """Return the links to the previous and next pages (those that exist; ``total`` is ``None``
    while a large answer is still being read, and rows follow the page)."""
    links = []
    if offset > 0:
        links.append(Link("previous", query_address(spec, raw, lang, limit=limit, offset=max(0, offset - limit) or None)))
    if total is None or offset + limit < total:
        links.append(Link("next", query_address(spec, raw, lang, limit=limit, offset=offset + limit)))
    return links


def downloads(spec: QuerySpec, raw: Mapping[str, str], lang: str, max_rows: int) -> list[Link]:
    """Return a link per download format, carrying the parameters and asking for every row (up to ``max_rows``)."""
    return [Link(name.upper(), query_address(spec, raw, lang, limit=max_rows, format=name),
                 f"{spec.name}.{RESULT_FORMATS[name].extension}") for name in DOWNLOADS]


def editor_address(spec: QuerySpec, raw: Mapping[str, str], lang: str) -> str:
    """Return the query editor's address, prefilled with ``spec``'s text as this page runs it
    (its parameters and ``lang`` bound), so the editor gives the page's rows."""
    return "/query?query=" + quote(bound_text(spec, raw, lang), safe="")


def page_sizes(limit: int) -> list[int]:
    """Return the rows-per-page choices, including ``limit``."""
    return sorted({*PAGE_SIZES, limit})


async def results_table(ctx: ApiContext, result: QueryResult, lang: str) -> list[list[views.TermView | None]]:
    """Return the rows of ``result`` as terms a template shows (IRIs by label, linked)."""
    iris = {t.value for row in result.rows for t in row if isinstance(t, ox.NamedNode)}
    return views.result_table(result, await views.labels_for(ctx, iris, lang))


def page_language(value: str | None) -> str:
    """Return ``value`` if it is a label language, else the default."""
    return value if value in LANGUAGES else LANGUAGES[0]
