"""One tick: fetch the announcement when one is due, then send the digests that are due.

`paperwire run` is one tick; `paperwire serve` runs ticks on a schedule. A tick is cheap when
there is nothing to do (a few queries, no HTTP), so cron can call it every few minutes.

Never losing a day: when the store's history of announcements has a hole (the machine was
off for days; the feed only ever shows the newest day), the missing days are fetched from the
arXiv API first, and while a hole remains no new digest is planned, because a digest that
jumped over it would leave those days to nobody. After downtime a reader gets one catch-up
digest covering every missed day (up to `digest.max_age_days`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from paperwire.config import Settings
from paperwire.delivery.batch import Recipient, SendSummary, Transport, send_due
from paperwire.errors import PaperwireError
from paperwire.http import PoliteSession
from paperwire.scheduling.due import DueReport, Reader, due_readers, readers
from paperwire.scoring.semantic import Embedder
from paperwire.scoring.syntax import split_weight
from paperwire.sources.arxiv.calendar import announcement_days, latest_announcement_date
from paperwire.sources.arxiv.fetch import FetchReport, Ingestor, feed_key
from paperwire.sources.huggingface.fetch import TrendingIngestor, due_days, newest_final_day
from paperwire.store import FeedDay, Store

log = logging.getLogger(__name__)


def _accounted_for(day: FeedDay | None) -> bool:
    """A day a fetch saw (papers, or arXiv's "nothing today"), or one the API was asked about.
    A day the calendar expected but no feed showed yet ("none" by the calendar) is not: the
    feed moved on before it was read, or it was a holiday; the API tells which."""
    return day is not None and (day.status in ("announced", "empty") or day.route == "api")


@dataclass(slots=True)
class TickReport:
    """What a tick did; `eventful` says whether a person needs to hear about it."""

    fetched: FetchReport | None = None  # None: no fetch was due
    trending: FetchReport | None = None  # Hugging Face's Daily Papers; None: none was due
    holes: list[dt.date] = field(default_factory=list)  # days still missing: digests held
    due: DueReport | None = None
    sent: SendSummary | None = None

    @property
    def held(self) -> bool:
        """Digests are held for missing days, and this tick tried to fetch them (in between
        tries, a tick says nothing: cron would mail the same line every few minutes)."""
        return bool(self.holes) and self.fetched is not None

    @property
    def failed(self) -> bool:
        """Exit status 1: a fetch or a delivery failed, or missing days could not be fetched."""
        return bool(
            (self.fetched and self.fetched.problems)
            or (self.trending and self.trending.problems)
            or self.held
            or (self.sent is not None and self.sent.failed)
        )

    @property
    def eventful(self) -> bool:
        """Papers arXiv announced stored, digests sent or refused, or something wrong.
        (Hugging Face's list grows all day: its refreshes are no news.)"""
        stored = self.fetched is not None and self.fetched.counts.added > 0
        delivered = self.sent is not None and any(
            o.status in ("sent", "failed", "deferred") for o in self.sent.outcomes
        )
        return stored or delivered or self.failed


def fetch_categories(settings: Settings, everyone: Sequence[Reader]) -> list[str]:
    """The configured categories and every reader's own (weights dropped), sorted."""
    wanted = set(settings.sources.arxiv.categories)
    for one in everyone:
        if not one.paused:
            wanted.update(split_weight(c)[0] for c in one.recipient.profile.categories)
    return sorted(wanted)


def missing_days(
    store: Store, key: str, settings: Settings, now: dt.datetime, *, newest: dt.date
) -> list[dt.date]:
    """Announcement days up to `newest` (arXiv's latest) that no fetch of these categories
    has accounted for, since the first day any fetch accounted for (whatever its categories:
    a reader who adds a category must not hide the days the machine was off), looking back as
    far as a digest can reach. `newest` itself counts only once the feed has moved past it (a
    later, empty weekend or holiday day is recorded); before that it is simply not fetched
    yet. A store no fetch has written to has no holes: a first run starts from the newest."""
    holidays = settings.schedule.holidays
    oldest = newest - dt.timedelta(days=settings.digest.lookback_days - 1)
    first, last_day = oldest - dt.timedelta(days=31), newest + dt.timedelta(days=7)
    days = store.feed_days(key, first, last_day)
    seen = sorted(store.fetched_dates(first, last_day))
    if not seen or seen[0] >= newest:
        return []
    mine = [d for d, day in days.items() if _accounted_for(day)]
    last = newest if mine and max(mine) > newest else newest - dt.timedelta(days=1)
    return [
        d
        for d in announcement_days(max(seen[0], oldest), last, holidays)
        if not _accounted_for(days.get(d))
    ]


def newest_complete_day(store: Store, key: str) -> dt.date | None:
    """The newest announcement these categories have stored whole: digests end there, so a
    day another command stored for fewer categories is not sent half."""
    newest = store.latest_feed_day(key, ("announced",))
    return newest[0] if newest else None


@dataclass(frozen=True, slots=True)
class PlanLimits:
    """What bounds new digests, for `run` and `send` alike."""

    holes: list[dt.date]  # missed days: while any remain, no new arXiv digest is planned
    newest: dt.date | None  # new digests end here (None: the newest stored announcement)
    trending_newest: dt.date | None = None  # trending digests end here (None: none yet)

    def plannable(self, due: Sequence[Recipient]) -> list[Recipient]:
        """The due readers whose digests may be planned: while arXiv days are missing, only
        trending readers (their featured days wait on Hugging Face's own fetches)."""
        return [r for r in due if r.trending] if self.holes else list(due)


def plan_limits(
    store: Store, settings: Settings, everyone: Sequence[Reader], now: dt.datetime
) -> PlanLimits:
    """No digest jumps over a missed day, and none ends on a day stored for fewer categories
    than the readers'."""
    key = feed_key(fetch_categories(settings, everyone))
    expected = latest_announcement_date(now, settings.schedule.holidays)
    return PlanLimits(
        missing_days(store, key, settings, now, newest=expected),
        newest_complete_day(store, key),
        newest_final_day(store, now, lookback_days=settings.digest.lookback_days),
    )


def wants_trending(settings: Settings, everyone: Sequence[Reader]) -> bool:
    """Hugging Face's Daily Papers are fetched when enabled, or when a reader gets them."""
    return settings.sources.huggingface.enabled or any(
        one.recipient.trending and not one.paused for one in everyone
    )


def fetch_trending_if_due(
    store: Store, settings: Settings, http: PoliteSession, now: dt.datetime, *, force: bool = False
) -> FetchReport | None:
    """Fetch the featured days that are due (see trending.due_days): missed days, the
    current day every `sources.huggingface.refresh` minutes, and each day once more after it
    ended. None: nothing was due."""
    hf = settings.sources.huggingface
    days = due_days(
        store,
        now,
        lookback_days=settings.digest.lookback_days,
        refresh=dt.timedelta(minutes=hf.refresh),
        retry=dt.timedelta(minutes=settings.schedule.fetch_retry),
        force=force,
    )
    if not days:
        return None
    return TrendingIngestor(hf, store, http, now).fetch_days(days)


def hold_notice(holes: Sequence[dt.date]) -> str:
    """The one line that says why new digests wait."""
    days = ", ".join(str(d) for d in holes)
    return f"holding new digests until these announcements are stored: {days}"


def _note_attempt(store: Store, key: str, days: Sequence[dt.date], now: dt.datetime) -> None:
    """Remember a failed try at these days, so the next one waits schedule.fetch_retry."""
    records = store.feed_days(key, min(days), max(days))
    with store.transaction() as connection:
        for day in days:
            if _accounted_for(records.get(day)):
                continue
            store.record_feed_day(
                connection,
                feed_key=key,
                announced=day,
                route="calendar",
                status="none",
                items=0,
                now=now,
            )


def _waited(
    store: Store, key: str, days: Sequence[dt.date], now: dt.datetime, retry: dt.timedelta
) -> bool:
    """True when these days may be tried again: some never tried, or the last try was at
    least `retry` ago."""
    records = store.feed_days(key, min(days), max(days))
    tried = [records[d].fetched_at for d in days if d in records]
    return len(tried) < len(days) or now - max(tried) >= retry


def fetch_if_due(
    store: Store,
    settings: Settings,
    http: PoliteSession,
    now: dt.datetime,
    categories: Sequence[str],
    *,
    force: bool = False,
) -> FetchReport | None:
    """Fetch the newest announcement when arXiv's calendar says one is out and the store
    lacks it, and fill holes from the API. A day looked for in vain, or a fetch that failed,
    is tried again after `schedule.fetch_retry` minutes (at once with `force`), so a feed or
    API that is down is not asked every tick. None: nothing was due."""
    schedule = settings.schedule
    key = feed_key(categories)
    expected = latest_announcement_date(now, schedule.holidays)
    days = store.feed_days(key, expected, expected + dt.timedelta(days=7))
    record = days.get(expected)
    retry = dt.timedelta(minutes=schedule.fetch_retry)
    # A feed already showing a later (empty) day will not show this one again: the API's job.
    moved_on = any(d > expected and _accounted_for(day) for d, day in days.items())
    due = not moved_on and (
        record is None
        or (
            record.status not in ("announced", "empty")
            and (force or now - record.fetched_at >= retry)
        )
    )
    holes = missing_days(store, key, settings, now, newest=expected)
    if not due and not (holes and (force or _waited(store, key, holes, now, retry))):
        return None
    ingestor = Ingestor(
        settings.sources.arxiv, store, http, now, categories, holidays=schedule.holidays
    )
    report = FetchReport()
    if due:
        try:
            report.extend(ingestor.fetch_latest("auto"))
        except PaperwireError as exc:
            report.problems.append(str(exc))
            _note_attempt(store, key, [expected], now)
    holes = missing_days(store, key, settings, now, newest=expected)
    if holes and (force or _waited(store, key, holes, now, retry)):
        filled = _fill(store, ingestor, holes, now)
        if filled.problems:
            _note_attempt(store, key, holes, now)
        report.extend(filled)
    return report


def _fill(store: Store, ingestor: Ingestor, holes: list[dt.date], now: dt.datetime) -> FetchReport:
    """Fetch missed days from the API and record each as accounted for."""
    log.info("fetching missed announcements %s to %s from the API", holes[0], holes[-1])
    try:
        report = ingestor.backfill(holes[0], holes[-1], option="catch-up")
    except PaperwireError as exc:  # unreachable, or more papers than one API query returns
        return FetchReport(problems=[f"missed days {holes[0]} to {holes[-1]}: {exc}"])
    if report.problems:
        return report  # some pages missing: the days stay holes, and are tried again
    stored = {p.announced for p in store.papers_announced(holes[0], holes[-1])}
    with store.transaction() as connection:
        for day in holes:
            store.record_feed_day(
                connection,
                feed_key=ingestor.key,
                announced=day,
                route="api",
                status="announced" if day in stored else "none",
                items=0,
                now=now,
            )
    return report


def tick(
    store: Store,
    settings: Settings,
    http: PoliteSession,
    now: dt.datetime,
    transport: Callable[[], Transport],
    *,
    fetch: bool = True,
    force_fetch: bool = False,
    embedder: Callable[[], Embedder | None] = lambda: None,
    sleep: Callable[[float], None] = time.sleep,
) -> TickReport:
    """Fetch what is due (unless `fetch` is off), then plan and send what is due."""
    report = TickReport()
    everyone = readers(store, settings, now)
    categories = fetch_categories(settings, everyone)
    if fetch:
        report.fetched = fetch_if_due(store, settings, http, now, categories, force=force_fetch)
        if wants_trending(settings, everyone):
            report.trending = fetch_trending_if_due(store, settings, http, now, force=force_fetch)
    limits = plan_limits(store, settings, everyone, now)
    report.holes = limits.holes
    active = [one for one in everyone if not one.paused]
    report.due = due_readers(store, everyone, now)
    planned = limits.plannable(report.due.due)
    if not planned and not store.ledger.pending():
        return report
    report.sent = send_due(
        store,
        settings,
        planned,
        transport(),
        now,
        embedder=embedder() if planned else None,
        sleep=sleep,
        deliver_to=[one.recipient.email for one in active],
        newest=limits.newest,
        trending_newest=limits.trending_newest,
    )
    return report
