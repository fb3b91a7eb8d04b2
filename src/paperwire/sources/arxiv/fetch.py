"""Fetch arXiv announcements into the store: the feed, the listing page, or the API backfill.

Responses are read and checked first, then stored: each stored route is one transaction in
which the papers, the day it recorded and the HTTP validators are written together or not at
all, so a failed fetch leaves the store as it was and the next run simply tries again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from paperwire.config import ArxivSettings
from paperwire.errors import FeedFormatError, FetchError, HTTPError, UsageError
from paperwire.models import AnnounceType, FeedBatch, Paper
from paperwire.sources.arxiv import api, rss
from paperwire.sources.arxiv.calendar import (
    EASTERN,
    estimated_announcement_date,
    is_announcement_day,
    latest_announcement_date,
    newest_possible_announcement_date,
)
from paperwire.sources.arxiv.ids import feed_key
from paperwire.sources.base import FetchReport, Progress, RouteResult, RouteStatus
from paperwire.store import Store

if TYPE_CHECKING:
    from paperwire.http import HttpResponse, PoliteSession

log = logging.getLogger(__name__)

Route = Literal["auto", "rss", "listing"]

# The arXiv API's advice: ids in batches; at most 30,000 results per query.
_ID_BATCH = 100
API_MAX_RESULTS = 30_000
# Submissions reach an announcement up to a few days later (weekends, holidays).
_SUBMISSION_LEAD = dt.timedelta(days=5)


@dataclass(slots=True)
class _Read:
    """A route's responses, parsed but not stored yet. `batch` is None for an HTTP 304."""

    route: str
    url: str
    batch: FeedBatch | None
    responses: list[HttpResponse]


def check_date(
    day: dt.date, now: dt.datetime, holidays: Collection[dt.date], option: str = "--date"
) -> None:
    """A UsageError unless arXiv announced on `day` (by `now`)."""
    latest = latest_announcement_date(now, holidays)
    if day > latest:
        raise UsageError(f"{option} {day}: arXiv's latest announcement is dated {latest}")
    if day.weekday() >= 5:
        raise UsageError(f"{option} {day}: arXiv announces nothing on {day:%A}s")
    if not is_announcement_day(day, holidays):
        raise UsageError(f"{option} {day}: arXiv announces nothing on this holiday")


def date_estimate(paper: Paper, categories: Sequence[str]) -> None:
    """Give a paper read from the API or OAI-PMH (which know submission times, not
    announcements) the announcement date its first version was estimated to have, and "new"
    when its primary category is among `categories`, else "cross"."""
    if paper.submitted is not None:
        try:
            paper.announced = estimated_announcement_date(paper.submitted)
        except OverflowError:  # a submission dated at the end of year 9999
            paper.announced = None
    listed = any(
        paper.primary_category == c or (paper.primary_category or "").startswith(c + ".")
        for c in categories
    )
    paper.announce_type = AnnounceType.NEW if listed else AnnounceType.CROSS


