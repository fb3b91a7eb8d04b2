"""Hugging Face Daily Papers: reading responses, storing a day, and trending digests.

    python benchmarks/trending.py [--readers 1000] [--runs 5] [--fixtures DIR]

Rows (each the median of --runs runs):
- parse API JSON: paperwire.parse("huggingface-api", ...) of the real 30-paper response
  (../shared/fixtures/real/hf, or $PAPERWIRE_FIXTURES).
- parse page: paperwire.parse("huggingface-page", ...) of the real 2024 Daily Papers page
  (223 KB of HTML).
- store day (new): upsert_trending of the 30 papers into a fresh SQLite file, one transaction.
- store day (refresh): the same papers again with every upvote grown by one (what `run` does
  every `sources.huggingface.refresh` minutes).
- trending digests: DigestBuilder.build_many of --readers trending readers (keyword profiles
  from a list of topics, half of them with trending_filter) for the stored day.
- trending html+text: rendering one of those digests for email.
Without the fixtures, the repository's tests/fixtures/hf/ files stand in and the table says so.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from paperwire import (
    Digest,
    DigestBuilder,
    DigestRequest,
    Profile,
    Trending,
    open_store,
    parse,
    render,
)

REPO = Path(__file__).resolve().parent.parent
REAL = Path(os.environ.get("PAPERWIRE_FIXTURES", REPO.parent / "shared" / "fixtures" / "real"))
DAY = dt.date(2026, 7, 31)
NOW = dt.datetime(2026, 8, 1, 7, tzinfo=dt.UTC)
TOPICS = [
    "agents", "reinforcement learning", "diffusion", "video", "reasoning", "benchmark",
    "multimodal", "speech", "robot", "retrieval", "compression", "alignment", "safety",
    "code", "mathematics", "3D", "image generation", "long context", "memory", "tokens",
]  # fmt: skip


def _median_ms(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fixtures", type=Path, default=REAL)
    args = parser.parse_args(argv)

    hf = args.fixtures / "hf"
    api_file = hf / "hf_api_daily_papers_2026-07-31_30papers_scout.json"
    page_file = hf / "hf_papers_page_2024-08-01_13papers.html"
    source = "real fixtures"
    if not api_file.exists():
        own = REPO / "tests" / "fixtures" / "hf"
        api_file, page_file = own / "daily_papers_odd.json", own / "papers_page_small.html"
        source = "the repository's small fixtures (real ones not found)"
    api_bytes, page_bytes = api_file.read_bytes(), page_file.read_bytes()
    papers = parse("huggingface-api", api_bytes, "api", day=DAY).papers

    rows: list[tuple[str, str]] = []
    api_ms = _median_ms(lambda: parse("huggingface-api", api_bytes, "a", day=DAY), args.runs)
    rows.append(("parse API JSON", f"{api_ms:.2f} ms"))
    page_ms = _median_ms(lambda: parse("huggingface-page", page_bytes, "p", day=DAY), args.runs)
    rows.append(("parse page", f"{page_ms:.1f} ms"))

    new_times, refresh_times = [], []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(args.runs):
            store = open_store(f"sqlite:///{folder}/{run}.sqlite3")
            start = time.perf_counter()
            with store.transaction() as connection:
                store.upsert_trending(connection, papers, NOW)
            new_times.append((time.perf_counter() - start) * 1000)
            grown = [
                dataclasses.replace(
                    p,
                    trending=dataclasses.replace(p.trending, upvotes=p.trending.upvotes + 1)
                    if p.trending
                    else Trending(DAY),
                )
                for p in papers
            ]
            start = time.perf_counter()
            with store.transaction() as connection:
                store.upsert_trending(connection, grown, NOW)
            refresh_times.append((time.perf_counter() - start) * 1000)
            store.close()
        rows.append(
            (f"store day (new, {len(papers)} papers)", f"{statistics.median(new_times):.1f} ms")
        )
        rows.append(("store day (refresh)", f"{statistics.median(refresh_times):.1f} ms"))

        store = open_store(f"sqlite:///{folder}/0.sqlite3")
        requests = [
            DigestRequest(
                Profile(keywords=[TOPICS[i % len(TOPICS)], TOPICS[(i * 7 + 3) % len(TOPICS)]]),
                DAY,
                DAY,
                kind="trending",
                only_matching=bool(i % 2),
            )
            for i in range(args.readers)
        ]
        digests: list[Digest] = []

        def build() -> None:
            builder = DigestBuilder(store, now=NOW)
            digests[:] = builder.build_many(requests, limit=25)

        build()  # warm: corpus statistics counted once, as a real store already has them
        total = _median_ms(build, args.runs)
        rows.append(
            (
                f"trending digests ({args.readers} readers)",
                f"{total:.0f} ms ({total / args.readers:.2f} ms a reader)",
            )
        )
        digest = max(digests, key=lambda d: len(d.papers))
        render_ms = _median_ms(lambda: (render(digest, "html"), render(digest, "text")), args.runs)
        rows.append((f"trending html+text ({len(digest.papers)} papers)", f"{render_ms:.1f} ms"))
        store.close()

    width = max(len(name) for name, _ in rows)
    print(f"Hugging Face Daily Papers, {source}; median of {args.runs} runs")
    print(f"{'what'.ljust(width)}  median")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main(sys.argv[1:])
