"""Parse the ontology and data sources into one dataset, and write it out.

Each source file becomes one named graph (``<base>graph/<folder>/<stem>``); a derived
graph holds what queries would otherwise recompute (:mod:`graph.derived`), and a
metadata graph describes the whole as a DCAT dataset with VoID counts. Output is
deterministic: the same sources give byte-identical ``graph.nq`` and ``graph.trig``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from graph.config import Settings
from graph.derived import derive
from graph.errors import BuildError
from graph.evidence import check_quotes, load_evidence, locate_subject, raise_for_problems
from graph.formats import DATASET_FILES, SOURCE_FORMATS
from graph.metadata import describe_dataset
from graph.namespaces import BASE, GRAPH_BASE, PREFIXES, compact

log = logging.getLogger(__name__)

SKOLEM_BASE = BASE + ".well-known/genid/"
_Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
_Graph = ox.NamedNode | ox.BlankNode | ox.DefaultGraph


@dataclass(frozen=True)
class BuiltGraph:
    """The built dataset and the files it came from."""

    store: ox.Store
    sources: tuple[Path, ...]

    def __len__(self) -> int:
        return len(self.store)


def source_files(settings: Settings) -> list[Path]:
    """Return the ontology and data files of ``settings``, ontology first, each folder sorted."""
    files: list[Path] = []
    for folder in (settings.ontology_dir, settings.data_dir):
        files.extend(sorted(p for p in folder.iterdir() if p.suffix in SOURCE_FORMATS))
    return files


def graph_name_for(path: Path) -> ox.NamedNode:
    """Return the named graph a source file is loaded into.

    >>> graph_name_for(Path("data/agencies.ttl")).value
    'https://w3id.org/mmr-kg/graph/data/agencies'
    """
    return ox.NamedNode(f"{GRAPH_BASE}{path.parent.name}/{path.stem}")


def parse_file(path: Path) -> list[ox.Quad]:
    """Parse one source file into quads in its own named graph.

    Blank nodes are replaced by IRIs numbered in order of appearance, so that output
    stays deterministic.

    Raises:
        BuildError: the file is missing, of an unknown kind, or not valid RDF
            (the message names file, line and column).
    """
    fmt = SOURCE_FORMATS.get(path.suffix)
    if fmt is None:
        known = ", ".join(sorted(SOURCE_FORMATS))
        raise BuildError(f"unknown file kind '{path.suffix}'. Use one of {known}.", path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise BuildError(f"cannot read the file: {exc.strerror}.", path) from exc
    graph = graph_name_for(path)
    try:
        parsed = list(ox.parse(content, format=fmt, base_iri=BASE))
    except SyntaxError as exc:
        raise BuildError(_parser_message(exc), path, exc.lineno, exc.offset) from exc
    skolem: dict[str, ox.NamedNode] = {}

    def fix(term: ox.NamedNode | ox.BlankNode | ox.Triple) -> ox.NamedNode | ox.Triple:
        if isinstance(term, ox.BlankNode):
            if term.value not in skolem:
                skolem[term.value] = ox.NamedNode(
                    f"{SKOLEM_BASE}{path.parent.name}-{path.stem}-{len(skolem) + 1}")
            return skolem[term.value]
        return term

    quads = []
    for item in parsed:
        target = item.graph_name if isinstance(item, ox.Quad) and not isinstance(
            item.graph_name, ox.DefaultGraph) else graph
        obj = item.object if isinstance(item.object, ox.Literal) else fix(item.object)
        quads.append(ox.Quad(fix(item.subject), item.predicate, obj, target))
    return quads


def _parser_message(exc: SyntaxError) -> str:
    text = exc.msg or str(exc)
    # pyoxigraph prefixes its own location; ours comes first, so drop the repeat.
    if text.startswith("Parser error at line"):
        text = text.split(": ", 1)[-1]
    if "prefix" in text and "not been declared" in text:
        text += ". Declare it with @prefix, or use one of: " + ", ".join(sorted(PREFIXES)) + "."
    return text


def build_graph(settings: Settings, *, check_sources: bool = True) -> BuiltGraph:
    """Load every ontology and data file and add the derived and metadata graphs.

    Example:
        >>> from graph.config import default_settings
        >>> built = build_graph(default_settings())
        >>> len(built) > 1000
        True

    Every quote is checked against the evidence files in ``data/evidence/``
    (see :mod:`graph.evidence`), and every triple must be stated once
    (:func:`raise_for_restatements`), unless ``check_sources`` is false: only for rebuilding a
    past revision as it was, from before these checks existed.

    Raises:
        BuildError: a file cannot be parsed, a quote is not backed by its evidence file, or
            a triple is stated twice; nothing is returned.
    """
    files = source_files(settings)
    built = build_from_files(files, settings.version, settings.queries_dir)
    if check_sources:
        raise_for_restatements(built.store, files)
        raise_for_problems(check_quotes(built.store, load_evidence(evidence_dir(settings))), files)
    return built


def raise_for_restatements(store: ox.Store, files: Sequence[Path]) -> None:
    """Refuse a triple that more than one graph of the build states: two source files, or a
    source file and the graph the build derives (:mod:`graph.derived`) or describes the data in.

    Queries read the union of the graphs, and Oxigraph's union keeps one copy of a triple per
    graph: a triple stated twice would be counted twice, and doubles rows.

    Raises:
        BuildError: one row per such triple, with ``file:line`` of its subject in each file (or
            the graph, for a graph the build writes).
    """
    file_of: dict[_Graph, Path] = {graph_name_for(path): path for path in files}
    order = {graph: index for index, graph in enumerate(file_of)}
    stating: dict[tuple[_Term, ...], list[_Graph]] = {}
    for quad in store:
        stating.setdefault((quad.subject, quad.predicate, quad.object), []).append(quad.graph_name)
    rows = []
    texts: dict[Path, list[str]] = {}  # each file read once, and only when it restates something
    for triple, graphs in stating.items():
        if len(graphs) > 1:
            places = sorted(graphs, key=lambda graph: (order.get(graph, len(order)), str(graph)))
            where = " and ".join(_where(file_of[graph], triple[0], texts) if graph in file_of else f"the graph {graph}"
                                 for graph in places)
            rows.append(f"{where}: {' '.join(_shown(term) for term in triple)}")
    if rows:
        listed = "".join(f"\n  {row}" for row in sorted(rows))
        raise BuildError(f"{len(rows)} triple(s) stated more than once: state each in one file only, and never "
                         f"a term the build derives (queries/derived/); queries read the union of the graphs, "
                         f"where a triple stated twice counts twice:{listed}")


def _where(path: Path, subject: _Term, texts: dict[Path, list[str]]) -> str:
    """``path:line`` of the statement about ``subject`` in ``path``, or the path alone; ``texts``
    keeps each file's lines once read."""
    if not isinstance(subject, ox.NamedNode):
        return str(path)
    if path not in texts:
        texts[path] = path.read_text(encoding="utf-8").splitlines()
    return locate_subject(subject.value, {path: texts[path]}) or str(path)


