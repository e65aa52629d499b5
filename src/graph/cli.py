"""The ``kg`` command line: a thin layer over the library functions.

Exit codes: 0 ok, 1 the data does not conform, 2 usage or input error. Each command imports
only what it needs (rdflib, networkx, httpx and the web stack are imported by the commands
that use them), so ``kg --help`` and ``kg query`` start fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from graph.build import build_graph, write_graph
from graph.config import REMOTE_TIMEOUT_S, default_settings, project_version
from graph.errors import GraphError, NetworkError, QueryError
from graph.formats import GRAPH_FORMATS, RESULT_FORMATS
from graph.queries import LANGUAGES, bind_parameters, find_query, load_adhoc, load_catalogue
from graph.results import serialize_result, table_text
from graph.store.source import DEFAULT_GRAPH_FILE, open_store

log = logging.getLogger("graph")

EXIT_OK, EXIT_NONCONFORMING, EXIT_USAGE = 0, 1, 2


def _cmd_build(args: argparse.Namespace) -> int:
    settings = default_settings(out_dir=args.out)
    built = build_graph(settings)
    for path in write_graph(built, args.out):
        print(f"wrote {path} ({len(built)} quads)")
    return EXIT_OK


def _cmd_ontology_docs(args: argparse.Namespace) -> int:
    from graph.ontology_pages import write_ontology_docs

    written = write_ontology_docs(default_settings().ontology_dir, args.out)
    for path in written:
        print(f"wrote {path}")
    print(f"{args.out}: {len(written)} files changed", file=sys.stderr)
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from graph.api import create_app
    from graph.api.server import base_url, listen, serve

    sock = listen(args.host, args.port)
    url = base_url(sock)
    # A remote store behind the API gets the API's time limit for every request.
    settings = default_settings(query_timeout_s=args.query_timeout, query_row_limit=args.max_results,
                                remote_timeout_s=args.query_timeout,
                                sandbox_workers=args.workers, sandbox_queue=args.queue,
                                public_url=(args.public_url or url).rstrip("/"), answer_cache_entries=args.answer_cache,
                                response_cache_bytes=args.response_cache * 2**20, cors_origins=_origins(args.cors_origin))
    store, source = open_store(settings, args.endpoint, args.graph)
    app = create_app(store, settings)
    print(f"serving {source} at {url}/ (SPARQL endpoint {url}/sparql)", flush=True)
    serve(app, sock)
    return EXIT_OK


def _parse_params(items: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise QueryError(f"--param must look like NAME=VALUE, not {item!r}.")
        params[name.strip()] = value
    return params


def _width(args: argparse.Namespace) -> int | None:
    """The width the command's tables must fit: --width, else the terminal's, else none (piped)."""
    from graph.textable import terminal_width

    return terminal_width(sys.stdout, args.width)


def _add_width(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--width", type=_positive(int), metavar="N",
                        help="fit tables to N characters (default: the terminal's width; full values when piped)")


def _cmd_queries(args: argparse.Namespace) -> int:
    from graph.textable import render_table

    catalogue = load_catalogue(default_settings().queries_dir)
    rows = [(spec.name, spec.summary, ", ".join(
        f"{p.name}: {p.type}" + (f" = {p.default}" if p.default is not None else "")
        + (" (required)" if p.required else "") for p in spec.params) or "-")
        for spec in catalogue.values()]
    for line in render_table(("NAME", "SUMMARY", "PARAMETERS"), rows, _width(args), rule=False):
        print(line)
    print(f"\nEvery query also takes lang ({' or '.join(LANGUAGES)}). Run one with: kg query NAME --param k=v")
    return EXIT_OK


def _cmd_query(args: argparse.Namespace) -> int:
    if (args.name is None) == (args.file is None):
        print("error: give either a query NAME (see 'kg queries') or --file FILE.", file=sys.stderr)
        return EXIT_USAGE
    raw = _parse_params(args.param)
    if args.file is not None:
        spec, bindings = load_adhoc(args.file, raw, args.lang)
    else:
        catalogue = load_catalogue(default_settings().queries_dir)
        spec = find_query(catalogue, args.name, f"Run 'kg queries' to list them: {', '.join(catalogue)}.")
        bindings = bind_parameters(spec, raw, args.lang or LANGUAGES[0])
    store, _ = open_store(default_settings(remote_timeout_s=args.timeout), args.endpoint, args.graph)
    try:
        result = store.query(spec.prepared.bind(bindings), timeout_s=args.timeout)
    except QueryError as exc:
        if exc.line is None:
            raise
        raise QueryError(f"{spec.path}: {exc}") from exc
    if args.format == "table" and result.kind != "graph":
        sys.stdout.write(table_text(result, _width(args)))
    else:
        format_name = "turtle" if args.format == "table" else args.format
        sys.stdout.write(serialize_result(result, format_name).decode("utf-8"))
    if result.kind == "select" and not result.rows:
        from graph.absent import empty_answer_notes

        sys.stdout.flush()  # the answer first, then what to make of it (also when both go to one file)
        for note in empty_answer_notes(store, spec, bindings):
            print(f"note: {note}", file=sys.stderr)
    if args.endpoint and result.kind == "select" and not result.rows:
        from graph.store.remote import RemoteStore, union_default_graph_problem

        problem = union_default_graph_problem(store) if isinstance(store, RemoteStore) else None
        if problem:
            print(f"warning: {problem}", file=sys.stderr)
    return EXIT_OK


def _cmd_push(args: argparse.Namespace) -> int:
    from graph.store.push import push_graph

    def show(graph: str, sent: int, total: int) -> None:
        print(f"pushed {sent}/{total} triples ({graph})", file=sys.stderr)

    report = push_graph(args.graph, args.endpoint, args.update_endpoint, args.graph_store,
                        batch_size=args.batch_size, timeout_s=args.timeout, progress=show)
    how = "Graph Store Protocol" if report.method == "graph-store" else "SPARQL Update"
    print(f"pushed {report.triples} triples in {len(report.graphs)} named graphs to {report.target} "
          f"({how}); the counts on {args.endpoint} match.")
    if report.default_graph_problem:
        print(f"warning: {report.default_graph_problem}", file=sys.stderr)
    return EXIT_OK


def _add_query_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    queries = sub.add_parser("queries", help="list the query catalogue: name, summary, parameters",
                             description="List the named queries in queries/*.rq with their parameters.")
    _add_width(queries)
    queries.set_defaults(func=_cmd_queries)

    formats = [*RESULT_FORMATS, *GRAPH_FORMATS]
    query = sub.add_parser(
        "query", help="run a named query, or an ad-hoc one with --file",
        description="Run a catalogued query (see 'kg queries') or a SPARQL file, on the embedded store "
                    "(--graph, else dist/graph.nq, else the sources built in memory) or on a remote "
                    "SPARQL 1.1 endpoint (--endpoint). Parameters are bound as RDF terms, never pasted "
                    "into the text.")
    query.add_argument("name", nargs="?", metavar="NAME", help="query name, as listed by 'kg queries'")
    query.add_argument("--file", type=Path, metavar="FILE", help="run the SPARQL query in FILE instead")
    query.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="a query parameter; repeat for several")
    query.add_argument("--lang", choices=LANGUAGES,
                       help=f"label language (default: {LANGUAGES[0]}, falling back to {LANGUAGES[1]})")
    query.add_argument("--format", choices=formats, default="table",
                       help="table (default; Turtle for CONSTRUCT), csv, tsv, json, xml: W3C SPARQL results; "
                            "turtle, ntriples, jsonld, rdfxml for CONSTRUCT/DESCRIBE")
    query.add_argument("--endpoint", metavar="URL", help="a remote SPARQL query endpoint to ask instead")
    query.add_argument("--graph", type=Path, metavar="FILE",
                       help=f"the built graph to load (default: {DEFAULT_GRAPH_FILE} if it exists)")
    query.add_argument("--timeout", type=float, default=REMOTE_TIMEOUT_S, metavar="S",
                       help=f"seconds to wait for the answer (default: {REMOTE_TIMEOUT_S:g})")
    _add_width(query)
    query.set_defaults(func=_cmd_query)

    push = sub.add_parser(
        "push", help="load the built graph into a remote SPARQL 1.1 store, then verify the count",
        description="Replace each named graph of the built graph in a remote store: Graph Store Protocol "
                    "when --graph-store is given or found beside --endpoint, else SPARQL Update in "
                    "batches. Then count the triples per graph on --endpoint.", populate=_add_push_arguments)
    push.set_defaults(func=_cmd_push)


def _add_push_arguments(push: argparse.ArgumentParser) -> None:
    from graph.store.push import DEFAULT_BATCH_SIZE  # httpx: only for this command

    push.add_argument("--endpoint", required=True, metavar="URL", help="the store's SPARQL query endpoint")
    push.add_argument("--update-endpoint", metavar="URL", help="the store's SPARQL Update endpoint")
    push.add_argument("--graph-store", metavar="URL", help="the store's Graph Store Protocol endpoint")
    push.add_argument("--graph", type=Path, default=DEFAULT_GRAPH_FILE, metavar="FILE",
                      help=f"the built graph (default: {DEFAULT_GRAPH_FILE})")
    push.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, metavar="N",
                      help=f"triples per request (default: {DEFAULT_BATCH_SIZE})")
    push.add_argument("--timeout", type=float, default=REMOTE_TIMEOUT_S, metavar="S",
                      help=f"seconds to wait for each request (default: {REMOTE_TIMEOUT_S:g})")


def _cmd_export_network(args: argparse.Namespace) -> int:
    from graph.network import build_network, format_for_path, summarise_network, write_network

    to_stdout = str(args.out) == "-"
    if to_stdout and args.format is None:
        raise NetworkError("-o - writes to stdout, which has no file ending: give --format.")
    fmt = args.format if to_stdout else format_for_path(args.out, args.format)
    store, _ = open_store(default_settings(), None, args.graph)
    graph = build_network(store, args.projection, args.lang)
    body, _ = write_network(graph, fmt, args.colour)
    if to_stdout:
        sys.stdout.buffer.write(body)
    else:
        args.out.write_bytes(body)
        print(f"wrote {args.out} ({args.projection}, {fmt}, {graph.number_of_nodes()} nodes, "
              f"{graph.number_of_edges()} edges)", file=sys.stderr)
    if args.summary:
        print(summarise_network(graph, top=args.summary).to_markdown(), file=sys.stderr)
    return EXIT_OK


def _add_export_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser("export", help="export the graph for other tools (network: Gephi, Cytoscape, …)",
                            description="Export views of the graph for other tools.")
    kinds = export.add_subparsers(dest="kind", required=True, metavar="KIND")
    network = kinds.add_parser(
        "network", help="a network projection as GraphML, GEXF, Cytoscape.js, JSON, CSV, SVG, PNG or HTML",
        populate=_add_network_arguments)
    network.set_defaults(func=_cmd_export_network)


def _add_network_arguments(network: argparse.ArgumentParser) -> None:
    from graph.network import COLOUR_SCHEMES, EXTENSIONS, FORMATS, list_projections  # networkx: only here

    projections = list_projections()
    listing = "; ".join(f"{name}: {spec.summary}" for name, spec in projections.items())
    network.description = (
        "Project the graph into a network (node ids are IRIs; labels in --lang) with degree, "
        "weighted degree, betweenness, eigenvector centrality and Louvain communities as node "
        f"attributes, and write it in one format. Projections: {listing}. Formats: "
        f"{', '.join(FORMATS)} (csv is a zip of nodes.csv, edges.csv and graph.csv; cytoscape-style is "
        "the style file for the cytoscape JSON). The format follows the ending of -o FILE: "
        + ", ".join(f"{e} {'/'.join(f)}" for e, f in EXTENSIONS.items()) + " (the first when several).")
    network.add_argument("--projection", required=True, choices=list(projections), metavar="NAME",
                         help=f"one of: {', '.join(projections)}")
    network.add_argument("--format", choices=list(FORMATS), metavar="FORMAT",
                         help=f"one of: {', '.join(FORMATS)} (default: from the ending of -o FILE)")
    network.add_argument("--colour", choices=COLOUR_SCHEMES, default=COLOUR_SCHEMES[0],
                         help="colour nodes by type or by Louvain community in GEXF, the Cytoscape style, "
                              f"pictures and HTML (default: {COLOUR_SCHEMES[0]})")
    network.add_argument("--lang", choices=LANGUAGES, default=LANGUAGES[0],
                         help=f"label language (default: {LANGUAGES[0]})")
    network.add_argument("-o", "--out", type=Path, required=True, metavar="FILE", help="output file, or - for stdout")
    network.add_argument("--graph", type=Path, metavar="FILE",
                         help=f"the built graph to load (default: {DEFAULT_GRAPH_FILE} if it exists, "
                              "else the sources built in memory)")
    network.add_argument("--summary", type=int, nargs="?", const=10, default=0, metavar="N",
                         help="also print the summary table (top N nodes, default 10) to stderr")


def _cmd_validate(args: argparse.Namespace) -> int:
    from graph.validate import validate_files, validate_store

    settings = default_settings()
    report = (validate_files(list(args.files), settings) if args.files
              else validate_store(build_graph(settings).store, settings))
    sys.stdout.write(report.render(args.format, args.severity.capitalize(), _width(args)))
    return EXIT_OK if report.conforms else EXIT_NONCONFORMING


def _cmd_coverage(args: argparse.Namespace) -> int:
    import json

    from graph.coverage import compute_coverage

    settings = default_settings()
    store, _ = open_store(settings, args.endpoint, args.graph)
    table = compute_coverage(store, settings, args.lang, include_curated=args.include_curated)
    if args.format == "json":
        print(json.dumps(table.as_dict(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(table.to_text(_width(args)))
    return EXIT_OK


def _cmd_summary(args: argparse.Namespace) -> int:
    from graph.summary import summarise_graph

    text, conforms = summarise_graph(args.graph, default_settings(), args.lang, _width(args))
    sys.stdout.write(text)
    return EXIT_OK if conforms else EXIT_NONCONFORMING


def _add_quality_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = sub.add_parser(
        "validate", help="check the graph against the SHACL shapes; report what is missing, and where",
        description="Validate the shipped graph (no FILES), or the given data files or built graph "
                    "together with the ontology, against shapes/*.shapes.ttl. Results are grouped by "
                    "focus node; each says what to add and where. Exit 0 conforms (warnings and infos "
                    "allowed), 1 violations, 2 bad input.", populate=_add_validate_arguments)
    validate.set_defaults(func=_cmd_validate)

    coverage = sub.add_parser(
        "coverage", help="the completeness table: touchpoint kinds per agency, what reaches each objective",
        description="For every agency, which kinds of touchpoint the graph records and which it lacks; "
                    "for every environmental quality objective, which criteria, agreements and agencies "
                    "a source links to it.")
    coverage.add_argument("--lang", choices=LANGUAGES, default=LANGUAGES[0],
                          help=f"label language (default: {LANGUAGES[0]})")
    coverage.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    coverage.add_argument("--endpoint", metavar="URL", help="a remote SPARQL query endpoint to ask instead")
    coverage.add_argument("--graph", type=Path, metavar="FILE",
                          help=f"the built graph to load (default: {DEFAULT_GRAPH_FILE} if it exists)")
    coverage.add_argument("--include-curated", action="store_true",
                          help="also list the curators' own aspect → objective links (unsure, never a "
                               "source's); each objective's basis is shown either way")
    _add_width(coverage)
    coverage.set_defaults(func=_cmd_coverage)

    summary = sub.add_parser(
        "summary", help="counts per class and the validation verdict of a built graph",
        description="Print what a built graph holds (entities per class, from its VoID description) and "
                    "whether it conforms to the shapes. Exit 1 when it has violations.")
    summary.add_argument("--graph", type=Path, default=DEFAULT_GRAPH_FILE, metavar="FILE",
                         help=f"the built graph (default: {DEFAULT_GRAPH_FILE})")
    summary.add_argument("--lang", choices=LANGUAGES, default="en",
                         help="language of the text and the class names (default: en)")
    _add_width(summary)
    summary.set_defaults(func=_cmd_summary)


def _add_validate_arguments(validate: argparse.ArgumentParser) -> None:
    from graph.validate import REPORT_FORMATS, SEVERITIES  # rdflib: only for this command

    validate.add_argument("files", nargs="*", type=Path, metavar="FILE",
                          help="data files (.ttl) or a built graph (.nq, .trig); default: the shipped sources")
    validate.add_argument("--format", choices=REPORT_FORMATS, default="text",
                          help="text (default), json, or turtle (the SHACL validation report graph)")
    validate.add_argument("--severity", choices=[s.lower() for s in SEVERITIES], default="info",
                          help="show results of this severity and worse: violation, warning or info (default: "
                               "all); the counts and the exit code stay those of the whole report; turtle is "
                               "always the whole report")
    validate.add_argument("--width", type=_positive(int), metavar="N",
                          help="wrap the text report at N characters (default: the terminal's width; "
                               "unwrapped when piped)")


# --- kg diff ------------------------------------------------------------------------------------


def _cmd_diff(args: argparse.Namespace) -> int:
    from graph.diff import diff_inputs
    from graph.diff_render import render_diff

    diff = diff_inputs(args.old, args.new, repo=args.repo, lang=args.lang,
                       progress=lambda message: print(message, file=sys.stderr, flush=True))
    command = " ".join(["kg diff", args.old, args.new, "--format", args.format]
                       + (["--lang", args.lang] if args.lang != "sv" else [])
                       + (["--examples", str(args.examples)] if args.examples != 3 else [])
                       + (["-o", str(args.out)] if args.out else []))
    text = render_diff(diff, args.format, examples=args.examples, command=command)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _add_diff_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    diff = sub.add_parser(
        "diff", help="what was added, removed and changed per class between two builds or git revisions",
        description="Compare two built graphs (graph.nq or graph.trig, or a folder holding graph.nq) or two "
                    "git revisions of the sources (each exported to a temporary folder and built), and list "
                    "per class the entities added, removed and changed, with counts and examples, plus the "
                    "named graphs that changed and triples that moved between them.", populate=_add_diff_arguments)
    diff.set_defaults(func=_cmd_diff)


def _add_diff_arguments(diff: argparse.ArgumentParser) -> None:
    from graph.diff_render import DIFF_FORMATS  # the diff machinery (git, urllib): only for this command

    diff.add_argument("old", metavar="OLD", help="a built graph file, or a git revision (HEAD~3, a commit hash)")
    diff.add_argument("new", metavar="NEW", help="a built graph file, or a git revision (HEAD, main)")
    diff.add_argument("--format", choices=DIFF_FORMATS, default="text",
                      help="text (default), markdown (release notes) or json (every entity)")
    diff.add_argument("--examples", type=_positive(int), default=3, metavar="N",
                      help="examples per class and kind of change (default: 3)")
    diff.add_argument("--lang", choices=LANGUAGES, default=LANGUAGES[0], help=f"label language (default: {LANGUAGES[0]})")
    diff.add_argument("--repo", type=Path, metavar="DIR", help="the git checkout for revisions (default: here)")
    diff.add_argument("-o", "--out", type=Path, metavar="FILE", help="write to FILE instead of stdout")


def _cmd_completion(args: argparse.Namespace) -> int:
    from graph.completion import completion_script

    names = list(load_catalogue(default_settings().queries_dir))
    sys.stdout.write(completion_script(make_parser(), args.shell, {("query",): names}))
    return EXIT_OK


def _add_completion_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from graph.completion import SHELLS

    completion = sub.add_parser(
        "completion", help="print a shell completion script (bash, zsh or fish)",
        description="Print a completion script for SHELL, generated from kg's own options, so it lists "
                    "every subcommand, option, choice and catalogued query name. Load it with, for bash: "
                    "eval \"$(kg completion bash)\" (see the README for zsh and fish).")
    completion.add_argument("shell", choices=SHELLS, metavar="SHELL", help=f"one of: {', '.join(SHELLS)}")
    completion.set_defaults(func=_cmd_completion)


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """An argparse type: a number of ``kind`` greater than zero."""
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, not {text}")
        return value
    return parse


def _origins(given: list[str] | None) -> tuple[str, ...]:
    """The CORS origins of ``--cors-origin``: any when not given, none for ``''``."""
    return ("*",) if given is None else tuple(origin for origin in given if origin)


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative; give 0 or more")
    return value


class _Parser(argparse.ArgumentParser):
    """An argument parser whose subcommands may add their arguments when used (``populate``), so that
    ``kg --help`` and the other commands do not import what those arguments need (rdflib, networkx …)."""

    def __init__(self, *args: Any, populate: Callable[[argparse.ArgumentParser], None] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._populate = populate

    def populate_now(self) -> None:
        """Add the arguments this parser adds when used (once); shell completion needs them all."""
        if self._populate is not None:
            populate, self._populate = self._populate, None
            populate(self)

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: Any = None) -> tuple[Any, list[str]]:
        self.populate_now()
        return super().parse_known_args(args, namespace)


def make_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``kg`` with every subcommand."""
    parser: argparse.ArgumentParser = _Parser(
        prog="kg",
        description="Build, validate, query and serve the knowledge graph of where the Environmental "
                    "Objectives Council's agencies touch public procurement.",
        epilog="Exit codes: 0 ok, 1 data does not conform, 2 usage or input error.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument("--version", action="version", version=f"%(prog)s {project_version()}",
                        help="print the version (from pyproject.toml) and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = sub.add_parser("build", help="parse ontology and data into DIR/graph.nq and DIR/graph.trig",
                           description="Parse every ontology and data file into one dataset (one named graph "
                                       "per file, plus a DCAT/VoID metadata graph) and write it "
                                       "deterministically. Bad input exits 2 and writes nothing.")
    build.add_argument("--out", type=Path, default=Path("dist"), metavar="DIR",
                       help="output folder (default: dist)")
    build.set_defaults(func=_cmd_build)
    docs = sub.add_parser("ontology-docs", help="write the ontology's HTML documentation (pyLODE) into DIR",
                          description="Write one pyLODE page per ontology module, an index and the stylesheet "
                                      "into DIR (default: docs/ontology); unchanged files are left alone. "
                                      "Needs the docs extra: pip install 'mmr-kg[docs]'.")
    docs.add_argument("--out", type=Path, default=Path("docs/ontology"), metavar="DIR",
                      help="output folder (default: docs/ontology)")
    docs.set_defaults(func=_cmd_ontology_docs)
    _add_query_commands(sub)
    _add_export_commands(sub)
    _add_quality_commands(sub)
    _add_diff_command(sub)
    _add_completion_command(sub)

    serve = sub.add_parser("serve", help="serve the graph over HTTP: SPARQL endpoint, query REST API and pages",
                           description="Start the HTTP API on HOST:PORT and print its address. Serves "
                                       f"--graph (default: {DEFAULT_GRAPH_FILE} if it exists, else the sources "
                                       "built in memory; a --graph that does not exist is an error); with "
                                       "--endpoint, serves a remote SPARQL endpoint's graph instead.")
    serve.add_argument("--graph", type=Path, metavar="FILE",
                       help=f"built graph to serve (default: {DEFAULT_GRAPH_FILE} if it exists, else the "
                            "sources built in memory)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    serve.add_argument("--endpoint", metavar="URL", help="serve this SPARQL endpoint's graph instead")
    limits = default_settings()
    serve.add_argument("--query-timeout", type=_positive(float), default=limits.query_timeout_s, metavar="S",
                       help=f"seconds a query may run before it is answered with 503 "
                            f"(default: {limits.query_timeout_s:g})")
    serve.add_argument("--max-results", type=_positive(int), default=limits.query_row_limit, metavar="N",
                       help=f"rows or triples a query may return before it is refused with 400 "
                            f"(default: {limits.query_row_limit})")
    serve.add_argument("--workers", type=_positive(int), default=limits.sandbox_workers, metavar="N",
                       help="worker processes that evaluate ad-hoc SPARQL; one past its time limit is "
                            f"killed and replaced (default: {limits.sandbox_workers})")
    serve.add_argument("--queue", type=_non_negative, default=limits.sandbox_queue, metavar="N",
                       help="requests that may wait for a free worker; more are answered 503 at once "
                            f"(default: {limits.sandbox_queue})")
    serve.add_argument("--public-url", metavar="URL",
                       help="the address people reach the service at, behind a proxy (default: the "
                            "address it listens on); never taken from the Host header")
    serve.add_argument("--cors-origin", action="append", metavar="ORIGIN",
                       help="an origin whose pages may read the answers (repeatable; default: any, "
                            "as the API is read-only; give '' to allow none)")
    serve.add_argument("--answer-cache", type=_non_negative, default=limits.answer_cache_entries, metavar="N",
                       help="catalogued queries' answers kept in memory, so pages and repeats do not re-run them "
                            f"(default: {limits.answer_cache_entries}; 0 turns the cache off)")
    serve.add_argument("--response-cache", type=_non_negative, default=limits.response_cache_bytes // 2**20,
                       metavar="MB", help="megabytes of whole answers kept as sent, so a repeated request runs "
                                          f"nothing (default: {limits.response_cache_bytes // 2**20}; 0 turns it off)")
    serve.set_defaults(func=_cmd_serve)
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
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: cannot use{where}: {exc.strerror or exc}. Check the path and its folder.", file=sys.stderr)
        return EXIT_USAGE
