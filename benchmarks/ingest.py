"""Ingest speed: parse and store a 2,000-item arXiv feed and a 1,000-record OAI page.

    python benchmarks/ingest.py [--runs 5] [--postgres URL | --no-postgres]

The feed is built from the real stat feed of 2024-03-26 (123 items) repeated with fresh ids
until it holds 2,000 items, so its XML is arXiv's own. The OAI page is the real 1,000-record
page in corpus/. Each run uses a new, empty database; the table shows medians over the runs:
parse alone, the first store (all rows new), a second store (all rows unchanged), and
parse + first store together as papers per second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import postgres_schema

from paperwire import FeedBatch, open_store, parse

REPO = Path(__file__).resolve().parent.parent
REAL = Path(os.environ.get("PAPERWIRE_FIXTURES", REPO.parent / "shared" / "fixtures" / "real"))
NOW = dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC)


def feed_of(size: int) -> bytes:
    """arXiv's stat feed with its items repeated under new ids until there are `size` of them."""
    text = (REAL / "rss2" / "rss_stat_2024-03-26_full.xml").read_text(encoding="utf-8")
    items = re.findall(r"<item>.*?</item>", text, flags=re.DOTALL)
    head, tail = text[: text.index("<item>")], text[text.rindex("</item>") + len("</item>") :]
    out = []
    for n in range(size):
        new_id = f"2611.{n:05d}"
        out.append(re.sub(r"\d{4}\.\d{4,5}", new_id, items[n % len(items)]))
    return (head + "\n".join(out) + tail).encode()


def parse_feed(body: bytes, url: str) -> FeedBatch:
    return parse("arxiv-rss", body, url)


def parse_oai(body: bytes, url: str) -> FeedBatch:
    return parse("arxiv-oai", body, url)


def median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(
    label: str,
    body: bytes,
    parse: Callable[[bytes, str], FeedBatch],
    make_url: Callable[[], tuple[str, Callable[[], None]]],
    runs: int,
) -> list[str]:
    parse_s = median_seconds(lambda: parse(body, "bench"), runs)
    papers = parse(body, "bench").papers
    first, second = [], []
    for _ in range(runs):
        url, cleanup = make_url()
        store = open_store(url)
        try:
            start = time.perf_counter()
            with store.transaction() as connection:
                counts = store.upsert_papers(connection, papers, NOW)
            first.append(time.perf_counter() - start)
            assert counts.added == len({p.arxiv_id for p in papers}), counts
            start = time.perf_counter()
            with store.transaction() as connection:
                again = store.upsert_papers(connection, papers, NOW)
            second.append(time.perf_counter() - start)
            assert again.added == 0 and again.updated == 0, again
        finally:
            store.close()
            cleanup()
    store_s, restore_s = statistics.median(first), statistics.median(second)
    n = len(papers)
    return [
        label,
        str(n),
        f"{n / parse_s:,.0f}",
        f"{n / store_s:,.0f}",
        f"{n / restore_s:,.0f}",
        f"{n / (parse_s + store_s):,.0f}",
    ]


def sqlite_factory() -> tuple[str, Callable[[], None]]:
    folder = tempfile.TemporaryDirectory()
    return f"sqlite:///{folder.name}/bench.sqlite3", folder.cleanup


def postgres_factory(base: str) -> Callable[[], tuple[str, Callable[[], None]]]:
    return lambda: postgres_schema(base)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if not REAL.is_dir():
        print(f"needs the real fixtures at {REAL} (set PAPERWIRE_FIXTURES)", file=sys.stderr)
        return 2
    feed = feed_of(2000)
    oai = (REAL / "corpus" / "oai_cs_set_page_1000rec_2016.xml").read_bytes()
    databases: list[tuple[str, Callable[[], tuple[str, Callable[[], None]]]]] = [
        ("SQLite", sqlite_factory)
    ]
    if not args.no_postgres:
        databases.append(("PostgreSQL", postgres_factory(args.postgres)))
    rows = [["input", "papers", "parse/s", "store new/s", "store unchanged/s", "parse+store/s"]]
    for db_name, factory in databases:
        rows.append(bench(f"RSS feed → {db_name}", feed, parse_feed, factory, args.runs))
        rows.append(bench(f"OAI page → {db_name}", oai, parse_oai, factory, args.runs))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(f"medians of {args.runs} runs; papers per second")
    for n, row in enumerate(rows):
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
