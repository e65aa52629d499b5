"""framework-areas and agency-commissions answer right on small hand-made graphs (issue 8, item 7).

Each fixture in tests/data/agreement-queries/ is written so that the expected rows can be read off it by eye:
they are listed here in full, in the query's order where the order is defined.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.build import parse_file
from graph.config import Settings
from graph.derived import derive
from graph.queries import QuerySpec, load_query, run_query
from graph.store import EmbeddedStore

FIXTURES = Path(__file__).parent / "data" / "agreement-queries"
KGID = "https://w3id.org/mmr-kg/id/"

Row = tuple[str | None, ...]


def fixture_store(name: str) -> EmbeddedStore:
    """An embedded store holding the fixture graph ``name``.ttl and what the build derives from it."""
    store = ox.Store()
    store.extend(parse_file(FIXTURES / f"{name}.ttl"))
    store.extend(derive(store))
    return EmbeddedStore(store)


def spec(settings: Settings, name: str) -> QuerySpec:
    return load_query(settings.queries_dir / f"{name}.rq")


def answer(settings: Settings, name: str, params: dict[str, str], lang: str, columns: list[str]) -> list[Row]:
    """The rows of the query on its fixture, as plain strings (IRIs shortened to their kgid: local name)."""
    result = run_query(fixture_store(name), spec(settings, name), params, lang)
    rows = []
    for record in result.records():
        rows.append(tuple(None if record[c] is None else str(record[c].value).removeprefix(KGID) for c in columns))
    return rows


# --------------------------------------------------------------------------- framework-areas

AREA_COLUMNS = ["group", "groupLabel", "area", "areaLabel", "category", "categoryLabel", "agreement", "agreementLabel",
                "start", "end", "maxExtensionEnd", "reference", "areaRequirements", "agreementRequirements",
                "areaCallOffParameters", "agreementCallOffParameters", "confidence"]

AREAS_EN = [
    # "Kontor (test)" sorts before "Travel (test)"; within a group by area label, then start.
    ("qt-group-office", "Kontor (test)", "qt-area-consumables", "Förbrukningsvaror (test)", None, None, None, None,
     None, None, None, None, "0", None, None, None, "confidence-sure"),
    ("qt-group-office", "Kontor (test)", "qt-area-paper", "Kontorspapper (test)",
     None, None, "qt-agreement-paper", "Kontorspapper A (test)",
     None, "2027-01-30", None, None, "0", "0", None, None, "confidence-unsure"),
    ("qt-group-travel", "Travel (test)", "qt-area-flights", "Flygresor (test)", "qt-category-meetings",
     "Rese- och mötestjänster (test)", "qt-agreement-agency", "Travel agency services (test)", "2016-08",
     None, None, None, "1", "0", "LCC (test)", None, "confidence-likely"),
    # Two call-off parameters of the agreement, by their Swedish names (the only ones they have), sorted.
    ("qt-group-travel", "Travel (test)", "qt-area-flights", "Flygresor (test)", "qt-category-meetings", "Rese- och mötestjänster (test)",
     "qt-agreement-domestic", "Flygresor inrikes (test)", "2021-05-01", "2023-04-30", "2023-04-30", "23.3-0001-2020", "1", "2",
     "LCC (test)", "Miljö (test) | Utsläpp (test)", "confidence-sure"),
    # A vehicle rule is a requirement but no call-off parameter.
    ("qt-group-travel", "Travel (test)", "qt-area-taxi", "Taxi (test)", None, None, None, None,
     None, None, None, None, "1", None, None, None, "confidence-likely"),
]


def test_framework_areas_lists_every_area_and_agreement_under_its_group(settings: Settings) -> None:
    assert answer(settings, "framework-areas", {}, "en", AREA_COLUMNS) == AREAS_EN


def test_framework_areas_labels_follow_the_language(settings: Settings) -> None:
    rows = answer(settings, "framework-areas", {}, "sv", AREA_COLUMNS)
    assert {r[1] for r in rows} == {"Kontor (test)", "Resor och boende (test)"}
    assert "Resebyråtjänster (test)" in {r[7] for r in rows}
    swedish = {"Travel (test)": "Resor och boende (test)", "Travel agency services (test)": "Resebyråtjänster (test)"}
    assert sorted(rows) == sorted(tuple(swedish.get(v, v) if v else v for v in row) for row in AREAS_EN)


def test_framework_areas_group_parameter_keeps_one_group(settings: Settings) -> None:
    rows = answer(settings, "framework-areas", {"group": "kgid:qt-group-office"}, "en", AREA_COLUMNS)
    assert rows == [r for r in AREAS_EN if r[0] == "qt-group-office"]


def test_framework_areas_never_lists_a_group_as_an_area(settings: Settings) -> None:
    rows = answer(settings, "framework-areas", {}, "en", AREA_COLUMNS)
    assert not {r[2] for r in rows} & {"qt-group-office", "qt-group-travel", "qt-category-meetings"}


# --------------------------------------------------------------------------- agency-commissions

COMMISSION_COLUMNS = ["commission", "commissionLabel", "issued", "diaryNumber", "reportDue", "otherReportDue",
                      "agency", "agencyLabel", "role", "touchpoints", "confidence"]

CLIMATE = ("qt-commission-climate", "2020-03", "Fi2020/00001", "2021-12-31", "2021-01-31")
ADAPTATION = ("qt-commission-adaptation", "2017-11-22", None, None, None)


def commission_rows(lang: str) -> list[Row]:
    climate = "Uppdrag om klimat i byggupphandling (test)" if lang == "sv" else "Commission on climate in building procurement (test)"
    adaptation = "Commission on climate adaptation in procurement (test)"  # no Swedish title: the English label in both
    building = "Boverket (test)" if lang == "sv" else "Housing Board (test)"

    def row(c: tuple[str | None, ...], name: str, agency: str, agency_label: str, role: str, tps: str, conf: str) -> Row:
        return (c[0], name, *c[1:], agency, agency_label, role, tps, conf)

    return [
        row(CLIMATE, climate, "qt-agency-building", building, "commissioned", "2", "confidence-sure"),
        row(CLIMATE, climate, "qt-agency-procurement", "Upphandlingsmyndigheten (test)", "commissioned", "0", "confidence-sure"),
        row(CLIMATE, climate, "qt-org-weather", "SMHI (test)", "named", "0", "confidence-sure"),
        row(ADAPTATION, adaptation, "qt-org-weather", "SMHI (test)", "commissioned", "0", "confidence-likely"),
        row(ADAPTATION, adaptation, "qt-agency-building", building, "named", "0", "confidence-likely"),
        row(ADAPTATION, adaptation, "qt-agency-procurement", "Upphandlingsmyndigheten (test)", "named", "1", "confidence-likely"),
    ]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_agency_commissions_links_every_agency_a_commission_names(settings: Settings, lang: str) -> None:
    rows = answer(settings, "agency-commissions", {}, lang, COMMISSION_COLUMNS)
    assert sorted(rows, key=str) == sorted(commission_rows(lang), key=str)


def test_agency_commissions_prefers_the_decision_day_and_keeps_both_report_dates(settings: Settings) -> None:
    rows = answer(settings, "agency-commissions", {}, "en", COMMISSION_COLUMNS)
    assert {r[2] for r in rows if r[0] == "qt-commission-adaptation"} == {"2017-11-22"}
    assert {(r[4], r[5]) for r in rows if r[0] == "qt-commission-climate"} == {("2021-12-31", "2021-01-31")}


def test_agency_commissions_agency_parameter_keeps_both_roles(settings: Settings) -> None:
    rows = answer(settings, "agency-commissions", {"agency": "kgid:qt-agency-building"}, "en", COMMISSION_COLUMNS)
    assert sorted((r[0], r[8], r[9]) for r in rows) == [
        ("qt-commission-adaptation", "named", "0"), ("qt-commission-climate", "commissioned", "2")]


def test_personbilar_names_co2_and_lcc_as_call_off_parameters(store: EmbeddedStore, settings: Settings) -> None:
    # framework-agreements.md, Personbilar: call-off parameters "Utsläppsnivåer för koldioxid" and "LCC-kostnad".
    rows = run_query(store, spec(settings, "framework-areas"), {}, "sv").records()
    (personbilar,) = [r for r in rows if r["agreement"] is not None and r["agreement"].value == KGID + "agreement-personbilar"]
    assert personbilar["agreementCallOffParameters"].value == "LCC-kostnad | Utsläppsnivåer för koldioxid"

