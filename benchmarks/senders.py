"""Several senders on one PostgreSQL store: how much faster three deliver than one.

    python benchmarks/senders.py [--digests 3000] [--latency 0.05] [--senders 1 3] [--runs 1]
                                 [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

The issue's target: against a loopback SMTP server that takes 50 ms to accept each message (as a
real relay may), three senders deliver 3,000 digests at least 2.5 times as fast as one, and no
digest twice.

The store (a throwaway schema of --database) holds --digests readers and one small real day
(300 real papers served as arXiv's RSS from 127.0.0.1 and fetched by `paperwire fetch`);
`paperwire send --plan-only` records every reader's digest, pending. Each timed run starts from
that ledger (restored in SQL), launches N `paperwire send --deliver-only -q` processes at once
and waits for all of them: wall time, digests per second, and what the mail server accepted
(every Message-ID exactly once, or the benchmark stops). The mail server is aiosmtpd in this
process, answering each DATA after --latency seconds; connections are served concurrently.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import insert_readers, postgres_schema
from sending import (
    FeedServer,
    MailServer,
    accepted_archives,
    clean_environment,
    day_papers,
    feed_xml,
    latest_announcement,
    write_config,
)

KEYWORDS = ["learning", "network", "model", "graph", "data", "optimization"]


def paperwire(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "paperwire", *args, "--config", str(config)],
        cwd=config.parent,
        env=clean_environment() | {"HOME": str(config.parent)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def checked(config: Path, *args: str) -> str:
    process = paperwire(config, *args)
    output, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"paperwire {' '.join(args)} exited {process.returncode}:\n{output}")
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--digests", type=int, default=3000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--senders", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)

    import datetime as dt

    import sqlalchemy as sa

    day = latest_announcement(dt.datetime.now(dt.UTC))
    papers, source = day_papers(300)
    archives = accepted_archives(
        {str(c).split(".")[0] for p in papers for c in p["categories"]}  # type: ignore[attr-defined]
    )
    feed = FeedServer(feed_xml(day, papers))
    mail = MailServer(delay=args.latency)
    url, drop = postgres_schema(args.database)
    home = Path(tempfile.mkdtemp(prefix="pw-senders-"))
    times: dict[int, list[float]] = collections.defaultdict(list)
    try:
        config = write_config(home, url, feed.url, archives, mail.port)
        entries = [
            {"email": f"reader{n:06d}@example.org", "keywords": [KEYWORDS[n % len(KEYWORDS)]]}
            for n in range(args.digests)
        ]
        readers_file = home / "readers.json"
        readers_file.write_text(json.dumps(entries), encoding="utf-8")
        insert_readers(url, entries)
        checked(config, "fetch", "-q")
        started = time.perf_counter()
        checked(config, "send", "--plan-only", "-q")
        planning = time.perf_counter() - started
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            pending = connection.execute(
                sa.text("SELECT count(*) FROM deliveries WHERE state = 'pending'")
            ).scalar_one()
            connection.execute(sa.text("CREATE TABLE planned AS SELECT * FROM deliveries"))
        print(f"papers: {source}; {pending:,} digests planned in {planning:.1f} s", flush=True)
        for run in range(args.runs):
            for count in args.senders:
                with engine.begin() as connection:
                    connection.execute(sa.text("DELETE FROM deliveries"))
                    connection.execute(sa.text("INSERT INTO deliveries SELECT * FROM planned"))
                before = len(mail.messages)
                started = time.perf_counter()
                senders = [paperwire(config, "send", "--deliver-only", "-q") for _ in range(count)]
                outputs = [s.communicate()[0] for s in senders]
                wall = time.perf_counter() - started
                if any(s.returncode for s in senders) or any(outputs):
                    raise SystemExit(f"a sender failed:\n{''.join(outputs)}")
                ids = collections.Counter(mail.messages[before:])
                if len(ids) != pending or set(ids.values()) != {1}:
                    twice = sum(1 for n in ids.values() if n > 1)
                    raise SystemExit(f"{len(ids)} of {pending} digests arrived; {twice} twice")
                times[count].append(wall)
                print(f"  run {run + 1}: {count} sender(s): {wall:.1f} s", flush=True)
        engine.dispose()
    finally:
        feed.close()
        mail.close()
        drop()

    one = statistics.median(times[args.senders[0]])
    print(f"\n{pending:,} digests, SMTP answering after {args.latency * 1000:.0f} ms, "
          f"PostgreSQL, median of {args.runs}\n")  # fmt: skip
    print(f"| senders | seconds | digests/s | vs {args.senders[0]} |")
    print("|---:|---:|---:|---:|")
    for count in args.senders:
        wall = statistics.median(times[count])
        print(f"| {count} | {wall:.1f} | {pending / wall:.1f} | {one / wall:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
