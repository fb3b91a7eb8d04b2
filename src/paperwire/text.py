"""The one home of text helpers: one-line cleaning, clipping, plurals, folding, plain links.

Every stage that handles text from outside (parsers, the store's search, rendering) cleans it
with these, so that "clean" means one thing everywhere.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 control characters and DEL (those str.split() takes for whitespace — tab, LF, VT,
# FF, CR, \x1c-\x1f, NEL — are left to become spaces instead of gluing words), and the
# bidirectional overrides and isolates that could make a hostile title display as another.
_UNSHOWABLE = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")

# An http(s) URL of plain ASCII, without the characters that could end a Markdown link or open
# another one: ( ) [ ] ! and quotes.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#@$&+,;=%]+", re.IGNORECASE)

# Not left dangling before an ellipsis.
CUT_PUNCTUATION = " ,;:-\u2013\u2014"


def one_line(text: str | None) -> str:
    """`text` as one line of inert text: control characters and bidi overrides removed, every
    run of whitespace (line breaks of any kind, NBSP, U+2028) one space, no space at the ends.

    The OAI and API formats hard-wrap titles and abstracts and re-indent them; all of that
    collapses here. Markup-looking characters are kept as they are: never unescaped.
    """
    if not text:
        return ""
    # isprintable() is a cheap C check that is True for most titles and names; only strings
    # that fail it (newlines, controls, some Unicode) pay for the regex.
    if text.isprintable():
        if "  " not in text and text[:1] != " " and text[-1:] != " ":
            return text
    else:
        text = _UNSHOWABLE.sub("", text)
    return " ".join(text.split())


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in an ellipsis when it was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def clip_words(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary when one is near the end,
    ending in an ellipsis when it was cut (subjects, preheaders)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 3 // 4:
        cut = cut[:space]
    return cut.rstrip(CUT_PUNCTUATION) + "…"


def plural(count: int, noun: str, nouns: str | None = None, *, grouped: bool = False) -> str:
    """ "1 paper", "3 papers" (`nouns` for an irregular plural; `grouped`: "1,234 papers")."""
    number = f"{count:,}" if grouped else str(count)
    return f"{number} {noun if count == 1 else nouns or noun + 's'}"


def fold(text: str) -> str:
    """Lower-case `text` and drop its accents: "Rodríguez" and "RODRIGUEZ" both give "rodriguez"."""
    if text.isascii():  # most names and words: nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def is_plain_url(url: str) -> bool:
    """Whether `url` is a link safe to put into HTML, Markdown and text as it is."""
    return _PLAIN_URL.fullmatch(url) is not None


def plain_url(url: str | None) -> str:
    """`url` when it is a plain link (see is_plain_url), else ""."""
    return url if url and is_plain_url(url) else ""
