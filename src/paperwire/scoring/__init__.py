"""Profiles in, scores and reasons out; no I/O.

`Ranker` ranks many papers for many profiles at once (sparse matrix products); `rank_papers`
does it for one profile and explains each pick. Corpus statistics (`CorpusStats`) come from the
caller, who keeps them in the store. The optional semantic layer lives in `semantic`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from paperwire.models import Paper
from paperwire.scoring.profiles import (
    CompiledProfile,
    ProfileError,
    parse_query,
    split_weight,
)
from paperwire.scoring.settings import RankSettings
from paperwire.scoring.stats import CorpusStats

if TYPE_CHECKING:
    from paperwire.scoring.ranker import Ranker, rank_papers


def __getattr__(name: str) -> Any:
    # scipy takes a second to import: only the commands that rank pay for it (not --help,
    # not a configuration check).
    if name in ("Ranker", "rank_papers"):
        from paperwire.scoring import ranker

        return getattr(ranker, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CompiledProfile",
    "CorpusStats",
    "ProfileError",
    "RankSettings",
    "Ranker",
    "in_categories",
    "parse_query",
    "rank_papers",
    "split_weight",
]


def in_categories(paper: Paper, categories: Iterable[str]) -> bool:
    """True when the paper is listed in any of `categories` (an archive such as "cs" counts).
    Categories may carry a weight ("cs.CL^0.5"); it is ignored here."""
    wanted = [split_weight(c, "category")[0] for c in categories]
    if not wanted:
        return True
    return any(c == w or c.startswith(w + ".") for c in paper.categories for w in wanted)
