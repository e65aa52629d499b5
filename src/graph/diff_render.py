"""Render a :class:`graph.diff.GraphDiff`: a text table for the terminal, Markdown for release notes, JSON."""

from __future__ import annotations

import json
from collections.abc import Callable

from graph.diff import ClassChange, EntityChange, GraphDiff
from graph.namespaces import prefixed_name

DIFF_FORMATS = ("text", "markdown", "json")


def _side(name: str, version: str | None) -> str:
    return f"{name}, version {version}" if version else name


def _entity_text(entity: EntityChange, kind: str, code: Callable[[str], str], text: Callable[[str], str]) -> str:
    iri = code(prefixed_name(entity.iri) or f"<{entity.iri}>")
    parts = [iri] + ([text(entity.label)] if entity.label else [])
    if kind == "changed":
        what = [f"label was {text(entity.old_label)}"] if entity.old_label else []
        what.append(f"+{entity.triples_added} −{entity.triples_removed}: {', '.join(entity.predicates)}")
        parts.append(f"({'; '.join(what)})")
    return " ".join(parts)


def _examples(row: ClassChange) -> list[tuple[str, tuple[EntityChange, ...]]]:
    return [(kind, entities) for kind, entities in
            (("added", row.added), ("removed", row.removed), ("changed", row.changed)) if entities]


def render_text(diff: GraphDiff, examples: int = 3) -> str:
    """Render ``diff`` as a plain-text table for a terminal, with up to ``examples`` entities per kind."""
    lines = [f"Old: {_side(diff.old, diff.old_version)}", f"New: {_side(diff.new, diff.new_version)}",
             f"Triples: {diff.triples_before} → {diff.triples_after} (+{diff.triples_added} "
             f"−{diff.triples_removed}); the metadata graph's build-specific triples are left out.", ""]
    changed = [row for row in diff.classes if row.has_changes]
    table = [("CLASS", "BEFORE", "AFTER", "ADDED", "REMOVED", "CHANGED")] + [
        (row.name, str(row.before), str(row.after), str(len(row.added)), str(len(row.removed)),
         str(len(row.changed))) for row in changed]
    widths = [max(len(r[i]) for r in table) for i in range(6)]
    lines += ["  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(r))
              .rstrip() for r in table] if changed else []
    lines.append(f"{len(diff.classes) - len(changed)} classes unchanged." if changed
                 else "No class gained, lost or changed a member.")
    marks = {"added": "+", "removed": "-", "changed": "~"}
    for row in changed:
        lines += ["", f"{row.name}" + (f" ({row.label})" if row.label else "")]
        for kind, entities in _examples(row):
            lines += [f"  {marks[kind]} {_entity_text(e, kind, str, lambda s: f'«{s}»')}"
                      for e in entities[:examples]]
            if len(entities) > examples:
                lines.append(f"  {marks[kind]} … and {len(entities) - examples} more {kind}")
    if diff.graphs:
        lines += ["", "Named graphs that changed (triples):"]
        lines += [f"  {g.graph}: {g.before} → {g.after} (+{g.added} −{g.removed})" for g in diff.graphs]
    if diff.moved:
        lines += ["", "Triples that moved between named graphs:"]
        lines += [f"  {m.count} from {', '.join(m.before)} to {', '.join(m.after)}, e.g. {m.examples[0]}"
                  for m in diff.moved]
    return "\n".join(lines) + "\n"


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|"})


def _md(text: str) -> str:
    return text.translate(_MD_SPECIAL)


def render_markdown(diff: GraphDiff, examples: int = 3, command: str | None = None) -> str:
    """Render ``diff`` as Markdown for release notes; ``command`` (how it was made) goes in the header."""
    lines = [f"# Data changes: {_md(diff.old)} → {_md(diff.new)}", ""]
    made = f"Generated with `{command}`: " if command else ""
    lines += [f"{made}`kg diff` built or read both sides and compared them triple by triple, leaving out the "
              "metadata graph's build-specific triples. An entity is an IRI; it counts in every class it has "
              "an `rdf:type` of; *changed* means the same IRI with different triples of its own.", "",
              f"- old: {_md(_side(diff.old, diff.old_version))}",
              f"- new: {_md(_side(diff.new, diff.new_version))}", "",
              f"Triples: {diff.triples_before} → {diff.triples_after} (+{diff.triples_added}, "
              f"−{diff.triples_removed}).", ""]
    changed = [row for row in diff.classes if row.has_changes]
    if changed:
        lines += ["| class | before | after | added | removed | changed |", "|---|--:|--:|--:|--:|--:|"]
        lines += [f"| `{row.name}`{' ' + _md(row.label) if row.label else ''} | {row.before} | {row.after} | "
                  f"{len(row.added)} | {len(row.removed)} | {len(row.changed)} |" for row in changed]
        lines.append("")
    unchanged = [f"`{row.name}`" for row in diff.classes if not row.has_changes]
    if not changed:
        lines += ["No class gained, lost or changed a member.", ""]
    if unchanged:
        lines += [f"Unchanged ({len(unchanged)}): {', '.join(unchanged)}.", ""]
    if changed:
        lines += ["## Examples per class", ""]
    for row in changed:
        lines += [f"### `{row.name}`" + (f" {_md(row.label)}" if row.label else ""), ""]
        for kind, entities in _examples(row):
            shown = "; ".join(_entity_text(e, kind, lambda s: f"`{s}`", _md) for e in entities[:examples])
            more = f"; … and {len(entities) - examples} more" if len(entities) > examples else ""
            lines.append(f"- {kind.capitalize()} ({len(entities)}): {shown}{more}")
        lines.append("")
    if diff.graphs:
        lines += ["## Named graphs", "", "| graph | before | after | added | removed |", "|---|--:|--:|--:|--:|"]
        lines += [f"| `{g.graph}` | {g.before} | {g.after} | {g.added} | {g.removed} |" for g in diff.graphs]
        lines.append("")
    if diff.moved:
        lines += ["## Triples that moved between named graphs", ""]
        lines += [f"- {m.count} from {', '.join(f'`{g}`' for g in m.before)} to "
                  f"{', '.join(f'`{g}`' for g in m.after)}, e.g. `{m.examples[0]}`" for m in diff.moved]
        lines.append("")
    return "\n".join(lines)


def render_diff(diff: GraphDiff, fmt: str = "text", *, examples: int = 3, command: str | None = None) -> str:
    """Render ``diff`` as ``text`` (a terminal table), ``markdown`` (release notes) or ``json`` (everything).

    Raises:
        ValueError: ``fmt`` is not one of :data:`DIFF_FORMATS`.
    """
    if fmt == "text":
        return render_text(diff, examples)
    if fmt == "markdown":
        return render_markdown(diff, examples, command)
    if fmt == "json":
        return json.dumps(diff.as_dict(), ensure_ascii=False, indent=2) + "\n"
    raise ValueError(f"unknown diff format {fmt!r}; use one of {', '.join(DIFF_FORMATS)}")
