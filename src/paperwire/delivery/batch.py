"""Send every due digest: plan each reader's window, compose, deliver, and keep the ledger.

The rules the ledger enforces:
- A window runs from the day after the reader's last digest (sent, pending or skipped) to the
  newest announcement in the store, never more than `digest.max_age_days` back; a reader's
  first digest covers the newest announcement only.
- One live digest per reader and window start (a unique index), and never a paper the reader
  has received or is about to receive.
- A digest is written to the ledger, with its message, *before* it is sent; a crash between
  sending and recording re-sends at most that one message, with the same Message-ID.
- A temporary refusal (4xx) leaves the digest pending for the next run, up to
  `delivery.max_attempts`; a permanent one (5xx) marks it failed with the server's words and
  leaves its days to the reader's next digest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import functools
import hashlib
import hmac
import logging
import os
import socket
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode

from paperwire.config import Settings, SubscriberSettings
from paperwire.delivery.message import (
    Addressing,
    compose_message,
    message_bytes,
    message_id,
    unsubscribe_mailto_url,
)
from paperwire.delivery.smtp import SendResult
from paperwire.digest.formats import render_html, render_text
from paperwire.digest.select import DigestBuilder, DigestRequest
from paperwire.digest.view import Footer, render_subject
from paperwire.errors import DeliveryError
from paperwire.models import Digest, Profile
from paperwire.scoring.semantic import Embedder
from paperwire.sources.huggingface.fetch import newest_final_day
from paperwire.store import Store
from paperwire.store.ledger import (
    FAILED,
    PENDING,
    SENT,
    TOPICS,
    TRENDING,
    Delivery,
    PlannedDelivery,
)

log = logging.getLogger(__name__)

# Gmail clips a message over about 102 KB; stay under 100 KB, headers included.
MESSAGE_BUDGET = 100_000
# A claim by a process on another machine is taken over after this long without news.
CLAIM_LEASE = dt.timedelta(minutes=30)


class Transport(Protocol):
    """Where messages go: an SMTP server or an outbox directory."""

    kind: str  # "smtp" or "outbox", as the ledger records it

    def send(self, message: EmailMessage) -> SendResult: ...

    def close(self) -> None: ...

    def describe(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Recipient:
    """A reader who gets digests by email, and the reader's own limits (None: [digest]'s)."""

    email: str
    name: str
    profile: Profile
    max_papers: int | None = None
    min_score: float | None = None
    weekly: bool = False  # a weekly digest reaches back a week further
    trending: bool = False  # Hugging Face's Daily Papers by upvotes, not arXiv's by topic
    only_matching: bool = False  # trending: only the papers on the reader's topics


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one run did for one reader's digest."""

    subscriber: str
    status: str  # sent, deferred, failed, skipped, nothing (no new announcements), planned
    papers: int = 0
    window: tuple[dt.date, dt.date] | None = None
    detail: str = ""  # the server's words, or why


@dataclass(slots=True)
class SendSummary:
    """A run's outcomes, and the transport problem that stopped it early, if any."""

    outcomes: list[Outcome] = field(default_factory=list)
    transport: str = ""
    problem: str | None = None

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> bool:
        """True when some digest did not reach its server (exit status 1)."""
        return self.problem is not None or any(
            o.status in ("failed", "deferred") for o in self.outcomes
        )


def recipient(subscriber: SubscriberSettings, settings: Settings) -> Recipient:
    """A subscriber as delivery sees them, categories defaulting to the configured ones."""
    profile = subscriber.profile()
    profile.categories = profile.categories or list(settings.sources.arxiv.categories)
    return Recipient(
        subscriber.email,
        subscriber.name,
        profile,
        max_papers=subscriber.max_papers,
        min_score=subscriber.min_score,
        weekly=subscriber.frequency == "weekly",
        trending=subscriber.mode == "trending",
        only_matching=subscriber.trending_filter,
    )


def recipients_from_settings(settings: Settings) -> list[Recipient]:
    """The subscribers of the configuration file (not those kept only in the database)."""
    return [recipient(s, settings) for s in settings.subscribers if not s.paused]


