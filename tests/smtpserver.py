"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd) that records every message and can be
told to misbehave.

    with SmtpTestServer() as server:                   # plain SMTP, no TLS, no AUTH
        server.refuse("bob@example.org", code=451, text="4.3.0 Try again later")  # once, RCPT
        server.reject("eve@example.org")               # 550 5.1.1 at RCPT, every time
        server.drop_after(2)     # 2 accepted, then the next DATA: connection closed, no reply
        with SmtpTransport(smtp_settings(server)) as transport:
            ... transport.send(message) ...
        server.wait_for(3, timeout=2)                  # three messages accepted (250)
        server.messages[0].mail_from, .rcpt_tos, .data, .parsed()
        server.arrivals          # every message whose DATA came in, answered or not
        server.connections       # one client address per connection (EHLO/HELO)

    release = server.hold()      # each DATA now waits for release.set() before its answer
    ... a client (another process, say) sends ...
    server.wait_for_arrivals(1)  # its bytes are in; the client waits for the reply
    ... kill the client, or release.set() (server.release() also stops holding) ...

    SmtpTestServer(tls="starttls", require_starttls=True, credentials=("user", "secret"))
    SmtpTestServer(tls="ssl")                     # implicit TLS (SMTPS)

TLS uses a throwaway CA made by trustme (one per test session); `server.client_context()` is
an SSLContext that trusts it and `server.ca_file(path)` writes it as PEM. The server listens
on 127.0.0.1 only, on a port the OS picks. From a conftest.py:

    from smtpserver import smtp_server, smtp_ssl_server, smtp_tls_server  # noqa: F401
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import functools
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NamedTuple, Self

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from paperwire.config import SmtpSettings

__all__ = [
    "Credentials",
    "ReceivedMessage",
    "SmtpTestServer",
    "smtp_server",
    "smtp_settings",
    "smtp_ssl_server",
    "smtp_tls_server",
]

HOST = "127.0.0.1"
TEST_CREDENTIALS = ("digest-sender", "s3cret-Pa55word")


class Credentials(NamedTuple):
    username: str
    password: str


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as it arrived: the envelope, the bytes (dot-unstuffed) and the peer."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    peer: tuple[str, int]

    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class _Refusal:
    recipient: str
    code: int
    text: str
    at: Literal["rcpt", "data"]
    times: int | None


@functools.cache
def _ca() -> trustme.CA:
    return trustme.CA()


class _Controller(Controller):
    """aiosmtpd's Controller on a socket bound beforehand: 1.4.6 takes a port number and would
    try to reach port 0 itself; binding first lets the OS pick a free port we can read back."""

    def __init__(self, handler: Any, listening: socket.socket, **kwargs: Any) -> None:
        self._listening = listening
        super().__init__(handler, hostname=HOST, port=listening.getsockname()[1], **kwargs)

    def _create_server(self) -> Any:
        return self.loop.create_server(
            self._factory_invoker, sock=self._listening, ssl=self.ssl_context
        )


