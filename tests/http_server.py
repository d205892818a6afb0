"""A local HTTP server for tests: serves a folder on 127.0.0.1 and plays scripted faults.

Tests never reach the internet; they put files in a folder, serve it with ``serve`` (or the
``http_server`` fixture) and script what the origin does wrong, path by path:

- ``fail(path, times, status)``: answer ``status`` (500 by default) the first ``times`` requests;
- ``redirect(path, target)``: answer 302 to ``target``, like a data.gouv.fr stable link;
- ``truncate(path, keep_bytes, times)``: announce the full Content-Length but send only
  ``keep_bytes`` bytes, then close the connection;
- ``stall(path, times)``: send nothing until the server stops, so the client's read timeout fires;
- ``count(path)``: how many requests reached ``path``, whatever the answer.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest


@dataclass
class _Fault:
    """What to do instead of serving a path; ``remaining`` None means every time."""

    kind: str
    remaining: int | None
    status: int = 500
    target: str = ""
    keep_bytes: int = 0


@dataclass
class Server:
    """A running test server; ``url`` is its base URL without a trailing slash."""

    url: str
    directory: Path
    _faults: dict[str, list[_Fault]] = field(default_factory=dict)
    _counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def fail(self, path: str, times: int = 1, status: int = 500) -> None:
        """Answer ``status`` to the next ``times`` requests of ``path``, then serve it normally."""
        self._add(path, _Fault("fail", times, status=status))

    def redirect(self, path: str, target: str, status: int = 302) -> None:
        """Answer every request of ``path`` with a redirect to ``target`` (a path or a URL)."""
        self._add(path, _Fault("redirect", None, status=status, target=target))

    def truncate(self, path: str, keep_bytes: int, times: int | None = None) -> None:
        """Send only ``keep_bytes`` of ``path`` under its full Content-Length (None: always)."""
        self._add(path, _Fault("truncate", times, keep_bytes=keep_bytes))

    def stall(self, path: str, times: int = 1) -> None:
        """Leave the next ``times`` requests of ``path`` unanswered until the server stops."""
        self._add(path, _Fault("stall", times))

    def count(self, path: str) -> int:
        """Return how many requests reached ``path``."""
        with self._lock:
            return self._counts[path]

    def url_for(self, path: str) -> str:
        """Return the absolute URL of ``path`` on this server."""
        return self.url + "/" + path.lstrip("/")

    def _add(self, path: str, fault: _Fault) -> None:
        with self._lock:
            self._faults.setdefault(_normal(path), []).append(fault)

    def _take(self, path: str) -> _Fault | None:
        """Count a request and return the fault that applies to it, if any."""
        with self._lock:
            self._counts[path] += 1
            for fault in self._faults.get(path, []):
                if fault.remaining is None:
                    return fault
                if fault.remaining > 0:
                    fault.remaining -= 1
                    return fault
            return None


def _normal(path: str) -> str:
    """Return the path part of a request target, with a leading slash."""
    return "/" + urlsplit(path).path.lstrip("/")


class _Handler(SimpleHTTPRequestHandler):
    """Serves files from the server's folder, unless a scripted fault applies."""

    server_state: Server

    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        path = _normal(self.path)
        fault = self.server_state._take(path)
        if fault is None:
            super().do_GET()
        elif fault.kind == "fail":
            self._send_error_body(fault.status)
        elif fault.kind == "redirect":
            target = fault.target
            if target.startswith("/"):
                target = self.server_state.url + target
            self.send_response(fault.status)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif fault.kind == "stall":
            self.server_state._stopping.wait()
            self.close_connection = True
        else:
            self._send_truncated(path, fault.keep_bytes)

    def _send_error_body(self, status: int) -> None:
        body = f"scripted failure {status}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_truncated(self, path: str, keep_bytes: int) -> None:
        file_path = Path(self.translate_path(path))
        data = file_path.read_bytes()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[:keep_bytes])
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        """Keep test output quiet."""


@contextmanager
def serve(directory: Path) -> Iterator[Server]:
    """Serve ``directory`` on 127.0.0.1 on a free port in a daemon thread, for the block's time."""
    directory = Path(directory)
    state = Server(url="", directory=directory)
    handler = type("ScriptedHandler", (_Handler,), {"server_state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(directory)))
    httpd.daemon_threads = True
    host, port = httpd.server_address[:2]
    state.url = f"http://{host}:{port}"
    thread = threading.Thread(
        target=httpd.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="test-http-server",
        daemon=True,
    )
    thread.start()
    try:
        yield state
    finally:
        state._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[Server]:
    """A test server over a fresh empty folder (``http_server.directory``) that tests fill."""
    root = tmp_path / "www"
    root.mkdir()
    with serve(root) as server:
        yield server
