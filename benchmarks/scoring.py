"""Scoring at scale: how long paperwire's ranker takes, and how much memory, for many readers.

    python benchmarks/scoring.py [--papers 3000] [--profiles 10000] [--runs 3] [--fixtures DIR]
                                 [--limit 25] [--seed 7] [--explain] [--no-scaling]

The issue's target: rank 3,000 papers for 10,000 profiles in at most 10 s on a 2-core machine,
with a peak memory of at most 1 GB.

Papers are real: the distinct papers (by arXiv id and by title) of the fixtures' 1,171-paper
download of koaning/arxiv-frontpage (907 distinct; title and abstract), the 1,000-abstract CSV
with arXiv categories, the 1,000-record OAI-PMH page of set cs (parsed by paperwire: authors and
categories) and the RSS feeds, 3,026 in all; the other OAI-PMH pages are added only when
--papers asks for more. Papers without an id get a synthetic one (b00000, b00001, ...); papers
without authors or categories have none. A configuration ranks a seeded random draw from this
pool (a smaller draw is the start of a larger one); asking for more papers than the fixtures
hold uses them all, never a duplicate.

Profiles are generated (random.Random, one per profile, from --seed) to look like what readers
type: 1-4 keywords each, drawn from frequent title n-grams of the pool and a list of common
ML/CS topics (about 5% with a weight such as "LoRA^2"); about 20% follow 1-2 authors of the OAI
papers, 20% exclude one word, 30% name 1-2 categories (a tenth of those with a weight,
"cs.CL^0.5"), 5% have a boolean query, 5% a description and 3% like two OAI papers. The first N
profiles are the same for every N. Should the ranker raise on these profiles, the traceback is
reported and the configuration is run again with the category weights left out.

Each configuration (papers x profiles) runs in a fresh Python process, so its peak RSS is its
own; the table's peak is read right after the ranking runs (ru_maxrss). Figures are medians
over --runs; every run uses a fresh Ranker(stats), so the stemming cache starts cold as in a
daily run. Corpus statistics are built outside the ranking timing (the store keeps them) and
timed on their own. The breakdown calls Ranker.compile and Ranker.rank_compiled, with the
private methods _documents, _presence, _term_scores, _rank_block and _matched wrapped on the
instance by a timer: no change to the library, but it follows the ranker's private structure
and may need updating when that changes. --explain times Ranker.explain for every listed paper
of the first 1,000 profiles.
"""

from __future__ import annotations

import argparse
import ast
import csv
import gc
import hashlib
import inspect
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import time
import traceback
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paperwire import CorpusStats, FeedBatch, Paper, PaperwireError, Profile, Ranker, parse

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FIXTURES = Path(
    os.environ.get("PAPERWIRE_FIXTURES", REPO.parent / "shared" / "fixtures" / "real")
)
TARGET_SECONDS = 10.0
TARGET_MB = 1024.0
EXPLAIN_PROFILES = 1_000
RESULT_MARK = "RESULT "

