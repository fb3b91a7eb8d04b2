"""Relevance: how well keyword profiles find the papers a topic's labels say are relevant.

    python benchmarks/relevance.py [--fixtures DIR] [--dataset NAME ...] [--per-topic] [--semantic]
    python benchmarks/relevance.py --list-topics     # which topics the thresholds select
    python benchmarks/relevance.py --self-check      # the metric functions on toy examples
    python benchmarks/relevance.py --stemmer inflectional  # paperwire with another stemmer

Three labelled collections from the real fixtures (`corpus/` in PROVENANCE.md):

- koaning-sentences: the arXiv-frontpage project's human sentence labels, all files pooled
  (one document per distinct sentence); a topic is a label with at least 10 positives.
- arxiv-csv: 1,000 cs.* abstracts with their arXiv categories; a topic is a category listed
  by at least 20 papers.
- arxiv-oai: a real 1,000-record OAI-PMH page, parsed by paperwire; a topic is a primary
  category of at least 40 papers, and a paper is relevant when it lists it among its categories.

Each topic gets a reader's profile (2-3 keywords, below in PROFILES; no categories), and each
ranker orders the whole collection for it:

- substring: case-insensitive substring occurrences of the keywords in title and abstract;
- bm25: Okapi BM25 (k1=1.2, b=0.75) over \\w+ tokens, no stemming or stopwords, the keywords'
  tokens as one bag-of-words query;
- paperwire: paperwire's Ranker with corpus statistics of the collection, the whole ranking
  (papers showing a keyword in full, then those showing some of its words);
- paperwire (full matches only): what a digest lists by default (digest.partial_matches off);
- paperwire + semantic (with --semantic, needs the extra): the semantic layer fused in, its model
  the int8 ONNX encoder; "(torch)" the same model under sentence-transformers, where the
  semantic-torch extra is installed.

A document that scores 0 is not retrieved. The tables give, per dataset, the mean over topics
of average precision (MAP; relevant documents never retrieved count as misses) and of nDCG@10
(binary gains), and the total seconds each ranker took for all topics (index or corpus
statistics included, built once per dataset). Ties are broken by document id; the synthetic ids
follow a hash of the text, so they carry no information about the labels.
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import json
import math
import os
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

from paperwire import CorpusStats, Paper, Profile, Ranker, parse

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FIXTURES = Path(
    os.environ.get("PAPERWIRE_FIXTURES", REPO.parent / "shared" / "fixtures" / "real")
)

KOANING_MIN_POSITIVES = 10
CSV_MIN_PAPERS = 20
OAI_MIN_PRIMARY = 40

# Written as a reader would type them to follow each topic, before any ranker was run, and not
# tuned on the labels. Do not edit them to improve a ranker's numbers.
PROFILES: dict[str, dict[str, list[str]]] = {
    "koaning-sentences": {
        "new-dataset": ["new dataset", "corpus"],
        "data-quality": ["data quality", "label noise", "annotation errors"],
        "benchmark": ["benchmark", "leaderboard"],
        "dev-research": ["software developers", "developer productivity", "programmers"],
        "prompt-eng": ["prompt engineering", "prompting"],
        "llms": ["large language models", "LLM"],
        "llm": ["large language models", "LLM"],
    },
    "arxiv-csv": {
        "cs.CV": ["computer vision", "image classification", "object detection"],
        "cs.LG": ["machine learning", "deep learning"],
        "stat.ML": ["statistical learning", "Bayesian inference"],
        "cs.AI": ["artificial intelligence", "AI"],
        "eess.IV": ["image processing", "medical imaging"],
        "cs.RO": ["robotics", "robot"],
        "cs.CL": ["natural language processing", "NLP"],
        "cs.NE": ["evolutionary algorithms", "genetic algorithms", "spiking neural networks"],
    },
    "arxiv-oai": {
        "math.CO": ["combinatorics", "graph theory"],
        "cs.AI": ["artificial intelligence", "AI"],
        "cs.CC": ["computational complexity", "NP-hard"],
        "cs.CL": ["natural language processing", "NLP"],
        "cs.NI": ["wireless networks", "routing"],
        "cs.LO": ["logic", "formal verification", "model checking"],
    },
}


@dataclass
class Dataset:
    name: str
    papers: list[Paper]
    topics: dict[str, set[str]]  # topic -> ids of its relevant papers


class FixturesMissing(Exception):
    pass


def _hashed_ids(prefix: str, texts: Sequence[str]) -> list[str]:
    """Synthetic ids in the order of a hash of each text, so that id ties carry no label order."""
    order = sorted(range(len(texts)), key=lambda i: hashlib.sha1(texts[i].encode()).hexdigest())
    ids = [""] * len(texts)
    for rank, i in enumerate(order):
        ids[i] = f"{prefix}{rank:05d}"
    return ids


def _require(path: Path) -> Path:
    if not path.exists():
        raise FixturesMissing(str(path))
    return path


def load_koaning(fixtures: Path) -> Dataset:
    """All annotated sentences, deduplicated by text; a label is positive if any file says 1."""
    files = sorted((fixtures / "corpus").glob("koaning_annot_*.jsonl"))
    if not files:
        raise FixturesMissing(str(fixtures / "corpus" / "koaning_annot_*.jsonl"))
    labels: dict[str, dict[str, int]] = {}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            merged = labels.setdefault(record["text"], {})
            for label, value in record.get("cats", {}).items():
                merged[label] = max(merged.get(label, 0), int(value))
    texts = list(labels)
    ids = _hashed_ids("s", texts)
    papers = [Paper(key=i, title="", abstract=t) for i, t in zip(ids, texts, strict=True)]
    positives: dict[str, set[str]] = defaultdict(set)
    for i, text in zip(ids, texts, strict=True):
        for label, value in labels[text].items():
            if value:
                positives[label].add(i)
    topics = {k: v for k, v in positives.items() if len(v) >= KOANING_MIN_POSITIVES}
    return Dataset("koaning-sentences", papers, topics)


def load_csv(fixtures: Path) -> Dataset:
    """Title + summary per paper (duplicate rows merged, categories united)."""
    path = _require(fixtures / "corpus" / "cs_abstracts_1000_with_category_terms.csv")
    terms: dict[tuple[str, str], set[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (" ".join(row["titles"].split()), " ".join(row["summaries"].split()))
            terms.setdefault(key, set()).update(ast.literal_eval(row["terms"]))
    keys = list(terms)
    ids = _hashed_ids("c", [f"{title}\n{abstract}" for title, abstract in keys])
    papers = [Paper(key=i, title=t, abstract=a) for i, (t, a) in zip(ids, keys, strict=True)]
    listed: dict[str, set[str]] = defaultdict(set)
    for i, key in zip(ids, keys, strict=True):
        for category in terms[key]:
            listed[category].add(i)
    topics = {k: v for k, v in listed.items() if len(v) >= CSV_MIN_PAPERS}
    return Dataset("arxiv-csv", papers, topics)


def load_oai(fixtures: Path) -> Dataset:
    """The 1,000-record OAI page through paperwire's own parser."""
    path = _require(fixtures / "corpus" / "oai_cs_set_page_1000rec_2016.xml")
    papers = parse("arxiv-oai", path.read_bytes(), str(path)).papers
    primary = Counter(p.primary_category for p in papers if p.primary_category)
    topics = {
        category: {p.arxiv_id for p in papers if category in p.categories}
        for category, count in primary.items()
        if count >= OAI_MIN_PRIMARY
    }
    # Rankers see keywords only: the collection they get keeps no category labels.
    blind = [Paper(key=p.key, title=p.title, abstract=p.abstract) for p in papers]
    return Dataset("arxiv-oai", blind, topics)


