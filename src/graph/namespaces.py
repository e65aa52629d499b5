"""Every prefix the project uses, declared once.

Turtle files, ``.rq`` files and this module spell each prefix the same way;
``tests/test_namespaces.py`` checks that they agree.
"""

from __future__ import annotations

from typing import Final

BASE: Final = "https://w3id.org/mmr-kg/"

PREFIXES: Final[dict[str, str]] = {
    "kg": BASE + "def/",
    "kgid": BASE + "id/",
    "kgsh": BASE + "shapes/",
    "adms": "http://www.w3.org/ns/adms#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "epo": "http://data.europa.eu/a4g/ontology#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "m8g": "http://data.europa.eu/m8g/",
    "org": "http://www.w3.org/ns/org#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "sh": "http://www.w3.org/ns/shacl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "time": "http://www.w3.org/2006/time#",
    "vann": "http://purl.org/vocab/vann/",
    "void": "http://rdfs.org/ns/void#",
    "wd": "http://www.wikidata.org/entity/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

KG: Final = PREFIXES["kg"]
KGID: Final = PREFIXES["kgid"]
GRAPH_BASE: Final = BASE + "graph/"
ONTOLOGY_BASE: Final = BASE + "ontology/"
DATASET_IRI: Final = KGID + "dataset"


def sparql_prologue(names: list[str] | None = None) -> str:
    """Return ``PREFIX`` lines for the given prefix names (all when ``None``).

    >>> sparql_prologue(["kg"])
    'PREFIX kg: <https://w3id.org/mmr-kg/def/>\\n'
    """
    chosen = PREFIXES if names is None else {n: PREFIXES[n] for n in names}
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in chosen.items())


def prefixed_name(iri: str) -> str | None:
    """Return ``iri`` as a prefixed name under the longest project namespace that covers it,
    or ``None`` when none does or the rest is not a plain local name.

    >>> prefixed_name("https://w3id.org/mmr-kg/id/agency-boverket")
    'kgid:agency-boverket'
    >>> prefixed_name("https://w3id.org/mmr-kg/id/a/b") is None
    True
    """
    best = max((ns for ns in PREFIXES.values() if iri.startswith(ns)), key=len, default=None)
    if best is None:
        return None
    local = iri[len(best):]
    if not local or local.endswith(".") or not all(ch.isalnum() or ch in "-_." for ch in local):
        return None
    return f"{next(name for name, ns in PREFIXES.items() if ns == best)}:{local}"


def compact(iri: str, *, brackets: bool = False) -> str:
    """Return ``iri`` as a prefixed name where a project prefix covers it, else the IRI itself
    (in ``<…>`` with ``brackets``): the one way the project shortens an IRI for people.

    >>> compact("https://w3id.org/mmr-kg/def/Agency")
    'kg:Agency'
    >>> compact("https://example.org/x", brackets=True)
    '<https://example.org/x>'
    """
    short = prefixed_name(iri)
    if short is not None:
        return short
    return f"<{iri}>" if brackets else iri
