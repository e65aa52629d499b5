"""The analyst query library (issue 3): every catalogued query answers right, by value.

Each query is checked on a small graph made for it (``tests/data/queries/<name>.ttl``), holding
the cases the query must tell apart, against its answer written out by hand
(``<name>.expected.tsv``); never against the shipped graph, whose data keeps changing. Domain
facts of the shipped graph are asserted directly, with the row of the project's fact sheet they
come from. Answers are compared as multisets of rows of RDF terms.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import Literal, Namespace, URIRef
from rdflib.term import Node

from graph.build import build_from_files
from graph.config import Settings
from graph.errors import QueryError
from graph.queries import PARAM_TYPES, QuerySpec, load_query, run_query
from graph.store import EmbeddedStore, QueryResult

KG = Namespace("https://w3id.org/mmr-kg/def/")
KGID = Namespace("https://w3id.org/mmr-kg/id/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
TIME = Namespace("http://www.w3.org/2006/time#")
ORG = Namespace("http://www.w3.org/ns/org#")
PROV = Namespace("http://www.w3.org/ns/prov#")
DCT = Namespace("http://purl.org/dc/terms/")
XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")
XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")
XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")

INJECTION = 'x" } ; DROP ALL #'

Row = tuple[Node | None, ...]


# --------------------------------------------------------------------------- helpers

def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> Node | None:
    """Return the rdflib term equal to a pyoxigraph term (xsd:string literals become plain)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    return Literal(term.value, datatype=None if datatype == str(XSD_STRING) else URIRef(datatype))


def rows_of(result: QueryResult) -> list[Row]:
    """The rows of a SELECT result as tuples of rdflib terms."""
    return [tuple(to_rdflib(t) for t in row) for row in result.rows]


def assert_same_rows(got: Iterable[Row], expected: Iterable[Row]) -> None:
    """Assert two multisets of rows are equal, showing what is missing and what is extra."""
    got_c, exp_c = Counter(got), Counter(expected)
    missing, extra = exp_c - got_c, got_c - exp_c
    assert not missing and not extra, (
        f"missing {len(missing)} row(s): {sorted(map(str, missing))[:6]}\n"
        f"extra {len(extra)} row(s): {sorted(map(str, extra))[:6]}")


def expand(value: str) -> URIRef:
    return URIRef(KGID[value.removeprefix("kgid:")]) if value.startswith("kgid:") else URIRef(value)


# --------------------------------------------------------------------------- 1. answers on small graphs

# Each tests/data/queries/<name>.ttl is a small graph made for query <name>. Its first lines say how
# to run it: "# run: param=value ... lang=xx", answered in <name>.expected.tsv, and optionally more
# cases "# run <case>: ...", answered in <name>.<case>.expected.tsv; "# also: other.ttl" loads another
# small graph with it. The answers are in the W3C SPARQL TSV results format, which keeps language
# tags and datatypes (CSV drops them).
SMALL_GRAPHS = sorted((Path(__file__).parent / "data" / "queries").glob("*.ttl"))
_RUN_RE = re.compile(r"^# run(?: (?P<case>[\w-]+))?:(?P<options>.*)$")


def small_graph_cases() -> list[object]:
    cases = []
    for path in SMALL_GRAPHS:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _RUN_RE.match(line)
            if match is None:
                break
            options = dict(item.split("=", 1) for item in match["options"].split())
            case = match["case"] or ""
            cases.append(pytest.param(path, case, options, id=f"{path.stem}-{case}" if case else path.stem))
    return cases


def test_every_small_graph_says_how_to_run_it() -> None:
    described = {case.values[0] for case in small_graph_cases()}
    assert described == set(SMALL_GRAPHS), "start each tests/data/queries/*.ttl with '# run: param=value ... lang=xx'"