LOADERS: dict[str, Callable[[Path], Dataset]] = {
    "koaning-sentences": load_koaning,
    "arxiv-csv": load_csv,
    "arxiv-oai": load_oai,
}


# --- rankers: (collection, profile) -> ids of the retrieved papers, best first ---------------

RankFunction = Callable[[list[Paper], Profile], list[str]]

_PER_COLLECTION: dict[tuple[str, int], tuple[list[Paper], object]] = {}
T = TypeVar("T")


def per_collection(kind: str, collection: list[Paper], build: Callable[[], T]) -> T:
    """Build something about a collection once (the same list for all topics of a dataset)."""
    key = (kind, id(collection))
    seen = _PER_COLLECTION.get(key)
    if seen is None or seen[0] is not collection:
        seen = (collection, build())
        _PER_COLLECTION[key] = seen
    return cast(T, seen[1])


def _by_score(scores: dict[str, float]) -> list[str]:
    return sorted((i for i, s in scores.items() if s > 0), key=lambda i: (-scores[i], i))


def substring_ranking(collection: list[Paper], profile: Profile) -> list[str]:
    keywords = [k.lower() for k in profile.keywords if k.strip()]
    scores: dict[str, float] = {}
    for paper in collection:
        title, abstract = paper.title.lower(), paper.abstract.lower()
        scores[paper.arxiv_id] = sum(title.count(k) + abstract.count(k) for k in keywords)
    return _by_score(scores)


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


