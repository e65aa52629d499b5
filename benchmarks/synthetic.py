"""A clearly synthetic graph of the project's shape, for benchmarks only (never written into data/).

The shipped graph is kept once; its instance data (agencies, touchpoints, citations,
sources, memberships, periods, criteria, agreements, activities, gaps …) is then cloned
under ``https://w3id.org/mmr-kg/id/synthetic/<n>/…`` in named graphs
``https://w3id.org/mmr-kg/graph/synthetic/<n>/<file>`` until the graph holds about the
requested number of triples. Concepts and concept schemes (objectives, kinds, levers,
confidence marks …) and the ontology are shared, so aggregates grow the way they would
with more agencies and facts. Labels of clones say ``[synthetic n]``. The derived graph
(:mod:`graph.derived`) is computed again over the whole, as the build would.

Usage::

    python benchmarks/synthetic.py --triples 1000000 --out /tmp/synthetic.nq
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TypeVar, cast

import pyoxigraph as ox

from graph.build import build_graph
from graph.config import default_settings
from graph.derived import DERIVED_GRAPH, derive
from graph.namespaces import GRAPH_BASE, KGID
from graph.store import EmbeddedStore

#: A term of a quad, kept as its own kind when it is not renamed.
_T = TypeVar("_T", bound=ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple)

SYNTHETIC_ID = KGID + "synthetic/"
SYNTHETIC_GRAPH = GRAPH_BASE + "synthetic/"
_DATA_GRAPH = GRAPH_BASE + "data/"
_SHARED = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?s WHERE {
  VALUES ?top { skos:Concept skos:ConceptScheme }
  ?s a ?type . ?type rdfs:subClassOf* ?top .
}
"""
_LABELS = {"http://www.w3.org/2004/02/skos/core#prefLabel", "http://www.w3.org/2000/01/rdf-schema#label"}


def shipped_quads() -> list[ox.Quad]:
    """The shipped graph, built in memory from the sources."""
    return list(build_graph(default_settings()).store)


def synthetic_quads(target_triples: int, base: list[ox.Quad] | None = None) -> list[ox.Quad]:
    """Return the shipped graph plus as many synthetic clones of its instance data as fit ``target_triples``.

    Args:
        target_triples: about how many triples the result should hold (at least the shipped graph).
        base: the shipped quads (built when ``None``).

    Returns:
        The quads, shipped first, then clone 1, 2, …, then the derived graph of them all.
    """
    quads = base if base is not None else shipped_quads()
    store = ox.Store()
    store.extend(quads)
    shared = {term.value for term in EmbeddedStore(store).query(_SHARED).column("s") if isinstance(term, ox.NamedNode)}
    data = [(q, file) for q in quads if (file := _data_file(q)) is not None]
    cloned = {q.subject.value for q, _ in data if isinstance(q.subject, ox.NamedNode)} - shared
    # Only statements about instances are cloned: shared concepts gain incoming links, not copies
    # of their own statements (which would multiply every join through them).
    data = [(q, file) for q, file in data if isinstance(q.subject, ox.NamedNode) and q.subject.value in cloned]
    copies = max(0, round((target_triples - len(quads)) / max(len(data), 1)))
    out = [q for q in quads if q.graph_name != DERIVED_GRAPH]
    for n in range(1, copies + 1):
        clone = _Cloner(f"{SYNTHETIC_ID}{n}/", cloned)
        for q, file in data:
            graph = ox.NamedNode(f"{SYNTHETIC_GRAPH}{n}/{file}")
            obj = q.object
            if isinstance(obj, ox.Literal) and q.predicate.value in _LABELS:
                obj = ox.Literal(f"{obj.value} [synthetic {n}]", language=obj.language) if obj.language \
                    else ox.Literal(f"{obj.value} [synthetic {n}]", datatype=obj.datatype)
            out.append(ox.Quad(clone(q.subject), q.predicate, clone(obj), graph))
    # The build derives its tables from everything it loads (graph.derived): so must the clone.
    whole = ox.Store()
    whole.extend(out)
    return out + derive(whole)


def _data_file(quad: ox.Quad) -> str | None:
    """The data file a quad comes from (its graph's name after ``…/graph/data/``), or None outside data/."""
    graph = quad.graph_name
    if isinstance(graph, ox.NamedNode) and graph.value.startswith(_DATA_GRAPH):
        return graph.value.removeprefix(_DATA_GRAPH)
    return None


class _Cloner:
    """Maps the cloned instances' IRIs into one clone's namespace (other terms stay as they are)."""

    def __init__(self, prefix: str, cloned: set[str]) -> None:
        self.prefix = prefix
        self.cloned = cloned
        self.names: dict[str, ox.NamedNode] = {}

    def __call__(self, term: _T) -> _T:
        """The clone's name for ``term`` when it is a cloned instance, else ``term``."""
        return cast(_T, self._named(term)) if isinstance(term, ox.NamedNode) else term

    def _named(self, term: ox.NamedNode) -> ox.NamedNode:
        if term.value not in self.cloned:
            return term
        if term.value not in self.names:
            self.names[term.value] = ox.NamedNode(self.prefix + term.value.rsplit("/", 1)[-1])
        return self.names[term.value]


def main(argv: list[str] | None = None) -> int:
    """Write a synthetic graph as N-Quads (refuses to write into the data folder)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=1_000_000, help="about how many triples (default 1M)")
    parser.add_argument("--out", type=Path, required=True, help="the .nq file to write")
    args = parser.parse_args(argv)
    data_dir = default_settings().data_dir.resolve()
    if args.out.resolve().is_relative_to(data_dir):
        print(f"error: {args.out} is inside {data_dir}; synthetic data never goes there.", file=sys.stderr)
        return 2
    quads = synthetic_quads(args.triples)
    ox.serialize(quads, args.out, format=ox.RdfFormat.N_QUADS)
    print(f"wrote {args.out} ({len(quads)} quads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
