"""TeX as text: accents in author names (`Rodr\\'iguez`) and math in titles (`$O(n^2)$`).

Titles and abstracts are stored with their TeX as written; author names are stored decoded;
rendering turns the TeX stretches of a title or abstract into text. pylatexenc does the
decoding, imported on first use (it is not needed to load a configuration or print --help).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from paperwire.text import one_line

_UNESCAPED_SPECIAL = re.compile(r"(?<!\\)([%&#])")  # TeX comment/alignment chars eat text
# Joins names so one pylatexenc call decodes a whole author list (U+2063 INVISIBLE SEPARATOR:
# TeX leaves it alone and no name contains it).
_NAME_SEPARATOR = "\u2063"


@functools.lru_cache(maxsize=1)
def _converter() -> tuple[Any, Any]:
    from pylatexenc.latex2text import LatexNodes2Text
    from pylatexenc.latexwalker import LatexCharsNode, LatexGroupNode, get_default_latex_context_db

    class Converter(LatexNodes2Text):
        """pylatexenc, except that a super- or subscript of more than one character keeps its
        braces: `n^{-1/2}` would read `n^-1/2`, which is (n^-1)/2; `n^{2}` is still `n^2`."""

        def nodelist_to_text(self, nodelist: list[Any]) -> str:
            previous = None
            for node in nodelist:
                if (
                    isinstance(node, LatexGroupNode)
                    and isinstance(previous, LatexCharsNode)
                    and previous.chars.rstrip().endswith(("^", "_"))
                ):
                    node.paperwire_script = True
                previous = node
            return str(super().nodelist_to_text(nodelist))

        def group_node_to_text(self, node: Any) -> str:
            text = str(super().group_node_to_text(node))
            if getattr(node, "paperwire_script", False) and len(text.strip()) > 1:
                return "{" + text + "}"
            return text

    # The context is built once: pylatexenc otherwise rebuilds its macro table on every call
    # (a quarter of the cost).
    return Converter(), get_default_latex_context_db()


def latex_to_text(text: str) -> str | None:
    """`text` through pylatexenc (about 150 µs a name), or None when it fails."""
    converter, context = _converter()
    try:
        # Escape bare % & # first: pylatexenc would read `%` as a comment and drop the rest.
        result = converter.latex_to_text(
            _UNESCAPED_SPECIAL.sub(r"\\\1", text), latex_context=context
        )
    except Exception:  # pylatexenc raises assorted errors (and RecursionError) on odd input
        return None
    if not isinstance(result, str):
        return None
    return unicodedata.normalize("NFC", result.replace("\u00a0", " "))  # `~` is a no-break space


def has_tex(text: str) -> bool:
    return "\\" in text or "{" in text or "}" in text


def decode_tex_accents(name: str) -> str:
    """Turn TeX accent escapes in a *name* into Unicode (`Rodr\\'iguez` -> `Rodríguez`).

    Only for author names: titles and abstracts keep their TeX verbatim. Strings without a
    backslash or brace are returned untouched; on any failure the input is returned as it was.
    """
    if not has_tex(name):
        return name
    text = latex_to_text(name)
    return name if text is None else text


def decode_tex_accents_all(names: list[str]) -> list[str]:
    """decode_tex_accents for a list, in one pylatexenc call when the names allow it."""
    if len(names) < 2:
        return [decode_tex_accents(n) for n in names]
    # Each name in its own group, so an accent macro at the end of one name (`Garc\'`)
    # cannot reach across the separator to the next name.
    joined = latex_to_text(_NAME_SEPARATOR.join("{" + name + "}" for name in names))
    parts = joined.split(_NAME_SEPARATOR) if joined is not None else []
    if len(parts) != len(names) or any(p and unicodedata.combining(p[0]) for p in parts):
        # An unbalanced brace swallowed a separator, or a mark still moved: one by one.
        return [decode_tex_accents(n) for n in names]
    return parts


# --- TeX islands in titles and abstracts --------------------------------------------------------

# A stretch of TeX: math in $…$ / $$…$$ / \(…\), or a macro with up to two levels of braced
# arguments (\emph{x}, \textbf{a \emph{b}}), or an escaped character (\%, \&).
_BRACED = r"\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
_TEX_ISLAND = re.compile(
    r"\$\$[^$]+\$\$|\$[^$]+\$|\\\(.+?\\\)"
    r"|\\[A-Za-z]+\*?(?:\[[^\]]{0,80}\])?(?:\s*" + _BRACED + r")*"
    r"|\\[^A-Za-z\s]"
)
_MACRO = re.compile(r"\\([A-Za-z]+)(\s*\{)?")
# "$5 and save $" is two prices, not math: an amount followed by a space.
_PRICES = re.compile(r"\$\d[\d.,]*\s")
# Unknown to pylatexenc, yet safe to drop: sizing and spacing that carry no meaning in text.
_DROPPABLE_MACROS = frozenset(
    {"left", "right", "middle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr"}
    | {"biggl", "biggr", "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits"}
)


@functools.lru_cache(maxsize=1)
def _known_macros() -> Callable[[str], object]:
    from pylatexenc import latex2text

    return latex2text.get_default_latex_context_db().get_macro_spec


@functools.lru_cache(maxsize=8192)
def _island_to_text(island: str) -> str:
    # Cached: the same paper goes to many readers, and pylatexenc takes ~200 µs an island.
    if _PRICES.match(island):
        return island
    known = _known_macros()
    for name, braced in _MACRO.findall(island):
        # pylatexenc drops a macro it does not know: an author's own \RR would vanish from
        # "$M \in \RR^d$". The TeX as written says more. (With a braced argument, as in
        # \operatorname{tr}, the argument survives and says enough.)
        if not braced and name not in _DROPPABLE_MACROS and known(name) is None:
            return island
    text = latex_to_text(island)
    if text is None or "%s" in text:  # "%s": pylatexenc's placeholder for a failed macro
        return island
    return text


def tex_to_text(text: str) -> str:
    """`text` with its TeX shown as text: `$\\mathcal{O}(n^2)$` → script O(n^2), `\\emph{x}` → x;
    a longer super- or subscript keeps its braces, `$n^{-1/2}$` → n^{-1/2}.

    Only the TeX stretches go through pylatexenc (a whole abstract would take ~15 ms); each
    falls back to its raw text when pylatexenc fails.
    """
    if "$" not in text and "\\" not in text:
        return text
    parts: list[str] = []
    position = 0
    for match in _TEX_ISLAND.finditer(text):
        parts.append(text[position : match.start()])
        parts.append(_island_to_text(match.group()))
        position = match.end()
    parts.append(text[position:])
    return one_line("".join(parts))  # `\\` becomes a newline, "$x$ $$" two spaces
