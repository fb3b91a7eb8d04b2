"""Choose each reader's papers for a window, sharing the store's reads across many readers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from paperwire.digest.corpus import refresh_corpus_stats, semantic_vectors
from paperwire.models import Digest, Paper, Profile
from paperwire.scoring import RankSettings, in_categories
from paperwire.scoring.semantic import Embedder
from paperwire.store import Store

if TYPE_CHECKING:
    from paperwire.scoring.ranker import Ranker


class DigestBuilder:
    """Builds digests for many readers in one run: the corpus statistics are brought up to
    date once and each window's announcements are read once."""

    def __init__(
        self,
        store: Store,
        *,
        now: dt.datetime,
        announce_types: Sequence[str] | None = None,
        partial_matches: bool = False,
        settings: RankSettings | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.store = store
        self.now = now
        self.announce_types = list(announce_types) if announce_types else None
        self.partial_matches = partial_matches
        self.settings = settings
        self.embedder = embedder
        self._ranker: Ranker | None = None
        self._announced: dict[tuple[dt.date, dt.date], list[Paper]] = {}

    def ranker(self) -> Ranker:
        from paperwire.scoring.ranker import Ranker  # scipy: imported when a digest is built

        if self._ranker is None:
            self._ranker = Ranker(refresh_corpus_stats(self.store, self.now), self.settings)
        return self._ranker

    def announced(self, window_from: dt.date, window_to: dt.date) -> list[Paper]:
        key = (window_from, window_to)
        if key not in self._announced:
            self._announced[key] = self.store.papers_announced(
                window_from, window_to, self.announce_types
            )
        return self._announced[key]

    def build(
        self,
        profile: Profile,
        window_from: dt.date,
        window_to: dt.date,
        *,
        limit: int,
        min_score: float = 0.0,
        skip: Collection[str] = (),
    ) -> Digest:
        """The best `limit` papers announced in the window for `profile`, scoring at least
        `min_score`, each with the reasons it is there. Papers in `skip` (arXiv ids the reader
        has already received) are left out before ranking."""
        in_scope = [
            p
            for p in self.announced(window_from, window_to)
            if in_categories(p, profile.categories) and p.arxiv_id not in skip
        ]
        ranker = self.ranker()
        liked = self.store.get_papers(profile.like) if profile.like else {}
        paper_vectors = profile_vector = None
        if self.embedder is not None and in_scope:
            paper_vectors, [profile_vector] = semantic_vectors(
                self.store, self.embedder, in_scope, [profile], liked, self.now
            )
        ranked = ranker.rank_explained(
            in_scope,
            profile,
            liked=liked,
            min_score=min_score,
            require_match=not self.partial_matches,
            paper_vectors=paper_vectors,
            profile_vector=profile_vector,
            explain_limit=limit,
        )
        return Digest(
            profile,
            window_from,
            window_to,
            len(in_scope),
            ranked[:limit],
            self.now,
            matched_count=len(ranked),
        )
