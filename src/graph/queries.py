"""The query catalogue: ``queries/*.rq`` files with a readable header, and running them.

A header is a block of ``#+`` comment lines holding YAML (the grlc decorator form)::

    #+ summary: Touchpoints of the council's agencies
    #+ description: Every touchpoint, optionally of one agency.
    #+ tags: [agencies, touchpoints]
    #+ params:
    #+   - {name: agency, type: iri, description: "An agency IRI"}
    #+ columns: [agency, agencyLabel]

Parameters are parsed into RDF terms and bound as such (never pasted into the text).
Every query also takes ``lang`` (``sv`` or ``en``), bound to ``?lang``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Literal, get_args

import pyoxigraph as ox
import yaml

from graph.errors import GraphError, QueryError
from graph.namespaces import PREFIXES
from graph.store import GraphStore, QueryResult, Term
from graph.store.sparql_text import BindingSlots, CheckedQuery, binding_slots, refuse_unsafe, tokens

#: libyaml's safe loader where PyYAML was built with it (8× faster on the catalogue's headers).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Language = Literal["sv", "en"]
#: The label languages every query takes as ``lang``, the default first.
LANGUAGES: tuple[Language, ...] = get_args(Language)
PARAM_TYPES = ("iri", "date", "string", "integer", "enum")
_XSD = PREFIXES["xsd"]
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ParamSpec:
    """One declared query parameter."""

    name: str
    type: str
    description: str = ""
    default: str | None = None
    required: bool = False
    values: tuple[str, ...] = ()

    def to_term(self, raw: str) -> Term:
        """Parse ``raw`` as this parameter's type and return the RDF term.

        Raises:
            QueryError: the value does not fit the type; the message names the parameter.
        """
        return parse_term(self, raw)


@dataclass(frozen=True)
class PreparedQuery:
    """A query text read once: checked by :func:`~graph.store.sparql_text.refuse_unsafe`, with
    the places its parameters' ``VALUES`` blocks go and whether it sets its own row order.

    A request only binds values (:meth:`bind`); nothing reads the text again.
    """

    slots: BindingSlots
    #: The text has ``ORDER BY``: its rows come in the order pages are cut from.
    ordered: bool

    def bind(self, bindings: Mapping[str, Term]) -> CheckedQuery:
        """Return the checked text with ``bindings`` inlined, ready for :meth:`GraphStore.query`.

        Raises:
            QueryError: a binding names a variable badly or is a blank node (see
                :func:`~graph.store.sparql_text.inline_bindings`).
        """
        return CheckedQuery(self.slots.bind(bindings))


def prepare_query(text: str, names: Iterable[str]) -> PreparedQuery:
    """Check ``text`` and find where bindings of the variables ``names`` go (see :class:`PreparedQuery`).

    Raises:
        QueryRefused, QueryTooComplex: the text is not a safe read-only query.
    """
    refuse_unsafe(text)
    words = [t.text.upper() for t in tokens(text) if t.kind == "word"]
    ordered = any(first == "ORDER" and second == "BY" for first, second in pairwise(words))
    return PreparedQuery(binding_slots(text, names), ordered)


@dataclass(frozen=True)
class QuerySpec:
    """One catalogued query: its header, its text and the text prepared once (:attr:`prepared`)."""

    name: str
    path: Path
    summary: str
    description: str
    text: str
    tags: tuple[str, ...] = ()
    params: tuple[ParamSpec, ...] = ()
    columns: tuple[str, ...] = ()
    #: What an empty answer means (``#+ when-empty:``): the CLI and the API say it when no row comes back.
    when_empty: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)

    def param(self, name: str) -> ParamSpec:
        """Return the declared parameter ``name`` (raises :class:`QueryError` if unknown)."""
        for param in self.params:
            if param.name == name:
                return param
        known = ", ".join(p.name for p in self.params) or "none"
        raise QueryError(f"query '{self.name}' has no parameter '{name}'. Its parameters: {known}, lang.",
                         parameter=name)

    @functools.cached_property
    def prepared(self) -> PreparedQuery:
        """The text checked and read once, on first use (:func:`prepare_catalogue` does it for a
        whole catalogue), for every request to bind values into.

        Raises:
            QueryRefused, QueryTooComplex: the text is not a safe read-only query.
        """
        return prepare_query(self.text, ["lang", *(p.name for p in self.params)])


def parse_header(path: Path, text: str) -> dict[str, object]:
    """Return the YAML header of a ``.rq`` file as a dict.

    Raises:
        QueryError: the header is missing or is not valid YAML.
    """
    lines = [line[2:].removeprefix(" ") for line in text.splitlines() if line.startswith("#+")]
    if not lines:
        raise QueryError(f"{path}: no header. Start the file with '#+ summary: ...' lines.")
    try:
        header = yaml.load("\n".join(lines), Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        raise QueryError(f"{path}: the header is not valid YAML: {exc}") from exc
    if not isinstance(header, dict):
        raise QueryError(f"{path}: the header must be a mapping of 'key: value' lines.")
    return header


def load_query(path: Path) -> QuerySpec:
    """Read one ``.rq`` file into a :class:`QuerySpec`.

    Raises:
        QueryError: the header lacks ``summary``, ``description`` or ``columns``,
            or declares a parameter badly.
    """
    text = path.read_text(encoding="utf-8")
    header = parse_header(path, text)
    missing = [key for key in ("summary", "description", "columns") if not header.get(key)]
    if missing:
        raise QueryError(f"{path}: the header lacks {', '.join(missing)}.")
    params = tuple(_param(path, item) for item in _list(path, header, "params"))
    known = {"summary", "description", "tags", "params", "columns", "when-empty"}
    return QuerySpec(
        name=path.stem,
        path=path,
        summary=str(header["summary"]).strip(),
        description=str(header["description"]).strip(),
        text=text,
        tags=_strings(path, header, "tags"),
        params=params,
        columns=_strings(path, header, "columns"),
        when_empty=" ".join(str(header.get("when-empty") or "").split()),
        extra={k: v for k, v in header.items() if k not in known},
    )


def _list(path: Path, header: Mapping[str, object], key: str) -> list[object]:
    value = header.get(key) or []
    if not isinstance(value, list):
        raise QueryError(f"{path}: '{key}' must be a list, such as '{key}: [a, b]'.")
    return value


def _strings(path: Path, header: Mapping[str, object], key: str) -> tuple[str, ...]:
    return tuple(str(item) for item in _list(path, header, key))


def _param(path: Path, item: object) -> ParamSpec:
    if not isinstance(item, dict) or "name" not in item or "type" not in item:
        raise QueryError(f"{path}: each parameter needs 'name' and 'type'.")
    name, kind = str(item["name"]), str(item["type"])
    if not _NAME_RE.match(name) or name == "lang":
        raise QueryError(f"{path}: '{name}' cannot be a parameter name.")
    if kind not in PARAM_TYPES:
        raise QueryError(f"{path}: parameter '{name}' has type '{kind}'; use one of {', '.join(PARAM_TYPES)}.")
    default = item.get("default")
    return ParamSpec(name=name, type=kind, description=str(item.get("description", "")),
                     default=None if default is None else str(default),
                     required=bool(item.get("required", False)),
                     values=_strings(path, item, "values"))


def load_catalogue(queries_dir: Path) -> dict[str, QuerySpec]:
    """Load every ``*.rq`` directly in ``queries_dir`` (not ``checks/``), by name."""
    return {p.stem: load_query(p) for p in sorted(queries_dir.glob("*.rq"))}


def prepare_catalogue(catalogue: Mapping[str, QuerySpec]) -> None:
    """Read every query's text once now (:attr:`QuerySpec.prepared`), so that a server finds a
    bad text when it starts and its requests only bind values. (A command that runs one query
    prepares only that one, on first use.)

    Raises:
        QueryRefused, QueryTooComplex: a text is not a safe read-only query (the message names its file).
    """
    for spec in catalogue.values():
        try:
            spec.prepared  # noqa: B018  (a cached property: computed here, once)
        except QueryError as exc:  # the same kind of error, naming the file
            raise type(exc)(f"{spec.path}: {exc.message}", exc.line, exc.column) from exc


def find_query(catalogue: Mapping[str, QuerySpec], name: str, listing: str) -> QuerySpec:
    """Return the catalogued query ``name``.

    Raises:
        QueryError: no such query; ``listing`` tells where to find the names.
    """
    spec = catalogue.get(name)
    if spec is None:
        raise unknown_query(name, listing)
    return spec


def unknown_query(name: str, listing: str) -> QueryError:
    """Return the error for a name the catalogue lacks; ``listing`` tells where to find the names."""
    return QueryError(f"no query named {name!r}. {listing}")


def load_adhoc(path: Path, raw: Mapping[str, str], lang: str | None) -> tuple[QuerySpec, dict[str, Term]]:
    """Read a SPARQL file to run ad hoc, and bind ``raw`` parameters and ``lang`` to it.

    A file with a ``#+`` header is read like a catalogued query (its parameters are checked);
    one without takes no parameters, and ``lang`` only when given.

    Raises:
        QueryError: the file cannot be read, or a parameter does not fit.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"cannot read the query file {path}: {exc}.") from exc
    if any(line.startswith("#+") for line in text.splitlines()):
        spec = load_query(path)
    else:
        spec = QuerySpec(name=path.stem, path=path, summary="", description="", text=text)
        if not raw and lang is None:
            return spec, {}
    return spec, bind_parameters(spec, raw, lang or LANGUAGES[0])