# What readers type to follow a field, written for this benchmark (not taken from the papers).
TOPICS = [
    "diffusion models", "LoRA", "graph neural networks", "multi-task learning",
    "reinforcement learning", "large language models", "LLM", "transformers",
    "attention mechanism", "contrastive learning", "self-supervised learning",
    "federated learning", "differential privacy", "adversarial robustness",
    "knowledge distillation", "few-shot learning", "zero-shot learning", "meta-learning",
    "continual learning", "domain adaptation", "transfer learning", "active learning",
    "Bayesian optimization", "Gaussian processes", "variational inference",
    "normalizing flows", "generative adversarial networks", "GAN", "neural architecture search",
    "mixture of experts", "state space models", "retrieval-augmented generation", "RAG",
    "prompt engineering", "in-context learning", "instruction tuning", "RLHF",
    "chain-of-thought", "hallucination", "machine translation", "speech recognition",
    "question answering", "named entity recognition", "sentiment analysis", "object detection",
    "semantic segmentation", "image generation", "point clouds", "NeRF", "pose estimation",
    "autonomous driving", "robot manipulation", "motion planning", "multi-agent systems",
    "causal inference", "explainable AI", "interpretability", "fairness", "anomaly detection",
    "time series forecasting", "recommender systems", "knowledge graphs", "link prediction",
    "quantization", "model compression", "vision-language models", "code generation",
    "program synthesis", "theorem proving", "combinatorial optimization", "graph theory",
    "approximation algorithms", "online learning", "multi-armed bandits", "convex optimization",
    "wireless networks", "formal verification", "model checking",
]  # fmt: skip
EXCLUDES = [
    "survey", "review", "medical", "quantum", "benchmark", "tutorial", "clinical", "speech",
    "robotics", "images", "theoretical", "position paper",
]  # fmt: skip
DESCRIPTIONS = [
    "I work on {0} and {1}, mostly {2}.",
    "Research on {0} for {1}.",
    "Interested in {0}, {1} and how they apply to {2}.",
    "My group studies {0} with a focus on {1}.",
    "PhD student working on {0}; I also follow {1}.",
]
QUERIES = [
    '("{p0}" OR {w0}) AND {w1} NOT survey',
    '"{p0}" AND ({w0} OR {w1})',
    "{w0} {w1} -{w2}",
    '("{p0}" OR "{p1}") NOT {w0}',
]
GENERIC_UNIGRAMS = 20  # the most frequent title words ("learning", "networks") nobody follows

