"""What a reader's 👍 and 👎 do to their ranking: the feedback model.

From MIN_JUDGMENTS votes on (of both kinds together), the newest MAX_EXAMPLES of each kind
join the reader's profile as example papers (Profile.like, Profile.dislike), and the ranker
(scoring.profiles, scoring.ranker) does the rest:

- the liked papers' mean tf-idf vector is a topic, like a description: papers close to it
  score more and are listed, and the why line names the liked paper each is closest to
  ("like 2411.01234 (its title)"). n liked papers weigh n / (n + 3) of a description, so that
  a first few count for less;
- the disliked papers' mean vector takes score from papers much closer to it than to the
  liked ones (RankSettings.dislike_floor), never below being listed. The papers a reader
  dislikes in a digest share the reader's own keywords, so pushing away from them in general
  costs relevant papers; measured in benchmarks/feedback.py.

A reader with fewer votes, or with no 👍 among them, is not left alone: their strongest past
matches (Judgments.past, the best full keyword matches of their recent digests) stand in for
liked papers, those that still show one of their terms, and list papers only on closer evidence
(RankSettings.past_threshold): pseudo-relevance feedback from the reader's own digests.

Nothing is trained: one more vote is one more example, counted from the next ranking on, and
10,000 readers' models are their example papers' vectors (each paper analysed once) summed.
"""

from __future__ import annotations

import dataclasses

from paperwire.models import Judgments, Profile

MIN_JUDGMENTS = 3  # fewer judgments (of both kinds together) change nothing: too few to tell
MAX_EXAMPLES = 30  # the newest judgments of each kind that count
PAST_EXAMPLES = 5  # a reader's strongest past matches that stand in for likes
MIN_PAST = 3  # fewer past matches change nothing
PAST_DAYS = 14  # how far back past matches are looked for

__all__ = [
    "MAX_EXAMPLES",
    "MIN_JUDGMENTS",
    "MIN_PAST",
    "PAST_DAYS",
    "PAST_EXAMPLES",
    "Judgments",
    "with_feedback",
]


def with_feedback(profile: Profile, judged: Judgments) -> Profile:
    """`profile` with the reader's judged papers as its liked and disliked examples, or with
    no judgments, their strongest past matches."""
    liked, disliked = judged.liked[:MAX_EXAMPLES], judged.disliked[:MAX_EXAMPLES]
    # Past matches stand in for likes the reader has not given: with too few votes, or with
    # votes that are all 👎.
    past = list(judged.past[:PAST_EXAMPLES]) if len(judged.past) >= MIN_PAST else []
    if len(liked) + len(disliked) < MIN_JUDGMENTS:
        return dataclasses.replace(profile, past=past) if past else profile
    return dataclasses.replace(
        profile,
        like=list(dict.fromkeys([*profile.like, *liked])),
        dislike=list(dict.fromkeys([*profile.dislike, *disliked])),
        past=[] if liked else past,
    )
