"""Parameter values to run every catalogued query with, taken from the shipped data itself."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyoxigraph as ox

from graph.queries import QuerySpec, bind_parameters
from graph.store import EmbeddedStore

SAMPLE_DATE = "2019-06-01"

#: Queries that kill a process handing them to pyoxigraph's parser (its stack overflows).
NESTED_FAMILY = {
    "braces": "SELECT * WHERE " + "{" * 2_200 + "}" * 2_200,
    "parentheses": "ASK { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }",
    "sum": "ASK { FILTER(" + "+".join(["1"] * 20_000) + " > 0) }",
    "unions": "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 10_000) + " }",
    "sub-selects": "SELECT * WHERE " + "{ SELECT * WHERE " * 3_000 + "{ ?s ?p ?o }" + " }" * 3_000,
    "path": "SELECT * WHERE { ?s " + "(" * 10_000 + "<http://e/p>" + ")" * 10_000 + " ?o }",
    "path-sequence": "SELECT * WHERE { ?s " + "/".join(["<http://e/p>"] * 20_000) + " ?o }",
    "blank-nodes": "SELECT * WHERE { ?s <http://e/p> " + "[ <http://e/p> " * 10_000 + "?o" + " ]" * 10_000 + " }",
    "negations": "ASK { FILTER(" + "!" * 50_000 + "true) }",
}


def query_names(queries_dir: Path) -> list[str]:
    """The names ``load_catalogue(queries_dir)`` gives, sorted, without parsing a file.

    For parametrising at collection, which every xdist worker repeats; the CLI tests check that
    these are the catalogue's names.
    """
    return sorted(p.stem for p in queries_dir.glob("*.rq"))


def seen_iris(catalogue: Mapping[str, QuerySpec], store: EmbeddedStore) -> dict[str, list[str]]:
    """IRIs each column name shows in the answers of the queries that need no parameter, sorted."""
    seen: dict[str, set[str]] = {}
    for spec in catalogue.values():
        if any(p.required and p.default is None for p in spec.params):
            continue
        result = store.query(spec.text, bind_parameters(spec, {}, "en"))
        if result.kind == "select":
            for var in result.variables:
                seen.setdefault(var, set()).update(
                    t.value for t in result.column(var) if isinstance(t, ox.NamedNode))
    return {var: sorted(values) for var, values in seen.items()}


def parameter_cases(catalogue: Mapping[str, QuerySpec], store: EmbeddedStore) -> dict[str, list[dict[str, str]]]:
    """For each query, the parameter sets to try.

    The base case fills required parameters (an IRI that a column of the same name shows,
    the first enum value); then each IRI, date and enum parameter is varied on its own.
    A query whose required parameter cannot be filled gets no case.
    """
    seen = seen_iris(catalogue, store)
    cases: dict[str, list[dict[str, str]]] = {}
    for name, spec in catalogue.items():
        base: dict[str, str] = {}
        for param in spec.params:
            if not param.required or param.default is not None:
                continue
            if param.type == "iri" and seen.get(param.name):
                base[param.name] = seen[param.name][0]
            elif param.type == "enum" and param.values:
                base[param.name] = param.values[0]
            elif param.type == "date":
                base[param.name] = SAMPLE_DATE
        if len(base) < sum(1 for p in spec.params if p.required and p.default is None):
            cases[name] = []
            continue
        variants = [base]
        for param in spec.params:
            if param.type == "iri" and seen.get(param.name):
                values = seen[param.name]
                variants.append({**base, param.name: values[len(values) // 2]})
            elif param.type == "date":
                variants.append({**base, param.name: SAMPLE_DATE})
            elif param.type == "enum":
                variants += [{**base, param.name: value} for value in param.values]
        unique = {tuple(sorted(v.items())): v for v in variants}
        cases[name] = list(unique.values())
    return cases
