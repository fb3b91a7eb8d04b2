"""Helpers for the parsers: size limits on every field, and author lists split into names."""

from __future__ import annotations

import re
from collections.abc import Iterable

from paperwire.models import Paper
from paperwire.tex import decode_tex_accents, decode_tex_accents_all, has_tex
from paperwire.text import clip, one_line

# Fields from a hostile or broken feed can be megabytes long; nothing downstream needs more.
TITLE_LIMIT = 1_000
ABSTRACT_LIMIT = 20_000
AUTHOR_NAME_LIMIT = 300
MAX_AUTHORS = 1_000
FIELD_LIMIT = 1_000  # comments, journal_ref, doi, license
CATEGORY_LIMIT = 64
MAX_CATEGORIES = 100

# Raw text is cut to this multiple of a limit *before* whitespace is collapsed, so cleaning never
# walks 10 MB; the hard-wrapped, re-indented OAI text needs far less than 4x headroom.
_RAW_FACTOR = 4


def clean_field(s: str | None, limit: int) -> str:
    """one_line + clip, cutting the raw text first so huge values cost almost nothing."""
    if not s:
        return ""
    return clip(one_line(s[: limit * _RAW_FACTOR]), limit)


def optional_field(s: str | None, limit: int = FIELD_LIMIT) -> str | None:
    """clean_field, but None when nothing is left (absent and empty elements look the same)."""
    value = clean_field(s, limit)
    return value or None


def clean_categories(categories: list[str]) -> list[str]:
    """Trim, de-duplicate (keeping the first occurrence, so the primary stays first) and bound."""
    seen: list[str] = []
    for category in categories:
        category = category.strip()[:CATEGORY_LIMIT]
        if category and category not in seen:
            seen.append(category)
            if len(seen) >= MAX_CATEGORIES:
                break
    return seen


# --- author lists ------------------------------------------------------------------------------

# ", and " (Oxford comma) must not leave a name starting with "and".
_SIMPLE_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
_AND = re.compile(r"\s+and\s+")


def _split_top_level(s: str) -> list[str]:
    # Slow path for lists with groups: split only at depth 0 and drop parenthesised parts,
    # which are affiliations in arXivRaw ("A. Author (McGill), B. Author (DAMTP, Cambridge)")
    # or footnote keys ("A (1), B (2) ((1) MIT, (2) Harvard)"), never part of a name.
    pieces: list[str] = []
    current: list[str] = []
    parens = braces = 0
    for char in s:
        if char == "(":
            parens += 1
            continue
        if char == ")":
            parens = max(0, parens - 1)
            continue
        if parens:
            continue
        if char == "{":
            braces += 1
        elif char == "}":
            braces = max(0, braces - 1)
        elif char == "," and not braces:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    result: list[str] = []
    for piece in pieces:
        result.extend(_AND.split(piece))
    return result


def _is_clean_name(s: str) -> bool:
    # Most names are already one clean line; checking that in C beats re-cleaning them.
    return (
        len(s) <= AUTHOR_NAME_LIMIT
        and s.isprintable()
        and "  " not in s
        and s[:1] != " "
        and s[-1:] != " "
    )


def split_authors(s: str | None) -> list[str]:
    """Split an author string into names: `A, B, C` (RSS) and `A, B and C` (OAI, old formats).

    Names are cleaned and clipped, at most MAX_AUTHORS are kept, TeX is left as it is.
    """
    if not s:
        return []
    s = s[: MAX_AUTHORS * AUTHOR_NAME_LIMIT]
    nested = "(" in s or "{" in s
    pieces = _split_top_level(s) if nested else _SIMPLE_SPLIT.split(s.strip())
    names: list[str] = []
    for piece in pieces:
        name = piece if _is_clean_name(piece) else clean_field(piece, AUTHOR_NAME_LIMIT)
        if name:
            names.append(name)
            if len(names) >= MAX_AUTHORS:
                break
    return names


def author_name(s: str | None) -> str:
    """One author name: cleaned, clipped and TeX accents decoded."""
    if not s:
        return ""
    name = s if _is_clean_name(s) else clean_field(s, AUTHOR_NAME_LIMIT)
    if not has_tex(name):
        return name
    return clip(one_line(decode_tex_accents(name)), AUTHOR_NAME_LIMIT)


def author_names(s: str | None) -> list[str]:
    """split_authors, then each name's TeX accents decoded."""
    names = split_authors(s)
    if s is None or not has_tex(s):  # one check for the whole list instead of one per name
        return names
    tex = [i for i, name in enumerate(names) if has_tex(name)]
    for i, name in zip(tex, decode_tex_accents_all([names[i] for i in tex]), strict=True):
        names[i] = clip(one_line(name), AUTHOR_NAME_LIMIT)
    return [name for name in names if name]


def unique_papers(papers: Iterable[Paper | None]) -> tuple[list[Paper], int]:
    """The papers of a response, each key once (the first kept), and how many items gave no
    paper (no usable id or title)."""
    found: dict[str, Paper] = {}
    skipped = 0
    for paper in papers:
        if paper is None:
            skipped += 1
        elif paper.key not in found:
            found[paper.key] = paper
    return list(found.values()), skipped
