"""Hugging Face's Daily Papers as a source: `fetch` by featured day, what a tick finds due."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from paperwire.config import HuggingFaceSettings
from paperwire.errors import UsageError
from paperwire.sources.base import FetchContext, FetchReport, FetchRequest, Probe, Source
from paperwire.sources.huggingface.fetch import TrendingIngestor, due_days, requested_days
from paperwire.sources.huggingface.parse import SOURCE_NAME, parse_daily_papers


@dataclass
class HuggingFaceSource(Source):
    """The papers Hugging Face features each weekday (UTC), with their upvotes.

    `active`: fetched by `run` and `serve`, and by a plain `paperwire fetch` — when
    `sources.huggingface.enabled` or some reader's digests are trending ones."""

    settings: HuggingFaceSettings
    lookback_days: int = 14
    retry: dt.timedelta = dt.timedelta(minutes=30)
    active: bool = False

    name = SOURCE_NAME
    label = "Hugging Face"
    past_days = True
    inactive_note = "disabled (sources.huggingface.enabled)"

    def ingestor(self, context: FetchContext) -> TrendingIngestor:
        return TrendingIngestor(self.settings, context.store, context.http, context.now)

    def check(self, request: FetchRequest, now: dt.datetime) -> None:
        if request.ids:
            raise UsageError("--id fetches papers from arXiv; use --source arxiv")
        if request.route != "auto" or request.categories:
            raise UsageError("--route and --category are arXiv's; use --source arxiv")
        requested_days(now, request.date, request.since)

    def days(self, context: FetchContext, request: FetchRequest) -> list[dt.date]:
        """The featured days a request stands for (checked: a date Hugging Face features
        nothing on is a UsageError)."""
        return self.ingestor(context).days(request.date, request.since)

    def fetch(self, context: FetchContext, request: FetchRequest) -> FetchReport:
        """One featured day (default: the latest) or every featured day since a date."""
        ingestor = self.ingestor(context)
        return ingestor.fetch_days(ingestor.days(request.date, request.since))

    def fetch_due(self, context: FetchContext, *, force: bool = False) -> FetchReport | None:
        """Missed days within reach, failed days after `retry`, the current day every
        `refresh` minutes (its upvotes grow), and each day once more after it ended."""
        days = due_days(
            context.store,
            context.now,
            lookback_days=self.lookback_days,
            refresh=dt.timedelta(minutes=self.settings.refresh),
            retry=self.retry,
            force=force,
        )
        if not days:
            return None
        return self.ingestor(context).fetch_days(days)

    def probes(self) -> list[Probe]:
        return [Probe("huggingface", self.settings.api_url, _read_daily_papers)]


def _read_daily_papers(body: bytes, url: str) -> object:
    """`doctor`'s reading of the API's answer (the day only labels the papers)."""
    return parse_daily_papers(body, url, dt.date(2000, 1, 1))
