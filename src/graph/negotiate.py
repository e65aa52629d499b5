"""HTTP content negotiation: parse ``Accept`` (q-values, ``type/*``, ``*/*``) and pick an offer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header."""

    type: str
    subtype: str
    q: float
    order: int

    def matches(self, media_type: str) -> bool:
        """Return whether ``media_type`` (``type/subtype``) falls in this range."""
        kind, _, sub = media_type.partition("/")
        return self.type in ("*", kind) and self.subtype in ("*", sub)

    @property
    def specificity(self) -> int:
        """2 for ``type/subtype``, 1 for ``type/*``, 0 for ``*/*``."""
        return (self.type != "*") + (self.subtype != "*")


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an ``Accept`` header; an empty or missing header accepts everything.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept("text/html;q=0.5, */*;q=0.1")]
    [('text', 'html', 0.5), ('*', '*', 0.1)]
    """
    ranges: list[MediaRange] = []
    for order, part in enumerate((header or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        kind, _, sub = fields[0].lower().partition("/")
        if not kind:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(kind, sub or "*", q, order))
    return ranges or [MediaRange("*", "*", 1.0, 0)]


def quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    """Return the q-value that ``ranges`` give ``media_type`` (the most specific match wins)."""
    matching = [r for r in ranges if r.matches(media_type)]
    if not matching:
        return 0.0
    best = max(matching, key=lambda r: (r.specificity, -r.order))
    return best.q


def choose(accept: str | None, offers: Sequence[str]) -> str | None:
    """Return the offer the client prefers most, or ``None`` when it accepts none of them.

    Ties go to the earlier offer, so list the server's preference first.

    >>> choose("text/csv;q=0.9, application/sparql-results+json", ["text/csv", "application/sparql-results+json"])
    'application/sparql-results+json'
    >>> choose("*/*", ["text/turtle", "application/ld+json"])
    'text/turtle'
    >>> choose("image/png", ["text/turtle"]) is None
    True
    """
    ranges = parse_accept(accept)
    scored = [(quality(ranges, offer), -i, offer) for i, offer in enumerate(offers)]
    best = max(scored, default=(0.0, 0, None))
    return best[2] if best[0] > 0 else None


def prefers_html(accept: str | None, data_offers: Sequence[str]) -> bool:
    """Return whether a client asks for HTML at least as much as for any data format.

    A missing ``Accept`` or plain ``*/*`` means a program, so it gets data.
    """
    ranges = parse_accept(accept)
    html = max((r.q for r in ranges if r.type == "text" and r.subtype == "html"), default=0.0)
    if html == 0.0:
        return False
    return html >= max((quality(ranges, o) for o in data_offers), default=0.0)