class BM25:
    """Okapi BM25 over one field (title + abstract), idf = ln(1 + (N - df + 0.5) / (df + 0.5))."""

    def __init__(self, collection: list[Paper], k1: float = 1.2, b: float = 0.75) -> None:
        self.ids = [p.arxiv_id for p in collection]
        self.k1, self.b = k1, b
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lengths: list[int] = []
        for n, paper in enumerate(collection):
            counts = Counter(tokens(f"{paper.title} {paper.abstract}"))
            self.lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                self.postings[term].append((n, tf))
        self.average = sum(self.lengths) / len(self.lengths) if self.lengths else 0.0

    def idf(self, term: str) -> float:
        df, total = len(self.postings.get(term, ())), len(self.ids)
        return math.log(1 + (total - df + 0.5) / (df + 0.5))

    def scores(self, query: list[str]) -> dict[str, float]:
        """Query tokens as a bag: a token repeated in the query counts that many times."""
        scores: dict[str, float] = {}
        for term, times in Counter(query).items():
            idf = self.idf(term)
            for n, tf in self.postings.get(term, ()):
                norm = self.k1 * (1 - self.b + self.b * self.lengths[n] / self.average)
                gain = times * idf * tf * (self.k1 + 1) / (tf + norm)
                scores[self.ids[n]] = scores.get(self.ids[n], 0.0) + gain
        return scores


def bm25_ranking(collection: list[Paper], profile: Profile) -> list[str]:
    index = per_collection("bm25", collection, lambda: BM25(collection))
    query = [t for keyword in profile.keywords for t in tokens(keyword)]
    return _by_score(index.scores(query))


def corpus_stats(collection: list[Paper]) -> CorpusStats:
    def build() -> CorpusStats:
        stats = CorpusStats()
        stats.update(collection)
        return stats

    return per_collection("paperwire", collection, build)


def paperwire_ranking(collection: list[Paper], profile: Profile) -> list[str]:
    """paperwire's ranker, with the corpus statistics of the collection (built once per list)."""
    stats = corpus_stats(collection)
    [ranked] = Ranker(stats).rank(collection, [profile], require_match=False)
    return [s.paper.arxiv_id for s in ranked]


def paperwire_matches_ranking(collection: list[Paper], profile: Profile) -> list[str]:
    """What a digest lists by default: only papers showing one of the keywords in full."""
    stats = corpus_stats(collection)
    [ranked] = Ranker(stats).rank(collection, [profile], require_match=True)
    return [s.paper.arxiv_id for s in ranked]


_MODEL_KEYS: dict[str, list[Paper]] = {"onnx": [], "torch": []}  # one embedder per backend


def semantic_ranking(backend: str = "onnx") -> RankFunction:
    """paperwire with the optional semantic layer (sentence embeddings, fused), its model run by
    `backend`: "onnx" (paperwire's int8 encoder) or "torch" (sentence-transformers)."""

    def ranking(collection: list[Paper], profile: Profile) -> list[str]:
        from paperwire import load_embedder, paper_text

        embedder = per_collection(
            f"embedder-{backend}", _MODEL_KEYS[backend], lambda: load_embedder(backend=backend)
        )
        vectors = per_collection(
            f"vectors-{backend}",
            collection,
            lambda: embedder.embed([paper_text(p.title, p.abstract) for p in collection]),
        )
        [query] = embedder.embed(["; ".join(profile.keywords)])
        stats = corpus_stats(collection)
        [ranked] = Ranker(stats).rank(
            collection,
            [profile],
            require_match=False,
            paper_vectors=vectors,
            profile_vectors=[query],
        )
        return [s.paper.arxiv_id for s in ranked]

    return ranking


RANKERS: dict[str, RankFunction] = {
    "substring": substring_ranking,
    "bm25": bm25_ranking,
    "paperwire": paperwire_ranking,
    "paperwire (full matches only)": paperwire_matches_ranking,
}


# --- another stemmer, for comparison -------------------------------------------------------------


