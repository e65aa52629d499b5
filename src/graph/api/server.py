"""Run the app under uvicorn on a socket we open ourselves, so the printed address is the real one."""

from __future__ import annotations

import gc
import socket

import uvicorn
from fastapi import FastAPI

from graph.errors import GraphError


def listen(host: str, port: int) -> socket.socket:
    """Open a TCP listening socket on ``host:port`` (port 0 picks a free one).

    The socket is created with protocol ``IPPROTO_TCP``: asyncio sets ``TCP_NODELAY`` only
    on TCP-protocol sockets, and without it Nagle's algorithm and delayed ACKs add about
    40 ms to every small response.

    Raises:
        GraphError: the address cannot be used; the message says which and what to do.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise GraphError(f"cannot listen on {host}:{port}: {exc.strerror}. Pick another --port or --host.") from exc
    return sock


def base_url(sock: socket.socket) -> str:
    """Return ``http://host:port`` for a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


#: How many new container objects the collector lets pass before a young-generation run, while
#: serving (Python's default is 700): one answer builds thousands, nearly all freed by reference count.
YOUNG_GENERATION_THRESHOLD = 10_000


def settle_collector() -> None:
    """Put what start-up made out of the garbage collector's reach, and run it less often.

    The app, its schemas and the catalogue live as long as the process, yet every collection of
    the oldest generation walked them again; with ``gc.freeze`` it walks only what requests
    make. A profile of the cold catalogue path showed the collector as the largest single cost
    after the interpreter itself; docs/benchmarks-api.md measures the server as it runs.
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, oldest)


def serve(app: FastAPI, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until interrupted (the collector settled first: :func:`settle_collector`)."""
    settle_collector()
    # No Server banner: it tells an attacker which software and version to aim at.
    uvicorn.Server(uvicorn.Config(app, log_level="warning", server_header=False)).run(sockets=[sock])
