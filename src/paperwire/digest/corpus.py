"""Bring the store's scoring statistics and paper embeddings up to date before ranking."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from paperwire.models import Paper, Profile
from paperwire.scoring import CorpusStats
from paperwire.scoring.analysis import Analyzer
from paperwire.scoring.semantic import Embedder, decode_vector, encode_vector, paper_text
from paperwire.store import Store

log = logging.getLogger(__name__)


def refresh_corpus_stats(store: Store, now: dt.datetime) -> CorpusStats:
    """The statistics of every stored paper: the saved ones plus the papers not yet counted.

    Each paper is counted once, whenever its fetch committed. When two processes count at once,
    the first to save wins and the other starts again from what it saved.
    """
    stats = CorpusStats()
    for _attempt in range(3):
        blob, version = store.corpus_stats()
        stats, everything = CorpusStats(), False
        if blob is not None:
            try:
                stats = CorpusStats.from_bytes(blob)
            except ValueError as exc:  # an older format: count everything again
                log.info("recounting corpus statistics: %s", exc)
                everything = True
        counted: list[str] = []
        for papers in store.uncounted_papers(everything=everything):
            # A fresh analyzer per batch: its stemming cache stays small on a large store.
            stats.update(papers, Analyzer())
            counted += [p.key for p in papers]
        if not counted and blob is not None and stats.documents:
            return stats
        if store.save_corpus_stats(stats.to_bytes(), stats.documents, counted, version, now):
            return stats
    return stats  # still racing after three tries: these counts are as good as theirs


def semantic_vectors(
    store: Store,
    embedder: Embedder,
    papers: Sequence[Paper],
    profiles: Sequence[Profile],
    liked: Mapping[str, Paper],
    now: dt.datetime,
) -> tuple[npt.NDArray[np.float32], list[npt.NDArray[np.float32] | None]]:
    """Unit vectors for the papers (embedded once each, then read from the store) and for each
    profile (its keywords and description, averaged with its liked papers)."""
    wanted = list(dict.fromkeys([p.key for p in papers] + [p.key for p in liked.values()]))
    stored = store.embeddings(wanted, embedder.model_name)
    vectors = {i: decode_vector(b, embedder.dim) for i, b in stored.items()}
    by_id = {p.key: p for p in papers} | {p.key: p for p in liked.values()}
    missing = [i for i in wanted if i not in vectors]
    if missing:
        computed = embedder.embed([paper_text(by_id[i].title, by_id[i].abstract) for i in missing])
        fresh = dict(zip(missing, computed, strict=True))
        vectors.update(fresh)
        store.save_embeddings(
            embedder.model_name,
            embedder.dim,
            {i: encode_vector(v) for i, v in fresh.items()},
            now,
        )
    matrix = np.stack([vectors[p.key] for p in papers]).astype(np.float32)
    profile_vectors: list[npt.NDArray[np.float32] | None] = []
    for profile in profiles:
        parts = []
        text = "; ".join([*(k.split("^")[0] for k in profile.keywords), profile.description])
        if text.strip("; "):
            parts.append(embedder.embed([text])[0])
        parts += [vectors[liked[i].key] for i in profile.like if i in liked]
        if not parts:
            profile_vectors.append(None)
            continue
        mean = np.mean(np.stack(parts), axis=0)
        norm = float(np.linalg.norm(mean))
        profile_vectors.append((mean / norm).astype(np.float32) if norm else None)
    return matrix, profile_vectors
