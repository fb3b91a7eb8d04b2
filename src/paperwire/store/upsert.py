"""Merge incoming papers with stored rows and write them with one bulk INSERT … ON CONFLICT."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from paperwire.models import ANNOUNCE_TYPE_RANK, AnnounceType, Paper, Source, source_bit
from paperwire.store.tables import AnnouncementRow, PaperRow
from paperwire.text import fold

PAPERS: Table = PaperRow.__table__  # type: ignore[assignment]
ANNOUNCEMENTS: Table = AnnouncementRow.__table__  # type: ignore[assignment]
# Stay well under SQLite's 32,766 bound parameters per statement.
_SELECT_CHUNK = 900
_HUGGINGFACE = source_bit(Source.HUGGINGFACE)
_CONTENT = ("title", "abstract", "comments", "journal_ref", "doi", "license")
_COMPARED = (
    *_CONTENT,
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
    "sources",
)


@dataclass(slots=True)
class UpsertCounts:
    """What one batch did to the store, overall and by announce type."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    by_type: Counter[str] = field(default_factory=Counter)

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.by_type.update(other.by_type)
        return self

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


def _row_from_paper(paper: Paper, now: dt.datetime, estimated: bool) -> dict[str, Any]:
    return {
        "arxiv_id": paper.arxiv_id,
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
        "links": {"abs": paper.abs_url, "pdf": paper.pdf_url, "html": paper.html_url},
        "sources": source_bit(paper.source),
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
    arXiv's own metadata replaces what only Hugging Face had said, and is never replaced by it.
    """
    merged = dict(old)
    newer = (new["version"] or 0) > (old["version"] or 0)
    if new["sources"] == _HUGGINGFACE and old["sources"] != _HUGGINGFACE:
        # Hugging Face only fills gaps: no version, no submission time of its own.
        new = {**new, "version": None, "submitted": old["submitted"] or new["submitted"]}
        newer = False
    elif old["sources"] == _HUGGINGFACE and new["sources"] != _HUGGINGFACE:
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
    if newer or not old["links"]:
        merged["links"] = new["links"]
    merged["sources"] = old["sources"] | new["sources"]
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
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
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
) -> UpsertCounts:
    """Store `papers` (one source's batch) inside the caller's transaction; count what changed.

    `estimated_dates`: the papers' announcement dates are guesses (the API gives submission
    times only). They are kept only for papers with no real announcement, and a real one later
    replaces them.
    """
    incoming: dict[str, dict[str, Any]] = {}
    for paper in papers:
        row = _row_from_paper(paper, now, estimated_dates)
        # One batch may hold a paper twice (a per-category listing crawl): merge in memory first.
        previous = incoming.get(paper.arxiv_id)
        incoming[paper.arxiv_id] = merge_rows(previous, row) if previous else row
    counts = UpsertCounts()
    if not incoming:
        return counts

    ids = list(incoming)
    stored: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids, _SELECT_CHUNK):
        result = connection.execute(select(PAPERS).where(PAPERS.c.arxiv_id.in_(chunk)))
        for mapping in result.mappings():
            stored[mapping["arxiv_id"]] = dict(mapping)

    to_write: list[dict[str, Any]] = []
    for arxiv_id, row in incoming.items():
        counts.by_type[row["announce_type"] or "unknown"] += 1
        old = stored.get(arxiv_id)
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
            row["announced"] = None  # the store knows better than an estimate: no announcement

    if to_write:
        statement = dialect_insert(connection, PAPERS)
        columns = {c.name: statement.excluded[c.name] for c in PAPERS.c if c.name != "arxiv_id"}
        connection.execute(
            statement.on_conflict_do_update(index_elements=["arxiv_id"], set_=columns),
            to_write,
        )
    # Papers stored only now have no announcements yet (foreign key): only those stored before
    # need their announcements looked up or cleared.
    known = [arxiv_id for arxiv_id in ids if arxiv_id in stored]
    if not estimated_dates:
        # A real first announcement replaces the estimated ones made for the same papers.
        replacing = [i for i in known if _replaces_estimate(incoming[i])]
        for chunk in _chunks(replacing, _SELECT_CHUNK):
            connection.execute(
                ANNOUNCEMENTS.delete().where(
                    ANNOUNCEMENTS.c.arxiv_id.in_(chunk), ANNOUNCEMENTS.c.estimated.is_(True)
                )
            )
    _upsert_announcements(connection, list(incoming.values()), set(known), estimated_dates)
    return counts


def _upsert_announcements(
    connection: Connection, rows: list[dict[str, Any]], known: set[str], estimated: bool
) -> None:
    wanted = {
        (row["arxiv_id"], row["announced"]): row
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
                ANNOUNCEMENTS.c.arxiv_id, ANNOUNCEMENTS.c.announced, ANNOUNCEMENTS.c.announce_type
            ).where(tuple_(ANNOUNCEMENTS.c.arxiv_id, ANNOUNCEMENTS.c.announced).in_(chunk))
        )
        existing.update({(a, d): t for a, d, t in result})
    to_write = []
    for key, row in wanted.items():
        kind = _stronger(existing.get(key), row["announce_type"])
        if key not in existing or kind != existing[key]:
            to_write.append(
                {
                    "arxiv_id": key[0],
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
                index_elements=["arxiv_id", "announced"],
                set_={
                    "announce_type": statement.excluded.announce_type,
                    "version": statement.excluded.version,
                },
            ),
            to_write,
        )
