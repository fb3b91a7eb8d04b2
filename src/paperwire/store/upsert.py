"""Merge incoming papers with stored rows and write them with one bulk INSERT … ON CONFLICT.

Which stored row an incoming paper is (its arXiv id, its DOI, its source's own id) is
store.identity's question; this module decides what the merged row says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select, tuple_

from paperwire.models import ANNOUNCE_TYPE_RANK, ARXIV, AnnounceType, Paper, UpsertCounts, route_bit
from paperwire.store.identity import aliases_of, resolve, save_aliases
from paperwire.store.tables import ANNOUNCEMENTS, PAPERS
from paperwire.text import fold

# Stay well under SQLite's 32,766 bound parameters per statement.
_SELECT_CHUNK = 900
_CONTENT = ("title", "abstract", "comments", "journal_ref", "doi", "license")
_COMPARED = (
    *_CONTENT,
    "arxiv_id",
    "source",
    "version",
    "authors",
    "categories",
    "primary_category",
    "announce_type",
    "announced",
    "first_announced",
    "announced_estimated",
    "submitted",
    "updated",
    "links",
    "routes",
)


def _row_from_paper(paper: Paper, now: dt.datetime, estimated: bool) -> dict[str, Any]:
    return {
        "id": paper.key,
        "arxiv_id": paper.arxiv_id,
        "source": paper.source,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": list(paper.authors),
        "authors_folded": fold(", ".join(paper.authors)),
        "categories": list(paper.categories),
        "primary_category": paper.primary_category,
        "announce_type": paper.announce_type.value if paper.announce_type else None,
        "announced": paper.announced,
        "first_announced": paper.announced,
        "announced_estimated": estimated and paper.announced is not None,
        "submitted": paper.submitted,
        "updated": paper.updated,
        "comments": paper.comments,
        "journal_ref": paper.journal_ref,
        "doi": paper.doi,
        "license": paper.license,
        "links": dict(paper.links),
        "routes": route_bit(paper.route) if paper.route else 0,
        "first_seen_at": now,
        "updated_at": now,
    }


def _stronger(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return a if ANNOUNCE_TYPE_RANK[AnnounceType(a)] >= ANNOUNCE_TYPE_RANK[AnnounceType(b)] else b


def _min(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else min(a, b)


def _max(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else max(a, b)


def merge_rows(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """One row from what the store had and what a source just said about the same paper.

    A newer version replaces the content; the same version only fills what was missing (the
    listing has no license, the feed no submission date), so sources never undo each other.
    The latest announcement wins; on the same day the stronger type wins (new over cross).
    arXiv's own metadata replaces what only another source (Hugging Face, a journal's feed)
    had said, and is never replaced by it; between other sources, the first one stays.
    """
    merged = dict(old)
    newer = (new["version"] or 0) > (old["version"] or 0)
    old_arxiv, new_arxiv = old["source"] == ARXIV, new["source"] == ARXIV
    if not new_arxiv and (old_arxiv or old["source"] != new["source"]):
        # Only fills gaps: no version, no submission time of its own.
        new = {**new, "version": None, "submitted": old["submitted"] or new["submitted"]}
        newer = False
    elif new_arxiv and not old_arxiv:
        old = {**old, "version": None, "submitted": new["submitted"] or old["submitted"]}
        newer = True
    for key in _CONTENT:
        if new[key] and (newer or not old[key]):
            merged[key] = new[key]
    if new["authors"] and (newer or not old["authors"]):
        merged["authors"] = new["authors"]
        merged["authors_folded"] = new["authors_folded"]
    categories = list(new["categories"] if newer else old["categories"])
    extra = old["categories"] if newer else new["categories"]
    merged["categories"] = categories + [c for c in extra if c not in categories]
    merged["primary_category"] = old["primary_category"] or new["primary_category"]
    if newer and new["primary_category"]:
        merged["primary_category"] = new["primary_category"]
    merged["version"] = _max(old["version"], new["version"])
    _merge_announcement(merged, old, new)
    merged["submitted"] = _min(old["submitted"], new["submitted"])
    merged["updated"] = _max(old["updated"], new["updated"])
    # Links from both; where both name one (the abstract page), the newer or arXiv's.
    merged["links"] = (
        {**old["links"], **new["links"]} if newer else {**new["links"], **old["links"]}
    )
    merged["arxiv_id"] = old["arxiv_id"] or new["arxiv_id"]
    merged["source"] = ARXIV if old_arxiv or new_arxiv else old["source"]
    merged["routes"] = old["routes"] | new["routes"]
    merged["first_seen_at"] = old["first_seen_at"]
    return merged


_ANNOUNCEMENT = ("announced", "announce_type", "first_announced", "announced_estimated")


_FIRST_ANNOUNCEMENTS = (AnnounceType.NEW.value, AnnounceType.CROSS.value)


def _replaces_estimate(row: dict[str, Any]) -> bool:
    """A real first announcement (new, cross) is what an estimated date stood in for."""
    return (
        row["announced"] is not None
        and not row["announced_estimated"]
        and row["announce_type"] in _FIRST_ANNOUNCEMENTS
    )


def _merge_announcement(merged: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> None:
    """Real dates (feed, listing) beat estimated ones (API); an estimate never moves a date."""
    if new["announced"] is None:
        return
    if old["announced"] is None or (old["announced_estimated"] and _replaces_estimate(new)):
        merged.update({key: new[key] for key in _ANNOUNCEMENT})
        return
    if new["announced_estimated"]:
        return
    if old["announced_estimated"]:
        # A real replacement after an estimated first announcement: the latest announcement
        # is real now, the first one stays the estimate.
        merged["announced_estimated"] = False
    if new["announced"] > old["announced"]:
        merged["announced"], merged["announce_type"] = new["announced"], new["announce_type"]
    elif new["announced"] == old["announced"]:
        merged["announce_type"] = _stronger(old["announce_type"], new["announce_type"])
    merged["first_announced"] = _min(old["first_announced"], new["first_announced"])


def dialect_insert(connection: Connection, table: Table) -> Any:
    # Each dialect imported when its database is in use (PostgreSQL's takes a while).
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise NotImplementedError(f"bulk upsert is written for SQLite and PostgreSQL, not {table}")


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert_papers(
    connection: Connection,
    papers: Iterable[Paper],
    now: dt.datetime,
    *,
    estimated_dates: bool = False,
    announce_new_only: bool = False,
) -> UpsertCounts:
    """Store `papers` (one source's batch) inside the caller's transaction; count what changed.

    Each paper's `key` is set to the key it is stored under (store.identity: a paper another
    source already brought keeps that row). `estimated_dates`: the papers' announcement dates
    are guesses (the API gives submission times only); they are kept only for papers with no
    real announcement, and a real one later replaces them. `announce_new_only`: only papers
    not stored before are announced (a journal's feed lists an article for weeks; it is news
    the first time).
    """
    batch = list(papers)
    for paper, key in zip(batch, resolve(connection, batch), strict=True):
        paper.key = key
    incoming: dict[str, dict[str, Any]] = {}
    aliases: dict[str, str] = {}
    for paper in batch:
        row = _row_from_paper(paper, now, estimated_dates)
        # One batch may hold a paper twice (a per-category listing crawl): merge in memory first.
        previous = incoming.get(paper.key)
        incoming[paper.key] = merge_rows(previous, row) if previous else row
        for alias in aliases_of(paper):
            aliases.setdefault(alias, paper.key)
    counts = UpsertCounts()
    if not incoming:
        return counts

    ids = list(incoming)
    stored: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids, _SELECT_CHUNK):
        result = connection.execute(select(PAPERS).where(PAPERS.c.id.in_(chunk)))
        for mapping in result.mappings():
            stored[mapping["id"]] = dict(mapping)

    to_write: list[dict[str, Any]] = []
    for key, row in incoming.items():
        counts.by_type[row["announce_type"] or "unknown"] += 1
        old = stored.get(key)
        if announce_new_only and old is not None:
            # Seen before: what it says may update the paper, but it is no announcement.
            row["announced"] = row["first_announced"] = row["announce_type"] = None
        if old is None:
            counts.added += 1
            to_write.append(row)
            continue
        merged = merge_rows(old, row)
        if all(merged[k] == old[k] for k in _COMPARED):
            counts.unchanged += 1
        else:
            counts.updated += 1
            merged["updated_at"] = row["updated_at"]
            to_write.append(merged)
        if estimated_dates and old["announced"] is not None:
            row["announced"] = None  # the store knows better than an estimate

    if to_write:
        statement = dialect_insert(connection, PAPERS)
        columns = {c.name: statement.excluded[c.name] for c in PAPERS.c if c.name != "id"}
        connection.execute(
            statement.on_conflict_do_update(index_elements=["id"], set_=columns),
            to_write,
        )
    save_aliases(connection, aliases, dialect_insert)
    # Papers stored only now have no announcements yet (foreign key): only those stored before
    # need their announcements looked up or cleared.
    known = [key for key in ids if key in stored]
    if not estimated_dates:
        # A real first announcement replaces the estimated ones made for the same papers.
        replacing = [i for i in known if _replaces_estimate(incoming[i])]
        for chunk in _chunks(replacing, _SELECT_CHUNK):
            connection.execute(
                ANNOUNCEMENTS.delete().where(
                    ANNOUNCEMENTS.c.paper_id.in_(chunk), ANNOUNCEMENTS.c.estimated.is_(True)
                )
            )
    _upsert_announcements(connection, list(incoming.values()), set(known), estimated_dates)
    return counts


def _upsert_announcements(
    connection: Connection, rows: list[dict[str, Any]], known: set[str], estimated: bool
) -> None:
    wanted = {
        (row["id"], row["announced"]): row
        for row in rows
        if row["announced"] is not None and row["announce_type"] is not None
    }
    if not wanted:
        return
    keys = [key for key in wanted if key[0] in known]
    existing: dict[tuple[str, dt.date], str] = {}
    for chunk in _chunks(keys, _SELECT_CHUNK // 2):
        result = connection.execute(
            select(
                ANNOUNCEMENTS.c.paper_id, ANNOUNCEMENTS.c.announced, ANNOUNCEMENTS.c.announce_type
            ).where(tuple_(ANNOUNCEMENTS.c.paper_id, ANNOUNCEMENTS.c.announced).in_(chunk))
        )
        existing.update({(a, d): t for a, d, t in result})
    to_write = []
    for key, row in wanted.items():
        kind = _stronger(existing.get(key), row["announce_type"])
        if key not in existing or kind != existing[key]:
            to_write.append(
                {
                    "paper_id": key[0],
                    "announced": key[1],
                    "announce_type": kind,
                    "version": row["version"],
                    "estimated": estimated,
                }
            )
    if to_write:
        statement = dialect_insert(connection, ANNOUNCEMENTS)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["paper_id", "announced"],
                set_={
                    "announce_type": statement.excluded.announce_type,
                    "version": statement.excluded.version,
                },
            ),
            to_write,
        )
