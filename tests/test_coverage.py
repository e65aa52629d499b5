"""kg coverage: which touchpoint kinds each agency has, and what reaches each objective."""

from __future__ import annotations

import json

import pytest

from graph.cli import main
from graph.config import Settings
from graph.coverage import compute_coverage
from graph.store import EmbeddedStore
from graph.textable import MIN_COLUMN

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
        assert "lacks:" not in out and "A Non-Toxic Environment" in out
        assert "Swedish Chemicals Agency" in out  # piped: full names


def test_coverage_grid_ticks_each_kind_an_agency_has(store: EmbeddedStore, settings: Settings) -> None:
    table = compute_coverage(store, settings, "en")
    assert [k.short for k in table.kinds] == [str(n) for n in range(1, len(table.kinds) + 1)]
    labels = [k.label for k in table.kinds]
    assert labels == sorted(labels, key=str.casefold) and len(set(labels)) == len(labels) == 22
    kemi = next(a for a in table.agencies if a.agency == KGID + "agency-kemikalieinspektionen")
    cells = dict(zip(labels, kemi.cells(table.kinds), strict=True))
    guidance = kemi.present["sector guidance that shapes procurement"]
    assert cells["sector guidance that shapes procurement"] == f"✓{guidance}"
    assert all(cells[kind] == "" for kind in kemi.missing)
    data = table.as_dict()
    assert [k["label"] for k in data["kinds"]] == labels  # type: ignore[index]
    row = next(a for a in data["agencies"] if a["agency"] == kemi.agency)  # type: ignore[index, union-attr]
    assert row["cells"] == kemi.cells(table.kinds) and row["missing"] == kemi.missing


def test_cli_coverage_grid_with_its_legend(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--lang", "en"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[2].split()
    assert header[:3] == ["agency", "council", "total"] and header[3:] == [str(n) for n in range(1, 23)]
    kemi = next(line for line in lines if line.startswith("Swedish Chemicals Agency"))
    column = lines[2].index(" 21") + 1  # "21": supervision of public procurement, which it lacks
    assert "  21  supervision of public procurement" in lines
    assert kemi[column:column + 3].strip() == ""
    guidance = lines[2].index(" 20") + 1  # "20": sector guidance that shapes procurement, which it has
    assert "  20  sector guidance that shapes procurement" in lines
    assert kemi[guidance:guidance + 3].startswith("✓")


def test_cli_coverage_fits_a_narrow_terminal_down_to_the_minimum(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--lang", "en"]) == 0
    full = capsys.readouterr().out.splitlines()
    assert main(["coverage", "--lang", "en", "--width", "60"]) == 0
    narrow = capsys.readouterr().out.splitlines()
    end = full.index("Kinds:") - 1
    assert narrow.index("Kinds:") - 1 == end
    # 22 tick columns cannot fit 60 characters: only the widest column (the names) gives way, and
    # not below the minimum; the ticks and totals stay whole.
    name_width = full[2].index("council") - 2
    assert name_width > MIN_COLUMN and narrow[2].index("council") - 2 == MIN_COLUMN
    assert narrow[3].startswith("-" * MIN_COLUMN + "  ")
    for wide, cut in zip(full[4:end], narrow[4:end], strict=True):
        assert cut[MIN_COLUMN:] == wide[name_width:]
        name = wide[:name_width].rstrip()
        assert cut[:MIN_COLUMN].rstrip() == (name if len(name) <= MIN_COLUMN else name[:MIN_COLUMN - 1] + "…")


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
