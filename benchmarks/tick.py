"""What a cron tick costs: `paperwire run` when nothing is due, and the due check at scale.

    python benchmarks/tick.py [--subscribers 1000 10000] [--runs 5]

`run` is meant to be called every few minutes, so its idle cost is what a server pays all
day. Rows:
- process, idle: `python -m paperwire run` as cron starts it (interpreter, imports, settings,
  store, lock, subscriber sync, due check), with one announcement stored, every reader's
  digest already sent and no fetch due. Wall time of the whole process.
- readers + due check: `readers()` (file subscribers synced, all rows read) and
  `due_readers()` for N readers kept in the database, half with a send time.
- idle tick in-process: `tick()` with nothing due and no fetch due, for N readers.
Figures are medians of --runs runs, on a SQLite file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from paperwire.config import Settings, SubscriberSettings
from paperwire.delivery.email.outbox import OutboxTransport
from paperwire.http import PoliteSession
from paperwire.models import AnnounceType, Paper
from paperwire.scheduling.due import due_readers, readers
from paperwire.scheduling.tick import tick
from paperwire.sources.arxiv.fetch import feed_key
from paperwire.store import open_store

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)  # a Tuesday
DAY = dt.date(2026, 11, 24)


def _stock(url: str, count: int) -> Settings:
    store = open_store(url)
    papers = [
        Paper(
            f"2611.{n:05d}",
            f"Paper {n}",
            abstract="words",
            authors=["A. Author"],
            categories=["cs.LG"],
            primary_category="cs.LG",
            version=1,
            announce_type=AnnounceType.NEW,
            announced=DAY,
        )
        for n in range(50)
    ]
    with store.transaction() as connection:
        store.upsert_papers(connection, papers, NOW)
        store.record_feed_day(
            connection,
            feed_key=feed_key(["cs.LG"]),
            announced=DAY,
            route="rss",
            status="announced",
            items=50,
            now=NOW,
        )
    for n in range(count):
        extra = {"send_at": "07:00", "timezone": "Europe/Berlin"} if n % 2 else {}
        subscriber = SubscriberSettings(email=f"r{n}@example.org", keywords=["x"], **extra)
        store.subscribers.add(subscriber, NOW)
    store.close()
    return Settings.model_validate(
        {"database": {"url": url}, "sources": {"arxiv": {"categories": ["cs.LG"]}}}
    )


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        url = f"sqlite:///{home / 'idle.sqlite3'}"
        _stock(url, 20)
        env = os.environ | {
            "HOME": str(home),
            "PAPERWIRE_CONFIG": "",
            "PAPERWIRE_DATABASE__URL": url,
            "PAPERWIRE_SOURCES__ARXIV__CATEGORIES": "cs.LG",
            "PAPERWIRE_DELIVERY__OUTBOX": str(home / "outbox"),
        }
        command = [sys.executable, "-m", "paperwire", "run", "--no-fetch"]
        subprocess.run(command, env=env, check=True, capture_output=True)  # sends the digests
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            assert done.stdout == "", done.stdout
        rows.append(("process, idle (20 readers)", f"{_median(times) * 1000:.0f} ms"))

        for count in args.subscribers:
            url = f"sqlite:///{home / f'readers{count}.sqlite3'}"
            settings = _stock(url, count)
            store = open_store(url)
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                everyone = readers(store, settings, NOW)
                due_readers(store, everyone, NOW)
                times.append(time.perf_counter() - started)
            rows.append(
                (f"readers + due check, {count:,} readers", f"{_median(times) * 1000:.0f} ms")
            )
            store.close()
        # An idle tick: every digest sent, nothing due to fetch.
        url = f"sqlite:///{home / 'tick.sqlite3'}"
        count = args.subscribers[0]
        settings = _stock(url, count)
        settings.delivery.outbox = str(home / "outbox-tick")
        store = open_store(url)
        http = PoliteSession(user_agent="bench", min_interval=0, timeout=1, retries=0)
        tick(
            store,
            settings,
            http,
            NOW,
            lambda: OutboxTransport(Path(settings.delivery.outbox)),
            fetch=False,
        )
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            report = tick(
                store,
                settings,
                http,
                NOW,
                lambda: OutboxTransport(Path(settings.delivery.outbox)),
                fetch=False,
            )
            times.append(time.perf_counter() - started)
            assert not report.eventful
        rows.append((f"idle tick in-process, {count:,} readers", f"{_median(times) * 1000:.0f} ms"))
        store.close()
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  median of {args.runs}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
