"""``make bench``: run the benchmarks in this folder.

``queries.py`` (named queries, embedded Oxigraph vs rdflib) and ``cli.py`` (command-line start-up)
write docs/benchmarks.md;
``api.py`` (the HTTP API vs the Oxigraph server), when present, writes
docs/benchmarks-api.md through its own ``main``. Pass ``--quick`` to skip the 1M-triple graph,
``--only queries`` or ``--only api`` to write one of the two documents (each compares its engines
within its own run).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent / "docs"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; return the first non-zero exit code, else 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1M-triple graph")
    parser.add_argument("--only", choices=("queries", "api"), help="write only this document (default: both)")
    parser.add_argument("--out", type=Path, default=DOCS / "benchmarks.md",
                        help="where the query benchmark goes (default: docs/benchmarks.md)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    if args.only != "api":
        queries = importlib.import_module("queries")
        text = "# Benchmarks\n\nWritten by `make bench` (benchmarks/run.py); do not edit by hand.\n\n"
        text += queries.run(quick=args.quick)
        text += "\n" + importlib.import_module("cli").run()
        if (HERE / "api.py").exists():
            text += "\nThe HTTP API benchmark is in [benchmarks-api.md](benchmarks-api.md).\n"
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    if args.only != "queries" and (HERE / "api.py").exists():
        return int(importlib.import_module("api").main([]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
