"""Why a catalogued query may answer nothing: an IRI parameter that names nothing in the graph,
or names a node the graph has retired.

A mistyped IRI (``kgid:agency-boverk``) is a valid IRI, so the query runs and answers no rows.
:func:`absent_iri_notes` says so, with the IRIs of the graph spelt most like it. A retired IRI
(``owl:deprecated``) still names something, but no query asks for it any more:
:func:`retired_iri_notes` says so, with what replaces it and its history note.
:func:`empty_answer_notes` adds the query's own ``when-empty`` note: what ``kg query``, the
catalogue API and ``graph.open().query`` say of an empty answer.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import pyoxigraph as ox

from graph.namespaces import KGID, compact
from graph.queries import QuerySpec
from graph.store import GraphStore, Term

_USED = "ASK { { ?iri ?p ?o } UNION { ?s ?p ?iri } }"
_RETIRED = """SELECT ?replacement ?history WHERE {
  ?iri owl:deprecated true
  OPTIONAL { ?iri dcterms:isReplacedBy ?replacement }
  OPTIONAL { ?iri skos:historyNote ?history }
} ORDER BY ?replacement ?history"""
# Typed nodes only: the type triples are a fraction of all, and the nodes without one are retired
# IRIs (owl:deprecated) and the dataset description's partitions, which are no answer to a typo.
_SPELT_ALIKE = "SELECT DISTINCT ?s WHERE { ?s a ?type FILTER(isIRI(?s) && STRSTARTS(STR(?s), STR(?stem))) }"
#: How many IRIs a note suggests, and how alike (difflib's ratio) each must be.
SUGGESTIONS = 3
LIKENESS = 0.7


def empty_answer_notes(store: GraphStore, spec: QuerySpec, bindings: Mapping[str, Term]) -> list[str]:
    """Return what to say of an empty answer of ``spec`` run with ``bindings``: a note for each IRI
    parameter that names nothing in the graph (:func:`absent_iri_notes`) or a retired node
    (:func:`retired_iri_notes`), then the query's own ``when-empty`` note, if it has one."""
    notes = [*absent_iri_notes(store, spec, bindings), *retired_iri_notes(store, spec, bindings), spec.when_empty]
    return [note for note in notes if note]


def absent_iri_notes(store: GraphStore, spec: QuerySpec, bindings: Mapping[str, Term]) -> list[str]:
    """Return one note for each IRI parameter of ``spec`` whose value in ``bindings`` names nothing
    in the graph (no triple has it as subject or object), with the subjects of the graph whose IRI
    is spelt most like it (same namespace and kind, e.g. ``…/id/agency-``)."""
    notes = []
    for name, value in _iri_parameters(spec, bindings):
        if store.query(_USED, {"iri": value}).boolean:
            continue
        alike = spelt_alike(store, value.value)
        hint = f" Did you mean {' or '.join(compact(iri) for iri in alike)}?" if alike else ""
        notes.append(f"{name} {compact(value.value)} names nothing in the graph.{hint}")
    return notes


def retired_iri_notes(store: GraphStore, spec: QuerySpec, bindings: Mapping[str, Term]) -> list[str]:
    """Return one note for each IRI parameter of ``spec`` whose value in ``bindings`` is retired
    (``owl:deprecated true``: the IRI stays, never reused, but the graph no longer uses it), with
    the IRIs that replace it (``dcterms:isReplacedBy``) and its ``skos:historyNote``."""
    notes = []
    for name, value in _iri_parameters(spec, bindings):
        result = store.query(_RETIRED, {"iri": value})
        if not result.rows:
            continue
        replacements = dict.fromkeys(compact(term.value) for term in result.column("replacement") if term is not None)
        histories = dict.fromkeys(term.value for term in result.column("history") if term is not None)
        note = f"{name} {compact(value.value)} is retired (owl:deprecated)"
        note += f"; use {' or '.join(replacements)} instead." if replacements else ": nothing replaces it."
        notes += [note + "".join(f" History: {history}" for history in histories)]
    return notes


def _iri_parameters(spec: QuerySpec, bindings: Mapping[str, Term]) -> list[tuple[str, ox.NamedNode]]:
    """The IRI parameters of ``spec`` given in ``bindings``, with their values."""
    return [(param.name, value) for param in spec.params
            if param.type == "iri" and isinstance(value := bindings.get(param.name), ox.NamedNode)]


def spelt_alike(store: GraphStore, iri: str) -> list[str]:
    """Return up to :data:`SUGGESTIONS` subjects of the graph whose IRI is spelt like ``iri``, most alike first.

    Only the graph's own nodes (``kgid:``) are suggested, and only those of the same kind: the
    same local name up to its first ``-`` (``kgid:agency-boverk`` is compared with the agencies).
    An IRI outside ``kgid:``, or without a kind, gets none: comparing it with every node would
    cost seconds on a large graph.
    """
    namespace, _, local = iri.rpartition("/")
    kind, dash, _ = local.partition("-")
    if not iri.startswith(KGID) or not dash:
        return []
    stem = f"{namespace}/{kind}{dash}"
    found = store.query(_SPELT_ALIKE, {"stem": ox.Literal(stem)}).column("s")
    # Compared after the stem: the long prefix all of them share would make every pair look alike.
    rests = {term.value.removeprefix(stem): term.value for term in found if isinstance(term, ox.NamedNode)}
    close = difflib.get_close_matches(iri.removeprefix(stem), list(rests), n=SUGGESTIONS, cutoff=LIKENESS)
    return [rests[rest] for rest in close]
