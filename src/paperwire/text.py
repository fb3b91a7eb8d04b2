"""Text rules shared by the stages: folding for search and scoring, plain links for sources
and rendering."""

from __future__ import annotations

import re
import unicodedata

# An http(s) URL of plain ASCII, without the characters that could end a Markdown link or open
# another one: ( ) [ ] ! and quotes.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#@$&+,;=%]+", re.IGNORECASE)


def is_plain_url(url: str) -> bool:
    """Whether `url` is a link safe to put into HTML, Markdown and text as it is."""
    return _PLAIN_URL.fullmatch(url) is not None


def fold(text: str) -> str:
    """Lower-case `text` and drop its accents: "Rodríguez" and "RODRIGUEZ" both give "rodriguez"."""
    if text.isascii():  # most names and words: nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
