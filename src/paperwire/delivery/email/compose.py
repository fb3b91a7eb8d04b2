"""A digest as an email: its reader's signed links, its Message-ID, cut to fit 100 KB."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import NamedTuple

from paperwire.config import DeliverySettings
from paperwire.delivery.email.message import (
    Addressing,
    MessageWriter,
    message_id,
    one_line,
    parsed_message,
    unsubscribe_mailto_url,
)
from paperwire.delivery.links import ReaderLinks
from paperwire.digest.formats import render_html, render_text
from paperwire.digest.kinds import kind_named
from paperwire.digest.view import Footer, PaperView, paper_view, render_subject
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
) -> Composed:
    """The email for a digest, cut to the papers that fit in MESSAGE_BUDGET bytes (the rest
    are named as "N more papers", with a link to the digest's page when there are pages).
    With `delivery.base_url`, each paper offers a 👍 and a 👎, and the footer the reader's
    preferences and unsubscribe."""
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

    # Each paper is laid out once (its highlights, links and signed votes); only the cut varies.
    html_views = [paper_view(s, n, links=feedback) for n, s in enumerate(digest.papers, 1)]
    text_views = [
        paper_view(s, n, marks=False, links=feedback) for n, s in enumerate(digest.papers, 1)
    ]
    weights = [_weight(view) for view in html_views]

    writer = MessageWriter(addressing=addressing, message_id=identifier, date=now)

    def build(shown: int) -> Composed:
        cut = dataclasses.replace(digest, papers=digest.papers[:shown])
        subject = render_subject(cut)
        data = writer.write(
            subject,
            render_text(cut, footer, feedback, papers=text_views[:shown]),
            render_html(cut, footer, feedback, papers=html_views[:shown]),
        )
        return Composed(data, cut, identifier, one_line(subject))

    return _largest_that_fits(build, weights)


class Composed(NamedTuple):
    """A digest's email: its bytes (what goes on the wire), the digest it shows (the papers
    that fit), its Message-ID and its subject."""

    data: bytes
    shown: Digest
    message_id: str
    subject: str

    @property
    def message(self) -> EmailMessage:
        """The message read back from its bytes."""
        return parsed_message(self.data)


def _largest_that_fits(build: Callable[[int], Composed], weights: Sequence[int]) -> Composed:
    """The message with the most papers (a prefix of them) that fits in MESSAGE_BUDGET.

    A message grows with each paper by about that paper's weight times a factor (markup,
    links, encoding). The whole digest is built first; when it is too big, the factor measured
    between the two builds nearest the budget predicts the cut, and each new build narrows the
    range until the largest count that fits is known. A cut digest takes three or four builds,
    where halving took six.
    """
    count = len(weights)
    made: dict[int, Composed] = {}

    def size(shown: int) -> int:
        if shown not in made:
            made[shown] = build(shown)
        return len(made[shown].data)

    if size(count) <= MESSAGE_BUDGET or count == 0:
        return made[count]
    total = [0]
    for weight in weights:
        total.append(total[-1] + weight)
    fits, too_big = 0, count  # no paper at all is taken to fit (a message of headers)
    guess = count * MESSAGE_BUDGET // size(count)  # as if nothing were fixed: it fits, or nearly
    while too_big - fits > 1:
        guess = min(max(guess, fits + 1), too_big - 1)
        if size(guess) <= MESSAGE_BUDGET:
            fits = guess
        else:
            too_big = guess
        # A line through the two measured sizes nearest the budget (both above it when no
        # count with papers fits yet).
        near = sorted(made, key=lambda k: (k < fits, abs(k - too_big)))
        low, high = (fits, too_big) if fits in made else tuple(sorted(near[:2]))
        per_weight = (size(high) - size(low)) / max(1, total[high] - total[low])
        guess = fits + 1
        while guess + 1 < too_big and (
            size(low) + per_weight * (total[guess + 1] - total[low]) <= MESSAGE_BUDGET
        ):
            guess += 1
    return made[fits] if fits in made else build(0)


def _weight(view: PaperView) -> int:
    """How much a paper adds to a message, roughly: its text, and its links."""
    pieces = [*view.title, *view.authors, *view.abstract]
    links = sum(len(link.url) for link in view.links) + len(view.like_url) + len(view.dislike_url)
    return sum(len(piece.text) for piece in pieces) + len(view.why_text) + links + 200
