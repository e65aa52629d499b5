"""Knowledge graph of the Environmental Objectives Council's agencies and public procurement.

In a notebook, start with :func:`graph.open` (see :mod:`graph.notebook` and docs/python-api.md).
"""

from graph.build import build_graph, write_graph
from graph.config import Settings, default_settings, project_version
from graph.errors import BuildError, GraphError, QueryError
from graph.notebook import Graph, Rows, open
from graph.store import EmbeddedStore, QueryResult

__version__ = project_version()

__all__ = [
    "BuildError",
    "EmbeddedStore",
    "Graph",
    "GraphError",
    "QueryError",
    "QueryResult",
    "Rows",
    "Settings",
    "__version__",
    "build_graph",
    "default_settings",
    "open",
    "write_graph",
]
