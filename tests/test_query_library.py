"""The analyst query library (issue 3): every catalogued query answers right, by value.

Expected answers are computed here in plain Python by walking the shipped Turtle with
rdflib (never by running SPARQL), or are domain facts written out with the row of
/work/shared/domain-facts.md they come from. Each query's answer is compared as a
multiset of rows of RDF terms, in both label languages.
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
from rdflib import RDF, RDFS, Literal, Namespace, URIRef
from rdflib.term import Node

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
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")
XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")

LANGS = ("sv", "en")
COUNCIL = KGID["org-miljomalsradet"]
INJECTION = 'x" } ; DROP ALL #'

Row = tuple[Node | None, ...]
Params = Mapping[str, str]


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def rdf(settings: Settings) -> rdflib.Graph:
    """The shipped ontology and data as one rdflib graph, parsed from the Turtle files."""
    graph = rdflib.Graph()
    root = settings.queries_dir.parent
    for path in sorted((root / "ontology").glob("*.ttl")) + sorted((root / "data").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


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


def label(g: rdflib.Graph, node: Node | None, lang: str) -> Literal | None:
    """skos:prefLabel in ``lang``, else English, else Swedish (the library's fallback rule)."""
    if node is None:
        return None
    labels = {o.language: o for o in g.objects(node, SKOS.prefLabel) if isinstance(o, Literal)}
    for wanted in (lang, "en", "sv"):
        if wanted in labels:
            return labels[wanted]
    return None


def one(g: rdflib.Graph, s: Node | None, p: URIRef) -> Node | None:
    """The single value of ``p`` on ``s`` (None when absent; an error when several)."""
    if s is None:
        return None
    values = set(g.objects(s, p))
    assert len(values) <= 1, f"{s} has several {p}: {values}"
    return next(iter(values), None)


def instant_value(g: rdflib.Graph, instant: Node | None) -> Node | None:
    """The date, year-month or year of an OWL-Time instant."""
    if instant is None:
        return None
    values = [v for p in (TIME.inXSDDate, TIME.inXSDgYearMonth, TIME.inXSDgYear) for v in g.objects(instant, p)]
    assert len(values) <= 1, f"{instant} has several dates: {values}"
    return values[0] if values else None


def bounds(g: rdflib.Graph, period: Node | None) -> tuple[Node | None, Node | None]:
    """(start, end) of a period, each as precise as the data gives it."""
    if period is None:
        return None, None
    return (instant_value(g, one(g, period, TIME.hasBeginning)),
            instant_value(g, one(g, period, TIME.hasEnd)))


def broader_closure(g: rdflib.Graph, node: Node) -> set[Node]:
    """``node`` and everything reachable by skos:broader (skos:broader*)."""
    seen, todo = {node}, [node]
    while todo:
        for up in g.objects(todo.pop(), SKOS.broader):
            if up not in seen:
                seen.add(up)
                todo.append(up)
    return seen


def reached_by_area(g: rdflib.Graph, area: Node) -> set[Node]:
    """Objectives an area, or any broader area, reaches."""
    return {o for a in broader_closure(g, area) for o in g.objects(a, KG.reachesObjective)}


def documents(g: rdflib.Graph, node: Node) -> set[Node]:
    """Source documents of ``node``: dcterms:source / prov:wasQuotedFrom."""
    return {d for c in g.objects(node, DCT.source) for d in g.objects(c, PROV.wasQuotedFrom)}


def council_members(g: rdflib.Graph) -> set[Node]:
    """Everything that ever held a council-member membership of Miljömålsrådet."""
    return {one(g, m, ORG.member) for m in g.subjects(ORG.organization, COUNCIL)
            if (m, ORG.role, KGID["role-council-member"]) in g}


def expand(value: str) -> URIRef:
    return URIRef(KGID[value.removeprefix("kgid:")]) if value.startswith("kgid:") else URIRef(value)


def count(n: int) -> Literal:
    return Literal(n, datatype=XSD_INTEGER)


# --------------------------------------------------------------------------- expectations

def exp_activity_participants(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    rows = []
    for act in g.subjects(RDF.type, KG.MeasureActivity):
        for period in g.objects(act, TIME.hasTime):
            start, end = bounds(g, period)
            for prop, role in ((KG.arrangedBy, "arranged"), (PROV.wasAssociatedWith, "took part"),
                               (KG.invited, "invited")):
                for org in g.objects(act, prop):
                    rows.append((act, label(g, act, lang), start, end, Literal(role), org, label(g, org, lang)))
    return rows


def exp_agencies_lacking_kind(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    kinds = set(g.subjects(RDF.type, KG.TouchpointKind))
    if "kind" in params:
        kinds &= {expand(params["kind"])}
    recorded = {(one(g, tp, KG.agency), one(g, tp, KG.touchpointKind)) for tp in g.subjects(KG.agency, None)}
    return [(a, label(g, a, lang), k, label(g, k, lang))
            for a in council_members(g) for k in kinds if (a, k) not in recorded]


def exp_agencies_sharing_levers(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    via: dict[Node, set[Node]] = {}
    for tp in g.subjects(KG.agency, None):
        via.setdefault(one(g, tp, KG.agency), set()).update(g.objects(tp, KG.via))
    a = expand(params["agency"])
    rows = []
    for b in via:
        shared = via.get(a, set()) & via[b]
        if a != b and shared:
            rows.append((a, label(g, a, lang), b, label(g, b, lang), count(len(shared))))
    return rows


def exp_agency_kind_matrix(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    members = council_members(g)
    touchpoints = set(g.subjects(RDF.type, KG.Touchpoint))
    agencies = members | {one(g, tp, KG.agency) for tp in touchpoints}
    rows = []
    for a in agencies:
        for k in g.subjects(RDF.type, KG.TouchpointKind):
            n = len({tp for tp in g.subjects(KG.agency, a) if (tp, KG.touchpointKind, k) in g})
            rows.append((a, label(g, a, lang), Literal(a in members), k, label(g, k, lang), count(n)))
    return rows


def exp_agency_profile(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    agency = expand(params["agency"])
    if (agency, RDF.type, KG.Agency) not in g:
        return []
    names = {o.language: o for o in g.objects(agency, SKOS.prefLabel)}
    alts = sorted(str(o) for o in g.objects(agency, SKOS.altLabel))
    sector = one(g, agency, KG.sectorArea)
    return [(agency, names.get("sv"), names.get("en"),
             Literal(", ".join(alts)) if alts else None,  # compared as a set, see the test
             one(g, agency, ORG.identifier), one(g, agency, SKOS.exactMatch), one(g, agency, FOAF.homepage),
             sector, label(g, sector, lang), one(g, agency, KG.confidence))]


def exp_agency_touchpoints(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    rows = []
    for tp in g.subjects(RDF.type, KG.Touchpoint):
        agency, kind, lever = one(g, tp, KG.agency), one(g, tp, KG.touchpointKind), one(g, tp, KG.lever)
        docs = documents(g, tp)
        if None in (agency, kind, lever) or not docs:
            continue
        if "agency" in params and agency != expand(params["agency"]):
            continue
        start, end = bounds(g, one(g, tp, TIME.hasTime))
        rows.append((agency, label(g, agency, lang), kind, label(g, kind, lang), lever, label(g, lever, lang),
                     start, end, min(docs, key=str)))
    return rows


def exp_agreements_and_criteria(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    rows = []
    for ag in g.subjects(RDF.type, KG.StateFrameworkAgreement):
        for area in g.objects(ag, KG.agreementArea):
            start, end = bounds(g, one(g, ag, TIME.hasTime))
            criteria = list(g.objects(ag, KG.usesCriterion)) or [None]
            for c in criteria:
                rows.append((ag, label(g, ag, lang), area, label(g, area, lang), start, end,
                             one(g, ag, KG.maxExtensionEnd), c, label(g, c, lang)))
    return rows


def exp_call_off_rules(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    obliged = {one(g, tp, KG.agency) for tp in g.subjects(KG.touchpointKind, KGID["kind-framework-obliged"])}
    rows = []
    for system in g.subjects(RDF.type, KG.FrameworkAgreementSystem):
        for prop, rule in ((KG.mustCallOff, "must"), (KG.mayCallOff, "may")):
            for cat in g.objects(system, prop):
                rows.append((cat, label(g, cat, lang), Literal(rule), one(g, cat, SKOS.scopeNote),
                             one(g, system, KG.legalBasis), count(len(obliged))))
    return rows


def exp_council_chairs(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    rows = []
    for m in g.subjects(ORG.role, KGID["role-council-chair"]):
        if (m, ORG.organization, COUNCIL) not in g:
            continue
        person, period, conf, docs = one(g, m, ORG.member), one(g, m, ORG.memberDuring), one(g, m, KG.confidence), documents(g, m)
        if None in (person, period, conf) or not docs:
            continue
        start, end = bounds(g, period)
        rows.append((person, label(g, person, lang), start, end, conf, min(docs, key=str)))
    return rows


def exp_council_members(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    day = params["date"]
    found: dict[Node, list[tuple[Node, Node | None, Node]]] = {}
    for m in g.subjects(ORG.role, KGID["role-council-member"]):
        if (m, ORG.organization, COUNCIL) not in g:
            continue
        agency, docs = one(g, m, ORG.member), documents(g, m)
        for period in g.objects(m, ORG.memberDuring):
            start, end = bounds(g, period)
            if start is None or not docs:
                continue
            # A start or end given as a year or a month covers the whole year or month.
            if str(start) <= day[:len(str(start))] and (end is None or day[:len(str(end))] <= str(end)):
                found.setdefault(agency, []).append((start, end, min(docs, key=str)))
    rows = []
    for agency, spans in found.items():
        ends = [e for _, e, _ in spans if e is not None]
        rows.append((agency, label(g, agency, lang), min((s for s, _, _ in spans), key=str),
                     max(ends, key=str) if ends else None, min((d for _, _, d in spans), key=str)))
    return rows


def criterion_objectives(g: rdflib.Graph, criterion: Node, area: Node) -> set[Node]:
    return set(g.objects(criterion, KG.reachesObjective)) | reached_by_area(g, area)


def exp_criteria_by_level(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    rows = []
    for c in g.subjects(RDF.type, KG.SustainabilityCriterion):
        level, ctype, area = one(g, c, KG.ambitionLevel), one(g, c, KG.criterionType), one(g, c, KG.criteriaArea)
        if None in (level, ctype, area) or one(g, level, SKOS.notation) is None:
            continue
        objectives: list[Node | None] = sorted(criterion_objectives(g, c, area), key=str) or [None]
        if "objective" in params:
            objectives = [o for o in objectives if o == expand(params["objective"])]
        for o in objectives:
            rows.append((c, label(g, c, lang), level, label(g, level, lang), ctype, label(g, ctype, lang),
                         area, label(g, area, lang), o, label(g, o, lang)))
    return rows


def exp_facts_below_sure(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    levels = {KGID["confidence-likely"], KGID["confidence-unsure"]}
    if "confidence" in params:
        levels &= {expand(params["confidence"])}
    kept = {ORG.Membership, FOAF.Person, ORG.OrganizationalCollaboration}
    rows = []
    for node, conf in g.subject_objects(KG.confidence):
        if conf not in levels:
            continue
        for cls in g.objects(node, RDF.type):
            if not (str(cls).startswith(str(KG)) or cls in kept):
                continue
            for note in list(g.objects(node, SKOS.editorialNote)) or [None]:
                rows.append((node, label(g, node, lang), cls, conf, label(g, conf, lang), note))
    return rows


def exp_known_gaps(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    return [(gap, about, label(g, about, lang), d)
            for gap in g.subjects(RDF.type, KG.KnownGap)
            for about in g.objects(gap, KG.gapAbout) for d in g.objects(gap, DCT.description)]


def exp_measure_goals(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    rows = []
    for measure in g.subjects(RDF.type, KG.CollaborationMeasure):
        for goal in g.objects(measure, KG.hasGoal):
            kind = Literal("goal" if any(g.objects(goal, SKOS.topConceptOf)) else "sub-aim")
            for number in g.objects(goal, SKOS.notation):
                for ref in list(g.objects(goal, DCT.references)) or [None]:
                    rows.append((goal, number, label(g, goal, lang), kind, ref, label(g, ref, lang)))
    return rows


def exp_objective_agencies(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    rows = []
    for tp in g.subjects(RDF.type, KG.Touchpoint):
        agency, kind, lever = one(g, tp, KG.agency), one(g, tp, KG.touchpointKind), one(g, tp, KG.lever)
        if None in (agency, kind, lever):
            continue
        for o in g.objects(tp, KG.reachesObjective):
            if one(g, o, SKOS.notation) is None or ("objective" in params and o != expand(params["objective"])):
                continue
            rows.append((o, label(g, o, lang), agency, label(g, agency, lang), kind, label(g, kind, lang),
                         lever, label(g, lever, lang), tp))
    return rows


def reachers(g: rdflib.Graph, objective: Node) -> dict[str, set[Node]]:
    """What reaches an objective, by reacher type (the definitions in objective-reach's header)."""
    criteria = {c for c in g.subjects(RDF.type, KG.SustainabilityCriterion)
                if objective in set(g.objects(c, KG.reachesObjective)).union(
                    *(reached_by_area(g, a) for a in g.objects(c, KG.criteriaArea)))}
    areas = {a for a in g.subjects(KG.reachesObjective, objective) if (a, RDF.type, KG.CriteriaArea) in g}
    agreements = {a for a in g.subjects(RDF.type, KG.StateFrameworkAgreement)
                  if objective in set(g.objects(a, KG.reachesObjective)).union(
                      *(reached_by_area(g, fa) for fa in g.objects(a, KG.agreementArea)))}
    tps = {tp for tp in g.subjects(KG.reachesObjective, objective)
           if (tp, RDF.type, KG.Touchpoint) in g and one(g, tp, KG.agency) is not None}
    return {"criterion": criteria, "criteria area": areas, "agreement": agreements, "touchpoint": tps}


def objectives(g: rdflib.Graph) -> list[Node]:
    return [o for o in g.subjects(RDF.type, KG.EnvironmentalQualityObjective) if one(g, o, SKOS.notation) is not None]


def exp_objective_coverage(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    rows = []
    for o in objectives(g):
        r = reachers(g, o)
        ra = one(g, o, KG.responsibleAgency)
        rows.append((o, label(g, o, lang), ra, label(g, ra, lang),
                     count(len(r["criterion"] | r["criteria area"])), count(len(r["agreement"])),
                     count(len(r["touchpoint"])), count(len({one(g, tp, KG.agency) for tp in r["touchpoint"]}))))
    return rows


def exp_objective_reach(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    rows = set()
    for o in objectives(g):
        if "objective" in params and o != expand(params["objective"]):
            continue
        r = reachers(g, o)
        found = [(t, x) for t in ("criterion", "criteria area", "agreement") for x in r[t]]
        found += [("agency", one(g, tp, KG.agency)) for tp in r["touchpoint"]]
        rows |= {(o, label(g, o, lang), Literal(t), x, label(g, x, lang)) for t, x in found}
    return list(rows)


def exp_objectives_without_lever(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    rows = []
    for o in objectives(g):
        if any(g.subjects(KG.reachesObjective, o)):
            continue
        if any(o in reached_by_area(g, a) for c in g.subjects(KG.criteriaArea, None) for a in g.objects(c, KG.criteriaArea)):
            continue
        ra = one(g, o, KG.responsibleAgency)
        rows.append((o, label(g, o, lang), one(g, o, SKOS.notation), ra, label(g, ra, lang)))
    return rows


def exp_programme_areas(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    rows = []
    for pa in g.subjects(RDF.type, KG.ProgrammeArea):
        lead = one(g, pa, KG.leadAgency)
        start, end = bounds(g, one(g, pa, TIME.hasTime))
        rows.append((pa, label(g, pa, lang), lead, label(g, lead, lang), start, end,
                     Literal(any(g.subjects(KG.followedUpBy, pa)))))
    return rows


def exp_sources(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    rows = []
    for s in g.subjects(RDF.type, DCT.BibliographicResource):
        citations = set(g.subjects(PROV.wasQuotedFrom, s))
        facts = {f for c in citations for f in g.subjects(DCT.source, c)}
        tps = {f for f in facts if (f, RDF.type, KG.Touchpoint) in g}
        for name in g.objects(s, RDFS.label):
            rows.append((s, name, one(g, s, KG.webAddress), count(len(citations)), count(len(facts)), count(len(tps))))
    return rows


def exp_strategy_goals(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    rows = []
    for strategy in g.subjects(RDF.type, KG.PolicyStrategy):
        for goal in g.objects(strategy, SKOS.hasTopConcept):
            for number in g.objects(goal, SKOS.notation):
                rows.append((goal, number, label(g, goal, lang),
                             Literal((strategy, KG.overarchingGoal, goal) in g), one(g, goal, KG.confidence)))
    return rows


def exp_framework_areas(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    groups = set(g.subjects(RDF.type, KG.FrameworkAgreementGroup))
    rows = []
    for area in set(g.subjects(RDF.type, KG.FrameworkAgreementArea)) - groups:
        area_requirements = count(len(set(g.subjects(KG.requirementOf, area))))
        categories = [c for c in g.objects(area, SKOS.broadMatch) if c in groups] or [None]
        agreements = [a for a in g.subjects(KG.agreementArea, area) if (a, RDF.type, KG.StateFrameworkAgreement) in g] or [None]
        for group in (broader_closure(g, area) - {area}) & groups:
            if "group" in params and group != expand(params["group"]):
                continue
            for category in categories:
                for agreement in agreements:
                    start, end = bounds(g, one(g, agreement, TIME.hasTime))
                    requirements = count(len(set(g.subjects(KG.requirementOf, agreement)))) if agreement else None
                    rows.append((group, label(g, group, lang), area, label(g, area, lang), category, label(g, category, lang),
                                 agreement, label(g, agreement, lang), start, end, one(g, agreement, KG.maxExtensionEnd),
                                 one(g, one(g, agreement, ADMS.identifier), SKOS.notation), area_requirements, requirements,
                                 one(g, agreement or area, KG.confidence)))
    return rows


def exp_agency_commissions(g: rdflib.Graph, lang: str, params: Params) -> list[Row]:
    rows = []
    for commission in g.subjects(RDF.type, KG.GovernmentCommission):
        titles = {o.language: o for o in g.objects(commission, DCT.title) if isinstance(o, Literal)}
        labels = {o.language: o for o in g.objects(commission, RDFS.label) if isinstance(o, Literal)}
        name = titles.get(lang) or labels.get(lang) or labels.get("en")
        issued = one(g, commission, DCT.date) or one(g, commission, DCT.issued)
        for role, prop in (("commissioned", KG.commissionedAgency), ("named", KG.namedAgency)):
            for agency in g.objects(commission, prop):
                if "agency" in params and agency != expand(params["agency"]):
                    continue
                touchpoints = {tp for tp in g.subjects(KG.via, commission) if (tp, KG.agency, agency) in g}
                rows.append((commission, name, issued, one(g, commission, DCT.identifier), one(g, commission, KG.reportDue),
                             one(g, commission, KG.reportedReportDue), agency, label(g, agency, lang), Literal(role),
                             count(len(touchpoints)), one(g, commission, KG.confidence)))
    return rows


Expectation = Callable[[rdflib.Graph, str, Params], list[Row]]

# One entry per catalogued query: the parameter sets to check it with, and how to compute its answer.
# A query added to queries/ without an entry here fails test_every_query_has_an_expectation.
EXPECTED: dict[str, tuple[list[dict[str, str]], Expectation]] = {
    "activity-participants": ([{}], exp_activity_participants),
    "agencies-lacking-kind": ([{}, {"kind": "kgid:kind-buyer-network"}, {"kind": "kgid:kind-council-member"}],
                              exp_agencies_lacking_kind),
    "agencies-sharing-levers": ([{"agency": "kgid:agency-trafikverket"}, {"agency": "kgid:agency-kammarkollegiet"},
                                 {"agency": "kgid:agency-vinnova"}], exp_agencies_sharing_levers),
    "agency-kind-matrix": ([{}], exp_agency_kind_matrix),
    "agency-profile": ([{"agency": "kgid:agency-naturvardsverket"}, {"agency": "kgid:agency-kammarkollegiet"},
                        {"agency": "kgid:agency-upphandlingsmyndigheten"}, {"agency": "kgid:org-lansstyrelserna"},
                        {"agency": "kgid:objective-giftfri-miljo"}], exp_agency_profile),
    "agency-commissions": ([{}, {"agency": "kgid:agency-boverket"}, {"agency": "kgid:agency-does-not-exist"}], exp_agency_commissions),
    "agency-touchpoints": ([{}, {"agency": "kgid:agency-trafikverket"}, {"agency": "kgid:agency-kemikalieinspektionen"},
                            {"agency": "kgid:agency-does-not-exist"}], exp_agency_touchpoints),
    "agreements-and-criteria": ([{}], exp_agreements_and_criteria),
    "call-off-rules": ([{}], exp_call_off_rules),
    "council-chairs": ([{}], exp_council_chairs),
    "council-members": ([{"date": "2019-06-01"}, {"date": "2014-01-01"}, {"date": "2016-03-01"},
                         {"date": "2018-08-01"}, {"date": "2018-10-18"}, {"date": "2022-05-07"}],
                        exp_council_members),
    "criteria-by-level": ([{}, {"objective": "kgid:objective-giftfri-miljo"}], exp_criteria_by_level),
    "framework-areas": ([{}, {"group": "kgid:framework-area-resor-och-boende"}], exp_framework_areas),
    "facts-below-sure": ([{}, {"confidence": "kgid:confidence-likely"}, {"confidence": "kgid:confidence-unsure"},
                          {"confidence": "kgid:confidence-sure"}], exp_facts_below_sure),
    "known-gaps": ([{}], exp_known_gaps),
    "measure-goals": ([{}], exp_measure_goals),
    "objective-agencies": ([{}, {"objective": "kgid:objective-giftfri-miljo"}, {"objective": "kgid:objective-frisk-luft"}],
                           exp_objective_agencies),
    "objective-coverage": ([{}], exp_objective_coverage),
    "objective-reach": ([{}, {"objective": "kgid:objective-giftfri-miljo"}, {"objective": "kgid:objective-frisk-luft"}],
                        exp_objective_reach),
    "objectives-without-lever": ([{}], exp_objectives_without_lever),
    "programme-areas": ([{}], exp_programme_areas),
    "sources": ([{}], exp_sources),
    "strategy-goals": ([{}], exp_strategy_goals),
}

def expectation_cases() -> list[object]:
    cases = []
    for name, (param_sets, _) in EXPECTED.items():
        for params in param_sets:
            for lang in LANGS:
                pid = f"{name}-{lang}-" + ("-".join(f"{k}={v.removeprefix('kgid:')}" for k, v in params.items()) or "default")
                cases.append(pytest.param(name, params, lang, id=pid))
    return cases


# --------------------------------------------------------------------------- 1. answers by value

def test_every_query_has_an_expectation(catalogue: dict[str, QuerySpec]) -> None:
    assert sorted(catalogue) == sorted(EXPECTED), "add an expectation for each new query (and drop stale ones)"


@pytest.mark.parametrize(("name", "params", "lang"), expectation_cases())
def test_query_answers_by_value(name: str, params: dict[str, str], lang: str, rdf: rdflib.Graph,
                                store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    spec = catalogue[name]
    result = run_query(store, spec, params, lang)
    assert result.variables == list(spec.columns)
    got = rows_of(result)
    expected = EXPECTED[name][1](rdf, lang, params)
    if name == "agency-profile":  # GROUP_CONCAT order is not defined: compare abbreviations as sets
        def norm(rows: list[Row]) -> list[Row]:
            return [r[:3] + (frozenset(str(r[3]).split(", ")) if r[3] is not None else None,) + r[4:] for r in rows]
        got, expected = norm(got), norm(expected)
    assert_same_rows(got, expected)


def test_default_runs_return_rows(store: EmbeddedStore, catalogue: dict[str, QuerySpec]) -> None:
    """Guard against vacuous passes: every query's first case answers something on the shipped data."""
    empty = [name for name, (cases, _) in EXPECTED.items()
             if not run_query(store, catalogue[name], cases[0], "en").rows]
    assert empty == []


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
    # No criterion reaches Giftfri miljö in the shipped data.
    assert records(store, spec, {"objective": "kgid:objective-giftfri-miljo"}) == []
    # Seed a link from the fuel area to Begränsad klimatpåverkan: all three fuel criteria reach it, and only it.
    seeded = built_store_with("kgid:criteria-area-drivmedel kg:reachesObjective kgid:objective-begransad-klimatpaverkan .")
    rows = records(seeded, spec, {"objective": "kgid:objective-begransad-klimatpaverkan"})
    assert len(rows) == 3 and {r["objective"] for r in rows} == {KGID["objective-begransad-klimatpaverkan"]}
    assert records(seeded, spec, {"objective": "kgid:objective-frisk-luft"}) == []


def test_criterion_objective_label_in_swedish(catalogue: dict[str, QuerySpec],
                                              built_store_with: Callable[[str], EmbeddedStore]) -> None:
    # A label inside a nested OPTIONAL follows ?lang too (no shipped criterion reaches an objective yet).
    seeded = built_store_with("kgid:criteria-area-drivmedel kg:reachesObjective kgid:objective-begransad-klimatpaverkan .")
    labels = {r["objectiveLabel"] for r in records(seeded, catalogue["criteria-by-level"], lang="sv")}
    assert labels == {Literal("Begränsad klimatpåverkan", lang="sv")}


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
        if result.variables != list(spec.columns):
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
