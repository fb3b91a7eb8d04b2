"""Send messages over one reused SMTP connection and report each server reply as it came."""

from __future__ import annotations

import ipaddress
import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from types import TracebackType
from typing import Literal, Self

from paperwire.config import SmtpSettings
from paperwire.delivery.base import DeliveryResult
from paperwire.delivery.email.message import envelope, headers_of, message_bytes
from paperwire.errors import Masker, SmtpUnavailable

__all__ = ["DeliveryResult", "SmtpTransport", "SmtpUnavailable"]

log = logging.getLogger(__name__)

# RFC 5321 4.2.2 / RFC 4954 6: "530 5.7.0 Must issue a STARTTLS command first" or
# "Authentication required" at MAIL is about the session, not the message: every digest would
# fail the same way, so it stops the run instead of failing each reader's digest.
_SESSION_REFUSED = 530
# RFC 5321 3.8: the server is closing the connection; treated like a dropped connection.
_CLOSING = 421


class _ConnectionLost(Exception):
    """The connection dropped before the server answered the message (internal). `stage`:
    the command it dropped at; from RCPT on, the server had taken the sender and the session,
    so the trouble is this message's, not every message's."""

    def __init__(self, reason: str, stage: str = "mail") -> None:
        super().__init__(reason)
        self.stage = stage


