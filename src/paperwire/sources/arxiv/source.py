"""arXiv as a source: what `fetch` asks of it, what a tick finds due, and never losing a day.

When the store's history of announcements has a hole (the machine was off for days; the feed
only ever shows the newest day), the missing days are fetched from the arXiv API, and while
a hole remains no new topics digest is planned (digest.kinds), because a digest that jumped
over it would leave those days to nobody.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paperwire.config import ArxivSettings
from paperwire.errors import PaperwireError, UsageError
from paperwire.models import ARXIV
from paperwire.sources.arxiv.calendar import announcement_days, latest_announcement_date
from paperwire.sources.arxiv.ids import feed_key, parse_arxiv_id
from paperwire.sources.base import FetchContext, FetchReport, FetchRequest, Probe, Source
from paperwire.store import FeedDay, Store
from paperwire.syntax import split_weight

if TYPE_CHECKING:
    from paperwire.sources.arxiv.fetch import Ingestor

log = logging.getLogger(__name__)

# An arXiv id that exists, for the smallest possible API query (one record).
_API_PROBE_ID = "2401.00001"


def accounted_for(day: FeedDay | None) -> bool:
    """A day a fetch saw (papers, or arXiv's "nothing today"), or one the API was asked about.
    A day the calendar expected but no feed showed yet ("none" by the calendar) is not: the
    feed moved on before it was read, or it was a holiday; the API tells which."""
    return day is not None and (day.status in ("announced", "empty") or day.route == "api")


@dataclass
class ArxivSource(Source):
    """arXiv's announcements for a set of categories: the configured ones and every reader's.

    `lookback_days` is how far back a digest can reach (digest.lookback_days): holes older
    than that are nobody's concern. `retry` is how long a day looked for in vain, or a failed
    fetch, waits before the next try (schedule.fetch_retry)."""

    settings: ArxivSettings
    categories: Sequence[str]
    holidays: Collection[dt.date] = ()
    lookback_days: int = 14
    retry: dt.timedelta = dt.timedelta(minutes=30)

    name = ARXIV
    label = "arXiv"
    newsworthy = True
    past_days = True

    @property
    def key(self) -> str:
        """The name of this set of categories in the store's fetch history."""
        return feed_key(self.categories)

    def ingestor(self, context: FetchContext, categories: Sequence[str] = ()) -> Ingestor:
        # The parsers are imported when something is fetched, not on every idle tick.
        from paperwire.sources.arxiv.fetch import Ingestor

        return Ingestor(
            self.settings,
            context.store,
            context.http,
            context.now,
            categories or self.categories,
            holidays=self.holidays,
        )

    # --- paperwire fetch ------------------------------------------------------------------------

    def check(self, request: FetchRequest, now: dt.datetime) -> None:
        if sum(x is not None and x != () for x in (request.date, request.since, request.ids)) > 1:
            raise UsageError("give only one of --date, --since and --id")
        for text in request.ids:
            try:
                parse_arxiv_id(text)
            except ValueError as exc:
                raise UsageError(f"--id: {exc}") from None
        if request.date is not None:
            from paperwire.sources.arxiv.fetch import check_date

            check_date(request.date, now, self.holidays)

    def fetch(self, context: FetchContext, request: FetchRequest) -> FetchReport:
        """The latest announcement (the feed; the listing pages when it fails or is stale), one
        past day, a backfill since a date (more than `oai_after_days` back: OAI-PMH; else the
        API), or papers by id."""
        ids = [parse_arxiv_id(i)[0] for i in request.ids]
        if request.since is not None and self._bulk(request.since, context.now):
            from paperwire.sources.arxiv.harvest import Harvest

            with context.progress("arXiv OAI-PMH") as progress:
                harvest = Harvest(
                    self.settings,
                    context.store,
                    context.http,
                    context.now,
                    request.categories or self.categories,
                    tuple(self.holidays),
                    progress,
                )
                return harvest.run(request.since)
        label = "arXiv API" if ids or request.since else "arXiv"
        with context.progress(label) as progress:
            ingestor = self.ingestor(context, request.categories)
            ingestor.progress = progress
            return ingestor.run(
                request.route,  # type: ignore[arg-type]
                request.date,
                request.since,
                list(dict.fromkeys(ids)),
            )

    def _bulk(self, since: dt.date, now: dt.datetime) -> bool:
        """Whether a backfill since `since` is long enough for OAI-PMH."""
        latest = latest_announcement_date(now, self.holidays)
        return (latest - since).days > self.settings.oai_after_days

    def probes(self) -> list[Probe]:
        """The RSS feed of the configured categories, the first category's listing page, a
        one-record API query and the OAI-PMH repository's Identify; each answer is read as
        what it should be."""
        from paperwire.sources.arxiv import api, listing, oai, rss

        arxiv = self.settings
        return [
            Probe("arxiv rss", rss.feed_url(arxiv.rss_url, arxiv.categories), rss.parse_feed),
            Probe(
                "arxiv listing",
                listing.listing_url(arxiv.listing_url, arxiv.categories[0]),
                listing.parse_listing,
            ),
            Probe(
                "arxiv api",
                api.query_url(arxiv.api_url, id_list=[_API_PROBE_ID], max_results=1),
                api.parse_api_response,
            ),
            Probe("arxiv oai", oai.identify_url(arxiv.oai_url), oai.read_identify),
        ]

    # --- a tick ---------------------------------------------------------------------------------

    def fetch_due(self, context: FetchContext, *, force: bool = False) -> FetchReport | None:
        """Fetch the newest announcement when arXiv's calendar says one is out and the store
        lacks it, and fill holes from the API. A day looked for in vain, or a fetch that
        failed, is tried again after `retry` (at once with `force`), so a feed or API that is
        down is not asked every tick."""
        store, now, key = context.store, context.now, self.key
        expected = latest_announcement_date(now, self.holidays)
        days = store.feed_days(key, expected, expected + dt.timedelta(days=7))
        record = days.get(expected)
        # A feed already showing a later (empty) day will not show this one again: the API's job.
        moved_on = any(d > expected and accounted_for(day) for d, day in days.items())
        due = not moved_on and (
            record is None
            or (
                record.status not in ("announced", "empty")
                and (force or now - record.fetched_at >= self.retry)
            )
        )
        holes = self.missing_days(store, now)
        if not due and not (holes and (force or self._waited(store, holes, now))):
            return None
        # Sorted: one feed URL (and its HTTP validators) whatever order readers came in.
        ingestor = self.ingestor(context, sorted(self.categories))
        report = FetchReport()
        if due:
            try:
                report.extend(ingestor.fetch_latest("auto"))
            except PaperwireError as exc:
                report.problems.append(str(exc))
                self._note_attempt(store, [expected], now)
        holes = self.missing_days(store, now)
        if holes and (force or self._waited(store, holes, now)):
            filled = self._fill(store, ingestor, holes, now)
            if filled.problems:
                self._note_attempt(store, holes, now)
            report.extend(filled)
        return report

    def missing_days(self, store: Store, now: dt.datetime) -> list[dt.date]:
        """Announcement days up to arXiv's latest that no fetch of these categories has
        accounted for, since the first day any fetch accounted for (whatever its categories: a
        reader who adds a category must not hide the days the machine was off), looking back
        as far as a digest can reach. The latest day itself counts only once the feed has
        moved past it (a later, empty weekend or holiday day is recorded); before that it is
        simply not fetched yet. A store no fetch has written to has no holes: a first run
        starts from the newest."""
        newest = latest_announcement_date(now, self.holidays)
        oldest = newest - dt.timedelta(days=self.lookback_days - 1)
        first, last_day = oldest - dt.timedelta(days=31), newest + dt.timedelta(days=7)
        days = store.feed_days(self.key, first, last_day)
        seen = sorted(store.fetched_dates(first, last_day))
        if not seen or seen[0] >= newest:
            return []
        mine = [d for d, day in days.items() if accounted_for(day)]
        last = newest if mine and max(mine) > newest else newest - dt.timedelta(days=1)
        return [
            d
            for d in announcement_days(max(seen[0], oldest), last, self.holidays)
            if not accounted_for(days.get(d))
        ]

    def newest_complete_day(self, store: Store) -> dt.date | None:
        """The newest announcement these categories have stored whole: digests end there, so
        a day another command stored for fewer categories is not sent half."""
        newest = store.latest_feed_day(self.key, ("announced",))
        return newest[0] if newest else None

    def _note_attempt(self, store: Store, days: Sequence[dt.date], now: dt.datetime) -> None:
        """Remember a failed try at these days, so the next one waits `retry`."""
        records = store.feed_days(self.key, min(days), max(days))
        with store.transaction() as connection:
            for day in days:
                if accounted_for(records.get(day)):
                    continue
                store.record_feed_day(
                    connection,
                    feed_key=self.key,
                    announced=day,
                    route="calendar",
                    status="none",
                    items=0,
                    now=now,
                )

    def _waited(self, store: Store, days: Sequence[dt.date], now: dt.datetime) -> bool:
        """True when these days may be tried again: some never tried, or the last try was at
        least `retry` ago."""
        records = store.feed_days(self.key, min(days), max(days))
        tried = [records[d].fetched_at for d in days if d in records]
        return len(tried) < len(days) or now - max(tried) >= self.retry

    def _fill(
        self, store: Store, ingestor: Ingestor, holes: list[dt.date], now: dt.datetime
    ) -> FetchReport:
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


def reader_categories(configured: Sequence[str], profiles_categories: Sequence[str]) -> list[str]:
    """The configured categories, then every reader's own (weights dropped) not among them,
    sorted."""
    extra = {split_weight(c)[0] for c in profiles_categories} - set(configured)
    return [*configured, *sorted(extra)]