# Local copies of three small helpers paperwire keeps private (the benchmark imports only the
# public `paperwire` package): its analyser's stop words (scoring.analysis.STOPWORDS), its TeX
# stripping (scoring.analysis.strip_tex) and reading an arXiv id from a URL
# (sources.arxiv.ids.split_arxiv_id). They only shape the generated profiles and the pool's ids;
# kept identical to the library's at the time of writing, so the profiles stay the same.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each either else
    etc even ever for from further had has have having he her here hers herself him himself
    his how however i if in into is it its itself just let may me might more most much must
    my myself neither no nor not now of off on once one only or other ought our ours
    ourselves out over own per same shall she should since so some such than that the their
    theirs them themselves then there these they this those though through thus to too under
    until up upon us very via was we were what when where whether which while who whom whose
    why will with within without would yet you your yours yourself yourselves""".split()  # noqa: SIM905
)
_TEX_COMMAND = re.compile(r"\\(?:[A-Za-z]+|.)")
_TEX_NOISE = re.compile(r"[$^_{}~]")
_HYPHENS = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2212\u00ad"})
_ARXIV_ID = re.compile(r"(\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?/\d{7})(?:v\d{1,4}(?!\d))?")


def strip_tex(text: str) -> str:
    """TeX commands and math delimiters removed, Unicode hyphens made ASCII, accents dropped."""
    if "\\" in text or "$" in text:
        text = _TEX_NOISE.sub(" ", _TEX_COMMAND.sub(" ", text))
    text = text.translate(_HYPHENS)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return text


def arxiv_id_in(url: str) -> str:
    """The (last) arXiv id in a URL, without its version; "" when there is none."""
    found = _ARXIV_ID.findall(url)
    return found[-1] if found else ""


def parse_feed(body: bytes, url: str) -> FeedBatch:
    return parse("arxiv-rss", body, url)


def parse_oai(body: bytes, url: str) -> FeedBatch:
    return parse("arxiv-oai", body, url)


# ---------------------------------------------------------------- papers


class FixturesMissing(Exception):
    pass


@dataclass
class Pool:
    """Distinct real papers in source order, and how many each source gave."""

    papers: list[Paper] = field(default_factory=list)
    oai_ids: set[str] = field(default_factory=set)  # the OAI cs page's papers: authors, likes
    sources: list[tuple[str, int, int]] = field(default_factory=list)  # name, read, added
    notes: list[str] = field(default_factory=list)
    _ids: set[str] = field(default_factory=set)
    _titles: set[str] = field(default_factory=set)
    _synthetic: int = 0

    def synthetic_id(self) -> str:
        self._synthetic += 1
        return f"b{self._synthetic - 1:05d}"

    def add(self, name: str, papers: Sequence[Paper]) -> list[Paper]:
        added = []
        for paper in papers:
            key = re.sub(r"[^a-z0-9]", "", paper.title.lower())
            if not key or key in self._titles or paper.arxiv_id in self._ids:
                continue
            if not paper.arxiv_id:
                paper.arxiv_id = self.synthetic_id()
            self._titles.add(key)
            self._ids.add(paper.arxiv_id)
            self.papers.append(paper)
            added.append(paper)
        self.sources.append((name, len(papers), len(added)))
        return added


def _koaning(path: Path) -> list[Paper]:
    papers = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        arxiv_id = arxiv_id_in(record.get("url") or "")
        title, abstract = " ".join(record["title"].split()), " ".join(record["abstract"].split())
        papers.append(Paper(key=arxiv_id, title=title, abstract=abstract))
    return papers


def _csv(path: Path) -> list[Paper]:
    papers = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            categories = list(dict.fromkeys(ast.literal_eval(row["terms"])))
            papers.append(
                Paper(
                    key="",
                    title=" ".join(row["titles"].split()),
                    abstract=" ".join(row["summaries"].split()),
                    categories=categories,
                    primary_category=categories[0] if categories else None,
                )
            )
    return papers


def load_pool(fixtures: Path, want: int) -> Pool:
    """Every distinct paper of the three corpus files and the RSS feeds, then the other OAI-PMH
    pages one by one while there are fewer than `want`.

    The profiles' phrases, authors and categories come from the whole pool, so they do not
    depend on how many papers a configuration ranks.
    """
    corpus = fixtures / "corpus"
    required = [
        corpus / "koaning_downloads_2023-04-08_1171papers.jsonl",
        corpus / "cs_abstracts_1000_with_category_terms.csv",
        corpus / "oai_cs_set_page_1000rec_2016.xml",
    ]
    for path in required:
        if not path.exists():
            raise FixturesMissing(str(path))
    koaning, table, oai_page = required
    pool = Pool()
    pool.add("corpus/ koaning downloads (jsonl)", _koaning(koaning))
    pool.add("corpus/ cs abstracts (csv)", _csv(table))
    oai = parse_oai(oai_page.read_bytes(), str(oai_page)).papers
    pool.oai_ids = {p.arxiv_id for p in pool.add("corpus/ OAI set cs 2016 (xml)", oai)}
    feeds = sorted((fixtures / "rss2").glob("*.xml")) + sorted(
        (fixtures / "rss-atom").glob("*.xml")
    )
    pages = sorted((fixtures / "oai").glob("oai_ListRecords_*.xml"))
    for path in feeds + pages:
        if path in pages and len(pool.papers) >= want:
            break
        read = parse_oai if path in pages else parse_feed
        try:
            papers = read(path.read_bytes(), str(path)).papers
        except PaperwireError as error:  # a FeedFormatError: "URL: reason"
            reason = getattr(error, "reason", str(error))
            pool.notes.append(f"skipped {path.parent.name}/{path.name}: {reason}")
            continue
        pool.add(f"{path.parent.name}/{path.name}", papers)
    return pool


def subset(papers: Sequence[Paper], count: int, seed: int) -> list[Paper]:
    """`count` papers drawn from all sources alike; a smaller draw is the start of a larger."""
    shuffled = list(papers)
    random.Random(seed).shuffle(shuffled)
    return shuffled[:count]


# ---------------------------------------------------------------- profiles


_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
_OPERATORS = {"AND", "OR", "NOT"}
# Title words that are not stop words but make no phrase a reader would follow on their own.
_FILLERS = {"using", "based", "towards", "toward", "new", "novel", "approach", "via", "s"}


def _as_typed(token: str) -> str:
    """A title word as a reader would type it: lower case unless it is an acronym or LoRA."""
    return token if sum(c.isupper() for c in token) >= 2 else token.lower()


def title_phrases(papers: Sequence[Paper]) -> tuple[list[str], list[str], list[str]]:
    """Frequent title n-grams without stop words: (unigrams, bigrams, trigrams), commonest first.

    Counted once per title; unigrams need 5 titles and skip the GENERIC_UNIGRAMS commonest,
    bigrams and trigrams need 3 titles.
    """
    counts: list[Counter[str]] = [Counter(), Counter(), Counter()]
    for paper in papers:
        title = re.sub("['\u2019]s\\b", "", strip_tex(paper.title))  # "ChatGPT's" → "ChatGPT"
        words = [_as_typed(t) for t in _TOKEN.findall(title)]
        seen: set[str] = set()
        for n in (1, 2, 3):
            for start in range(len(words) - n + 1):
                gram = words[start : start + n]
                if any(w.lower() in STOPWORDS | _FILLERS or w in _OPERATORS for w in gram):
                    continue
                if n == 1 and len(gram[0]) < 4 and gram[0].islower():
                    continue
                seen.add(" ".join(gram))
        for phrase in seen:
            counts[phrase.count(" ")][phrase] += 1

    def frequent(counter: Counter[str], minimum: int) -> list[str]:
        ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        return [phrase for phrase, count in ranked if count >= minimum]

    unigrams = frequent(counts[0], 5)[GENERIC_UNIGRAMS:]
    return unigrams, frequent(counts[1], 3), frequent(counts[2], 3)


@dataclass
class Vocabulary:
    unigrams: list[str]
    bigrams: list[str]
    trigrams: list[str]
    authors: list[str]  # one entry per authorship: prolific authors come up more often
    categories: list[str]  # one entry per listing: common categories come up more often
    liked_ids: list[str]


def vocabulary(pool: Pool) -> Vocabulary:
    unigrams, bigrams, trigrams = title_phrases(pool.papers)
    oai = [p for p in pool.papers if p.arxiv_id in pool.oai_ids]
    return Vocabulary(
        unigrams,
        bigrams,
        trigrams,
        [a for p in oai for a in p.authors],
        [c for p in pool.papers for c in p.categories],
        sorted(p.arxiv_id for p in oai),
    )


def _keyword(rng: random.Random, words: Vocabulary) -> str:
    draw = rng.random()
    if draw < 0.3:
        return rng.choice(TOPICS)
    if draw < 0.6:
        return rng.choice(words.bigrams)
    if draw < 0.75:
        return rng.choice(words.trigrams)
    return rng.choice(words.unigrams)


def _phrase(rng: random.Random, words: Vocabulary) -> str:
    """A phrase of two or more words, for quotes in queries and descriptions."""
    if rng.random() < 0.4:
        return rng.choice([t for t in TOPICS if " " in t])
    return rng.choice(words.bigrams)


def make_profiles(
    count: int, words: Vocabulary, seed: int, category_weights: float
) -> list[Profile]:
    """`count` reader profiles; each profile draws from its own seeded generator."""
    profiles = []
    for number in range(count):
        rng = random.Random(f"{seed}-{number}")
        keywords = list(dict.fromkeys(_keyword(rng, words) for _ in range(rng.randint(1, 4))))
        if rng.random() < 0.05:
            index = rng.randrange(len(keywords))
            keywords[index] += f"^{rng.choice(['0.5', '2', '3'])}"
        profile = Profile(keywords=keywords)
        if rng.random() < 0.2 and words.authors:
            profile.authors = list(dict.fromkeys(rng.choices(words.authors, k=rng.randint(1, 2))))
        if rng.random() < 0.2:
            excluded = rng.choice(EXCLUDES) if rng.random() < 0.5 else rng.choice(words.unigrams)
            profile.exclude = [excluded]
        if rng.random() < 0.3 and words.categories:
            categories = dict.fromkeys(rng.choices(words.categories, k=rng.randint(1, 2)))
            profile.categories = [
                f"{c}^0.5" if rng.random() < category_weights else c for c in categories
            ]
        if rng.random() < 0.05:
            template = rng.choice(QUERIES)
            profile.query = template.format(
                p0=_phrase(rng, words),
                p1=_phrase(rng, words),
                w0=rng.choice(words.unigrams),
                w1=rng.choice(words.unigrams),
                w2=rng.choice(words.unigrams),
            )
        if rng.random() < 0.05:
            template = rng.choice(DESCRIPTIONS)
            profile.description = template.format(*(_phrase(rng, words) for _ in range(3)))
        if rng.random() < 0.03 and len(words.liked_ids) >= 2:
            profile.like = rng.sample(words.liked_ids, 2)
        profiles.append(profile)
    return profiles


def profile_mix(profiles: Sequence[Profile]) -> dict[str, float]:
    total = len(profiles) or 1
    share = {
        "1-4 keywords": lambda p: bool(p.keywords),
        "a weighted keyword": lambda p: any("^" in k for k in p.keywords),
        "authors": lambda p: bool(p.authors),
        "an excluded word": lambda p: bool(p.exclude),
        "categories": lambda p: bool(p.categories),
        "a weighted category": lambda p: any("^" in c for c in p.categories),
        "a query": lambda p: bool(p.query),
        "a description": lambda p: bool(p.description),
        "liked papers": lambda p: bool(p.like),
    }
    return {name: sum(map(test, profiles)) / total for name, test in share.items()}


# ---------------------------------------------------------------- one configuration (worker)


def scoring_sources() -> str:
    """A short hash of paperwire.scoring's source files: which ranker a figure belongs to.
    (The package is found through the public Ranker: the folder of the file defining it.)"""
    digest = hashlib.sha1()
    for path in sorted(Path(inspect.getfile(Ranker)).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


def peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _timed(method: Callable[..., Any], name: str, totals: dict[str, float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - start
            totals[name + " calls"] = totals.get(name + " calls", 0) + 1

    return wrapper


BREAKDOWN_METHODS = ("_documents", "_presence", "_term_scores", "_rank_block", "_matched")


def breakdown_run(
    stats: CorpusStats,
    papers: Sequence[Paper],
    profiles: Sequence[Profile],
    liked: dict[str, Paper],
    limit: int,
) -> dict[str, float]:
    """One ranking, as Ranker.rank does it (compile, then rank_compiled), timed by part."""
    ranker = Ranker(stats)
    totals: dict[str, float] = {}
    for name in BREAKDOWN_METHODS:
        setattr(ranker, name, _timed(getattr(ranker, name), name, totals))
    gc.collect()
    start = time.perf_counter()
    compiled = [ranker.compile(p, liked) for p in profiles]
    totals["compile"] = time.perf_counter() - start
    start = time.perf_counter()
    ranker.rank_compiled(papers, compiled, limit=limit)
    totals["rank_compiled"] = time.perf_counter() - start
    named = ("_documents", "_presence", "_term_scores", "_rank_block")
    totals["other"] = totals["rank_compiled"] - sum(totals.get(n, 0.0) for n in named)
    return totals


def explain_run(
    ranker: Ranker,
    results: Sequence[Sequence[Any]],
    profiles: Sequence[Profile],
    liked: dict[str, Paper],
) -> dict[str, float]:
    """Ranker.explain for every listed paper of the first EXPLAIN_PROFILES profiles."""
    count = min(EXPLAIN_PROFILES, len(profiles))
    compiled = [ranker.compile(p, liked) for p in profiles[:count]]
    pairs = 0
    start = time.perf_counter()
    for listed, profile in zip(results[:count], compiled, strict=True):
        for scored in listed:
            ranker.explain(scored, profile)
            pairs += 1
    seconds = time.perf_counter() - start
    return {"profiles": count, "pairs": pairs, "seconds": seconds}


def worker(args: argparse.Namespace) -> dict[str, Any]:
    sources = scoring_sources()
    pool = load_pool(args.fixtures, args.papers)
    papers = subset(pool.papers, args.take_papers, args.seed)
    profiles = make_profiles(args.take_profiles, vocabulary(pool), args.seed, args.category_weights)
    by_id = {p.arxiv_id: p for p in pool.papers}
    liked = {i: by_id[i] for p in profiles for i in p.like}
    loaded_mb = peak_mb()

    stats_seconds = []
    for _ in range(args.runs):
        stats = CorpusStats()
        gc.collect()
        start = time.perf_counter()
        stats.update(papers)
        stats_seconds.append(time.perf_counter() - start)
    before_mb = peak_mb()

    rank_seconds = []
    results: list[list[Any]] = []
    ranker = Ranker(stats)
    for _ in range(args.runs):
        ranker = Ranker(stats)
        results = []  # let the previous run's results go before timing the next
        gc.collect()
        start = time.perf_counter()
        results = ranker.rank(papers, profiles, liked=liked, limit=args.limit)
        rank_seconds.append(time.perf_counter() - start)
    rank_mb = peak_mb()

    parts: dict[str, list[float]] = {}
    for _ in range(args.runs):
        for name, value in breakdown_run(stats, papers, profiles, liked, args.limit).items():
            parts.setdefault(name, []).append(value)

    listed = [len(r) for r in results]
    outcome: dict[str, Any] = {
        "papers": len(papers),
        "profiles": len(profiles),
        "stats_s": statistics.median(stats_seconds),
        "rank_s": statistics.median(rank_seconds),
        "rank_all_s": rank_seconds,
        "parts": {name: statistics.median(values) for name, values in parts.items()},
        "loaded_mb": loaded_mb,
        "before_rank_mb": before_mb,
        "rank_peak_mb": rank_mb,
        "listed_mean": statistics.fmean(listed) if listed else 0.0,
        "with_any": sum(n > 0 for n in listed) / len(listed) if listed else 0.0,
        "at_limit": sum(n >= args.limit for n in listed) / len(listed) if listed else 0.0,
    }
    if args.explain:
        outcome["explain"] = explain_run(ranker, results, profiles, liked)
    outcome["peak_mb"] = peak_mb()
    outcome["sources"] = sources if scoring_sources() == sources else "changed during the run"
    return outcome


def run_worker(
    args: argparse.Namespace, papers: int, profiles: int, explain: bool
) -> dict[str, Any]:
    """One configuration in a fresh interpreter: its peak RSS is its own."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        "--fixtures", str(args.fixtures),
        "--papers", str(args.papers),
        "--profiles", str(args.profiles),
        "--take-papers", str(papers),
        "--take-profiles", str(profiles),
        "--runs", str(args.runs),
        "--limit", str(args.limit),
        "--seed", str(args.seed),
        "--category-weights", str(args.category_weights),
    ]  # fmt: skip
    if explain:
        command.append("--explain")
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if not lines:
        message = f"the worker exited with status {done.returncode} and no result"
        return {"papers": papers, "profiles": profiles, "error": message}
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_MARK) :])
    return result


