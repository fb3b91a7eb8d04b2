"""A scripted HTTP server on 127.0.0.1 for tests that need real HTTP but no network.

    with LoopbackServer() as server:
        server.add("/feed", Reply(503), Reply(200, b"<rss/>"))   # consumed in order, last repeats
        server.serve_file("/static.xml", b"<x/>", "application/xml", etag='"v1"')
        server.add("/gone", Reply.dropped())                     # close without answering
        server.add("/slow", Reply(200, b"late", delay=2.0))      # answer after 2 s
        server.route("/now", lambda request: Reply(200, now()))  # computed per request
        ... fetch server.url + "/feed" ...
        assert server.requests[0].headers["User-Agent"] == "..."

Every request is recorded (method, path, query, headers, body, arrival time on time.monotonic),
whatever the route. Unknown paths get a 404. The server listens on 127.0.0.1 only (port 0, so
the OS picks a free one) and serves each connection in a daemon thread; `close()` wakes delayed
handlers and stops it. From a conftest.py:

    from loopback import loopback, loopback_factory  # noqa: F401  (pytest fixtures)
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit

import pytest

__all__ = [
    "LoopbackServer",
    "RecordedRequest",
    "Reply",
    "loopback",
    "loopback_factory",
]

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Reply:
    """One scripted answer. `delay` waits before answering; `drop` closes without answering;
    `drip` sends the body a byte at a time, this many seconds apart (a server that never
    stalls long enough for a read timeout, and never finishes)."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    reason: str | None = None
    drip: float = 0.0

    @classmethod
    def dropped(cls, *, delay: float = 0.0) -> Reply:
        """Read the request, then close the socket without sending a byte."""
        return cls(delay=delay, drop=True)


ReplyLike = Reply | int | tuple[int, Mapping[str, str], bytes]


def _as_reply(value: ReplyLike) -> Reply:
    if isinstance(value, Reply):
        return value
    if isinstance(value, int):
        return Reply(value)
    status, headers, body = value
    return Reply(status, body, headers)


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only request headers (repeated headers joined with ', ')."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        for name, value in items:
            key = name.lower()
            if key in self._items:
                value = f"{self._items[key][1]}, {value}"
            self._items[key] = (name, value)

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({dict(self._items.values())!r})"


@dataclass(frozen=True)
class RecordedRequest:
    """What a client sent. `time` is time.monotonic() when the request line had been read."""

    method: str
    path: str
    query: str
    headers: Headers
    body: bytes
    time: float

    @property
    def params(self) -> dict[str, str]:
        """The query string as a dict (first value of each name)."""
        return {name: values[0] for name, values in parse_qs(self.query, True).items()}


