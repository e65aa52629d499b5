"""Text tables for the terminal: aligned columns that fit the terminal's width.

Every table the ``kg`` commands print goes through :func:`render_table`. On a terminal the table
fits its width (``COLUMNS`` or the terminal's size); the widest columns are shortened first, with
"…", never below :data:`MIN_COLUMN` characters. Piped output keeps full values unless a width is
asked for (``--width N``).
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence
from typing import TextIO

ELLIPSIS = "…"
MIN_COLUMN = 8
GAP = "  "


def terminal_width(stream: TextIO, given: int | None = None) -> int | None:
    """Return the width a table printed to ``stream`` must fit: ``given`` if set, else the terminal's
    width (``COLUMNS`` first) when ``stream`` is a terminal, else ``None`` (no limit: piped output)."""
    if given is not None:
        return given
    if _is_terminal(stream):
        return shutil.get_terminal_size().columns
    return None


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def fit_widths(natural: Sequence[int], width: int | None, *, minimum: int = MIN_COLUMN) -> list[int]:
    """Return column widths that fit ``width`` characters (gaps included), taking one character
    at a time from the widest column; no column goes below ``minimum`` (or its natural width).

    Example:
        >>> fit_widths([30, 10, 4], 40)
        [22, 10, 4]
        >>> fit_widths([30, 30], 40)
        [19, 19]
        >>> fit_widths([30, 10], None)
        [30, 10]
    """
    widths = list(natural)
    if width is None:
        return widths
    floor = [min(w, minimum) for w in widths]
    excess = sum(widths) + len(GAP) * max(len(widths) - 1, 0) - width
    while excess > 0:
        shrinkable = [i for i, w in enumerate(widths) if w > floor[i]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: (widths[i], -i))
        widths[widest] -= 1
        excess -= 1
    return widths


def shorten(text: str, width: int) -> str:
    """Return ``text`` cut to ``width`` characters, ending in "…" when cut.

    Example:
        >>> shorten("Naturvårdsverket", 8)
        'Naturvå…'
    """
    return text if len(text) <= width else text[:max(width - 1, 0)] + ELLIPSIS


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int | None = None, *,
                 rule: bool = True, right: Sequence[int] = ()) -> list[str]:
    """Return the lines of an aligned table of ``headers`` and ``rows`` that fits ``width``
    (``None``: full values); white space inside a value is collapsed to single spaces.

    ``rule`` adds a line of dashes under the headers; ``right`` lists columns aligned right (numbers).

    Example:
        >>> render_table(["name", "n"], [["Naturvårdsverket", "12"]], 12, right=[1])
        ['name       n', '--------  --', 'Naturvå…  12']
    """
    header = [" ".join(h.split()) for h in headers]
    cells = [[" ".join(str(v).split()) for v in row] for row in rows]
    natural = [max([len(header[i])] + [len(row[i]) for row in cells]) for i in range(len(header))]
    widths = fit_widths(natural, width)

    def line(values: Sequence[str]) -> str:
        parts = [shorten(v, w).rjust(w) if i in right else shorten(v, w).ljust(w)
                 for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return GAP.join(parts).rstrip()

    lines = [line(header)]
    if rule:
        lines.append(GAP.join("-" * w for w in widths))
    lines += [line(row) for row in cells]
    return lines


def wrap_lines(lines: Sequence[str], width: int | None) -> list[str]:
    """Return ``lines`` wrapped at ``width`` (``None``: as they are), each continuation indented
    four more than its line, for reports whose every word counts (``kg validate``'s messages).

    Example:
        >>> wrap_lines(["  WARNING add an English name", "ok"], 20)
        ['  WARNING add an', '      English name', 'ok']
    """
    if width is None:
        return list(lines)
    wrapped: list[str] = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip()))
        wrapped += textwrap.wrap(line, width, initial_indent="", subsequent_indent=indent + "    ",
                                 break_on_hyphens=False) or [line]
    return wrapped
