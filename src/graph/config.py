"""One frozen settings object: where the sources are and where output goes."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import metadata, resources
from pathlib import Path

DISTRIBUTION = "mmr-kg"
#: Seconds to wait for each answer of a remote SPARQL store (``kg query``, ``kg push``, ``kg coverage``).
REMOTE_TIMEOUT_S = 60.0


@cache
def resource_root() -> Path:
    """Return the folder holding ``ontology/``, ``shapes/``, ``data/`` and ``queries/``.

    In an installed wheel they ship inside the package (``graph/resources``);
    in a checkout they are the repository's top-level folders.
    """
    packaged = Path(str(resources.files("graph"))) / "resources"
    if (packaged / "ontology").is_dir():
        return packaged
    return Path(__file__).resolve().parents[2]


@cache
def project_version() -> str:
    """Return the version of the installed distribution (kept in pyproject only)."""
    return metadata.version(DISTRIBUTION)


@dataclass(frozen=True)
class Settings:
    """Paths and limits used by every command. Build one with :func:`default_settings`.

    ``query_timeout_s`` and ``query_row_limit`` bound each query the API runs;
    ``remote_timeout_s`` is how long a command waits for a remote store's answer.
    """

    ontology_dir: Path
    shapes_dir: Path
    data_dir: Path
    queries_dir: Path
    out_dir: Path = Path("dist")
    query_timeout_s: float = 10.0
    remote_timeout_s: float = REMOTE_TIMEOUT_S
    query_row_limit: int = 10_000
    #: The limit for work over the whole graph the API does once and caches (validation, coverage, dumps).
    report_timeout_s: float = 120.0
    #: Worker processes for ad-hoc SPARQL (``kg serve --workers``), and how many requests may wait for one.
    sandbox_workers: int = 2
    sandbox_queue: int = 64
    #: The address the service is reached at (``kg serve --public-url``); never taken from ``Host``.
    public_url: str = "http://localhost:8000"
    #: Origins whose pages may read the API's answers (CORS); ``("*",)`` for any, ``()`` for none.
    cors_origins: tuple[str, ...] = ("*",)
    #: How long clients and shared caches may reuse an answer without asking (``Cache-Control: max-age``).
    cache_max_age_s: int = 300
    #: Catalogued queries' whole answers kept in memory (``kg serve --answer-cache``; 0 turns it off) and their byte budget.
    answer_cache_entries: int = 256
    answer_cache_bytes: int = 256 * 2**20
    #: An ordered answer of more rows than this serves pages within them before it is read whole.
    answer_first_rows: int = 1000
    #: Bytes of whole tagged HTTP answers kept as sent, so a repeated request runs nothing (0: off).
    response_cache_bytes: int = 64 * 2**20
    version: str = field(default_factory=project_version)

    @property
    def query_base_iri(self) -> str:
        """The base IRI of ad-hoc queries: relative IRIs resolve against the SPARQL endpoint."""
        return self.public_url.rstrip("/") + "/sparql"


def default_settings(**overrides: object) -> Settings:
    """Settings for the shipped sources, with any field overridden by keyword.

    >>> default_settings(out_dir=Path("/tmp/out")).out_dir
    PosixPath('/tmp/out')
    """
    root = resource_root()
    values: dict[str, object] = {
        "ontology_dir": root / "ontology",
        "shapes_dir": root / "shapes",
        "data_dir": root / "data",
        "queries_dir": root / "queries",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]
