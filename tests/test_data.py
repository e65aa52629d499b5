"""The curated data: every quote is verbatim, every document cited, every fact sourced."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graph.store import EmbeddedStore

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REPORT = SHARED / "seeds" / "000_134c24683127ea37.txt"
FACT_SHEET = SHARED / "domain-facts.md"
needs_shared = pytest.mark.skipif(not REPORT.exists() or not FACT_SHEET.exists(),
                                  reason="the report and fact sheet live in ../shared beside the checkout")

EVIDENCE = ROOT / "data" / "evidence"
KG = "https://w3id.org/mmr-kg/def/"
KGID = "https://w3id.org/mmr-kg/id/"
PROV = "http://www.w3.org/ns/prov#"


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def quotes(store: EmbeddedStore) -> list[tuple[str, str, str]]:
    result = store.query(f"""
        SELECT ?citation ?document ?quote WHERE {{
            ?citation <{PROV}wasQuotedFrom> ?document ; <{KG}quote> ?quote }} ORDER BY ?citation""")
    return [(r[0].value, r[1].value, r[2].value) for r in result.rows]  # type: ignore[union-attr]


@needs_shared
def test_every_quote_from_the_report_is_verbatim(store: EmbeddedStore) -> None:
    report = normalise(REPORT.read_text(encoding="utf-8"))
    cited = [(c, q) for c, d, q in quotes(store) if d.endswith("/source-report")]
    assert len(cited) >= 15
    for citation, quote in cited:
        assert normalise(quote) in report, f"{citation}: quote not found in the report: {quote!r}"


@needs_shared
def test_every_other_quote_is_recorded_in_the_fact_sheet(store: EmbeddedStore) -> None:
    sheet = normalise(FACT_SHEET.read_text(encoding="utf-8"))
    others = [(c, q) for c, d, q in quotes(store) if not d.endswith("/source-report") and not evidence_file(d).exists()]
    assert others
    for citation, quote in others:
        assert normalise(quote) in sheet, f"{citation}: quote not in the curators' fact sheet: {quote!r}"


def evidence_file(document: str) -> Path:
    """The evidence file that keeps the passages a document's citations quote."""
    return EVIDENCE / f"{document.removeprefix(KGID)}.md"


def evidence_passages(path: Path) -> str:
    """The normalised text of the blockquotes under '## Passages' of an evidence file."""
    _, _, passages = path.read_text(encoding="utf-8").partition("## Passages")
    return normalise(" ".join(line[1:] for line in passages.splitlines() if line.startswith(">")))


def test_quotes_are_in_the_evidence_file_of_their_document(store: EmbeddedStore) -> None:
    """Runs on a fresh clone: the evidence travels in data/evidence/<document>.md."""
    checked = [(c, d, q) for c, d, q in quotes(store) if evidence_file(d).exists()]
    assert len(checked) >= 150
    for citation, document, quote in checked:
        assert normalise(quote) in evidence_passages(evidence_file(document)), (
            f"{citation}: quote not in the passages of {evidence_file(document).name}: {quote!r}")


def test_every_evidence_file_names_its_document(store: EmbeddedStore) -> None:
    documents = {r[0].value for r in store.query(  # type: ignore[union-attr]
        "SELECT ?d WHERE { ?d a <http://purl.org/dc/terms/BibliographicResource> }").rows}
    for path in sorted(EVIDENCE.glob("*.md")):
        iri = KGID + path.stem
        assert iri in documents, f"{path.name}: no document {iri} in the graph"
        assert f"- document: {iri}" in path.read_text(encoding="utf-8"), f"{path.name}: expected a line '- document: {iri}'"


@needs_shared
def test_organisation_numbers_match_the_fact_sheet(store: EmbeddedStore) -> None:
    sheet = FACT_SHEET.read_text(encoding="utf-8")
    rows = store.query("""
        SELECT ?name ?number WHERE {
            ?a a <https://w3id.org/mmr-kg/def/Agency> ; <http://www.w3.org/ns/org#identifier> ?number ;
               <http://www.w3.org/2004/02/skos/core#exactMatch> ?wd ;
               <http://www.w3.org/2004/02/skos/core#prefLabel> ?name FILTER(LANG(?name) = "sv") }""").rows
    assert len(rows) >= 20
    for name, number in rows:
        line = next((l for l in sheet.splitlines() if f"| {number.value} |" in l), None)  # type: ignore[union-attr]
        assert line is not None, f"{name.value}: {number.value} is not in the fact sheet"  # type: ignore[union-attr]


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
