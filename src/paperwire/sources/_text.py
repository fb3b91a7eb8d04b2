"""Text helpers for the parsers: one-line clean text, size limits, TeX-accented author names."""

from __future__ import annotations

import re
import unicodedata

from pylatexenc.latex2text import LatexNodes2Text
from pylatexenc.latexwalker import get_default_latex_context_db

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

# C0 and C1 control characters plus DEL, removed. The ones str.split() counts as whitespace
# (tab, LF, VT, FF, CR, \x1c-\x1f, NEL) are left to become spaces instead of gluing words.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def clean_text(s: str | None) -> str:
    """Return `s` as one line: control characters removed, all whitespace runs made one space.

    The OAI and API formats hard-wrap titles and abstracts at ~80 columns and (in re-indented
    files) prefix every line with spaces; all of that collapses here. TeX and markup-looking
    characters are kept as they are: the result is inert text, never unescaped into markup.
    """
    if not s:
        return ""
    # isprintable() is a cheap C check that is True for most titles and names; only strings
    # that fail it (newlines, controls, some Unicode) pay for the regex.
    if not s.isprintable() and _CONTROL.search(s):
        s = _CONTROL.sub("", s)
    # str.split() also splits on NBSP, U+2028/2029 and the other Unicode spaces.
    return " ".join(s.split())


def clip(s: str, limit: int) -> str:
    """Return `s` cut to at most `limit` characters, ending in an ellipsis when it was cut."""
    if len(s) <= limit:
        return s
    return s[: limit - 1].rstrip() + "…"


def clean_field(s: str | None, limit: int) -> str:
    """clean_text + clip, cutting the raw text first so huge values cost almost nothing."""
    if not s:
        return ""
    return clip(clean_text(s[: limit * _RAW_FACTOR]), limit)


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


# --- TeX accents in author names --------------------------------------------------------------

# rss.arxiv.org and arXivRaw give author names as the submitter typed them, in TeX:
# `Rodr\'iguez`, `Pi\v{z}urica`, `J\"org`. pylatexenc decodes them (about 150 us a name; only
# the few percent of names with a backslash or brace pay it).
_UNESCAPED_SPECIAL = re.compile(r"(?<!\\)([%&#])")  # TeX comment/alignment chars eat text
_latex = LatexNodes2Text()
# Built once: pylatexenc otherwise rebuilds its macro table on every call (a quarter of the cost).
_LATEX_CONTEXT = get_default_latex_context_db()
# Joins names so one pylatexenc call decodes a whole author list (U+2063 INVISIBLE SEPARATOR:
# TeX leaves it alone and no name contains it).
_NAME_SEPARATOR = "\u2063"


def _latex_to_text(s: str) -> str | None:
    try:
        # Escape bare % & # first: pylatexenc would read `%` as a comment and drop the rest.
        text = _latex.latex_to_text(
            _UNESCAPED_SPECIAL.sub(r"\\\1", s), latex_context=_LATEX_CONTEXT
        )
    except Exception:  # pylatexenc raises assorted errors (and RecursionError) on odd input
        return None
    if not isinstance(text, str):
        return None
    return unicodedata.normalize("NFC", text.replace("\u00a0", " "))  # `~` is a no-break space


def decode_tex_accents(s: str) -> str:
    """Turn TeX accent escapes in a *name* into Unicode (`Rodr\\'iguez` -> `Rodríguez`).

    Only for author names: titles and abstracts keep their TeX verbatim (`$\\mathcal{O}(n^3)$`).
    Strings without a backslash or brace are returned untouched; on any failure the input is
    returned as it was.
    """
    if "\\" not in s and "{" not in s and "}" not in s:
        return s
    text = _latex_to_text(s)
    return s if text is None else text


def decode_tex_accents_all(names: list[str]) -> list[str]:
    """decode_tex_accents for a list, in one pylatexenc call when the names allow it."""
    if len(names) < 2:
        return [decode_tex_accents(n) for n in names]
    # Each name in its own group, so an accent macro at the end of one name (`Garc\'`)
    # cannot reach across the separator to the next name.
    joined = _latex_to_text(_NAME_SEPARATOR.join("{" + name + "}" for name in names))
    parts = joined.split(_NAME_SEPARATOR) if joined is not None else []
    if len(parts) != len(names) or any(p and unicodedata.combining(p[0]) for p in parts):
        # An unbalanced brace swallowed a separator, or a mark still moved: one by one.
        return [decode_tex_accents(n) for n in names]
    return parts


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


def _has_tex(s: str) -> bool:
    return "\\" in s or "{" in s or "}" in s


def author_name(s: str | None) -> str:
    """One author name: cleaned, clipped and TeX accents decoded."""
    if not s:
        return ""
    name = s if _is_clean_name(s) else clean_field(s, AUTHOR_NAME_LIMIT)
    if not _has_tex(name):
        return name
    return clip(clean_text(decode_tex_accents(name)), AUTHOR_NAME_LIMIT)


def author_names(s: str | None) -> list[str]:
    """split_authors, then each name's TeX accents decoded."""
    names = split_authors(s)
    if s is None or not _has_tex(s):  # one check for the whole list instead of one per name
        return names
    tex = [i for i, name in enumerate(names) if _has_tex(name)]
    for i, name in zip(tex, decode_tex_accents_all([names[i] for i in tex]), strict=True):
        names[i] = clip(clean_text(name), AUTHOR_NAME_LIMIT)
    return [name for name in names if name]
