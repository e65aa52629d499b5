"""Reading SPARQL text without parsing it: refusing unsafe requests, binding parameters,
declaring the project's prefixes, and explaining the parser's syntax errors.

Both stores use these: the embedded one before handing the text to pyoxigraph, the
remote one before sending it. A small tokenizer skips comments, strings and IRIs, so a
keyword or variable inside them is never mistaken for one in the query.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import pyoxigraph as ox

from graph.errors import QueryError, QueryRefused, QuerySyntaxError, QueryTooComplex
from graph.namespaces import PREFIXES

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
    mean contacting another host. The text is read once, for all three checks.

    Raises:
        QueryTooComplex: past :data:`MAX_NESTING` or :data:`MAX_OPERATORS`.
        QueryRefused: with a message saying what was refused and what to send instead.
    """
    words = _words_within_limits(sparql)
    first = _first_after_prologue(words)
    if first in UPDATE_OPERATIONS:
        raise QueryRefused(f"{first} is a SPARQL Update operation; this graph is read-only. "
                           "Send a SELECT, ASK, CONSTRUCT or DESCRIBE query.")
    calls_out = any(word.text == "SERVICE" for word in words)
    if calls_out or (_SERVICE_TEXT.search(sparql) and _algebra_may_call_services(sparql)):
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
    _words_within_limits(sparql)


class _Word(NamedTuple):
    """A word of a query, upper-cased, and its position among the query's tokens."""

    text: str
    position: int


def _words_within_limits(sparql: str) -> list[_Word]:
    """Return the words of ``sparql``, upper-cased, after refusing it past the nesting or operator
    limit (see :func:`refuse_too_complex`): one pass of the tokenizer for both."""
    depth = operators = 0
    words: list[_Word] = []
    for position, token in enumerate(tokens(sparql)):
        text = token.text
        if token.kind == "word":
            text = text.upper()
            words.append(_Word(text, position))
            if text == "UNION":
                operators += 1
        elif text in _OPENING:
            depth += 1
            if depth > MAX_NESTING:
                line, column = _line_column(sparql, token.start)
                raise QueryTooComplex(f"the query nests brackets more than {MAX_NESTING} deep (the limit "
                                      "here). Flatten it: fewer nested groups, sub-queries or parentheses.",
                                      line, column)
        elif text in _CLOSING:
            depth = max(depth - 1, 0)
        elif text in _OPERATORS:
            operators += 1
        if operators > MAX_OPERATORS:
            line, column = _line_column(sparql, token.start)
            raise QueryTooComplex(f"the query holds more than {MAX_OPERATORS:,} operators (UNION, + - * / "
                                  "! | & ^), the limit here. Split it, or use VALUES for long lists "
                                  "of alternatives.", line, column)
    return words


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

    try:  # the project's prefixes need no PREFIX lines (as in the stores)
        algebra = translateQuery(parseQuery(declare_prefixes(sparql))).algebra
    except (ParseException, ValueError, TypeError, KeyError, AttributeError):
        return True
    except Exception as exc:  # rdflib raises a bare Exception for an undeclared prefix
        if str(exc).startswith("Unknown namespace prefix"):
            return False  # pyoxigraph refuses the same text before evaluating anything (an unknown prefix)
        raise

    def has_service(node: object) -> bool:
        if isinstance(node, CompValue):
            return node.name == "ServiceGraphPattern" or any(has_service(v) for v in node.values())
        if isinstance(node, (list, tuple)):
            return any(has_service(v) for v in node)
        return False

    return has_service(algebra)


def _first_after_prologue(words: list[_Word]) -> str:
    """Return the first word after the PREFIX and BASE declarations ("" when there is none).

    A declaration's name and IRI are tokens too (``PREFIX ex: <…>``: the two after ``PREFIX``;
    ``BASE <…>``: the one after ``BASE``), so a word among them is skipped, by its position.
    """
    after = 0
    for word in words:
        if word.position < after:
            continue
        if word.text == "PREFIX":
            after = word.position + 3
        elif word.text == "BASE":
            after = word.position + 2
        else:
            return word.text
    return ""


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



def undeclared_prefixes(sparql: str) -> list[str]:
    """Return the project prefixes (:data:`graph.namespaces.PREFIXES`) that ``sparql`` uses in a
    prefixed name but does not declare, in the order first used.

    >>> undeclared_prefixes("PREFIX kg: <http://example.org/>\\nSELECT * { ?s a kg:X, skos:Concept ; ex:p 'owl:x' }")
    ['skos']
    """
    declared: set[str] = set()
    used: list[str] = []
    previous = ""
    for token in tokens(sparql):
        if token.kind == "word" and ":" in token.text:
            name = token.text.split(":", 1)[0]
            if previous == "PREFIX":
                declared.add(name)
            elif name in PREFIXES and name not in used:
                used.append(name)
        previous = token.text.upper() if token.kind == "word" else token.text
    return [name for name in used if name not in declared]


def declare_prefixes(sparql: str) -> str:
    """Return ``sparql`` with ``PREFIX`` declarations for the project prefixes it uses but does not
    declare, for stores that take no default prefixes; a query's own declarations win. They go on
    the first line, so line numbers in the store's error messages stay those of the text.

    >>> declare_prefixes("SELECT * {\\n ?s a kg:Agency }")
    'PREFIX kg: <https://w3id.org/mmr-kg/def/> SELECT * {\\n ?s a kg:Agency }'
    """
    missing = undeclared_prefixes(sparql)
    return "".join(f"PREFIX {name}: <{PREFIXES[name]}> " for name in missing) + sparql


