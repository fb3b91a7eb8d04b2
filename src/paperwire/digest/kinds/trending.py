"""Trending digests: Hugging Face's featured papers of a window, most upvoted first, the
reader's topics ranked higher (or, with `only_matching`, alone).

Days are featured days (UTC dates); a digest covers only days that have ended, with their
upvotes as they stood then.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from paperwire.digest.kinds.base import DigestKind, DigestRequest, Limits, OneOff
from paperwire.digest.words import format_window, on_topics
from paperwire.errors import UsageError
from paperwire.models import Digest, Profile, ScoredPaper
from paperwire.scoring.trending import has_topics, trending_order
from paperwire.sources.huggingface.fetch import (
    latest_final_day,
    needs_fetch,
    newest_final_day,
)
from paperwire.text import plural

if TYPE_CHECKING:
    from paperwire.digest.select import DigestBuilder
    from paperwire.sources.base import FetchContext, FetchReport
    from paperwire.sources.huggingface.source import HuggingFaceSource
    from paperwire.store import Store


class TrendingKind(DigestKind):
    """Trending digests; `huggingface` is the configuration's Hugging Face source (its
    refresh interval, how far back digests reach), needed to plan and to fetch."""

    name = "trending"
    heading = "Trending on Hugging Face"
    days_noun = "featured"
    as_published = "as each featured day ends (UTC)"
    option = "--trending"
    fetch_hint = "paperwire fetch --source huggingface --date"

    def __init__(
        self, huggingface: HuggingFaceSource | None = None, *, lookback_days: int = 14
    ) -> None:
        self.huggingface = huggingface
        self.lookback_days = huggingface.lookback_days if huggingface else lookback_days

    # --- days -------------------------------------------------------------------------------

    def limits(self, store: Store, now: dt.datetime) -> Limits:
        """Trending digests end on the newest featured day that is final, with every one
        before it final too (or given up on): they wait for missing days, they never jump."""
        return Limits(newest_final_day(store, now, lookback_days=self.lookback_days))

    def latest_by(self, moment: dt.datetime) -> dt.date:
        return latest_final_day(moment)

    def newest_asked(self, now: dt.datetime) -> dt.date:
        return now.date()  # a featured day has papers while it runs

    def published_days(self, store: Store, since: dt.date, now: dt.datetime) -> list[dt.date]:
        records = store.trending_days(since, now.date())
        return sorted(day for day, record in records.items() if record.final)

    def prepare(
        self, context: FetchContext, request: OneOff
    ) -> tuple[FetchReport, tuple[dt.date, dt.date]]:
        """Fetch the featured days the digest needs and the store lacks (or holds from before
        their upvotes last settled); the window ends on the newest day with papers (today's
        list may still be empty in the morning, so the day before is fetched too), or with
        `send` the newest day that has ended: a list still growing is never sent."""
        from paperwire.sources.base import FetchReport

        if self.huggingface is None:
            raise RuntimeError("trending digests are prepared with the Hugging Face source")
        store, now = context.store, context.now
        ingestor = self.huggingface.ingestor(context)
        wanted = ingestor.days(request.date, request.since)  # checks --date and --since
        last_final = latest_final_day(now)
        if request.send and wanted[-1] > last_final:
            if request.date is not None or request.since == wanted[-1]:
                raise UsageError(
                    f"--send: Hugging Face's list of {wanted[-1]} is still growing; "
                    f"the newest finished day is {last_final}"
                )
            wanted = [d for d in wanted if d <= last_final] if request.since else [last_final]
        elif request.date is None and request.since is None and wanted[-1] > last_final:
            wanted = [last_final, *wanted]
        report = FetchReport()
        if request.fetch:
            records = store.trending_days(wanted[0], wanted[-1]) if wanted else {}
            refresh = dt.timedelta(minutes=self.huggingface.settings.refresh)
            # As `run` decides, except that a failed day is tried again at once: it was asked.
            stale = [
                day
                for day in wanted
                if needs_fetch(day, records.get(day), now, refresh=refresh, retry=dt.timedelta(0))
            ]
            if stale:
                report = ingestor.fetch_days(stale)
        if request.date is not None or request.since is not None or request.send:
            return report, (wanted[-1], wanted[-1])
        records = store.trending_days(wanted[-1] - dt.timedelta(days=14), wanted[-1])
        featured = [day for day, record in records.items() if record.status == "featured"]
        newest = max(featured, default=wanted[-1])
        return report, (newest, newest)

    # --- papers -----------------------------------------------------------------------------

    def build(
        self,
        builder: DigestBuilder,
        requests: Sequence[DigestRequest],
        *,
        limit: int,
        min_score: float,
    ) -> list[Digest]:
        """Readers sharing a window are ranked together; `min_score` does not apply (the
        order is by upvotes)."""
        windows: dict[tuple[dt.date, dt.date], list[int]] = {}
        for index, request in enumerate(requests):
            windows.setdefault((request.window_from, request.window_to), []).append(index)
        digests: list[Digest | None] = [None] * len(requests)
        for indexes in windows.values():
            built = self._build_window(builder, [requests[i] for i in indexes], limit=limit)
            for index, digest in zip(indexes, built, strict=True):
                digests[index] = digest
        return [d for d in digests if d is not None]

    def _build_window(
        self, builder: DigestBuilder, requests: Sequence[DigestRequest], *, limit: int
    ) -> list[Digest]:
        first = requests[0]
        papers = builder.featured(first.window_from, first.window_to)
        # Hugging Face's papers often carry no categories: topics alone decide.
        profiles = [dataclasses.replace(r.profile, categories=[]) for r in requests]
        matched: list[list[ScoredPaper]] = [[] for _ in requests]
        allowed: list[set[str] | None] = [None for _ in requests]
        if papers and any(has_topics(p) for p in profiles):
            # Every match explained: the order by upvotes may show any of them.
            matched = builder.rank(
                papers, profiles, [r.skip for r in requests], limit=None, semantic=False
            )
        filtering = [i for i, p in enumerate(profiles) if p.exclude or p.query.strip()]
        if papers and filtering:
            # Excluded words and the query leave papers out of a trending digest too: a
            # profile of those alone lists exactly the papers they let through.
            filters = [
                Profile(exclude=profiles[i].exclude, query=profiles[i].query) for i in filtering
            ]
            passed = builder.ranker().rank(papers, filters)
            for index, through in zip(filtering, passed, strict=True):
                allowed[index] = {item.paper.key for item in through}
        bonus = builder.settings.trending_bonus
        digests = []
        for request, profile, hits, kept in zip(requests, profiles, matched, allowed, strict=True):
            ordered = trending_order(
                papers if kept is None else [p for p in papers if p.key in kept],
                hits,
                skip=request.skip,
                only_matching=request.only_matching and has_topics(profile),
                bonus=bonus,
            )
            featured = sum(1 for p in papers if p.key not in request.skip)
            digests.append(
                Digest(
                    request.profile,
                    request.window_from,
                    request.window_to,
                    featured,
                    ordered[:limit],
                    builder.now,
                    matched_count=len(ordered),
                    kind=self.name,
                    rest=ordered[limit : limit + builder.keep_rest],
                )
            )
        return digests

    # --- words ------------------------------------------------------------------------------

    def summary(self, digest: Digest) -> str:
        shown = len(digest.papers)
        head = f"{shown} of {plural(digest.announced_count, 'paper')} featured on Hugging Face"
        topical = on_topics(digest)
        tail = f"; {topical} on your topics, ranked higher" if topical else ""
        return f"{head}, most upvoted first{tail}."

    def subject(self, digest: Digest) -> str:
        days = format_window(digest.window_from, digest.window_to, year=False)
        on = "" if digest.window_from < digest.window_to else "on "
        if digest.announced_count == 0:
            return f"No trending papers {on}{days}"
        if not digest.papers:
            return f"No trending papers on your topics {on}{days}"
        head = plural(len(digest.papers), "trending paper")
        return f"{head}: {digest.papers[0].paper.title}"

    def empty_note(self, digest: Digest, dates: str) -> str:
        on = "on " if digest.window_from >= digest.window_to else ""
        if digest.announced_count == 0:
            return f"Hugging Face featured no papers {on}{dates}."
        if digest.matched_count == 0:
            return (
                f"None of the {plural(digest.announced_count, 'paper')} featured on Hugging "
                f"Face {on}{dates} is on your topics."
            )
        return ""

    def more_note(self, count: int) -> str:
        return f"{plural(count, 'more paper')} featured."
