"""Topics digests: the papers announced in a window, on the reader's topics, best first.

Days are arXiv's announcement days (US Eastern dates). Papers from other sources (a journal's
feed) are announced on the day of the announcement after the one out when they were first
seen, so no digest already sent can miss them; arXiv's categories do not filter them (they
have none), the reader's `sources` do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from paperwire.digest.kinds.base import DigestKind, DigestRequest, Limits, OneOff
from paperwire.digest.words import day_month, display_term, format_window
from paperwire.models import ARXIV, ARXIV_BACKED, Digest, Paper, ScoredPaper
from paperwire.sources.arxiv.calendar import latest_announcement_date, next_announcement_date
from paperwire.syntax import has_topics, in_categories
from paperwire.text import plural

if TYPE_CHECKING:
    from paperwire.digest.select import DigestBuilder
    from paperwire.sources.arxiv.source import ArxivSource
    from paperwire.sources.base import FetchContext, FetchReport
    from paperwire.store import Store


def _from_arxiv(paper: Paper) -> bool:
    return paper.source in ARXIV_BACKED or paper.arxiv_id is not None


def takes(request: DigestRequest, paper: Paper) -> bool:
    """Whether the reader takes papers from this paper's source at all."""
    if paper.source in ARXIV_BACKED:
        return not request.sources or ARXIV in request.sources
    if request.sources:
        return paper.source in request.sources
    # A reader who names no topic (every paper of their categories, as arXiv's own mailings)
    # gets another source's papers only by naming that source.
    return has_topics(request.profile)


