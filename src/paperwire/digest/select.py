"""Choose each reader's papers for a window, sharing the store's reads across many readers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paperwire.config import Settings
from paperwire.digest.corpus import refresh_corpus_stats, semantic_vectors
from paperwire.models import Digest, Paper, Profile, ScoredPaper
from paperwire.scoring import RankSettings, in_categories
from paperwire.scoring.semantic import Embedder
from paperwire.scoring.trending import has_topics, trending_order
from paperwire.store import Store

if TYPE_CHECKING:
    from paperwire.scoring.ranker import Ranker


@dataclass(frozen=True, slots=True)
class DigestRequest:
    """One reader's digest to build: whose, for which window, without which papers.

    A `trending` digest lists Hugging Face's papers featured in the window (featured dates),
    by upvotes with the reader's topics first; `only_matching` leaves out the others."""

    profile: Profile
    window_from: dt.date
    window_to: dt.date
    skip: Collection[str] = ()
    trending: bool = False
    only_matching: bool = False


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
        self._featured: dict[tuple[dt.date, dt.date], list[Paper]] = {}

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
                trending_weight=scoring.trending_weight,
                trending_bonus=scoring.trending_bonus,
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

    def featured(self, window_from: dt.date, window_to: dt.date) -> list[Paper]:
        """Hugging Face's papers featured in the window, most upvoted first."""
        key = (window_from, window_to)
        if key not in self._featured:
            self._featured[key] = self.store.trending_papers(window_from, window_to)
        return self._featured[key]

    def build(
        self,
        profile: Profile,
        window_from: dt.date,
        window_to: dt.date,
        *,
        limit: int,
        min_score: float = 0.0,
        skip: Collection[str] = (),
        trending: bool = False,
        only_matching: bool = False,
    ) -> Digest:
        """The best `limit` papers announced in the window for `profile`, scoring at least
        `min_score`, each with the reasons it is there. Papers in `skip` (arXiv ids the reader
        has already received) are left out. `trending`: see DigestRequest."""
        request = DigestRequest(profile, window_from, window_to, skip, trending, only_matching)
        [digest] = self.build_many([request], limit=limit, min_score=min_score)
        return digest

    def build_many(
        self, requests: Sequence[DigestRequest], *, limit: int, min_score: float = 0.0
    ) -> list[Digest]:
        """One digest per request, in order. Readers sharing a window are ranked together in
        one pass, which is what makes a batch of thousands of readers fast."""
        digests: list[Digest | None] = [None] * len(requests)
        groups: dict[tuple[dt.date, dt.date], list[int]] = {}
        trending: dict[tuple[dt.date, dt.date], list[int]] = {}
        for index, request in enumerate(requests):
            window = (request.window_from, request.window_to)
            (trending if request.trending else groups).setdefault(window, []).append(index)
        for indexes in trending.values():
            built = self._build_trending([requests[i] for i in indexes], limit=limit)
            for index, digest in zip(indexes, built, strict=True):
                digests[index] = digest
        for (window_from, window_to), indexes in groups.items():
            papers = self.announced(window_from, window_to)
            profiles = [requests[i].profile for i in indexes]
            liked = self._liked(profiles)
            paper_vectors = profile_vectors = None
            if self.embedder is not None and papers:
                paper_vectors, profile_vectors = semantic_vectors(
                    self.store, self.embedder, papers, profiles, liked, self.now
                )
            rankings = self.ranker().rank_explained_many(
                papers,
                profiles,
                liked=liked,
                min_score=min_score,
                require_match=not self.partial_matches,
                paper_vectors=paper_vectors,
                profile_vectors=profile_vectors,
                explain_limit=limit,
                skip=[requests[i].skip for i in indexes],
                boost=self._upvote_boost(papers),
            )
            for index, ranked in zip(indexes, rankings, strict=True):
                request = requests[index]
                in_scope = sum(
                    1
                    for p in papers
                    if p.arxiv_id not in request.skip
                    and in_categories(p.categories, request.profile.categories)
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

    def _liked(self, profiles: Sequence[Profile]) -> dict[str, Paper]:
        """The stored papers the profiles like (their topic by example), by id."""
        liked_ids = sorted({i for profile in profiles for i in profile.like})
        return self.store.get_papers(liked_ids) if liked_ids else {}

    def _upvote_boost(self, papers: Sequence[Paper]) -> dict[str, float] | None:
        """Hugging Face's upvotes as a signal (scoring.trending_weight; off when 0)."""
        weight = self.settings.trending_weight if self.settings else 0.0
        if not weight:
            return None
        return {
            p.arxiv_id: weight * math.log2(1 + p.trending.upvotes)
            for p in papers
            if p.trending is not None and p.trending.upvotes > 0
        }

    def _build_trending(self, requests: Sequence[DigestRequest], *, limit: int) -> list[Digest]:
        """Trending digests for readers sharing one window: the featured papers are ranked
        for all of them in one pass, then put in each reader's order."""
        first = requests[0]
        papers = self.featured(first.window_from, first.window_to)
        # Hugging Face's papers often carry no categories: topics alone decide.
        profiles = [dataclasses.replace(r.profile, categories=[]) for r in requests]
        matched: list[list[ScoredPaper]] = [[] for _ in requests]
        allowed: list[set[str] | None] = [None for _ in requests]
        if papers and any(has_topics(p) for p in profiles):
            liked = self._liked(profiles)
            matched = self.ranker().rank_explained_many(
                papers,
                profiles,
                liked=liked,
                require_match=not self.partial_matches,
                skip=[r.skip for r in requests],
            )
        filtering = [i for i, p in enumerate(profiles) if p.exclude or p.query.strip()]
        if papers and filtering:
            # Excluded words and the query leave papers out of a trending digest too: a
            # profile of those alone lists exactly the papers they let through.
            filters = [
                Profile(exclude=profiles[i].exclude, query=profiles[i].query) for i in filtering
            ]
            passed = self.ranker().rank(papers, filters)
            for index, through in zip(filtering, passed, strict=True):
                allowed[index] = {item.paper.arxiv_id for item in through}
        bonus = self.settings.trending_bonus if self.settings else 3.0
        digests = []
        for request, profile, hits, kept in zip(requests, profiles, matched, allowed, strict=True):
            ordered = trending_order(
                papers if kept is None else [p for p in papers if p.arxiv_id in kept],
                hits,
                skip=request.skip,
                only_matching=request.only_matching and has_topics(profile),
                bonus=bonus,
            )
            featured = sum(1 for p in papers if p.arxiv_id not in request.skip)
            digests.append(
                Digest(
                    request.profile,
                    request.window_from,
                    request.window_to,
                    featured,
                    ordered[:limit],
                    self.now,
                    matched_count=len(ordered),
                    trending=True,
                )
            )
        return digests


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