def inflectional_stem(word: str) -> str:
    """A light inflectional stemmer (plural -s/-es/-ies, -ed, -ing, a final -e), against which
    paperwire's Snowball (Porter2) stemmer is measured: Porter2 also folds derivations
    ("transformer" and "transform", "conformal" and "conform"), this one does not."""
    if word.endswith("ies") and len(word) > 4 and word[-4] not in "ae":
        word = word[:-3] + "y"
    elif word.endswith(("ches", "shes", "sses", "xes", "zes")) and len(word) > 4:
        word = word[:-2]
    elif word.endswith("s") and len(word) > 3 and word[-2] not in "us" and not word.endswith("is"):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            base = word[: -len(suffix)]
            if base[-1] == base[-2] and base[-1] not in "lsz":  # "running" → "run"
                base = base[:-1]
            return base.rstrip("e")
    return word.rstrip("e") if len(word) > 4 else word


def use_stemmer(name: str) -> None:
    """Make every Analyzer of this process stem with `name` ("porter2": paperwire's own)."""
    if name == "porter2":
        return
    import snowballstemmer

    class Inflectional:
        def stemWord(self, word: str) -> str:  # snowballstemmer's interface
            return inflectional_stem(word)

    snowballstemmer.stemmer = lambda _language: Inflectional()


# --- metrics ----------------------------------------------------------------------------------


def average_precision(ranking: Sequence[str], relevant: set[str]) -> float:
    """Mean of precision at each relevant hit, over all relevant documents (missed ones add 0)."""
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for position, doc in enumerate(ranking, start=1):
        if doc in relevant:
            hits += 1
            total += hits / position
    return total / len(relevant)


def ndcg_at(ranking: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """Binary-gain nDCG@k; the ideal ranking puts min(k, |relevant|) relevant documents first."""
    dcg = sum(1 / math.log2(p + 1) for p, d in enumerate(ranking[:k], start=1) if d in relevant)
    ideal = sum(1 / math.log2(p + 1) for p in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal if ideal else 0.0


def self_check() -> None:
    """The metrics (and the two baselines) on examples small enough to work out by hand."""
    relevant = {"a", "c", "e"}
    close = math.isclose
    # Hits at ranks 1 and 3 of 3 relevant: AP = (1/1 + 2/3) / 3.
    assert close(average_precision(["a", "b", "c", "d"], relevant), (1 + 2 / 3) / 3)
    assert close(average_precision(["a", "c", "e"], relevant), 1.0)
    assert average_precision([], relevant) == 0.0
    assert average_precision(["b", "d"], relevant) == 0.0
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert close(ndcg_at(["a", "b", "c", "d"], relevant), (1 + 1 / math.log2(4)) / ideal)
    assert close(ndcg_at(["e", "c", "a", "x"], relevant), 1.0)
    assert close(ndcg_at(["x", "a"], {"a"}), 1 / math.log2(3))
    # Only the top k count: a hit at rank 3 is invisible to nDCG@2.
    assert ndcg_at(["x", "y", "a"], {"a"}, k=2) == 0.0

    docs = [
        Paper(key="p1", title="Graph networks", abstract="graph graph"),
        Paper(key="p2", title="Subgraph mining", abstract="nothing else"),
        Paper(key="p3", title="Routing", abstract="wireless"),
    ]
    graphs = Profile(keywords=["Graph"])
    assert substring_ranking(docs, graphs) == ["p1", "p2"]  # 3 hits, then 1 ("subgraph")
    index = BM25(docs)
    assert close(index.idf("graph"), math.log(1 + (3 - 1 + 0.5) / (1 + 0.5)))
    assert bm25_ranking(docs, graphs) == ["p1"]  # whole tokens only
    tf, length, avg = 3, 4, (4 + 4 + 2) / 3
    expected = index.idf("graph") * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / avg))
    assert close(index.scores(["graph"])["p1"], expected)
    assert [inflectional_stem(w) for w in ("studies", "boxes", "training", "running")] == [
        "study",
        "box",
        "train",
        "run",
    ]
    assert inflectional_stem("transformer") != inflectional_stem("transform")
    print("self-check passed")


# --- running and printing ---------------------------------------------------------------------


@dataclass
class Result:
    ap: dict[str, float]  # topic -> average precision
    ndcg: dict[str, float]  # topic -> nDCG@10
    seconds: float


def evaluate(dataset: Dataset, ranker: RankFunction) -> Result:
    profiles = PROFILES[dataset.name]
    ap, ndcg = {}, {}
    start = time.perf_counter()
    rankings = {t: ranker(dataset.papers, Profile(keywords=profiles[t])) for t in dataset.topics}
    seconds = time.perf_counter() - start
    for topic, relevant in dataset.topics.items():
        ap[topic] = average_precision(rankings[topic], relevant)
        ndcg[topic] = ndcg_at(rankings[topic], relevant)
    return Result(ap, ndcg, seconds)


