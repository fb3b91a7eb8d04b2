"""Choose a reader's papers for a window of announcement dates (rendering: digest.render)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from paperwire.digest.render import (
    Footer,
    digest_json,
    highlight,
    highlight_forms,
    render_html,
    render_markdown,
    render_subject,
    render_text,
    templates_dir,
)
from paperwire.digest.select import DigestBuilder
from paperwire.models import Digest, Profile
from paperwire.scoring import RankSettings
from paperwire.scoring.semantic import Embedder
from paperwire.store import Store


def build_digest(
    store: Store,
    profile: Profile,
    window_from: dt.date,
    window_to: dt.date,
    *,
    now: dt.datetime,
    limit: int,
    min_score: float = 0.0,
    announce_types: list[str] | None = None,
    partial_matches: bool = False,
    settings: RankSettings | None = None,
    embedder: Embedder | None = None,
    skip: Collection[str] = (),
) -> Digest:
    """The best `limit` papers announced in the window for `profile`, scoring at least
    min_score, each with the reasons it is there. Scores use the statistics of the whole store;
    with an `embedder`, the semantic layer is added. Papers in `skip` (arXiv ids the reader
    has already received) are left out before ranking. (Many readers: use DigestBuilder.)"""
    builder = DigestBuilder(
        store,
        now=now,
        announce_types=announce_types,
        partial_matches=partial_matches,
        settings=settings,
        embedder=embedder,
    )
    return builder.build(
        profile, window_from, window_to, limit=limit, min_score=min_score, skip=skip
    )


__all__ = [
    "DigestBuilder",
    "Footer",
    "build_digest",
    "digest_json",
    "highlight",
    "highlight_forms",
    "render_html",
    "render_markdown",
    "render_subject",
    "render_text",
    "templates_dir",
]