def process_owner() -> str:
    """Who holds a claim: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def next_window(
    store: Store, subscriber: str, newest: dt.date | None, max_age_days: int, kind: str = TOPICS
) -> tuple[dt.date, dt.date] | None:
    """The window a reader's next digest covers, or None when nothing new was announced.

    It starts the day after the reader's last live digest (sent, pending or skipped), or at
    the first failed one after it (its papers never arrived); a first digest covers the newest
    announcement only. It never reaches back more than `max_age_days`.
    """
    if newest is None:
        return None
    windows = store.ledger.windows(subscriber, kind)
    if windows and newest <= max(last for _, last, _ in windows):
        return None  # every announcement is in a digest already (or in one that failed)
    live_ends = [last for _, last, state in windows if state != FAILED]
    live_end = max(live_ends, default=None)
    failed_starts = [
        first
        for first, _, state in windows
        if state == FAILED and (live_end is None or first > live_end)
    ]
    if live_end is not None:
        start = live_end + dt.timedelta(days=1)
    else:
        start = min(failed_starts, default=newest)
    oldest = newest - dt.timedelta(days=max_age_days - 1)
    return max(start, oldest), newest


def _token(secret: str, subscriber: str, purpose: str) -> str:
    key = secret.encode()
    return hmac.new(key, f"{purpose}:{subscriber.lower()}".encode(), hashlib.sha256).hexdigest()[
        :32
    ]


def _links(settings: Settings, subscriber: str) -> tuple[str, str]:
    """(one-click unsubscribe URL, preferences URL), signed; empty without a base URL."""
    delivery = settings.delivery
    if not delivery.base_url:
        return "", ""
    secret = delivery.secret.get_secret_value()

    def link(path: str) -> str:
        query = urlencode({"email": subscriber, "token": _token(secret, subscriber, path)})
        return f"{delivery.base_url}/{path}?{query}"

    return link("unsubscribe"), link("preferences")


def _more_hint(recipient: Recipient, digest: Digest) -> str:
    """The command that lists every paper of this digest's window, the ones not shown too."""
    if digest.window_from >= digest.window_to:
        days = f"--date {digest.window_to}"
    else:
        days = f"--since {digest.window_from}"
    trending = " --trending" if digest.trending else ""
    limit = f" --limit {digest.matched_count}" if digest.more > 0 else ""
    return f"paperwire digest --subscriber {recipient.email}{trending} {days}{limit}"


def compose_digest(
    digest: Digest, recipient: Recipient, settings: Settings, now: dt.datetime
) -> tuple[EmailMessage, bytes, Digest]:
    """The email for a digest, cut to the papers that fit in MESSAGE_BUDGET bytes (the rest
    are named as "N more papers"); returns the message, its bytes and the digest shown."""
    unsubscribe_url, preferences_url = _links(settings, recipient.email)
    addressing = Addressing(
        sender=settings.smtp.from_address,
        recipient=recipient.email,
        recipient_name=recipient.name,
        list_id=settings.delivery.list_id,
        unsubscribe_mailto=settings.delivery.unsubscribe,
        unsubscribe_url=unsubscribe_url,
    )
    footer = Footer(
        recipient=recipient.email,
        unsubscribe_url=unsubscribe_url,
        unsubscribe_mailto=unsubscribe_mailto_url(addressing),
        preferences_url=preferences_url,
        more_hint=_more_hint(recipient, digest),
    )
    identifier = message_id(
        recipient.email,
        digest.window_from,
        digest.window_to,
        settings.smtp.from_address,
        TRENDING if digest.trending else TOPICS,
    )

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