def describe_topics(dataset: Dataset) -> str:
    listed = sorted(dataset.topics.items(), key=lambda item: (-len(item[1]), item[0]))
    return ", ".join(f"{topic} ({len(ids)})" for topic, ids in listed)


def print_dataset(dataset: Dataset, results: dict[str, Result], per_topic: bool) -> None:
    print(f"### {dataset.name}\n")
    print(f"{len(dataset.papers)} documents; topics (relevant): {describe_topics(dataset)}\n")
    print("| ranker | topics | docs | MAP | nDCG@10 | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, result in results.items():
        print(
            f"| {name} | {len(dataset.topics)} | {len(dataset.papers)} "
            f"| {statistics.fmean(result.ap.values()):.3f} "
            f"| {statistics.fmean(result.ndcg.values()):.3f} | {result.seconds:.2f} |"
        )
    print()
    if not per_topic:
        return
    names = list(results)
    print("| topic | relevant | profile | " + " | ".join(f"{n} AP / nDCG@10" for n in names) + " |")
    print("|---|---:|---|" + "---:|" * len(names))
    for topic in sorted(dataset.topics, key=lambda t: (-len(dataset.topics[t]), t)):
        cells = [f"{results[n].ap[topic]:.3f} / {results[n].ndcg[topic]:.3f}" for n in names]
        keywords = ", ".join(PROFILES[dataset.name][topic])
        print(
            f"| {topic} | {len(dataset.topics[topic])} | {keywords} | " + " | ".join(cells) + " |"
        )
    print()


def print_overall(runs: list[tuple[Dataset, dict[str, Result]]]) -> None:
    print("### overall (mean of the dataset means, each dataset weighing the same)\n")
    print("| ranker | topics | docs | MAP | nDCG@10 | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    topics = sum(len(d.topics) for d, _ in runs)
    docs = sum(len(d.papers) for d, _ in runs)
    for name in RANKERS:
        maps = [statistics.fmean(r[name].ap.values()) for _, r in runs]
        ndcgs = [statistics.fmean(r[name].ndcg.values()) for _, r in runs]
        seconds = sum(r[name].seconds for _, r in runs)
        print(
            f"| {name} | {topics} | {docs} | {statistics.fmean(maps):.3f} "
            f"| {statistics.fmean(ndcgs):.3f} | {seconds:.2f} |"
        )
    print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    parser.add_argument("--dataset", nargs="+", choices=list(LOADERS), default=list(LOADERS))
    parser.add_argument("--per-topic", action="store_true", help="add a row per topic")
    parser.add_argument("--list-topics", action="store_true", help="print the topics and exit")
    parser.add_argument("--self-check", action="store_true", help="check the metrics and exit")
    parser.add_argument(
        "--semantic",
        action="store_true",
        help="add a row for the semantic layer (needs pip install 'paperwire[semantic]')",
    )
    parser.add_argument(
        "--stemmer",
        choices=["porter2", "inflectional"],
        default="porter2",
        help="the stemmer paperwire's rows use (porter2: paperwire's own)",
    )
    args = parser.parse_args(argv)
    use_stemmer(args.stemmer)
    if args.semantic:
        from paperwire.scoring.semantic import semantic_available

        RANKERS["paperwire + semantic"] = semantic_ranking("onnx")
        if semantic_available("torch"):  # the same model under PyTorch, for comparison
            RANKERS["paperwire + semantic (torch)"] = semantic_ranking("torch")

    if args.self_check:
        self_check()
        return 0
    try:
        datasets = [LOADERS[name](args.fixtures) for name in dict.fromkeys(args.dataset)]
    except FixturesMissing as missing:
        print(
            f"relevance: fixtures not found: {missing} (set --fixtures or $PAPERWIRE_FIXTURES)",
            file=sys.stderr,
        )
        return 2
    if args.list_topics:
        for dataset in datasets:
            print(f"{dataset.name}: {len(dataset.papers)} documents")
            print(f"  {describe_topics(dataset)}")
        return 0
    for dataset in datasets:
        unprofiled = sorted(set(dataset.topics) - set(PROFILES.get(dataset.name, {})))
        if unprofiled:
            print(f"relevance: no profile for {dataset.name} topics {unprofiled}", file=sys.stderr)
            return 2

    runs = []
    for dataset in datasets:
        results = {name: evaluate(dataset, ranker) for name, ranker in RANKERS.items()}
        print_dataset(dataset, results, args.per_topic)
        runs.append((dataset, results))
    print_overall(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