@dataclass
class Ingestor:
    """Fetches arXiv into `store` for a set of categories, politely, through `http`."""

    settings: ArxivSettings
    store: Store
    http: PoliteSession
    now: dt.datetime
    categories: Sequence[str] = ()
    progress: Progress | None = None
    holidays: Collection[dt.date] = ()  # besides the calendar's built-in ones

    def __post_init__(self) -> None:
        self.categories = list(self.categories or self.settings.categories)
        self.key = feed_key(self.categories)
        self.wanted = {AnnounceType(t) for t in self.settings.announce_types}

    def run(
        self,
        route: Route = "auto",
        on_date: dt.date | None = None,
        since: dt.date | None = None,
        ids: Sequence[str] = (),
    ) -> FetchReport:
        """What `paperwire fetch` does: papers by id, a backfill, or the latest day (and, for
        an older --date, that day from the API)."""
        if ids:
            return self.fetch_ids(list(dict.fromkeys(ids)))
        if since is not None:
            return self.backfill(since, option="--since")
        if on_date is not None:
            self._check_date(on_date, "--date")
        report = self.fetch_latest(route)
        if on_date is not None and on_date not in {r.announced for r in report.results}:
            report.extend(self.backfill(on_date, on_date, option="--date"))
        return report

    def _check_date(self, day: dt.date, option: str) -> None:
        check_date(day, self.now, self.holidays, option)

    # --- the day's announcement ---------------------------------------------------------------

    def fetch_latest(self, route: Route = "auto") -> FetchReport:
        """Store the newest announcement: the feed first, the listing pages when it is stale.

        A feed that fails or still carries an older date than arXiv's calendar says is due
        sends the auto route to the listing pages, a second view of the same announcement.
        When neither shows the expected date, that date is recorded as having no announcement
        (a holiday, or not published yet) and a warning says so.
        """
        report = FetchReport()
        expected = latest_announcement_date(self.now, self.holidays)
        if route == "listing":
            report.results.append(self._store(self._read_listing()))
        else:
            try:
                feed = self._read_rss()
            except FetchError as feed_error:
                if route == "rss":
                    raise
                try:
                    second = self._read_listing()
                except FetchError as listing_error:
                    raise FetchError(
                        feed_error.url,
                        f"{feed_error.reason}; the listing pages failed too: {listing_error}",
                    ) from None
                report.warnings.append(f"feed failed, used the listing pages: {feed_error}")
                report.results.append(self._store(second))
            else:
                first = self._store(feed)
                report.results.append(first)
                if route == "auto" and (first.announced is None or first.announced < expected):
                    self._complete_from_listing(first, report)
        self._note_missing_day(report, expected)
        return report

    def _complete_from_listing(self, first: RouteResult, report: FetchReport) -> None:
        log.info(
            "feed shows %s, arXiv's calendar %s: reading the listing pages",
            first.announced,
            latest_announcement_date(self.now, self.holidays),
        )
        try:
            second = self._read_listing()
        except FetchError as exc:
            # Not a quiet day: the announcement may be out and no route could read it. A
            # problem, so that cron's silent `run` says so (and exits 1).
            report.problems.append(f"the feed is behind and the listing pages failed: {exc}")
            return
        second_day = self._day_of(second)
        if second_day is not None and (first.announced is None or second_day > first.announced):
            report.results.append(self._store(second))

    def _note_missing_day(self, report: FetchReport, expected: dt.date) -> None:
        newest = max((r.announced for r in report.results if r.announced), default=None)
        if newest is not None and newest >= expected:
            return
        report.warnings.append(
            f"no announcement dated {expected} yet (newest seen: {newest or 'none'}): "
            "an arXiv holiday, or it is not published yet"
        )
        if self.store.feed_day(self.key, expected) is None:
            with self.store.transaction() as connection:
                self.store.record_feed_day(
                    connection,
                    feed_key=self.key,
                    announced=expected,
                    route="calendar",
                    status="none",
                    items=0,
                    now=self.now,
                )

    def _read_rss(self) -> _Read:
        url = rss.feed_url(self.settings.rss_url, self.categories)
        response = self._get(url)
        batch = None if response.not_modified else rss.parse_feed(response.content, url)
        return _Read("rss", url, batch, [response])

    def _read_listing(self) -> _Read:
        from paperwire.sources.arxiv import listing  # BeautifulSoup: only when it is needed

        responses: list[HttpResponse] = []
        batches: list[FeedBatch] = []
        for done, category in enumerate(self.categories, 1):
            url = listing.listing_url(self.settings.listing_url, category)
            response = self._get(url)
            responses.append(response)
            if not response.not_modified:
                batches.append(listing.parse_listing(response.content, url))
            if self.progress:  # one page per category, min_interval apart
                self.progress(done, len(self.categories))
        label = listing.listing_url(self.settings.listing_url, self.key)
        if not batches:
            return _Read("listing", label, None, responses)
        # Pages are refreshed one by one: keep only the newest day any of them shows.
        announced = max((b.announced for b in batches if b.announced), default=None)
        papers = [p for b in batches if b.announced == announced for p in b.papers]
        skipped = sum(b.skipped for b in batches)
        return _Read(
            "listing", label, FeedBatch(papers, announced, label, skipped=skipped), responses
        )

    def _day_of(self, read: _Read) -> dt.date | None:
        if read.batch is not None:
            return read.batch.announced
        latest = self.store.latest_feed_day(self.key)
        return latest[0] if latest else None

    def _store(self, read: _Read) -> RouteResult:
        batch = read.batch
        if batch is None:
            return RouteResult(
                read.route,
                read.url,
                self._day_of(read),
                RouteStatus.NOT_MODIFIED,
                note="no new announcement — unchanged since the last fetch (HTTP 304)",
            )
        if batch.announced is None:
            raise FeedFormatError(read.url, "the response carries no announcement date")
        allowed = newest_possible_announcement_date(self.now)
        if not batch.papers:  # on a day without a mailing the empty feed carries that day's date
            allowed = max(allowed, (self.now + dt.timedelta(hours=1)).astimezone(EASTERN).date())
        if batch.announced > allowed:
            # Storing it would make every real day after it look stale.
            raise FeedFormatError(
                read.url,
                f"claims announcement date {batch.announced}, but arXiv's calendar "
                f"allows no later than {allowed}",
            )
        latest = self.store.latest_feed_day(self.key)
        if (
            latest is not None
            and batch.announced < latest[0]
            and self.store.feed_day(self.key, batch.announced) in ("announced", "empty")
        ):
            # A feed still serving a day already stored: nothing to add, and its papers must
            # not come back as new. (An older day never stored is a late day: it is stored.)
            return RouteResult(
                read.route,
                read.url,
                batch.announced,
                RouteStatus.STALE,
                note=(
                    f"no new announcement — feed still shows {batch.announced}; "
                    f"{latest[0]} is stored"
                ),
            )
        papers = [p for p in batch.papers if p.announce_type in self.wanted]
        with self.store.transaction() as connection:
            counts = self.store.upsert_papers(connection, papers, self.now)
            self.store.record_feed_day(
                connection,
                feed_key=self.key,
                announced=batch.announced,
                route=read.route,
                status="announced" if batch.papers else "empty",
                items=len(batch.papers),
                now=self.now,
            )
            for response in read.responses:
                self.store.save_validators(
                    connection, response.url, response.etag, response.last_modified, self.now
                )
        note = f"{batch.skipped} items without an arXiv id left out" if batch.skipped else ""
        if not batch.papers:
            return RouteResult(
                read.route,
                read.url,
                batch.announced,
                RouteStatus.EMPTY,
                note="no new announcement — arXiv announced nothing (weekend or holiday)",
            )
        return RouteResult(read.route, read.url, batch.announced, RouteStatus.STORED, counts, note)

    def _get(self, url: str) -> HttpResponse:
        etag, last_modified = self.store.validators(url)
        return self.http.get(url, etag=etag, last_modified=last_modified)

    # --- the API: backfill and single papers ---------------------------------------------------

    def backfill(
        self, since: dt.date, until: dt.date | None = None, *, option: str = "--since"
    ) -> FetchReport:
        """Store what was announced from `since` to `until` (default: the latest day) via the API.

        The API gives submission times, not announcement dates; those are estimated from
        arXiv's calendar (see sources.arxiv.calendar) and never replace a real date. A page
        that comes back short is asked for once more and reported if it stays short; a page
        that repeats ids already seen ends the paging.
        """
        until = until or latest_announcement_date(self.now, self.holidays)
        if since > until:
            raise UsageError(f"{option} {since} is after the latest announcement date {until}")
        categories = " OR ".join(f"cat:{c}" for c in self.categories)
        window = f"submittedDate:[{(since - _SUBMISSION_LEAD):%Y%m%d}0000 TO {until:%Y%m%d}2359]"
        search = f"({categories}) AND {window}"
        page_size = self.settings.api_page_size
        report = FetchReport()
        papers: dict[str, Paper] = {}
        start, total = 0, None
        while total is None or start < min(total, API_MAX_RESULTS):
            url = api.query_url(
                self.settings.api_url, search_query=search, start=start, max_results=page_size
            )
            batch = self._api_page(url, start, page_size, report)
            total = batch.total_results or 0
            if total > API_MAX_RESULTS:
                # Found out on the first page, before hours of paging for a partial answer.
                raise UsageError(
                    f"{option} {since}: arXiv's API matched {total} papers, more than the "
                    f"{API_MAX_RESULTS} one query returns; backfill fewer days at a time"
                )
            fresh = [p for p in batch.papers if p.key not in papers]
            if batch.papers and not fresh:
                report.problems.append(
                    f"{url}: arXiv API repeated a page of ids already seen; "
                    f"stopped at {start} of {total}"
                )
                break
            if not batch.papers:
                break
            for paper in fresh:
                self._date_api_paper(paper)
                papers[paper.key] = paper
            start += len(batch.papers)
            if self.progress:
                self.progress(min(start, total), total)
        wanted = [
            p
            for p in papers.values()
            if p.announce_type in self.wanted and p.announced and since <= p.announced <= until
        ]
        with self.store.transaction() as connection:
            counts = self.store.upsert_papers(connection, wanted, self.now, estimated_dates=True)
        label = api.query_url(self.settings.api_url, search_query=search)
        report.results.append(
            RouteResult(
                "api",
                label,
                until,
                RouteStatus.BACKFILLED,
                counts,
                note=f"{since} to {until}, dates estimated",
            )
        )
        return report

    def _api_page(self, url: str, start: int, page_size: int, report: FetchReport) -> FeedBatch:
        batch = self._api_get(url)
        expected = min(page_size, max((batch.total_results or 0) - start, 0))
        if len(batch.papers) < expected:
            log.info(
                "short API page at start=%d (%d of %d): asking again",
                start,
                len(batch.papers),
                expected,
            )
            batch = self._api_get(url)
            expected = min(page_size, max((batch.total_results or 0) - start, 0))
            if len(batch.papers) < expected:
                report.problems.append(
                    f"{url}: arXiv API returned {len(batch.papers)} of {expected} entries "
                    f"at start={start} twice; some papers may be missing"
                )
        return batch

    def _api_get(self, url: str) -> FeedBatch:
        try:
            response = self.http.get(url)
        except HTTPError as exc:
            if exc.status == 400 and exc.body:
                api.parse_api_response(exc.body, url)  # raises with the API's own message
            raise
        return api.parse_api_response(response.content, url)

    def _date_api_paper(self, paper: Paper) -> None:
        date_estimate(paper, self.categories)

    def fetch_ids(self, ids: Sequence[str]) -> FetchReport:
        """Store the given papers (latest versions) from the API; report ids it does not know."""
        report = FetchReport()
        papers: list[Paper] = []
        for start in range(0, len(ids), _ID_BATCH):
            chunk = list(ids[start : start + _ID_BATCH])
            url = api.query_url(self.settings.api_url, id_list=chunk, max_results=len(chunk))
            papers.extend(self._api_get(url).papers)
            if self.progress:
                self.progress(min(start + _ID_BATCH, len(ids)), len(ids))
        found = {p.arxiv_id for p in papers}
        missing = [i for i in ids if i not in found]
        if missing:
            report.problems.append(f"arXiv API does not know: {', '.join(missing)}")
        with self.store.transaction() as connection:
            counts = self.store.upsert_papers(connection, papers, self.now)
        report.results.append(
            RouteResult("api", self.settings.api_url, None, RouteStatus.IDS, counts)
        )
        return report
