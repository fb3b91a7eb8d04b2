"""What every kind of digest says about itself: which days it covers, how it is built, and
the words a digest of its kind uses."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paperwire.models import Digest, Profile

if TYPE_CHECKING:
    from paperwire.digest.select import DigestBuilder
    from paperwire.sources.base import FetchContext, FetchReport
    from paperwire.store import Store


@dataclass(frozen=True, slots=True)
class DigestRequest:
    """One reader's digest to build: whose, of which kind, for which window, without which
    papers (keys the reader has already received), from which sources (empty: every one)."""

    profile: Profile
    window_from: dt.date
    window_to: dt.date
    skip: Collection[str] = ()
    kind: str = "topics"
    only_matching: bool = False  # trending: only the papers on the reader's topics
    sources: Collection[str] = ()


@dataclass(frozen=True, slots=True)
class Limits:
    """What bounds new digests of a kind, for `run` and `send` alike."""

    newest: dt.date | None  # new digests end here (None: nothing stored to plan from yet)
    holes: Sequence[dt.date] = ()  # missed days: while any remain, no new digest is planned


@dataclass(frozen=True, slots=True)
class OneOff:
    """A digest asked for by hand (`paperwire digest`): which days, and what may be fetched."""

    date: dt.date | None = None
    since: dt.date | None = None
    categories: Sequence[str] = ()  # arXiv categories to make sure of (weights dropped)
    fetch: bool = True
    send: bool = False  # to be sent: only days that are complete


class DigestKind(ABC):
    """A kind of digest. `name` is what a reader's `mode` and the ledger call it."""

    name: str
    heading: str  # the digest's title: "arXiv digest" (see `title`)
    days_noun: str  # what happens on its days: "announced", "featured"
    as_published: str  # a schedule without a send time: "as announced"
    option: str = ""  # the `paperwire digest` option that asks for this kind
    fetch_hint: str = ""  # how to bring in days the store lacks

    def title(self, digest: Digest) -> str:
        """The digest's title, above its papers."""
        return self.heading

    # --- days -------------------------------------------------------------------------------

    @abstractmethod
    def limits(self, store: Store, now: dt.datetime) -> Limits:
        """Where new digests of this kind end, and the days that hold them back."""

    @abstractmethod
    def published_days(self, store: Store, since: dt.date, now: dt.datetime) -> list[dt.date]:
        """The days from `since` on with something for digests of this kind, oldest first."""

    @abstractmethod
    def latest_by(self, moment: dt.datetime) -> dt.date:
        """The newest day whose papers a digest sent at `moment` may cover (its calendar)."""

    def newest_asked(self, now: dt.datetime) -> dt.date:
        """The newest day a one-off digest may be asked for (`--date`, `--since`): a later
        one has nothing to show yet."""
        return self.latest_by(now)

    @abstractmethod
    def prepare(
        self, context: FetchContext, request: OneOff
    ) -> tuple[FetchReport, tuple[dt.date, dt.date]]:
        """Fetch what a one-off digest needs and the store lacks: (what was fetched, the
        window when neither --date nor --since says otherwise)."""

    # --- papers -----------------------------------------------------------------------------

    @abstractmethod
    def build(
        self,
        builder: DigestBuilder,
        requests: Sequence[DigestRequest],
        *,
        limit: int,
        min_score: float,
    ) -> list[Digest]:
        """One digest per request, in order (readers sharing a window are ranked together)."""

    # --- words ------------------------------------------------------------------------------

    @abstractmethod
    def summary(self, digest: Digest) -> str:
        """ "7 of 412 papers announced in cs.LG matched." """

    @abstractmethod
    def subject(self, digest: Digest) -> str:
        """The email's subject, before clipping: "7 new papers for you: <best title>"."""

    @abstractmethod
    def empty_note(self, digest: Digest, dates: str) -> str:
        """What a digest with nothing in it says ("" when it has papers)."""

    @abstractmethod
    def more_note(self, count: int) -> str:
        """ "3 more papers matched." """
