"""Helpers for tests that deliver: a configuration's readers, and its email channel over a
given transport (an outbox directory, a loopback SMTP server)."""

from __future__ import annotations

from paperwire.config import Settings
from paperwire.delivery.base import Channel
from paperwire.delivery.email.channel import EmailChannel, Transport
from paperwire.models import Reader


def readers_of(config: Settings) -> list[Reader]:
    """The configuration file's readers that are not paused."""
    return [r for r in config.readers() if not r.paused]


def email_channels(config: Settings, transport: Transport) -> dict[str, Channel]:
    """The email channel, delivering over `transport`."""
    return {"email": EmailChannel(config.smtp.from_address, config.delivery, lambda: transport)}