_SYNTAX_AT_RE = re.compile(r"^error at (\d+):(\d+): (?:expected (?:one of )?)?")
_EXPECTED_ITEM_RE = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|\[(?:'(?:[^'\\]|\\.)*'|[^\]'])*\]|[^,]+)\s*,?""", re.DOTALL)
_UNKNOWN_PREFIX = "Prefix not found"
_BAD_IRI = "IRI parsing failed"
#: The most alternatives a syntax error lists; the parser's list can be long and says little more.
MAX_EXPECTED = 10


def syntax_error(sparql: str, exc: SyntaxError) -> QuerySyntaxError:
    """Explain pyoxigraph's syntax error for ``sparql`` in one readable line with line and column.

    pyoxigraph writes ``error at 2:15: expected one of Prefix not found, ['%'], …`` with Unicode
    ranges; this names the unknown prefix or bad IRI where it starts, or says what was expected
    (keywords and punctuation; character classes as "a name", "a number") and what was found.

    >>> str(syntax_error("SELECT * {\\n  ?s a foo:Bar }", SyntaxError("error at 2:15: expected one of Prefix not found, ['%']")))
    'unknown prefix `foo:` at line 2, column 8 (declare it: PREFIX foo: <…>)'
    >>> str(syntax_error("SELECT * { ?s ?p ?o } LIMIT x",
    ...                  SyntaxError("error at 1:29: expected one of HAVING, OFFSET, ['0'..='9']")))
    'syntax error at line 1, column 29: expected HAVING, OFFSET or a number, found `x`'
    """
    text = exc.msg or str(exc)
    match = _SYNTAX_AT_RE.match(text)
    if match is None:
        first = text.strip().splitlines()[0] if text.strip() else "the query is not valid SPARQL"
        return QuerySyntaxError(f"syntax error: {first}", exc.lineno, exc.offset)
    line, column = int(match[1]), int(match[2])
    if not sparql.strip():
        return QuerySyntaxError("the query is empty: write a SELECT, ASK, CONSTRUCT or DESCRIBE query", line, column)
    offset = _offset(sparql, line, column)
    expected, sentences = _expected(text[match.end():])
    if _UNKNOWN_PREFIX in sentences:
        names = [t for t in tokens(sparql) if t.kind == "word" and ":" in t.text and t.start < offset]
        if names:
            name = names[-1]
            prefix = name.text.split(":", 1)[0]
            line, column = _line_column(sparql, name.start)
            return QuerySyntaxError(f"unknown prefix `{prefix}:` at line {line}, column {column} "
                                    f"(declare it: PREFIX {prefix}: <…>)", line, column)
    if _BAD_IRI in sentences:
        start = sparql.rfind("<", 0, offset)
        if start >= 0:
            iri = sparql[start:offset].strip()
            line, column = _line_column(sparql, start)
            return QuerySyntaxError(f"invalid IRI `{iri}` at line {line}, column {column}: an IRI holds no spaces "
                                    "and none of <>\"{}|^`\\", line, column)
    where = f"syntax error at line {line}, column {column}"
    others = [s for s in sentences if s not in (_UNKNOWN_PREFIX, _BAD_IRI)]
    if others:
        return QuerySyntaxError(f"{where}: {others[0]}", line, column)
    found = re.match(r"\s*(\w+|\S)", sparql[offset:])
    seen = f"`{found.group(1)}`" if found else "the end of the query"
    if not expected:
        return QuerySyntaxError(f"{where}: unexpected {seen.removeprefix('the ')}", line, column)
    shown = expected[:MAX_EXPECTED] + (["…"] if len(expected) > MAX_EXPECTED else [])
    listing = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
    return QuerySyntaxError(f"{where}: expected {listing}, found {seen}", line, column)


def _offset(text: str, line: int, column: int) -> int:
    """Return the index in ``text`` of a 1-based line and column (in characters)."""
    start = 0
    for _ in range(line - 1):
        newline = text.find("\n", start)
        if newline < 0:
            return len(text)
        start = newline + 1
    return min(start + column - 1, len(text))


def _expected(listing: str) -> tuple[list[str], list[str]]:
    """Split the parser's "expected" list into readable alternatives and the sentences among them.

    Punctuation comes back in backticks, keywords as they are, character classes as what they
    stand for ("a name", "a number"); ``[_]`` (any character) is dropped.
    """
    expected: list[str] = []
    sentences: list[str] = []
    for match in _EXPECTED_ITEM_RE.finditer(listing):
        item = match.group(1).strip()
        if not item:
            continue
        if item.startswith('"'):
            try:
                shown = f"`{json.loads(item)}`"
            except ValueError:
                shown = f"`{item[1:-1]}`"
        elif item.startswith("["):
            shown = _character_class(item)
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", item):
            shown = item
        else:
            sentences.append(item)
            continue
        if shown and shown not in expected:
            expected.append(shown)
    return expected, sentences


def _character_class(item: str) -> str:
    """Describe a parser character class such as ``['0'..='9']`` or ``['%']``; ``""`` for ``[_]``."""
    if item == "[_]":
        return ""
    if "..=" in item:
        return "a name" if "'A'" in item or "'a'" in item else "a number" if "'0'" in item else "a character"
    single = re.fullmatch(r"\['(.+)'\]", item)
    return f"`{single.group(1).replace(chr(92) * 2, chr(92))}`" if single else "a character"
