"""Text tables fit the terminal: the widest columns give way first, with "…", never below a
minimum; piped output keeps full values unless --width is given."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import graph.textable
from graph.cli import main
from graph.textable import MIN_COLUMN, fit_widths, render_table, terminal_width

LONG = "Myndigheten för samhällsskydd och beredskap, with a name much longer than any terminal line"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_widest_column_gives_way_first_and_never_below_the_minimum() -> None:
    assert fit_widths([40, 20, 5], 60) == [31, 20, 5]  # 40 + 20 + 5 + 2 gaps of 2 = 69: 9 from the widest
    assert fit_widths([40, 30, 5], 60) == [25, 26, 5]  # both wide ones shrink, in turns, to the same size
    assert fit_widths([40, 30, 5], 10) == [MIN_COLUMN, MIN_COLUMN, 5]  # cannot fit: stops at the minimum
    assert fit_widths([40, 30], None) == [40, 30]


def test_columns_60_and_a_long_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    width = terminal_width(_Terminal())
    assert width == 60
    lines = render_table(["agency", "touchpoints", "note"], [["kgid:agency-msb", "12", LONG]], width)
    assert all(len(line) <= 60 for line in lines)
    assert lines[2].startswith("kgid:agency-msb  12           Myndigheten för")
    assert lines[2].endswith("…") and lines[0].split() == ["agency", "touchpoints", "note"]


def test_piped_output_keeps_full_values_unless_a_width_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    assert terminal_width(io.StringIO()) is None
    assert terminal_width(io.StringIO(), 40) == 40
    assert terminal_width(_Terminal(), 100) == 100
    assert LONG in render_table(["note"], [[LONG]], None)[2]


def _long_query(tmp_path: Path) -> Path:
    query = tmp_path / "long.rq"
    query.write_text(f'SELECT ?short ?long WHERE {{ VALUES (?short ?long) {{ ("a" "{LONG}") }} }}', encoding="utf-8")
    return query


def test_kg_query_table_fits_a_terminal_of_60(tmp_path: Path, built_files: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    query = _long_query(tmp_path)
    args = ["query", "--file", str(query), "--graph", str(built_files / "graph.nq")]
    monkeypatch.setenv("COLUMNS", "60")
    assert main(args) == 0
    assert LONG in capsys.readouterr().out  # piped: the whole value
    monkeypatch.setattr(graph.textable, "_is_terminal", lambda stream: True)
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) == 60
    assert lines[2].startswith("a      Myndigheten för samhällsskydd") and lines[2].endswith("…")
    assert main([*args, "--width", "30"]) == 0  # --width wins over the terminal's
    assert max(len(line) for line in capsys.readouterr().out.splitlines()) == 30


def test_kg_queries_fits_the_width(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["queries", "--width", "70"]) == 0
    table = capsys.readouterr().out.split("\n\n")[0].splitlines()
    assert table[0].split() == ["NAME", "SUMMARY", "PARAMETERS"]
    assert all(len(line) <= 70 for line in table) and any(line.rstrip().endswith("…") for line in table)
    assert any(line.startswith("agency-touchpoints ") for line in table)
