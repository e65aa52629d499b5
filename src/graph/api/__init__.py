"""The HTTP API: a read-only SPARQL endpoint, the query catalogue as REST, and pages.

Example:
    >>> from graph.api import create_app
"""

from graph.api.app import create_app

__all__ = ["create_app"]
