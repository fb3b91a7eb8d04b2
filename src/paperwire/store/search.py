"""Full-text search over stored papers: SQLite FTS5 or PostgreSQL tsvector, same query language.

The query language is the familiar web-search one: words (all must match), "quoted phrases",
-word to exclude, OR between alternatives. User input never reaches the engine's own query
syntax unquoted, so `C++`, `(` or `NEAR` are just text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, literal_column, select, text

from paperwire.errors import UsageError
from paperwire.store.upsert import PAPERS
from paperwire.text import fold

MAX_TERMS = 32
_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+")


def fts5_query(query: str) -> str:
    """Translate a web-search style query into a safe FTS5 MATCH expression ('' if empty)."""
    groups: list[list[str]] = [[]]  # OR-separated groups of ANDed terms
    negated: list[str] = []
    for match in _TOKEN.finditer(query):
        minus, phrase, word = match.group(1), match.group(2), match.group(3)
        if word == "OR":
            groups.append([])
            continue
        if word is not None and word.startswith("-") and len(word) > 1:
            minus, word = "-", word[1:]
        words = _WORD.findall(phrase if phrase is not None else word or "")
        if not words:
            continue
        term = '"' + " ".join(words) + '"'
        (negated if minus else groups[-1]).append(term)
    groups = [list(dict.fromkeys(group)) for group in groups if group]
    negated = list(dict.fromkeys(negated))
    # FTS5's parser has a small stack: a query with more terms is refused, not cut short.
    if sum(map(len, groups)) + len(negated) > MAX_TERMS:
        raise UsageError(f"search query has more than {MAX_TERMS} terms; use fewer")
    alternatives = [" AND ".join(group) for group in groups]
    if not alternatives:
        return ""
    expression = " OR ".join(f"({alt})" for alt in alternatives)
    if negated:
        expression = f"({expression}) NOT ({' OR '.join(negated)})"
    return expression


def search_papers(connection: Connection, query: str, limit: int) -> Sequence[Any]:
    """Stored papers matching `query`, best first (title matches weigh most)."""
    fts5 = fts5_query(query)  # also checks the query's size, whichever the database
    if connection.dialect.name == "postgresql":
        # As typed (accented titles) or folded (author names are indexed without accents).
        tsquery = func.websearch_to_tsquery("english", query).op("||")(
            func.websearch_to_tsquery("english", fold(query))
        )
        rank = func.ts_rank(literal_column("papers.search_vector"), tsquery)
        statement = (
            select(PAPERS)
            .where(literal_column("papers.search_vector").op("@@")(tsquery))
            .order_by(rank.desc(), PAPERS.c.announced.desc().nulls_last(), PAPERS.c.id)
            .limit(limit)
        )
        return connection.execute(statement).all()
    if not fts5:
        return []
    # bm25() weights: title 10, abstract 1, authors 5. Lower is better in FTS5.
    # Columns by name: migrations added some at the end of the table, in another order
    # than the ORM's.
    columns = ", ".join(f"papers.{c.name}" for c in PAPERS.c)
    rows = connection.execute(
        text(
            f"SELECT {columns} FROM papers_fts JOIN papers ON papers.rowid = papers_fts.rowid "
            "WHERE papers_fts MATCH :match "
            "ORDER BY bm25(papers_fts, 10.0, 1.0, 5.0), papers.announced DESC, papers.id "
            "LIMIT :limit"
        ).columns(*PAPERS.c),
        {"match": fts5, "limit": limit},
    )
    return rows.all()
