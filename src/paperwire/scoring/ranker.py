"""Rank papers for many profiles at once with sparse matrix products, and explain each pick.

The work is three products, whatever the number of readers:

    papers x features  @  features x term alternatives  → which terms each paper shows
    papers x features  @  features x terms              → each term's BM25F score per paper
    papers x terms     @  terms x profiles              → each reader's score per paper

Feature values are BM25 weights (k1 = 1.2, b = 0.75) with the title counting three times and
the inverse document frequencies taken from the whole store (CorpusStats), so a score means the
same on every day. A paper is listed for a reader when it shows at least one of the reader's
keywords, authors or query words in full (or is close enough to the reader's description or
liked papers), none of the excluded words, and satisfies the query; partial matches (some
words of a phrase) add to the score but never list a paper on their own.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from paperwire.models import Paper, Profile, Reason, ScoredPaper
from paperwire.scoring.analysis import (
    TITLE_WEIGHT,
    Analyzer,
    FieldTerms,
    Word,
    author_keys,
    category_features,
    paper_author_features,
)
from paperwire.scoring.profiles import (
    CompiledProfile,
    Term,
    all_terms,
    compile_profile,
    text_vector,
)
from paperwire.scoring.settings import RankSettings
from paperwire.scoring.stats import CorpusStats
from paperwire.syntax import All, Leaf, Node, Not

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(slots=True)
class _Documents:
    matrix: sparse.csr_matrix  # papers x vocabulary, BM25 values (1 for author/category)
    norms: FloatArray  # length of each paper's whole text vector, for cosines


class Ranker:
    """Ranks papers for profiles; holds the corpus statistics and a stemming cache."""

    def __init__(self, stats: CorpusStats | None = None, settings: RankSettings | None = None):
        self.stats = stats
        self.settings = settings or RankSettings()
        self.analyzer = Analyzer()
        self._term_cache: dict[str, Term | None] = {}
        # Liked papers' topic vectors and features, by key.
        self._example_vectors: dict[str, tuple[dict[str, float], Counter[str]]] = {}
        self._cached_for: CorpusStats | None = None
        # Title and abstract analysed for explanations: one paper is explained for many
        # readers in a batch, and analysing a long abstract takes a few milliseconds.
        self._explained: dict[str, tuple[FieldTerms, list[Word], frozenset[str]]] = {}
        # Each paper's title and abstract analysed for ranking, by key: a ranker that ranks
        # the same day again (a page's preview, a run's groups of readers) analyses it once.
        self._fields: dict[str, tuple[str, str, FieldTerms, FieldTerms]] = {}

    def compile(
        self, profile: Profile, liked: Mapping[str, Paper] | None = None
    ) -> CompiledProfile:
        stats = self._usable_stats()
        if stats is not self._cached_for:  # terms depend on the statistics' acronyms
            self._term_cache, self._cached_for = {}, stats
            self._example_vectors = {}
        if len(self._example_vectors) >= 16_384:  # a bound on memory
            self._example_vectors.clear()
        return compile_profile(
            profile, self.analyzer, stats, liked, self._term_cache, self._example_vectors
        )

    def _usable_stats(self) -> CorpusStats | None:
        return self.stats if self.stats is not None and self.stats.documents else None

    def rank(
        self,
        papers: Sequence[Paper],
        profiles: Sequence[Profile],
        *,
        liked: Mapping[str, Paper] | None = None,
        limit: int | None = None,
        min_score: float = 0.0,
        require_match: bool = True,
        paper_vectors: npt.NDArray[np.float32] | None = None,
        profile_vectors: Sequence[npt.NDArray[np.float32] | None] | None = None,
    ) -> list[list[ScoredPaper]]:
        """For each profile, its papers best first (ties by arXiv id), at most `limit`.

        With `require_match` (the default), a paper is listed only when it shows a term in full;
        without, papers showing some words of a term follow at `partial_factor` of their score
        (the whole ranking, as the relevance benchmark measures it).
        `paper_vectors` (papers x d, unit rows) and `profile_vectors` (one unit vector or None
        per profile) add the semantic layer's cosine when given.
        """
        return self.rank_explained_many(
            papers,
            profiles,
            liked=liked,
            limit=limit,
            min_score=min_score,
            require_match=require_match,
            paper_vectors=paper_vectors,
            profile_vectors=profile_vectors,
            explain_limit=0,  # no reasons: ranking only
        )

    def rank_explained(
        self,
        papers: Sequence[Paper],
        profile: Profile,
        *,
        liked: Mapping[str, Paper] | None = None,
        limit: int | None = None,
        min_score: float = 0.0,
        require_match: bool = True,
        paper_vectors: npt.NDArray[np.float32] | None = None,
        profile_vector: npt.NDArray[np.float32] | None = None,
        explain_limit: int | None = None,
    ) -> list[ScoredPaper]:
        """One profile's papers, best first, each with its reasons (for papers to be shown):
        all of them, or the first `explain_limit` (the rest keep `matched` only)."""
        [ranked] = self.rank_explained_many(
            papers,
            [profile],
            liked=liked,
            limit=limit,
            min_score=min_score,
            require_match=require_match,
            paper_vectors=paper_vectors,
            profile_vectors=None if paper_vectors is None else [profile_vector],
            explain_limit=explain_limit,
        )
        return ranked

    def rank_explained_many(
        self,
        papers: Sequence[Paper],
        profiles: Sequence[Profile],
        *,
        liked: Mapping[str, Paper] | None = None,
        limit: int | None = None,
        min_score: float = 0.0,
        require_match: bool = True,
        paper_vectors: npt.NDArray[np.float32] | None = None,
        profile_vectors: Sequence[npt.NDArray[np.float32] | None] | None = None,
        explain_limit: int | None = None,
        skip: Sequence[Collection[str]] | None = None,
        boost: Mapping[str, float] | None = None,
    ) -> list[list[ScoredPaper]]:
        """Many profiles ranked in one pass (as `rank`), each list explained like
        rank_explained. `skip` holds, per profile, arXiv ids to leave out of its list (papers
        a reader already received) before `limit` and `explain_limit` apply. `boost` adds to
        the score of listed papers by id (Hugging Face's upvotes), before the order is set."""
        self._fit_if_needed(papers)
        compiled = [self.compile(p, liked) for p in profiles]
        rankings = self.rank_compiled(
            papers,
            compiled,
            limit=None if skip or boost else limit,
            min_score=min_score,
            require_match=require_match,
            paper_vectors=paper_vectors,
            profile_vectors=profile_vectors,
        )
        for index, (ranked, profile) in enumerate(zip(rankings, compiled, strict=True)):
            if skip and skip[index]:
                ranked[:] = [item for item in ranked if item.paper.key not in skip[index]]
            if boost and any(item.paper.key in boost for item in ranked):
                for item in ranked:
                    item.score += boost.get(item.paper.key, 0.0)
                ranked.sort(key=lambda item: (-item.score, item.paper.key))
            if (skip or boost) and limit is not None:
                del ranked[limit:]
            for item in ranked[:explain_limit]:
                item.reasons = self.explain(item, profile)
        return rankings

    def _fit_if_needed(self, papers: Sequence[Paper]) -> None:
        if self._usable_stats() is None:  # no store statistics: the papers are the corpus
            self.stats = CorpusStats()
            self.stats.update(papers, self.analyzer)

    def rank_compiled(
        self,
        papers: Sequence[Paper],
        compiled: Sequence[CompiledProfile],
        *,
        limit: int | None = None,
        min_score: float = 0.0,
        require_match: bool = True,
        paper_vectors: npt.NDArray[np.float32] | None = None,
        profile_vectors: Sequence[npt.NDArray[np.float32] | None] | None = None,
    ) -> list[list[ScoredPaper]]:
        if not papers or not compiled:
            return [[] for _ in compiled]
        terms = list(dict.fromkeys(all_terms(compiled)))
        term_index = {t: i for i, t in enumerate(terms)}
        vocabulary: dict[str, int] = {}
        for term in terms:
            for feature in term.weights():
                vocabulary.setdefault(feature, len(vocabulary))
        for profile in compiled:
            for feature in (*profile.topic, *profile.avoid):
                vocabulary.setdefault(feature, len(vocabulary))
        want_norms = any(p.topic or p.avoid for p in compiled)
        documents = self._documents(papers, vocabulary, want_norms)
        present = self._presence(documents.matrix, terms, vocabulary)
        # Queries and weighted categories read single terms' columns: one conversion for all.
        needs_columns = any(
            p.query is not None or any(w != 1.0 for _, w in p.categories) for p in compiled
        )
        present_csc = present.tocsc() if needs_columns else None
        term_scores = self._term_scores(documents.matrix, terms, vocabulary)
        order = np.argsort(np.argsort(np.array([p.key for p in papers], dtype=object)))
        ids = {p.key: i for i, p in enumerate(papers)}
        results: list[list[ScoredPaper]] = []
        # Each block holds a few dense papers x profiles arrays: keep them near 4M cells.
        chunk = max(16, min(self.settings.profile_chunk, 4_000_000 // len(papers)))
        for start in range(0, len(compiled), chunk):
            block = compiled[start : start + chunk]
            vectors = profile_vectors[start : start + chunk] if profile_vectors else None
            results.extend(
                self._rank_block(
                    papers,
                    block,
                    documents,
                    present,
                    present_csc,
                    term_scores,
                    term_index,
                    vocabulary,
                    order,
                    ids,
                    limit,
                    min_score,
                    require_match,
                    paper_vectors,
                    vectors,
                )
            )
        return results

    # ------------------------------------------------------------ documents and terms

    def _fields_of(self, paper: Paper) -> tuple[FieldTerms, FieldTerms]:
        """A paper's title and abstract analysed (kept while its text stays the same)."""
        kept = self._fields.get(paper.key)
        if kept is not None and kept[0] == paper.title and kept[1] == paper.abstract:
            return kept[2], kept[3]
        if len(self._fields) >= 16_384:  # a bound on memory across a long batch
            self._fields.clear()
        title, abstract = self.analyzer.field(paper.title), self.analyzer.field(paper.abstract)
        self._fields[paper.key] = (paper.title, paper.abstract, title, abstract)
        return title, abstract

    def _documents(
        self, papers: Sequence[Paper], vocabulary: dict[str, int], want_norms: bool
    ) -> _Documents:
        stats = self.stats or CorpusStats()
        k1, b = self.settings.k1, self.settings.b
        average = stats.average_length
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[float] = []
        lengths = np.empty(len(papers))
        norms = np.ones(len(papers))
        idf_cache: dict[str, float] = {}
        lookup = vocabulary.get
        for row, paper in enumerate(papers):
            title, abstract = self._fields_of(paper)
            length = TITLE_WEIGHT * title.length + abstract.length
            lengths[row] = length
            for field_terms, weight in ((title, TITLE_WEIGHT), (abstract, 1.0)):
                for feature, count in field_terms.counts.items():
                    col = lookup(feature)
                    if col is not None:  # repeated columns (title and abstract) are summed
                        rows.append(row)
                        cols.append(col)
                        tfs.append(weight * count)
            for feature in paper_author_features(paper.authors) | category_features(
                paper.categories
            ):
                col = lookup(feature)
                if col is not None:
                    rows.append(row)
                    cols.append(col)
                    tfs.append(1.0)
            if want_norms:
                norms[row] = self._norm(title, abstract, length, stats, idf_cache)
        idf_by_col = np.array(
            list(stats.idf(vocabulary).values()) if vocabulary else [], dtype=np.float64
        )
        matrix = sparse.csr_matrix(
            (np.asarray(tfs, dtype=np.float64), (rows, cols)),
            shape=(len(papers), max(1, len(vocabulary))),
        )
        matrix.sum_duplicates()  # title and abstract counts of one feature become one tf
        tf = matrix.data
        row_of = np.repeat(np.arange(len(papers)), np.diff(matrix.indptr))
        row_scale = k1 * (1 - b + b * lengths[row_of] / average)
        bm25 = idf_by_col[matrix.indices] * tf * (k1 + 1) / (tf + row_scale)
        # Authors ("@…") and categories ("#…") are there or not: their value is 1, not BM25.
        flat_column = np.array([f[0] in "@#" for f in vocabulary] or [False], dtype=bool)
        matrix.data = np.where(flat_column[matrix.indices], 1.0, bm25)
        return _Documents(matrix, norms)

    def _norm(
        self,
        title: FieldTerms,
        abstract: FieldTerms,
        length: float,
        stats: CorpusStats,
        idf_cache: dict[str, float],
    ) -> float:
        """Length of a paper's word-stem vector (BM25 weights), for cosines with topics."""
        k1, b = self.settings.k1, self.settings.b
        scale = k1 * (1 - b + b * length / stats.average_length)
        counts: dict[str, float] = dict(abstract.unigrams)
        for feature, count in title.unigrams.items():
            counts[feature] = counts.get(feature, 0.0) + TITLE_WEIGHT * count
        missing = [f for f in counts if f not in idf_cache]
        if missing:
            idf_cache.update(stats.idf(missing))
        total = 0.0
        for feature, tf in counts.items():
            weight = idf_cache[feature] * tf * (k1 + 1) / (tf + scale)
            total += weight * weight
        return math.sqrt(total) or 1.0

    def _presence(
        self, matrix: sparse.csr_matrix, terms: list[Term], vocabulary: dict[str, int]
    ) -> sparse.csr_matrix:
        """papers by terms, True where a paper shows any alternative of a term in full."""
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        thresholds: list[float] = []
        owners: list[int] = []
        for term_id, term in enumerate(terms):
            for alternative in term.alternatives:
                required = term.required(alternative)
                column = len(thresholds)
                for feature in required:
                    rows.append(vocabulary[feature])
                    cols.append(column)
                    values.append(1.0)
                thresholds.append(len(required) - term.slack(alternative) - 0.5)
                owners.append(term_id)
        alternatives = sparse.csr_matrix(
            (values, (rows, cols)), shape=(matrix.shape[1], len(thresholds))
        )
        binary = matrix.copy()
        binary.data[:] = 1.0
        hits = (binary @ alternatives).tocsr()
        hits.data = (hits.data >= np.asarray(thresholds)[hits.indices]).astype(np.float64)
        hits.eliminate_zeros()
        grouping = sparse.csr_matrix(
            (np.ones(len(owners)), (np.arange(len(owners)), owners)),
            shape=(len(owners), len(terms)),
        )
        present = (hits @ grouping).tocsr()
        present.data[:] = 1.0
        return present

    def _term_scores(
        self, matrix: sparse.csr_matrix, terms: list[Term], vocabulary: dict[str, int]
    ) -> sparse.csr_matrix:
        rows, cols, values = [], [], []
        for term_id, term in enumerate(terms):
            for feature, weight in term.weights().items():
                rows.append(vocabulary[feature])
                cols.append(term_id)
                values.append(weight)
        weights = sparse.csr_matrix((values, (rows, cols)), shape=(matrix.shape[1], len(terms)))
        return (matrix @ weights).tocsr()

    # ------------------------------------------------------------ one block of profiles

    def _rank_block(
        self,
        papers: Sequence[Paper],
        block: Sequence[CompiledProfile],
        documents: _Documents,
        present: sparse.csr_matrix,
        present_csc: sparse.csc_matrix | None,
        term_scores: sparse.csr_matrix,
        term_index: dict[Term, int],
        vocabulary: dict[str, int],
        order: npt.NDArray[np.intp],
        ids: dict[str, int],
        limit: int | None,
        min_score: float,
        require_match: bool,
        paper_vectors: npt.NDArray[np.float32] | None,
        profile_vectors: Sequence[npt.NDArray[np.float32] | None] | None,
    ) -> list[list[ScoredPaper]]:
        settings = self.settings
        n_terms = len(term_index)
        weight_entries: tuple[list[int], list[int], list[float]] = ([], [], [])
        anchor_entries: tuple[list[int], list[int]] = ([], [])
        exclude_entries: tuple[list[int], list[int]] = ([], [])
        category_entries: tuple[list[int], list[int]] = ([], [])
        topic_entries: tuple[list[int], list[int], list[float]] = ([], [], [])
        avoid_entries: tuple[list[int], list[int], list[float]] = ([], [], [])
        scored_ids: list[list[int]] = []  # per profile, its scored terms' ids (for `matched`)
        for column, profile in enumerate(block):
            scored_ids.append([])
            for scored in profile.scored:
                base = settings.author_weight if scored.kind == "author" else 1.0
                tid = term_index[scored.term]
                scored_ids[-1].append(tid)
                weight_entries[0].append(tid)
                weight_entries[1].append(column)
                weight_entries[2].append(base * scored.weight)
                anchor_entries[0].append(tid)
                anchor_entries[1].append(column)
            for term in profile.excluded:
                exclude_entries[0].append(term_index[term])
                exclude_entries[1].append(column)
            for term, _ in profile.categories:
                category_entries[0].append(term_index[term])
                category_entries[1].append(column)
            for feature, weight in profile.topic.items():
                topic_entries[0].append(vocabulary[feature])
                topic_entries[1].append(column)
                topic_entries[2].append(weight * profile.topic_share)
            for feature, weight in profile.avoid.items():
                avoid_entries[0].append(vocabulary[feature])
                avoid_entries[1].append(column)
                avoid_entries[2].append(weight)
        width = len(block)
        topic_shares = np.array([p.topic_share for p in block])

        def product(left: sparse.csr_matrix, entries: tuple, n_rows: int) -> FloatArray:
            values = entries[2] if len(entries) == 3 else np.ones(len(entries[0]))
            right = sparse.csr_matrix((values, (entries[0], entries[1])), shape=(n_rows, width))
            return np.asarray((left @ right).toarray(), dtype=np.float64)

        scores = product(term_scores, weight_entries, n_terms)
        anchored = product(present, anchor_entries, n_terms) > 0
        excluded = product(present, exclude_entries, n_terms) > 0
        in_category = product(present, category_entries, n_terms) > 0
        topic_cosine = None
        if topic_entries[0]:
            topic_cosine = product(documents.matrix, topic_entries, len(vocabulary))
            topic_cosine /= documents.norms[:, None]
            scores += settings.topic_weight * topic_cosine
            # The listing rule reads the cosine itself, not its share in the score.
            topic_cosine /= np.maximum(topic_shares, 1e-9)
        if avoid_entries[0]:
            avoid_cosine = product(documents.matrix, avoid_entries, len(vocabulary))
            avoid_cosine /= documents.norms[:, None]
            # Only papers much closer to what the reader disliked than to what they liked
            # (or to their description) go down: the disliked papers of a digest share the
            # reader's own words, and a general push away from them costs relevant papers.
            closeness: FloatArray | float = topic_cosine if topic_cosine is not None else 0.0
            gap = np.clip(avoid_cosine - np.maximum(closeness, settings.dislike_floor), 0, None)
            # Lower, never out: a paper that shows the reader's keywords stays listed.
            scores *= np.exp(-gap / settings.dislike_scale)
        thresholds = np.array([self._topic_threshold(p) for p in block])
        if topic_cosine is not None:
            anchored |= topic_cosine >= thresholds
        semantic_cosine = None
        if paper_vectors is not None and profile_vectors is not None:
            semantic_cosine = np.zeros((len(papers), width))
            for column, vector in enumerate(profile_vectors):
                if vector is not None:
                    semantic_cosine[:, column] = paper_vectors @ vector
            gain = np.clip(semantic_cosine - settings.semantic_floor, 0, None)
            scores += settings.semantic_weight * gain / (1 - settings.semantic_floor)
            anchored |= semantic_cosine >= settings.semantic_threshold
        if not require_match:
            scores = np.where(anchored, scores, settings.partial_factor * scores)
            anchored = anchored | (scores > 0)
        # The block's scored terms as dense columns: which terms each listed paper shows.
        block_terms = sorted({t for ids in scored_ids for t in ids})
        local = {t: k for k, t in enumerate(block_terms)}
        block_present = (
            present[:, block_terms].toarray() > 0
            if block_terms
            else np.zeros((len(papers), 0), dtype=bool)
        )
        results = []
        for column, profile in enumerate(block):
            open_profile = profile.open
            keep = ~excluded[:, column]
            if not open_profile:
                keep &= anchored[:, column]
            if profile.categories:
                keep &= in_category[:, column]
                weights = [w for _, w in profile.categories]
                if any(w != 1.0 for w in weights) and present_csc is not None:
                    factor = np.zeros(len(papers))
                    for term, weight in profile.categories:
                        has = _column(present_csc, term_index[term])
                        factor = np.maximum(factor, np.where(has, weight, 0.0))
                    scores[:, column] *= factor
            if profile.query is not None and present_csc is not None:
                leaves = {
                    text: _column(present_csc, term_index[term])
                    for text, term in profile.query_terms.items()
                }
                keep &= _evaluate(profile.query, leaves)
            for liked in profile.liked:
                if liked in ids:
                    keep[ids[liked]] = False
            column_scores = scores[:, column]
            if not open_profile:  # an open profile's papers score 0: min_score is not for them
                keep &= (column_scores >= min_score) & (column_scores > 0)
            chosen = np.flatnonzero(keep)
            ranking = chosen[np.lexsort((order[chosen], -column_scores[chosen]))]
            if limit is not None:
                ranking = ranking[:limit]
            matched = self._matched(
                profile,
                [local[t] for t in scored_ids[column]],
                block_present,
                ranking,
                topic_cosine,
                semantic_cosine,
                column,
            )
            results.append(
                [
                    ScoredPaper(papers[i], float(column_scores[i]), labels)
                    for i, labels in zip(ranking.tolist(), matched, strict=True)
                ]
            )
        return results

    def _topic_threshold(self, profile: CompiledProfile) -> float:
        """The cosine with its topic from which a paper is listed for a profile."""
        settings = self.settings
        return settings.past_threshold if profile.from_past else settings.topic_threshold

    def _matched(
        self,
        profile: CompiledProfile,
        columns: list[int],
        block_present: BoolArray,
        rows: npt.NDArray[np.intp],
        topic_cosine: FloatArray | None,
        semantic_cosine: FloatArray | None,
        column: int,
    ) -> list[list[str]]:
        """For each listed paper, the reader's terms it shows in full."""
        if len(rows) == 0:
            return []
        labels = [s.label for s in profile.scored]
        picked = np.asarray(columns, dtype=np.intp)
        shown = block_present[np.ix_(rows, picked)].tolist() if columns else [[]] * len(rows)
        topic = (
            (topic_cosine[rows, column] >= self._topic_threshold(profile)).tolist()
            if topic_cosine is not None
            else [False] * len(rows)
        )
        semantic = (
            (semantic_cosine[rows, column] >= self.settings.semantic_threshold).tolist()
            if semantic_cosine is not None
            else [False] * len(rows)
        )
        result = []
        for flags, near_topic, near_meaning in zip(shown, topic, semantic, strict=True):
            matched = [label for label, flag in zip(labels, flags, strict=True) if flag]
            if near_topic:
                matched.append(profile.topic_label)
            if near_meaning:
                matched.append("semantic")
            result.append(list(dict.fromkeys(matched)) if len(matched) > 1 else matched)
        return result

    # ------------------------------------------------------------ explanations

    def _analysed(self, text: str) -> tuple[FieldTerms, list[Word], frozenset[str]]:
        """A text's terms, its words, and the stems of its words (hyphen parts too) that are
        not stop words."""
        found = self._explained.get(text)
        if found is None:
            if len(self._explained) >= 16_384:  # a bound on memory: a big day is 5,000 texts
                self._explained.clear()
            words = self.analyzer.words(text)
            stems = frozenset(stem for w in words if not w.stop for stem in (w.stem, *w.parts))
            found = self._explained[text] = (self.analyzer.field(text), words, stems)
        return found

    def explain(self, scored: ScoredPaper, compiled: CompiledProfile) -> list[Reason]:
        """Why a paper is listed: each term found, where (title, abstract, authors), and the
        words as the paper writes them, for highlighting."""
        paper = scored.paper
        fields = {"title": self._analysed(paper.title), "abstract": self._analysed(paper.abstract)}
        analysed = {name: terms for name, (terms, _, _) in fields.items()}
        words = {name: found for name, (_, found, _) in fields.items()}
        stems_in = {name: stems for name, (_, _, stems) in fields.items()}
        reasons: list[Reason] = []
        for item in compiled.scored:
            if item.kind == "author":
                names = [a for a in paper.authors if _author_matches(item.term, a)]
                if names:
                    reasons.append(Reason("author", item.label, ("authors",), tuple(names)))
                continue
            where, forms = [], []
            for name in ("title", "abstract"):
                found = item.term.shown_by(analysed[name].counts)
                if found:
                    where.append(name)
                    forms += _surface_forms(words[name], found, analysed[name])
            if not where and item.label in scored.matched:
                # Shown only by title and abstract together (a phrase split between them).
                combined = analysed["title"].counts + analysed["abstract"].counts
                found = item.term.shown_by(combined)
                where = ["title", "abstract"]
                forms = [f for n in where for f in _surface_forms(words[n], found, analysed[n])]
            if where:
                reasons.append(
                    Reason(item.kind, item.label, tuple(where), tuple(dict.fromkeys(forms)))
                )
            else:  # some of its words, not all: it counted a little
                stems = {s for alt in item.term.alternatives for s in alt}
                partial = [
                    w.text
                    for n in ("title", "abstract")
                    if not stems.isdisjoint(stems_in[n])  # most terms: none of their words
                    for w in words[n]
                    if not w.stop and (w.stem in stems or not stems.isdisjoint(w.parts))
                ]
                if partial:
                    reasons.append(Reason("partial", item.label, (), tuple(dict.fromkeys(partial))))
        if compiled.topic_label and compiled.topic_label in scored.matched:
            shared = [
                f
                for f in compiled.topic
                if "|" not in f
                and (analysed["title"].counts.get(f) or analysed["abstract"].counts.get(f))
            ][:8]
            kind = "description" if compiled.topic_label == "description" else "like"
            forms = _surface_forms(words["abstract"], [tuple(shared)], analysed["abstract"])
            label = compiled.topic_label
            # Never "like itself": a page explained later may find the paper among the
            # reader's past matches by then.
            examples = [e for e in compiled.examples if e[2] != paper.key] or compiled.examples
            if kind == "like" and len(examples) > 1:
                # The liked paper this one is closest to: "like 2611.01234 (Its title)".
                vector = text_vector(
                    analysed["title"].unigrams, analysed["abstract"].unigrams, self.stats
                )
                label = (
                    "like "
                    + max(
                        examples,
                        key=lambda example: sum(
                            w * vector.get(f, 0.0) for f, w in example[1].items()
                        ),
                    )[0]
                )
            elif kind == "like" and examples:
                label = "like " + examples[0][0]
            if compiled.from_past:
                label += ", from an earlier digest"
            reasons.append(Reason(kind, label, ("abstract",), tuple(forms[:8])))
        if "semantic" in scored.matched:
            reasons.append(Reason("semantic", "similar meaning", (), ()))
        return reasons


def _column(matrix: sparse.csc_matrix, index: int) -> BoolArray:
    column = np.zeros(matrix.shape[0], dtype=bool)
    column[matrix.indices[matrix.indptr[index] : matrix.indptr[index + 1]]] = True
    return column


def _evaluate(node: Node, leaves: Mapping[str, BoolArray]) -> BoolArray:
    """A query over every paper at once: one boolean per paper."""
    if isinstance(node, Leaf):
        return leaves[node.text]
    if isinstance(node, Not):
        return ~_evaluate(node.child, leaves)
    parts = [_evaluate(child, leaves) for child in node.children]
    combine = np.logical_and if isinstance(node, All) else np.logical_or
    result = parts[0]
    for part in parts[1:]:
        result = combine(result, part)
    return result


def _author_matches(term: Term, name: str) -> bool:
    keys = set(author_keys(name))
    return any(alt[0] in keys for alt in term.alternatives)


def _surface_forms(
    words: Sequence, alternatives: Sequence[tuple[str, ...]], analysed: FieldTerms
) -> list[str]:
    stems = {s for alt in alternatives for s in alt}
    # An acronym defined in this text stands for its long form: highlight both.
    for acronym, expansion in analysed.acronyms.items():
        if stems & set(expansion) and set(expansion) <= stems:
            stems.add(acronym)
    return [w.text for w in words if w.stem in stems or stems & set(w.parts)]


def rank_papers(
    papers: Sequence[Paper],
    profile: Profile,
    *,
    stats: CorpusStats | None = None,
    liked: Mapping[str, Paper] | None = None,
    limit: int | None = None,
    min_score: float = 0.0,
    settings: RankSettings | None = None,
) -> list[ScoredPaper]:
    """One profile's papers, best first, each with its reasons (a convenience over Ranker)."""
    return Ranker(stats, settings).rank_explained(
        list(papers), profile, liked=liked, limit=limit, min_score=min_score
    )
