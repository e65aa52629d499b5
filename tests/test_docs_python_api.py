"""docs/python-api.md runs: its python blocks in order, each printing exactly the text block after it.

The README's short example runs too.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOC = ROOT / "docs" / "python-api.md"
_BLOCK_RE = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def blocks(text: str, name: str = DOC.name) -> list[tuple[str, str, str | None]]:
    """Return each python block with its first line number and the text block right after it, if any."""
    found = [(m[1], m[2], text.count("\n", 0, m.start()) + 2) for m in _BLOCK_RE.finditer(text)]
    pairs = []
    for i, (lang, body, line) in enumerate(found):
        if lang == "python":
            after = found[i + 1] if i + 1 < len(found) else None
            pairs.append((f"{name}:{line}", body, after[1] if after and after[0] == "text" else None))
    return pairs


def test_the_walkthrough_runs_and_prints_what_it_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no dist/ here: the shipped sources; files the page writes land here
    namespace: dict[str, object] = {"__name__": "__walkthrough__"}
    checked = 0
    for where, code, shown in blocks(DOC.read_text(encoding="utf-8")):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, where, "exec"), namespace)
        if shown is not None:
            assert out.getvalue() == shown, f"{where}: the block prints something else than the page shows"
            checked += 1
    assert checked >= 8
    assert (tmp_path / "agency-lever.gexf").stat().st_size > 0


def test_blocks_pair_code_with_the_output_shown_after_it() -> None:
    text = "```python\nprint(1)\n```\n\n```text\n1\n```\n```python\nx = 2\n```\n```sh\nls\n```\n"
    assert blocks(text) == [(f"{DOC.name}:2", "print(1)\n", "1\n"), (f"{DOC.name}:9", "x = 2\n", None)]


def test_the_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python API", 1)[1].split("\n## ", 1)[0]
    ((where, code, _),) = blocks(section, "README.md, Python API")
    namespace: dict[str, object] = {}
    exec(compile(code, where, "exec"), namespace)
    assert len(namespace["df"]) == len(namespace["rows"]) > 0  # type: ignore[arg-type]
    assert namespace["report"].conforms  # type: ignore[attr-defined]
