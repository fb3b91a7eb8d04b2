"""What a reader typed, turned into terms the ranker can look for.

A term is one thing a reader named — a keyword, an excluded word, an author, a category, a
word of a boolean query — with the alternative ways a paper may write it: "multi-task
learning" is also "multitask learning", "multiple task learning" and, where the corpus defines
it, "MTL". A term is present in a paper when any alternative is: a single word by its stem, a
phrase by its neighbouring word pairs.

Weights are written Lucene-style after a caret in every place a term goes (config, database,
flags): `"state space models^2"`, `"cs.CL^0.5"`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from paperwire.errors import ProfileError
from paperwire.models import Paper, Profile
from paperwire.scoring.analysis import (
    TITLE_WEIGHT,
    Analyzer,
    author_keys,
    phrase_pairs,
)
from paperwire.scoring.feedback import MIN_PAST
from paperwire.scoring.stats import CorpusStats
from paperwire.syntax import (
    Node,
    parse_query,
    query_leaves,
    split_weight,
)
from paperwire.text import clip_words, one_line

Kind = Literal["text", "author", "category"]

MAX_ALTERNATIVES = 8
_NO_WORDS = "has no words to look for (stop words, symbols and accents-only are ignored)"
EXACT_WEIGHT = 0.5  # the words exactly as typed, on top of their stems
TOPIC_FEATURES = 60  # features kept from a `like` paper or a description
LIKE_PRIOR = (
    3  # n liked papers weigh n / (n + LIKE_PRIOR) of a description (benchmarks/feedback.py)
)


# ---------------------------------------------------------------- terms


@dataclass(frozen=True, slots=True)
class Term:
    """Something to look for, with every way of writing it (each a tuple of stems or keys)."""

    kind: Kind
    alternatives: tuple[tuple[str, ...], ...]
    exact: tuple[str, ...] = ()  # "=" features of the words as typed: a small bonus

    def required(self, alternative: tuple[str, ...]) -> list[str]:
        """The features a paper must have for this alternative to be present."""
        if self.kind != "text" or len(alternative) == 1:
            return list(alternative)
        return phrase_pairs(alternative) or list(alternative[:1])

    def slack(self, alternative: tuple[str, ...]) -> int:
        """How many required features may be missing: long phrases (four words and more) may
        miss one word pair, which is proximity rather than identity."""
        return 1 if self.kind == "text" and len(self.required(alternative)) >= 3 else 0

    def shown_by(self, counts: Mapping[str, float]) -> list[tuple[str, ...]]:
        """The alternatives a text's feature counts show (the ranker's rule, for one text)."""
        found = []
        for alternative in self.alternatives:
            required = self.required(alternative)
            missing = sum(1 for f in required if not counts.get(f))
            if missing <= self.slack(alternative):
                found.append(alternative)
        return found

    def weights(self) -> dict[str, float]:
        """Feature weights for scoring: a phrase's words share one unit, its pairs another."""
        weights: dict[str, float] = {}
        for alternative in self.alternatives:
            unit = {s: 1.0 / len(alternative) for s in alternative}
            if self.kind == "text" and len(alternative) > 1:
                pairs = phrase_pairs(alternative)
                unit.update({p: 1.0 / len(pairs) for p in pairs})
            for feature, weight in unit.items():
                weights[feature] = max(weights.get(feature, 0.0), weight)
        for feature in self.exact:
            weights[feature] = EXACT_WEIGHT / len(self.exact)
        return weights


def text_term(
    text: str,
    analyzer: Analyzer,
    stats: CorpusStats | None,
    cache: dict[str, Term | None] | None = None,
) -> Term | None:
    """A keyword, phrase or excluded word with its spellings; None when it has no words.

    Readers share keywords: with a `cache` (one per analyzer and statistics) each distinct
    text is analysed once."""
    if cache is not None:
        if text not in cache:
            cache[text] = text_term(text, analyzer, stats)
        return cache[text]
    # Stop words are never indexed ("the", "or"): a term of stop words alone finds nothing.
    content = [w for w in analyzer.words(text) if not w.stop]
    if not content:
        return None
    base = tuple(w.stem for w in content)
    variants: list[tuple[str, ...]] = [base]

    if stats is not None:  # acronyms both ways, as the corpus defines them
        if len(base) == 1:
            long_form = stats.expansion(base[0])
            if long_form:
                variants.append(tuple(long_form.split()))
        else:
            for variant in list(variants):
                acronym = stats.acronym_for(" ".join(variant))
                if acronym:
                    variants.append((acronym,))
                    break
    unique = tuple(dict.fromkeys(v for v in variants if v))[:MAX_ALTERNATIVES]
    return Term("text", unique, tuple(dict.fromkeys("=" + w.exact for w in content)))


