"""The README documents what the tool offers: a new query or command must be described there."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.cli import make_parser
from graph.network import list_projections
from graph.queries import QuerySpec

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_two_commands_a_newcomer_runs() -> None:
    assert "make run" in README and "make test" in README


def test_every_catalogued_query_is_listed(catalogue: dict[str, QuerySpec]) -> None:
    missing = [name for name in catalogue if f"`{name}`" not in README]
    assert missing == []


def test_every_command_is_documented() -> None:
    subparsers = next(a for a in make_parser()._actions if a.dest == "command")
    missing = [name for name in subparsers.choices if f"kg {name}" not in README]  # type: ignore[union-attr]
    assert missing == []


@pytest.mark.parametrize("projection", sorted(list_projections()))
def test_every_network_projection_is_documented(projection: str) -> None:
    assert f"`{projection}`" in README
