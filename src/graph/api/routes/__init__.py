"""One router module per resource: ``sparql`` (the protocol endpoint), ``catalogue`` (``/queries``),
``pages`` (HTML and ``/id/…``), ``report`` (``/validate``, ``/report``), ``exports`` (dumps and
networks) and ``health``."""
