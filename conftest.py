"""Doctests run in an empty folder, as the walkthrough test does: ``graph.open()`` then builds the
shipped sources, never a ``dist/graph.nq`` an earlier ``make run`` left in the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def doctests_in_an_empty_folder(request: pytest.FixtureRequest, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Change into a fresh folder for every doctest (other tests are left where they run)."""
    if isinstance(request.node, pytest.DoctestItem):
        monkeypatch.chdir(tmp_path)