def parse_term(param: ParamSpec, raw: str) -> Term:
    """Turn a raw string into the RDF term for ``param`` (see :meth:`ParamSpec.to_term`)."""
    value = raw.strip()
    if param.type == "iri":
        return named_node(param.name, expand_iri(param.name, value))
    if param.type == "date":
        if value == "today":
            value = dt.date.today().isoformat()
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise QueryError(f"parameter '{param.name}' must be a date as YYYY-MM-DD, not {raw!r}.",
                             parameter=param.name) from None
        return ox.Literal(value, datatype=ox.NamedNode(_XSD + "date"))
    if param.type == "integer":
        if not re.fullmatch(r"[+-]?\d+", value):
            raise QueryError(f"parameter '{param.name}' must be a whole number, not {raw!r}.",
                             parameter=param.name)
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(_XSD + "integer"))
    if param.type == "enum" and value not in param.values:
        raise QueryError(f"parameter '{param.name}' must be one of {', '.join(param.values)}, not {raw!r}.",
                         parameter=param.name)
    return ox.Literal(raw)


def named_node(name: str, iri: str) -> ox.NamedNode:
    """Return ``iri`` as a pyoxigraph IRI term: the one check of IRI syntax every entry point uses.

    Raises:
        QueryError: pyoxigraph does not accept it as an IRI (bad percent-escape, bad host, …);
            the message names the parameter ``name``.
    """
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise QueryError(f"parameter '{name}' must be an absolute IRI, not {iri!r}: {exc}.", parameter=name) from None


