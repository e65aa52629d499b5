"""Compare two builds of the graph: which entities were added, removed or changed, per class.

An entity is a subject IRI, and a member of every class it has an ``rdf:type`` of (as the
VoID class partitions count it). Per class, an entity is *added* when it is a member only in
the new build, *removed* when only in the old one, and *changed* when it is a member in both
and its own triples (those with it as subject) differ. Triples are compared as triples, not by
the named graph that holds them; a triple both builds have, but in different named graphs, is
reported as *moved*. The metadata graph's build-specific triples (version, VoID counts, class
partitions, per-graph subsets, the source list) are left out; the two versions head the report.

Example:
    >>> from pyoxigraph import Literal, NamedNode, Quad
    >>> g = NamedNode("https://w3id.org/mmr-kg/graph/data/agencies")
    >>> a = NamedNode("https://w3id.org/mmr-kg/id/agency-a")
    >>> typed = Quad(a, RDF_TYPE, NamedNode("https://w3id.org/mmr-kg/def/Agency"), g)
    >>> name = NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
    >>> old = [typed, Quad(a, name, Literal("Myndigheten A", language="sv"), g)]
    >>> new = [typed, Quad(a, name, Literal("Myndigheten Ä", language="sv"), g)]
    >>> row = diff_graphs(old, new).classes[0]
    >>> row.name, row.before, row.after, [(e.old_label, e.label) for e in row.changed]
    ('kg:Agency', 1, 1, [('Myndigheten A', 'Myndigheten Ä')])
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from graph.build import load_built_graph
from graph.derived import DERIVED_GRAPH
from graph.errors import BuildError, RevisionError
from graph.metadata import META_GRAPH
from graph.namespaces import DATASET_IRI, GRAPH_BASE, PREFIXES, prefixed_name
from graph.queries import LANGUAGES
from graph.revision import build_revision, find_checkout

RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
UNTYPED = "(no rdf:type)"
BUILT_SUFFIXES = (".nq", ".trig")

# Label predicates, best first; within one, the preferred language, then sv, en, none, any.
_LABELS = {PREFIXES["skos"] + "prefLabel": 0, PREFIXES["rdfs"] + "label": 1,
           PREFIXES["foaf"] + "name": 2, PREFIXES["dcterms"] + "title": 3}
_VERSION = PREFIXES["owl"] + "versionInfo"
_BUILD_SPECIFIC = frozenset({_VERSION, PREFIXES["dcat"] + "version", PREFIXES["prov"] + "wasDerivedFrom"})
_DERIVED_NODES = (DATASET_IRI + "-class-", DATASET_IRI + "-graph-")

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
TripleKey = tuple[Term, ox.NamedNode, Term]


@dataclass(frozen=True)
class EntityChange:
    """One entity that joined, left or changed within a class.

    ``triples_added``/``triples_removed`` count its own triples; ``predicates`` are the
    prefixed names of the predicates whose values changed; ``old_label`` is set when the
    label changed.
    """

    iri: str
    label: str | None
    triples_added: int = 0
    triples_removed: int = 0
    predicates: tuple[str, ...] = ()
    old_label: str | None = None


@dataclass(frozen=True)
class ClassChange:
    """The members of one class before and after, and which were added, removed or changed."""

    iri: str
    name: str
    label: str | None
    before: int
    after: int
    added: tuple[EntityChange, ...]
    removed: tuple[EntityChange, ...]
    changed: tuple[EntityChange, ...]

    @property
    def has_changes(self) -> bool:
        """True when a member was added, removed or changed."""
        return bool(self.added or self.removed or self.changed)


@dataclass(frozen=True)
class GraphChange:
    """The triple count of one named graph before and after, with what it gained and lost."""

    graph: str
    before: int
    after: int
    added: int
    removed: int


@dataclass(frozen=True)
class MovedTriples:
    """Triples both builds hold, in the named graphs ``before`` in the old and ``after`` in the new."""

    before: tuple[str, ...]
    after: tuple[str, ...]
    count: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class GraphDiff:
    """What changed between two builds: triple totals, per-class rows, named graphs, moves."""

    old: str
    new: str
    old_version: str | None
    new_version: str | None
    triples_before: int
    triples_after: int
    triples_added: int
    triples_removed: int
    classes: tuple[ClassChange, ...]
    graphs: tuple[GraphChange, ...]
    moved: tuple[MovedTriples, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the whole diff as plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class DiffInput:
    """One side of a diff: how to name it, and its quads."""

    name: str
    quads: tuple[ox.Quad, ...]


# --- computing ----------------------------------------------------------------------------------


def is_build_specific(quad: ox.Quad) -> bool:
    """True for a metadata-graph triple that describes one build rather than the data, and for
    every triple the build derives (:mod:`graph.derived`): it changes only with the data it shortens.

    >>> is_build_specific(ox.Quad(ox.NamedNode(DATASET_IRI), ox.NamedNode(_VERSION), ox.Literal("0.1.0"), META_GRAPH))
    True
    """
    if quad.graph_name == DERIVED_GRAPH:
        return True
    if quad.graph_name != META_GRAPH:
        return False
    return (quad.predicate.value in _BUILD_SPECIFIC or quad.predicate.value.startswith(PREFIXES["void"])
            or _name(quad.subject).startswith(_DERIVED_NODES))


class _Side:
    """The comparable content of one build: triple → named graphs, and per-subject views."""

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        self.graphs: dict[TripleKey, set[str]] = defaultdict(set)
        self.version: str | None = None
        for quad in quads:
            if quad.graph_name == META_GRAPH and quad.predicate.value == _VERSION \
                    and _name(quad.subject) == DATASET_IRI:
                self.version = _name(quad.object)
            if not is_build_specific(quad):
                self.graphs[(quad.subject, quad.predicate, quad.object)].add(_graph_name(quad.graph_name))
        self.by_subject: dict[Term, set[tuple[ox.NamedNode, Term]]] = defaultdict(set)
        self.members: dict[str, set[Term]] = defaultdict(set)
        for s, p, o in self.graphs:
            self.by_subject[s].add((p, o))
            if p == RDF_TYPE and isinstance(o, ox.NamedNode):
                self.members[o.value].add(s)
        typed = set().union(*self.members.values()) if self.members else set()
        self.members[UNTYPED] = {s for s in self.by_subject if s not in typed}


def _graph_name(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> str:
    if isinstance(graph, ox.DefaultGraph):
        return "(default graph)"
    return graph.value.removeprefix(GRAPH_BASE)


def best_label(pairs: Iterable[tuple[ox.NamedNode, Term]], lang: str = "sv") -> str | None:
    """Return the best label among predicate/object ``pairs``: skos:prefLabel, rdfs:label, foaf:name,
    dcterms:title in that order, each in ``lang``, then sv, en, no language, any other.

    >>> best_label([(ox.NamedNode(PREFIXES["rdfs"] + "label"), ox.Literal("touchpoint", language="en")),
    ...             (ox.NamedNode(PREFIXES["rdfs"] + "label"), ox.Literal("beröringspunkt", language="sv"))])
    'beröringspunkt'
    """
    order = {code: rank for rank, code in enumerate(dict.fromkeys([lang, *LANGUAGES, ""]))}
    ranked = [((_LABELS[p.value], order.get(o.language or "", 4), o.value), o.value)
              for p, o in pairs if p.value in _LABELS and isinstance(o, ox.Literal)]
    return min(ranked)[1] if ranked else None


def _name(subject: Term) -> str:
    """The IRI or lexical value of a term (a blank node's label, an RDF-star triple's N-Triples form)."""
    return str(subject) if isinstance(subject, ox.Triple) else subject.value


def _short(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return prefixed_name(term.value) or f"<{term.value}>"
    if isinstance(term, ox.Literal):
        text = term.value if len(term.value) <= 60 else term.value[:57] + "..."
        return json.dumps(text, ensure_ascii=False) + (f"@{term.language}" if term.language else "")
    return str(term)


def diff_graphs(old: Iterable[ox.Quad], new: Iterable[ox.Quad], *, old_name: str = "old",
                new_name: str = "new", lang: str = "sv", moved_examples: int = 3) -> GraphDiff:
    """Compare two builds given as quads (a ``pyoxigraph.Store`` is an iterable of quads).

    Args:
        old, new: the quads of the two builds.
        old_name, new_name: how the report names each side.
        lang: the preferred label language (labels fall back to sv, en, then any).
        moved_examples: how many example triples to keep per group of moved triples.

    Returns:
        The :class:`GraphDiff`; ``classes`` lists every class of either side, changed ones
        first (most changes first), then by name.
    """
    before, after = _Side(old), _Side(new)
    added = after.graphs.keys() - before.graphs.keys()
    removed = before.graphs.keys() - after.graphs.keys()
    classes = [_class_change(cls, before, after, lang) for cls in before.members.keys() | after.members.keys()]
    classes = [c for c in classes if c.before or c.after]
    classes.sort(key=lambda c: (-(len(c.added) + len(c.removed) + len(c.changed)), c.iri == UNTYPED, c.name))
    return GraphDiff(old_name, new_name, before.version, after.version, len(before.graphs), len(after.graphs),
                     len(added), len(removed), tuple(classes), _graph_changes(before, after),
                     _moved(before, after, moved_examples))


def _class_change(cls: str, before: _Side, after: _Side, lang: str) -> ClassChange:
    old, new = before.members.get(cls, set()), after.members.get(cls, set())

    def entity(subject: Term, side: _Side, *, triples_added: int = 0, triples_removed: int = 0) -> EntityChange:
        return EntityChange(_name(subject), best_label(side.by_subject[subject], lang),
                            triples_added=triples_added, triples_removed=triples_removed)

    changed = []
    for subject in old & new:
        was, now = before.by_subject[subject], after.by_subject[subject]
        if was != now:
            old_label, label = best_label(was, lang), best_label(now, lang)
            predicates = sorted({_short(p) for p, _ in was ^ now})
            changed.append(EntityChange(_name(subject), label, len(now - was), len(was - now),
                                        tuple(predicates), old_label if old_label != label else None))
    class_node = ox.NamedNode(cls) if cls != UNTYPED else None
    label = best_label(after.by_subject.get(class_node) or before.by_subject.get(class_node) or (), lang) \
        if class_node else None
    return ClassChange(
        iri=cls, name=_short(class_node) if class_node else UNTYPED, label=label, before=len(old), after=len(new),
        added=_sorted(entity(s, after, triples_added=len(after.by_subject[s])) for s in new - old),
        removed=_sorted(entity(s, before, triples_removed=len(before.by_subject[s])) for s in old - new),
        changed=_sorted(changed))


def _sorted(entities: Iterable[EntityChange]) -> tuple[EntityChange, ...]:
    return tuple(sorted(entities, key=lambda e: e.iri))


def _graph_changes(before: _Side, after: _Side) -> tuple[GraphChange, ...]:
    def per_graph(side: _Side) -> dict[str, set[TripleKey]]:
        graphs: dict[str, set[TripleKey]] = defaultdict(set)
        for triple, names in side.graphs.items():
            for name in names:
                graphs[name].add(triple)
        return graphs

    old, new = per_graph(before), per_graph(after)
    rows = []
    for name in sorted(old.keys() | new.keys()):
        was, now = old.get(name, set()), new.get(name, set())
        if was != now:
            rows.append(GraphChange(name, len(was), len(now), len(now - was), len(was - now)))
    return tuple(rows)


def _moved(before: _Side, after: _Side, examples: int) -> tuple[MovedTriples, ...]:
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[TripleKey]] = defaultdict(list)
    for triple in before.graphs.keys() & after.graphs.keys():
        was, now = before.graphs[triple], after.graphs[triple]
        if was != now:
            groups[(tuple(sorted(was)), tuple(sorted(now)))].append(triple)
    return tuple(
        MovedTriples(was, now, len(triples), tuple(" ".join(_short(t) for t in triple) for triple in
                                                  sorted(triples, key=lambda t: tuple(str(x) for x in t))[:examples]))
        for (was, now), triples in sorted(groups.items()))


# --- reading the two sides ----------------------------------------------------------------------


def load_input(spec: str, repo: Path | None = None,
               progress: Callable[[str], None] | None = None) -> DiffInput:
    """Read one side of a diff: a built graph file (or a folder holding ``graph.nq``), else a git
    revision of the sources in the checkout around ``repo`` (default: the current folder), built
    with the project's own :func:`graph.build.build_graph`.

    Raises:
        BuildError: the file cannot be read or parsed (the message names file, line and column).
        RevisionError: ``spec`` is neither a file nor a revision, the folder is not a git checkout,
            or the revision has no graph sources.
    """
    path = Path(spec)
    if path.is_dir():
        path = path / "graph.nq"
        if not path.is_file():
            raise BuildError("no built graph in this folder. Run 'kg build --out FOLDER' first, "
                             "or give the graph.nq or graph.trig file.", path)
    if path.is_file():
        try:
            return DiffInput(spec, tuple(load_built_graph(path)))
        except OSError as exc:
            raise BuildError(f"cannot read the file: {exc.strerror or exc}. Check its permissions.", path) from exc
    if path.suffix in BUILT_SUFFIXES:
        raise BuildError("no such file. Build it with 'kg build --out FOLDER', or give a git revision "
                         "(HEAD, main~3, a commit hash).", path)
    folder = repo or Path.cwd()
    checkout = find_checkout(folder)
    if checkout is None:
        raise RevisionError(f"'{spec}' is not a file, and {folder} is not inside a git checkout, so it cannot "
                            "be a revision either. Give built graphs (graph.nq or graph.trig), or run kg diff "
                            "inside a clone of the project (or pass --repo FOLDER).")
    built = build_revision(checkout, spec, progress)
    name = spec if built.commit.startswith(spec.lower()) else f"{spec} ({built.commit[:7]})"
    return DiffInput(name, tuple(built.store))


def diff_inputs(old: str, new: str, *, repo: Path | None = None, lang: str = "sv",
                progress: Callable[[str], None] | None = None) -> GraphDiff:
    """Read ``old`` and ``new`` with :func:`load_input` and compare them with :func:`diff_graphs`."""
    before, after = load_input(old, repo, progress), load_input(new, repo, progress)
    return diff_graphs(before.quads, after.quads, old_name=before.name, new_name=after.name, lang=lang)
