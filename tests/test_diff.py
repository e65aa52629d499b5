"""``kg diff``: per-class changes between hand-made graphs, built files and git revisions."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.cli import main
from graph.config import Settings
from graph.diff import UNTYPED, ClassChange, GraphDiff, diff_graphs, load_input
from graph.diff_render import render_diff
from graph.errors import BuildError, RevisionError

PROLOGUE = """
@prefix kg: <https://w3id.org/mmr-kg/def/> .
@prefix kgid: <https://w3id.org/mmr-kg/id/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix g: <https://w3id.org/mmr-kg/graph/> .
"""

# a: unchanged; b: removed; c: added; d: Swedish name changed; e: only its English name changed;
# f: a triple moved from data/agencies to data/extra; y: retyped from kg:Agency to kg:SectorArea;
# u: an untyped node that appears. The metadata graph differs only in build-specific triples.
OLD = PROLOGUE + """
g:data\\/agencies {
  kgid:a a kg:Agency ; skos:prefLabel "A"@sv .
  kgid:b a kg:Agency ; skos:prefLabel "B"@sv .
  kgid:d a kg:Agency ; skos:prefLabel "D gammal"@sv , "D"@en .
  kgid:e a kg:Agency ; skos:prefLabel "E"@sv , "E old"@en .
  kgid:f a kg:Agency ; skos:prefLabel "F"@sv ; skos:altLabel "FF"@sv .
  kgid:y a kg:Agency ; skos:prefLabel "Y"@sv .
}
g:ontology\\/core { kg:Agency skos:prefLabel "myndighet"@sv , "agency"@en . }
g:meta {
  kgid:dataset owl:versionInfo "0.1.0" ; void:triples 20 ; void:classPartition kgid:dataset-class-kg-Agency .
  kgid:dataset-class-kg-Agency void:entities 6 .
}
"""
NEW = PROLOGUE + """
g:data\\/agencies {
  kgid:a a kg:Agency ; skos:prefLabel "A"@sv .
  kgid:c a kg:Agency ; skos:prefLabel "C"@sv .
  kgid:d a kg:Agency ; skos:prefLabel "D ny"@sv , "D"@en .
  kgid:e a kg:Agency ; skos:prefLabel "E"@sv , "E new"@en .
  kgid:f a kg:Agency ; skos:prefLabel "F"@sv .
  kgid:y a kg:SectorArea ; skos:prefLabel "Y"@sv .
}
g:data\\/extra { kgid:f skos:altLabel "FF"@sv . kgid:u skos:note "ny" . }
g:ontology\\/core { kg:Agency skos:prefLabel "myndighet"@sv , "agency"@en . }
g:meta {
  kgid:dataset owl:versionInfo "0.2.0" ; void:triples 21 ; void:classPartition kgid:dataset-class-kg-Agency .
  kgid:dataset-class-kg-Agency void:entities 6 .
}
"""
KGID = "https://w3id.org/mmr-kg/id/"


def quads(trig: str) -> list[ox.Quad]:
    return list(ox.parse(trig.encode("utf-8"), format=ox.RdfFormat.TRIG))


def row(diff: GraphDiff, name: str) -> ClassChange:
    return next(r for r in diff.classes if r.name == name)


def iris(entities: tuple[object, ...]) -> list[str]:
    return [e.iri.removeprefix(KGID) for e in entities]  # type: ignore[attr-defined]


@pytest.fixture()
def hand_made() -> GraphDiff:
    return diff_graphs(quads(OLD), quads(NEW), old_name="old.trig", new_name="new.trig")


def test_members_added_removed_and_changed_per_class(hand_made: GraphDiff) -> None:
    agency = row(hand_made, "kg:Agency")
    assert (agency.before, agency.after, agency.label) == (6, 5, "myndighet")
    assert iris(agency.added) == ["c"]
    assert iris(agency.removed) == ["b", "y"]
    assert iris(agency.changed) == ["d", "e"]  # a is identical; f only moved a triple
    sector = row(hand_made, "kg:SectorArea")
    assert (sector.before, sector.after, iris(sector.added)) == (0, 1, ["y"])
    untyped = row(hand_made, UNTYPED)
    assert iris(untyped.added) == ["u"] and untyped.removed == ()


def test_a_changed_label_is_shown_in_swedish_with_its_old_value(hand_made: GraphDiff) -> None:
    d, e = row(hand_made, "kg:Agency").changed
    assert (d.old_label, d.label, d.triples_added, d.triples_removed) == ("D gammal", "D ny", 1, 1)
    assert d.predicates == ("skos:prefLabel",)
    assert (e.old_label, e.label) == (None, "E")  # only the English name changed; sv is preferred


def test_english_labels_when_asked() -> None:
    diff = diff_graphs(quads(OLD), quads(NEW), lang="en")
    assert [e.label for e in row(diff, "kg:Agency").changed] == ["D", "E new"]


def test_a_triple_that_moved_between_graphs_gets_a_line_not_a_change(hand_made: GraphDiff) -> None:
    assert len(hand_made.moved) == 1
    moved = hand_made.moved[0]
    assert (moved.before, moved.after, moved.count) == (("data/agencies",), ("data/extra",), 1)
    assert moved.examples == ('kgid:f skos:altLabel "FF"@sv',)
    assert "f" not in iris(row(hand_made, "kg:Agency").changed)


def test_build_specific_metadata_is_ignored_and_the_versions_are_reported(hand_made: GraphDiff) -> None:
    assert (hand_made.old_version, hand_made.new_version) == ("0.1.0", "0.2.0")
    assert "meta" not in [g.graph for g in hand_made.graphs]
    # 15 + 2 triples before, 16 + 2 after; added c (2), the new names of d and e, y's new type, u;
    # removed b (2), the old names of d and e, y's old type; f's alternative name only moved
    assert (hand_made.triples_before, hand_made.triples_after) == (17, 18)
    assert (hand_made.triples_added, hand_made.triples_removed) == (6, 5)
    extra = next(g for g in hand_made.graphs if g.graph == "data/extra")
    assert (extra.before, extra.after, extra.added, extra.removed) == (0, 2, 2, 0)


def test_identical_builds_have_no_changes(built_files: Path) -> None:
    graph = load_input(str(built_files)).quads  # a folder stands for its graph.nq
    trig = load_input(str(built_files / "graph.trig")).quads
    diff = diff_graphs(graph, trig)
    assert not any(r.has_changes for r in diff.classes) and diff.graphs == () and diff.moved == ()
    assert diff.triples_added == diff.triples_removed == 0 and diff.triples_before > 1000
    assert "No class gained, lost or changed a member." in render_diff(diff, "text")


def test_text_rendering_shows_the_table_examples_and_moves(hand_made: GraphDiff) -> None:
    text = render_diff(hand_made, "text", examples=1)
    lines = text.splitlines()
    assert lines[0] == "Old: old.trig, version 0.1.0" and lines[1] == "New: new.trig, version 0.2.0"
    assert any(line.split() == ["kg:Agency", "6", "5", "1", "2", "2"] for line in lines)
    assert "  - kgid:b «B»" in lines and "  - … and 1 more removed" in lines
    assert "  ~ kgid:d «D ny» (label was «D gammal»; +1 −1: skos:prefLabel)" in lines
    assert "  1 from data/agencies to data/extra, e.g. kgid:f skos:altLabel \"FF\"@sv" in lines


def test_markdown_rendering_for_release_notes(hand_made: GraphDiff) -> None:
    text = render_diff(hand_made, "markdown", command="kg diff a b --format markdown")
    assert text.startswith("# Data changes: old.trig → new.trig\n")
    assert "Generated with `kg diff a b --format markdown`" in text
    assert "| `kg:Agency` myndighet | 6 | 5 | 1 | 2 | 2 |" in text
    assert "- Removed (2): `kgid:b` B; `kgid:y` Y" in text
    assert "- 1 from `data/agencies` to `data/extra`" in text


def test_markdown_escapes_labels() -> None:
    trig = PROLOGUE + 'g:data\\/x { kgid:z a kg:Agency ; skos:prefLabel "a|b *c*"@sv . }'
    text = render_diff(diff_graphs([], quads(trig)), "markdown")
    assert "`kgid:z` a\\|b \\*c\\*" in text


def test_json_holds_every_entity(hand_made: GraphDiff) -> None:
    data = json.loads(render_diff(hand_made, "json", examples=1))
    assert data == json.loads(json.dumps(hand_made.as_dict()))
    agency = next(c for c in data["classes"] if c["name"] == "kg:Agency")
    assert [e["iri"] for e in agency["removed"]] == [KGID + "b", KGID + "y"]


# --- the command line on files ------------------------------------------------------------------


def write_pair(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.nq", tmp_path / "new.trig"
    old.write_bytes(ox.serialize(quads(OLD), format=ox.RdfFormat.N_QUADS))
    new.write_text(NEW, encoding="utf-8")
    return old, new


def test_cli_on_two_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = write_pair(tmp_path)
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["old"], data["new"], data["old_version"]) == (str(old), str(new), "0.1.0")
    agency = next(c for c in data["classes"] if c["name"] == "kg:Agency")
    assert (len(agency["added"]), len(agency["removed"]), len(agency["changed"])) == (1, 2, 2)


def test_cli_writes_markdown_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = write_pair(tmp_path)
    out = tmp_path / "notes.md"
    assert main(["diff", str(old), str(new), "--format", "markdown", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert f"Generated with `kg diff {old} {new} --format markdown -o {out}`" in text
    assert "| `kg:Agency` myndighet | 6 | 5 | 1 | 2 | 2 |" in text
    assert capsys.readouterr().out == ""


def test_cli_names_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, _ = write_pair(tmp_path)
    assert main(["diff", str(old), str(tmp_path / "missing.nq")]) == 2
    assert f"error: {tmp_path / 'missing.nq'}: no such file. Build it with 'kg build" in capsys.readouterr().err


def test_cli_wants_graph_nq_in_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, _ = write_pair(tmp_path)
    (tmp_path / "empty").mkdir()
    assert main(["diff", str(tmp_path / "empty"), str(old)]) == 2
    assert f"error: {tmp_path / 'empty' / 'graph.nq'}: no built graph in this folder" in capsys.readouterr().err


def test_cli_names_the_line_of_a_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, _ = write_pair(tmp_path)
    broken = tmp_path / "broken.nq"
    broken.write_text("<https://x> <https://y> .\n", encoding="utf-8")
    assert main(["diff", str(old), str(broken)]) == 2
    assert f"error: {broken}:1:" in capsys.readouterr().err


def test_outside_a_git_checkout_a_non_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RevisionError, match=r"'HEAD' is not a file, and .* is not inside a git checkout"):
        load_input("HEAD", repo=tmp_path)


# --- the command line on git revisions ----------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "-c", "user.name=Test", "-c", "user.email=test@example.org",
                           "-c", "commit.gpgsign=false", *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository: README only; the shipped sources; one data file changed; a broken file."""
    from graph.config import default_settings

    settings: Settings = default_settings()
    root = tmp_path_factory.mktemp("repo")
    git(root, "init", "-q")
    (root / "README.md").write_text("sources come later\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "empty")
    for name in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(getattr(settings, f"{name}_dir"), root / name)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "sources")
    agencies = root / "data" / "agencies.ttl"
    text = agencies.read_text(encoding="utf-8")
    assert '"Boverket"@sv' in text
    agencies.write_text(text.replace('"Boverket"@sv', '"Boverket (test)"@sv') + (
        '\nkgid:period-test a kg:Period ; skos:prefLabel "testperiod"@sv .\n'), encoding="utf-8")
    git(root, "commit", "-qam", "rename Boverket, add a period")
    (root / "data" / "broken.ttl").write_text("@prefix kg: <https://w3id.org/mmr-kg/def/> .\nkg:a kg:b .\n",
                                              encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "broken")
    return root


