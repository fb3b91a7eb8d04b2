"""arXiv identifiers: read them from ids, URLs and OAI names; the links arXiv serves for one."""

from __future__ import annotations

import re
from collections.abc import Sequence

_VERSIONED_ID = re.compile(
    r"(?P<id>(?:\d{4}\.\d{4,5})|(?:[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?/\d{7}))(?:v(?P<version>\d{1,4})(?!\d))?"
)


def split_arxiv_id(text: str) -> tuple[str, int | None]:
    """Return (id without version, version or None) from an id, an abs/pdf URL or an OAI id.

    Accepts `2403.15527v2`, `https://arxiv.org/abs/2403.15527v2`, `oai:arXiv.org:2403.15527v1`,
    `arXiv:2403.15527`, and old-style ids such as `astro-ph/0601001v1` or `math.GT/0309136`.
    Raises ValueError when no id is found.
    """
    # The last id in the string: URLs carry hosts and paths before it.
    matches = list(_VERSIONED_ID.finditer(text))
    match = matches[-1] if matches else None
    if match is None:
        raise ValueError(f"no arXiv id in {text!r}")
    version = match.group("version")
    return match.group("id"), int(version) if version else None


_STRICT_ID = re.compile(
    r"(?:arxiv:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)?(?P<full>"
    + _VERSIONED_ID.pattern
    + r")(?:\.pdf)?",
    re.IGNORECASE,
)


def parse_arxiv_id(text: str) -> tuple[str, int | None]:
    """Like split_arxiv_id, but the whole of `text` must be one id (for ids people type)."""
    match = _STRICT_ID.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an arXiv id such as 2401.01234 or hep-th/9901001v2")
    return split_arxiv_id(match.group("full"))


def arxiv_links(arxiv_id: str) -> dict[str, str]:
    """The abstract page, the PDF and the HTML version of a paper (no version: the latest)."""
    return {
        "abs": f"https://arxiv.org/abs/{arxiv_id}",
        "pdf": f"https://arxiv.org/pdf/{arxiv_id}",
        "html": f"https://arxiv.org/html/{arxiv_id}",
    }


def feed_key(categories: Sequence[str]) -> str:
    """One name for a set of categories, whatever order they were configured in."""
    return "+".join(sorted(set(categories)))
