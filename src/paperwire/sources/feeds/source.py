"""A scholarly feed as a source: polled every `refresh` minutes with a conditional GET.

A journal's feed lists an article for weeks: an item is announced once, the first time it is
seen, on the day of arXiv's next announcement (so a digest already sent today cannot have
missed it, and topics digests keep one calendar); later polls only update what they say of it.
The same article in two feeds, or on arXiv, is one paper (by DOI, arXiv id or link).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from paperwire.config import FeedSettings
from paperwire.errors import FetchError
from paperwire.sources.arxiv.calendar import next_announcement_date
from paperwire.sources.base import (
    FetchContext,
    FetchReport,
    FetchRequest,
    Probe,
    RouteResult,
    RouteStatus,
    Source,
)
from paperwire.sources.feeds.parse import parse_feed

STATE = "feeds"  # plugin_state: each feed's last poll


def edition_date(now: dt.datetime, holidays: Collection[dt.date] = ()) -> dt.date:
    """The announcement day an item first seen at `now` belongs to: the one after the
    announcement out at `now` (arXiv's calendar, US Eastern)."""
    return next_announcement_date(now, holidays)


@dataclass
class FeedSource(Source):
    """One `[[sources.feeds]]` entry."""

    settings: FeedSettings
    holidays: Collection[dt.date] = ()
    retry: dt.timedelta = dt.timedelta(minutes=30)

    def __post_init__(self) -> None:
        self.name = self.settings.name
        self.label = self.settings.title or self.settings.name

    def fetch(self, context: FetchContext, request: FetchRequest) -> FetchReport:
        """Poll the feed now."""
        return self._poll(context)

    def fetch_due(self, context: FetchContext, *, force: bool = False) -> FetchReport | None:
        """Poll when `refresh` minutes have passed since the last poll (a failed one: after
        `retry`)."""
        last: dict[str, Any] = context.store.state(STATE).get(self.name) or {}
        if not force and last.get("checked"):
            checked = dt.datetime.fromisoformat(last["checked"])
            wait = self.retry if last.get("failed") else dt.timedelta(minutes=self.settings.refresh)
            if context.now - checked < wait:
                return None
        return self._poll(context)

    def probes(self) -> list[Probe]:
        return [Probe(f"feed {self.name}", self.settings.url, self._read)]

    def _read(self, body: bytes, url: str) -> object:
        return parse_feed(body, url, self.name)

    def _poll(self, context: FetchContext) -> FetchReport:
        store, now, url = context.store, context.now, self.settings.url
        state = store.state(STATE)
        etag, last_modified = store.validators(url)
        try:
            response = context.http.get(url, etag=etag, last_modified=last_modified)
            batch = None if response.not_modified else parse_feed(response.content, url, self.name)
        except FetchError as exc:
            state.put(self.name, {"checked": now.isoformat(), "failed": True}, now)
            return FetchReport(problems=[f"feed {self.name}: {exc}"])
        if batch is None:
            state.put(self.name, {"checked": now.isoformat()}, now)
            note = "unchanged since the last poll (HTTP 304)"
            result = RouteResult(self.name, url, None, RouteStatus.NOT_MODIFIED, note=note)
            return FetchReport(results=[result])
        day = edition_date(now, self.holidays)
        for paper in batch.papers:
            paper.announced = day
        with store.transaction() as connection:
            counts = store.upsert_papers(connection, batch.papers, now, announce_new_only=True)
            store.save_validators(connection, url, response.etag, response.last_modified, now)
            state.put(self.name, {"checked": now.isoformat()}, now, connection)
        note = f"{batch.skipped} items without a title or an id left out" if batch.skipped else ""
        status = RouteStatus.STORED if batch.papers else RouteStatus.EMPTY
        if not batch.papers:
            note = "the feed lists no items"
        counts.by_type.clear()  # every item is "new" to the store's announce types
        return FetchReport(results=[RouteResult(self.name, url, day, status, counts, note)])
