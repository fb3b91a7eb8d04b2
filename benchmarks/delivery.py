"""Delivery speed: rendering digests, composing emails, and sending them to a loopback server.

    python benchmarks/delivery.py [--digests 400] [--messages 500] [--subscribers 200]
                                  [--runs 5] [--fixtures DIR]

The issue's targets: render at least 200 digests/s, and send at least 50 messages/s to a
loopback SMTP server over one reused connection.

Digests are real: 1,000 cs papers of the fixtures' OAI-PMH page (title, abstract, authors,
categories), ranked by paperwire for 40 keyword profiles (topics readers type); each digest is
one profile's top 25 with its reasons, so highlights, "why" lines and TeX are what a reader
gets. Without the fixtures (PAPERWIRE_FIXTURES), the repository's own three-paper feed is used,
repeated to 25 papers, and the table says so.

Rows:
- render html+text: render_html and render_text of one digest (what each email needs).
- compose: the above plus the MIME message, its bytes and the 100 KB check.
- smtp send: SmtpTransport.send of composed ~message-sized emails to an aiosmtpd server on
  127.0.0.1, one connection for the whole batch.
- send_due: the whole `paperwire send` for --subscribers readers on a SQLite file: window,
  ranking, composing, ledger writes before and after each message, and SMTP.
Each figure is the median of --runs runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from paperwire.delivery.batch import Recipient, compose_digest, recipients_from_settings, send_due

from paperwire.config import Settings
from paperwire.delivery.email.smtp import SmtpTransport
from paperwire.digest.formats import render_html, render_text
from paperwire.models import AnnounceType, Digest, Paper, Profile
from paperwire.scoring import rank_papers
from paperwire.sources.arxiv.oai import parse_oai
from paperwire.sources.arxiv.rss import parse_feed
from paperwire.store import open_store

REPO = Path(__file__).resolve().parent.parent
REAL = Path(os.environ.get("PAPERWIRE_FIXTURES", REPO.parent / "shared" / "fixtures" / "real"))
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


def load_papers() -> tuple[list[Paper], str]:
    page = REAL / "corpus" / "oai_cs_set_page_1000rec_2016.xml"
    if page.is_file():
        papers = parse_oai(page.read_bytes(), "https://export.arxiv.org/oai2").papers
        source = "1,000 real cs papers (OAI-PMH page)"
    else:
        feed = (REPO / "tests" / "fixtures" / "routes" / "rss.xml").read_bytes()
        base = parse_feed(feed, "https://rss.arxiv.org/rss/cs.LG").papers
        papers = [
            Paper(f"2611.{i:05d}", base[i % len(base)].title, base[i % len(base)].abstract,
                  base[i % len(base)].authors, ["cs.LG"], "cs.LG")
            for i in range(100)
        ]  # fmt: skip
        source = "the repository's 3-paper feed, repeated (no ../shared fixtures)"
    for paper in papers:
        paper.announced, paper.announce_type = DAY, paper.announce_type or AnnounceType.NEW
        paper.primary_category = paper.primary_category or "cs.LG"
        paper.categories = paper.categories or ["cs.LG"]
    return papers, source


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


def timed(function, runs: int) -> float:  # type: ignore[no-untyped-def]
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

    papers, source = load_papers()
    distinct = make_digests(papers, len(TOPICS))
    digests = [distinct[i % len(distinct)] for i in range(args.digests)]
    settings = Settings.model_validate({"sources": {"arxiv": {"categories": ["cs"]}}})
    recipient = Recipient("ada@example.org", "Ada", Profile())
    sizes = [len(compose_digest(d, recipient, settings, NOW)[1]) for d in distinct]
    rows = []

    render = timed(lambda: [(render_html(d), render_text(d)) for d in digests], args.runs)
    rows.append(("render html+text", len(digests), render, "digests/s", "≥ 200"))
    compose = timed(
        lambda: [compose_digest(d, recipient, settings, NOW) for d in digests], args.runs
    )
    rows.append(("compose (render + MIME + size check)", len(digests), compose, "digests/s", ""))

    sink = _Sink()
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]  # aiosmtpd 1.4 cannot listen on port 0: ask for a free one
    probe.close()
    controller = Controller(sink, hostname="127.0.0.1", port=port, server_hostname="bench")
    controller.start()
    try:
        smtp = settings.smtp.model_copy(
            update={"host": "127.0.0.1", "port": port, "security": "none"}
        )
        messages = [
            compose_digest(distinct[i % len(distinct)], recipient, settings, NOW)[0]
            for i in range(args.messages)
        ]

        def send_batch() -> None:
            with SmtpTransport(smtp) as transport:
                for message in messages:
                    transport.send(message)

        send = timed(send_batch, args.runs)
        rows.append(("smtp send, one connection", len(messages), send, "messages/s", "≥ 50"))

        subscribers = [
            {"email": f"reader{i}@example.org", "keywords": [TOPICS[i % len(TOPICS)]]}
            for i in range(args.subscribers)
        ]
        full = Settings.model_validate(
            {
                "sources": {"arxiv": {"categories": ["cs"]}},
                "smtp": {"host": "127.0.0.1", "port": port, "security": "none"},
                "subscribers": subscribers,
            }
        )
        times = []
        for _ in range(max(1, args.runs // 2)):
            folder = Path(tempfile.mkdtemp(prefix="paperwire-bench-"))
            try:
                store = open_store(f"sqlite:///{folder / 'bench.sqlite3'}")
                with store.transaction() as connection:
                    store.upsert_papers(connection, papers, NOW)
                start = time.perf_counter()
                summary = send_due(
                    store,
                    full,
                    recipients_from_settings(full),
                    SmtpTransport(full.smtp),
                    NOW,
                )
                times.append(time.perf_counter() - start)
                assert summary.count("sent") + summary.count("skipped") == args.subscribers
                store.close()
            finally:
                shutil.rmtree(folder)
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
