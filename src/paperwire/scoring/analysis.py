"""Text to matching features: the one place that decides when two words are the same word.

Both papers and profiles go through the same steps, so a reader's "Multi-Task Learning" and a
paper's "multitask learning" or "learning multiple tasks" meet on the same features:

- TeX commands and math delimiters are dropped (`$\\mathcal{L}$` → `L`), accents and case folded.
- Hyphenated compounds are joined (`multi-task` → `multitask`), and so are common prefixes
  written apart ("fine tuning", "multiple tasks" → `multitask`); the parts are kept as extra
  unigrams, so "task" still finds "multi-task".
- Words are stemmed with the Snowball English stemmer (plurals, -ing, -ation …); acronyms keep
  their letters (`LLMs` → `llm`).
- Stop words are dropped; nearby word pairs (within three words, order ignored) become pair
  features, which is how phrases and proximity are matched without positions.
- Acronyms defined in the text — "multi-task learning (MTL)" — are found, so that each later
  "MTL" also counts for "multi-task learning".

A feature is a string: a stem (`task`); a word exactly as written (`=tasks`: an exact match
counts a little more than a shared stem, which keeps "developers" above "development"); a pair
(`learn|multitask`); an author key (`@lecun y`); or a category (`#cs.LG`).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import snowballstemmer

from paperwire.text import fold

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each either else
    etc even ever for from further had has have having he her here hers herself him himself
    his how however i if in into is it its itself just let may me might more most much must
    my myself neither no nor not now of off on once one only or other ought our ours
    ourselves out over own per same shall she should since so some such than that the their
    theirs them themselves then there these they this those though through thus to too under
    until up upon us very via was we were what when where whether which while who whom whose
    why will with within without would yet you your yours yourself yourselves""".split()  # noqa: SIM905 - a word list reads better as text
)

# Prefixes that people write joined, hyphenated or spaced: "fine-tuning", "finetuning", "fine
# tuning". A prefix followed directly by another word is joined to it, in papers and profiles
# alike, so all three meet on one stem ("finetun"); the parts stay as extra words. The values
# are the canonical prefix: "multiple tasks" joins as "multitask".
COMPOUND_PREFIXES: dict[str, str] = {
    "multi": "multi",
    "multiple": "multi",
    "self": "self",
    "semi": "semi",
    "pre": "pre",
    "non": "non",
    "inter": "inter",
    "intra": "intra",
    "meta": "meta",
    "hyper": "hyper",
    "cross": "cross",
    "few": "few",
    "zero": "zero",
    "sub": "sub",
    "fine": "fine",
}

TITLE_WEIGHT = 3.0  # a word in the title counts as much as three in the abstract
PAIR_WINDOW = 3  # a word pairs with the next two words (after stop words are dropped)

_TEX_COMMAND = re.compile(r"\\(?:[A-Za-z]+|.)")
_TEX_NOISE = re.compile(r"[$^_{}~]")
_HYPHENS = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2212\u00ad"})
_WORD = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*|[^\sA-Za-z0-9]")
_MAYBE_DEFINITION = re.compile(r"\(\s*[a-z0-9-]*[A-Z][A-Za-z0-9-]*[A-Z]")
_PLURAL_ACRONYM = re.compile(r"[A-Z][A-Z0-9]*[A-Z]s")
_DEFINITION = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9-]{1,11}?)\s*\)")


def strip_tex(text: str) -> str:
    """TeX commands and math delimiters removed, Unicode hyphens made ASCII, accents dropped;
    case is kept (acronyms need it)."""
    if "\\" in text or "$" in text:
        text = _TEX_NOISE.sub(" ", _TEX_COMMAND.sub(" ", text))
    text = text.translate(_HYPHENS)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return text


