"""Evidence files: how they are read, and how the build refuses a quote they do not hold."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graph.build import build_graph
from graph.config import Settings, default_settings
from graph.errors import BuildError
from graph.evidence import load_evidence, read_evidence

GOOD = """# A page

- document: https://w3id.org/mmr-kg/id/source-page
- address: https://example.org/page
- seen: stored copy, 2026

## Passages

> First passage,
> continued on a second line.

> Second passage.
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_passages_are_blockquotes_and_lines_of_one_quote_join(tmp_path: Path) -> None:
    evidence = read_evidence(write(tmp_path, "source-page.md", GOOD))
    assert evidence.document == "https://w3id.org/mmr-kg/id/source-page"
    assert evidence.address == "https://example.org/page"
    assert evidence.passages == ("First passage,\ncontinued on a second line.", "Second passage.")
    assert evidence.holds("passage, continued on")
    assert not evidence.holds("passage. Second")


@pytest.mark.parametrize(("text", "message", "line"), [
    (GOOD.replace("- seen: stored copy, 2026\n", ""), "no '- seen:' line", 1),
    (GOOD.replace("- document: https://w3id.org/mmr-kg/id/source-page\n", ""), "no '- document:' line", 1),
    (GOOD.split("## Passages")[0], "no passage", 6),
])
def test_a_malformed_file_is_refused_with_its_location(tmp_path: Path, text: str, message: str, line: int) -> None:
    with pytest.raises(BuildError) as error:
        read_evidence(write(tmp_path, "source-page.md", text))
    assert message in error.value.message
    assert error.value.path == tmp_path / "source-page.md" and error.value.line == line


def test_a_file_must_be_named_after_its_document(tmp_path: Path) -> None:
    write(tmp_path, "source-other.md", GOOD)
    with pytest.raises(BuildError, match="must be named source-page.md"):
        load_evidence(tmp_path)


@pytest.fixture()
def sources(settings: Settings, tmp_path: Path) -> Settings:
    for name in ("ontology", "data"):
        shutil.copytree(getattr(settings, f"{name}_dir"), tmp_path / name)
    return default_settings(ontology_dir=tmp_path / "ontology", data_dir=tmp_path / "data")


def test_the_build_names_the_citation_whose_quote_the_evidence_lacks(sources: Settings) -> None:
    evidence = sources.data_dir / "evidence" / "source-rus-om-miljomalsradet.md"
    evidence.write_text(evidence.read_text(encoding="utf-8").replace("till sju programområden", "till åtta"),
                        encoding="utf-8")
    with pytest.raises(BuildError) as error:
        build_graph(sources)
    citations = sources.data_dir / "citations.ttl"
    line = next(n for n, text in enumerate(citations.read_text(encoding="utf-8").splitlines(), start=1)
                if text.startswith("kgid:citation-") and "rus" in text and "program" in text)
    assert f"{citations}:{line}: quotes 'Perioden 2020-2022" in str(error.value)
    assert "source-rus-om-miljomalsradet.md" in str(error.value)


def test_the_build_asks_for_a_missing_evidence_file(sources: Settings) -> None:
    (sources.data_dir / "evidence" / "source-sgu-miljomalsradet.md").unlink()
    with pytest.raises(BuildError, match="Create data/evidence/source-sgu-miljomalsradet.md"):
        build_graph(sources)
