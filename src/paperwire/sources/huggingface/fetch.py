"""Fetch Hugging Face's Daily Papers into the store, and know which featured days are done.

Hugging Face features papers on weekdays (UTC dates), none at weekends: its calendar is
arXiv's without the holidays. A day's list grows and its upvotes climb while the day lasts, so
the current day is fetched again every `sources.huggingface.refresh` minutes, and once more
after it ended: that last fetch makes the day *final*, and only final days go into trending
digests. Any day can be asked for by date, so days missed while the machine was off are simply
fetched later; until they are, trending digests wait rather than jump over them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paperwire.config import HuggingFaceSettings
from paperwire.errors import FeedFormatError, FetchError, UsageError
from paperwire.models import FeedBatch
from paperwire.sources.base import FetchReport, RouteResult, RouteStatus
from paperwire.sources.huggingface import parse as huggingface
from paperwire.store import Store, TrendingDay

if TYPE_CHECKING:
    from paperwire.http import PoliteSession

log = logging.getLogger(__name__)

ROUTE_API = "huggingface"
ROUTE_PAGE = "huggingface-page"


def is_featured_day(day: dt.date) -> bool:
    """Hugging Face features papers Monday to Friday."""
    return day.weekday() < 5


def featured_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """The featured days from `first` to `last`, inclusive."""
    days = []
    day = first
    while day <= last:
        if is_featured_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def latest_featured_day(now: dt.datetime) -> dt.date:
    """The newest featured day that has begun at `now` (UTC): today, or Friday at weekends."""
    day = now.astimezone(dt.UTC).date()
    while not is_featured_day(day):
        day -= dt.timedelta(days=1)
    return day


def latest_final_day(now: dt.datetime) -> dt.date:
    """The newest featured day that had ended at `now`: a digest sent then may cover it."""
    return latest_featured_day(now.astimezone(dt.UTC) - dt.timedelta(days=1))


def day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), dt.UTC)


# A day whose fetches still fail this long after it ended is passed over: trending digests go
# on without it (each failed try was reported), and `paperwire fetch --source huggingface
# --date` can still bring it in. Without this, one date Hugging Face refuses would hold every
# trending digest for as long as the day stays within reach.
GIVE_UP = dt.timedelta(days=1)


def _given_up(day: dt.date, record: TrendingDay, now: dt.datetime) -> bool:
    return record.status == "failed" and now >= day_end(day) + GIVE_UP


def _first_day(records: dict[dt.date, TrendingDay], latest: dt.date, oldest: dt.date) -> dt.date:
    """Where the days to keep complete start: the oldest day fetched within reach, or, on a
    first run, the day before the latest (so a first trending digest has a finished day)."""
    if records:
        return max(oldest, min(records))
    return max(oldest, latest_featured_day(day_end(latest) - dt.timedelta(days=2)))


def _within_reach(
    store: Store, now: dt.datetime, lookback_days: int
) -> tuple[dt.date, dt.date, dict[dt.date, TrendingDay]]:
    """(the latest featured day, the oldest a digest can reach, the records between)."""
    latest = latest_featured_day(now)
    oldest = latest - dt.timedelta(days=lookback_days - 1)
    return latest, oldest, store.trending_days(oldest, latest)


def needs_fetch(
    day: dt.date,
    record: TrendingDay | None,
    now: dt.datetime,
    *,
    refresh: dt.timedelta,
    retry: dt.timedelta,
    force: bool = False,
) -> bool:
    """Whether a featured day is to be fetched now: never fetched; failed, `retry` after the
    last try; not final, once it has ended (its final fetch) or `refresh` after the last."""
    if record is None:
        return True
    if record.final:
        return False
    if record.status == "failed":
        return force or now - record.fetched_at >= retry
    return force or now >= day_end(day) or now - record.fetched_at >= refresh


def due_days(
    store: Store,
    now: dt.datetime,
    *,
    lookback_days: int,
    refresh: dt.timedelta,
    retry: dt.timedelta,
    force: bool = False,
) -> list[dt.date]:
    """The featured days within reach to fetch now, oldest first (see `needs_fetch`); days
    given up on are left alone."""
    latest, oldest, records = _within_reach(store, now, lookback_days)
    due = []
    for day in featured_days(_first_day(records, latest, oldest), latest):
        record = records.get(day)
        if record is not None and _given_up(day, record, now):
            continue
        if needs_fetch(day, record, now, refresh=refresh, retry=retry, force=force):
            due.append(day)
    return due


def newest_final_day(store: Store, now: dt.datetime, *, lookback_days: int) -> dt.date | None:
    """The newest featured day trending digests may end on: final, with every featured day
    before it (within reach) final too, or given up on. None while the first day is not."""
    latest, oldest, records = _within_reach(store, now, lookback_days)
    if not records:
        return None
    newest = None
    for day in featured_days(max(oldest, min(records)), latest):
        record = records.get(day)
        if record is not None and _given_up(day, record, now):
            continue
        if record is None or not record.final or record.status == "failed":
            break
        newest = day
    return newest


def requested_days(
    now: dt.datetime, on_date: dt.date | None = None, since: dt.date | None = None
) -> list[dt.date]:
    """The featured days `--date` or `--since` stand for (default: the latest); a date
    Hugging Face features nothing on is a usage error."""
    latest = latest_featured_day(now)
    if since is not None:
        if since > latest:
            raise UsageError(f"--since {since}: Hugging Face's latest featured day is {latest}")
        return featured_days(since, latest)
    if on_date is not None:
        if on_date > now.astimezone(dt.UTC).date():
            raise UsageError(f"--date {on_date}: Hugging Face's latest featured day is {latest}")
        if not is_featured_day(on_date):
            raise UsageError(f"--date {on_date}: Hugging Face features no papers on {on_date:%A}s")
        return [on_date]
    return [latest]


@dataclass
class TrendingIngestor:
    """Fetches Hugging Face's Daily Papers into `store`, politely, through `http`."""

    settings: HuggingFaceSettings
    store: Store
    http: PoliteSession
    now: dt.datetime

    def run(self, on_date: dt.date | None = None, since: dt.date | None = None) -> FetchReport:
        """What `paperwire fetch --source huggingface` does: one day (default: the latest) or
        every featured day since a date."""
        return self.fetch_days(self.days(on_date, since))

    def days(self, on_date: dt.date | None = None, since: dt.date | None = None) -> list[dt.date]:
        """The featured days `--date` or `--since` stand for (see `requested_days`)."""
        return requested_days(self.now, on_date, since)

    def fetch_days(self, days: list[dt.date]) -> FetchReport:
        """Fetch each day; a day that fails is recorded as failed (tried again later) and
        reported, and the others still go ahead."""
        report = FetchReport()
        for day in days:
            try:
                result, warning = self.fetch_day(day)
            except FetchError as exc:
                report.problems.append(f"Hugging Face Daily Papers of {day}: {exc}")
                self._record_failure(day)
                continue
            report.results.append(result)
            if warning:
                report.warnings.append(warning)
        return report

    def fetch_day(self, day: dt.date) -> tuple[RouteResult, str]:
        """Read one featured day (the API, else the page) and store it in one transaction:
        (what was stored, a warning when the page stood in for the API)."""
        api_url = huggingface.day_url(self.settings.api_url, day)
        warning = ""
        try:
            response = self.http.get(api_url)
            batch = huggingface.parse_daily_papers(response.content, api_url, day)
            route = ROUTE_API
        except FetchError as api_error:
            if not self.settings.page_url:
                raise
            page_url = huggingface.day_url(self.settings.page_url, day)
            try:
                response = self.http.get(page_url)
                batch = huggingface.parse_papers_page(response.content, page_url, day)
                if batch.announced != day:  # recorded as this day, it would end it empty
                    raise FeedFormatError(page_url, f"shows {batch.announced}, not {day}")
            except FetchError as page_error:
                raise FetchError(
                    api_error.url, f"{api_error.reason}; the papers page failed too: {page_error}"
                ) from None
            route = ROUTE_PAGE
            warning = f"Hugging Face's API failed, used the papers page: {api_error}"
        return self._store(day, batch, route), warning

    def _store(self, day: dt.date, batch: FeedBatch, route: str) -> RouteResult:
        final = self.now >= day_end(day)
        with self.store.transaction() as connection:
            counts = self.store.upsert_trending(connection, batch.papers, self.now)
            self.store.record_trending_day(
                connection,
                featured=day,
                route=route,
                status="featured" if batch.papers else "empty",
                items=len(batch.papers),
                final=final,
                now=self.now,
            )
        if not batch.papers:
            note = "Hugging Face featured no papers"
            return RouteResult(route, batch.url, day, RouteStatus.EMPTY, counts, note=note)
        note = f"{batch.skipped} items without an arXiv id left out" if batch.skipped else ""
        return RouteResult(route, batch.url, day, RouteStatus.STORED, counts, note)

    def _record_failure(self, day: dt.date) -> None:
        """A failed fetch leaves the day unfinished (papers stored before stay) and waits
        `schedule.fetch_retry` before the next try. A day already final stays final."""
        record = self.store.trending_days(day, day).get(day)
        if record is not None and record.final:
            return
        with self.store.transaction() as connection:
            self.store.record_trending_day(
                connection,
                featured=day,
                route=ROUTE_API,
                status="failed",
                items=0,
                final=False,
                now=self.now,
            )
