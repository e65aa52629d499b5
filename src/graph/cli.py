"""The ``kg`` command line: a thin layer over the library functions.

Exit codes: 0 ok, 1 the data does not conform, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from graph.build import build_graph, write_graph
from graph.config import default_settings
from graph.errors import GraphError

log = logging.getLogger("graph")

EXIT_OK, EXIT_NONCONFORMING, EXIT_USAGE = 0, 1, 2


def _cmd_build(args: argparse.Namespace) -> int:
    settings = default_settings(out_dir=args.out)
    built = build_graph(settings)
    for path in write_graph(built, args.out):
        print(f"wrote {path} ({len(built)} quads)")
    return EXIT_OK


def make_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``kg`` with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="kg",
        description="Build, validate, query and serve the knowledge graph of where the Environmental "
                    "Objectives Council's agencies touch public procurement.",
        epilog="Exit codes: 0 ok, 1 data does not conform, 2 usage or input error.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = sub.add_parser("build", help="parse ontology and data into DIR/graph.nq and DIR/graph.trig",
                           description="Parse every ontology and data file into one dataset (one named graph "
                                       "per file, plus a DCAT/VoID metadata graph) and write it "
                                       "deterministically. Bad input exits 2 and writes nothing.")
    build.add_argument("--out", type=Path, default=Path("dist"), metavar="DIR",
                       help="output folder (default: dist)")
    build.set_defaults(func=_cmd_build)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kg`` with ``argv`` (default: the process arguments) and return the exit code."""
    parser = make_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except GraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
