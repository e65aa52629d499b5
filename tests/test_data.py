"""The curated data: every quote is held by the evidence in the repository, every document cited, every fact sourced."""

from __future__ import annotations

import pytest

from graph.build import evidence_dir
from graph.config import Settings
from graph.evidence import Evidence, check_quotes, load_evidence
from graph.store import EmbeddedStore

from api_support import KGID

KG = "https://w3id.org/mmr-kg/def/"
PROV = "http://www.w3.org/ns/prov#"


@pytest.fixture(scope="module")
def evidence(settings: Settings) -> dict[str, Evidence]:
    return load_evidence(evidence_dir(settings))


def quotes(store: EmbeddedStore) -> list[tuple[str, str, str]]:
    result = store.query(f"""
        SELECT ?citation ?document ?quote WHERE {{
            ?citation <{PROV}wasQuotedFrom> ?document ; <{KG}quote> ?quote }} ORDER BY ?citation""")
    return [(r[0].value, r[1].value, r[2].value) for r in result.rows]  # type: ignore[union-attr]


def test_every_quote_is_held_by_its_documents_evidence_file(store: EmbeddedStore,
                                                           evidence: dict[str, Evidence]) -> None:
    cited = quotes(store)
    assert sum(d.endswith("/source-report") for _, d, _ in cited) >= 15
    for citation, document, quote in cited:
        assert evidence[document].holds(quote), f"{citation}: {quote!r} is not in {evidence[document].path}"
    assert check_quotes(store.store, evidence) == []


def test_every_evidence_file_records_a_document_of_the_graph(store: EmbeddedStore,
                                                            evidence: dict[str, Evidence]) -> None:
    documents = {t.value for t in store.query(  # type: ignore[union-attr]
        "SELECT ?d WHERE { ?d a <http://purl.org/dc/terms/BibliographicResource> }").column("d")}
    assert evidence and set(evidence) <= documents


def test_register_facts_match_the_register_records(store: EmbeddedStore, evidence: dict[str, Evidence]) -> None:
    records = evidence[KGID + "source-myndighetsdata"].passages
    rows = store.query("""
        SELECT ?name ?number ?wd ?home WHERE {
            ?a a <https://w3id.org/mmr-kg/def/Agency> ; <http://www.w3.org/ns/org#identifier> ?number ;
               <http://www.w3.org/2004/02/skos/core#exactMatch> ?wd ; <http://xmlns.com/foaf/0.1/homepage> ?home ;
               <http://www.w3.org/2004/02/skos/core#prefLabel> ?name FILTER(LANG(?name) = "sv") }""").rows
    assert len(rows) >= 20
    for name, number, wd, home in rows:
        record = next((r for r in records if r.startswith(f'"{name.value}"')), None)  # type: ignore[union-attr]
        assert record is not None, f"{name.value}: no record of the register in the evidence"  # type: ignore[union-attr]
        assert f'esv.org_nr "{number.value}"' in record  # type: ignore[union-attr]
        assert f'wd.id "{wd.value.rsplit("/", 1)[1]}"' in record  # type: ignore[union-attr]
        assert f'scb.website "{home.value.removeprefix("https://")}"' in record  # type: ignore[union-attr]


def test_every_document_is_cited_and_every_citation_names_a_document(store: EmbeddedStore) -> None:
    uncited = store.query(f"""
        SELECT ?d WHERE {{ ?d a <http://purl.org/dc/terms/BibliographicResource>
            FILTER NOT EXISTS {{ ?c <{PROV}wasQuotedFrom> ?d }}
            FILTER NOT EXISTS {{ ?x <{KG}legalBasis> ?d }} FILTER NOT EXISTS {{ ?y <{KG}via> ?d }} }}""").rows
    assert uncited == [], f"documents nothing cites: {[r[0].value for r in uncited]}"  # type: ignore[union-attr]
    dangling = store.query(f"""
        SELECT ?c WHERE {{ ?x <http://purl.org/dc/terms/source> ?c
            FILTER NOT EXISTS {{ ?c <{PROV}wasQuotedFrom> ?d }} }}""").rows
    assert dangling == []


def test_invited_is_never_recorded_as_taking_part(store: EmbeddedStore) -> None:
    both = store.query(f"""
        SELECT ?a ?o WHERE {{ ?a <{KG}invited> ?o ; <{PROV}wasAssociatedWith> ?o }}""").rows
    assert both == []


def test_the_report_misspelling_is_only_a_hidden_label(store: EmbeddedStore) -> None:
    rows = store.query("""
        SELECT ?p WHERE { <https://w3id.org/mmr-kg/id/programme-staten-gar-fore> ?p "Staten får före"@sv }""").rows
    assert [r[0].value for r in rows] == ["http://www.w3.org/2004/02/skos/core#hiddenLabel"]  # type: ignore[union-attr]


def test_upphandlingsmyndigheten_keeps_both_start_dates(store: EmbeddedStore) -> None:
    row = store.query("""
        PREFIX org: <http://www.w3.org/ns/org#> PREFIX time: <http://www.w3.org/2006/time#>
        SELECT ?decided ?reported WHERE {
            ?m org:member <https://w3id.org/mmr-kg/id/agency-upphandlingsmyndigheten> ;
               org:role <https://w3id.org/mmr-kg/id/role-council-member> ;
               org:memberDuring/time:hasBeginning/time:inXSDDate ?decided ;
               <https://w3id.org/mmr-kg/def/reportedStartDate> ?reported }""").rows
    assert [(r[0].value, r[1].value) for r in row] == [("2018-06-07", "2018-10-01")]  # type: ignore[union-attr]


def test_kammarkollegiet_took_part_but_is_not_a_member(store: EmbeddedStore) -> None:
    assert not store.query("""
        ASK { ?m <http://www.w3.org/ns/org#member> <https://w3id.org/mmr-kg/id/agency-kammarkollegiet> }""").boolean
    assert store.query("""
        ASK { <https://w3id.org/mmr-kg/id/measure-2019> <http://www.w3.org/ns/prov#wasAssociatedWith>
              <https://w3id.org/mmr-kg/id/agency-kammarkollegiet> }""").boolean
