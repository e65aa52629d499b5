"""``kg ontology-docs`` (graph.ontology_docs, graph.ontology_pages): the pages in docs/ontology are current,
complete, deterministic and self-contained."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.cli import main
from graph.config import Settings
from graph.errors import BuildError
from graph.namespaces import KG, KGID, ONTOLOGY_BASE
from graph.ontology_docs import INDEX_PAGE, OntologyModule, read_modules, stale_pages
from graph.ontology_pages import module_page, write_ontology_docs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "ontology"
_LOADS = re.compile(r'<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)="([^"]+)"')


@pytest.fixture(scope="module")
def modules(settings: Settings) -> list[OntologyModule]:
    return read_modules(settings.ontology_dir)


def _ids(page: str) -> set[str]:
    return set(re.findall(r' id="([^"]+)"', page))


def test_committed_docs_are_current(modules: list[OntologyModule]) -> None:
    assert stale_pages(modules, DOCS) == [], "run 'make ontology-docs' and commit docs/ontology"


def test_a_changed_source_makes_its_page_stale(modules: list[OntologyModule], tmp_path: Path) -> None:
    copy = tmp_path / "ontology"
    shutil.copytree(ROOT / "ontology", copy)
    with (copy / "strategy.ttl").open("a", encoding="utf-8") as f:
        f.write("\n# an edit\n")
    problems = stale_pages(read_modules(copy), DOCS)
    assert len(problems) == 2  # the module's page and the index, which records every source
    assert any("strategy.html" in p and "ontology/strategy.ttl" in p for p in problems)


def test_modules_are_named_after_their_ontology_iris(modules: list[OntologyModule]) -> None:
    files = sorted((ROOT / "ontology").glob("*.ttl"))
    assert len(modules) == len(files)
    for module in modules:
        declared = {t.subject.value for t in ox.parse(path=module.path)
                    if t.object == ox.NamedNode("http://www.w3.org/2002/07/owl#Ontology")}
        assert declared == {ONTOLOGY_BASE + module.name}
        assert module.version and module.version_iri.endswith(f"/{module.version}/{module.name}")


def test_every_kg_subject_of_the_ontology_is_a_term_of_exactly_one_module(modules: list[OntologyModule]) -> None:
    subjects = {t.subject.value.removeprefix(KG) for path in (ROOT / "ontology").glob("*.ttl")
                for t in ox.parse(path=path) if t.subject.value.startswith(KG)}
    terms = [term for m in modules for term in m.terms]
    assert sorted(terms) == sorted(subjects)
    assert len(terms) == len(set(terms))


def test_two_files_declaring_one_module_are_refused(tmp_path: Path) -> None:
    for name in ("a.ttl", "b.ttl"):
        shutil.copy(ROOT / "ontology" / "strategy.ttl", tmp_path / name)
    with pytest.raises(BuildError, match=r"b\.ttl: declares module 'strategy', as a\.ttl does"):
        read_modules(tmp_path)


def test_a_file_without_an_ontology_header_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.ttl").write_text("<https://e/s> <https://e/p> 1 .\n", encoding="utf-8")
    with pytest.raises(BuildError, match=r"x\.ttl: declares 0 owl:Ontology \(none\)"):
        read_modules(tmp_path)


def test_each_term_has_its_anchor_on_its_modules_page(modules: list[OntologyModule]) -> None:
    for module in modules:
        page = (DOCS / f"{module.name}.html").read_text(encoding="utf-8")
        missing = [t for t in module.terms if f' id="{t}"' not in page]
        assert missing == [], module.name
        assert len(re.findall(r' id="([^"]+)"', page)) == len(_ids(page)), f"{module.name}: repeated ids"


def test_every_link_inside_the_docs_reaches_an_anchor_that_exists() -> None:
    pages = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.html")}
    broken = []
    for name, page in pages.items():
        for href in re.findall(r'href="([^"]+)"', page):
            if href.startswith(("http://", "https://", "data:")) or href == "pylode.css":
                continue
            target, _, anchor = href.partition("#")
            target = target or name
            if target not in pages or (anchor and anchor not in _ids(pages[target])):
                broken.append(f"{name}: {href}")
    assert broken == []


def test_pages_load_nothing_from_elsewhere_and_have_no_inline_style_or_script() -> None:
    for path in DOCS.glob("*.html"):
        page = path.read_text(encoding="utf-8")
        assert "<style" not in page and " style=" not in page, path.name
        assert re.findall(r"<script(?![^>]*application/ld\+json)", page) == [], path.name  # JSON-LD is data
        assert [u for u in _LOADS.findall(page) if not u.startswith(("data:", "pylode.css"))] == [], path.name


def test_labels_join_into_one_heading_and_concepts_are_listed(modules: list[OntologyModule]) -> None:
    page = (DOCS / "touchpoints.html").read_text(encoding="utf-8")
    assert "touchpoint (sv: beröringspunkt)" in page
    assert "beröringspunkttouchpoint" not in page  # pyLODE alone runs the labels together
    assert '<a href="core.html">Environmental procurement graph – core module' in page  # an import, by title
    assert all("ns1" not in p.read_text(encoding="utf-8") for p in DOCS.glob("*.html"))  # no made-up prefix
    concepts = {t.subject.value for t in ox.parse(path=ROOT / "ontology" / "touchpoints.ttl")
                if t.subject.value.startswith(KGID + "kind-") or t.subject.value.startswith(KGID + "lever-")}
    assert concepts and all(f'href="{c}"' in page for c in concepts)


def test_the_index_lists_each_module_with_title_version_and_description(modules: list[OntologyModule]) -> None:
    index = (DOCS / INDEX_PAGE).read_text(encoding="utf-8")
    for module in modules:
        assert f'href="{module.name}.html"' in index
        for text in (module.title("en"), module.version_iri, module.description):
            assert text.replace("'", "&#x27;") in index, (module.name, text)


def test_a_page_made_again_is_the_committed_page(modules: list[OntologyModule]) -> None:
    # One module through pyLODE (a few seconds): the same source gives the same bytes.
    strategy = next(m for m in modules if m.name == "strategy")
    assert module_page(strategy, modules) == (DOCS / "strategy.html").read_text(encoding="utf-8")


def test_writing_again_changes_nothing_and_drops_pages_of_gone_modules(tmp_path: Path) -> None:
    sources, out = tmp_path / "ontology", tmp_path / "docs"
    sources.mkdir()
    shutil.copy(ROOT / "ontology" / "strategy.ttl", sources / "strategy.ttl")
    out.mkdir()
    (out / "gone.html").write_text((DOCS / "core.html").read_text(encoding="utf-8"), encoding="utf-8")
    (out / "notes.html").write_text("<p>not ours</p>", encoding="utf-8")
    first = write_ontology_docs(sources, out)
    assert sorted(p.name for p in first) == ["index.html", "pylode.css", "strategy.html"]
    assert not (out / "gone.html").exists() and (out / "notes.html").exists()
    assert write_ontology_docs(sources, out) == []


def test_the_command_writes_the_shipped_ontology_where_it_is_told(settings: Settings, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[tuple[Path, Path]] = []

    def write(ontology_dir: Path, out_dir: Path) -> list[Path]:
        calls.append((ontology_dir, out_dir))
        return [out_dir / "core.html"]

    monkeypatch.setattr("graph.ontology_pages.write_ontology_docs", write)
    assert main(["ontology-docs", "--out", str(tmp_path)]) == 0
    assert calls == [(settings.ontology_dir, tmp_path)]
    assert f"wrote {tmp_path / 'core.html'}" in capsys.readouterr().out
