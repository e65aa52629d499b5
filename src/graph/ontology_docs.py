"""Ontology documentation: one pyLODE page per ontology module, plus an index, in ``docs/ontology/``.

``kg ontology-docs`` (and ``make ontology-docs``) writes the pages with :mod:`graph.ontology_pages`
(pyLODE, the ``docs`` extra); this module reads the modules and the pages, which is all
``kg serve`` needs to serve them under ``/def/`` and ``/ontology/`` (:mod:`graph.api.routes.ontology`).

- A module is named after its ontology IRI (``https://w3id.org/mmr-kg/ontology/touchpoints`` is
  ``touchpoints``); its page is ``<module>.html``, beside ``index.html`` and ``pylode.css``.
- pyLODE gets a graph made for reading (:func:`graph.ontology_pages.presentation_graph`): the module's ontology header
  and ``kg:`` terms, each term's labels joined into one title (``touchpoint (sv: beröringspunkt)``),
  since pyLODE would run the Swedish and English labels together; the module's SKOS concept
  schemes (``kgid:`` concepts, which pyLODE's OWL profile would mistake for ontologies) get a
  section of their own. Each term's anchor is its local name (``touchpoints.html#Touchpoint``);
  a link to a term of another module points at that module's page.
- Every page records the SHA-256 of its source file in ``<meta name="kg-source">``, so a test can
  tell cheaply whether the pages are current. Pages carry no dates: regenerating unchanged sources
  gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from graph.config import resource_root
from graph.errors import BuildError
from graph.namespaces import BASE, KG, ONTOLOGY_BASE, PREFIXES

INDEX_PAGE = "index.html"
STYLESHEET = "pylode.css"
SOURCE_META = "kg-source"
_RDF_TYPE = PREFIXES["rdf"] + "type"
_LABEL = PREFIXES["rdfs"] + "label"
_COMMENT = PREFIXES["rdfs"] + "comment"
_OWL = PREFIXES["owl"]
_PROPERTY_TYPES = {_OWL + "ObjectProperty", _OWL + "DatatypeProperty", _OWL + "AnnotationProperty",
                   PREFIXES["rdf"] + "Property"}
_SOURCE_RE = re.compile(rf'<meta name="{SOURCE_META}" content="([^"]+) sha256=([0-9a-f]{{64}})">')


def default_docs_dir() -> Path:
    """Return the shipped documentation folder: ``docs/ontology`` of the checkout, or inside the wheel."""
    return resource_root() / "docs" / "ontology"


@dataclass(frozen=True)
class OntologyModule:
    """One ontology module as its file declares it."""

    name: str
    iri: str
    path: Path
    sha256: str
    version: str = ""
    version_iri: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    description: str = ""
    classes: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        """The ``kg:`` terms the module defines (classes and properties), as local names."""
        return tuple(sorted({*self.classes, *self.properties}))

    def title(self, lang: str = "en") -> str:
        """The module's label in ``lang``, else any label, else its name."""
        return self.labels.get(lang) or next(iter(self.labels.values()), self.name)


def read_module(path: Path) -> OntologyModule:
    """Read one ontology file's header and the ``kg:`` terms it defines.

    Raises:
        BuildError: the file does not parse, or does not declare exactly one ``owl:Ontology``
            under ``https://w3id.org/mmr-kg/ontology/``.
    """
    data = path.read_bytes()
    try:
        triples = list(ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()))
    except SyntaxError as exc:
        raise BuildError(f"cannot parse: {exc}", path) from None
    ontologies = sorted({t.subject.value for t in triples
                         if t.predicate.value == _RDF_TYPE and t.object.value == _OWL + "Ontology"})
    if len(ontologies) != 1 or not ontologies[0].startswith(ONTOLOGY_BASE):
        raise BuildError(f"declares {len(ontologies)} owl:Ontology ({', '.join(ontologies) or 'none'}); each "
                         f"module declares exactly one, named {ONTOLOGY_BASE}<module>.", path)
    iri = ontologies[0]
    about: dict[str, list[ox.Triple]] = {}
    for t in triples:
        about.setdefault(t.subject.value, []).append(t)
    header = about[iri]

    def value(predicate: str) -> str:
        return next((_text(t.object) for t in header if t.predicate.value == predicate), "")

    labels = {t.object.language or "": t.object.value for t in header
              if t.predicate.value == _LABEL and isinstance(t.object, ox.Literal)}
    types = {s: {_text(t.object) for t in ts if t.predicate.value == _RDF_TYPE} for s, ts in about.items()}
    classes = tuple(sorted(s.removeprefix(KG) for s, ts in types.items() if s.startswith(KG) and _OWL + "Class" in ts))
    properties = tuple(sorted(s.removeprefix(KG) for s, ts in types.items()
                              if s.startswith(KG) and ts & _PROPERTY_TYPES))
    return OntologyModule(name=iri.removeprefix(ONTOLOGY_BASE), iri=iri, path=path,
                          sha256=hashlib.sha256(data).hexdigest(), version=value(_OWL + "versionInfo"),
                          version_iri=value(_OWL + "versionIRI"), labels=dict(sorted(labels.items())),
                          description=value(_COMMENT), classes=classes, properties=properties)