def pair(a: str, b: str) -> str:
    """The feature for two words near each other, in either order."""
    return f"{a}|{b}" if a <= b else f"{b}|{a}"


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a text: as written, its stem, the stems of its hyphen parts, where it is in
    the cleaned text, and whether it is a stop word."""

    text: str
    stem: str
    exact: str  # the word as written, lower-cased, hyphens dropped: its "=" feature
    parts: tuple[str, ...]
    start: int
    end: int
    stop: bool


@dataclass(slots=True)
class FieldTerms:
    """The features of one field (title or abstract) with their counts, and its length."""

    counts: Counter[str]  # every feature
    length: int
    acronyms: dict[str, tuple[str, ...]]  # acronym stem → stems of its definition
    unigrams: Counter[str]  # the word stems alone (what topic similarity compares)


class Analyzer:
    """Stems words with a cache; one per ranking run (the cache is its only state)."""

    def __init__(self) -> None:
        self._stemmer = snowballstemmer.stemmer("english")
        self._cache: dict[str, str] = {}
        self._info_cache: dict[str, tuple[str, str, tuple[str, ...], bool, str | None]] = {}

    def stem(self, raw: str) -> str:
        """The stem of one word as written ("LLMs" → "llm", "Networks" → "network")."""
        cached = self._cache.get(raw)
        if cached is not None:
            return cached
        word = raw[:-1] if _PLURAL_ACRONYM.fullmatch(raw) else raw
        lowered = word.lower()
        if len(lowered) <= 3 or not lowered.isalpha() or (word.isupper() and len(word) <= 6):
            result = lowered  # acronyms, numbers and short words: stemming would only hurt
        else:
            result = self._stemmer.stemWord(lowered)
        self._cache[raw] = result
        return result

    def words(self, text: str) -> list[Word]:
        """The words of `text` in order, with their positions in the cleaned text."""
        cleaned = strip_tex(text)
        result: list[Word] = []
        previous_end = -2
        for match in _WORD.finditer(cleaned):
            raw = match.group()
            if "-" in raw:
                pieces = [p for p in raw.split("-") if p]
                word = Word(
                    raw,
                    self.stem("".join(pieces)),
                    "".join(pieces).lower(),
                    tuple(self.stem(p) for p in pieces),
                    match.start(),
                    match.end(),
                    False,
                )
            else:
                lowered = raw.lower()
                word = Word(
                    raw,
                    self.stem(raw),
                    lowered,
                    (),
                    match.start(),
                    match.end(),
                    lowered in STOPWORDS,
                )
                prior = result[-1] if result else None
                prefix = COMPOUND_PREFIXES.get(prior.text.lower()) if prior else None
                if (
                    prior is not None
                    and prefix is not None
                    and not word.stop
                    and cleaned[previous_end : match.start()].isspace()
                ):
                    # "fine tuning" and "multiple tasks": one word, as "fine-tuning" would be.
                    word = Word(
                        f"{prior.text} {raw}",
                        self.stem(prefix + lowered),
                        prefix + lowered,
                        (self.stem(prefix), word.stem),
                        prior.start,
                        match.end(),
                        False,
                    )
                    result.pop()
            result.append(word)
            previous_end = match.end()
        return result

    def _info(self, raw: str) -> tuple[str, str, tuple[str, ...], bool, str | None]:
        """(stem, "=" exact feature, hyphen-part stems, stop word?, canonical prefix) of a word."""
        info = self._info_cache.get(raw)
        if info is None:
            if "-" in raw:
                pieces = [p for p in raw.split("-") if p]
                parts = tuple(self.stem(p) for p in pieces)
                joined = "".join(pieces)
                info = (self.stem(joined), "=" + joined.lower(), parts, False, None)
            else:
                lowered = raw.lower()
                prefix = COMPOUND_PREFIXES.get(lowered)
                info = (self.stem(raw), "=" + lowered, (), lowered in STOPWORDS, prefix)
            self._info_cache[raw] = info
        return info

    def field(self, text: str) -> FieldTerms:
        """Counted features of one field: stems, hyphen parts, pairs and acronym expansions.

        The fast path of `words` (no positions), for every paper of every run; the two must
        agree, which tests check.
        """
        cleaned = strip_tex(text)
        stems: list[str] = []
        exact: list[str] = []
        parts_seen: list[str] = []
        prefix: str | None = None  # the previous token was a prefix word, directly before
        for token in _TOKEN.findall(cleaned):
            if not token[0].isalnum():
                prefix = None
                continue
            stem, form, parts, stop, own_prefix = self._info(token)
            if prefix is not None and not stop and not parts:
                stems[-1] = self.stem(prefix + token.lower())
                exact[-1] = "=" + prefix + token.lower()
                parts_seen.append(self.stem(prefix))
                parts_seen.append(stem)
                prefix = None
                continue
            prefix = own_prefix
            if not stop:
                stems.append(stem)
                exact.append(form)
                if parts:
                    parts_seen.extend(p for p in parts if p not in STOPWORDS)
        unigrams: Counter[str] = Counter(stems)
        unigrams.update(parts_seen)
        pairs = []
        for distance in range(1, PAIR_WINDOW):
            pairs += [pair(a, b) for a, b in zip(stems, stems[distance:], strict=False) if a != b]
        acronyms = self.acronyms(cleaned) if _MAYBE_DEFINITION.search(cleaned) else {}
        for acronym, expansion in acronyms.items():
            # Each use of the acronym after its definition is a use of the long form too.
            uses = unigrams.get(acronym, 0) - 1
            if uses > 0:
                unigrams.update({s: uses for s in expansion})
                pairs += phrase_pairs(expansion) * uses
        counts = unigrams.copy()
        counts.update(exact)
        counts.update(pairs)
        return FieldTerms(counts, len(stems), acronyms, unigrams)

    def acronyms(self, cleaned: str) -> dict[str, tuple[str, ...]]:
        """Acronyms a cleaned text defines, as in "low-rank adaptation (LoRA)": acronym → the
        stems of the words it abbreviates. The letters must be the initials of the words just
        before the parenthesis (hyphen parts count as words; stop words may be skipped)."""
        found: dict[str, tuple[str, ...]] = {}
        for match in _DEFINITION.finditer(cleaned):
            raw = match.group(1).replace("-", "")
            plural = raw.endswith("s") and raw[:-1].isupper()
            acronym = raw[:-1] if plural else raw
            letters = [c.lower() for c in acronym if c.isupper() or c.isdigit()]
            if not 2 <= len(letters) <= 8:
                continue
            # Only the words just before the parenthesis matter: analyse a short window.
            window = cleaned[max(0, match.start() - 160) : match.start()]
            before = self.words(window)[-(len(letters) + 4) :]
            expansion = _initials_match(before, letters)
            if expansion:  # keyed as the word is indexed: "ViTs" and "ViT" are both "vit"
                found[self.stem(acronym)] = expansion
        return found


def phrase_pairs(stems: Sequence[str]) -> list[str]:
    """The pair features a phrase must show: each word with the next one."""
    return [pair(a, b) for a, b in itertools.pairwise(stems) if a != b]


def _initials_match(before: Sequence[Word], letters: list[str]) -> tuple[str, ...]:
    # Split hyphenated words into their parts, remembering which word each part came from.
    pieces: list[tuple[str, int, bool]] = []  # (initial, word index, stop word)
    for index, word in enumerate(before):
        for piece in (p for p in word.text.replace(" ", "-").split("-") if p):
            pieces.append((piece[0].lower(), index, word.stop))
    for skip_stop in (False, True):
        usable = [p for p in pieces if not (skip_stop and p[2])]
        if len(usable) < len(letters):
            continue
        tail = usable[-len(letters) :]
        if [p[0] for p in tail] == letters:
            first = tail[0][1]
            return tuple(w.stem for w in before[first:] if not w.stop)
    return ()


def author_keys(name: str) -> list[str]:
    """Keys under which an author name matches: surname with first initial, and the surname.

    "Yann LeCun", "LeCun, Yann", "Y. LeCun" and "Yann Le Cun" do not all agree on a surname, so
    the last word is taken as the surname unless a comma says otherwise.
    """
    folded = fold(strip_tex(name)).strip()
    if "," in folded:
        surname, _, given = folded.partition(",")
    else:
        tokens = folded.replace(".", ". ").split()
        if not tokens:
            return []
        surname, given = tokens[-1], " ".join(tokens[:-1])
    surname = re.sub(r"[^a-z0-9\-']", "", surname.strip().split(" ")[-1] if surname else "")
    initial = next((c for c in given if c.isalnum()), "")
    if not surname:
        return []
    return [f"@{surname} {initial}", f"@{surname}"] if initial else [f"@{surname}"]


def paper_author_features(authors: Iterable[str]) -> set[str]:
    """Every author key of a paper's author list."""
    keys: set[str] = set()
    for name in authors:
        keys.update(author_keys(name))
    return keys


def category_features(categories: Iterable[str]) -> set[str]:
    """`#cs.LG` and `#cs` for a paper listed in cs.LG: an archive matches its categories."""
    features = set()
    for category in categories:
        features.add(f"#{category}")
        features.add(f"#{category.split('.')[0]}")
    return features
