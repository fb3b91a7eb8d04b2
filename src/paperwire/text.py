"""Text folding shared by the stages that compare text: search and scoring."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case `text` and drop its accents: "Rodríguez" and "RODRIGUEZ" both give "rodriguez"."""
    if text.isascii():  # most names and words: nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
