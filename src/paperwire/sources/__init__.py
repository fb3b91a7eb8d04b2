"""Where papers come from: one package per source behind one interface (sources.base).

`configured(settings, readers)` lists the sources a configuration names, in the order they
are fetched; `paperwire fetch`, `run`, `serve` and `doctor` only loop over that list. To add
a source, add its package here (a `configured(settings, readers)` function returning its
Source objects) and its settings to config.py; see docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from paperwire.errors import UsageError

if TYPE_CHECKING:
    from paperwire.config import Settings
    from paperwire.models import FeedBatch, Reader
    from paperwire.sources.base import Source

# The source packages, in the order their sources are fetched (arXiv first: the others'
# papers merge onto arXiv's rows).
PACKAGES = (
    "paperwire.sources.arxiv",
    "paperwire.sources.huggingface",
    "paperwire.sources.feeds",
)


def configured(settings: Settings, readers: Sequence[Reader] = ()) -> list[Source]:
    """Every source the configuration names (inactive ones too: see Source.active)."""
    found: list[Source] = []
    for package in PACKAGES:
        found += importlib.import_module(package).configured(settings, readers)
    return found


def select(sources: Sequence[Source], name: str | None) -> list[Source]:
    """The sources `--source NAME` means: one by name, "all", or (None) the active ones."""
    if name is None:
        return [s for s in sources if s.active]
    if name == "all":
        return list(sources)
    for source in sources:
        if source.name == name:
            return [source]
    names = ", ".join([*(s.name for s in sources), "all"])
    raise UsageError(f"--source {name!r}: not a configured source ({names})")


# What each response format is, and the function that reads it: (module, function).
_PARSERS = {
    "arxiv-rss": ("paperwire.sources.arxiv.rss", "parse_feed"),
    "arxiv-listing": ("paperwire.sources.arxiv.listing", "parse_listing"),
    "arxiv-api": ("paperwire.sources.arxiv.api", "parse_api_response"),
    "arxiv-oai": ("paperwire.sources.arxiv.oai", "parse_oai"),
    "huggingface-api": ("paperwire.sources.huggingface.parse", "parse_daily_papers"),
    "huggingface-page": ("paperwire.sources.huggingface.parse", "parse_papers_page"),
    "feed": ("paperwire.sources.feeds.parse", "parse_feed"),  # any RSS/RDF/Atom feed
}
PARSER_NAMES = tuple(_PARSERS)
# Formats whose responses do not say which day they are for: `parse` needs `day`.
_DAY_FORMATS = ("huggingface-api", "huggingface-page")


def parse(
    format: str,
    body: bytes,
    url: str = "",
    *,
    day: dt.date | None = None,
    source: str = "feed",
) -> FeedBatch:
    """Read one response of a source's format (PARSER_NAMES) into papers, without storing
    them; Hugging Face's formats need the `day` asked for; a feed's papers are keyed by the
    `source` name (a [[sources.feeds]] name). Raises FeedFormatError when the body is not
    what the format says."""
    if format not in _PARSERS:
        raise ValueError(f"{format!r} is not a format ({', '.join(PARSER_NAMES)})")
    module, function = _PARSERS[format]
    parser = getattr(importlib.import_module(module), function)
    if format in _DAY_FORMATS:
        if day is None:
            raise ValueError(f"parsing {format} needs the day it was asked for")
        batch: FeedBatch = parser(body, url or format, day)
    elif format == "feed":
        batch = parser(body, url or format, source)
    else:
        batch = parser(body, url or format)
    return batch
