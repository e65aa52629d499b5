"""Knowledge graph of the Environmental Objectives Council's agencies and public procurement."""

from graph.build import build_graph, write_graph
from graph.config import Settings, default_settings, project_version
from graph.errors import BuildError, GraphError, QueryError
from graph.store import EmbeddedStore, QueryResult

__version__ = project_version()

__all__ = [
    "BuildError",
    "EmbeddedStore",
    "GraphError",
    "QueryError",
    "QueryResult",
    "Settings",
    "__version__",
    "build_graph",
    "default_settings",
    "write_graph",
]
