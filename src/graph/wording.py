"""Words the CLI and the pages put around numbers: plural forms per language, numbers with
thousands separators, and labels of the external classes the counters show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graph.namespaces import PREFIXES

# Singular and plural of each counted word, per language (the sv words are our own UI text).
_FORMS: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "en": {
        "violation": ("violation", "violations"),
        "warning": ("warning", "warnings"),
        "info": ("info", "infos"),
        "statement": ("statement", "statements"),
        "named graph": ("named graph", "named graphs"),
    },
    "sv": {
        "violation": ("överträdelse", "överträdelser"),
        "warning": ("varning", "varningar"),
        "info": ("upplysning", "upplysningar"),
        "statement": ("påstående", "påståenden"),
        "named graph": ("namngiven graf", "namngivna grafer"),
    },
}


def plural(n: int, word: str, lang: str = "en") -> str:
    """Return ``word`` (a key such as ``violation``) in the form that goes with ``n`` in ``lang``.

    Raises:
        KeyError: a word or language this module has no forms for.

    Example:
        >>> plural(1, "warning"), plural(46, "warning", "sv"), plural(0, "violation", "sv")
        ('warning', 'varningar', 'överträdelser')
    """
    singular, many = _FORMS[lang][word]
    return singular if n == 1 else many


def number(n: int, lang: str = "en") -> str:
    """Return ``n`` with thousands separated as ``lang`` writes them.

    Example:
        >>> number(4344), number(4344, "sv")
        ('4,344', '4\\xa0344')
    """
    text = f"{n:,}"
    return text.replace(",", "\u00a0") if lang == "sv" else text


def count(n: int, word: str, lang: str = "en") -> str:
    """Return "``n`` ``word``" in the right plural form, e.g. ``0 violations`` or ``46 varningar``.

    Example:
        >>> count(0, "violation"), count(1, "info", "sv")
        ('0 violations', '1 upplysning')
    """
    return f"{number(n, lang)} {plural(n, word, lang)}"


@dataclass(frozen=True)
class ExternalLabel:
    """Labels of a class another vocabulary defines, by language, and where they were read."""

    labels: Mapping[str, str]
    source: str


# Labels of the external classes the counters show, as their own vocabulary gives them. A language
# missing here has no label from the source; the counters then show another language's label.
EXTERNAL_CLASS_LABELS: Mapping[str, ExternalLabel] = {
    PREFIXES["dcterms"] + "BibliographicResource": ExternalLabel(
        {"en": "Bibliographic Resource"},
        "https://www.dublincore.org/specifications/dublin-core/dcmi-terms/terms/BibliographicResource/"),
}