class SmtpTransport:
    """Sends messages over one SMTP connection, opened on the first `send` and reused.

    A connection lost before or during a message is opened again once and that message sent
    again once; so a message whose DATA was sent but not answered can arrive twice, never
    three times. Use as a context manager, or call `close()`.
    """

    kind = "smtp"  # as the delivery ledger records it

    def __init__(
        self, settings: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self._settings = settings
        self._where = f"{settings.host}:{settings.port}"
        self._password = settings.password.get_secret_value()
        # Every word a server says goes through this before it is shown or stored: a server
        # may echo the password (in a 550 at MAIL, in a 421), or its base64 form.
        self._mask = Masker([self._password], [settings.username])
        self._ssl_context = ssl_context
        self._connection: smtplib.SMTP | None = None
        self._local_hostname: str | None = None  # found once (socket.getfqdn), then reused

    def describe(self) -> str:
        """Host, port and security, e.g. 'smtp.example.org:587 (starttls)'."""
        return f"{self._where} ({self._settings.security})"

    def send(self, message: EmailMessage) -> DeliveryResult:
        """Send one message; a refusal is a DeliveryResult, an unusable server SmtpUnavailable."""
        return self.send_bytes(message_bytes(message))

    def send_bytes(self, data: bytes) -> DeliveryResult:
        """Send one message's bytes as they are (message_bytes made them), its envelope read
        from their headers; as `send`."""
        sender, recipient = envelope(headers_of(data))
        for attempt in (1, 2):
            connection = self._connection or self._connect()
            try:
                return self._transaction(connection, sender, recipient, data)
            except _ConnectionLost as exc:
                self._discard()
                if attempt == 2 and exc.stage != "mail":
                    # A 421 or a drop at RCPT or DATA for this recipient, twice: the message
                    # waits for the next run (the attempt counts), and the readers after it
                    # are still served on a new connection.
                    return DeliveryResult(
                        "temporary",
                        f"connection lost at {exc.stage.upper()} again after reconnecting ({exc})",
                    )
                if attempt == 2:
                    raise self._unavailable(
                        f"connection lost again after reconnecting ({exc})"
                    ) from None
                log.warning("%s: connection lost (%s); reconnecting once", self._where, exc)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open. Never raises."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the server is gone already: nothing to be polite to
        finally:
            connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- one message ---------------------------------------------------------------------------

    def _transaction(
        self, connection: smtplib.SMTP, sender: str, recipient: str, data: bytes
    ) -> DeliveryResult:
        """MAIL, RCPT, DATA: smtplib.sendmail's steps, keeping the server's final reply."""
        reply: bytes | str
        stage = "mail"
        try:
            options = [f"SIZE={len(data)}"] if connection.has_extn("size") else []
            code, reply = connection.mail(sender, options)
            if code == _SESSION_REFUSED:
                self._discard()
                raise self._unavailable(
                    f"refused to take mail before login or STARTTLS ({self._said(code, reply)}); "
                    "check smtp.username, smtp.password and smtp.security",
                )
            if code != 250:
                return self._refused(connection, code, reply, stage)
            stage = "rcpt"
            code, reply = connection.rcpt(recipient)
            if code not in (250, 251):
                return self._refused(connection, code, reply, stage)
            stage = "data"
            code, reply = connection.docmd("data")
            if code != 354:  # DATA itself refused
                return self._refused(connection, code, reply, stage)
            try:
                code, reply = _message_body(connection, data, self._settings.reply_timeout)
            except OSError as exc:
                # The message went out; whether the server kept it is unknown. Sending it
                # again now could deliver it twice: the ledger keeps it for a later run.
                self._discard()
                return DeliveryResult("unknown", f"no reply after the message was sent ({exc})")
            if 200 <= code < 300:
                return DeliveryResult("sent", self._said(code, reply), code)
            return self._refused(connection, code, reply, stage)
        except OSError as exc:
            # ConnectionError, socket timeouts, ssl.SSLError, and every smtplib.SMTPException
            # (SMTPServerDisconnected…: OSError's subclasses) half-way through a message.
            raise _ConnectionLost(self._mask(_describe(exc)), stage) from None

    def _refused(
        self, connection: smtplib.SMTP, code: int, reply: bytes | str, stage: str = "mail"
    ) -> DeliveryResult:
        if code == _CLOSING:
            raise _ConnectionLost(self._said(code, reply), stage)
        try:
            connection.rset()  # end the transaction; the connection serves the next message
        except (smtplib.SMTPException, OSError):
            self._discard()  # the next message connects again
        status: Literal["temporary", "permanent"] = (
            "temporary" if 400 <= code < 500 else "permanent"
        )
        return DeliveryResult(status, self._said(code, reply), code)

    # -- the connection ------------------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        if not settings.host:
            raise self._unavailable("no host configured (smtp.host)")
        if self._password and settings.security == "none" and not _is_loopback(settings.host):
            # Checked before any lookup or connection: a password never goes out in clear.
            raise self._unavailable(
                'refusing to send the password without TLS (security = "none") to a host '
                'that is not this machine; use security = "starttls" or "ssl"',
            )
        try:
            connection = self._open()
        except SmtpUnavailable:
            raise
        except ssl.SSLCertVerificationError as exc:
            raise self._unavailable(
                f"certificate verification failed: {exc.verify_message or exc.reason} "
                "(trust its CA with smtp.ca_file; smtp.verify = false only for a test server)",
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise self._unavailable(
                f"login as {settings.username!r} refused: "
                + self._said(exc.smtp_code, exc.smtp_error),
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise self._unavailable("the server offers no AUTH, but smtp.username is set") from None
        except smtplib.SMTPResponseException as exc:  # a refused greeting, EHLO or STARTTLS
            raise self._unavailable(self._said(exc.smtp_code, exc.smtp_error)) from None
        except ssl.SSLError as exc:
            raise self._unavailable(f"TLS failed: {exc.reason or exc}") from None
        except TimeoutError:
            raise self._unavailable(
                f"no answer within {settings.timeout:g} s (smtp.timeout)"
            ) from None
        except OSError as exc:  # refused, unreachable, unknown host, closed during greeting
            raise self._unavailable(f"cannot connect: {_describe(exc)}") from None
        self._connection = connection
        self._local_hostname = connection.local_hostname
        return connection

    def _open(self) -> smtplib.SMTP:
        """Connect, say EHLO, start TLS as configured and log in; raise on any failure."""
        settings = self._settings
        context = self._tls_context() if settings.security != "none" else None
        connection: smtplib.SMTP
        if settings.security == "ssl":
            connection = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                local_hostname=self._local_hostname,
                timeout=settings.timeout,
                context=context,
            )
        else:
            connection = smtplib.SMTP(
                settings.host,
                settings.port,
                local_hostname=self._local_hostname,
                timeout=settings.timeout,
            )
        try:
            connection.ehlo_or_helo_if_needed()
            if settings.security == "starttls":
                if not connection.has_extn("starttls"):
                    # Never fall back to plain text: the password and the mail would be readable.
                    raise self._unavailable(
                        'the server does not offer STARTTLS (security = "starttls"); '
                        "nothing was sent",
                    )
                connection.starttls(context=context)
                connection.ehlo()
            if settings.username:
                connection.login(settings.username, self._password)
        except BaseException:
            connection.close()
            raise
        return connection

    def _tls_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            settings = self._settings
            context = ssl.create_default_context(cafile=settings.ca_file or None)
            if not settings.verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                log.warning(
                    "%s: smtp.verify is off; the server's certificate is not checked", self._where
                )
            self._ssl_context = context
        return self._ssl_context

    def _unavailable(self, reason: str) -> SmtpUnavailable:
        """SmtpUnavailable for this server, with the password masked should a reply echo it."""
        return SmtpUnavailable(self._where, self._mask(reason))

    def _said(self, code: int, text: bytes | str) -> str:
        """A server's reply as one line, with the password masked."""
        return self._mask(_reply(code, text))

    def _discard(self) -> None:
        """Drop the connection without QUIT (it is broken, or its state is unknown)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def _message_body(connection: smtplib.SMTP, data: bytes, reply_timeout: float) -> tuple[int, bytes]:
    """After a 354: the message, dot-stuffed, then "." and the server's final reply (what
    smtplib.SMTP.data does after its DATA command), waiting up to `reply_timeout` for it."""
    body = _LEADING_DOT.sub(b"..", data)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    connection.send(body + b".\r\n")
    sock = connection.sock
    before = sock.gettimeout() if sock is not None else None
    if sock is not None:
        sock.settimeout(reply_timeout)
    try:
        return connection.getreply()
    finally:
        if sock is not None:
            sock.settimeout(before)


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _is_loopback(host: str) -> bool:
    """True for "localhost" and loopback addresses, decided without any DNS lookup.

    Not "*.localhost": RFC 6761 reserves them, but a resolver may still ask DNS for them.
    """
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _reply(code: int, text: bytes | str) -> str:
    """A server reply as one line: "451 4.3.0 Try again later"."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(f"{code} {text}".split())


def _describe(exc: BaseException) -> str:
    """An exception as one line, with its kind when it has no words of its own."""
    words = " ".join(str(getattr(exc, "strerror", None) or exc).split())
    return words or type(exc).__name__