@pytest.mark.parametrize(("graph_file", "case", "options"), small_graph_cases())
def test_query_answers_on_its_small_graph(graph_file: Path, case: str, options: dict[str, str], settings: Settings,
                                          catalogue: dict[str, QuerySpec]) -> None:
    spec = catalogue[graph_file.stem]
    params = dict(options)
    lang = params.pop("lang")
    header = graph_file.read_text(encoding="utf-8").splitlines()
    also = [graph_file.with_name(line.removeprefix("# also:").strip()) for line in header if line.startswith("# also:")]
    store = EmbeddedStore(build_from_files([graph_file, *also], settings.version).store)
    result = run_query(store, spec, params, lang)
    expected_file = graph_file.with_name(".".join(filter(None, (graph_file.stem, case, "expected.tsv"))))
    expected = ox.parse_query_results(path=str(expected_file), format=ox.QueryResultsFormat.TSV)
    assert isinstance(expected, ox.QuerySolutions)
    assert result.variables == [v.value for v in expected.variables] == list(spec.columns)
    expected_rows = [tuple(solution) for solution in expected]
    assert expected_rows or case, f"{expected_file.name} holds no row: the check could not fail"
    assert_same_rows(rows_of(result), [tuple(to_rdflib(t) for t in row) for row in expected_rows])


#: Queries whose small graph is shared with others and lives beside a test file of their own.
TESTED_ELSEWHERE = {"objective-criteria": "test_criteria_queries.py", "criteria-library": "test_criteria_queries.py",
                    "framework-areas": "test_agreement_queries.py", "agency-commissions": "test_agreement_queries.py"}


def test_every_query_has_a_small_graph(catalogue: dict[str, QuerySpec]) -> None:
    small = {path.stem for path in SMALL_GRAPHS}
    assert sorted(catalogue) == sorted(small | set(TESTED_ELSEWHERE)), \
        "add tests/data/queries/<name>.ttl for each new query (and drop stale ones)"
    for name, test_file in TESTED_ELSEWHERE.items():
        text = (Path(__file__).parent / test_file).read_text(encoding="utf-8")
        assert f'catalogue["{name}"]' in text or f'"{name}"' in text, f"{test_file} does not run {name}"


# --------------------------------------------------------------------------- domain facts, asserted directly

def records(store: EmbeddedStore, spec: QuerySpec, params: dict[str, str] | None = None,
            lang: str = "en") -> list[dict[str, Node | None]]:
    return [{k: to_rdflib(v) for k, v in r.items()} for r in run_query(store, spec, params or {}, lang).records()]


