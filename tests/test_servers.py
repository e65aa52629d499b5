"""The tests' and benchmarks' helper for servers that bind their own port (tests/servers.py)."""

from __future__ import annotations

import sys

import httpx2

from servers import _stop, start_on_a_free_port

# A server that writes 256 kB to stderr on every request to /log: four times what a pipe holds.
CHATTY = """
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/log":
            sys.stderr.write("x" * 262144)
            sys.stderr.flush()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def test_a_server_that_logs_much_keeps_answering() -> None:
    """Its stderr is read once it is up: an unread pipe would fill on the first /log and block it."""
    process, port = start_on_a_free_port(lambda port: [sys.executable, "-c", CHATTY, str(port)],
                                         lambda port: f"http://127.0.0.1:{port}/")
    try:
        with httpx2.Client(timeout=30) as client:
            answers = [client.get(f"http://127.0.0.1:{port}/log").status_code for _ in range(4)]
        assert answers == [200] * 4
    finally:
        _stop(process)
