"""Order Hugging Face's featured papers for one reader: by upvotes, the reader's topics first.

Hugging Face's own email lists the day's papers by upvotes, the same for everyone. Here each
paper's key is log2(1 + upvotes), and a paper on the reader's topics (listed by the ranker)
gains `bonus`: with the default 3 it ranks as if it had eight times its upvotes. With
`only_matching`, papers off the reader's topics are left out.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

from paperwire.models import Paper, ScoredPaper
from paperwire.syntax import has_topics

__all__ = ["has_topics", "trending_order", "upvote_score"]


def upvote_score(paper: Paper) -> float:
    return math.log2(1 + (paper.trending.upvotes if paper.trending else 0))


def trending_order(
    papers: Sequence[Paper],
    matched: Sequence[ScoredPaper],
    *,
    skip: Collection[str] = (),
    only_matching: bool = False,
    bonus: float = 3.0,
) -> list[ScoredPaper]:
    """`papers` (one window's featured papers) in the reader's order. `matched` is the
    ranker's list for the reader: those papers carry its reasons and matched terms."""
    hits = {item.paper.key: item for item in matched}
    ordered = []
    for paper in papers:
        if paper.key in skip:
            continue
        hit = hits.get(paper.key)
        if hit is None and only_matching:
            continue
        score = upvote_score(paper) + (bonus if hit is not None else 0.0)
        ordered.append(
            ScoredPaper(
                paper,
                score,
                matched=list(hit.matched) if hit else [],
                reasons=list(hit.reasons) if hit else [],
            )
        )
    upvotes = {p.key: p.trending.upvotes if p.trending else 0 for p in papers}
    ordered.sort(key=lambda s: (-s.score, -upvotes[s.paper.key], s.paper.key))
    return ordered
