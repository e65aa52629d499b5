"""Each prefix is spelled the same in namespaces.py, the Turtle files and the .rq files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graph.namespaces import PREFIXES

ROOT = Path(__file__).resolve().parents[1]
TURTLE = sorted(p for d in ("ontology", "shapes", "data") for p in (ROOT / d).glob("*.ttl"))
QUERIES = sorted((ROOT / "queries").rglob("*.rq"))
TURTLE_PREFIX = re.compile(r"^@prefix\s+([\w-]*):\s*<([^>]+)>", re.MULTILINE)
SPARQL_PREFIX = re.compile(r"^PREFIX\s+([\w-]*):\s*<([^>]+)>", re.MULTILINE | re.IGNORECASE)


@pytest.mark.parametrize("path", TURTLE + QUERIES, ids=lambda p: str(p.relative_to(ROOT)))
def test_prefixes_agree_with_namespaces_module(path: Path) -> None:
    pattern = TURTLE_PREFIX if path.suffix == ".ttl" else SPARQL_PREFIX
    declared = pattern.findall(path.read_text(encoding="utf-8"))
    assert declared or path.suffix == ".rq", "no prefixes declared"
    for name, iri in declared:
        assert name in PREFIXES, f"prefix '{name}:' is not in graph.namespaces.PREFIXES"
        assert PREFIXES[name] == iri, f"'{name}:' is <{iri}> here but <{PREFIXES[name]}> in namespaces.py"


def test_no_namespace_has_two_prefixes() -> None:
    assert len(set(PREFIXES.values())) == len(PREFIXES)
