"""Make the ontology's documentation pages with pyLODE (the ``docs`` extra): ``kg ontology-docs``.

What the pages hold, and how they record their sources, is described in :mod:`graph.ontology_docs`.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from graph.errors import GraphError
from graph.namespaces import KG, KGID, ONTOLOGY_BASE, PREFIXES
from graph.ontology_docs import (
    INDEX_PAGE,
    STYLESHEET,
    OntologyModule,
    read_modules,
    recorded_sources,
    source_record,
)

if TYPE_CHECKING:
    import rdflib

_RDF_TYPE = PREFIXES["rdf"] + "type"
_SKOS = PREFIXES["skos"]


def joined_title(labels: dict[str, str]) -> str:
    """Return one heading for a term's labels: English first, the Swedish after it.

    >>> joined_title({"sv": "beröringspunkt", "en": "touchpoint"})
    'touchpoint (sv: beröringspunkt)'
    >>> joined_title({"sv": "sektor"})
    'sektor'
    """
    first = labels.get("en") or labels.get("sv") or next(iter(labels.values()), "")
    others = [f"{lang}: {text}" for lang, text in sorted(labels.items()) if text != first and lang]
    return f"{first} ({'; '.join(others)})" if others else first


def presentation_graph(module: OntologyModule, modules: Iterable[OntologyModule] = ()) -> rdflib.Graph:
    """Return what pyLODE documents for ``module``: its header and its ``kg:`` terms, each with one title.

    The labels become one ``dcterms:title`` per subject (:func:`joined_title`); every other triple
    about the ontology and its ``kg:`` terms is kept as it is. The ``kgid:`` concept schemes are
    left out here and shown by :func:`concept_section`. The other ``modules`` lend their titles,
    so that an import reads as the module's name. A header that names its namespace's prefix
    (``vann:preferredNamespacePrefix "kg"``) but not the namespace gets the namespace of that
    project prefix, as ``core`` states it: pyLODE needs it to tell the module's own terms.
    """
    import rdflib
    from rdflib.namespace import DCTERMS, RDFS, VANN

    source = rdflib.Graph().parse(module.path, format="turtle")
    shown = rdflib.Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        shown.bind(prefix, namespace)
    labels: dict[rdflib.term.Node, dict[str, str]] = {}
    for s, p, o in source:
        if not (str(s).startswith(KG) or str(s) == module.iri):
            continue
        if p == RDFS.label and isinstance(o, rdflib.Literal):
            labels.setdefault(s, {})[o.language or ""] = str(o)
        else:
            shown.add((s, p, o))
    header = rdflib.URIRef(module.iri)
    declared = str(source.value(header, VANN.preferredNamespacePrefix))
    if declared in PREFIXES and source.value(header, VANN.preferredNamespaceUri) is None:
        shown.add((header, VANN.preferredNamespaceUri, rdflib.Literal(PREFIXES[declared])))
    for other in modules:
        if other.iri != module.iri:
            labels[rdflib.URIRef(other.iri)] = other.labels
    for subject, by_lang in labels.items():
        shown.add((subject, DCTERMS.title, rdflib.Literal(joined_title(by_lang))))
    return shown


def concept_section(module: OntologyModule) -> str:
    """Return an HTML section listing the module's SKOS concept schemes and their concepts ('' when none)."""
    triples = list(ox.parse(path=module.path))
    values: dict[tuple[str, str], list[ox.NamedNode | ox.Literal | ox.BlankNode | ox.Triple]] = {}
    for t in triples:
        values.setdefault((t.subject.value, t.predicate.value), []).append(t.object)
    schemes = sorted({t.subject.value for t in triples if t.predicate.value == _RDF_TYPE
                      and t.object.value == _SKOS + "ConceptScheme" and t.subject.value.startswith(KGID)})
    if not schemes:
        return ""

    def label(iri: str) -> str:
        found = {o.language or "": o.value for o in values.get((iri, _SKOS + "prefLabel"), [])
                 if isinstance(o, ox.Literal)}
        return joined_title(found) or iri.removeprefix(KGID)

    def text(iri: str, predicate: str) -> str:
        return next((o.value for o in values.get((iri, predicate), []) if isinstance(o, ox.Literal)), "")

    parts = ['<div class="section" id="conceptschemes">', "<h2>Concept schemes</h2>",
             "<p>The module's SKOS concepts are instances (<code>kgid:</code>), not terms: each IRI is a page "
             "of the graph's site.</p>"]
    for scheme in schemes:
        concepts = sorted({t.subject.value for t in triples
                           if t.predicate.value == _SKOS + "inScheme" and t.object.value == scheme},
                          key=lambda c: (text(c, _SKOS + "notation"), c))
        local = scheme.removeprefix(KGID)
        parts += [f'<div class="entity" id="{html.escape(local)}">',
                  f"<h3>{html.escape(label(scheme))}</h3>",
                  f'<table><tr><th>IRI</th><td><a href="{html.escape(scheme)}"><code>{html.escape(scheme)}</code></a>'
                  "</td></tr>"]
        definition = text(scheme, _SKOS + "definition")
        if definition:
            parts.append(f"<tr><th>Definition</th><td>{html.escape(definition)}</td></tr>")
        items = "".join(f'<li><a href="{html.escape(c)}">{html.escape(label(c))}</a>'
                        + (f" — {html.escape(d)}" if (d := text(c, _SKOS + "definition")) else "") + "</li>"
                        for c in concepts)
        parts += [f"<tr><th>Concepts</th><td><ul>{items}</ul></td></tr></table>", "</div>"]
    parts.append("</div>")
    return "\n".join(parts)