class SmtpTestServer:
    """An aiosmtpd server in a thread, recording messages; see the module docstring."""

    def __init__(
        self,
        *,
        tls: Literal["none", "starttls", "ssl"] = "none",
        require_starttls: bool = False,
        credentials: tuple[str, str] | None = None,
        auth_required: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.tls = tls
        self.credentials = Credentials(*credentials) if credentials else None
        self.auth_required = auth_required
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._messages: list[ReceivedMessage] = []
        self._arrivals: list[ReceivedMessage] = []
        self._connections: list[tuple[str, int]] = []
        self._mail_froms: list[str] = []
        self._logins: list[tuple[str, bool]] = []
        self._refusals: list[_Refusal] = []
        self._drop_after: int | None = None
        self._dropped = 0
        self._held: threading.Event | None = None
        self._hold_after = 0
        self._stopping = threading.Event()
        self.latency = 0.0  # seconds before answering each DATA, as a distant relay takes

        tls_context = self._server_context() if tls != "none" else None
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listening.bind((HOST, 0))
        self.port: int = listening.getsockname()[1]
        self._controller = _Controller(
            _Handler(self),
            listening,
            ssl_context=tls_context if tls == "ssl" else None,
            server_hostname="smtp.test",  # else aiosmtpd asks socket.getfqdn()
            ident="paperwire test SMTP",
            tls_context=tls_context if tls == "starttls" else None,
            require_starttls=require_starttls and tls == "starttls",
            authenticator=self._authenticate if credentials else None,
            # aiosmtpd offers AUTH only after STARTTLS (implicit TLS does not count for it);
            # with credentials on implicit TLS or plain SMTP, offer it at once. Whether MAIL
            # needs a login is checked by handle_MAIL: aiosmtpd's auth_required warns when
            # AUTH is offered without STARTTLS.
            auth_require_tls=not (credentials and tls != "starttls"),
            timeout=timeout,
        )
        self._controller.start()

    # -- telling it how to behave ------------------------------------------------------------

    def refuse(
        self,
        recipient: str,
        code: int = 451,
        text: str = "4.3.0 Try again later",
        *,
        times: int | None = 1,
        at: Literal["rcpt", "data"] = "rcpt",
    ) -> None:
        """Answer `code text` for `recipient` the next `times` times (None: always), at RCPT
        (default) or at the end of DATA (the message is then in `arrivals`, not `messages`)."""
        with self._lock:
            self._refusals.append(_Refusal(recipient.lower(), code, text, at, times))

    def reject(self, recipient: str, *, times: int | None = None) -> None:
        """Refuse `recipient` for good at RCPT: 550 5.1.1 Mailbox unavailable."""
        self.refuse(recipient, 550, "5.1.1 Mailbox unavailable", times=times)

    def drop_after(self, count: int) -> None:
        """Once `count` messages have been accepted in all, close the connection at the next
        message's end of DATA without a reply (once). That message is in `arrivals` only."""
        with self._lock:
            self._drop_after = count

    def hold(self, release: threading.Event | None = None, *, after: int = 0) -> threading.Event:
        """From now on, answer each DATA only when `release` (returned) is set; with `after`,
        only once that many messages have been accepted. A client that goes away while held
        leaves its message in `arrivals`, not in `messages`."""
        event = release or threading.Event()
        with self._lock:
            self._held = event
            self._hold_after = after
        return event

    def release(self) -> None:
        """Answer held messages and hold no more."""
        with self._lock:
            held, self._held = self._held, None
        if held is not None:
            held.set()

    # -- what happened ----------------------------------------------------------------------

    @property
    def messages(self) -> list[ReceivedMessage]:
        """Accepted messages (answered 250), in order."""
        with self._lock:
            return list(self._messages)

    @property
    def arrivals(self) -> list[ReceivedMessage]:
        """Every message whose data arrived, answered or not (held, dropped, refused)."""
        with self._lock:
            return list(self._arrivals)

    @property
    def connections(self) -> list[tuple[str, int]]:
        """The client address of each connection that said EHLO or HELO, in order."""
        with self._lock:
            return list(self._connections)

    @property
    def mail_froms(self) -> list[str]:
        """Every MAIL FROM address, accepted or not: any attempt to send at all."""
        with self._lock:
            return list(self._mail_froms)

    @property
    def logins(self) -> list[tuple[str, bool]]:
        """(user name, accepted) for each AUTH attempt."""
        with self._lock:
            return list(self._logins)

    @property
    def dropped(self) -> int:
        """How many connections `drop_after` has closed."""
        with self._lock:
            return self._dropped

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Wait until `count` messages are accepted; fail the test after `timeout` seconds."""
        return self._wait(self._messages, count, timeout, "accepted")

    def wait_for_arrivals(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Wait until the data of `count` messages has arrived (held ones included)."""
        return self._wait(self._arrivals, count, timeout, "arrived")

    # -- TLS ---------------------------------------------------------------------------------

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate (and checks its name)."""
        context = ssl.create_default_context()
        _ca().configure_trust(context)
        return context

    def ca_file(self, directory: Path) -> Path:
        """Write the CA certificate as PEM into `directory`; return its path."""
        path = directory / "test-ca.pem"
        _ca().cert_pem.write_to_path(str(path))
        return path

    @staticmethod
    def _server_context() -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        _ca().issue_cert("127.0.0.1", "localhost").configure_cert(context)
        return context

    # -- life --------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop listening and end every session (held ones too). Idempotent."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._controller.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- called on the server's event-loop thread --------------------------------------------

    def _wait(
        self, items: list[ReceivedMessage], count: int, timeout: float, what: str
    ) -> list[ReceivedMessage]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(items) >= count, timeout):
                pytest.fail(f"{len(items)} messages {what} after {timeout} s, expected {count}")
            return list(items)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        expected = self.credentials
        ok = False
        login = ""
        if isinstance(data, LoginPassword) and expected is not None:
            login = data.login.decode("utf-8", "replace")
            ok = (login, data.password.decode("utf-8", "replace")) == tuple(expected)
        with self._lock:
            self._logins.append((login, ok))
        return AuthResult(success=ok, handled=False)

    def _refusal(self, recipients: list[str], at: str) -> str | None:
        with self._lock:
            for refusal in self._refusals:
                if refusal.at == at and refusal.recipient in (r.lower() for r in recipients):
                    if refusal.times is not None:
                        refusal.times -= 1
                        if refusal.times <= 0:
                            self._refusals.remove(refusal)
                    return f"{refusal.code} {refusal.text}"
        return None

    def _record(self, target: list[ReceivedMessage], message: ReceivedMessage) -> int:
        with self._changed:
            target.append(message)
            self._changed.notify_all()
            return len(target)

    def _take_drop(self) -> bool:
        with self._lock:
            if self._drop_after is None or len(self._messages) < self._drop_after:
                return False
            self._drop_after = None
            self._dropped += 1
            return True

    def _wait_for_release(self, event: threading.Event) -> None:
        while not event.wait(0.02):
            if self._stopping.is_set():
                return


class _Handler:
    """aiosmtpd handler hooks (called on the server's event loop)."""

    def __init__(self, owner: SmtpTestServer) -> None:
        self.owner = owner

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list
    ) -> list:
        session.host_name = hostname  # with this hook, aiosmtpd leaves it to us
        self._connected(session)
        return responses

    async def handle_HELO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str
    ) -> str:
        session.host_name = hostname
        self._connected(session)
        return f"250 {server.hostname}"

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        owner = self.owner
        with owner._lock:
            owner._mail_froms.append(address)
        if owner.auth_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        refusal = self.owner._refusal([address], "rcpt")
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        owner = self.owner
        content = envelope.content
        assert isinstance(content, bytes) and envelope.mail_from is not None
        message = ReceivedMessage(
            envelope.mail_from, tuple(envelope.rcpt_tos), content, tuple(session.peer)
        )
        owner._record(owner._arrivals, message)
        if owner._take_drop():
            assert server.transport is not None
            server.transport.close()
            # connection_lost cancels this coroutine: the client never gets a reply.
            await asyncio.sleep(60)
            return "421 4.4.2 Connection dropped"  # not reached: the connection is gone
        if owner.latency:
            await asyncio.sleep(owner.latency)
        with owner._lock:
            held = owner._held if len(owner._messages) >= owner._hold_after else None
        if held is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, owner._wait_for_release, held)
        refusal = owner._refusal(envelope.rcpt_tos, "data")
        if refusal is not None:
            return refusal
        number = owner._record(owner._messages, message)
        return f"250 2.0.0 Ok: queued as {number:04X}"

    def _connected(self, session: Session) -> None:
        owner, peer = self.owner, tuple(session.peer)
        with owner._lock:
            if peer not in owner._connections:  # STARTTLS makes the client say EHLO again
                owner._connections.append(peer)


