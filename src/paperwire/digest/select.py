"""Choose each reader's papers for a window, sharing the store's reads across many readers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paperwire.config import Settings
from paperwire.digest.corpus import refresh_corpus_stats, semantic_vectors
from paperwire.models import Digest, Paper, Profile
from paperwire.scoring import RankSettings, in_categories
from paperwire.scoring.semantic import Embedder
from paperwire.store import Store

if TYPE_CHECKING:
    from paperwire.scoring.ranker import Ranker


@dataclass(frozen=True, slots=True)
class DigestRequest:
    """One reader's digest to build: whose, for which window, without which papers."""

    profile: Profile
    window_from: dt.date
    window_to: dt.date
    skip: Collection[str] = ()


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

    @classmethod
    def from_settings(
        cls,
        store: Store,
        settings: Settings,
        *,
        now: dt.datetime,
        embedder: Embedder | None = None,
    ) -> DigestBuilder:
        """A builder ranking as the configuration says: its announce types, partial matches
        and scoring weights."""
        scoring = settings.scoring
        return cls(
            store,
            now=now,
            announce_types=[t.value for t in settings.sources.arxiv.announce_types],
            partial_matches=settings.digest.partial_matches,
            settings=RankSettings(
                author_weight=scoring.author_weight,
                topic_weight=scoring.topic_weight,
                semantic_weight=scoring.semantic_weight,
            ),
            embedder=embedder,
        )

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
        has already received) are left out."""
        request = DigestRequest(profile, window_from, window_to, skip)
        [digest] = self.build_many([request], limit=limit, min_score=min_score)
        return digest

    def build_many(
        self, requests: Sequence[DigestRequest], *, limit: int, min_score: float = 0.0
    ) -> list[Digest]:
        """One digest per request, in order. Readers sharing a window are ranked together in
        one pass, which is what makes a batch of thousands of readers fast."""
        digests: list[Digest | None] = [None] * len(requests)
        groups: dict[tuple[dt.date, dt.date], list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault((request.window_from, request.window_to), []).append(index)
        ranker = self.ranker()
        for (window_from, window_to), indexes in groups.items():
            papers = self.announced(window_from, window_to)
            profiles = [requests[i].profile for i in indexes]
            liked_ids = sorted({i for profile in profiles for i in profile.like})
            liked = self.store.get_papers(liked_ids) if liked_ids else {}
            paper_vectors = profile_vectors = None
            if self.embedder is not None and papers:
                paper_vectors, profile_vectors = semantic_vectors(
                    self.store, self.embedder, papers, profiles, liked, self.now
                )
            rankings = ranker.rank_explained_many(
                papers,
                profiles,
                liked=liked,
                min_score=min_score,
                require_match=not self.partial_matches,
                paper_vectors=paper_vectors,
                profile_vectors=profile_vectors,
                explain_limit=limit,
                skip=[requests[i].skip for i in indexes],
            )
            for index, ranked in zip(indexes, rankings, strict=True):
                request = requests[index]
                in_scope = sum(
                    1
                    for p in papers
                    if p.arxiv_id not in request.skip
                    and in_categories(p, request.profile.categories)
                )
                digests[index] = Digest(
                    request.profile,
                    window_from,
                    window_to,
                    in_scope,
                    ranked[:limit],
                    self.now,
                    matched_count=len(ranked),
                )
        return [d for d in digests if d is not None]
