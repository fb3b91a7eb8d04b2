"""Profiles in, scores and reasons out; no I/O.

This first ranker counts whole-word matches of the reader's keywords and authors (title counts
three times, abstract once) and drops excluded terms. It is the baseline the real ranker will
be measured against.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from paperwire.models import Paper, Profile, ScoredPaper
from paperwire.text import fold


def _pattern(term: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in re.split(r"[\s\-]+", fold(term).strip()) if w]
    return re.compile(r"\b" + r"[\s\-]*".join(words) + r"\b")


def in_categories(paper: Paper, categories: Iterable[str]) -> bool:
    """True when the paper is listed in any of `categories` (an archive such as "cs" counts)."""
    wanted = list(categories)
    if not wanted:
        return True
    return any(c == w or c.startswith(w + ".") for c in paper.categories for w in wanted)


def rank_papers(papers: Iterable[Paper], profile: Profile) -> list[ScoredPaper]:
    """Papers in the profile's categories, best first; ties broken by arXiv id."""
    keywords = [(k, _pattern(k)) for k in profile.keywords if k.strip()]
    authors = [(a, fold(a)) for a in profile.authors if a.strip()]
    excluded = [_pattern(x) for x in profile.exclude if x.strip()]
    scored = []
    for paper in papers:
        if not in_categories(paper, profile.categories):
            continue
        title, abstract = fold(paper.title), fold(paper.abstract)
        if any(x.search(title) or x.search(abstract) for x in excluded):
            continue
        score, matched = 0.0, []
        for term, pattern in keywords:
            hits = 3 * len(pattern.findall(title)) + len(pattern.findall(abstract))
            if hits:
                score += hits
                matched.append(term)
        if authors:
            names = [fold(a) for a in paper.authors]
            for name, folded in authors:
                if folded in names:
                    score += 5
                    matched.append(name)
        if (keywords or authors) and not matched:
            continue
        scored.append(ScoredPaper(paper, score, matched))
    scored.sort(key=lambda s: (-s.score, s.paper.arxiv_id))
    return scored
