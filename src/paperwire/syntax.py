"""What a reader types, checked without the ranker: weights after a caret, boolean queries.

Loading a configuration checks every keyword's weight and every query with these; nothing here
imports numpy or the ranker, so that check is cheap.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from paperwire.errors import ProfileError
from paperwire.models import Profile


def split_weight(text: str, what: str = "term") -> tuple[str, float]:
    """`"LoRA^2"` → ("LoRA", 2.0); no caret → weight 1. Refuses negative, zero or huge weights."""
    term, caret, weight_text = text.rpartition("^")
    if not caret or not weight_text.strip() or any(c.isspace() for c in weight_text.strip()):
        return text.strip(), 1.0
    try:
        weight = float(weight_text)
    except ValueError:
        raise ProfileError(f"{what} {text!r}: the weight after ^ is not a number") from None
    if not (math.isfinite(weight) and 0 < weight <= 100):
        raise ProfileError(f"{what} {text!r}: the weight after ^ must be above 0 and at most 100")
    return term.strip(), weight


# ---------------------------------------------------------------- boolean queries


@dataclass(frozen=True, slots=True)
class Leaf:
    text: str  # a word or a quoted phrase, as written


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Any_:
    children: tuple[Node, ...]


Node = Leaf | Not | All | Any_

_QUERY_TOKEN = re.compile(
    r'\s*(?:(?P<open>\()|(?P<close>\))|"(?P<phrase>[^"]*)"|(?P<word>[^\s()"]+))'
)


def parse_query(text: str) -> Node:
    """Parse `("graph neural" OR GNN) AND (molecule OR protein) NOT survey`.

    AND, OR and NOT are operators only in capitals; words side by side are ANDed; `-word` is
    NOT word; quotes make a phrase. Raises ProfileError naming what is wrong.
    """
    tokens: list[tuple[str, str]] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _QUERY_TOKEN.match(stripped, position)
        if not match or match.end() == position:
            if stripped[position:].lstrip().startswith('"'):
                raise ProfileError(f"query {text!r}: a quote is not closed")
            raise ProfileError(f"query {text!r}: cannot read it at {stripped[position:]!r}")
        position = match.end()
        if match.group("open"):
            tokens.append(("(", "("))
        elif match.group("close"):
            tokens.append((")", ")"))
        elif match.group("phrase") is not None:
            tokens.append(("term", match.group("phrase")))
        else:
            word = match.group("word")
            if word in ("AND", "OR", "NOT"):
                tokens.append((word, word))
            elif word.startswith("-") and len(word) > 1:
                tokens.extend([("NOT", "NOT"), ("term", word[1:])])
            else:
                tokens.append(("term", word))
    if not tokens:
        raise ProfileError(f"query {text!r}: it is empty")
    parser = _QueryParser(tokens, text)
    node = parser.expression()
    if parser.position != len(tokens):
        raise ProfileError(f"query {text!r}: unexpected {tokens[parser.position][1]!r}")
    return node


MAX_QUERY_DEPTH = 32  # nested parentheses and NOTs; deeper is a mistake, not a query


class _QueryParser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.position = 0
        self.depth = 0

    def _deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_QUERY_DEPTH:
            raise ProfileError(
                f"query {self.text[:60]!r}: nested more than {MAX_QUERY_DEPTH} levels deep"
            )

    def _peek(self) -> str | None:
        return self.tokens[self.position][0] if self.position < len(self.tokens) else None

    def expression(self) -> Node:
        children = [self._conjunction()]
        while self._peek() == "OR":
            self.position += 1
            children.append(self._conjunction())
        return children[0] if len(children) == 1 else Any_(tuple(children))

    def _conjunction(self) -> Node:
        children = [self._negation()]
        while self._peek() in ("AND", "NOT", "term", "("):
            if self._peek() == "AND":
                self.position += 1
            children.append(self._negation())
        return children[0] if len(children) == 1 else All(tuple(children))

    def _negation(self) -> Node:
        if self._peek() == "NOT":
            self.position += 1
            self._deeper()
            node = Not(self._negation())
            self.depth -= 1
            return node
        return self._atom()

    def _atom(self) -> Node:
        kind = self._peek()
        if kind is None:
            raise ProfileError(f"query {self.text!r}: ends where a word was expected")
        if kind == "(":
            self.position += 1
            self._deeper()
            node = self.expression()
            self.depth -= 1
            if self._peek() != ")":
                raise ProfileError(f"query {self.text!r}: a parenthesis is not closed")
            self.position += 1
            return node
        if kind == "term":
            text = self.tokens[self.position][1]
            self.position += 1
            if not text.strip():
                raise ProfileError(f"query {self.text!r}: an empty phrase")
            return Leaf(text)
        raise ProfileError(f"query {self.text!r}: {self.tokens[self.position][1]!r} is misplaced")


def query_leaves(node: Node, negated: bool = False) -> list[tuple[str, bool]]:
    """Every word or phrase of a query, and whether it sits under a NOT."""
    if isinstance(node, Leaf):
        return [(node.text, negated)]
    if isinstance(node, Not):
        return query_leaves(node.child, not negated)
    return [leaf for child in node.children for leaf in query_leaves(child, negated)]


def in_categories(categories: Sequence[str], wanted: Iterable[str]) -> bool:
    """True when `categories` (a paper's) fall in any of `wanted` (a reader's; an archive such
    as "cs" counts, and a weight such as "cs.CL^0.5" is ignored). No wanted category: True."""
    names = _category_names(tuple(wanted))
    if not names:
        return True
    return any(c == w or c.startswith(w + ".") for c in categories for w in names)


@functools.lru_cache(maxsize=1024)
def _category_names(wanted: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(split_weight(c, "category")[0] for c in wanted)


def check_profile(profile: Profile) -> None:
    """Raise ProfileError naming the first weight or query of `profile` that cannot be read
    (the ranker would refuse it; this says so before anything is fetched)."""
    for what, terms in (
        ("keyword", profile.keywords),
        ("excluded word", profile.exclude),
        ("author", profile.authors),
        ("category", profile.categories),
    ):
        for term in terms:
            split_weight(term, what)
    if profile.query.strip():
        parse_query(profile.query)


def has_topics(profile: Profile) -> bool:
    """Whether the profile says anything to match papers against (categories do not count:
    Hugging Face's papers often come without them)."""
    return bool(
        profile.keywords
        or profile.authors
        or profile.query.strip()
        or profile.description.strip()
        or profile.like
    )