def module_page(module: OntologyModule, modules: list[OntologyModule]) -> str:
    """Return the HTML page pyLODE makes for ``module``, with stable anchors and the source recorded.

    ``modules`` are all the modules, so that a link to a term of another module goes to that
    module's page (``organisations.html#Agency``).
    """
    from pylode import OntPub

    homes = {term: m.name for m in modules for term in m.terms}
    with tempfile.TemporaryDirectory(prefix="kg-pylode-") as tmp:
        doc = OntPub(presentation_graph(module, modules), sort_subjects=True)
        for local, home in homes.items():
            # pyLODE writes '#' + this id in links; another module's term gets a marker replaced below.
            doc.fids[KG + local] = local if home == module.name else f"@{home}.html#{local}"
        target = Path(tmp) / "page.html"
        doc.make_html(destination=target, include_css=False)
        page = target.read_text(encoding="utf-8")
    page = unique_ids(local_links(page.replace('href="#@', 'href="'), module.name, homes))
    page = page.replace("<head>", "<head>\n    " + source_record(module), 1)
    section = concept_section(module)
    if section:
        page = page.replace('<div id="namespaces">', section + '\n<div id="namespaces">', 1)
    return page


def local_links(page: str, module: str, homes: dict[str, str]) -> str:
    """Point links to ``kg:`` terms and to modules at the pages that document them.

    >>> local_links('<a href="https://w3id.org/mmr-kg/def/Agency">', "touchpoints", {"Agency": "organisations"})
    '<a href="organisations.html#Agency">'
    >>> local_links('<a href="https://w3id.org/mmr-kg/ontology/core">', "touchpoints", {"Citation": "core"})
    '<a href="core.html">'
    """
    def term(match: re.Match[str]) -> str:
        home = homes.get(match.group(1))
        if home is None:
            return match.group(0)
        return f'href="#{match.group(1)}"' if home == module else f'href="{home}.html#{match.group(1)}"'

    def ontology(match: re.Match[str]) -> str:
        name = match.group(1)
        return f'href="{name}.html"' if name in set(homes.values()) else match.group(0)

    page = re.sub(rf'href="{re.escape(KG)}([A-Za-z0-9_-]+)"', term, page)
    return re.sub(rf'href="{re.escape(ONTOLOGY_BASE)}([A-Za-z0-9_-]+)"', ontology, page)


