"""The one interface every channel implements, and what a run of deliveries reports.

A channel receives a built digest (models.Digest) and the reader it is for; it says what the
ledger must keep to deliver it (`prepare`), then delivers it from that (`deliver`). Email is
one channel (its transports: SMTP, or an outbox of .eml files); a reader's private Atom feed
is another. The planner (delivery.planner) only loops over the channels.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from paperwire.models import Digest, Reader

if TYPE_CHECKING:
    from paperwire.store.ledger import Delivery


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What became of one delivery: sent, temporary (try again later), permanent (refused
    for good), or unknown (the whole message went out but no reply came back: it may have
    arrived, so it is not sent again at once)."""

    status: Literal["sent", "temporary", "permanent", "unknown"]
    reply: str  # the server's words, e.g. "250 2.0.0 Ok: queued as 4F2A"
    code: int | None = None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A digest as a channel will deliver it: what the ledger records before delivering."""

    message_id: str  # an email's Message-ID ("" for a channel without one)
    subject: str
    payload: bytes | None  # kept in the ledger until delivered (None: built when delivered)
    shown: Digest  # the digest as delivered: an email cut to fit shows fewer papers


class Channel(ABC):
    """Where digests go. `name` is what a reader's `channels` and the ledger call it."""

    name: str

    @abstractmethod
    def prepare(self, digest: Digest, reader: Reader, now: dt.datetime) -> Prepared:
        """Build what delivering `digest` to `reader` takes (an email: its bytes)."""

    @abstractmethod
    def deliver(
        self, delivery: Delivery, payload: bytes | None, now: dt.datetime
    ) -> DeliveryResult:
        """Deliver a recorded digest. Raise DeliveryError when the channel cannot be used for
        any reader (a mail server that cannot be reached): the rest of its queue waits."""

    @property
    def transport_name(self) -> str:
        """How the ledger records what delivered it ("smtp", "outbox", "atom")."""
        return self.name

    @abstractmethod
    def describe(self) -> str:
        """Where this channel delivers: "SMTP server mail.example.org:587", "outbox DIR"."""

    def close(self) -> None:  # noqa: B027 (most channels hold nothing)
        """Release what delivering held (an SMTP connection)."""

    def reader_note(self, reader: Reader) -> str:
        """What `paperwire subscribers show` says about this reader on this channel."""
        return ""


# The detail of a digest left waiting because its channel could not be used at all.
NOT_TRIED = "not tried"


class OutcomeStatus(StrEnum):
    """What one run did (or would do) for one reader's digest on one channel."""

    SENT = "sent"
    DEFERRED = "deferred"  # refused for now, or not tried: the next run tries again
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing matched, and empty windows are skipped
    NOTHING = "nothing"  # no new announcements since the last digest
    PLANNED = "planned"  # recorded, not yet delivered (a dry run: would send)
    RETRY = "retry"  # a dry run: a pending digest would be tried again
    WAITING = "waiting"  # a dry run: the send time has not come
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one run did for one reader's digest on one channel."""

    subscriber: str
    status: OutcomeStatus
    papers: int = 0
    window: tuple[dt.date, dt.date] | None = None
    detail: str = ""  # the server's words, or why
    channel: str = "email"


@dataclass(slots=True)
class SendSummary:
    """A run's outcomes, where they went, and the problems that stopped a channel early."""

    outcomes: list[Outcome] = field(default_factory=list)
    transport: str = ""  # where the digests went: "outbox /path", "SMTP server host:587"
    problems: list[str] = field(default_factory=list)

    def count(self, status: OutcomeStatus) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def merge(self, other: SendSummary) -> None:
        """Add another channel's summary to this one."""
        self.outcomes += other.outcomes
        if other.transport:
            self.transport = ", ".join(filter(None, (self.transport, other.transport)))
        self.problems += other.problems

    @property
    def failed(self) -> bool:
        """True when some digest did not reach its destination (exit status 1)."""
        return bool(self.problems) or any(
            o.status in (OutcomeStatus.FAILED, OutcomeStatus.DEFERRED) for o in self.outcomes
        )
