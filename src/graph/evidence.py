"""The evidence that travels with the data: the passages each citation quotes.

Every cited document with quotes has one file ``data/evidence/<document's local name>.md``
that records where the document is, how it was seen, and the passages quoted from it::

    # Title of the document

    - document: https://w3id.org/mmr-kg/id/source-report
    - address: https://example.org/page   (or "none")
    - seen: how and when the passages were read

    ## Passages

    > a verbatim passage

Every ``kg:quote`` must occur, whitespace aside, in the passages of its document's file, so a
fresh clone can check every quote without the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from graph.errors import BuildError
from graph.namespaces import KGID as ID_BASE
from graph.namespaces import PREFIXES, compact

_FIELD_RE = re.compile(r"^- (document|address|seen):\s*(.*)$")
_QUOTES = f"""SELECT ?citation ?document ?quote ?address WHERE {{
    ?citation <{PREFIXES["prov"]}wasQuotedFrom> ?document ; <{PREFIXES["kg"]}quote> ?quote .
    OPTIONAL {{ ?document <{PREFIXES["kg"]}webAddress> ?address }}
}} ORDER BY ?citation ?quote"""


@dataclass(frozen=True)
class Evidence:
    """One evidence file: the document it records and the passages seen in it."""

    path: Path
    document: str
    address: str | None
    seen: str
    passages: tuple[str, ...]

    def holds(self, quote: str) -> bool:
        """Whether ``quote`` occurs in one of the passages, white space folded.

        >>> Evidence(Path("x.md"), "d", None, "", ("Ett  rikt\\nodlingslandskap.",)).holds("rikt odlingslandskap")
        True
        """
        wanted = normalise(quote)
        return any(wanted in normalise(passage) for passage in self.passages)


@dataclass(frozen=True)
class QuoteProblem:
    """A citation whose quote the evidence does not hold, or an evidence file that is wrong."""

    subject: str
    message: str


def normalise(text: str) -> str:
    """Fold runs of white space (no-break spaces included) into one space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def read_evidence(path: Path) -> Evidence:
    """Read one evidence file.

    Raises:
        BuildError: the file lacks its ``- document:`` or ``- seen:`` line, or has no passage
            (the message names the file and line, and what to add).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"cannot read the evidence file: {exc}.", path) from exc
    fields: dict[str, str] = {}
    passages: list[list[str]] = []
    in_passages = False
    previous_quoted = False
    for line in lines:
        match = _FIELD_RE.match(line)
        if match and not in_passages:
            fields[match[1]] = match[2].strip()
        elif line.strip() == "## Passages":
            in_passages = True
        elif in_passages and line.startswith(">"):
            text = line[1:].strip()
            if previous_quoted:
                passages[-1].append(text)
            else:
                passages.append([text])
        previous_quoted = in_passages and line.startswith(">")
    for name in ("document", "seen"):
        if not fields.get(name):
            raise BuildError(f"no '- {name}:' line. Add it above '## Passages' (see graph/evidence.py).", path, 1)
    if not passages:
        raise BuildError("no passage. Add '## Passages' and one '> verbatim passage' per quoted passage.",
                         path, len(lines) or 1)
    address = fields.get("address")
    return Evidence(path, fields["document"], None if address in (None, "", "none") else address,
                    fields["seen"], tuple("\n".join(p) for p in passages))


def load_evidence(folder: Path) -> dict[str, Evidence]:
    """Read every ``*.md`` in ``folder``, by the IRI of the document each records.

    Raises:
        BuildError: a file is malformed, or is not named after its document's local name.
    """
    found: dict[str, Evidence] = {}
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        evidence = read_evidence(path)
        expected = evidence.document.removeprefix(ID_BASE)
        if path.stem != expected:
            raise BuildError(f"this file records {evidence.document}, so it must be named {expected}.md.", path, 3)
        found[evidence.document] = evidence
    return found


def check_quotes(store: ox.Store, evidence: dict[str, Evidence]) -> list[QuoteProblem]:
    """Return every quote in ``store`` that its document's evidence does not hold.

    Also reported: an evidence address that differs from the document's ``kg:webAddress``.
    """
    problems: list[QuoteProblem] = []
    for row in store.query(_QUOTES, use_default_graph_as_union=True):  # type: ignore[union-attr]
        citation, document, quote, address = (term.value if term is not None else None for term in row)
        assert citation is not None and document is not None and quote is not None
        found = evidence.get(document)
        name = document.removeprefix(ID_BASE)
        if found is None:
            problems.append(QuoteProblem(citation, f"quotes {_short(quote)} from {name}, which has no evidence "
                                                   f"file. Create data/evidence/{name}.md with the passage."))
        elif not found.holds(quote):
            problems.append(QuoteProblem(citation, f"quotes {_short(quote)}, which is not in the passages of "
                                                   f"{found.path.name}. Copy the passage there verbatim from "
                                                   f"the document, or correct the quote."))
        elif address is not None and found.address is not None and found.address != address:
            problems.append(QuoteProblem(citation, f"{found.path.name} gives the address {found.address}, but "
                                                   f"{name} has kg:webAddress {address}. Make them agree."))
    return problems


def raise_for_problems(problems: list[QuoteProblem], sources: Iterable[Path]) -> None:
    """Raise one :class:`BuildError` listing ``problems``, each at the line that states its subject.

    Raises:
        BuildError: when there is any problem; its message has one ``file:line: message`` row each.
    """
    if not problems:
        return
    texts = {path: path.read_text(encoding="utf-8").splitlines() for path in sources if path.suffix == ".ttl"}
    rows = []
    for problem in problems:
        where = locate_subject(problem.subject, texts)
        rows.append(f"{where}: {problem.message}" if where else f"{problem.subject}: {problem.message}")
    first = rows[0]
    more = "".join(f"\n  {row}" for row in rows[1:])
    raise BuildError(f"{len(problems)} quote(s) not backed by the evidence files:\n  {first}{more}")


def locate_subject(iri: str, texts: dict[Path, list[str]]) -> str | None:
    """``path:line`` of the first line among ``texts`` (a file's lines by path) that starts a
    statement about ``iri``, written as a prefixed name or in full; ``None`` when none does."""
    starts = (compact(iri, brackets=True) + " ", f"<{iri}>")
    for path, lines in texts.items():
        for number, line in enumerate(lines, start=1):
            if line.startswith(starts):
                return f"{path}:{number}"
    return None


def _short(quote: str) -> str:
    text = normalise(quote)
    return repr(text if len(text) <= 60 else text[:57] + "...")