def unique_ids(page: str) -> str:
    """Suffix repeated element ids (pyLODE lists a functional property twice), so each anchor is one element.

    >>> unique_ids('<div id="agency"></div><div id="agency"></div>')
    '<div id="agency"></div><div id="agency-2"></div>'
    """
    seen: dict[str, int] = {}

    def renumber(match: re.Match[str]) -> str:
        seen[match.group(1)] = seen.get(match.group(1), 0) + 1
        count = seen[match.group(1)]
        return match.group(0) if count == 1 else f' id="{match.group(1)}-{count}"'

    return re.sub(r' id="([^"]+)"', renumber, page)


def index_page(modules: list[OntologyModule]) -> str:
    """Return the index page: each module's title, description, version and IRI, linked to its page."""
    rows = []
    for m in modules:
        other = "; ".join(f"{lang}: {html.escape(text)}" for lang, text in m.labels.items() if text != m.title())
        rows.append(
            f'<div class="entity" id="{html.escape(m.name)}">\n'
            f'<h3><a href="{html.escape(m.name)}.html">{html.escape(m.title())}</a></h3>\n'
            f"<table>\n<tr><th>Module</th><td><code>{html.escape(m.name)}</code>"
            + (f" ({other})" if other else "") + "</td></tr>\n"
            f"<tr><th>IRI</th><td><code>{html.escape(m.iri)}</code></td></tr>\n"
            f"<tr><th>Version</th><td>{html.escape(m.version)} (<code>{html.escape(m.version_iri)}</code>)</td></tr>\n"
            f"<tr><th>Description</th><td>{html.escape(m.description)}</td></tr>\n"
            f"<tr><th>Terms</th><td>{len(m.classes)} classes, {len(m.properties)} properties</td></tr>\n"
            "</table>\n</div>")
    records = "\n    ".join(source_record(m) for m in modules)
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    {records}
    <title>Environmental procurement graph – ontology</title>
    <link href="{STYLESHEET}" rel="stylesheet" type="text/css">
  </head>
  <body>
    <div id="content">
      <div class="section" id="metadata">
        <h1>Environmental procurement graph – ontology modules</h1>
        <p>Terms are named under <code>{KG}</code> (prefix <code>kg:</code>); each module is an
        <code>owl:Ontology</code> named under <code>{ONTOLOGY_BASE}</code>. One page per module,
        made with pyLODE from <code>ontology/*.ttl</code>.</p>
      </div>
      <div class="section" id="modules">
        <h2>Modules</h2>
{chr(10).join(rows)}
      </div>
    </div>
  </body>
</html>
"""


def write_ontology_docs(ontology_dir: Path, out_dir: Path) -> list[Path]:
    """Write one page per module of ``ontology_dir``, the index and the stylesheet into ``out_dir``.

    Files whose content is unchanged are left alone; pages of modules that no longer exist are
    removed. Returns the files written.

    Raises:
        BuildError: an ontology file cannot be read as a module.
        GraphError: pyLODE (the ``docs`` extra) is not installed.
    """
    try:
        import pylode
    except ImportError:
        raise GraphError("the ontology documentation is made with pyLODE: install it with "
                         "pip install 'mmr-kg[docs]' (make ontology-docs does).") from None
    modules = read_modules(ontology_dir)
    pages = {f"{m.name}.html": module_page(m, modules) for m in modules}
    pages[INDEX_PAGE] = index_page(modules)
    pages[STYLESHEET] = (resources.files(pylode) / STYLESHEET).read_text(encoding="utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in pages.items():
        target = out_dir / name
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out_dir, delete=False, suffix=".tmp") as tmp:
            tmp.write(text)
        os.chmod(tmp.name, 0o644)
        os.replace(tmp.name, target)
        written.append(target)
    for stale in out_dir.glob("*.html"):
        if stale.name not in pages and recorded_sources(stale.read_text(encoding="utf-8")):
            stale.unlink()
    return written