class _Route:
    def reply(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError


class _Scripted(_Route):
    def __init__(self, replies: list[Reply]) -> None:
        if not replies:
            raise ValueError("a scripted route needs at least one reply")
        self._replies = replies
        self._next = 0
        self._lock = threading.Lock()

    def reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            reply = self._replies[min(self._next, len(self._replies) - 1)]
            self._next += 1
            return reply


class _Dynamic(_Route):
    def __init__(self, handler: Callable[[RecordedRequest], ReplyLike]) -> None:
        self._handler = handler

    def reply(self, request: RecordedRequest) -> Reply:
        return _as_reply(self._handler(request))


class _Static(_Route):
    """A file with validators: 304 if If-None-Match (or, without it, If-Modified-Since) matches."""

    def __init__(
        self, body: bytes, content_type: str, etag: str | None, last_modified: str | None
    ) -> None:
        self._headers = {"Content-Type": content_type}
        if etag:
            self._headers["ETag"] = etag
        if last_modified:
            self._headers["Last-Modified"] = last_modified
        self._body = body
        self._etag = etag
        self._last_modified = last_modified

    def reply(self, request: RecordedRequest) -> Reply:
        validators = {k: v for k, v in self._headers.items() if k != "Content-Type"}
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None:
            if self._etag and _etag_matches(if_none_match, self._etag):
                return Reply(304, headers=validators)
        elif self._last_modified and _not_modified_since(
            request.headers.get("If-Modified-Since"), self._last_modified
        ):
            return Reply(304, headers=validators)
        return Reply(200, self._body, self._headers)


def _etag_matches(header: str, etag: str) -> bool:
    def weak(tag: str) -> str:
        return tag.strip().removeprefix("W/")

    return any(
        candidate.strip() == "*" or weak(candidate) == weak(etag) for candidate in header.split(",")
    )


def _not_modified_since(header: str | None, last_modified: str) -> bool:
    if not header:
        return False
    try:
        return email.utils.parsedate_to_datetime(
            last_modified
        ) <= email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return header.strip() == last_modified.strip()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real servers
    timeout = 10  # idle keep-alive connections end on their own
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest output clean

    def _serve(self) -> None:
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers=Headers(list(self.headers.items())),
            body=body,
            time=arrived,
        )
        owner = self.server.owner
        reply = owner._record_and_route(request)
        owner._enter()
        try:
            if reply.delay and owner._stopping.wait(reply.delay):
                self.close_connection = True
                return  # the server is closing: give up quietly
            if reply.drop:
                self.close_connection = True
                return  # the socket is closed after this handler: no status line at all
            self._write(reply)
        except OSError:
            self.close_connection = True  # the client went away (timed out): nothing to do
        finally:
            owner._leave()

    def _write(self, reply: Reply) -> None:
        headers = Headers(list(reply.headers.items()))
        self.send_response_only(reply.status, reply.reason)
        if "Date" not in headers:
            self.send_header("Date", self.date_time_string())
        if "Server" not in headers:
            self.send_header("Server", "loopback")
        no_body = self.command == "HEAD" or reply.status in (204, 304) or 100 <= reply.status < 200
        chunked = headers.get("Transfer-Encoding", "").lower() == "chunked"
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if not chunked and "Content-Length" not in headers and reply.status not in (204, 304):
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if no_body:
            return
        if chunked:
            for start in range(0, len(reply.body), 16 * 1024):
                chunk = reply.body[start : start + 16 * 1024]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif reply.drip:
            stopping = self.server.owner._stopping  # type: ignore[attr-defined]
            for index in range(len(reply.body)):
                self.wfile.write(reply.body[index : index + 1])
                self.wfile.flush()
                if stopping.wait(reply.drip):
                    return
        else:
            self.wfile.write(reply.body)
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that time out or disconnect are part of the tests


class LoopbackServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 answering from a route table (see module doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, _Route] = {}
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self.max_in_flight = 0
        """The most requests the server was answering at the same moment."""
        self._stopping = threading.Event()
        self._server = _Server((HOST, 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"loopback-{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """'http://127.0.0.1:PORT', without a trailing slash."""
        return f"http://{HOST}:{self.port}"

    def url_for(self, path: str) -> str:
        return self.url + path

    def add(self, path: str, *replies: ReplyLike) -> None:
        """Answer `path` with `replies` in order, the last one repeating. Replaces any route.

        A reply is a `Reply`, a bare status, or a `(status, headers, body)` tuple.
        """
        with self._lock:
            self._routes[path] = _Scripted([_as_reply(r) for r in replies])

    def route(self, path: str, handler: Callable[[RecordedRequest], ReplyLike]) -> None:
        """Answer `path` with whatever `handler(request)` returns, computed per request."""
        with self._lock:
            self._routes[path] = _Dynamic(handler)

    def serve_file(
        self,
        path: str,
        body: bytes,
        content_type: str = "application/octet-stream",
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Serve `body` at `path` with validators, answering 304 to a matching conditional GET."""
        with self._lock:
            self._routes[path] = _Static(body, content_type, etag, last_modified)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        """Wake delayed handlers and stop listening. Idempotent."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- called from handler threads ---------------------------------------------------------

    def _record_and_route(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            route = self._routes.get(request.path)
        if route is None:
            return Reply(
                404, f"no route for {request.path}".encode(), {"Content-Type": "text/plain"}
            )
        return route.reply(request)

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A fresh LoopbackServer, closed after the test."""
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def loopback_factory() -> Iterator[Callable[[], LoopbackServer]]:
    """Make as many LoopbackServers as a test needs (e.g. two 'hosts'); all closed afterwards."""
    servers: list[LoopbackServer] = []

    def make() -> LoopbackServer:
        server = LoopbackServer()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()