def test_giftfri_miljo_is_kemikalieinspektionens(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    # domain-facts.md §2, row "4 | Giftfri miljö | A Non-Toxic Environment | Kemikalieinspektionen".
    rows = {r["objective"]: r for r in records(store, catalogue["objective-coverage"])}
    assert rows[KGID["objective-giftfri-miljo"]]["responsibleAgency"] == KGID["agency-kemikalieinspektionen"]
    assert rows[KGID["objective-giftfri-miljo"]]["objectiveLabel"] == Literal("A Non-Toxic Environment", lang="en")
    # §2 "Elimination": NV = 1, 2, 3, 5, 11, 14, 16 (seven of sixteen).
    nv = {r["objective"] for r in rows.values() if r["responsibleAgency"] == KGID["agency-naturvardsverket"]}
    assert len(rows) == 16 and len(nv) == 7


def test_objective_coverage_is_ordered_by_number(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    # domain-facts.md §2: the official order 1–16 starts with Begränsad klimatpåverkan, ends with Ett rikt växt- och djurliv.
    labels = [r["objectiveLabel"] for r in records(store, catalogue["objective-coverage"], lang="sv")]
    assert labels[0] == Literal("Begränsad klimatpåverkan", lang="sv")
    assert labels[3] == Literal("Giftfri miljö", lang="sv")
    assert labels[-1] == Literal("Ett rikt växt- och djurliv", lang="sv")


def test_council_on_2019_06_01_has_18_members(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    # domain-facts.md §1.3 "2018–2022 (18): the 17 above plus Upphandlingsmyndigheten"; the county boards sit
    # as a collective ("Länsstyrelserna genom Länsstyrelsen i Halland").
    agencies = [r["agency"] for r in records(store, catalogue["council-members"], {"date": "2019-06-01"})]
    assert len(agencies) == len(set(agencies)) == 18
    assert KGID["agency-upphandlingsmyndigheten"] in agencies
    assert KGID["org-lansstyrelserna"] in agencies
    assert KGID["agency-kammarkollegiet"] not in agencies  # §1.3 "Kammarkollegiet is not a member"


def test_council_before_2014_is_empty(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    # domain-facts.md §1.1 "Established | December 2014"; first decision 2014-12-18.
    assert records(store, catalogue["council-members"], {"date": "2014-01-01"}) == []


def test_council_members_in_the_2018_mandate_overlap_appear_once(store: EmbeddedStore,
                                                                 catalogue: dict[str, QuerySpec]) -> None:
    # domain-facts.md §1.1: second decision 2018-06-07, original mandate's final report 2018-10-18.
    # Inside the overlap each agency holds two memberships but is one member: earliest start, latest end.
    rows = records(store, catalogue["council-members"], {"date": "2018-08-01"})
    agencies = [r["agency"] for r in rows]
    assert len(agencies) == len(set(agencies))
    boverket = next(r for r in rows if r["agency"] == KGID["agency-boverket"])
    assert boverket["start"] == Literal("2014-12-18", datatype=XSD_DATE)
    assert boverket["end"] == Literal("2022-05-06", datatype=XSD_DATE)


def test_council_members_default_to_today(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    spec = catalogue["council-members"]
    today = dt.date.today().isoformat()
    assert rows_of(run_query(store, spec, {})) == rows_of(run_query(store, spec, {"date": today}))


def test_trafikverket_leads_staten_gar_fore(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    # domain-facts.md §1.4 "Lead agency per programme area 2020–2022 … Staten går före — Trafikverket".
    rows = records(store, catalogue["agency-touchpoints"], {"agency": "kgid:agency-trafikverket"})
    assert {r["agency"] for r in rows} == {KGID["agency-trafikverket"]}
    assert any(r["kind"] == KGID["kind-programme-area-lead"] for r in rows)
    areas = {r["programmeArea"]: r for r in records(store, catalogue["programme-areas"])}
    assert areas[KGID["programme-staten-gar-fore"]]["leadAgency"] == KGID["agency-trafikverket"]
    # Seed report "Utfall": the 2019 measure is followed up in Staten går före, and only there.
    assert {a for a, r in areas.items() if r["followsUpMeasure"] == Literal(True)} == {KGID["programme-staten-gar-fore"]}


def test_upphandlingsmyndigheten_reported_start_is_a_column_with_its_source(
        store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    # Seed report "Bakgrund": "innan Upphandlingsmyndigheten blev en del av Miljömålsrådet den 1 oktober 2018";
    # domain-facts.md §1.3: the government decision of 7 June 2018.
    rows = records(store, catalogue["council-members"], {"date": "2019-06-01"})
    uhm = next(r for r in rows if r["agency"] == KGID["agency-upphandlingsmyndigheten"])
    assert uhm["start"] == Literal("2018-06-07", datatype=XSD_DATE)
    assert uhm["reportedStart"] == Literal("2018-10-01", datatype=XSD_DATE)
    assert uhm["reportedStartSource"] == KGID["source-report"]
    assert str(KGID["source-report"]) in str(uhm["sources"]).split(" ")
    assert all(r["reportedStart"] is None for r in rows if r is not uhm)


def test_touchpoint_details_name_the_area_the_networks_and_the_threshold(
        store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    rows = records(store, catalogue["touchpoint-details"])
    # domain-facts.md §1.4: Trafikverket leads "Staten går före".
    lead = KGID["touchpoint-trafikverket--programme-area-lead--programme-staten-gar-fore"]
    assert {r["programmeArea"] for r in rows if r["touchpoint"] == lead} == {KGID["programme-staten-gar-fore"]}
    # domain-facts.md, Energimyndigheten: "BeLok …, BeBo …, HyLok …, BeLivs …, BeSmå" (iea.org).
    groups = KGID["touchpoint-energimyndigheten--buyer-network--bestallargrupper"]
    assert {str(r["networkLabel"]) for r in rows if r["touchpoint"] == groups} == {"BeLok", "BeBo", "HyLok", "BeLivs", "BeSmå"}
    # domain-facts.md, Trafikverket "Klimatkrav": "investment projects > 50 MSEK".
    climate = KGID["touchpoint-trafikverket--own-procurement-requirements--klimatkrav"]
    (row,) = [r for r in rows if r["touchpoint"] == climate]
    assert (row["threshold"], row["thresholdUnit"]) == (Literal("50", datatype=XSD_DECIMAL), KGID["unit-million-sek"])


def test_objectives_without_lever(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    # The shipped sources link procurement to objectives 1, 3, 4, 7, 8, 10, 11, 13 and 16 only
    # (UHM's food criteria, §4; the chemical requirements, §6 Kemikalieinspektionen row).
    numbers = [str(r["number"]) for r in records(store, catalogue["objectives-without-lever"])]
    assert numbers == ["2", "5", "6", "9", "12", "14", "15"]


def test_measure_has_five_goals_and_two_sub_aims(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    # domain-facts.md §0 "Goals of the measure (5)" and "Sub-aims a) and b)".
    kinds = Counter(str(r["kind"]) for r in records(store, catalogue["measure-goals"]))
    assert kinds == {"goal": 5, "sub-aim": 2}


def test_strategy_has_seven_goals_the_first_overarching(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    # domain-facts.md §3 "Structure | Seven inriktningsmål; the first is the overarching goal".
    rows = records(store, catalogue["strategy-goals"])
    assert [str(r["number"]) for r in rows] == [str(n) for n in range(1, 8)]
    assert [r["overarching"] for r in rows] == [Literal(True)] + [Literal(False)] * 6
    # §3 goals 4–7: English wording is the curators' translation, marked unsure.
    assert {str(r["number"]) for r in rows if r["confidence"] == KGID["confidence-unsure"]} == {"4", "5", "6", "7"}


def test_who_must_call_off(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    # domain-facts.md §5.1 "Who must use | Myndigheter under regeringen"; "Who may use" lists the rest.
    rows = records(store, catalogue["call-off-rules"])
    assert {r["category"] for r in rows if str(r["rule"]) == "must"} == {KGID["buyer-myndigheter-under-regeringen"]}
    assert {r["legalBasis"] for r in rows} == {KGID["source-sfs-1998-796"]}  # §5.1 "Ordinance 1998:796"


def test_enander_chairs_from_the_2018_decision(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    # domain-facts.md §1.2 "Göran Enander | Chair | From the decision of 7 June 2018"; later chair not found.
    rows = {r["person"]: r for r in records(store, catalogue["council-chairs"])}
    enander = rows[KGID["person-goran-enander"]]
    assert enander["start"] == Literal("2018-06-07", datatype=XSD_DATE) and enander["end"] is None


def test_invited_is_not_took_part(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    # Seed report, activities 2 and 3: the council's agencies were invited; only UHM and Kammarkollegiet
    # are named as taking part in the full day (§0 "Activity 3").
    rows = records(store, catalogue["activity-participants"])
    took_part = {r["organisation"] for r in rows
                 if r["activity"] == KGID["activity-2019-heldag"] and str(r["role"]) == "took part"}
    assert took_part == {KGID["agency-upphandlingsmyndigheten"], KGID["agency-kammarkollegiet"]}


# --------------------------------------------------------------------------- labels and parameters

def test_labels_follow_the_language(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    spec = catalogue["programme-areas"]
    sv = {r["programmeArea"]: r["programmeAreaLabel"] for r in records(store, spec, lang="sv")}
    en = {r["programmeArea"]: r["programmeAreaLabel"] for r in records(store, spec, lang="en")}
    # No English name exists for the programme areas (§1.4): English falls back to Swedish.
    assert sv[KGID["programme-staten-gar-fore"]] == en[KGID["programme-staten-gar-fore"]] == Literal("Staten går före", lang="sv")
    spec = catalogue["objective-reach"]
    sv = {r["objective"]: r["objectiveLabel"] for r in records(store, spec, lang="sv")}
    en = {r["objective"]: r["objectiveLabel"] for r in records(store, spec, lang="en")}
    assert sv[KGID["objective-giftfri-miljo"]] == Literal("Giftfri miljö", lang="sv")
    assert en[KGID["objective-giftfri-miljo"]] == Literal("A Non-Toxic Environment", lang="en")


def test_lang_defaults_to_swedish(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    spec = catalogue["strategy-goals"]
    default = store.query(spec.text, {"lang": ox.Literal("sv")})
    assert rows_of(run_query(store, spec, {})) == rows_of(default)


def test_agency_parameter_returns_only_that_agency(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    for agency in ("agency-trafikverket", "agency-upphandlingsmyndigheten", "org-lansstyrelserna"):
        rows = records(store, catalogue["agency-touchpoints"], {"agency": f"kgid:{agency}"})
        assert rows and {r["agency"] for r in rows} == {KGID[agency]}


def test_objective_parameter_inside_optional_still_filters(store: EmbeddedStore, catalogue: dict[str, QuerySpec],
                                                           built_store_with: Callable[[str], EmbeddedStore]) -> None:
    spec = catalogue["criteria-by-level"]
    # No source links any criterion to Storslagen fjällmiljö (a recorded gap, issue 8).
    assert records(store, spec, {"objective": "kgid:objective-storslagen-fjallmiljo"}) == []
    # Seed a link from the fuel area to it: exactly the fuel criteria with a level and a type reach it, and only it.
    seeded = built_store_with("kgid:criteria-area-drivmedel kg:reachesObjective kgid:objective-storslagen-fjallmiljo .")
    rows = records(seeded, spec, {"objective": "kgid:objective-storslagen-fjallmiljo"})
    fuel = {r["criterion"] for r in records(store, catalogue["criteria-library"], {"area": "kgid:criteria-area-drivmedel"})
            if r["level"] is not None and r["type"] is not None}
    assert len(fuel) >= 3 and {r["criterion"] for r in rows} == fuel and len(rows) == len(fuel)
    assert {r["objective"] for r in rows} == {KGID["objective-storslagen-fjallmiljo"]}
    assert records(seeded, spec, {"objective": "kgid:objective-frisk-luft"}) == []


def test_criterion_objective_label_in_swedish(catalogue: dict[str, QuerySpec],
                                              built_store_with: Callable[[str], EmbeddedStore]) -> None:
    # A label inside a nested OPTIONAL follows ?lang too.
    seeded = built_store_with("kgid:criteria-area-drivmedel kg:reachesObjective kgid:objective-storslagen-fjallmiljo .")
    rows = records(seeded, catalogue["criteria-by-level"], lang="sv")
    labels = {r["objectiveLabel"] for r in rows if r["objective"] == KGID["objective-storslagen-fjallmiljo"]}
    assert labels == {Literal("Storslagen fjällmiljö", lang="sv")}
    assert all(r["objectiveLabel"].language == "sv" for r in rows if r["objectiveLabel"] is not None)


def test_kind_and_confidence_parameters_filter(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    rows = records(store, catalogue["agencies-lacking-kind"], {"kind": "kgid:kind-buyer-network"})
    assert rows and {r["kind"] for r in rows} == {KGID["kind-buyer-network"]}
    assert KGID["agency-energimyndigheten"] not in {r["agency"] for r in rows}  # §6 beställargrupper (BeLok …)
    rows = records(store, catalogue["facts-below-sure"], {"confidence": "kgid:confidence-unsure"})
    assert rows and {r["confidence"] for r in rows} == {KGID["confidence-unsure"]}
    assert records(store, catalogue["facts-below-sure"], {"confidence": "kgid:confidence-sure"}) == []


# --------------------------------------------------------------------------- 2. safety

def iri_params(catalogue: Mapping[str, QuerySpec]) -> list[tuple[str, str]]:
    return [(q.name, p.name) for q in catalogue.values() for p in q.params if p.type == "iri"]


def test_injection_into_every_parameter_is_refused_or_inert(store: EmbeddedStore,
                                                            catalogue: dict[str, QuerySpec]) -> None:
    before = len(store)
    checked = 0
    for spec in catalogue.values():
        for param in spec.params:
            params = {p.name: SAMPLE_VALUES[p.name] for p in spec.params if p.required}
            params[param.name] = INJECTION
            if param.type in ("iri", "date", "integer", "enum"):
                with pytest.raises(QueryError, match=f"parameter '{param.name}'"):
                    run_query(store, spec, params)
            else:
                try:
                    assert run_query(store, spec, params).rows == []
                except QueryError as exc:
                    assert param.name in str(exc)
            checked += 1
    assert checked >= 8
    assert len(store) == before


def test_injected_literal_is_just_a_value(store: EmbeddedStore) -> None:
    before = len(store)
    result = store.query("SELECT ?s WHERE { ?s ?p ?o }", {"o": ox.Literal(INJECTION)})
    assert result.rows == []
    result = store.query("SELECT ?o WHERE { BIND(?o AS ?o2) }", {"o": ox.Literal(INJECTION)})
    assert [r[0] for r in result.rows] == [ox.Literal(INJECTION)]
    assert len(store) == before


@pytest.mark.parametrize(("query", "params", "named"), [
    ("council-members", {"date": "2019-13-45"}, "date"),
    ("council-members", {"date": "1 June 2019"}, "date"),
    ("council-members", {"when": "2019-06-01"}, "when"),
    ("agency-touchpoints", {"agnecy": "kgid:agency-trafikverket"}, "agnecy"),
    ("agency-touchpoints", {"agency": "not an iri"}, "agency"),
    ("agency-touchpoints", {"agency": "kgid:a>b"}, "agency"),
    ("agency-profile", {}, "agency"),
])
def test_bad_parameters_are_clear_errors(query: str, params: dict[str, str], named: str,
                                         store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    with pytest.raises(QueryError, match=f"'{named}'"):
        run_query(store, catalogue[query], params)


def test_bad_language_is_a_clear_error(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    with pytest.raises(QueryError, match="lang"):
        run_query(store, catalogue["strategy-goals"], {}, lang='sv" } DROP ALL #')


# --------------------------------------------------------------------------- 3. headers

SAMPLE_VALUES = {"agency": "kgid:agency-naturvardsverket", "objective": "kgid:objective-giftfri-miljo",
                 "date": "2019-06-01", "kind": "kgid:kind-buyer-network", "confidence": "kgid:confidence-likely"}


def all_query_files(settings: Settings) -> list[Path]:
    return sorted(settings.queries_dir.rglob("*.rq"))


def test_the_library_holds_every_kind_of_query(settings: Settings) -> None:
    files = all_query_files(settings)
    assert len([f for f in files if f.parent == settings.queries_dir]) >= 15
    assert len([f for f in files if f.parent.name == "checks"]) >= 1


def test_every_query_file_has_a_complete_header_and_runs(settings: Settings, store: EmbeddedStore) -> None:
    problems = []
    for path in all_query_files(settings):
        rel = path.relative_to(settings.queries_dir)
        spec = load_query(path)  # raises QueryError on a missing summary, description or columns
        if not (spec.summary and spec.description and spec.columns):
            problems.append(f"{rel}: incomplete header")
        for param in spec.params:
            if param.type not in PARAM_TYPES or not param.description.strip():
                problems.append(f"{rel}: parameter {param.name} lacks a type or description")
        if path.parent.name == "checks" and not path.name.endswith("-violation.rq"):
            problems.append(f"{rel}: a check must be named *-violation.rq")
        required = {p.name: SAMPLE_VALUES.get(p.name) for p in spec.params if p.required and p.default is None}
        if None in required.values():
            problems.append(f"{rel}: add a sample value for its required parameters to SAMPLE_VALUES")
            continue
        result = run_query(store, spec, required, "en")  # a syntax error raises QueryError with line and column
        if result.kind == "select" and result.variables != list(spec.columns):
            problems.append(f"{rel}: returns {result.variables}, header says {list(spec.columns)}")
    assert problems == []


def test_bound_variables_reach_nested_groups_and_subqueries(store: EmbeddedStore) -> None:
    # inline_bindings fixes a bound variable in every group that mentions it, as substitution would.
    text = """
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?objective ?label ?agencyLabel WHERE {
          ?objective a <https://w3id.org/mmr-kg/def/EnvironmentalQualityObjective> ;
                     skos:notation "4" .
          OPTIONAL { ?objective <https://w3id.org/mmr-kg/def/responsibleAgency> ?agency .
            OPTIONAL { ?agency skos:prefLabel ?agencyLabel FILTER(LANG(?agencyLabel) = ?lang) } }
          { SELECT ?objective ?label WHERE { ?objective skos:prefLabel ?label FILTER(LANG(?label) = ?lang) } }
        }"""
    for lang, expected in (("sv", ("Giftfri miljö", "Kemikalieinspektionen")),
                           ("en", ("A Non-Toxic Environment", "Swedish Chemicals Agency"))):
        rows = store.query(text, {"lang": ox.Literal(lang)}).rows
        assert [(r[1].value, r[2].value) for r in rows] == [expected]  # type: ignore[union-attr]


# --------------------------------------------------------------------------- 4. checks

CHECK_DATA = Path(__file__).parent / "data" / "checks"


@pytest.fixture(scope="session")
def built_store_with(built: object) -> Callable[[str], EmbeddedStore]:
    """A factory: a fresh store holding the shipped graph plus a Turtle snippet (prefixes kg, kgid, …)."""
    prefixes = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in (
        ("kg", KG), ("kgid", KGID), ("skos", SKOS), ("time", TIME), ("org", ORG), ("prov", PROV), ("dcterms", DCT)))

    def make(turtle: str) -> EmbeddedStore:
        fresh = ox.Store()
        fresh.extend(built.store)  # type: ignore[attr-defined]
        fresh.load(input=(prefixes + turtle).encode(), format=ox.RdfFormat.TURTLE,
                   to_graph=ox.NamedNode("https://w3id.org/mmr-kg/graph/test-seed"))
        return EmbeddedStore(fresh)
    return make


def check_files(settings: Settings) -> list[Path]:
    return sorted((settings.queries_dir / "checks").glob("*-violation.rq"))


def test_every_check_has_seeded_bad_data(settings: Settings) -> None:
    checks = {p.stem for p in check_files(settings)}
    seeds = {p.stem for p in CHECK_DATA.glob("*.ttl")}
    assert checks == seeds


def test_checks_pass_on_shipped_data(settings: Settings, store: EmbeddedStore) -> None:
    failing = {p.stem: rows_of(run_query(store, load_query(p)))[:3] for p in check_files(settings)}
    assert {k: v for k, v in failing.items() if v} == {}


@pytest.mark.parametrize("seed", sorted(CHECK_DATA.glob("*.ttl")), ids=lambda p: p.stem)
def test_check_catches_its_seeded_violation(seed: Path, settings: Settings,
                                             built_store_with: Callable[[str], EmbeddedStore]) -> None:
    text = seed.read_text(encoding="utf-8")
    offender = expand(re.search(r"^# offender: (\S+)", text, re.MULTILINE)[1])  # type: ignore[index]
    seeded = built_store_with(text)
    rows = {p.stem: rows_of(run_query(seeded, load_query(p))) for p in check_files(settings)}
    assert any(offender in row for row in rows[seed.stem]), f"{seed.stem} missed {offender}: {rows[seed.stem]}"
    # The snippet breaks exactly this rule.
    assert {k: v for k, v in rows.items() if v and k != seed.stem} == {}
