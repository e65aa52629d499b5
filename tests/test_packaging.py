"""A wheel install works without the checkout: sources ship inside the package."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built in-process through the PEP 517 hook ``pip wheel`` calls on the build backend
    (hatchling, in the test extra): the same files, without pip's isolated environment (~3 s)."""
    from hatchling.build import build_wheel

    out = tmp_path_factory.mktemp("wheel")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)  # the hook builds the project in the working directory
        return out / build_wheel(str(out))


def test_wheel_ships_every_source_folder(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("ontology", "shapes", "data", "queries"):
        shipped = {n for n in names if n.startswith(f"graph/resources/{folder}/")}
        expected = {f"graph/resources/{p.relative_to(ROOT).as_posix()}"
                    for p in (ROOT / folder).rglob("*") if p.is_file()}
        assert shipped == expected, folder
    assert "graph/py.typed" in names
    assert {"graph/resources/docs/ontology/index.html", "graph/resources/docs/ontology/pylode.css"} <= set(names)
    assert {"graph/api/static/docs.js", "graph/api/static/favicon.svg", "graph/api/templates/docs.html"} <= set(names)


def test_installed_wheel_builds_and_queries_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    # The wheel alone, from no index; no bytecode, which `make test` keeps elsewhere (PYTHONPYCACHEPREFIX).
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-compile",
                    "--target", str(target), str(wheel)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    work = tmp_path / "elsewhere"
    work.mkdir()
    build = subprocess.run([sys.executable, "-m", "graph", "build", "--out", "out"], cwd=work, env=env,
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    assert (work / "out" / "graph.nq").stat().st_size > 0
    query = subprocess.run([sys.executable, "-m", "graph", "query", "objective-coverage", "--graph",
                            "out/graph.nq", "--format", "csv", "--lang", "en"],
                           cwd=work, env=env, capture_output=True, text=True)
    assert query.returncode == 0, query.stderr
    assert "A Non-Toxic Environment" in query.stdout
    where = subprocess.run([sys.executable, "-c", "import graph.config as c; print(c.resource_root())"],
                           cwd=work, env=env, capture_output=True, text=True)
    assert where.stdout.strip() == str(target / "graph" / "resources")
