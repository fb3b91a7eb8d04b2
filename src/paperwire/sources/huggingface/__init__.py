"""Hugging Face's Daily Papers: the API and its page, the featured-day calendar, the fetcher."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paperwire.config import Settings
    from paperwire.models import Reader
    from paperwire.sources.base import Source


def configured(settings: Settings, readers: Sequence[Reader]) -> list[Source]:
    """Hugging Face's Daily Papers: always there for `fetch --source huggingface`; active when
    enabled or when some reader's digests are trending ones."""
    from paperwire.sources.huggingface.source import HuggingFaceSource

    hf = settings.sources.huggingface
    trending = any(r.mode == "trending" and not r.paused for r in readers)
    return [
        HuggingFaceSource(
            hf,
            lookback_days=settings.digest.lookback_days,
            retry=dt.timedelta(minutes=settings.schedule.fetch_retry),
            active=hf.enabled or trending,
        )
    ]
