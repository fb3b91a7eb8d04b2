"""Email as a channel: a digest composed into a message, delivered by SMTP or to an outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from paperwire.config import DeliverySettings, Settings
from paperwire.delivery.base import Channel, DeliveryResult, Prepared
from paperwire.delivery.email.compose import compose_digest
from paperwire.models import Digest, Reader
from paperwire.store.ledger import Delivery


class Transport(Protocol):
    """Where messages go: an SMTP server or an outbox directory."""

    kind: str  # "smtp" or "outbox", as the ledger records it

    def send(self, message: EmailMessage) -> DeliveryResult: ...

    def send_bytes(self, data: bytes) -> DeliveryResult: ...

    def close(self) -> None: ...

    def describe(self) -> str: ...


def choose_transport(settings: Settings, outbox: str | None = None) -> Transport:
    """`--outbox DIR` when given; else SMTP when smtp.host is set; else the default outbox, so
    that a first run needs no mail server."""
    from paperwire.delivery.email.outbox import OutboxTransport
    from paperwire.delivery.email.smtp import SmtpTransport

    if outbox is not None:
        return OutboxTransport(Path(outbox))
    if settings.smtp.host:
        return SmtpTransport(settings.smtp)
    return OutboxTransport(Path(settings.delivery.outbox))


class EmailChannel(Channel):
    """Each digest an email (multipart text and HTML, under 100 KB), written to the ledger
    whole before it is sent: a crash between sending and recording re-sends at most that one
    message, with the same Message-ID. The transport is opened on first use."""

    name = "email"

    def __init__(
        self,
        sender: str,
        delivery: DeliverySettings,
        transport: Callable[[], Transport],
    ) -> None:
        self.sender = sender
        self.delivery = delivery
        self._make_transport = transport
        self._transport: Transport | None = None

    @classmethod
    def from_settings(cls, settings: Settings, outbox: str | None = None) -> EmailChannel:
        return cls(
            settings.smtp.from_address,
            settings.delivery,
            lambda: choose_transport(settings, outbox),
        )

    @property
    def transport(self) -> Transport:
        if self._transport is None:
            self._transport = self._make_transport()
        return self._transport

    @property
    def transport_name(self) -> str:
        return self.transport.kind

    def prepare(self, digest: Digest, reader: Reader, now: dt.datetime) -> Prepared:
        composed = compose_digest(digest, reader, self.sender, self.delivery, now)
        return Prepared(composed.message_id, composed.subject, composed.data, composed.shown)

    def deliver(
        self, delivery: Delivery, payload: bytes | None, now: dt.datetime
    ) -> DeliveryResult:
        if payload is None:  # cannot happen for a pending email; never send an empty message
            return DeliveryResult("permanent", "no message")
        # The bytes the ledger keeps are what goes on the wire: sent as they are.
        return self.transport.send_bytes(payload)

    def describe(self) -> str:
        return self.transport.describe()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