class TopicsKind(DigestKind):
    """Topics digests; `arxiv` is the arXiv source of the configuration (its calendar, its
    fetch history), needed to plan and to fetch, not to build or to word a digest."""

    name = "topics"
    heading = "arXiv digest"
    days_noun = "announced"
    as_published = "as announced"
    fetch_hint = "paperwire fetch --date or --since"

    def __init__(self, arxiv: ArxivSource | None = None) -> None:
        self.arxiv = arxiv

    def _source(self) -> ArxivSource:
        if self.arxiv is None:
            raise RuntimeError("topics digests are planned with the arXiv source")
        return self.arxiv

    # --- days -------------------------------------------------------------------------------

    def limits(self, store: Store, now: dt.datetime) -> Limits:
        """No digest jumps over a missed day, and none ends on a day stored for fewer
        categories than the readers'."""
        arxiv = self._source()
        # Papers stored without a fetch history of these categories (by a program, or a
        # store another version filled): the newest announcement stands in.
        newest = arxiv.newest_complete_day(store) or store.latest_announcement(self.latest_by(now))
        return Limits(newest, arxiv.missing_days(store, now))

    def latest_by(self, moment: dt.datetime) -> dt.date:
        holidays = self.arxiv.holidays if self.arxiv is not None else ()
        return latest_announcement_date(moment, holidays)

    def published_days(self, store: Store, since: dt.date, now: dt.datetime) -> list[dt.date]:
        # A journal's paper seen today is announced with arXiv's next announcement: a day
        # still to come is not published yet.
        latest = self.latest_by(now)
        return [day for day in store.announcement_dates(since) if day <= latest]

    def prepare(
        self, context: FetchContext, request: OneOff
    ) -> tuple[FetchReport, tuple[dt.date, dt.date]]:
        """Fetch the day (or days) from arXiv when the store lacks it, for the categories
        asked for; the window ends on the newest day stored whole for them."""
        from paperwire.sources.arxiv.ids import feed_key
        from paperwire.sources.base import FetchReport

        arxiv = self._source()
        if request.categories:
            arxiv = dataclasses.replace(arxiv, categories=list(request.categories))
        store, now = context.store, context.now
        key = feed_key(arxiv.categories)
        report = FetchReport()
        # "none": the calendar expected the day but no source showed it yet; look again.
        stored = store.feed_day(key, request.date or self.latest_by(now))
        if request.fetch and stored in (None, "none"):
            ingestor = arxiv.ingestor(context)
            report = ingestor.run("auto", request.date, request.since)
        newest_day = store.latest_feed_day(key, ("announced",))
        newest = newest_day[0] if newest_day else self.latest_by(now)
        # Papers from other sources seen since wait for the next announcement: a one-off
        # digest shows them already (a scheduled one sends them with that announcement).
        waiting = store.latest_announcement(next_announcement_date(now, arxiv.holidays))
        return report, (newest, max(newest, waiting or newest))

    # --- papers -----------------------------------------------------------------------------

    def build(
        self,
        builder: DigestBuilder,
        requests: Sequence[DigestRequest],
        *,
        limit: int,
        min_score: float,
    ) -> list[Digest]:
        """Readers sharing a window are ranked together in one pass, which is what makes a
        batch of thousands of readers fast. Papers of sources without arXiv's categories are
        ranked in a second pass (only when the window has any) with the categories left out."""
        digests: list[Digest | None] = [None] * len(requests)
        windows: dict[tuple[dt.date, dt.date], list[int]] = {}
        for index, request in enumerate(requests):
            windows.setdefault((request.window_from, request.window_to), []).append(index)
        for (window_from, window_to), indexes in windows.items():
            papers = builder.announced(window_from, window_to)
            batch = [requests[i] for i in indexes]
            arxiv = [p for p in papers if p.source in ARXIV_BACKED]
            others = [p for p in papers if p.source not in ARXIV_BACKED]
            rankings = self._rank(builder, arxiv, batch, limit, min_score, categories=True)
            if others:
                more = self._rank(builder, others, batch, limit, min_score, categories=False)
                rankings = [
                    sorted(a + b, key=lambda s: (-s.score, s.paper.key))
                    for a, b in zip(rankings, more, strict=True)
                ]
            # The papers each reader could get, counted once per kind of reader (most share
            # their categories and sources): one pass over the window per kind, not per reader.
            for index, request, ranked in zip(indexes, batch, rankings, strict=True):
                profile = request.profile
                scope_key = (
                    window_from,
                    window_to,
                    tuple(profile.categories),
                    tuple(request.sources),
                    has_topics(profile),
                )

                def scope_of(
                    request: DigestRequest = request, papers: Sequence[Paper] = papers
                ) -> set[str]:
                    return {
                        p.key
                        for p in papers
                        if takes(request, p)
                        and (
                            p.source not in ARXIV_BACKED
                            or in_categories(p.categories, request.profile.categories)
                        )
                    }

                scope = builder.in_scope(scope_key, scope_of)
                in_scope = len(scope) - len(scope.intersection(request.skip))
                digests[index] = Digest(
                    request.profile,
                    window_from,
                    window_to,
                    in_scope,
                    ranked[:limit],
                    builder.now,
                    matched_count=len(ranked),
                    kind=self.name,
                    rest=ranked[limit : limit + builder.keep_rest],
                )
        return [d for d in digests if d is not None]

    @staticmethod
    def _rank(
        builder: DigestBuilder,
        papers: list[Paper],
        requests: Sequence[DigestRequest],
        limit: int,
        min_score: float,
        *,
        categories: bool,
    ) -> list[list[ScoredPaper]]:
        if not papers:
            return [[] for _ in requests]
        profiles = [
            r.profile if categories else dataclasses.replace(r.profile, categories=[])
            for r in requests
        ]
        skips = []
        for request in requests:
            refused = {p.key for p in papers if not takes(request, p)}
            skips.append(set(request.skip) | refused if refused else request.skip)
        return builder.rank(
            papers,
            profiles,
            skips,
            limit=limit,
            min_score=min_score,
            boost=builder.upvote_boost(papers),
        )

    # --- words ------------------------------------------------------------------------------

    def title(self, digest: Digest) -> str:
        """ "arXiv digest", or "Research digest" when it lists a journal's or a preprint
        server's papers too."""
        if all(_from_arxiv(scored.paper) for scored in digest.papers):
            return self.heading
        return "Research digest"

    def summary(self, digest: Digest) -> str:
        categories = [display_term(c) for c in digest.profile.categories]
        where = f" in {', '.join(categories)}" if categories else ""
        others = sorted({s.paper.source for s in digest.papers if not _from_arxiv(s.paper)})
        if others:  # a journal's articles are in no arXiv category
            where += f"{' or' if where else ''} published in {', '.join(others)}"
        announced = plural(digest.announced_count, "paper")
        return f"{digest.matched_count} of {announced} announced{where} matched."

    def subject(self, digest: Digest) -> str:
        if digest.matched_count == 0:
            if digest.window_from < digest.window_to:
                days = format_window(digest.window_from, digest.window_to, year=False)
                return f"No new papers matched {days}"
            return f"No new papers matched on {day_month(digest.window_to)}"
        if not digest.papers:
            return f"{plural(digest.matched_count, 'new paper')} for you"
        # The papers it holds (as `send --dry-run` and the ledger count them); the summary
        # inside says how many matched, and the rest are "N more papers matched".
        head = f"{plural(len(digest.papers), 'new paper')} for you"
        return f"{head}: {digest.papers[0].paper.title}"

    def empty_note(self, digest: Digest, dates: str) -> str:
        if digest.matched_count:
            return ""
        on = "on " if digest.window_from >= digest.window_to else ""
        return (
            f"Nothing matched your topics among the {plural(digest.announced_count, 'paper')} "
            f"announced {on}{dates}."
        )

    def more_note(self, count: int) -> str:
        return f"{plural(count, 'more paper')} matched."