def author_term(name: str) -> Term | None:
    """An author to follow: surname and first initial, in either order when there is no comma."""
    keys = author_keys(name)
    if not keys:
        return None
    alternatives = [(keys[0],)]
    tokens = name.replace(",", " ").split()
    if "," not in name and len(tokens) == 2:
        reversed_keys = author_keys(f"{tokens[0]}, {tokens[1]}")  # "LeCun Yann"
        if reversed_keys:
            alternatives.append((reversed_keys[0],))
    return Term("author", tuple(dict.fromkeys(alternatives)))


def category_term(category: str) -> Term:
    return Term("category", ((f"#{category}",),))


# ---------------------------------------------------------------- compiled profiles


@dataclass(slots=True)
class ScoredTerm:
    term: Term
    weight: float
    label: str  # as the reader wrote it
    kind: Literal["keyword", "author", "query"]


@dataclass(slots=True)
class CompiledProfile:
    """A profile ready to rank with: its terms, filters and topic vector."""

    profile: Profile
    scored: list[ScoredTerm] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    categories: list[tuple[Term, float]] = field(default_factory=list)
    query: Node | None = None
    query_terms: dict[str, Term] = field(default_factory=dict)  # leaf text → term
    topic: dict[str, float] = field(default_factory=dict)  # feature → weight, unit length
    topic_label: str = ""
    topic_share: float = 1.0  # the topic's share of topic_weight (fewer liked papers: less)
    from_past: bool = False  # the topic is the reader's past matches (a stricter listing)
    avoid: dict[str, float] = field(default_factory=dict)  # the disliked papers' vector
    # Each liked paper's name (id and title) and vector: the why line names the nearest.
    examples: tuple[tuple[str, dict[str, float], str], ...] = ()  # (name, vector, key)
    liked: tuple[str, ...] = ()  # the papers judged (liked, disliked): never listed
    # Names no keyword, author, description or liked paper: takes every paper its filters
    # (categories, exclusions, query) let through, like arXiv's own category mailings.
    open: bool = False


