"""The completeness table: which touchpoint kinds each agency has, and what reaches each objective.

Built from two catalogue queries (``agency-kind-matrix`` and ``objective-reach``), so the CLI,
the API and an analyst running the queries by hand all see the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

from graph.config import Settings
from graph.queries import LANGUAGES, load_catalogue, run_query
from graph.store import GraphStore, Term
from graph.textable import render_table

TICK = "✓"


@dataclass(frozen=True)
class KindColumn:
    """One column of the agency × kind grid: the kind, its label, and the short header that the
    legend explains (its number in the grid, from 1)."""

    kind: str
    label: str
    short: str


@dataclass
class AgencyCoverage:
    """One agency's row: the kinds of touchpoint it has (with counts) and the kinds it lacks."""

    agency: str
    label: str
    council_member: bool
    present: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def touchpoints(self) -> int:
        return sum(self.present.values())

    def cells(self, kinds: list[KindColumn]) -> list[str]:
        """Return the agency's grid cells for ``kinds``: a tick with the count, or blank."""
        return [f"{TICK}{self.present[k.label]}" if self.present.get(k.label) else "" for k in kinds]


@dataclass
class ObjectiveCoverage:
    """One objective's row: what a source links to it, by type, and the strongest basis of its links.

    ``basis`` is ``stated`` (a source names the objective), ``curated`` (only the curators'
    reading of an environmental aspect links it; shown only with ``include_curated``), ``gap``
    (looked for, recorded as not found) or ``none``. ``curated`` lists the criteria areas and groups linked by the curators' reading,
    filled only when asked for (``include_curated``).
    """

    objective: str
    label: str
    basis: str = "none"
    criteria: list[str] = field(default_factory=list)
    criteria_areas: list[str] = field(default_factory=list)
    agreements: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    curated: list[str] = field(default_factory=list)


@dataclass
class Coverage:
    """The completeness table of the graph (see :func:`compute_coverage`)."""

    agencies: list[AgencyCoverage]
    objectives: list[ObjectiveCoverage]
    include_curated: bool = False
    kinds: list[KindColumn] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Return the table as plain data (the JSON form; ``kinds`` are the grid's columns)."""
        return {
            "agencies": [asdict(a) | {"touchpoints": a.touchpoints, "cells": a.cells(self.kinds)}
                         for a in self.agencies],
            "objectives": [asdict(o) for o in self.objectives],
            "include_curated": self.include_curated,
            "kinds": [asdict(k) for k in self.kinds],
        }

    def to_text(self, width: int | None = None) -> str:
        """Return the table as text for a terminal: the agency × kind grid of ticks (fitting
        ``width`` characters; ``None``: full names) with its legend, then the objectives."""
        lines = ["Agencies × kinds of touchpoint: ✓ and the number of touchpoints; blank: none recorded", ""]
        headers = ["agency", "council", "total", *(k.short for k in self.kinds)]
        rows = [[a.label, TICK if a.council_member else "", str(a.touchpoints), *a.cells(self.kinds)]
                for a in self.agencies]
        lines += render_table(headers, rows, width, right=[2])
        lines += ["", "Kinds:"]
        lines += [f"  {k.short:>2}  {k.label}" for k in self.kinds]
        lines += ["", "Objectives: what a source links to each (basis: stated, curated, gap or none)", ""]
        for o in self.objectives:
            lines.append(f"{o.label}  (basis: {o.basis})")
            groups = [("criteria", o.criteria), ("criteria areas", o.criteria_areas),
                      ("agreements", o.agreements), ("agencies", o.agencies)]
            if self.include_curated:
                groups.append(("curated (ours)", o.curated))
            for title, items in groups:
                lines.append(f"  {title + ':':16} {', '.join(items) or '—'}")
        return "\n".join(lines) + "\n"


def _text(term: Term | None) -> str:
    return "" if term is None else term.value


def compute_coverage(store: GraphStore, settings: Settings, lang: str = LANGUAGES[0], *,
                     include_curated: bool = False) -> Coverage:
    """Compute the completeness table over ``store``, labels in ``lang``; the curators' own
    aspect → objective links only with ``include_curated`` (each objective's basis says which
    kind of link it has either way).

    Example:
        >>> from graph.build import build_graph
        >>> from graph.config import default_settings
        >>> from graph.store import EmbeddedStore
        >>> settings = default_settings()
        >>> table = compute_coverage(EmbeddedStore(build_graph(settings).store), settings, "en")
        >>> len(table.objectives)
        16
    """
    catalogue = load_catalogue(settings.queries_dir)
    agencies: dict[str, AgencyCoverage] = {}
    kinds: dict[str, str] = {}
    for row in run_query(store, catalogue["agency-kind-matrix"], {}, lang).records():
        iri = _text(row["agency"])
        kinds.setdefault(_text(row["kind"]), _text(row["kindLabel"]))
        entry = agencies.setdefault(iri, AgencyCoverage(
            iri, _text(row["agencyLabel"]), _text(row["councilMember"]) == "true"))
        count = int(_text(row["touchpoints"]) or 0)
        if count:
            entry.present[_text(row["kindLabel"])] = count
        else:
            entry.missing.append(_text(row["kindLabel"]))

    objectives: dict[str, ObjectiveCoverage] = {}
    reached: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    curated = {"include_curated": "true" if include_curated else "false"}
    for row in run_query(store, catalogue["objective-coverage"], curated, lang).records():
        iri = _text(row["objective"])
        objectives[iri] = ObjectiveCoverage(iri, _text(row["objectiveLabel"]), _text(row["basis"]) or "none")
    for row in run_query(store, catalogue["objective-reach"], curated, lang).records():
        kind = "curated" if _text(row["basis"]) == "curated" else _text(row["reacherType"])
        reached[_text(row["objective"])][kind].append(_text(row["reacherLabel"]))
    for iri, objective in objectives.items():
        by_type = reached.get(iri, {})
        objective.criteria = by_type.get("criterion", [])
        objective.criteria_areas = by_type.get("criteria area", [])
        objective.agreements = by_type.get("agreement", [])
        objective.agencies = by_type.get("agency", [])
        objective.curated = sorted(set(by_type.get("curated", [])))
    columns = [KindColumn(kind, label, str(number))
               for number, (kind, label) in enumerate(sorted(kinds.items(), key=lambda item: item[1].casefold()), 1)]
    return Coverage(list(agencies.values()), list(objectives.values()), include_curated, columns)