@dataclass
class DigestRun:
    """One `paperwire send`: plans the due digests, then delivers every pending one."""

    store: Store
    settings: Settings
    now: dt.datetime
    embedder: Embedder | None = None
    sleep: Callable[[float], None] = time.sleep
    owner: str = field(default_factory=process_owner)
    # Claims are stamped with the time they are made (a batch can outlast CLAIM_LEASE).
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))

    def plan(
        self,
        recipients: Sequence[Recipient],
        *,
        dry_run: bool = False,
        newest: dt.date | None = None,
        trending_newest: dt.date | None = None,
    ) -> list[Outcome]:
        """Compose and record (unless `dry_run`) the next digest of each reader who has one
        due, its window ending at `newest` (default: the newest announcement stored), or for
        trending readers at `trending_newest` (default: the newest finished featured day).
        Outcomes: "planned" (pending now), "skipped" (nothing matched), "nothing"."""
        digest_settings = self.settings.digest
        builder = DigestBuilder.from_settings(
            self.store, self.settings, now=self.now, embedder=self.embedder
        )
        newest = newest or self.store.latest_announcement()
        if trending_newest is None and any(r.trending for r in recipients):
            trending_newest = newest_final_day(
                self.store, self.now, lookback_days=digest_settings.lookback_days
            )
        outcomes: list[Outcome] = []
        due: list[tuple[Recipient, DigestRequest]] = []
        waiting = {d.subscriber for d in self.store.ledger.pending()}
        for reader in recipients:
            if reader.email.lower() in waiting:
                # Its pending digest goes first; should it fail, its days join the next one.
                outcomes.append(Outcome(reader.email, "nothing"))
                continue
            max_age = digest_settings.max_age_days
            # A weekly digest reaches back over its week, and a missed week's catch-up too.
            window = next_window(
                self.store,
                reader.email,
                trending_newest if reader.trending else newest,
                max_age + 7 if reader.weekly else max_age,
                TRENDING if reader.trending else TOPICS,
            )
            if window is None:
                outcomes.append(Outcome(reader.email, "nothing"))
                continue
            skip = self.store.ledger.received(reader.email)
            request = DigestRequest(
                reader.profile, *window, skip, reader.trending, reader.only_matching
            )
            due.append((reader, request))
        # Readers with the same limits are built together (one ranking pass per window).
        groups: dict[tuple[int, float], list[tuple[Recipient, DigestRequest]]] = {}
        for reader, request in due:
            limits = (
                reader.max_papers or digest_settings.max_papers,
                digest_settings.min_score if reader.min_score is None else reader.min_score,
            )
            groups.setdefault(limits, []).append((reader, request))
        for (limit, min_score), members in groups.items():
            digests = builder.build_many(
                [request for _, request in members], limit=limit, min_score=min_score
            )
            for (reader, _), digest in zip(members, digests, strict=True):
                outcomes.append(self.record(reader, digest, dry_run=dry_run)[0])
        return outcomes

    def record(
        self, recipient: Recipient, digest: Digest, *, dry_run: bool = False
    ) -> tuple[Outcome, int | None]:
        """Compose a digest and write it to the ledger as pending (or skipped, when nothing
        matched and empty windows are skipped): (the outcome, the delivery's id)."""
        window = (digest.window_from, digest.window_to)
        kind = TRENDING if digest.trending else TOPICS
        empty = not digest.papers
        if empty and self.settings.digest.empty == "skip":
            planned = PlannedDelivery(
                recipient.email,
                *window,
                message_id="",
                subject="",
                message=None,
                papers=[],
                kind=kind,
            )
            detail = f"nothing matched among {digest.announced_count} papers"
            if dry_run:
                return Outcome(recipient.email, "skipped", 0, window, detail), None
            delivery_id = self.store.ledger.add(planned, self.now)
            if delivery_id is None:
                return self._taken(recipient, digest), None
            return Outcome(recipient.email, "skipped", 0, window, detail), delivery_id
        message, data, shown = compose_digest(digest, recipient, self.settings, self.now)
        subject = str(message["Subject"])
        outcome = Outcome(recipient.email, "planned", len(shown.papers), window, subject)
        if dry_run:
            return outcome, None
        planned = PlannedDelivery(
            recipient.email,
            *window,
            message_id=str(message["Message-ID"]),
            subject=subject,
            message=data,
            papers=[(s.paper.arxiv_id, s.score) for s in shown.papers],
            kind=kind,
        )
        delivery_id = self.store.ledger.add(planned, self.now)
        if delivery_id is None:
            return self._taken(recipient, digest), None
        return outcome, delivery_id

    @staticmethod
    def _taken(recipient: Recipient, digest: Digest) -> Outcome:
        """The outcome when the ledger already holds a digest for this window's first day."""
        window = (digest.window_from, digest.window_to)
        detail = f"already has a digest for the window from {digest.window_from}"
        return Outcome(recipient.email, "nothing", 0, window, detail)

    def deliver(
        self,
        transport: Transport,
        summary: SendSummary,
        only: Sequence[int] | None = None,
        subscribers: Collection[str] | None = None,
    ) -> None:
        """Send every pending digest (or those with ids in `only`) over `transport`;
        temporary refusals are tried again after the batch (`delivery.retries_per_run` times,
        backing off); a transport that cannot be reached stops the batch and leaves the rest
        pending."""
        delivery_settings = self.settings.delivery
        summary.transport = transport.describe()
        queue = self._claimable(self.store.ledger.pending())
        if only is not None:
            queue = [d for d in queue if d.id in only]
        if subscribers is not None:  # a reader removed from the configuration gets nothing
            wanted = {e.lower() for e in subscribers}
            queue = [d for d in queue if d.subscriber in wanted]
        for round_ in range(delivery_settings.retries_per_run + 1):
            if round_:
                self.sleep(delivery_settings.retry_delay * 2 ** (round_ - 1))
            retry: list[Delivery] = []
            for delivery in queue:
                try:
                    outcome, again = self._send_one(transport, delivery)
                except DeliveryError as exc:  # the server or the outbox cannot be used
                    summary.problem = str(exc)
                    summary.outcomes.extend(
                        Outcome(d.subscriber, "deferred", d.papers, _window(d), "not tried")
                        for d in queue[queue.index(delivery) :]
                    )
                    return
                if again is not None and round_ < delivery_settings.retries_per_run:
                    retry.append(again)
                    continue
                if outcome is not None:
                    summary.outcomes.append(outcome)
            queue = retry
            if not queue:
                return

    def _claimable(self, pending: list[Delivery]) -> list[Delivery]:
        """Pending deliveries no live process is sending right now."""
        return [d for d in pending if _claim_is_stale(d, self.owner, self.clock())]

    def _send_one(
        self, transport: Transport, delivery: Delivery
    ) -> tuple[Outcome | None, Delivery | None]:
        """Send one delivery: (its outcome, the delivery again when worth another try)."""
        ledger, window = self.store.ledger, _window(delivery)
        max_attempts = self.settings.delivery.max_attempts
        if delivery.attempts >= max_attempts:
            reply = f"gave up after {delivery.attempts} attempts: {delivery.reply or ''}".strip()
            ledger.finish(delivery.id, FAILED, reply=reply, transport="", now=self.now)
            return Outcome(delivery.subscriber, "failed", delivery.papers, window, reply), None
        if not ledger.claim(delivery, self.owner, self.clock()):
            return None, None  # another run took it
        data = ledger.message(delivery.id)
        if data is None:  # cannot happen for a pending row; never send an empty message
            ledger.finish(delivery.id, FAILED, reply="no message", transport="", now=self.now)
            return Outcome(delivery.subscriber, "failed", 0, window, "no message"), None
        message = email.message_from_bytes(data, policy=email.policy.SMTP)
        assert isinstance(message, EmailMessage)
        kind = transport.kind
        try:
            result = transport.send(message)
        except DeliveryError:  # nothing reached a server: the attempt does not count
            ledger.release(delivery.id, self.owner, self.clock())
            raise
        attempts = delivery.attempts + 1
        finish = functools.partial(
            ledger.finish, delivery.id, transport=kind, now=self.clock(), owner=self.owner
        )
        if result.status == "sent":
            finish(SENT, reply=result.reply)
            return Outcome(delivery.subscriber, "sent", delivery.papers, window, result.reply), None
        if result.status == "unknown" and attempts < max_attempts:
            # It may have arrived: never again in this run; the next run sends it once more.
            finish(PENDING, reply=result.reply)
            detail = f"{result.reply} (attempt {attempts} of {max_attempts}; next run)"
            return Outcome(delivery.subscriber, "deferred", delivery.papers, window, detail), None
        if result.status == "temporary" and attempts < max_attempts:
            finish(PENDING, reply=result.reply)
            again = dataclasses.replace(
                delivery, attempts=attempts, claimed_by=None, reply=result.reply
            )
            detail = f"{result.reply} (attempt {attempts} of {max_attempts}; will retry)"
            return Outcome(delivery.subscriber, "deferred", delivery.papers, window, detail), again
        reply = result.reply
        if result.status in ("temporary", "unknown"):
            reply = f"gave up after {attempts} attempts: {reply}"
        finish(FAILED, reply=reply)
        return Outcome(delivery.subscriber, "failed", delivery.papers, window, reply), None

    def pending_outcomes(self) -> list[Outcome]:
        """What a run would retry (for --dry-run)."""
        return [
            Outcome(d.subscriber, "retry", d.papers, _window(d), d.reply or "not yet tried")
            for d in self._claimable(self.store.ledger.pending())
        ]


