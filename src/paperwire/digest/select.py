"""Choose each reader's papers for a window, sharing the store's reads across many readers.

The kinds of digest (digest.kinds) decide what a digest lists; the builder holds what a batch
of them shares: each window's papers read once, the corpus statistics brought up to date once,
one ranker, the liked papers, the semantic vectors.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from paperwire.digest.corpus import refresh_corpus_stats, semantic_vectors
from paperwire.digest.kinds import DigestKind, DigestRequest, kind_named
from paperwire.models import Digest, Paper, Profile, ScoredPaper
from paperwire.scoring.settings import RankSettings
from paperwire.store import Store

if TYPE_CHECKING:
    from paperwire.config import Settings
    from paperwire.scoring.ranker import Ranker
    from paperwire.scoring.semantic import Embedder

__all__ = ["DigestBuilder", "DigestRequest", "build_digest"]


class DigestBuilder:
    """Builds digests for many readers in one run: the corpus statistics are brought up to
    date once and each window's papers are read once."""

    def __init__(
        self,
        store: Store,
        *,
        now: dt.datetime,
        announce_types: Sequence[str] | None = None,
        partial_matches: bool = False,
        settings: RankSettings | None = None,
        embedder: Embedder | None = None,
        kinds: Mapping[str, DigestKind] | None = None,
        keep_rest: int = 0,
    ) -> None:
        self.store = store
        # How many matched papers after those shown a digest keeps (for its page).
        self.keep_rest = keep_rest
        self.now = now
        self.announce_types = list(announce_types) if announce_types else None
        self.partial_matches = partial_matches
        self.settings = settings or RankSettings()
        self.embedder = embedder
        self.kinds = dict(kinds or {})
        self._ranker: Ranker | None = None
        self._announced: dict[tuple[dt.date, dt.date], list[Paper]] = {}
        self._featured: dict[tuple[dt.date, dt.date], list[Paper]] = {}
        self._in_scope: dict[tuple[object, ...], set[str]] = {}

    @classmethod
    def from_settings(
        cls,
        store: Store,
        settings: Settings,
        *,
        now: dt.datetime,
        embedder: Embedder | None = None,
        kinds: Mapping[str, DigestKind] | None = None,
        keep_rest: int = 0,
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
            kinds=kinds,
            keep_rest=keep_rest,
        )

    def kind(self, name: str) -> DigestKind:
        if name not in self.kinds:
            self.kinds[name] = kind_named(name)
        return self.kinds[name]

    # --- what a batch shares --------------------------------------------------------------------

    def ranker(self) -> Ranker:
        from paperwire.scoring.ranker import Ranker  # scipy: imported when a digest is built

        if self._ranker is None:
            self._ranker = Ranker(refresh_corpus_stats(self.store, self.now), self.settings)
        return self._ranker

    def announced(self, window_from: dt.date, window_to: dt.date) -> list[Paper]:
        """The papers announced in the window (every source's), each once."""
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

    def in_scope(self, key: tuple[object, ...], papers: Callable[[], set[str]]) -> set[str]:
        """The keys of a window's papers a kind of reader could get (`key` names the window
        and the kind of reader), found by `papers` once for all the batches of a run."""
        if key not in self._in_scope:
            self._in_scope[key] = papers()
        return self._in_scope[key]

    def liked(self, profiles: Sequence[Profile]) -> dict[str, Paper]:
        """The stored papers the profiles like or dislike (their topic by example), by the ids
        they give."""
        liked_ids = sorted({i for p in profiles for i in (*p.like, *p.dislike, *p.past)})
        return self.store.get_papers(liked_ids) if liked_ids else {}

    def rank(
        self,
        papers: Sequence[Paper],
        profiles: Sequence[Profile],
        skips: Sequence[Collection[str]],
        *,
        limit: int | None,
        min_score: float = 0.0,
        boost: Mapping[str, float] | None = None,
        semantic: bool = True,
    ) -> list[list[ScoredPaper]]:
        """Each profile's matching papers, best first, the first `limit` explained (None:
        all); papers in the profile's skip set left out. With an embedder (and `semantic`),
        the semantic layer joins in."""
        liked = self.liked(profiles)
        paper_vectors = profile_vectors = None
        if self.embedder is not None and semantic and papers:
            # Only liked papers join a reader's semantic vector: disliked and past matches
            # need no embedding.
            wanted = {i for p in profiles for i in p.like}
            liked_only = {i: paper for i, paper in liked.items() if i in wanted}
            paper_vectors, profile_vectors = semantic_vectors(
                self.store, self.embedder, papers, profiles, liked_only, self.now
            )
        return self.ranker().rank_explained_many(
            papers,
            profiles,
            liked=liked,
            min_score=min_score,
            require_match=not self.partial_matches,
            paper_vectors=paper_vectors,
            profile_vectors=profile_vectors,
            explain_limit=limit,
            skip=list(skips),
            boost=boost,
        )

    def explain(self, profile: Profile, listed: Sequence[ScoredPaper]) -> None:
        """Fill in why each paper is listed for `profile` (papers ranked but not explained,
        such as a digest's papers beyond those its email shows)."""
        if not listed:
            return
        ranker = self.ranker()
        compiled = ranker.compile(profile, self.liked([profile]))
        for scored in listed:
            scored.reasons = ranker.explain(scored, compiled)

    def upvote_boost(self, papers: Sequence[Paper]) -> dict[str, float] | None:
        """Hugging Face's upvotes as a signal (scoring.trending_weight; off when 0)."""
        weight = self.settings.trending_weight
        if not weight:
            return None
        return {
            p.key: weight * math.log2(1 + p.trending.upvotes)
            for p in papers
            if p.trending is not None and p.trending.upvotes > 0
        }

    # --- digests --------------------------------------------------------------------------------

    def build(
        self,
        profile: Profile,
        window_from: dt.date,
        window_to: dt.date,
        *,
        limit: int,
        min_score: float = 0.0,
        skip: Collection[str] = (),
        kind: str = "topics",
        only_matching: bool = False,
        sources: Collection[str] = (),
    ) -> Digest:
        """The best `limit` papers of the window for `profile`, scoring at least
        `min_score`, each with the reasons it is there. Papers in `skip` (keys the reader
        has already received) are left out."""
        request = DigestRequest(
            profile, window_from, window_to, skip, kind, only_matching, tuple(sources)
        )
        [digest] = self.build_many([request], limit=limit, min_score=min_score)
        return digest

    def build_many(
        self, requests: Sequence[DigestRequest], *, limit: int, min_score: float = 0.0
    ) -> list[Digest]:
        """One digest per request, in order; each kind builds its own requests together."""
        digests: list[Digest | None] = [None] * len(requests)
        by_kind: dict[str, list[int]] = {}
        for index, request in enumerate(requests):
            by_kind.setdefault(request.kind, []).append(index)
        for name, indexes in by_kind.items():
            built = self.kind(name).build(
                self, [requests[i] for i in indexes], limit=limit, min_score=min_score
            )
            for index, digest in zip(indexes, built, strict=True):
                digests[index] = digest
        return [d for d in digests if d is not None]


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
    with an `embedder`, the semantic layer is added. Papers in `skip` (keys the reader has
    already received) are left out before ranking. (Many readers: use DigestBuilder.)"""
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
