"""Learning from feedback: simulated readers judge papers from their digests, and the ranking of
the papers that come after is measured.

    python benchmarks/feedback.py [--fixtures DIR] [--dataset NAME ...] [--judgments 0 3 10 30]
    python benchmarks/feedback.py --readers 10000     # the time to update that many readers

The labelled collections and the readers' keyword profiles are relevance.py's (written before
any ranker ran; not tuned). Each collection is split in two by its ids (hashed, so the split is
random): the earlier half is what a reader has seen, the later half what comes next.

Two kinds of simulated reader, both judging from the labels:

- judges what they read: reads their digest of the earlier half (paperwire's whole ranking for
  their keywords, best first) and gives the first n papers a 👍 when relevant, a 👎 when not;
- likes only: gives a 👍 to the first n relevant papers of that digest and says nothing else
  (arxiv-sanity's readers tag the papers they like).

For n = 0, 3, 10, 30 judgments, each model ranks the later half:

- keywords only: paperwire with no feedback (the same for every n);
- paperwire + feedback: the reader's judgments through paperwire's feedback model (and the
  same with the 👎 left out, to show what they add);
- arxiv-sanity SVM: a per-reader linear SVM over tf-idf (arxiv-sanity-lite's settings), the
  liked papers positive and every other earlier paper negative; with no 👍 there is nothing to
  train and the keyword ranking stands. Needs scikit-learn (`pip install scikit-learn`).

Scores are MAP over the topics of each collection, on the later half, for the whole ranking
and for the papers a digest lists by default (full matches and feedback matches only; the rest
count as misses; arxiv-sanity lists every paper by score, so its two are the same).
`--readers N` times building N readers' feedback models (30 judgments each) against
training N arxiv-sanity SVMs (timed on 50 and scaled).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from relevance import (
    DEFAULT_FIXTURES,
    LOADERS,
    PROFILES,
    Dataset,
    FixturesMissing,
    average_precision,
)

from paperwire import CorpusStats, Paper, Profile, Ranker
from paperwire.scoring.feedback import PAST_EXAMPLES, Judgments, with_feedback

JUDGMENTS = (0, 3, 10, 30)
MIN_RELEVANT = 3  # a topic is measured when each half holds at least this many relevant papers


@dataclass
class Split:
    dataset: Dataset
    earlier: list[Paper]
    later: list[Paper]
    stats: CorpusStats
    by_id: dict[str, Paper]


def split(dataset: Dataset) -> Split:
    ordered = sorted(dataset.papers, key=lambda p: p.key)
    half = len(ordered) // 2
    stats = CorpusStats()
    stats.update(ordered)
    return Split(dataset, ordered[:half], ordered[half:], stats, {p.key: p for p in ordered})


def judgments_of(
    reader: str, ranker: Ranker, data: Split, profile: Profile, relevant: set[str], n: int
) -> Judgments:
    """What a simulated reader says about the first papers of their earlier digest."""
    if n == 0:
        return Judgments()
    [ranked] = ranker.rank(data.earlier, [profile], require_match=False)
    liked: list[str] = []
    disliked: list[str] = []
    for scored in ranked:
        key = scored.paper.key
        if reader == "likes only":
            if key in relevant:
                liked.append(key)
            if len(liked) == n:
                break
        else:
            (liked if key in relevant else disliked).append(key)
            if len(liked) + len(disliked) == n:
                break
    return Judgments(tuple(liked), tuple(disliked))


# --- models: (split, profile, judgments) -> (whole ranking, listed) of the later half ---------

Model = Callable[[Split, Profile, Judgments], tuple[list[str], list[str]]]


def keywords_only(data: Split, profile: Profile, judged: Judgments) -> tuple[list[str], list[str]]:
    return paperwire_feedback(data, profile, Judgments())


def paperwire_feedback(
    data: Split, profile: Profile, judged: Judgments
) -> tuple[list[str], list[str]]:
    ranker = Ranker(data.stats)
    effective = with_feedback(profile, judged)
    examples = {k: data.by_id[k] for k in (*judged.liked, *judged.disliked)}
    [whole] = ranker.rank(data.later, [effective], liked=examples, require_match=False)
    [listed] = ranker.rank(data.later, [effective], liked=examples, require_match=True)
    return [s.paper.key for s in whole], [s.paper.key for s in listed]


class SanitySVM:
    """arxiv-sanity-lite's recommendation: tf-idf over every paper, a LinearSVC per reader."""

    def __init__(self, papers: Sequence[Paper]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(
            strip_accents="unicode",
            lowercase=True,
            analyzer="word",
            stop_words="english",
            token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
            ngram_range=(1, 2),
            max_features=20000,
            norm="l2",
            use_idf=True,
            smooth_idf=True,
            sublinear_tf=True,
            max_df=0.1,
            min_df=5,
        )
        self.keys = [p.key for p in papers]
        self.row = {k: i for i, k in enumerate(self.keys)}
        self.matrix = vectorizer.fit_transform([f"{p.title} | {p.abstract}" for p in papers])

    def scores(self, train: Sequence[str], liked: Sequence[str]) -> dict[str, float] | None:
        from sklearn import svm

        if not liked:
            return None
        rows = [self.row[k] for k in train]
        y = [1 if k in set(liked) else 0 for k in train]
        if len(set(y)) < 2:
            return None
        classifier = svm.LinearSVC(
            class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.01
        )
        classifier.fit(self.matrix[rows], y)
        values = classifier.decision_function(self.matrix)
        return {k: float(values[i]) for i, k in enumerate(self.keys)}


_SVMS: dict[int, SanitySVM] = {}


def likes_alone(data: Split, profile: Profile, judged: Judgments) -> tuple[list[str], list[str]]:
    """paperwire with the 👎 left out (what the dislikes add, by difference)."""
    return paperwire_feedback(data, profile, Judgments(judged.liked))


def sanity_svm(data: Split, profile: Profile, judged: Judgments) -> tuple[list[str], list[str]]:
    model = _SVMS.get(id(data))
    if model is None:
        model = _SVMS[id(data)] = SanitySVM([*data.earlier, *data.later])
    scores = model.scores([p.key for p in data.earlier], judged.liked)
    if scores is None:
        return keywords_only(data, profile, judged)
    later = sorted((p.key for p in data.later), key=lambda k: (-scores[k], k))
    return later, later  # arxiv-sanity lists every paper, by score


MODELS: dict[str, Model] = {
    "keywords only": keywords_only,
    "paperwire + feedback": paperwire_feedback,
    "paperwire + feedback, 👎 ignored": likes_alone,
    "arxiv-sanity SVM": sanity_svm,
}
READERS = ("judges what they read", "likes only")


def measure(data: Split, counts: Sequence[int]) -> dict[tuple[str, str, int], tuple[float, float]]:
    """(reader, model, n) -> (MAP of the whole ranking, MAP of what is listed)."""
    ranker = Ranker(data.stats)
    profiles = PROFILES[data.dataset.name]
    later_keys = {p.key for p in data.later}
    earlier_keys = {p.key for p in data.earlier}
    topics = {
        topic: relevant
        for topic, relevant in data.dataset.topics.items()
        if len(relevant & later_keys) >= MIN_RELEVANT
        and len(relevant & earlier_keys) >= MIN_RELEVANT
    }
    found: dict[tuple[str, str, int], tuple[float, float]] = {}
    for reader in READERS:
        for n in counts:
            per_model: dict[str, list[tuple[float, float]]] = {m: [] for m in MODELS}
            for topic, relevant in topics.items():
                profile = Profile(keywords=profiles[topic])
                judged = judgments_of(reader, ranker, data, profile, relevant, n)
                target = relevant & later_keys
                for name, model in MODELS.items():
                    whole, listed = model(data, profile, judged)
                    per_model[name].append(
                        (average_precision(whole, target), average_precision(listed, target))
                    )
            for name, values in per_model.items():
                found[(reader, name, n)] = (
                    statistics.fmean(v[0] for v in values),
                    statistics.fmean(v[1] for v in values),
                )
    return found


def print_curves(
    runs: list[tuple[Split, dict[tuple[str, str, int], tuple[float, float]]]],
    counts: Sequence[int],
) -> None:
    for reader in READERS:
        print(f"### {reader}: MAP on the later half, whole ranking / listed\n")
        print("| model | " + " | ".join(f"{n} judgments" for n in counts) + " |")
        print("|---|" + "---:|" * len(counts))
        for name in MODELS:
            cells = []
            for n in counts:
                whole = statistics.fmean(r[(reader, name, n)][0] for _, r in runs)
                listed = statistics.fmean(r[(reader, name, n)][1] for _, r in runs)
                cells.append(f"{whole:.3f} / {listed:.3f}")
            print(f"| {name} | " + " | ".join(cells) + " |")
        print()
        print("per dataset (whole ranking):\n")
        print("| dataset | model | " + " | ".join(f"{n}" for n in counts) + " |")
        print("|---|---|" + "---:|" * len(counts))
        for data, result in runs:
            for name in MODELS:
                cells = [f"{result[(reader, name, n)][0]:.3f}" for n in counts]
                print(f"| {data.dataset.name} | {name} | " + " | ".join(cells) + " |")
        print()


@dataclass
class Listing:
    whole: float  # MAP of the whole ranking
    listed: float  # MAP of what a digest lists
    precision: float  # relevant share of what it lists
    share: float  # share of the papers it lists
    quiet: float  # share it lists of a day with nothing relevant


def measure_past(data: Split) -> dict[str, Listing]:
    """Readers who say nothing: their keywords alone, and with their strongest past matches
    (the first PAST_EXAMPLES full matches of their digest of the earlier half). A quiet day
    is the later half without the topic's relevant papers."""
    ranker = Ranker(data.stats)
    profiles = PROFILES[data.dataset.name]
    later_keys = {p.key for p in data.later}
    rows: dict[str, list[Listing]] = {"keywords only": [], "+ past matches": []}
    for topic, relevant in data.dataset.topics.items():
        target = relevant & later_keys
        if len(target) < MIN_RELEVANT or len(relevant - later_keys) < MIN_RELEVANT:
            continue
        profile = Profile(keywords=profiles[topic])
        [earlier] = ranker.rank(data.earlier, [profile], require_match=True)
        past = tuple(s.paper.key for s in earlier[:PAST_EXAMPLES])
        quiet = [p for p in data.later if p.key not in target]
        for name, judged in (
            ("keywords only", Judgments()),
            ("+ past matches", Judgments(past=past)),
        ):
            effective = with_feedback(profile, judged)
            examples = {k: data.by_id[k] for k in past}
            [whole] = ranker.rank(data.later, [effective], liked=examples, require_match=False)
            [listed] = ranker.rank(data.later, [effective], liked=examples, require_match=True)
            [on_quiet] = ranker.rank(quiet, [effective], liked=examples, require_match=True)
            keys = [s.paper.key for s in listed]
            rows[name].append(
                Listing(
                    average_precision([s.paper.key for s in whole], target),
                    average_precision(keys, target),
                    sum(k in target for k in keys) / len(keys) if keys else 1.0,
                    len(keys) / len(data.later),
                    len(on_quiet) / len(quiet),
                )
            )
    return {
        name: Listing(
            *(statistics.fmean(getattr(v, f) for v in values) for f in Listing.__annotations__)
        )
        for name, values in rows.items()
    }


def print_past(runs: list[tuple[Split, dict[str, Listing]]]) -> None:
    print("### says nothing: keywords alone, and with their strongest past matches\n")
    print("| dataset | model | MAP whole | MAP listed | listed precision | listed | quiet day |")
    print("|---|---|---:|---:|---:|---:|---:|")
    names = list(runs[0][1]) if runs else []
    for data, result in [*runs, (None, None)]:
        for name in names:
            if result is None:
                values = [
                    statistics.fmean(getattr(r[name], f) for _, r in runs)
                    for f in Listing.__annotations__
                ]
                label = "**mean**"
            else:
                values = [getattr(result[name], f) for f in Listing.__annotations__]
                label = data.dataset.name
            whole, listed, precision, share, quiet = values
            print(
                f"| {label} | {name} | {whole:.3f} | {listed:.3f} | {precision:.3f} "
                f"| {share:.1%} | {quiet:.1%} |"
            )
    print()


def time_updates(data: Split, readers: int) -> None:
    """Build `readers` feedback models of 30 judgments each (drawn from the earlier half), and
    train 50 arxiv-sanity SVMs, scaled to `readers`."""
    rng = random.Random(1)
    keys = [p.key for p in data.earlier]
    judged = [
        Judgments(tuple(rng.sample(keys, 20)), tuple(rng.sample(keys, 10))) for _ in range(readers)
    ]
    profile = Profile(keywords=["language models"])
    ranker = Ranker(data.stats)
    start = time.perf_counter()
    effective = [with_feedback(profile, j) for j in judged]
    examples = {k: data.by_id[k] for k in keys}
    for one in effective:
        ranker.compile(one, examples)
    ours = time.perf_counter() - start
    model = SanitySVM([*data.earlier, *data.later])
    start = time.perf_counter()
    for j in judged[:50]:
        model.scores(keys, j.liked)
    svm = (time.perf_counter() - start) / 50 * readers
    print(f"### updating {readers:,} readers (30 judgments each, {data.dataset.name})\n")
    print("| model | seconds |")
    print("|---|---:|")
    print(f"| paperwire + feedback | {ours:.2f} |")
    print(f"| arxiv-sanity SVM (50 timed, scaled) | {svm:.1f} |")
    print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    parser.add_argument("--dataset", nargs="+", choices=list(LOADERS), default=list(LOADERS))
    parser.add_argument("--judgments", nargs="+", type=int, default=list(JUDGMENTS))
    parser.add_argument("--readers", type=int, help="time updating this many readers and exit")
    args = parser.parse_args(argv)
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("feedback: the SVM baseline needs scikit-learn (pip install scikit-learn)")
        return 2
    try:
        datasets = [LOADERS[name](args.fixtures) for name in dict.fromkeys(args.dataset)]
    except FixturesMissing as missing:
        print(
            f"feedback: fixtures not found: {missing} (set --fixtures or $PAPERWIRE_FIXTURES)",
            file=sys.stderr,
        )
        return 2
    if args.readers:
        time_updates(split(datasets[-1]), args.readers)
        return 0
    splits = [split(d) for d in datasets]
    runs = [(data, measure(data, args.judgments)) for data in splits]
    print_curves(runs, args.judgments)
    print_past([(data, measure_past(data)) for data in splits])
    return 0


if __name__ == "__main__":
    sys.exit(main())
