"""The two mails the subscribe page sends: "confirm your subscription" (double opt-in), and,
to an address already subscribed, "you are subscribed already" with its preferences link
(the page says the same either way, so nobody learns who is subscribed)."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from paperwire.config import Settings
from paperwire.delivery.base import DeliveryResult


def _message(
    settings: Settings, to: str, subject: str, text: str, now: dt.datetime
) -> EmailMessage:
    sender = settings.smtp.from_address
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("paperwire", sender.rpartition("@")[2].strip(">") or None)
    # RFC 3834: made by a program, not to be answered by vacation responders.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    return message


def confirmation(
    settings: Settings, to: str, confirm_url: str, lifetime: dt.timedelta, now: dt.datetime
) -> EmailMessage:
    hours = int(lifetime.total_seconds() // 3600)
    text = (
        "Someone, probably you, asked to receive paperwire's research digests at this "
        "address.\n\n"
        f"To confirm, open this link within {hours} hours and press the button:\n\n"
        f"{confirm_url}\n\n"
        "If you did not ask for it, ignore this mail: nothing will be sent to you.\n"
    )
    return _message(settings, to, "Confirm your paperwire subscription", text, now)


def already_subscribed(
    settings: Settings, to: str, preferences_url: str, now: dt.datetime
) -> EmailMessage:
    text = (
        "Someone, probably you, asked to subscribe this address to paperwire's research "
        "digests. It is subscribed already.\n\n"
        f"To change your topics, or to unsubscribe, open:\n\n{preferences_url}\n\n"
        "If you did not ask, ignore this mail: nothing changes.\n"
    )
    return _message(settings, to, "You are subscribed to paperwire already", text, now)


def send(settings: Settings, message: EmailMessage) -> DeliveryResult:
    """Send one message the way digests go (SMTP, or the outbox)."""
    from paperwire.delivery.email.channel import choose_transport

    transport = choose_transport(settings)
    try:
        return transport.send(message)
    finally:
        transport.close()