def _shown(term: _Term) -> str:
    return compact(term.value, brackets=True) if isinstance(term, ox.NamedNode) else str(term)


def evidence_dir(settings: Settings) -> Path:
    """Return the folder of evidence files: ``evidence/`` inside the data folder."""
    return settings.data_dir / "evidence"


def build_from_files(files: Iterable[Path], version: str, queries_dir: Path | None = None) -> BuiltGraph:
    """Load exactly ``files`` into a new in-memory store, add what is derived from them
    (:mod:`graph.derived`, with the derivation queries of ``queries_dir``) and describe it."""
    store = ox.Store()
    paths = tuple(files)
    for path in paths:
        quads = parse_file(path)
        store.extend(quads)
        log.info("loaded %s (%d triples)", path, len(quads))
    store.extend(derive(store, queries_dir))
    store.extend(describe_dataset(store, paths, version))
    return BuiltGraph(store, paths)


def sorted_quads(store: ox.Store) -> list[ox.Quad]:
    """Return the store's quads in a stable order (graph, subject, predicate, object)."""
    return sorted(store, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


def serialize_dataset(quads: list[ox.Quad], name: str) -> bytes:
    """Serialize already sorted quads as ``graph.nq`` (N-Quads) or ``graph.trig`` (TriG with the project prefixes)."""
    body = ox.serialize(quads, format=DATASET_FILES[name], prefixes=PREFIXES)  # N-Quads ignores prefixes
    assert body is not None, "serialize returns the bytes when given no output"
    return body


def write_graph(built: BuiltGraph, out_dir: Path) -> list[Path]:
    """Write ``graph.nq`` and ``graph.trig`` into ``out_dir``, both replaced together or neither.

    The two files are written into a new folder ``out_dir/.graph-<hash>/`` (readable by all,
    like any build output); ``out_dir/.current`` is then switched to it in one atomic rename,
    and ``out_dir/graph.nq`` and ``graph.trig`` are links through ``.current``. A build that
    stops at any point leaves the previous pair, or the new pair, never one of each.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    quads = sorted_quads(built.store)
    outputs = {name: serialize_dataset(quads, name) for name in DATASET_FILES}
    digest = hashlib.sha256(b"".join(outputs[name] for name in DATASET_FILES)).hexdigest()[:16]
    _adopt_plain_files(out_dir)
    folder = out_dir / f".graph-{digest}"
    if not folder.is_dir():
        staging = Path(tempfile.mkdtemp(dir=out_dir, prefix=".staging-"))
        for name in DATASET_FILES:
            (staging / name).write_bytes(outputs[name])
            (staging / name).chmod(0o644)
        staging.chmod(0o755)
        os.replace(staging, folder)
    for name in DATASET_FILES:  # dangling until the first .current exists: neither file is there yet
        _link_through_current(out_dir, name)
    _switch(out_dir / CURRENT, folder.name)
    for stale in out_dir.glob(".graph-*"):
        if stale != folder:
            shutil.rmtree(stale, ignore_errors=True)
    for leftover in out_dir.glob(".staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    return [out_dir / name for name in DATASET_FILES]


CURRENT = ".current"


def _switch(link: Path, target: str) -> None:
    """Point the symbolic link ``link`` at ``target`` in one atomic rename."""
    if link.is_symlink() and os.readlink(link) == target:
        return
    temporary = link.with_name(f"{link.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target)
    os.replace(temporary, link)


def _link_through_current(out_dir: Path, name: str) -> None:
    _switch(out_dir / name, f"{CURRENT}/{name}")


def _adopt_plain_files(out_dir: Path) -> None:
    """Turn outputs of older builds (plain files) into the linked layout, keeping them as they are.

    Their pair is hard-linked into a folder that ``.current`` points at before either plain
    file is replaced by a link, so this step too never mixes two builds.
    """
    plain = [out_dir / name for name in DATASET_FILES if (out_dir / name).is_file()
             and not (out_dir / name).is_symlink()]
    if not plain:
        return
    if (out_dir / CURRENT).is_symlink():
        # A build stopped during an earlier adoption: .current already holds the right pair.
        for name in DATASET_FILES:
            _link_through_current(out_dir, name)
        return
    old = Path(tempfile.mkdtemp(dir=out_dir, prefix=".staging-"))
    for path in plain:
        os.link(path, old / path.name)
    old.chmod(0o755)
    adopted = out_dir / ".graph-previous"
    shutil.rmtree(adopted, ignore_errors=True)
    os.replace(old, adopted)
    _switch(out_dir / CURRENT, adopted.name)
    for name in DATASET_FILES:
        _link_through_current(out_dir, name)


def load_built_graph(path: Path) -> ox.Store:
    """Load a previously written ``graph.nq`` (or ``.trig``) into a new store.

    Raises:
        BuildError: the file is missing or unreadable; the message says to run ``kg build``.
    """
    if not path.exists():
        raise BuildError(f"no built graph at {path}. Run 'kg build' first, or pass --graph FILE.")
    fmt = SOURCE_FORMATS.get(path.suffix, ox.RdfFormat.N_QUADS)
    store = ox.Store()
    try:
        store.load(path=str(path), format=fmt)
    except SyntaxError as exc:
        raise BuildError(_parser_message(exc), path, exc.lineno, exc.offset) from exc
    return store
