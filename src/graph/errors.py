"""The project's exceptions. Each message says what is wrong and what to do."""

from __future__ import annotations

from pathlib import Path


class GraphError(Exception):
    """Base class of every error the library raises on purpose."""


class BuildError(GraphError):
    """A source file could not be read or parsed.

    ``str(error)`` reads ``file:line:column: message``, as compilers print it.
    """

    def __init__(self, message: str, path: Path | str | None = None,
                 line: int | None = None, column: int | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.column = column
        self.message = message
        location = ":".join(str(p) for p in (path, line, column) if p is not None)
        super().__init__(f"{location}: {message}" if location else message)


class QueryError(GraphError):
    """A query is malformed, unknown, or got parameters it cannot use.

    ``parameter`` names the query parameter at fault, when one is.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None, *,
                 parameter: str | None = None) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.parameter = parameter
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(where + message)


class QuerySyntaxError(QueryError):
    """A query is not valid SPARQL. ``str(error)`` is one readable line that says what and where,
    such as ``unknown prefix `foo:` at line 2, column 7``; ``line`` and ``column`` hold the place."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None, *,
                 parameter: str | None = None) -> None:
        super().__init__(message, line, column, parameter=parameter)
        self.args = (message,)


class QueryRefused(QueryError):
    """A query asks for something the read-only service does not allow."""


class QueryTooComplex(QueryError):
    """A query is nested too deeply, or chains too many operators, for the engine to parse safely."""


class QueryLimitExceeded(GraphError):
    """A query ran past its time limit (``reason == "time"``) or its result-size limit (``"rows"``)."""

    def __init__(self, message: str, *, reason: str) -> None:
        self.reason = reason
        super().__init__(message)


class ResultNotAcceptable(GraphError):
    """The client accepts none of the formats that can carry a result (HTTP 406)."""


class EndpointError(GraphError):
    """A remote SPARQL store is down, refused the request, or timed out."""


class NetworkError(GraphError):
    """An unknown projection or format, or a projection file that cannot be read."""


class RevisionError(GraphError):
    """A git revision cannot be found or holds no graph sources, or the folder is no git checkout."""
