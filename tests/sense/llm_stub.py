"""A real local HTTP server standing in for an OpenAI-compatible chat-completions endpoint.

The endpoint is the operator's, not ours, so tests of theme summaries talk to this stand-in
(http.server in a thread) over real sockets: it answers with canned model outputs and keeps
what it was asked, so a test can check exactly what left the site.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class StandIn:
    """What the stand-in server says next, and what it was asked.

    ``on_request`` (optional) runs in the server's thread when a request arrives, before the
    answer goes back: for tests of what happens when the world changes while the model writes.
    """

    def __init__(self) -> None:
        self.replies: list[tuple[int, bytes, float]] = []
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()  # ends a deliberate stall at teardown
        self.on_request: Callable[[], None] | None = None

    def answer(self, content: str, model: str = "stand-in-7b") -> None:
        envelope = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}},
            ],
        }
        self.raw(200, json.dumps(envelope).encode())

    def sentences(self, *sentences: dict[str, Any]) -> None:
        self.answer(json.dumps({"sentences": list(sentences)}))

    def raw(self, status: int, body: bytes, delay: float = 0.0) -> None:
        self.replies.append((status, body, delay))


@contextmanager
def serving() -> Iterator[tuple[StandIn, str]]:
    """Run a stand-in server for the ``with`` block: (its state, its base URL ending in /v1)."""
    state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            state.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": json.loads(self.rfile.read(length)),
                }
            )
            if state.on_request:
                state.on_request()
            status, body, delay = state.replies.pop(0)
            if delay:
                state.release.wait(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up waiting, as it should

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
