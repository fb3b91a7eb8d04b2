"""Profiles in, scores and reasons out; no I/O.

`Ranker` ranks many papers for many profiles at once (sparse matrix products); `rank_papers`
does it for one profile and explains each pick. Corpus statistics (`CorpusStats`) come from the
caller, who keeps them in the store. The optional semantic layer lives in `semantic`; what a
reader types is checked by `syntax`, which imports nothing heavy.

Every name here is imported on first use: numpy and scipy take a second to import, and only the
commands that rank pay for it (not --help, not loading a configuration).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paperwire._lazy import lazy_exports

if TYPE_CHECKING:
    from paperwire.errors import ProfileError
    from paperwire.scoring.profiles import CompiledProfile
    from paperwire.scoring.ranker import Ranker, rank_papers
    from paperwire.scoring.settings import RankSettings
    from paperwire.scoring.stats import CorpusStats
    from paperwire.syntax import in_categories, parse_query, split_weight

_HOMES = {
    "CompiledProfile": "paperwire.scoring.profiles",
    "CorpusStats": "paperwire.scoring.stats",
    "ProfileError": "paperwire.errors",
    "RankSettings": "paperwire.scoring.settings",
    "Ranker": "paperwire.scoring.ranker",
    "in_categories": "paperwire.syntax",
    "parse_query": "paperwire.syntax",
    "rank_papers": "paperwire.scoring.ranker",
    "split_weight": "paperwire.syntax",
}


__getattr__ = lazy_exports(__name__, _HOMES)
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