# ---------------------------------------------------------------- report


def _seconds(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


def print_machine() -> None:
    print("## paperwire scoring benchmark\n")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"Machine: {os.cpu_count()} CPUs (os.cpu_count), "
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.release()} {platform.machine()}; "
        f"load average {load} at the start, {time.strftime('%Y-%m-%d %H:%M')}. "
        f"paperwire.scoring sources {scoring_sources()} (sha1 of its .py files).\n"
    )


def print_inputs(pool: Pool, wanted: int, profiles: Sequence[Profile], words: Vocabulary) -> None:
    print(f"### Inputs\n\nPapers: {len(pool.papers)} distinct real papers (asked for {wanted}).\n")
    print("| source | read | used |")
    print("|---|---:|---:|")
    for name, read, added in pool.sources:
        print(f"| {name} | {read} | {added} |")
    print()
    for note in pool.notes:
        print(f"- {note}")
    if len(pool.papers) < wanted:
        print(f"- only {len(pool.papers)} distinct papers in the fixtures: using them all")
    with_authors = sum(bool(p.authors) for p in pool.papers)
    with_categories = sum(bool(p.categories) for p in pool.papers)
    print(f"- {with_authors} papers have authors, {with_categories} have categories")
    print(
        f"- phrase pool: {len(TOPICS)} topics, {len(words.unigrams)} title words, "
        f"{len(words.bigrams)} two-word and {len(words.trigrams)} three-word title phrases; "
        f"{len(set(words.authors))} OAI authors; {len(set(words.categories))} categories\n"
    )
    shares = ", ".join(f"{name} {share:.0%}" for name, share in profile_mix(profiles).items())
    print(f"Profiles: {len(profiles)}; with {shares}. For example:\n")
    shown: set[str] = set()
    for profile in profiles:
        kind = next(
            (
                k
                for k in ("query", "description", "like", "authors", "categories")
                if getattr(profile, k)
            ),
            "keywords",
        )
        if kind in shown:
            continue
        shown.add(kind)
        fields = {k: v for k, v in vars_of(profile).items() if v}
        print(f"- {fields}")
    print(flush=True)