def test_cli_on_two_revisions(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "HEAD~2", "HEAD~1", "--repo", str(repo), "--format", "json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    commit = git(repo, "rev-parse", "HEAD~1")
    assert data["new"] == f"HEAD~1 ({commit[:7]})"
    agency = next(c for c in data["classes"] if c["name"] == "kg:Agency")
    assert (agency["added"], agency["removed"]) == ([], [])
    assert [(e["iri"], e["old_label"], e["label"]) for e in agency["changed"]] == [
        (KGID + "agency-boverket", "Boverket", "Boverket (test)")]
    period = next(c for c in data["classes"] if c["name"] == "kg:Period")
    assert [e["label"] for e in period["added"]] == ["testperiod"]
    assert [c["name"] for c in data["classes"] if c["added"] or c["removed"] or c["changed"]] == [
        "kg:Agency", "kg:Period"]
    assert "building the graph of HEAD~2" in captured.err and "building the graph of HEAD~1" in captured.err


def test_an_unknown_revision_is_named(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "no-such-branch", "HEAD", "--repo", str(repo)]) == 2
    err = capsys.readouterr().err
    assert "'no-such-branch' is neither a file nor a revision of the git checkout" in err
    assert "HEAD, main~3 or a commit hash" in err


def test_a_revision_without_sources_is_refused(repo: Path) -> None:
    with pytest.raises(RevisionError, match=r"revision 'HEAD~3' \(\w{7}\) has no ontology/ or data/ folder"):
        load_input("HEAD~3", repo=repo)


def test_a_broken_file_at_a_revision_is_named_by_revision_and_path(repo: Path) -> None:
    with pytest.raises(BuildError, match=r"^HEAD:data/broken\.ttl:2:"):
        load_input("HEAD", repo=repo)


def test_the_docstring_examples_run() -> None:
    import doctest

    import graph.diff

    result = doctest.testmod(graph.diff)
    assert result.attempted >= 3 and result.failed == 0
