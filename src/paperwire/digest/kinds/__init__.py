"""Kinds of digest as objects: what each lists, which days it covers, the words it uses.

`kind_named(name)` gives a kind for building and wording digests; `kinds_for(sources)` gives
the kinds a run plans with (they need the sources' calendars and fetch history). To add a
kind, add its module here and its name to the readers' `mode` in config.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from paperwire.digest.kinds.base import DigestKind, DigestRequest, Limits, OneOff

if TYPE_CHECKING:
    from paperwire.sources.base import Source

__all__ = ["KIND_NAMES", "DigestKind", "DigestRequest", "Limits", "OneOff", "kind_named"]

KIND_NAMES = ("topics", "trending")


def kind_named(name: str, sources: Sequence[Source] = ()) -> DigestKind:
    """The kind called `name` ("topics", "trending"), planning with `sources` when given."""
    by_name = {source.name: source for source in sources}
    if name == "topics":
        from paperwire.digest.kinds.topics import TopicsKind

        return TopicsKind(by_name.get("arxiv"))  # type: ignore[arg-type]
    if name == "trending":
        from paperwire.digest.kinds.trending import TrendingKind

        return TrendingKind(by_name.get("huggingface"))  # type: ignore[arg-type]
    raise ValueError(f"{name!r} is not a kind of digest ({', '.join(KIND_NAMES)})")


def kinds_for(sources: Sequence[Source]) -> dict[str, DigestKind]:
    """Every kind, planning with the configured sources."""
    return {name: kind_named(name, sources) for name in KIND_NAMES}
