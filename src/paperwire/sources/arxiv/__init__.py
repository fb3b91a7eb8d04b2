"""arXiv: its feed, listing pages, API and OAI-PMH; its announcement calendar; its fetcher."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paperwire.config import Settings
    from paperwire.models import Reader
    from paperwire.sources.base import Source


def configured(settings: Settings, readers: Sequence[Reader]) -> list[Source]:
    """arXiv, for the configured categories and every (unpaused) reader's own."""
    from paperwire.sources.arxiv.source import ArxivSource, reader_categories

    categories = reader_categories(
        settings.sources.arxiv.categories,
        [c for r in readers if not r.paused for c in r.profile.categories],
    )
    return [
        ArxivSource(
            settings.sources.arxiv,
            categories,
            holidays=settings.schedule.holidays,
            lookback_days=settings.digest.lookback_days,
            retry=dt.timedelta(minutes=settings.schedule.fetch_retry),
        )
    ]
