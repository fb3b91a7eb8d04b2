"""The readers' pages served for real: uvicorn on 127.0.0.1 (a port the OS picks), in a thread,
over a real store; a clock the test can move; a real SMTP server catching the mails.

    with PagesServer(settings, store) as pages:
        requests.get(pages.url + "/subscribe")
        pages.clock.advance(days=3)
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn

from paperwire.config import Settings
from paperwire.store import Store
from paperwire.web.app import create_app
from paperwire.web.guard import Limits

SECRET = "s3cr3t-for-tests-Q8w7e6r5t4y3u2i1o0pZ"


class Clock:
    """A clock that stands still until told to move."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class PagesServer:
    """`paperwire web`'s app, served by uvicorn in a thread. `settings.delivery.base_url`
    must be this server's URL: make the settings with `base_url=server_url(sock)`."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        sock: socket.socket,
        *,
        clock: Clock | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.clock = clock or Clock(dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC))
        self.url = settings.delivery.base_url
        self.sock = sock
        app = create_app(settings, store, clock=self.clock, limits=limits)
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the pages' server did not start")
            time.sleep(0.01)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def server_url(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"
