"""A digest as an email: its footer's signed links, its Message-ID, cut to fit 100 KB."""

from __future__ import annotations

import dataclasses
import datetime as dt
from email.message import EmailMessage
from urllib.parse import urlencode

from paperwire import tokens
from paperwire.config import DeliverySettings
from paperwire.delivery.email.message import (
    Addressing,
    compose_message,
    message_bytes,
    message_id,
    unsubscribe_mailto_url,
)
from paperwire.digest.formats import render_html, render_text
from paperwire.digest.kinds import kind_named
from paperwire.digest.view import Footer, render_subject
from paperwire.models import Digest, Reader

# Gmail clips a message over about 102 KB; stay under 100 KB, headers included.
MESSAGE_BUDGET = 100_000


def reader_links(delivery: DeliverySettings, subscriber: str, now: dt.datetime) -> tuple[str, str]:
    """(one-click unsubscribe URL, preferences URL), each with a token for its purpose
    (paperwire.tokens: the preferences link expires); empty without a base URL."""
    if not delivery.base_url:
        return "", ""
    secret = delivery.secret.get_secret_value()

    def link(purpose: str) -> str:
        token = tokens.sign(secret, purpose, subscriber, now)
        return f"{delivery.base_url}/{purpose}?{urlencode({'email': subscriber, 'token': token})}"

    return link(tokens.UNSUBSCRIBE), link(tokens.PREFERENCES)


def more_hint(reader: Reader, digest: Digest) -> str:
    """The command that lists every paper of this digest's window, the ones not shown too."""
    if digest.window_from >= digest.window_to:
        days = f"--date {digest.window_to}"
    else:
        days = f"--since {digest.window_from}"
    option = kind_named(digest.kind).option
    kind = f" {option}" if option else ""
    limit = f" --limit {digest.matched_count}" if digest.more > 0 else ""
    return f"paperwire digest --subscriber {reader.email}{kind} {days}{limit}"


def compose_digest(
    digest: Digest,
    reader: Reader,
    sender: str,
    delivery: DeliverySettings,
    now: dt.datetime,
) -> tuple[EmailMessage, bytes, Digest]:
    """The email for a digest, cut to the papers that fit in MESSAGE_BUDGET bytes (the rest
    are named as "N more papers"); returns the message, its bytes and the digest shown."""
    unsubscribe_url, preferences_url = reader_links(delivery, reader.email, now)
    addressing = Addressing(
        sender=sender,
        recipient=reader.email,
        recipient_name=reader.name,
        list_id=delivery.list_id,
        unsubscribe_mailto=delivery.unsubscribe,
        unsubscribe_url=unsubscribe_url,
    )
    footer = Footer(
        recipient=reader.email,
        unsubscribe_url=unsubscribe_url,
        unsubscribe_mailto=unsubscribe_mailto_url(addressing),
        preferences_url=preferences_url,
        more_hint=more_hint(reader, digest),
    )
    identifier = message_id(reader.email, digest.window_from, digest.window_to, sender, digest.kind)

    def build(shown: int) -> tuple[EmailMessage, bytes, Digest]:
        cut = dataclasses.replace(digest, papers=digest.papers[:shown])
        message = compose_message(
            addressing=addressing,
            subject=render_subject(cut),
            text=render_text(cut, footer),
            html=render_html(cut, footer),
            message_id=identifier,
            date=now,
        )
        return message, message_bytes(message), cut

    best = build(len(digest.papers))
    if len(best[1]) <= MESSAGE_BUDGET:
        return best
    low, high = 0, len(digest.papers) - 1  # the largest number of papers that fits
    best = build(0)
    while low < high:
        middle = (low + high + 1) // 2
        attempt = build(middle)
        if len(attempt[1]) <= MESSAGE_BUDGET:
            best, low = attempt, middle
        else:
            high = middle - 1
    return best
