"""``make run`` installs what running needs, and ``make test`` the test extra too (dry runs, in a copy)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def dry_run(target: str, folder: Path) -> list[str]:
    """Return the commands ``make -n target`` would run on a fresh copy of the Makefile (no venv yet)."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, folder / name)
    done = subprocess.run(["make", "-n", target, f"PYTHON={sys.executable}"], cwd=folder,
                          capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_run_installs_the_package_without_the_test_extra(tmp_path: Path) -> None:
    installs = [line for line in dry_run("run", tmp_path) if "pip install" in line and "--upgrade pip" not in line]
    assert installs == [".venv/bin/python -m pip install --quiet -e ."]


def test_test_installs_the_test_extra(tmp_path: Path) -> None:
    installs = [line for line in dry_run("test", tmp_path) if "pip install" in line and "--upgrade pip" not in line]
    assert installs == [".venv/bin/python -m pip install --quiet -e '.[test]'"]
