"""``kg`` imports only what each command needs (issue 12): a fresh process per command, its modules listed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: The heavy libraries a command may import only when it uses them.
HEAVY = ("rdflib", "networkx", "httpx", "fastapi", "uvicorn", "matplotlib", "pyshacl", "SPARQLWrapper")
#: Runs ``python -m graph ARGS`` in this process, then writes which of HEAVY it imported to a file.
PROBE = """
import json, runpy, sys
out, args, heavy = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
sys.argv = ["kg", *args]
code = 0
try:
    runpy.run_module("graph", run_name="__main__")
except SystemExit as exc:
    code = exc.code or 0
with open(out, "w") as f:
    json.dump({"code": code, "imported": sorted(m for m in heavy if m in sys.modules)}, f)
"""


def imported_by(args: list[str], tmp_path: Path) -> tuple[int, list[str], str]:
    """Run ``kg ARGS`` in a new interpreter; return its exit code, the heavy modules it imported, its stdout."""
    out = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", PROBE, str(out), json.dumps(args), json.dumps(HEAVY)],
                          capture_output=True, text=True, timeout=120, check=True)
    found = json.loads(out.read_text())
    return found["code"], found["imported"], done.stdout


def test_help_imports_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    code, imported, stdout = imported_by(["--help"], tmp_path)
    assert code == 0 and "serve" in stdout
    assert imported == []


def test_a_catalogued_query_imports_none_of_the_heavy_libraries(tmp_path: Path, built_files: Path) -> None:
    code, imported, stdout = imported_by(["query", "council-members", "--param", "date=2019-06-01",
                                          "--graph", str(built_files / "graph.nq")], tmp_path)
    assert code == 0 and "Naturvårdsverket" in stdout
    assert imported == []


@pytest.mark.parametrize(("args", "needed"), [
    (["validate", "--help"], "rdflib"),
    (["export", "network", "--help"], "networkx"),
    (["push", "--help"], "httpx"),
])
def test_a_command_imports_what_it_needs_when_it_runs(tmp_path: Path, args: list[str], needed: str) -> None:
    code, imported, stdout = imported_by(args, tmp_path)
    assert code == 0 and "usage: kg" in stdout
    assert needed in imported
