"""Fetch arXiv announcements into the store: the feed, the listing page, or the API backfill.

Each route runs in one transaction: the papers, the day it recorded and the HTTP validators are
written together or not at all, so a failed fetch leaves the store as it was and the next run
simply tries again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from paperwire.arxiv_calendar import estimated_announcement_date, latest_announcement_date
from paperwire.config import ArxivSettings
from paperwire.errors import FeedFormatError, FetchError, HTTPError, UsageError
from paperwire.http import HttpResponse, PoliteSession
from paperwire.models import AnnounceType, FeedBatch, Paper
from paperwire.sources import api, listing, rss
from paperwire.store import Store, UpsertCounts

log = logging.getLogger(__name__)

Route = Literal["auto", "rss", "listing"]
Progress = Callable[[int, int | None], None]  # (done, total or None)

# The arXiv API's advice: ids in batches; at most 30,000 results per query.
_ID_BATCH = 100
_API_MAX_RESULTS = 30_000
# Submissions reach an announcement up to a few days later (weekends, holidays).
_SUBMISSION_LEAD = dt.timedelta(days=5)


@dataclass(slots=True)
class RouteResult:
    """What one route found and did."""

    route: str
    url: str
    announced: dt.date | None
    status: str  # stored | empty | stale | not-modified | backfilled | ids
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    note: str = ""


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


def feed_key(categories: Sequence[str]) -> str:
    """One name for a set of categories, whatever order they were configured in."""
    return "+".join(sorted(set(categories)))


@dataclass
class Ingestor:
    """Fetches arXiv into `store` for a set of categories, politely, through `http`."""

    settings: ArxivSettings
    store: Store
    http: PoliteSession
    now: dt.datetime
    categories: Sequence[str] = ()
    progress: Progress | None = None

    def __post_init__(self) -> None:
        self.categories = list(self.categories or self.settings.categories)
        self.key = feed_key(self.categories)
        self.wanted = {AnnounceType(t) for t in self.settings.announce_types}

    # --- the day's announcement ---------------------------------------------------------------

    def fetch_latest(self, route: Route = "auto") -> FetchReport:
        """Store the newest announcement: the feed first, the listing pages when it is stale.

        A feed that fails or still carries an older date than arXiv's calendar says is due
        sends the auto route to the listing pages, a second view of the same announcement.
        """
        report = FetchReport()
        expected = latest_announcement_date(self.now)
        if route == "listing":
            report.results.append(self._fetch_listing())
            return report
        try:
            result = self._fetch_rss()
        except FetchError as exc:
            if route == "rss":
                raise
            report.warnings.append(f"feed failed, used the listing pages: {exc}")
            report.results.append(self._fetch_listing())
            return report
        report.results.append(result)
        if route == "auto" and (result.announced is None or result.announced < expected):
            log.info(
                "feed is dated %s, arXiv's calendar says %s: trying the listing pages",
                result.announced,
                expected,
            )
            try:
                second = self._fetch_listing()
            except FetchError as exc:
                report.warnings.append(f"listing pages failed after a stale feed: {exc}")
            else:
                if second.announced and (
                    result.announced is None or second.announced > result.announced
                ):
                    report.results.append(second)
        return report

    def _fetch_rss(self) -> RouteResult:
        url = rss.feed_url(self.settings.rss_url, self.categories)
        response = self._get(url)
        if response.not_modified:
            return self._not_modified("rss", url)
        batch = rss.parse_feed(response.content, url)
        return self._store_day("rss", url, batch, [response])

    def _fetch_listing(self) -> RouteResult:
        responses: list[HttpResponse] = []
        batches: list[FeedBatch] = []
        for category in self.categories:
            url = listing.listing_url(self.settings.listing_url, category)
            response = self._get(url)
            responses.append(response)
            if not response.not_modified:
                batches.append(listing.parse_listing(response.content, url))
        label = listing.listing_url(self.settings.listing_url, self.key)
        if not batches:
            return self._not_modified("listing", label)
        # Pages are refreshed one by one: keep only the newest day any of them shows.
        announced = max((b.announced for b in batches if b.announced), default=None)
        papers = [p for b in batches if b.announced == announced for p in b.papers]
        return self._store_day("listing", label, FeedBatch(papers, announced, label), responses)

    def _not_modified(self, route: str, url: str) -> RouteResult:
        latest = self.store.latest_feed_day(self.key)
        return RouteResult(
            route,
            url,
            latest[0] if latest else None,
            "not-modified",
            note="unchanged since the last fetch (HTTP 304)",
        )

    def _store_day(
        self, route: str, url: str, batch: FeedBatch, responses: Sequence[HttpResponse]
    ) -> RouteResult:
        if batch.announced is None:
            raise FeedFormatError(url, "the response carries no announcement date")
        latest = self.store.latest_feed_day(self.key)
        if latest is not None and batch.announced < latest[0]:
            # A feed still serving an older batch: never present those papers as new again.
            return RouteResult(
                route,
                url,
                batch.announced,
                "stale",
                note=f"still shows {batch.announced}; {latest[0]} is stored",
            )
        papers = [p for p in batch.papers if p.announce_type in self.wanted]
        with self.store.transaction() as connection:
            counts = self.store.upsert_papers(connection, papers, self.now)
            self.store.record_feed_day(
                connection,
                feed_key=self.key,
                announced=batch.announced,
                route=route,
                status="announced" if batch.papers else "empty",
                items=len(batch.papers),
                now=self.now,
            )
            for response in responses:
                self.store.save_validators(
                    connection, response.url, response.etag, response.last_modified, self.now
                )
        if not batch.papers:
            return RouteResult(
                route,
                url,
                batch.announced,
                "empty",
                note="arXiv announced nothing (weekend or holiday)",
            )
        return RouteResult(route, url, batch.announced, "stored", counts)

    def _get(self, url: str) -> HttpResponse:
        etag, last_modified = self.store.validators(url)
        return self.http.get(url, etag=etag, last_modified=last_modified)

    # --- the API: backfill and single papers ---------------------------------------------------

    def backfill(self, since: dt.date, until: dt.date | None = None) -> FetchReport:
        """Store what was announced from `since` to `until` (default: the latest day) via the API.

        The API gives submission times, not announcement dates; those are estimated from
        arXiv's calendar (see arxiv_calendar). Pages come back short at times: each short or
        empty page is asked for once more and reported if it stays short.
        """
        until = until or latest_announcement_date(self.now)
        if since > until:
            raise UsageError(f"--since {since} is after the latest announcement date {until}")
        categories = " OR ".join(f"cat:{c}" for c in self.categories)
        window = f"submittedDate:[{(since - _SUBMISSION_LEAD):%Y%m%d}0000 TO {until:%Y%m%d}2359]"
        search = f"({categories}) AND {window}"
        page_size = self.settings.api_page_size
        report = FetchReport()
        papers: list[Paper] = []
        start, total = 0, None
        while total is None or start < min(total, _API_MAX_RESULTS):
            url = api.query_url(
                self.settings.api_url, search_query=search, start=start, max_results=page_size
            )
            batch = self._api_page(url, start, page_size, total, report)
            total = batch.total_results if batch.total_results is not None else 0
            if not batch.papers:
                break
            for paper in batch.papers:
                self._date_api_paper(paper)
                if paper.announced and since <= paper.announced <= until:
                    papers.append(paper)
            start += len(batch.papers)
            if self.progress:
                self.progress(min(start, total), total)
        papers = [p for p in papers if p.announce_type in self.wanted]
        with self.store.transaction() as connection:
            counts = self.store.upsert_papers(connection, papers, self.now)
        label = api.query_url(self.settings.api_url, search_query=search)
        report.results.append(
            RouteResult(
                "api",
                label,
                until,
                "backfilled",
                counts,
                note=f"{since} to {until}, dates estimated",
            )
        )
        return report

    def _api_page(
        self, url: str, start: int, page_size: int, total: int | None, report: FetchReport
    ) -> FeedBatch:
        batch = self._api_get(url)
        expected = page_size if total is None else min(page_size, total - start)
        if len(batch.papers) < expected and (batch.total_results or 0) > start:
            log.info(
                "short API page at start=%d (%d of %d): asking again",
                start,
                len(batch.papers),
                expected,
            )
            batch = self._api_get(url)
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
        if paper.submitted is not None:
            paper.announced = estimated_announcement_date(paper.submitted)
        listed = any(
            paper.primary_category == c or (paper.primary_category or "").startswith(c + ".")
            for c in self.categories
        )
        paper.announce_type = AnnounceType.NEW if listed else AnnounceType.CROSS

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
        report.results.append(RouteResult("api", self.settings.api_url, None, "ids", counts))
        return report