def _text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """The IRI or lexical form of ``term`` (an RDF-star triple as written in N-Triples)."""
    return str(term) if isinstance(term, ox.Triple) else term.value


def read_modules(ontology_dir: Path) -> list[OntologyModule]:
    """Read every ``*.ttl`` module of ``ontology_dir``, by name.

    Raises:
        BuildError: a file cannot be read as a module, or two files declare the same module.
    """
    modules = [read_module(path) for path in sorted(ontology_dir.glob("*.ttl"))]
    seen: dict[str, Path] = {}
    for module in modules:
        if module.name in seen:
            raise BuildError(f"declares module '{module.name}', as {seen[module.name].name} does; rename one.",
                             module.path)
        seen[module.name] = module.path
    return sorted(modules, key=lambda m: m.name)


def source_record(module: OntologyModule) -> str:
    """Return the ``<meta>`` element that records which source a page was made from."""
    return f'<meta name="{SOURCE_META}" content="{module.path.parent.name}/{module.path.name} sha256={module.sha256}">'


def recorded_sources(page: str) -> dict[str, str]:
    """Return the sources a generated page records (``ontology/core.ttl`` → its SHA-256).

    >>> recorded_sources('<meta name="kg-source" content="ontology/x.ttl sha256=' + "0" * 64 + '">')
    {'ontology/x.ttl': '0000000000000000000000000000000000000000000000000000000000000000'}
    """
    return dict(_SOURCE_RE.findall(page))


def stale_pages(modules: Iterable[OntologyModule], docs_dir: Path) -> list[str]:
    """Return what is missing or out of date in ``docs_dir`` for ``modules`` (empty when current).

    Compares the hashes the pages record with the sources' (it does not run pyLODE).
    """
    problems = []
    modules = list(modules)
    wanted = {f"{m.path.parent.name}/{m.path.name}": m.sha256 for m in modules}
    index = docs_dir / INDEX_PAGE
    if not index.is_file() or recorded_sources(index.read_text(encoding="utf-8")) != wanted:
        problems.append(f"{index}: missing, or lists other modules or versions than {', '.join(sorted(wanted))}")
    for module in modules:
        page = docs_dir / f"{module.name}.html"
        record = f"{module.path.parent.name}/{module.path.name}"
        if not page.is_file() or recorded_sources(page.read_text(encoding="utf-8")) != {record: module.sha256}:
            problems.append(f"{page}: missing, or made from another version of {record}")
    if not (docs_dir / STYLESHEET).is_file():
        problems.append(f"{docs_dir / STYLESHEET}: missing")
    extra = sorted(p.name for p in docs_dir.glob("*.html")
                   if p.name != INDEX_PAGE and p.stem not in {m.name for m in modules})
    problems += [f"{docs_dir / name}: no module of that name any more" for name in extra]
    return problems


#: A line at the top of each served page, leading back to the site (the files stay as pyLODE makes them).
SITE_BAR = ('<p id="kg-site"><a href="/">Miljömålsrådet · upphandlingsgrafen</a> · '
            '<a href="/def/">Ontology</a></p>')


def site_links(page: str, modules: Iterable[str]) -> str:
    """Rewrite a generated page for the site that serves it: a page of module ``m`` is at
    ``/ontology/m``, the stylesheet at ``/ontology/pylode.css``, and an IRI under
    ``https://w3id.org/mmr-kg/`` at its path (``/def/…``, ``/id/…``, ``/ontology/…``); a line at the
    top of the body leads back to the site (:data:`SITE_BAR`).

    >>> site_links('<a href="core.html#Citation"> <a href="https://w3id.org/mmr-kg/id/x">', ["core"])
    '<a href="/ontology/core#Citation"> <a href="/id/x">'
    """
    names = "|".join(re.escape(m) for m in sorted(modules, key=len, reverse=True))
    if names:
        page = re.sub(rf'href="({names})\.html(#[^"]*)?"', lambda m: f'href="/ontology/{m.group(1)}{m.group(2) or ""}"',
                      page)
    page = page.replace(f'href="{STYLESHEET}"', f'href="/ontology/{STYLESHEET}"')
    return page.replace(f'href="{BASE}', 'href="/').replace("<body>", "<body>" + SITE_BAR, 1)
