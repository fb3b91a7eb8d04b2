"""The ranker's constants, in a module light enough for the CLI to import at start-up."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RankSettings:
    """The ranker's constants; the defaults are what the relevance benchmark was run with."""

    k1: float = 1.2
    b: float = 0.75
    author_weight: float = 8.0  # a followed author counts like a strong keyword match
    topic_weight: float = 100.0  # score per unit of cosine with the description / liked papers
    topic_threshold: float = 0.05  # cosine above which similarity alone lists a paper
    past_threshold: float = 0.12  # the same for the reader's past matches (Profile.past)
    dislike_floor: float = 0.2  # how much closer to the disliked papers before a paper drops
    dislike_scale: float = 0.1  # past the floor, the score shrinks e-fold per this much cosine
    semantic_weight: float = 8.0  # score of a perfect embedding match (semantic layer)
    semantic_floor: float = 0.2  # cosines below this add nothing
    semantic_threshold: float = 0.4  # cosine above which the embedding alone lists a paper
    partial_factor: float = 0.5  # a paper showing only part of the reader's terms
    profile_chunk: int = 1024  # profiles per product, to bound memory
    # Hugging Face's upvotes: in a topics digest, a listed paper gains trending_weight x
    # log2(1 + upvotes); in a trending digest, a paper on the reader's topics ranks as if it
    # had 2^trending_bonus times its upvotes.
    trending_weight: float = 0.0
    trending_bonus: float = 3.0
