"""The one interface every source of papers implements, and what a fetch reports.

A source (arXiv, Hugging Face's Daily Papers, a journal's feed) knows its own formats, its
calendar (when new items appear) and how to fetch politely. `paperwire fetch --source`,
`run` and `serve`, and `doctor` only loop over the configured sources (sources.configured).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from paperwire.errors import UsageError
from paperwire.models import UpsertCounts
from paperwire.text import one_line

if TYPE_CHECKING:
    from paperwire.http import PoliteSession
    from paperwire.store import Store

Progress = Callable[[int, int | None], None]  # (done, total or None)
# Given a label ("arXiv API"), a context manager yielding a Progress callback.
ProgressFactory = Callable[[str], AbstractContextManager[Progress]]


@contextmanager
def no_progress(_label: str) -> Iterator[Progress]:
    yield lambda _done, _total: None


class RouteStatus(StrEnum):
    """What one route of a fetch did."""

    STORED = "stored"  # papers arrived
    EMPTY = "empty"  # the source said: nothing new today
    STALE = "stale"  # it still shows a day already stored
    NOT_MODIFIED = "not-modified"  # HTTP 304
    BACKFILLED = "backfilled"  # a range of past days
    IDS = "ids"  # papers asked for by id


@dataclass(slots=True)
class RouteResult:
    """What one route (a feed, a listing, the API, a featured day) found and did."""

    route: str
    url: str
    announced: dt.date | None
    status: RouteStatus
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    note: str = ""
    source: str = ""  # the source's label, for the one line a person reads

    def summary(self) -> str:
        """One line a person reads at a glance."""
        where = f"{self.announced} via {self.route}" if self.announced else self.route
        if self.status in (RouteStatus.STORED, RouteStatus.BACKFILLED, RouteStatus.IDS):
            counts = self.counts
            kinds = ", ".join(
                f"{n} {kind}" for kind, n in sorted(counts.by_type.items()) if kind != "unknown"
            )
            line = (
                f"{where}: {counts.added} added, {counts.updated} updated, "
                f"{counts.unchanged} unchanged"
            )
            line += f" ({kinds})" if kinds else ""
            return line + (f" — {self.note}" if self.note else "")
        return f"{where}: {self.note}" if self.note else f"{where}: {self.status}"


@dataclass(slots=True)
class FetchReport:
    results: list[RouteResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # worth saying; the work still succeeded
    problems: list[str] = field(default_factory=list)  # papers may be missing: exit status 1

    @property
    def counts(self) -> UpsertCounts:
        total = UpsertCounts()
        for result in self.results:
            total += result.counts
        return total

    def extend(self, other: FetchReport) -> None:
        self.results += other.results
        self.warnings += other.warnings
        self.problems += other.problems


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """What `paperwire fetch` asks of a source: the latest (nothing set), one day, every day
    since a date, or papers by id. `route` and `categories` are arXiv's own options."""

    date: dt.date | None = None
    since: dt.date | None = None
    ids: tuple[str, ...] = ()
    route: str = "auto"
    categories: tuple[str, ...] = ()

    @property
    def latest(self) -> bool:
        return self.date is None and self.since is None and not self.ids


class FetchContext:
    """What a fetch works with: the store, the polite HTTP session, the clock, and a way to
    show progress on long work. `http` may be given as a function that makes the session:
    it is called only when a source really fetches (a cron tick with nothing due never pays
    for importing requests)."""

    def __init__(
        self,
        store: Store,
        http: PoliteSession | Callable[[], PoliteSession],
        now: dt.datetime,
        progress: ProgressFactory = no_progress,
    ) -> None:
        self.store = store
        self.now = now
        self.progress = progress
        self._http = http

    @property
    def http(self) -> PoliteSession:
        if callable(self._http) and not hasattr(self._http, "get"):
            self._http = self._http()
        return self._http  # type: ignore[return-value]


def unexpected_failure(exc: BaseException) -> str:
    """One line for what a source raised that it should not have (a parser beaten by a
    hostile answer, a bug): that source fails, the others go on."""
    words = one_line(str(exc))[:200]
    return f"unexpected error: {type(exc).__name__}" + (f": {words}" if words else "")


@dataclass(frozen=True, slots=True)
class Probe:
    """One URL `paperwire doctor` asks, to see whether a source answers, and how to read the
    answer: `read(body, url)` raises FeedFormatError when it is not what the source serves
    (a captcha page where a feed should be). None: any successful HTTP answer will do."""

    name: str  # "arxiv rss"
    url: str
    read: Callable[[bytes, str], object] | None = None


class Source(ABC):
    """A source of papers. Subclasses set `name` (what readers' `sources` and `fetch
    --source` call it) and `label` (what a person reads)."""

    name: str
    label: str
    # Whether what this source stores is news a cron job should print: arXiv's daily
    # announcement is; a list refreshed all day (Hugging Face's, a journal's) is not.
    newsworthy: bool = False
    # Fetched by `run`, `serve` and a plain `paperwire fetch`; an inactive source is fetched
    # only when named (`fetch --source NAME`, `--source all`).
    active: bool = True
    inactive_note: str = "not in use"  # what `doctor` says of an inactive source
    # Whether it can fetch a past day (--date, --since). One that cannot is left out of a
    # plain `fetch --since` (it has nothing to backfill) and refuses when named.
    past_days: bool = False

    def check(self, request: FetchRequest, now: dt.datetime) -> None:
        """Refuse, with a UsageError, a request this source cannot serve at `now`. Called
        for every source before any is fetched. By default: only the latest."""
        if request.ids:
            raise UsageError(f"--id fetches papers from arXiv, not from {self.label}")
        if request.date or request.since:
            raise UsageError(f"{self.label} has no past days to fetch; leave out --date/--since")
        if request.route != "auto" or request.categories:
            raise UsageError(f"--route and --category are arXiv's; not for {self.label}")

    @abstractmethod
    def fetch(self, context: FetchContext, request: FetchRequest) -> FetchReport:
        """What `paperwire fetch --source NAME` does."""

    @abstractmethod
    def fetch_due(self, context: FetchContext, *, force: bool = False) -> FetchReport | None:
        """What a tick of `run` or `serve` fetches: whatever this source's calendar says is
        due (retrying failures only after `schedule.fetch_retry`, unless `force`). None:
        nothing was due."""

    def probes(self) -> list[Probe]:
        """The URLs `paperwire doctor` asks (one GET each)."""
        return []
