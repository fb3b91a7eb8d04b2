"""Hugging Face's Daily Papers in the store: featured papers' upvotes and links, days fetched.

A featured paper is stored twice over: as a paper row (merged with arXiv's by id, arXiv's
metadata winning) and as a trending row holding what only Hugging Face knows. Upvotes only
ever grow on Hugging Face; a later fetch replaces them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from paperwire.models import Paper, Trending
from paperwire.store.tables import TRENDING, TRENDING_DAYS
from paperwire.store.upsert import UpsertCounts, dialect_insert, upsert_papers

_CHUNK = 500
_FACTS = (
    "featured",
    "upvotes",
    "comments",
    "github_repo",
    "github_stars",
    "project_page",
    "ai_summary",
    "ai_keywords",
    "organization",
)


class TrendingDay(NamedTuple):
    """A fetch's record of one featured day (see TrendingDayRow)."""

    status: str  # featured, empty, failed
    route: str  # huggingface (the API), huggingface-page
    items: int
    final: bool
    fetched_at: dt.datetime


def trending_from_row(row: Any, prefix: str = "") -> Trending:
    """The Trending facts of a row holding the trending table's columns (named with
    `prefix` when joined onto a paper row)."""
    facts = {name: getattr(row, prefix + name) for name in _FACTS}
    facts["ai_keywords"] = tuple(facts["ai_keywords"] or ())
    return Trending(**facts)


def _facts(trending: Trending) -> dict[str, Any]:
    return {
        "featured": trending.featured,
        "upvotes": trending.upvotes,
        "comments": trending.comments,
        "github_repo": trending.github_repo,
        "github_stars": trending.github_stars,
        "project_page": trending.project_page,
        "ai_summary": trending.ai_summary,
        "ai_keywords": list(trending.ai_keywords),
        "organization": trending.organization,
    }


def upsert_trending(
    connection: Connection, papers: Sequence[Paper], now: dt.datetime
) -> UpsertCounts:
    """Store featured papers (each with `trending` set) inside the caller's transaction.

    The papers merge with stored rows as any source's do; the count says how many trending
    rows were added, changed (upvotes grew) or unchanged."""
    featured = [p for p in papers if p.trending is not None]
    upsert_papers(connection, featured, now)
    counts = UpsertCounts()
    if not featured:
        return counts
    stored: dict[str, dict[str, Any]] = {}
    ids = [p.key for p in featured]  # as upsert_papers resolved them
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for row in connection.execute(select(TRENDING).where(TRENDING.c.paper_id.in_(chunk))):
            stored[row.paper_id] = dict(row._mapping)
    rows = []
    for paper in featured:
        assert paper.trending is not None
        facts = _facts(paper.trending)
        old = stored.get(paper.key)
        if old is not None and old["featured"] < facts["featured"]:
            facts["featured"] = old["featured"]  # featured again later: it trended first then
        if old is None:
            counts.added += 1
        elif all(old[k] == facts[k] for k in _FACTS):
            counts.unchanged += 1
            continue
        else:
            counts.updated += 1
        first_seen = old["first_seen_at"] if old else now
        rows.append({"paper_id": paper.key, **facts, "first_seen_at": first_seen})
        rows[-1]["updated_at"] = now
    counts.by_type["featured"] = len(featured)
    if rows:
        statement = dialect_insert(connection, TRENDING)
        columns = {
            c.name: statement.excluded[c.name]
            for c in TRENDING.c
            if c.name not in ("paper_id", "first_seen_at")
        }
        connection.execute(
            statement.on_conflict_do_update(index_elements=["paper_id"], set_=columns), rows
        )
    return counts


def record_trending_day(
    connection: Connection,
    *,
    featured: dt.date,
    route: str,
    status: str,
    items: int,
    final: bool,
    now: dt.datetime,
) -> None:
    values = {
        "featured": featured,
        "route": route,
        "status": status,
        "items": items,
        "final": final,
        "fetched_at": now,
    }
    statement = dialect_insert(connection, TRENDING_DAYS).values(**values)
    update = {k: v for k, v in values.items() if k != "featured"}
    connection.execute(statement.on_conflict_do_update(index_elements=["featured"], set_=update))


def trending_days(
    connection: Connection, first: dt.date, last: dt.date
) -> dict[dt.date, TrendingDay]:
    rows = connection.execute(
        select(TRENDING_DAYS).where(
            TRENDING_DAYS.c.featured >= first, TRENDING_DAYS.c.featured <= last
        )
    )
    return {
        row.featured: TrendingDay(row.status, row.route, row.items, row.final, row.fetched_at)
        for row in rows
    }
