"""Any scholarly RSS/Atom/RDF feed, read with feedparser: `[[sources.feeds]]` entries (bioRxiv
and medRxiv subjects, Nature and other journals, PubMed searches…)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paperwire.config import Settings
    from paperwire.models import Reader
    from paperwire.sources.base import Source


def configured(settings: Settings, readers: Sequence[Reader]) -> list[Source]:
    """One source per `[[sources.feeds]]` entry."""
    if not settings.sources.feeds:
        return []
    from paperwire.sources.feeds.source import FeedSource

    return [
        FeedSource(
            feed,
            holidays=settings.schedule.holidays,
            retry=dt.timedelta(minutes=settings.schedule.fetch_retry),
        )
        for feed in settings.sources.feeds
    ]
