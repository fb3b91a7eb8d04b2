"""Which stored paper an incoming one is: by arXiv id, then by its other names (aliases).

A paper's key is the name it was first stored under: its arXiv id, or for a paper from
elsewhere its DOI or its source's own id (see models.Paper); a row keeps its key when another
source's copy is merged onto it (a journal article stored first stays `doi:…`, with the
preprint's arXiv id in papers.arxiv_id). The same work can reach paperwire from several
sources — an arXiv preprint and its journal version with the DOI arXiv also lists, a bioRxiv
paper in two subject feeds — so every name a source gives is kept in paper_aliases, and an
incoming paper that shares one with a stored paper is merged onto that row. Two different
arXiv ids are never merged, whatever DOI they claim.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from paperwire.doi import arxiv_id_of_doi, normal_doi
from paperwire.models import Paper
from paperwire.store.tables import KEY_LENGTH, PAPER_ALIASES, PAPERS

_CHUNK = 900  # bound parameters per statement, well under SQLite's limit


def bounded(name: str) -> str:
    """`name` as a key or alias fits the store: a longer one keeps its prefix and a hash."""
    if len(name) <= KEY_LENGTH:
        return name
    prefix = name.split(":", 1)[0][:64] if ":" in name else "key"
    return f"{prefix}:sha256:{hashlib.sha256(name.encode('utf-8', 'replace')).hexdigest()}"


def aliases_of(paper: Paper) -> list[str]:
    """Every name of `paper` the aliases table keeps: its DOI, the names its source gave,
    and its key when that is not an arXiv id (arXiv ids are found by papers.arxiv_id)."""
    names = []
    doi = normal_doi(paper.doi)
    if doi and not arxiv_id_of_doi(doi):
        names.append(f"doi:{doi}")
    names += paper.aliases
    if paper.key != paper.arxiv_id:
        names.append(paper.key)
    return list(dict.fromkeys(bounded(n) for n in names if n))


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def resolve(connection: Connection, papers: Sequence[Paper]) -> list[str]:
    """The key each paper is (or will be) stored under, in order.

    A paper whose arXiv id is stored is that row; else the first of its aliases a stored
    paper has, unless that paper is another arXiv paper; else its own key. Papers of one
    batch that share an alias resolve to the first of them.
    """
    arxiv_ids = sorted({p.arxiv_id for p in papers if p.arxiv_id})
    names = [aliases_of(p) for p in papers]
    wanted = sorted({n for group in names for n in group})
    by_arxiv: dict[str, str] = {}
    for chunk in _chunks(arxiv_ids):
        rows = connection.execute(
            select(PAPERS.c.arxiv_id, PAPERS.c.id).where(PAPERS.c.arxiv_id.in_(chunk))
        )
        by_arxiv.update({arxiv_id: key for arxiv_id, key in rows})
    by_alias: dict[str, str] = {}
    for chunk in _chunks(wanted):
        rows = connection.execute(
            select(PAPER_ALIASES.c.alias, PAPER_ALIASES.c.paper_id).where(
                PAPER_ALIASES.c.alias.in_(chunk)
            )
        )
        by_alias.update({alias: key for alias, key in rows})
    # Which arXiv paper (if any) each paper found by alias is, to keep arXiv ids apart.
    found = sorted(set(by_alias.values()))
    arxiv_of: dict[str, str | None] = {}
    for chunk in _chunks(found):
        rows = connection.execute(
            select(PAPERS.c.id, PAPERS.c.arxiv_id).where(PAPERS.c.id.in_(chunk))
        )
        arxiv_of.update({key: arxiv_id for key, arxiv_id in rows})
    keys = []
    for paper, group in zip(papers, names, strict=True):
        key = by_arxiv.get(paper.arxiv_id or "")
        if key is None:
            for name in group:
                candidate = by_alias.get(name)
                if candidate is None:
                    continue
                other = arxiv_of.get(candidate)
                if other is None or paper.arxiv_id is None or other == paper.arxiv_id:
                    key = candidate
                    break
        if key is None:
            key = bounded(paper.key)
        keys.append(key)
        # Later papers of this batch find this one by its names.
        if paper.arxiv_id:
            by_arxiv.setdefault(paper.arxiv_id, key)
        for name in group:
            by_alias.setdefault(name, key)
        arxiv_of.setdefault(key, paper.arxiv_id)
    return keys


def save_aliases(connection: Connection, aliases: dict[str, str], dialect_insert: Any) -> None:
    """Record alias → key for names no paper has yet (a name already taken stays its)."""
    rows = [{"alias": alias, "paper_id": key} for alias, key in aliases.items()]
    if not rows:
        return
    statement = dialect_insert(connection, PAPER_ALIASES).on_conflict_do_nothing(
        index_elements=["alias"]
    )
    for chunk in _chunks(rows, 5000):
        connection.execute(statement, list(chunk))


def keys_for(connection: Connection, ids: Sequence[str]) -> dict[str, str]:
    """The stored key of each of `ids` (keys, arXiv ids or aliases), for those stored."""
    found: dict[str, str] = {}
    for chunk in _chunks(list(dict.fromkeys(ids))):
        for key in connection.execute(select(PAPERS.c.id).where(PAPERS.c.id.in_(chunk))):
            found[key[0]] = key[0]
        rows = connection.execute(
            select(PAPERS.c.arxiv_id, PAPERS.c.id).where(PAPERS.c.arxiv_id.in_(chunk))
        )
        for arxiv_id, key in rows:
            found.setdefault(arxiv_id, key)
        aliases = [bounded(i) for i in chunk if i not in found]
        rows = connection.execute(
            select(PAPER_ALIASES.c.alias, PAPER_ALIASES.c.paper_id).where(
                PAPER_ALIASES.c.alias.in_(aliases)
            )
        )
        for alias, key in rows:
            found.setdefault(alias, key)
    return found
