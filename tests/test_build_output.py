"""Build output as one unit: graph.nq and graph.trig are replaced together, or not at all.

A kill -9 can land between any two file-system steps of writing; the test stops the writer
at every one of them in turn (deterministically, not by racing a real kill) and checks what a
reader would see: the old pair, the new pair, or nothing yet, never one file of each. The steps do
not depend on what the graph holds, so a graph of a few quads stands for the shipped one (which
was serialised twice per step, ~8 s of the suite).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from graph import build
from graph.build import BuiltGraph, write_graph
from graph.formats import DATASET_FILES


class Stop(BaseException):
    """Stands for the process being killed at one step of writing."""


def pair(out: Path) -> tuple[bytes, bytes] | None:
    """The two files as a reader sees them, or None before the first build."""
    if not all((out / name).exists() for name in DATASET_FILES):
        assert not any((out / name).exists() for name in DATASET_FILES), "one file without the other"
        return None
    return tuple((out / name).read_bytes() for name in DATASET_FILES)  # type: ignore[return-value]


def small_graph() -> BuiltGraph:
    """A built graph of a few quads in two named graphs, one literal in Swedish."""
    store = ox.Store()
    for graph in ("data/agencies", "ontology/core"):
        store.add(ox.Quad(ox.NamedNode(f"https://example.org/{graph}#s"), ox.NamedNode("https://example.org/p"),
                          ox.Literal("Naturvårdsverket", language="sv"), ox.NamedNode(f"https://example.org/{graph}")))
    return BuiltGraph(store, ())


def other_graph(built: BuiltGraph) -> BuiltGraph:
    store = ox.Store()
    store.extend(built.store)
    store.add(ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"),
                      ox.Literal("changed"), ox.NamedNode("https://example.org/g")))
    return BuiltGraph(store, built.sources)


def stop_after(steps: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the ``steps``-th file-system step of writing (and every later one) raise :class:`Stop`."""
    counter = {"n": 0}

    def counted(real: Callable[..., Any]) -> Callable[..., Any]:
        def step(*args: Any, **kwargs: Any) -> Any:
            counter["n"] += 1
            if counter["n"] >= steps:
                raise Stop
            return real(*args, **kwargs)
        return step

    monkeypatch.setattr(build.os, "replace", counted(os.replace))
    monkeypatch.setattr(build.os, "link", counted(os.link))
    monkeypatch.setattr(Path, "symlink_to", counted(Path.symlink_to))
    monkeypatch.setattr(Path, "write_bytes", counted(Path.write_bytes))


@pytest.mark.parametrize("start", ["empty", "links", "plain files"])
def test_a_build_stopped_at_any_step_leaves_one_whole_pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           start: str) -> None:
    built = small_graph()
    new = other_graph(built)
    expected_new: tuple[bytes, bytes] | None = None
    steps = 1
    while True:
        out = tmp_path / f"out-{steps}"
        if start != "empty":
            write_graph(built, out)
        if start == "plain files":
            for name in DATASET_FILES:  # what builds before the linked layout left
                content = (out / name).read_bytes()
                (out / name).unlink()
                (out / name).write_bytes(content)
        before = pair(out) if out.exists() else None
        with monkeypatch.context() as patch:
            stop_after(steps, patch)
            try:
                write_graph(new, out)
                finished = True
            except Stop:
                finished = False
        after = pair(out)
        if finished:
            expected_new = after
            break
        assert after in (before, None) or after == pair(_reference(new, tmp_path)), f"mixed pair after step {steps}"
        steps += 1
    assert expected_new == pair(_reference(new, tmp_path)) and steps > 4


def _reference(built: BuiltGraph, tmp_path: Path) -> Path:
    out = tmp_path / "reference"
    if not out.exists():
        write_graph(built, out)
    return out


def test_outputs_are_readable_by_everyone(built_files: Path) -> None:
    for name in DATASET_FILES:
        mode = (built_files / name).stat().st_mode
        assert mode & stat.S_IROTH and mode & stat.S_IRGRP, oct(mode)
