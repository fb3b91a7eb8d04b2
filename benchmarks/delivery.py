"""Delivery speed: rendering digests, composing emails, and sending them to a loopback server.

    python benchmarks/delivery.py [--digests 400] [--messages 500] [--subscribers 200]
                                  [--runs 5]

The issue's targets: render at least 200 digests/s, and send at least 50 messages/s to a
loopback SMTP server over one reused connection.

Digests are real: 1,000 cs papers of the fixtures' OAI-PMH page (title, abstract, authors,
categories), ranked by paperwire for 40 keyword profiles (topics readers type); each digest is
one profile's top 25 with its reasons, so highlights, "why" lines and TeX are what a reader
gets. Without the fixtures (PAPERWIRE_FIXTURES), the repository's own three-paper feed is used,
repeated to 25 papers, and the table says so.

Everything goes through the public `paperwire` package:
- render html+text: paperwire.render(digest, "html") and (digest, "text") of one digest (what
  each email needs).
- compose: the email channel's prepare (Paperwire(settings).channels()["email"].prepare): the
  above plus the MIME message, its bytes and the 100 KB check.
- smtp send: the email channel's deliver of composed messages (their bytes, as the ledger keeps
  them) to an aiosmtpd server on 127.0.0.1 (settings smtp.host/port), one connection for the
  whole batch.
- send_due: Paperwire.send_due, the whole `paperwire send`, for --subscribers readers of the
  configuration on a SQLite file: readers, due check, window, ranking, composing, ledger writes
  before and after each message, and SMTP.
Each figure is the median of --runs runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from aiosmtpd.controller import Controller
from common import load_papers

from paperwire import (
    Digest,
    Paper,
    Paperwire,
    Profile,
    Reader,
    Settings,
    open_store,
    rank_papers,
    render,
)

DAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 7, tzinfo=dt.UTC)
TOPICS = [
    "neural network", "reinforcement learning", "graph", "optimization", "privacy",
    "language model", "robot", "image", "clustering", "complexity", "game theory",
    "security", "quantum", "compression", "sparse", "kernel", "bayesian", "fairness",
    "distributed", "scheduling", "verification", "logic", "database", "wireless",
    "planning", "speech", "translation", "recommendation", "attention", "convex",
    "matrix", "embedding", "detection", "segmentation", "adversarial", "causal",
    "federated", "transfer learning", "generative", "benchmark",
]  # fmt: skip


class _Sink:
    """An SMTP handler that accepts everything and counts it."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.count += 1
        return "250 2.0.0 Ok: queued"


def make_digests(papers: list[Paper], count: int) -> list[Digest]:
    digests = []
    for i in range(count):
        profile = Profile(keywords=[TOPICS[i % len(TOPICS)], TOPICS[(i * 7 + 3) % len(TOPICS)]])
        ranked = rank_papers(papers, profile, limit=None)
        if not ranked:
            continue
        digests.append(
            Digest(profile, DAY, DAY, len(papers), ranked[:25], NOW, matched_count=len(ranked))
        )
    return digests


def timed(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--digests", type=int, default=400)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="paperwire-bench-") as folder:
        return bench(args, Path(folder))


def bench(args: argparse.Namespace, work: Path) -> int:
    papers, source = load_papers(DAY)
    distinct = make_digests(papers, len(TOPICS))
    digests = [distinct[i % len(distinct)] for i in range(args.digests)]
    reader = Reader("ada@example.org", Profile(), name="Ada")
    # A Paperwire opens its store for its channels: a scratch SQLite file (email uses none).
    base = {
        "database": {"url": f"sqlite:///{work / 'compose.sqlite3'}"},
        "sources": {"arxiv": {"categories": ["cs"]}},
    }
    composer = Paperwire(Settings.model_validate(base), clock=lambda: NOW)
    email = composer.channels()["email"]
    sizes = [len(email.prepare(d, reader, NOW).payload or b"") for d in distinct]
    rows = []

    rendered = timed(lambda: [(render(d, "html"), render(d, "text")) for d in digests], args.runs)
    rows.append(("render html+text", len(digests), rendered, "digests/s", "≥ 200"))
    compose = timed(lambda: [email.prepare(d, reader, NOW) for d in digests], args.runs)
    rows.append(("compose (render + MIME + size check)", len(digests), compose, "digests/s", ""))
    composer.close()

    sink = _Sink()
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]  # aiosmtpd 1.4 cannot listen on port 0: ask for a free one
    probe.close()
    controller = Controller(sink, hostname="127.0.0.1", port=port, server_hostname="bench")
    controller.start()
    try:
        smtp = {"host": "127.0.0.1", "port": port, "security": "none"}
        payloads = [
            email.prepare(distinct[i % len(distinct)], reader, NOW).payload
            for i in range(args.messages)
        ]
        sender = Paperwire(Settings.model_validate(base | {"smtp": smtp}), clock=lambda: NOW)

        def send_batch() -> None:
            channel = sender.channels()["email"]  # its SMTP connection opens on the first
            try:
                for payload in payloads:
                    # EmailChannel.deliver reads only the payload; its first argument is the
                    # ledger's row, which the public API does not build (None stands in).
                    result = channel.deliver(None, payload, NOW)
                    assert result.status == "sent", result
            finally:
                channel.close()  # QUIT

        send = timed(send_batch, args.runs)
        rows.append(("smtp send, one connection", len(payloads), send, "messages/s", "≥ 50"))
        sender.close()

        subscribers = [
            {"email": f"reader{i}@example.org", "keywords": [TOPICS[i % len(TOPICS)]]}
            for i in range(args.subscribers)
        ]
        times = []
        for run in range(max(1, args.runs // 2)):
            full = Settings.model_validate(
                {
                    "database": {"url": f"sqlite:///{work / f'send{run}.sqlite3'}"},
                    "sources": {"arxiv": {"categories": ["cs"]}},
                    "smtp": smtp,
                    "subscribers": subscribers,
                }
            )
            store = open_store(full.database.url)
            with store.transaction() as connection:
                store.upsert_papers(connection, papers, NOW)
            with Paperwire(full, clock=lambda: NOW, store=store) as pw:
                start = time.perf_counter()
                result = pw.send_due()
                times.append(time.perf_counter() - start)
            summary = result.summary
            done = sum(o.status in ("sent", "skipped") for o in summary.outcomes)
            assert done == args.subscribers, (summary.problems, summary.outcomes[:3])
        rows.append(
            ("send_due: plan + ledger + smtp (SQLite)", args.subscribers,
             statistics.median(times), "digests/s", "")
        )  # fmt: skip
    finally:
        controller.stop()

    print(f"papers: {source}; {len(distinct)} distinct digests of up to 25 papers")
    print(
        f"message size: median {statistics.median(sizes) / 1000:.1f} KB, "
        f"max {max(sizes) / 1000:.1f} KB (budget 100 KB)"
    )
    print(f"medians of {args.runs} runs; python {sys.version.split()[0]}\n")
    print(f"| {'what':<40} | {'items':>6} | {'seconds':>8} | {'rate':>16} | target |")
    print(f"|{'-' * 42}|{'-' * 8}|{'-' * 10}|{'-' * 18}|--------|")
    for what, items, seconds, unit, target in rows:
        rate = f"{items / seconds:,.0f} {unit}"
        print(f"| {what:<40} | {items:>6} | {seconds:>8.3f} | {rate:>16} | {target:<6} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
