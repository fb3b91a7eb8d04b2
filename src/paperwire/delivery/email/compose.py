"""A digest as an email: its reader's signed links, its Message-ID, cut to fit 100 KB."""

from __future__ import annotations

import dataclasses
import datetime as dt
from email.message import EmailMessage

from paperwire.config import DeliverySettings
from paperwire.delivery.email.message import (
    Addressing,
    compose_message,
    message_bytes,
    message_id,
    unsubscribe_mailto_url,
)
from paperwire.delivery.links import ReaderLinks
from paperwire.digest.formats import render_html, render_text
from paperwire.digest.kinds import kind_named
from paperwire.digest.view import Footer, render_subject
from paperwire.models import Digest, Reader

# Gmail clips a message over about 102 KB; stay under 100 KB, headers included.
MESSAGE_BUDGET = 100_000


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
    are named as "N more papers", with a link to the digest's page when there are pages);
    returns the message, its bytes and the digest shown. With `delivery.base_url`, each
    paper offers a 👍 and a 👎, and the footer the reader's preferences and unsubscribe."""
    links = ReaderLinks.of(delivery, reader.email, now)  # every URL "" without base_url
    addressing = Addressing(
        sender=sender,
        recipient=reader.email,
        recipient_name=reader.name,
        list_id=delivery.list_id,
        unsubscribe_mailto=delivery.unsubscribe,
        unsubscribe_url=links.unsubscribe,
    )
    footer = Footer(
        recipient=reader.email,
        unsubscribe_url=links.unsubscribe,
        unsubscribe_mailto=unsubscribe_mailto_url(addressing),
        preferences_url=links.preferences,
        more_hint=more_hint(reader, digest),
        digest_url=links.digest(digest.kind, digest.window_from),
    )
    feedback = links if delivery.base_url else None
    identifier = message_id(reader.email, digest.window_from, digest.window_to, sender, digest.kind)

    def build(shown: int) -> tuple[EmailMessage, bytes, Digest]:
        cut = dataclasses.replace(digest, papers=digest.papers[:shown])
        message = compose_message(
            addressing=addressing,
            subject=render_subject(cut),
            text=render_text(cut, footer, feedback),
            html=render_html(cut, footer, feedback),
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
