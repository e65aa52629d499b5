"""kg coverage: which touchpoint kinds each agency has, and what reaches each objective."""

from __future__ import annotations

import json

import pytest

from graph.cli import main
from graph.config import Settings
from graph.coverage import compute_coverage
from graph.store import EmbeddedStore

KGID = "https://w3id.org/mmr-kg/id/"


def test_agency_rows_split_present_and_missing_kinds(store: EmbeddedStore, settings: Settings) -> None:
    table = compute_coverage(store, settings, "en")
    rows = {a.agency: a for a in table.agencies}
    kemi = rows[KGID + "agency-kemikalieinspektionen"]
    assert kemi.council_member
    # its chemical requirements guidance (issue 8 retired the 'objective reached by criteria' kind)
    assert kemi.present["sector guidance that shapes procurement"] >= 1
    assert "responsible for an objective reached by criteria" not in kemi.present | dict.fromkeys(kemi.missing)
    assert "central purchasing body" in kemi.missing
    assert set(kemi.present).isdisjoint(kemi.missing)
    kinds = {r[0].value for r in store.query(  # type: ignore[union-attr]
        "SELECT ?k WHERE { ?k a <https://w3id.org/mmr-kg/def/TouchpointKind> "
        "FILTER NOT EXISTS { ?k <http://www.w3.org/2002/07/owl#deprecated> true } }").rows}
    assert len(kemi.present) + len(kemi.missing) == len(kinds) == 22  # every current kind in the scheme, once
    kammarkollegiet = rows[KGID + "agency-kammarkollegiet"]
    assert not kammarkollegiet.council_member
    assert kammarkollegiet.present["central purchasing body"] == 1


def test_every_council_member_is_listed(store: EmbeddedStore, settings: Settings) -> None:
    members = {r[0].value for r in store.query("""
        SELECT DISTINCT ?a WHERE { ?m <http://www.w3.org/ns/org#role> <https://w3id.org/mmr-kg/id/role-council-member> ;
                                      <http://www.w3.org/ns/org#member> ?a }""").rows}  # type: ignore[union-attr]
    table = compute_coverage(store, settings, "sv")
    listed = {a.agency for a in table.agencies if a.council_member}
    assert listed == members and len(members) == 18


def test_objective_rows_name_what_reaches_them(store: EmbeddedStore, settings: Settings) -> None:
    table = compute_coverage(store, settings, "sv")
    by_iri = {o.objective: o for o in table.objectives}
    assert len(by_iri) == 16
    giftfri = by_iri[KGID + "objective-giftfri-miljo"]
    assert giftfri.label == "Giftfri miljö"
    # facts/criteria.md §1: the chemical requirements, the food area, Mjölk och mejeri and (in English) Kött name it.
    assert sorted(giftfri.criteria_areas) == ["Kemikaliekrav", "Kött", "Livsmedel och måltidstjänster", "Mjölk och mejeri"]
    assert giftfri.agencies == ["Kemikalieinspektionen"]
    assert giftfri.agreements == []
    frisk_luft = by_iri[KGID + "objective-frisk-luft"]
    assert (frisk_luft.criteria, frisk_luft.criteria_areas, frisk_luft.agreements, frisk_luft.agencies) == ([], [], [], [])


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_cli_coverage(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--lang", "en", "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        data = json.loads(out)
        assert len(data["objectives"]) == 16
        assert all({"present", "missing", "touchpoints"} <= set(a) for a in data["agencies"])
    else:
        assert "Swedish Chemicals Agency  (council member" in out
        assert "lacks:" in out and "A Non-Toxic Environment" in out


def test_every_objective_has_a_basis_and_curated_links_only_when_asked(store: EmbeddedStore,
                                                                      settings: Settings) -> None:
    plain = {o.objective: o for o in compute_coverage(store, settings, "en").objectives}
    asked = {o.objective: o for o in compute_coverage(store, settings, "en", include_curated=True).objectives}
    assert {o.basis for o in plain.values()} <= {"stated", "curated", "gap", "none"}
    assert all(o.basis != "none" for o in plain.values()), "issue 8: a stated link, a curated link or a gap each"
    assert all(not o.curated for o in plain.values())
    frisk = KGID + "objective-frisk-luft"  # no source names it: a recorded gap, and the curators' reading
    assert plain[frisk].basis == "gap" and not plain[frisk].curated
    assert asked[frisk].basis == "curated" and asked[frisk].curated and not asked[frisk].criteria
    assert plain[KGID + "objective-giftfri-miljo"].basis == asked[KGID + "objective-giftfri-miljo"].basis == "stated"
