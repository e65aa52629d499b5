"""Reading SPARQL text without parsing it: refusing unsafe requests and binding parameters.

Both stores use these: the embedded one before handing the text to pyoxigraph, the
remote one before sending it. A small tokenizer skips comments, strings and IRIs, so a
keyword or variable inside them is never mistaken for one in the query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import pyoxigraph as ox

from graph.errors import QueryError, QueryRefused, QueryTooComplex

Term = ox.NamedNode | ox.BlankNode | ox.Literal

_TOKEN_RE = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
  | (?P<var>[?$][A-Za-z_][A-Za-z0-9_]*)
  | (?P<word>[A-Za-z_][\w-]*(?::(?:[\w.:%-]|\\[_~.!$&'()*+,;=/?\#@%-])*)?|:(?:[\w.:%-]|\\[_~.!$&'()*+,;=/?\#@%-])*)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_VAR_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
UPDATE_OPERATIONS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})

#: The deepest nesting of ``{ }``, ``( )`` and ``[ ]`` a query may have. Oxigraph's parser recurses
#: and overflows its stack (the process dies) at a few thousand levels; real queries use under 20.
MAX_NESTING = 128
#: The most operators (``UNION``, ``+ - * / ! | & ^``) a query may hold: long chains of them make
#: Oxigraph's parser recurse as deep as nesting does (it dies at about 10,000).
MAX_OPERATORS = 1_000
_OPENING = {"{": "}", "(": ")", "[": "]"}
_CLOSING = frozenset(_OPENING.values())
_OPERATORS = frozenset("+-*/!|&^")


class Token(NamedTuple):
    """One lexical piece of a query: its kind, its text and where it starts."""

    kind: str
    text: str
    start: int


def tokens(sparql: str) -> Iterator[Token]:
    """Yield the tokens of ``sparql`` that matter: no comments, no white space.

    >>> [t.text for t in tokens('SELECT ?s # not "this"\\nWHERE { ?s ?p "{" }')]
    ['SELECT', '?s', 'WHERE', '{', '?s', '?p', '"{"', '}']
    """
    for match in _TOKEN_RE.finditer(sparql):
        kind = match.lastgroup or "other"
        if kind not in ("comment", "space"):
            yield Token(kind, match.group(), match.start())


def refuse_unsafe(sparql: str) -> None:
    """Refuse what a read-only graph must never do: updates (``LOAD`` included) and ``SERVICE``,
    and queries too deeply nested for the engine's parser (see :func:`refuse_too_complex`).

    ``SERVICE`` is refused anywhere in the query, even ``SERVICE SILENT``: answering would
    mean contacting another host.

    Raises:
        QueryTooComplex: past :data:`MAX_NESTING` or :data:`MAX_OPERATORS`.
        QueryRefused: with a message saying what was refused and what to send instead.
    """
    refuse_too_complex(sparql)
    words = [t.text.upper() for t in tokens(sparql) if t.kind == "word"]
    first = next((w for w in _after_prologue(sparql)), "")
    if first in UPDATE_OPERATIONS:
        raise QueryRefused(f"{first} is a SPARQL Update operation; this graph is read-only. "
                           "Send a SELECT, ASK, CONSTRUCT or DESCRIBE query.")
    if "SERVICE" in words or (_SERVICE_TEXT.search(sparql) and _algebra_may_call_services(sparql)):
        raise QueryRefused("SERVICE calls are not allowed: this graph answers from its own data only "
                           "and never contacts other hosts.")


_SERVICE_TEXT = re.compile("service", re.IGNORECASE)


def refuse_too_complex(sparql: str) -> None:
    """Refuse, in one linear pass and before any parser sees it, a query nested deeper than
    :data:`MAX_NESTING` or holding more than :data:`MAX_OPERATORS` operators.

    Brackets and operators inside strings, IRIs and comments do not count.

    >>> refuse_too_complex("ASK { FILTER(" + "(" * 200 + "1" + ")" * 200 + ") }")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graph.errors.QueryTooComplex: line 1, column 140: the query nests brackets more than 128 deep ...

    Raises:
        QueryTooComplex: with the limit, and the line and column where it was passed.
    """
    depth = operators = 0
    for token in tokens(sparql):
        text = token.text
        if text in _OPENING:
            depth += 1
            if depth > MAX_NESTING:
                line, column = _line_column(sparql, token.start)
                raise QueryTooComplex(f"the query nests brackets more than {MAX_NESTING} deep (the limit "
                                      "here). Flatten it: fewer nested groups, sub-queries or parentheses.",
                                      line, column)
        elif text in _CLOSING:
            depth = max(depth - 1, 0)
        elif text in _OPERATORS or (token.kind == "word" and text.upper() == "UNION"):
            operators += 1
            if operators > MAX_OPERATORS:
                line, column = _line_column(sparql, token.start)
                raise QueryTooComplex(f"the query holds more than {MAX_OPERATORS:,} operators (UNION, + - * / "
                                      "! | & ^), the limit here. Split it, or use VALUES for long lists "
                                      "of alternatives.", line, column)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _algebra_may_call_services(sparql: str) -> bool:
    """Whether a query whose text mentions "service" has a SERVICE pattern, by rdflib's parser.

    A second opinion that does not depend on :func:`tokens`: escapes cannot spell the keyword,
    so a SERVICE clause always leaves "service" in the raw text. A query rdflib cannot parse
    counts as calling out (it is refused rather than risked).
    """
    from pyparsing import ParseException  # rdflib's parser costs ~0.2 s to import: only when needed
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    try:
        algebra = translateQuery(parseQuery(sparql)).algebra
    except (ParseException, ValueError, TypeError, KeyError, AttributeError):
        return True

    def has_service(node: object) -> bool:
        if isinstance(node, CompValue):
            return node.name == "ServiceGraphPattern" or any(has_service(v) for v in node.values())
        if isinstance(node, (list, tuple)):
            return any(has_service(v) for v in node)
        return False

    return has_service(algebra)


def _after_prologue(sparql: str) -> Iterator[str]:
    """Yield the upper-cased words of ``sparql`` after its PREFIX and BASE declarations."""
    skip = 0
    for token in tokens(sparql):
        if skip:
            skip -= 1
            continue
        word = token.text.upper() if token.kind == "word" else ""
        if word == "PREFIX":
            skip = 2
        elif word == "BASE":
            skip = 1
        elif word:
            yield word


def inline_bindings(sparql: str, bindings: Mapping[str, Term]) -> str:
    """Return ``sparql`` with each bound variable fixed by a one-row ``VALUES`` block.

    A block goes at the start of the outermost WHERE group (with every binding) and of each
    nested group pattern that mentions a bound variable (with those it mentions), so the
    variable holds the value everywhere, in ``OPTIONAL`` groups and sub-queries too, as with
    substitution. Each value is written in N-Triples form by pyoxigraph, which escapes it, so
    a value can never change the query's structure. Blocks go on the line of the group's
    brace, so line numbers in error messages stay those of the file.

    >>> print(inline_bindings("SELECT ?x WHERE { ?x ?p ?o }", {"o": ox.Literal('a" } DROP ALL #')}))
    SELECT ?x WHERE { VALUES (?o) { ("a\\" } DROP ALL #") } ?x ?p ?o }

    Raises:
        QueryError: a name is not a variable name, a value is a blank node, or the query
            has no group to bind in (or is the ``CONSTRUCT WHERE`` short form).
    """
    if not bindings:
        return sparql
    return binding_slots(sparql, bindings).bind(bindings)


@dataclass(frozen=True)
class BindingSlots:
    """Where the ``VALUES`` blocks of :func:`inline_bindings` go in one text, found once.

    ``outermost`` is the index after the outermost WHERE group's brace (``None``: the text
    has none, so it cannot take bindings); ``groups`` maps the index after each other group
    pattern's brace to the variables (of those asked about) it mentions directly.
    """

    sparql: str
    outermost: int | None
    groups: Mapping[int, frozenset[str]]
    problem: str = ""

    def bind(self, bindings: Mapping[str, Term]) -> str:
        """Return the text with ``bindings`` inlined; only variables asked about in
        :func:`binding_slots` go into nested groups (all go into the outermost one).

        Raises:
            QueryError: as :func:`inline_bindings`.
        """
        if not bindings:
            return self.sparql
        for name, term in bindings.items():
            if not _VAR_NAME_RE.match(name):
                raise QueryError(f"'{name}' is not a variable name; use letters, digits and '_'.")
            if isinstance(term, ox.BlankNode):
                raise QueryError(f"parameter '{name}' is a blank node, which a query cannot name. Use an IRI.")
        if self.outermost is None:
            raise QueryError(self.problem)
        inserts = {position: [n for n in bindings if n in names] for position, names in self.groups.items()}
        inserts[self.outermost] = list(bindings)
        out = self.sparql
        for position in sorted(inserts, reverse=True):
            names = inserts[position]
            if names:
                block = (" VALUES (" + " ".join(f"?{n}" for n in names) + ") { ("
                         + " ".join(str(bindings[n]) for n in names) + ") }")
                out = out[:position] + block + out[position:]
        return out


def binding_slots(sparql: str, names: Iterable[str]) -> BindingSlots:
    """Read ``sparql`` once and return where bindings of the variables ``names`` go.

    The catalogue does this when it loads (with every declared parameter and ``lang``), so a
    request only splices values in.

    >>> binding_slots("SELECT * { ?s ?p ?o OPTIONAL { ?s ?q ?v } }", ["v"]).bind({"v": ox.Literal("a")})
    'SELECT * { VALUES (?v) { ("a") } ?s ?p ?o OPTIONAL { VALUES (?v) { ("a") } ?s ?q ?v } }'
    """
    try:
        outermost, groups = _group_starts(sparql, set(names))
    except QueryError as exc:
        return BindingSlots(sparql, None, {}, exc.message)
    return BindingSlots(sparql, outermost, {position: frozenset(found) for position, found in groups.items()})


class CheckedQuery(str):
    """Query text that :func:`refuse_unsafe` has passed and whose bindings are inlined.

    The catalogue makes these (:meth:`graph.queries.PreparedQuery.bind`) from texts it checked
    when it loaded; the embedded store runs one without reading it again. Any edit of the
    text gives a plain ``str``, which is checked as usual.
    """

    __slots__ = ()


def _group_starts(sparql: str, names: set[str]) -> tuple[int, dict[int, set[str]]]:
    """Return the index after the outermost WHERE group's brace, and for every group pattern
    the bound variables it mentions directly.

    Not group patterns: a CONSTRUCT template, the data block of ``VALUES``, and the braces
    around a sub-query (its projection and ``GROUP BY`` belong to the sub-query).
    """
    stack: list[int | None] = []  # index after '{' for group patterns, None for other braces
    mentioned: dict[int, set[str]] = {}
    outermost: int | None = None
    form = previous = ""
    values_open = template_seen = False
    for token in tokens(sparql):
        word = token.text.upper() if token.kind == "word" else ""
        if previous == "{" and word == "SELECT" and stack:
            stack[-1] = None
        if token.kind == "open":
            end = token.start + 1
            if values_open:
                stack.append(None)
            elif not stack and form == "CONSTRUCT" and previous == "CONSTRUCT":
                stack.append(None)
                template_seen = True
            elif not stack and form == "CONSTRUCT" and previous == "WHERE" and not template_seen:
                raise QueryError("the short form 'CONSTRUCT WHERE { ... }' cannot take parameters. "
                                 "Write 'CONSTRUCT { template } WHERE { ... }'.")
            else:
                stack.append(end)
                if outermost is None and len(stack) == 1:
                    outermost = end
            values_open = False
        elif token.kind == "close":
            if stack:
                stack.pop()
        elif token.kind == "var" and token.text[1:] in names and stack and stack[-1] is not None:
            mentioned.setdefault(stack[-1], set()).add(token.text[1:])
        elif word in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE") and not form:
            form = word
        elif word == "VALUES":
            values_open = True
        previous = "{" if token.kind == "open" else (word or token.text)
    if outermost is None:
        raise QueryError("the query has no WHERE group to bind parameters into. "
                         "Add 'WHERE { ... }', or drop the parameters.")
    return outermost, {position: found for position, found in mentioned.items() if position is not None}

