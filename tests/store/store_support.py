"""Helpers of the store tests."""

from __future__ import annotations

import pyoxigraph as ox

from graph.build import BuiltGraph


def graph_counts(built: BuiltGraph) -> dict[str, int]:
    """Triples per named graph of the built graph."""
    counts: dict[str, int] = {}
    for quad in built.store:
        name = quad.graph_name
        assert isinstance(name, ox.NamedNode)
        counts[name.value] = counts.get(name.value, 0) + 1
    return counts
