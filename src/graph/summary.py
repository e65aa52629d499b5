"""What ``kg summary`` prints: a built graph's entities per class and its validation verdict."""

from __future__ import annotations

from pathlib import Path

from graph.build import load_built_graph
from graph.config import Settings
from graph.metadata import class_counts
from graph.validate import validate_store


def summarise_graph(graph_file: Path, settings: Settings) -> tuple[str, bool]:
    """Return the summary text of the built graph in ``graph_file``, and whether it conforms.

    Raises:
        BuildError: the file is missing or not a readable graph (says to run ``kg build``).
    """
    store = load_built_graph(graph_file)
    lines = [f"Graph: {graph_file} ({len(store)} quads), version {settings.version}", "Entities per class:"]
    lines += [f"  {count:5}  {cls}" for cls, count in class_counts(store)]
    report = validate_store(store, settings)
    lines.append(f"Validation: {report.verdict} ({report.count('Violation')} violations, "
                 f"{report.count('Warning')} warnings, {report.count('Info')} infos). "
                 f"Details: kg validate {graph_file}")
    return "\n".join(lines) + "\n", report.conforms
