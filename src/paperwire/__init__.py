"""paperwire: each day's new research papers, scored for each reader and mailed as a digest.

The library a program uses (the `paperwire` command is a thin shell over it):

    import paperwire
    with paperwire.Paperwire.from_config() as pw:
        pw.fetch()
        result = pw.digest(paperwire.Profile(categories=["cs.LG"], keywords=["diffusion"]))
        print(paperwire.render(result.digest, "markdown"))
        pw.send_due()

- `Paperwire` — one configured paperwire: fetch, digest, send_due, tick, search, readers,
  subscriptions (add, change, remove and import readers: `Subscriptions`).
- `load_settings`, `Settings` — the configuration (TOML file and PAPERWIRE_* variables).
- `open_store`, `Store` — the database (SQLite or PostgreSQL), migrated on open.
- `DigestBuilder` — many digests at once, for benchmarks and batch jobs.
- `render(digest, format)` — text, html, markdown or json. `parse(format, body)` — a
  source's response as papers.
- `Ranker`, `CorpusStats`, `rank_papers`, `load_embedder` — ranking on its own (benchmarks).
- `Paper`, `Profile`, `Reader`, `Digest`, `ScoredPaper`, `Trending`, `FetchRequest`… — the
  data that flows between them.
- `PaperwireError` and its children (`paperwire.errors`): one line, an exit status.

Every name is imported on first use: `import paperwire` costs almost nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paperwire._lazy import lazy_exports

__version__ = "0.1.0"

if TYPE_CHECKING:
    from paperwire.app import DigestResult, Paperwire, SendResult
    from paperwire.config import Settings, load_settings
    from paperwire.digest.formats import render
    from paperwire.digest.kinds.base import DigestRequest
    from paperwire.digest.select import DigestBuilder
    from paperwire.digest.view import Footer
    from paperwire.errors import (
        ConfigError,
        DeliveryError,
        FetchError,
        PaperwireError,
        StoreError,
        UsageError,
    )
    from paperwire.models import (
        AnnounceType,
        Digest,
        FeedBatch,
        Paper,
        Profile,
        Reader,
        ScoredPaper,
        Trending,
    )
    from paperwire.scoring.ranker import Ranker, rank_papers
    from paperwire.scoring.semantic import load_embedder, paper_text
    from paperwire.scoring.stats import CorpusStats
    from paperwire.sources import parse
    from paperwire.sources.base import FetchReport, FetchRequest
    from paperwire.store import Store, open_store
    from paperwire.subscriptions import Subscriptions

_HOMES = {
    "AnnounceType": "paperwire.models",
    "ConfigError": "paperwire.errors",
    "CorpusStats": "paperwire.scoring.stats",
    "DeliveryError": "paperwire.errors",
    "Digest": "paperwire.models",
    "DigestBuilder": "paperwire.digest.select",
    "DigestRequest": "paperwire.digest.kinds.base",
    "DigestResult": "paperwire.app",
    "FeedBatch": "paperwire.models",
    "FetchError": "paperwire.errors",
    "FetchReport": "paperwire.sources.base",
    "FetchRequest": "paperwire.sources.base",
    "Footer": "paperwire.digest.view",
    "Paper": "paperwire.models",
    "Paperwire": "paperwire.app",
    "PaperwireError": "paperwire.errors",
    "Profile": "paperwire.models",
    "Ranker": "paperwire.scoring.ranker",
    "Reader": "paperwire.models",
    "ScoredPaper": "paperwire.models",
    "SendResult": "paperwire.app",
    "Settings": "paperwire.config",
    "Store": "paperwire.store",
    "StoreError": "paperwire.errors",
    "Subscriptions": "paperwire.subscriptions",
    "Trending": "paperwire.models",
    "UsageError": "paperwire.errors",
    "load_embedder": "paperwire.scoring.semantic",
    "load_settings": "paperwire.config",
    "open_store": "paperwire.store",
    "paper_text": "paperwire.scoring.semantic",
    "parse": "paperwire.sources",
    "rank_papers": "paperwire.scoring.ranker",
    "render": "paperwire.digest.formats",
}

__getattr__ = lazy_exports(__name__, _HOMES)
__all__ = [
    "AnnounceType",
    "ConfigError",
    "CorpusStats",
    "DeliveryError",
    "Digest",
    "DigestBuilder",
    "DigestRequest",
    "DigestResult",
    "FeedBatch",
    "FetchError",
    "FetchReport",
    "FetchRequest",
    "Footer",
    "Paper",
    "Paperwire",
    "PaperwireError",
    "Profile",
    "Ranker",
    "Reader",
    "ScoredPaper",
    "SendResult",
    "Settings",
    "Store",
    "StoreError",
    "Subscriptions",
    "Trending",
    "UsageError",
    "__version__",
    "load_embedder",
    "load_settings",
    "open_store",
    "paper_text",
    "parse",
    "rank_papers",
    "render",
]
