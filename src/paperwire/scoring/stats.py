"""Corpus statistics of every paper the store has seen: document frequencies and acronyms.

Relevance weights (IDF) come from the whole store, not from the day being ranked, so a word is
as rare on a quiet Monday as on a busy Tuesday and scores keep their meaning from day to day.

Document frequencies are kept for stems and word pairs in a fixed-size table of hashed counts
(2**21 buckets, 8 MB): it never grows with the store, and a collision can only make a rare
feature look a little more common (a slightly lower weight), never create a match. Matching
itself always compares the features' exact strings.

Acronym definitions seen in abstracts ("low-rank adaptation (LoRA)") are counted too, so a
reader who types "LoRA" also finds papers that only write the long form, and the other way round.
"""

from __future__ import annotations

import ast
import math
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from paperwire.models import Paper
from paperwire.scoring.analysis import TITLE_WEIGHT, Analyzer

BUCKETS = 1 << 21
_MAX_EXPANSIONS = 8  # long forms kept per acronym (the most frequent)
_MAX_ACRONYMS = 200_000  # beyond this, the acronyms seen least are dropped on save
FORMAT_VERSION = 1


def bucket(feature: str) -> int:
    """The stable hash bucket of a feature (crc32: the same on every run and machine)."""
    return zlib.crc32(feature.encode()) & (BUCKETS - 1)


@dataclass(slots=True)
class CorpusStats:
    """How many papers, their mean length, feature document frequencies, acronym definitions."""

    documents: int = 0
    total_length: float = 0.0
    df: npt.NDArray[np.uint32] = field(default_factory=lambda: np.zeros(BUCKETS, np.uint32))
    acronyms: dict[str, Counter[str]] = field(default_factory=dict)
    _reverse: dict[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def average_length(self) -> float:
        average = self.total_length / self.documents if self.documents else 0.0
        return average or 1.0  # papers of stop words only must not divide by zero

    def update(self, papers: Iterable[Paper], analyzer: Analyzer | None = None) -> int:
        """Count `papers` in (each once: the caller makes sure of that); returns how many."""
        analyzer = analyzer or Analyzer()
        seen = 0
        buckets: list[int] = []
        for paper in papers:
            title = analyzer.field(paper.title)
            abstract = analyzer.field(paper.abstract)
            features = title.counts.keys() | abstract.counts.keys()
            buckets.extend(bucket(f) for f in features)
            self.total_length += TITLE_WEIGHT * title.length + abstract.length
            for acronym, expansion in (title.acronyms | abstract.acronyms).items():
                self.acronyms.setdefault(acronym, Counter())[" ".join(expansion)] += 1
                self._reverse = None
            seen += 1
            if len(buckets) > 1_000_000:
                self._add(buckets)
                buckets = []
        self._add(buckets)
        self.documents += seen
        return seen

    def _add(self, buckets: list[int]) -> None:
        if buckets:
            counts = np.bincount(np.asarray(buckets, np.int64), minlength=BUCKETS)
            self.df += counts.astype(np.uint32)

    def idf(self, features: Iterable[str]) -> dict[str, float]:
        """BM25's inverse document frequency of each feature (always positive)."""
        n = self.documents
        result = {}
        for feature in features:
            df = float(self.df[bucket(feature)])
            result[feature] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        return result

    def expansion(self, acronym: str) -> str | None:
        """The usual long form of an acronym (stems, space-separated), when the corpus agrees."""
        counts = self.acronyms.get(acronym)
        if not counts:
            return None
        best, count = max(counts.items(), key=lambda item: (item[1], item[0]))
        return best if count >= 2 and count * 2 > sum(counts.values()) else None

    def acronym_for(self, stems: str) -> str | None:
        """The acronym the corpus most often gives a long form (stems, space-separated)."""
        if self._reverse is None:
            ranked: dict[str, tuple[int, str]] = {}
            for acronym, counts in self.acronyms.items():
                long_form = self.expansion(acronym)
                if long_form is not None:
                    candidate = (counts[long_form], acronym)
                    ranked[long_form] = max(ranked.get(long_form, candidate), candidate)
            self._reverse = {long_form: best[1] for long_form, best in ranked.items()}
        return self._reverse.get(stems)

    def to_bytes(self) -> bytes:
        """A compact serialisation for the store (compressed; mostly empty buckets)."""
        # Definitions seen once are kept: a store counted day by day sees each one a day.
        kept = self.acronyms
        if len(kept) > _MAX_ACRONYMS:
            ranked = sorted(kept.items(), key=lambda item: -sum(item[1].values()))
            kept = dict(ranked[:_MAX_ACRONYMS])
        pruned = {a: dict(c.most_common(_MAX_EXPANSIONS)) for a, c in kept.items()}
        header = repr((FORMAT_VERSION, self.documents, self.total_length, pruned)).encode()
        body = zlib.compress(self.df.astype("<u4").tobytes(), 6)
        return len(header).to_bytes(8, "little") + header + body

    @classmethod
    def from_bytes(cls, blob: bytes) -> CorpusStats:
        """What `to_bytes` wrote; ValueError when it cannot be read (the caller recounts)."""

        size = int.from_bytes(blob[:8], "little")
        try:
            header = ast.literal_eval(blob[8 : 8 + size].decode())
            version, documents, total_length, acronyms = header
            if version != FORMAT_VERSION:
                raise ValueError(f"format {version}, expected {FORMAT_VERSION}")
            df = np.frombuffer(zlib.decompress(blob[8 + size :]), "<u4").astype(np.uint32)
        except (ValueError, SyntaxError, TypeError, UnicodeDecodeError, zlib.error) as exc:
            raise ValueError(f"corpus statistics cannot be read: {exc}") from None
        if df.shape != (BUCKETS,):
            raise ValueError("corpus statistics have the wrong number of buckets")
        return cls(documents, total_length, df, {a: Counter(c) for a, c in acronyms.items()})
