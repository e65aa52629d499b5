"""Whole-process time of two everyday commands, against the same commands with the libraries the
CLI used to import up front imported first.

Issue 12 asked for ``kg --help`` and ``kg query council-members`` in under half their whole-process
time of the day it was filed, when ``kg`` imported rdflib, networkx and httpx before parsing its
arguments. That code is gone, so the baseline is rebuilt in the same run: the same command in a
fresh interpreter that imports those three libraries first. Each round runs both, one after the
other, so a spell of load on the shared machine weighs on both alike.

Usage: ``python benchmarks/cli.py``; ``benchmarks/run.py`` adds the section to docs/benchmarks.md.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

#: The commands the issue names, as ``kg`` arguments.
COMMANDS: tuple[tuple[str, ...], ...] = (("--help",), ("query", "council-members"))
#: What ``kg`` imported before parsing its arguments when issue 12 was filed.
EAGER_IMPORTS = ("rdflib", "networkx", "httpx")
#: Each command must take under this share of the baseline's time.
TARGET_RATIO = 0.5
ROUNDS = 9


def whole_process_s(args: tuple[str, ...], eager: bool) -> float:
    """Seconds for a fresh interpreter to run ``kg ARGS`` to its exit (``eager``: import
    :data:`EAGER_IMPORTS` first)."""
    first = f"import {', '.join(EAGER_IMPORTS)}; " if eager else ""
    code = f"{first}import runpy, sys; sys.argv = ['kg', *{list(args)!r}]; runpy.run_module('graph', run_name='__main__')"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    return time.perf_counter() - start


def run(rounds: int = ROUNDS) -> str:
    """Time every command ``rounds`` times each way, interleaved; return the markdown section."""
    lines = ["## Command-line start-up", "",
             f"Whole-process time of each command in a fresh interpreter, median of {rounds} rounds; each round "
             f"also runs the command with {', '.join(EAGER_IMPORTS)} imported first, which is what `kg` did before "
             "parsing its arguments when issue 12 was filed (benchmarks/cli.py). The ratio is measured in this run; "
             f"the target is under {TARGET_RATIO:g}.", "",
             "| command | kg (s) | with the old up-front imports (s) | ratio | target |", "|---|---|---|---|---|"]
    for args in COMMANDS:
        ours: list[float] = []
        eager: list[float] = []
        for _ in range(rounds):
            ours.append(whole_process_s(args, eager=False))
            eager.append(whole_process_s(args, eager=True))
        ratio = statistics.median(ours) / statistics.median(eager)
        verdict = "met" if ratio < TARGET_RATIO else "**not met**"
        lines.append(f"| `kg {' '.join(args)}` | {statistics.median(ours):.2f} | {statistics.median(eager):.2f} | "
                     f"{ratio:.2f} | < {TARGET_RATIO:g}: {verdict} |")
        print(f"cli {' '.join(args):<24} {statistics.median(ours):.3f} s vs {statistics.median(eager):.3f} s",
              file=sys.stderr)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
