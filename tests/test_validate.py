"""kg validate / kg summary: verdicts, exit codes and readable reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib

from graph.build import BuiltGraph, build_from_files, write_graph
from graph.cli import main
from graph.config import Settings

BROKEN_AGENCY = """\
@prefix kg:      <https://w3id.org/mmr-kg/def/> .
@prefix kgid:    <https://w3id.org/mmr-kg/id/> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix org:     <http://www.w3.org/ns/org#> .

kgid:test-agency-broken a kg:Agency ;
    skos:prefLabel "Testverket"@sv ;
    org:identifier "12-34" .
"""


@pytest.fixture
def broken_file(tmp_path: Path) -> Path:
    path = tmp_path / "broken.ttl"
    path.write_text(BROKEN_AGENCY, encoding="utf-8")
    return path


def test_shipped_graph_conforms(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("The graph conforms: 0 violations")


def test_built_graph_file_validates_like_the_sources(
        broken_file: Path, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A built graph.nq (ontology, data and metadata in named graphs) reports what its sources report."""
    ontology = sorted(settings.ontology_dir.glob("*.ttl"))
    write_graph(build_from_files([*ontology, broken_file], settings.version), tmp_path / "dist")
    graph_nq = tmp_path / "dist" / "graph.nq"
    assert main(["validate", str(broken_file), "--format", "json"]) == 1
    sources = json.loads(capsys.readouterr().out)
    assert main(["validate", str(graph_nq), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out) == sources
    assert sources["counts"]["Violation"] > 0 and sources["counts"]["Warning"] > 0  # missing English names are reported, not hidden


def test_violations_exit_1_grouped_by_focus_node(broken_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(broken_file)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("The graph does NOT conform")
    block = out.split("kgid:test-agency-broken  (Testverket)\n", 1)[1].split("\n\n", 1)[0]
    lines = block.splitlines()
    assert lines[0].lstrip().startswith("VIOLATION"), "violations come first in a node's group"
    assert "NNNNNN-NNNN" in block and "[org:identifier]" in block
    assert "Cite a source" in block and "confidence" in block
    assert "shape: kgsh:AgencyShape-identifier" in block


def test_json_and_turtle_reports(broken_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(broken_file), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    mine = [r for r in report["results"] if r["focus_node"].endswith("test-agency-broken")]
    assert {r["source_shape"].rsplit("/", 1)[-1] for r in mine} >= {
        "AgencyShape-identifier", "SourcedShape-source", "SourcedShape-confidence", "LabelledShape-english"}
    assert main(["validate", str(broken_file), "--format", "turtle"]) == 1
    graph = rdflib.Graph().parse(data=capsys.readouterr().out, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert (None, sh.conforms, rdflib.Literal(False)) in graph


def test_unparseable_file_exits_2_with_location(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix kg: <https://w3id.org/mmr-kg/def/> .\nkg:a kg:b .\n")
    assert main(["validate", str(bad)]) == 2
    assert f"{bad}:2:" in capsys.readouterr().err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.ttl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_summary_counts_classes_and_gives_the_verdict(built_files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--graph", str(built_files / "graph.nq")]) == 0
    out = capsys.readouterr().out
    assert "kg:Touchpoint" in out and "kg:EnvironmentalQualityObjective" in out
    rows = {line.split("  ")[-1].strip(): line.split() for line in out.splitlines() if line.startswith("  ")}
    assert rows["kg:EnvironmentalQualityObjective"][:4] == ["16", "Environmental", "quality", "objective"]
    assert rows["kg:Citation"][1] == "Citation" and rows["dcterms:BibliographicResource"][1:3] == ["Bibliographic", "Resource"]
    assert "Validation: conforms (0 violations" in out


def test_summary_in_swedish_names_classes_and_counts_in_plural_words(
        built_files: Path, built: BuiltGraph, capsys: pytest.CaptureFixture[str]) -> None:
    graph_file = built_files / "graph.nq"
    assert main(["summary", "--graph", str(graph_file), "--lang", "sv", "--width", "60"]) == 0
    lines = capsys.readouterr().out.splitlines()
    graphs = len({quad.graph_name for quad in built.store})
    quads = f"{len(built.store):,}".replace(",", "\u00a0")
    assert lines[0].startswith(f"Graf: {graph_file}: {quads} påståenden (quads) i {graphs} namngivna grafer; ")
    assert all(len(line) <= 60 for line in lines[1:-1])
    objective = next(line.split() for line in lines if "Miljökvalitetsmål" in line)
    assert objective[0] == "16" and objective[2].startswith("kg:Environmental") and objective[2].endswith("…")
    assert lines[-1].startswith("Validering: uppfyller formerna (0 överträdelser, ")
    assert "varningar" in lines[-1] and "Warning" not in lines[-1]


def test_summary_without_a_built_graph_says_to_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--graph", str(tmp_path / "graph.nq")]) == 2
    assert "Run 'kg build' first" in capsys.readouterr().err


def _severities(text: str) -> set[str]:
    return {line.split()[0] for line in text.splitlines() if line.startswith("  ") and not line.lstrip().startswith("shape:")}


def test_severity_shows_that_severity_and_worse_and_keeps_counts_and_exit(
        broken_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(broken_file)]) == 1
    whole = capsys.readouterr().out
    assert {"VIOLATION", "WARNING"} <= _severities(whole)
    assert main(["validate", str(broken_file), "--severity", "violation"]) == 1
    violations = capsys.readouterr().out
    assert violations.splitlines()[0] == whole.splitlines()[0], "the summary counts the whole report"
    assert violations.splitlines()[1] == "Shown: violations."
    assert _severities(violations) == {"VIOLATION"}
    assert "kgsh:LabelledShape-english" in whole and "kgsh:LabelledShape-english" not in violations


def test_text_report_wraps_at_the_width_and_loses_no_word(broken_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(broken_file)]) == 1
    whole = capsys.readouterr().out
    assert max(len(line) for line in whole.splitlines()) > 60
    assert main(["validate", str(broken_file), "--width", "60"]) == 1
    wrapped = capsys.readouterr().out
    assert max(len(line) for line in wrapped.splitlines()) <= 60
    assert "".join(wrapped.split()) == "".join(whole.split())  # every word kept: messages say what to do


def test_severity_in_json_keeps_the_counts(broken_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(broken_file), "--format", "json"]) == 1
    whole = json.loads(capsys.readouterr().out)
    assert main(["validate", str(broken_file), "--format", "json", "--severity", "warning"]) == 1
    shown = json.loads(capsys.readouterr().out)
    assert shown["counts"] == whole["counts"] and shown["conforms"] is False
    assert shown["severity"] == "Warning" and "severity" not in whole
    assert shown["results"] == [r for r in whole["results"] if r["severity"] in {"Violation", "Warning"}]
    assert len(shown["results"]) == whole["counts"]["Violation"] + whole["counts"]["Warning"]


def test_severity_warning_on_the_shipped_graph_hides_infos_and_conforms(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--severity", "warning"]) == 0
    out = capsys.readouterr().out
    assert " 0 infos." not in out.splitlines()[0], "the shipped graph has infos to hide"
    assert _severities(out) == {"WARNING"}
