"""Constants shared by tests/api/test_*.py (their fixtures live in conftest.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graph.store import EmbeddedStore, QueryResult
    from graph.store.sandbox import QueryJob

KG = "https://w3id.org/mmr-kg/def/"
KGID = "https://w3id.org/mmr-kg/id/"
HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def scripted_answer(store: EmbeddedStore, job: QueryJob) -> QueryResult:
    """A sandbox worker's answer, with two scripts for tests (runs in the worker process).

    ``# CRASH`` in a query kills the worker with SIGSEGV, as a parser stack overflow does.
    ``# GATE <path>`` holds the worker until the file ``path`` exists: "slow" by an event the
    test controls, not by the machine's speed. Everything else is answered from the store.
    """
    import os
    import signal
    import time

    from graph.store import QueryResult
    from graph.store.sandbox import evaluate

    if "# CRASH" in job.sparql:
        os.kill(os.getpid(), signal.SIGSEGV)
    if "# GATE " in job.sparql:
        gate = job.sparql.split("# GATE ", 1)[1].split()[0]
        while not os.path.exists(gate):
            time.sleep(0.01)
        return QueryResult("ask", boolean=True)
    return evaluate(store, job)