_UCS = "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
_IRI_CHARS = f"(?:[A-Za-z0-9._~!$&'()*+,;=:@/{_UCS}-]|%[0-9A-Fa-f]{{2}})"
#: What an IRI parameter accepts, as a JSON Schema ``pattern`` for the OpenAPI document: an
#: absolute http(s) IRI, or a prefixed name of the project (``kgid:agency-boverket``).
IRI_PARAMETER_PATTERN = (
    f"^(?:https?://[A-Za-z0-9.-]+(?::[0-9]{{1,5}})?(?:/{_IRI_CHARS}*)?(?:\\?(?:{_IRI_CHARS}|\\?)*)?"
    f"(?:#(?:{_IRI_CHARS}|\\?)*)?"
    f"|(?:{'|'.join(sorted(PREFIXES))}):[A-Za-z0-9_.-]*)$")


#: A calendar date (29 February only in years divisible by four), or ``today``.
DATE_PARAMETER_PATTERN = (r"^(\d{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
                          r"|(?:0[13578]|1[02])-31)|\d\d(?:[02468][048]|[13579][26])-02-29|today)$")
#: What a value that fits each parameter pattern is, for messages.
PATTERN_FORMS = {
    IRI_PARAMETER_PATTERN: "an IRI such as https://w3id.org/mmr-kg/id/agency-naturvardsverket or "
                           "kgid:agency-naturvardsverket",
    DATE_PARAMETER_PATTERN: "a date such as 2019-06-01, or 'today'",
}


def expand_iri(name: str, value: str) -> str:
    """Return the absolute IRI for ``value``, expanding a known prefix (``kgid:agency-boverket``).

    Raises:
        QueryError: ``value`` is neither an absolute http(s) IRI nor a known prefixed name.
    """
    prefix, _, local = value.partition(":")
    if prefix in PREFIXES and not local.startswith("//"):
        value = PREFIXES[prefix] + local
    if not value.startswith(("http://", "https://")):
        raise QueryError(f"parameter '{name}' must be an IRI such as "
                         f"https://w3id.org/mmr-kg/id/agency-naturvardsverket or kgid:agency-naturvardsverket, "
                         f"not {value!r}.", parameter=name)
    named_node(name, value)
    return value


def bound_text(spec: QuerySpec, raw: Mapping[str, str] | None = None, lang: str = LANGUAGES[0]) -> str:
    """Return ``spec``'s text as the API runs it with ``raw`` parameters (and their defaults)
    bound by ``VALUES``: what the query editor opens. The text as written when a parameter is
    missing or does not fit.
    """
    try:
        return str(spec.prepared.bind(bind_parameters(spec, raw or {}, lang)))
    except GraphError:
        return spec.text


def bind_parameters(spec: QuerySpec, raw: Mapping[str, str], lang: str = LANGUAGES[0]) -> dict[str, Term]:
    """Validate ``raw`` parameters against ``spec`` and return variable bindings.

    Unknown names, bad values and missing required parameters raise :class:`QueryError`;
    declared defaults fill the rest; ``lang`` is always bound.
    """
    if lang not in LANGUAGES:
        raise QueryError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}.", parameter="lang")
    bindings: dict[str, Term] = {"lang": ox.Literal(lang)}
    for name in raw:
        spec.param(name)
    for param in spec.params:
        value = raw.get(param.name, param.default)
        if value is None or value == "":
            if param.required:
                raise QueryError(f"query '{spec.name}' needs parameter '{param.name}' ({param.description}).",
                                 parameter=param.name)
            continue
        bindings[param.name] = param.to_term(value)
    return bindings


def run_query(store: GraphStore, spec: QuerySpec, raw: Mapping[str, str] | None = None,
              lang: str = LANGUAGES[0], **limits: float | int | None) -> QueryResult:
    """Run a catalogued query with validated parameters.

    Example:
        >>> from graph.config import default_settings
        >>> catalogue = load_catalogue(default_settings().queries_dir)
        >>> "agency-touchpoints" in catalogue
        True
    """
    return store.query(spec.prepared.bind(bind_parameters(spec, raw or {}, lang)), **limits)  # type: ignore[arg-type]
