"""A stand-in hub that answers every request with 503 and a problem body, as a hub shedding load
does: for the node's tests of a busy hub."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Busy(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = b'{"title": "Overloaded", "status": 503}'
        self.send_response(503)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def busy_hub() -> Iterator[str]:
    """The stand-in's base URL, serving until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