def compile_profile(
    profile: Profile,
    analyzer: Analyzer,
    stats: CorpusStats | None,
    liked_papers: Mapping[str, Paper] | None = None,
    cache: dict[str, Term | None] | None = None,
    paper_vectors: dict[str, tuple[dict[str, float], Counter[str]]] | None = None,
) -> CompiledProfile:
    """Turn what a reader typed into terms; raises ProfileError naming a term it cannot read."""
    compiled = CompiledProfile(profile)

    def wanted(raw: str, what: str) -> tuple[Term, float, str]:
        text, weight = split_weight(raw, what)
        term = author_term(text) if what == "author" else text_term(text, analyzer, stats, cache)
        if term is None:
            raise ProfileError(f"{what} {raw!r}: {_NO_WORDS}")
        return term, weight, text

    def score(term: Term, weight: float, label: str, kind: Literal["keyword", "author", "query"]):
        for item in compiled.scored:  # the same term twice ("protein", "Protein") counts once
            if item.term == term:
                item.weight = max(item.weight, weight)
                return
        compiled.scored.append(ScoredTerm(term, weight, label, kind))

    for raw in profile.keywords:
        score(*wanted(raw, "keyword"), "keyword")
    for raw in profile.authors:
        score(*wanted(raw, "author"), "author")
    for raw in profile.exclude:
        term, weight, _ = wanted(raw, "exclude")
        if weight != 1.0:
            raise ProfileError(f"exclude {raw!r}: an excluded word takes no weight")
        compiled.excluded.append(term)
    for raw in profile.categories:
        name, weight = split_weight(raw, "category")
        compiled.categories.append((category_term(name), weight))
    if profile.query and profile.query.strip():
        compiled.query = parse_query(profile.query)
        for text, negated in query_leaves(compiled.query):
            leaf = text_term(text, analyzer, stats, cache)
            if leaf is None:
                hint = (
                    " (operators are AND, OR, NOT in capitals)"
                    if text.lower() in ("and", "or", "not")
                    else ""
                )
                raise ProfileError(f"query {profile.query!r}: {text!r}: {_NO_WORDS}{hint}")
            compiled.query_terms[text] = leaf
            if not negated:  # a query is a filter, and its words count like keywords
                score(leaf, 1.0, text, "query")
    vectors = []
    if profile.description and profile.description.strip():
        vector = _topic_vector(analyzer, stats, "", profile.description)
        if not vector:
            raise ProfileError(f"description {profile.description[:60]!r}: {_NO_WORDS}")
        vectors.append(vector)
        compiled.topic_label = "description"
    liked = [liked_papers[i] for i in profile.like if liked_papers and i in liked_papers]

    def analysed(paper: Paper) -> tuple[dict[str, float], Counter[str]]:
        # A paper's topic vector and its features. Readers share liked papers: with
        # `paper_vectors` (one per analyzer and statistics, like `cache`), each paper is
        # analysed once however many readers judged it.
        found = paper_vectors.get(paper.key) if paper_vectors is not None else None
        if found is None:
            title, abstract = analyzer.field(paper.title), analyzer.field(paper.abstract)
            vector = text_vector(title.unigrams, abstract.unigrams, stats)
            found = (vector, title.counts + abstract.counts)
            if paper_vectors is not None:
                paper_vectors[paper.key] = found
        return found

    def paper_vector(paper: Paper) -> dict[str, float]:
        return analysed(paper)[0]

    examples = [paper_vector(p) for p in liked]
    vectors += examples
    if not liked and not vectors and profile.past:
        # No description, no liked papers: the reader's strongest past matches stand in.
        past = [liked_papers[i] for i in profile.past if liked_papers and i in liked_papers]
        # Only those that still show a term the reader asks for: after an edit, what they
        # dropped does not come back through the papers it brought.
        still = [
            p for p in past if any(item.term.shown_by(analysed(p)[1]) for item in compiled.scored)
        ]
        if len(still) >= MIN_PAST:
            liked = still
            examples = [paper_vector(p) for p in liked]
            vectors += examples
            compiled.from_past = True
    compiled.examples = tuple(
        (f"{p.arxiv_id or p.key} ({clip_words(one_line(p.title), 60)})", vector, p.key)
        for p, vector in zip(liked, examples, strict=True)
    )
    if liked:
        names = [p.arxiv_id or p.key for p in liked]
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        compiled.topic_label = "like " + ", ".join(names[:3]) + more
        if compiled.from_past:
            compiled.topic_label = "like your earlier digests' best matches"
    # The liked papers themselves are never listed: by their keys in the store, and by the
    # ids the reader wrote.
    disliked = [liked_papers[i] for i in profile.dislike if liked_papers and i in liked_papers]
    compiled.avoid = _mean_vector([paper_vector(p) for p in disliked])
    # Past matches are not judged: a digest of the day they were sent still lists them (the
    # planner leaves out what a reader has received).
    judged = [] if compiled.from_past else liked
    compiled.liked = tuple(
        dict.fromkeys(
            [*(p.key for p in judged), *profile.like, *(p.key for p in disliked), *profile.dislike]
        )
    )
    compiled.topic = _mean_vector(vectors)
    if liked and not profile.description.strip():
        # A few liked papers are a rough topic: it counts for less until there are more.
        compiled.topic_share = len(liked) / (len(liked) + LIKE_PRIOR)
    # What the reader asked for, not what compiled: liked papers that could not be found
    # leave the profile wanting them, and it lists nothing rather than everything.
    compiled.open = not (
        profile.keywords or profile.authors or profile.description.strip() or profile.like
    )
    return compiled


def _topic_vector(
    analyzer: Analyzer, stats: CorpusStats | None, title: str, abstract: str
) -> dict[str, float]:
    return text_vector(analyzer.field(title).unigrams, analyzer.field(abstract).unigrams, stats)


def text_vector(
    title: Mapping[str, int], abstract: Mapping[str, int], stats: CorpusStats | None
) -> dict[str, float]:
    """A paper's topic vector from its title's and abstract's word counts: tf-idf of its
    TOPIC_FEATURES strongest words, unit length."""
    counts: dict[str, float] = {}
    for unigrams, weight in ((abstract, 1.0), (title, TITLE_WEIGHT)):
        for feature, count in unigrams.items():
            counts[feature] = counts.get(feature, 0.0) + weight * count
    idf = stats.idf(counts) if stats is not None and stats.documents else dict.fromkeys(counts, 1.0)
    weights = {f: (1.0 + math.log(c)) * idf[f] for f, c in counts.items()}
    top = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:TOPIC_FEATURES]
    return _unit(dict(top))


def _mean_vector(vectors: Sequence[dict[str, float]]) -> dict[str, float]:
    total: dict[str, float] = {}
    for vector in vectors:
        for feature, weight in vector.items():
            total[feature] = total.get(feature, 0.0) + weight
    return _unit(total)


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {f: w / norm for f, w in vector.items()} if norm else {}


def all_terms(compiled: Iterable[CompiledProfile]) -> Iterable[Term]:
    for profile in compiled:
        yield from (s.term for s in profile.scored)
        yield from profile.excluded
        yield from (t for t, _ in profile.categories)
        yield from profile.query_terms.values()
