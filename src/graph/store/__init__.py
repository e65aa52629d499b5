"""Where the graph lives and how it is asked: the embedded Oxigraph store or a remote endpoint.

``embedded`` holds the :class:`GraphStore` protocol, :class:`QueryResult` and the in-memory
store; ``remote`` a SPARQL 1.1 endpoint behind the same protocol; ``sparql_text`` reads query
text (refusing updates, binding parameters); ``push`` loads a built graph into a remote store;
``source`` picks the store a command works on.
"""

from graph.store.embedded import EarlyRows, EmbeddedStore, GraphStore, QueryResult, ResultKind
from graph.store.sparql_text import Term

__all__ = ["EarlyRows", "EmbeddedStore", "GraphStore", "QueryResult", "ResultKind", "Term"]
