"""Building the graph: determinism, clear errors on bad input, nothing partial written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.build import BuiltGraph, build_graph, graph_name_for, parse_file, write_graph
from graph.cli import main
from graph.config import Settings, default_settings
from graph.derived import DERIVED_GRAPH
from graph.errors import BuildError
from graph.metadata import META_GRAPH
from graph.namespaces import DATASET_IRI, PREFIXES

VOID = PREFIXES["void"]


def copy_sources(settings: Settings, tmp_path: Path) -> Settings:
    """Copy the shipped ontology and data into tmp_path so a test may break them."""
    for name in ("ontology", "data"):
        shutil.copytree(getattr(settings, f"{name}_dir"), tmp_path / name)
    return default_settings(ontology_dir=tmp_path / "ontology", data_dir=tmp_path / "data")


def test_build_is_byte_identical_across_runs(built: BuiltGraph, settings: Settings, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    write_graph(built, first)
    write_graph(build_graph(settings), second)
    for name in ("graph.nq", "graph.trig"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_every_source_file_is_its_own_named_graph(built: BuiltGraph) -> None:
    graphs = {q.graph_name.value for q in built.store}
    for path in built.sources:
        assert graph_name_for(path).value in graphs, path
    assert META_GRAPH.value in graphs


def test_outputs_parse_back_to_the_same_quads(built: BuiltGraph, built_files: Path) -> None:
    expected = set(built.store)
    for name, fmt in (("graph.nq", ox.RdfFormat.N_QUADS), ("graph.trig", ox.RdfFormat.TRIG)):
        parsed = set(ox.parse((built_files / name).read_bytes(), format=fmt))
        assert parsed == expected, name


def test_void_counts_describe_the_data(built: BuiltGraph) -> None:
    store = built.store
    triples = int(next(iter(store.query(
        f"SELECT ?n WHERE {{ GRAPH <{META_GRAPH.value}> {{ <{DATASET_IRI}> <{VOID}triples> ?n }} }}")))["n"].value)
    assert triples == len(store) - sum(1 for q in store if q.graph_name == META_GRAPH)
    touchpoints = int(next(iter(store.query(f"""
        SELECT ?n WHERE {{ GRAPH <{META_GRAPH.value}> {{
            <{DATASET_IRI}> <{VOID}classPartition> ?p . ?p <{VOID}class> <{PREFIXES['kg']}Touchpoint> ;
            <{VOID}entities> ?n }} }}""")))["n"].value)
    actual = len(list(store.query(f"SELECT DISTINCT ?t WHERE {{ GRAPH ?g {{ ?t a <{PREFIXES['kg']}Touchpoint> }} }}")))
    assert touchpoints == actual > 0


def test_metadata_names_every_source_document_and_the_version(built: BuiltGraph, settings: Settings) -> None:
    sources = {r["s"].value for r in built.store.query(
        f"SELECT ?s WHERE {{ GRAPH <{META_GRAPH.value}> {{ <{DATASET_IRI}> <{PREFIXES['prov']}wasDerivedFrom> ?s }} }}")}
    documents = {r["d"].value for r in built.store.query(
        f"SELECT ?d WHERE {{ GRAPH ?g {{ ?d a <{PREFIXES['dcterms']}BibliographicResource> }} }}")}
    assert sources == documents and len(documents) > 40
    assert built.store.query(
        f'ASK {{ GRAPH <{META_GRAPH.value}> {{ <{DATASET_IRI}> <{PREFIXES["owl"]}versionInfo> "{settings.version}" }} }}')


def test_blank_nodes_become_stable_iris(tmp_path: Path) -> None:
    source = tmp_path / "extra.ttl"
    source.write_text("@prefix ex: <https://example.org/> .\nex:a ex:p [ ex:q 1 ] , [ ex:q 2 ] .\n")
    first, second = parse_file(source), parse_file(source)
    assert first == second
    assert all(isinstance(q.object, (ox.NamedNode, ox.Literal)) for q in first)
    skolems = sorted({q.object.value for q in first if isinstance(q.object, ox.NamedNode)})
    assert skolems == [f"https://w3id.org/mmr-kg/.well-known/genid/{tmp_path.name}-extra-{n}" for n in (1, 2)]


@pytest.mark.parametrize(("content", "line", "column", "hint"), [
    ("@prefix kg: <https://w3id.org/mmr-kg/def/> .\nkgx:a kg:b kg:c .\n", 2, 1, "Declare it with @prefix"),
    ("@prefix kg: <https://w3id.org/mmr-kg/def/> .\nkg:a kg:b \"unclosed .\n", 2, None, ""),
    ("@prefix kg: <https://w3id.org/mmr-kg/def/> .\n\nkg:a kg:b kg:c ;\n    kg:d .\n", 4, None, ""),
], ids=["unknown-prefix", "unclosed-string", "missing-object"])
def test_bad_turtle_names_file_line_and_column(tmp_path: Path, content: str, line: int,
                                               column: int | None, hint: str) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(content)
    with pytest.raises(BuildError) as caught:
        parse_file(bad)
    error = caught.value
    assert error.path == bad and error.line == line
    if column is not None:
        assert error.column == column
    assert str(error).startswith(f"{bad}:{line}:")
    assert hint in str(error)


def test_cli_build_exits_2_and_writes_nothing_on_bad_input(settings: Settings, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    broken = copy_sources(settings, tmp_path)
    (broken.data_dir / "touchpoints.ttl").write_text(
        (broken.data_dir / "touchpoints.ttl").read_text().replace("kg:agency kgid:", "kg:agency kgidd:", 1))
    monkeypatch.setattr("graph.cli.default_settings", lambda **kw: default_settings(
        ontology_dir=broken.ontology_dir, data_dir=broken.data_dir, **kw))
    out = tmp_path / "dist"
    assert main(["build", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "touchpoints.ttl:" in err and "kgidd" in err and "Declare it with @prefix" in err
    assert not out.exists() or not any(out.iterdir())


def test_cli_build_writes_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir() if not p.name.startswith(".")} == {"graph.nq", "graph.trig"}
    assert all((tmp_path / name).is_file() for name in ("graph.nq", "graph.trig"))
    assert "graph.nq" in capsys.readouterr().out


def test_missing_source_file_is_a_build_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="cannot read the file"):
        parse_file(tmp_path / "absent.ttl")


def test_a_triple_two_files_state_is_a_build_error_naming_both(settings: Settings, tmp_path: Path) -> None:
    # Oxigraph's union of the named graphs keeps one copy per graph: the triple would count twice.
    copied = copy_sources(settings, tmp_path)
    agencies = (copied.data_dir / "agencies.ttl").read_text().splitlines()
    line = agencies.index(next(row for row in agencies if row.startswith("kgid:agency-boverket "))) + 1
    (copied.data_dir / "zz-restated.ttl").write_text(
        "@prefix kg: <https://w3id.org/mmr-kg/def/> .\n@prefix kgid: <https://w3id.org/mmr-kg/id/> .\n\n"
        "kgid:agency-boverket a kg:Agency .\n")
    with pytest.raises(BuildError) as caught:
        build_graph(copied)
    message = str(caught.value)
    assert message.startswith("1 triple(s) stated more than once")
    assert f"agencies.ttl:{line} and {copied.data_dir / 'zz-restated.ttl'}:4: kgid:agency-boverket rdf:type kg:Agency" \
        in message


def test_a_derived_term_written_in_the_data_is_a_build_error_naming_the_derived_graph(
        built: BuiltGraph, settings: Settings, tmp_path: Path) -> None:
    derived = next(q for q in built.store.quads_for_pattern(None, ox.NamedNode(PREFIXES["kg"] + "periodStart"), None,
                                                           DERIVED_GRAPH))
    copied = copy_sources(settings, tmp_path)
    (copied.data_dir / "zz-derived-by-hand.ttl").write_text(f"{derived.subject} {derived.predicate} {derived.object} .\n")
    with pytest.raises(BuildError) as caught:
        build_graph(copied)
    message = str(caught.value)
    assert message.startswith("1 triple(s) stated more than once")
    assert f"{copied.data_dir / 'zz-derived-by-hand.ttl'}:1 and the graph {DERIVED_GRAPH}: " in message
    assert "kg:periodStart" in message