def vars_of(profile: Profile) -> dict[str, Any]:
    names = ("keywords", "authors", "exclude", "categories", "query", "description", "like")
    return {name: getattr(profile, name) for name in names}


def print_results(
    headline: dict[str, Any], rows: Sequence[dict[str, Any]], args: argparse.Namespace
) -> None:
    print(f"### Ranking (median of {args.runs} runs, limit {args.limit} papers per profile)\n")
    print(
        "| papers | profiles | stats.update s | rank s | RSS before rank MB | peak RSS MB "
        "| papers listed / profile | profiles with ≥ 1 | profiles at limit |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        if "error" in row:
            print(f"| {row.get('papers', '?')} | {row.get('profiles', '?')} | failed (see below) |")
            continue
        mark = " †" if row.get("fallback") else ""
        print(
            f"| {row['papers']} | {row['profiles']}{mark} | {_seconds(row['stats_s'])} "
            f"| {_seconds(row['rank_s'])} | {row['before_rank_mb']:.0f} "
            f"| {row['rank_peak_mb']:.0f} | {row['listed_mean']:.1f} | {row['with_any']:.1%} "
            f"| {row['at_limit']:.1%} |"
        )
    print()
    if any(row.get("fallback") for row in rows):
        print(
            "† the ranker raised with the default profile mix (see Problems); these rows use "
            "the same profiles without category weights.\n"
        )
    if "error" in headline:
        return
    ok_time = headline["rank_s"] <= TARGET_SECONDS
    ok_memory = headline["rank_peak_mb"] <= TARGET_MB
    print(
        f"Target ({headline['papers']} papers x {headline['profiles']} profiles): rank "
        f"{_seconds(headline['rank_s'])} s (≤ {TARGET_SECONDS:.0f} s: "
        f"{'met' if ok_time else 'NOT met'}), peak RSS {headline['rank_peak_mb']:.0f} MB "
        f"(≤ {TARGET_MB:.0f} MB: {'met' if ok_memory else 'NOT met'}). "
        f"The rank runs took {', '.join(_seconds(s) for s in headline['rank_all_s'])} s.\n"
    )


def print_breakdown(rows: Sequence[dict[str, Any]]) -> None:
    usable = [row for row in rows if "parts" in row]
    if not usable:
        return
    print("### Where the time goes (median seconds; separate runs with timers on the instance)\n")
    print("| part | " + " | ".join(f"{r['papers']} x {r['profiles']}" for r in usable) + " |")
    print("|---|" + "---:|" * len(usable))
    labels = [
        ("compile", "compile all profiles (Ranker.compile)"),
        ("rank_compiled", "rank_compiled, of which:"),
        ("_documents", "- analyse papers (_documents)"),
        ("_presence", "- term presence product (_presence)"),
        ("_term_scores", "- term score product (_term_scores)"),
        ("_rank_block", "- profile blocks: products and selection (_rank_block)"),
        ("_matched", "  - of which matched labels (_matched)"),
        ("other", "- vocabulary, id order (the rest)"),
    ]
    for key, label in labels:
        cells = [_seconds(row["parts"].get(key, 0.0)) for row in usable]
        print(f"| {label} | " + " | ".join(cells) + " |")
    calls = [int(r["parts"].get("_matched calls", 0)) for r in usable]
    print(
        f"\n_matched was called {', '.join(map(str, calls))} times (once per profile); "
        "its timer adds about a microsecond per call to these runs, not to the table above.\n"
    )


def print_explain(row: dict[str, Any]) -> None:
    explain = row.get("explain")
    if not explain:
        return
    pairs = explain["pairs"]
    per_pair = 1e6 * explain["seconds"] / pairs if pairs else 0.0
    print("### Explanations (Ranker.explain, after the last ranking run: stemming cache warm)\n")
    print("| profiles | listed papers explained | seconds | µs per paper |")
    print("|---:|---:|---:|---:|")
    print(
        f"| {explain['profiles']} | {pairs} | {_seconds(explain['seconds'])} | {per_pair:.0f} |\n"
    )


# ---------------------------------------------------------------- main


def configurations(papers: int, profiles: int, scaling: bool) -> list[tuple[int, int]]:
    """The headline configuration first, then the scaling grid."""
    wanted = [(papers, profiles)]
    if scaling:
        wanted += [(p, q) for p in (1_000, papers) for q in (1_000, profiles)]
    return list(dict.fromkeys((min(p, papers), min(q, profiles)) for p, q in wanted))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=3_000, help="papers to rank (3000)")
    parser.add_argument("--profiles", type=int, default=10_000, help="reader profiles (10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; medians (3)")
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    parser.add_argument("--limit", type=int, default=25, help="papers listed per profile (25)")
    parser.add_argument("--seed", type=int, default=7, help="profile generator seed (7)")
    parser.add_argument(
        "--category-weights",
        type=float,
        default=0.1,
        help="share of category-naming profiles that weight a category, cs.CL^0.5 (0.1)",
    )
    parser.add_argument("--explain", action="store_true", help="also time Ranker.explain")
    parser.add_argument("--no-scaling", action="store_true", help="the headline figure only")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--take-papers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--take-profiles", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.papers, args.profiles, args.runs, args.limit) < 1:
        parser.error("--papers, --profiles, --runs and --limit must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        try:
            outcome = worker(args)
        except Exception:
            outcome = {
                "papers": args.take_papers,
                "profiles": args.take_profiles,
                "error": traceback.format_exc(),
            }
        print(RESULT_MARK + json.dumps(outcome), flush=True)
        return 0

    try:
        pool = load_pool(args.fixtures, args.papers)
    except FixturesMissing as missing:
        print(f"scoring: fixtures not found: {missing} (set --fixtures or $PAPERWIRE_FIXTURES)")
        return 2
    words = vocabulary(pool)
    profiles = make_profiles(args.profiles, words, args.seed, args.category_weights)
    print_machine()
    print_inputs(pool, args.papers, profiles, words)

    problems: list[str] = []
    rows = []
    fallback = False
    for number, (papers, count) in enumerate(
        configurations(min(args.papers, len(pool.papers)), args.profiles, not args.no_scaling)
    ):
        print(f"running {papers} papers x {count} profiles ...", file=sys.stderr, flush=True)
        explain = args.explain and number == 0
        row = run_worker(args, papers, count, explain)
        if "error" in row and args.category_weights > 0:
            # Retry with the same profiles minus their category weights (the same random
            # draws decide everything else), and keep to that for the other configurations.
            problems.append(f"{papers} papers x {count} profiles:\n\n```\n{row['error']}```")
            args.category_weights = 0.0
            fallback = True
            row = run_worker(args, papers, count, explain)
        row["fallback"] = fallback
        if "error" in row:
            problems.append(f"{papers} papers x {count} profiles:\n\n```\n{row['error']}```")
        rows.append(row)
    headline = rows[0]
    expected = scoring_sources()
    changed = [r for r in rows if r.get("sources", expected) != expected]
    if changed:
        problems.append(
            f"paperwire.scoring changed while the benchmark ran ({len(changed)} of {len(rows)} "
            "configurations saw other sources): the rows do not describe one ranker; run again."
        )
    print_results(
        headline, sorted(rows, key=lambda r: (r.get("papers", 0), r.get("profiles", 0))), args
    )
    print_breakdown(sorted(rows, key=lambda r: (r.get("papers", 0), r.get("profiles", 0))))
    print_explain(headline)
    if problems:
        print("### Problems\n")
        for problem in problems:
            print(f"- {problem}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