def smtp_settings(server: SmtpTestServer, **overrides: object) -> SmtpSettings:
    """SmtpSettings for `server`: 127.0.0.1, its port, its TLS mode and credentials, short
    timeouts. Overrides use the settings' field names (`from_address`, `password`…)."""
    values: dict[str, object] = {
        "host": HOST,
        "port": server.port,
        "security": server.tls,
        "from_address": "paperwire <digest@example.org>",
        "timeout": 2.0,
    }
    if server.credentials is not None:
        values |= {"username": server.credentials[0], "password": server.credentials[1]}
    values.update(overrides)
    return SmtpSettings.model_validate(values)


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    """Plain SMTP on 127.0.0.1: no TLS, no AUTH. Stopped after the test."""
    with SmtpTestServer() as server:
        yield server


@pytest.fixture
def smtp_tls_server() -> Iterator[SmtpTestServer]:
    """STARTTLS required, then AUTH required (TEST_CREDENTIALS). `client_context()` trusts
    its certificate; `credentials` are the user name and password it accepts."""
    with SmtpTestServer(
        tls="starttls", require_starttls=True, credentials=TEST_CREDENTIALS, auth_required=True
    ) as server:
        yield server


@pytest.fixture
def smtp_ssl_server() -> Iterator[SmtpTestServer]:
    """Implicit TLS (SMTPS): TLS from the first byte, no AUTH."""
    with SmtpTestServer(tls="ssl") as server:
        yield server