def _window(delivery: Delivery) -> tuple[dt.date, dt.date]:
    return delivery.window_from, delivery.window_to


def _claim_is_stale(delivery: Delivery, owner: str, now: dt.datetime) -> bool:
    """True when nobody is sending this delivery: never claimed, claimed by this process
    before (an interrupted run), by a process of this machine that is gone, or by another
    machine longer than CLAIM_LEASE ago."""
    if delivery.claimed_by is None or delivery.claimed_by == owner:
        return True
    host, _, pid = delivery.claimed_by.rpartition(":")
    if host == owner.rpartition(":")[0] and pid.isdigit():
        return not _process_alive(int(pid))
    return delivery.claimed_at is None or now - delivery.claimed_at > CLAIM_LEASE


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, and someone else's
        return True
    return True


def send_due(
    store: Store,
    settings: Settings,
    recipients: Sequence[Recipient],
    transport: Transport,
    now: dt.datetime,
    *,
    dry_run: bool = False,
    embedder: Embedder | None = None,
    sleep: Callable[[float], None] = time.sleep,
    deliver_to: Sequence[str] | None = None,
    newest: dt.date | None = None,
    trending_newest: dt.date | None = None,
) -> SendSummary:
    """Plan each reader's due digest and deliver every pending one (of `deliver_to`, default
    the `recipients`: a reader no longer subscribed gets nothing). Idempotent: a second run
    with nothing newly announced sends nothing. With `dry_run`, nothing is written or sent."""
    run = DigestRun(store, settings, now, embedder=embedder, sleep=sleep)
    summary = SendSummary()
    if dry_run:
        summary.outcomes = run.pending_outcomes() + run.plan(
            recipients, dry_run=True, newest=newest, trending_newest=trending_newest
        )
        return summary
    planned = run.plan(recipients, newest=newest, trending_newest=trending_newest)
    try:
        wanted = [r.email for r in recipients] if deliver_to is None else deliver_to
        run.deliver(transport, summary, subscribers=wanted)
    finally:
        transport.close()
    delivered = {o.subscriber for o in summary.outcomes}
    summary.outcomes += [
        o
        for o in planned
        if o.status == "skipped" or (o.status == "nothing" and o.subscriber not in delivered)
    ]
    return summary


def choose_transport(settings: Settings, outbox: str | None = None) -> Transport:
    """`--outbox DIR` when given; else SMTP when smtp.host is set; else the default outbox, so
    that a first run needs no mail server."""
    from paperwire.delivery.outbox import OutboxTransport
    from paperwire.delivery.smtp import SmtpTransport

    if outbox is not None:
        return OutboxTransport(Path(outbox))
    if settings.smtp.host:
        return SmtpTransport(settings.smtp)
    return OutboxTransport(Path(settings.delivery.outbox))


def send_digest(
    store: Store,
    settings: Settings,
    recipient: Recipient,
    digest: Digest,
    transport: Transport,
    now: dt.datetime,
) -> SendSummary:
    """Record one digest already built (by `paperwire digest --send`) and deliver it alone,
    under the ledger's rules: build it with `skip=ledger.received(...)` first."""
    run = DigestRun(store, settings, now)
    summary = SendSummary()
    try:
        outcome, delivery_id = run.record(recipient, digest)
        if delivery_id is None or outcome.status != "planned":
            summary.outcomes.append(outcome)
        else:
            run.deliver(transport, summary, only=[delivery_id])
    finally:
        transport.close()
    return summary
