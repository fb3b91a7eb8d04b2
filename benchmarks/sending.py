"""The daily work at scale: `paperwire send` and `paperwire run` for thousands of readers.

    python benchmarks/sending.py [--readers 1000 10000] [--smtp 1000] [--tick 10000 20000]
                                 [--runs 3] [--database URL] [--compare-python PATH]

The issue's targets (2 cores, medians): 1,000 digests to the outbox in at most 10 s, to a
loopback SMTP server in at most 15 s; a whole daily `paperwire run` (fetch, then every digest)
for 10,000 readers in at most 60 s with a peak RSS of at most 1 GB, and twice the readers in at
most 2.1 times as long.

Every timed row is a real command in a fresh process (`python -m paperwire ...`), timed from
outside (wall clock; peak RSS from the child's rusage):
- send → outbox, N readers: `paperwire send --outbox DIR -q` after a `paperwire fetch` stored
  the day. Planning (windows, ranking, building, composing, the ledger) and writing N .eml
  files.
- send → SMTP, N readers: the same with `smtp.host`/`smtp.port` set to an aiosmtpd server in
  this process on 127.0.0.1.
- run (fetch + send), N readers: `paperwire run -q` on a store holding only the readers: the
  fetch of the day's feed from 127.0.0.1, then every digest to the outbox.

The day is one real-sized arXiv announcement: 2,364 real papers (the fixtures' corpus files,
feeds and OAI-PMH pages, deduplicated, as scoring.py draws them) under fresh arXiv ids, served
as arXiv's RSS from 127.0.0.1 and dated arXiv's newest announcement. Readers are scoring.py's
generated keyword profiles (1-4 keywords, some authors, exclusions, categories, queries),
inserted in bulk into the subscribers table as `subscribers import` stores them.

Each interpreter (this checkout's, and --compare-python's: a virtualenv of another commit) builds
its own stores with its own paperwire; runs are interleaved (run i of each before run i + 1 of
either), so that a slower minute of the shared machine hits them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import html
import http.server
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
DAY_PAPERS = 2364
EASTERN = ZoneInfo("America/New_York")
SEED = 7
MESSAGE_ID = re.compile(rb"^Message-ID: *(<[^>]*>)", re.MULTILINE | re.IGNORECASE)
ARXIV_CATEGORY = re.compile(r"[a-z][a-z-]*(?:\.[A-Za-z-]+)?")


def arxiv_categories(categories: Sequence[str]) -> list[str]:
    """The arXiv categories paperwire knows among a corpus's subject codes (it also has ACM
    and MSC codes, and retired archives such as adap-org)."""
    return [c for c in categories if ARXIV_CATEGORY.fullmatch(c.partition("^")[0]) and known(c)]


@functools.cache
def known(category: str) -> bool:
    from paperwire import Settings

    try:
        Settings.model_validate({"sources": {"arxiv": {"categories": [category]}}})
    except ValueError:
        return False
    return True


def latest_announcement(now: dt.datetime) -> dt.date:
    """arXiv's newest announcement date at `now` (a local copy of paperwire's calendar without
    holidays beyond the built-in ones; see tick.py)."""

    def holiday(day: dt.date) -> bool:
        first = dt.date(day.year, 11, 1)
        thanksgiving = first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)
        return day in (dt.date(day.year, 1, 1), thanksgiving, dt.date(day.year, 12, 25))

    day = now.astimezone(EASTERN).date()
    while day.weekday() >= 5 or holiday(day):
        day -= dt.timedelta(days=1)
    return day


# --- the day and its readers (written once, by this process) ----------------------------------


def day_papers(count: int) -> tuple[list[dict[str, object]], str]:
    """`count` real papers as plain records, with fresh arXiv ids."""
    sys.path.insert(0, str(HERE))
    from common import REAL, load_papers
    from scoring import FixturesMissing, load_pool, subset

    try:
        pool = load_pool(REAL, count)
        papers = subset(pool.papers, count, SEED)
        source = f"{len(papers):,} real papers (corpus, feeds, OAI-PMH pages)"
    except FixturesMissing:
        papers, source = load_papers(dt.date.today())
    records = []
    for n, paper in enumerate(papers):
        categories = arxiv_categories(paper.categories) or ["cs.LG"]
        records.append(
            {
                "id": f"2611.{n + 1:05d}",
                "title": paper.title,
                "abstract": paper.abstract,
                "authors": paper.authors,
                "categories": categories,
            }
        )
    return records, source


def feed_xml(day: dt.date, papers: Sequence[dict[str, object]]) -> bytes:
    """arXiv's RSS announcing `papers` on `day`."""
    date = f"{day:%a, %d %b %Y} 00:00:00 -0500"

    def item(paper: dict[str, object]) -> str:
        identifier = paper["id"]
        categories = "".join(
            f"<category>{html.escape(str(c))}</category>"
            for c in paper["categories"]  # type: ignore[attr-defined]
        )
        authors = html.escape(", ".join(paper["authors"]) or "Anonymous")  # type: ignore[arg-type]
        abstract = html.escape(str(paper["abstract"]))
        return f"""
    <item>
      <title>{html.escape(str(paper["title"]))}</title>
      <link>https://arxiv.org/abs/{identifier}</link>
      <description>arXiv:{identifier}v1 Announce Type: new
Abstract: {abstract}</description>
      <guid isPermaLink="false">oai:arXiv.org:{identifier}v1</guid>{categories}
      <pubDate>{date}</pubDate>
      <arxiv:announce_type>new</arxiv:announce_type>
      <dc:creator>{authors}</dc:creator>
    </item>"""

    items = "".join(item(p) for p in papers)
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
     version="2.0">
  <channel>
    <title>updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/cs</link>
    <description>updates on the arXiv.org e-print archive.</description>
    <pubDate>{date}</pubDate>{items}
  </channel>
</rss>
""".encode()


def reader_entries(count: int, papers: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """`count` generated keyword readers (scoring.py's profiles) as `subscribers import`
    entries."""
    sys.path.insert(0, str(HERE))
    from common import REAL
    from scoring import FixturesMissing, load_pool, make_profiles, vocabulary

    try:
        words = vocabulary(load_pool(REAL, DAY_PAPERS))
        profiles = make_profiles(count, words, SEED, 0.1)
    except FixturesMissing:
        profiles = []
    entries = []
    for n in range(count):
        entry: dict[str, object] = {"email": f"reader{n:06d}@example.org"}
        if profiles:
            profile = profiles[n]
            entry |= {
                "keywords": profile.keywords,
                "authors": profile.authors,
                "exclude": profile.exclude,
                "categories": arxiv_categories(profile.categories),
            }
            if profile.query:
                entry["query"] = profile.query
            if profile.description:
                entry["description"] = profile.description
        else:
            entry["keywords"] = [["model", "learning", "graph", "language"][n % 4]]
        entries.append({k: v for k, v in entry.items() if v})
    return entries


def accepted_archives(archives: set[str]) -> list[str]:
    """The archives paperwire's taxonomy knows (the corpus has retired ones: adap-org)."""
    return [archive for archive in sorted(archives) if known(archive)]


# --- arXiv on 127.0.0.1, a mail server -----------------------------------------------------------


class FeedServer:
    """Serves the day's feed for any /rss/ path; counts requests."""

    def __init__(self, body: bytes) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                owner.requests.append(self.path)
                if "/rss/" not in self.path:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MailServer:
    """aiosmtpd on 127.0.0.1 keeping the Message-ID of what it accepts (after `delay`
    seconds each)."""

    def __init__(self, delay: float = 0.0) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[str] = []
        owner = self

        class Handler:
            async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
                if delay:
                    await asyncio.sleep(delay)
                found = MESSAGE_ID.search(envelope.content)
                owner.messages.append(found[1].decode() if found else "")
                return "250 OK"

        with socket.socket() as probe:  # a free port (aiosmtpd cannot be given port 0)
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        self.controller.start()

    @property
    def accepted(self) -> int:
        return len(self.messages)

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def close(self) -> None:
        self.controller.stop()


# --- interpreters and their stores ---------------------------------------------------------------


@dataclass
class Interpreter:
    python: str
    label: str = ""
    times: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


def describe(python: str) -> str:
    done = subprocess.run(
        [python, "-c", "import paperwire; print(paperwire.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
        env=clean_environment(),
    )
    folder = Path(done.stdout.strip()).parent
    head = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no", "--", "src"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return (head + ("+" if dirty else "")) or str(folder)


def clean_environment() -> dict[str, str]:
    dropped = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PAPERWIRE_")
    return {k: v for k, v in os.environ.items() if not k.startswith(dropped)}


@dataclass
class Case:
    """One row: a store, its configuration and the command timed."""

    name: str
    readers: int
    command: tuple[str, ...]
    smtp: bool = False
    fetched: bool = True  # the day is stored before the timed command


def write_config(
    home: Path, url: str, feed: str, categories: Sequence[str], smtp_port: int | None
) -> Path:
    smtp = f'host = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n' if smtp_port else ""
    path = home / "paperwire.toml"
    path.write_text(
        f"""[database]
url = {json.dumps(url)}

[sources.arxiv]
categories = {json.dumps(list(categories))}
rss_url = {json.dumps(feed)}
listing_url = {json.dumps(feed)}
api_url = {json.dumps(feed + "/api")}
oai_url = {json.dumps(feed + "/oai")}

[http]
min_interval = 0
retries = 0

[delivery]
base_url = "https://papers.example.org"
secret = "benchmark-secret-0123456789-abcdefghij"
outbox = {json.dumps(str(home / "outbox"))}

[smtp]
from = "paperwire <digest@example.org>"
{smtp}""",
        encoding="utf-8",
    )
    return path


def run_paperwire(
    python: str, config: Path, *args: str, check: bool = True
) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, output) of `python -m paperwire --config ... args`."""
    env = clean_environment() | {"HOME": str(config.parent)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [python, "-m", "paperwire", *args, "--config", str(config)],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if check and process.returncode != 0:
        raise SystemExit(f"{python} -m paperwire {' '.join(args)} exited "
                         f"{process.returncode}:\n{output}")  # fmt: skip
    return wall, usage.ru_maxrss / 1024, output


def insert_readers(python: str, url: str, entries_file: Path) -> None:
    """The readers into the store, in bulk, by `python` (its own paperwire's tables)."""
    script = HERE / "common.py"
    subprocess.run(
        [python, str(script), "insert-readers", url, str(entries_file)],
        check=True,
        env=clean_environment(),
        cwd=HERE,
    )


def prepare(
    interpreter: Interpreter,
    case: Case,
    home: Path,
    url: str,
    feed: FeedServer,
    categories: Sequence[str],
    entries_file: Path,
    mail: MailServer | None,
) -> Path:
    """A fresh store for one timed run: readers, and the day when the case wants it."""
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    config = write_config(home, url, feed.url, categories, mail.port if mail else None)
    insert_readers(interpreter.python, url, entries_file)
    if case.fetched:
        run_paperwire(interpreter.python, config, "fetch", "-q")
    return config


def check_sent(case: Case, home: Path, output: str, mail: MailServer | None, before: int) -> int:
    """How many digests went out; stops when the command reported a problem."""
    if mail is not None:
        sent = mail.accepted - before
    else:
        sent = sum(1 for _ in (home / "outbox").glob("*.eml"))
    if "error" in output.lower() or sent < case.readers // 2:
        raise SystemExit(f"{case.name}: {sent} digests sent for {case.readers} readers:\n{output}")
    return sent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--readers", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--smtp", type=int, nargs="*", default=[1000])
    parser.add_argument("--tick", type=int, nargs="*", default=[10000, 20000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", default="", help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--compare-python", action="append", default=[])
    parser.add_argument("--work", type=Path, help="keep the stores here (default: a temp dir)")
    args = parser.parse_args(argv)

    now = dt.datetime.now(dt.UTC)
    day = latest_announcement(now)
    papers, source = day_papers(DAY_PAPERS)
    archives = accepted_archives({str(c).split(".")[0] for p in papers for c in p["categories"]})  # type: ignore[attr-defined]
    feed = FeedServer(feed_xml(day, papers))
    interpreters = [Interpreter(sys.executable)] + [Interpreter(p) for p in args.compare_python]
    for interpreter in interpreters:
        interpreter.label = describe(interpreter.python)
    cases = (
        [Case(f"send → outbox, {n:,} readers", n, ("send", "--outbox", "OUTBOX", "-q"))
         for n in args.readers]
        + [Case(f"send → SMTP (loopback), {n:,} readers", n, ("send", "-q"), smtp=True)
           for n in args.smtp]
        + [Case(f"run: fetch + send → outbox, {n:,} readers", n, ("run", "-q"), fetched=False)
           for n in args.tick]
    )  # fmt: skip
    mail = MailServer() if args.smtp else None
    work = Path(args.work or tempfile.mkdtemp(prefix="pw-sending-"))
    work.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(HERE))
    from common import postgres_schema

    entries: dict[int, Path] = {}
    print(f"papers: {source}; announced {day}; archives {', '.join(archives)}", flush=True)
    try:
        for case in cases:
            if case.readers not in entries:
                entries[case.readers] = work / f"readers-{case.readers}.json"
                entries[case.readers].write_text(
                    json.dumps(reader_entries(case.readers, papers)), encoding="utf-8"
                )
            for run in range(args.runs):
                for number, interpreter in enumerate(interpreters):
                    home = work / f"i{number}"
                    drop = None
                    if args.database:
                        url, drop = postgres_schema(args.database)
                    else:
                        url = f"sqlite:///{home / 'store.sqlite3'}"
                    try:
                        config = prepare(
                            interpreter, case, home, url, feed, archives,
                            entries[case.readers], mail if case.smtp else None,
                        )  # fmt: skip
                        before = mail.accepted if mail else 0
                        command = [str(home / "outbox") if a == "OUTBOX" else a
                                   for a in case.command]  # fmt: skip
                        wall, peak, output = run_paperwire(interpreter.python, config, *command)
                        sent = check_sent(case, home, output, mail if case.smtp else None, before)
                    finally:
                        if drop is not None:
                            drop()
                    interpreter.times.setdefault(case.name, []).append((wall, peak))
                    print(f"  {case.name} [{interpreter.label}] run {run + 1}: {wall:.2f} s, "
                          f"{peak:.0f} MB, {sent:,} digests", flush=True)  # fmt: skip
    finally:
        feed.close()
        if mail is not None:
            mail.close()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    store = "PostgreSQL" if args.database else "SQLite"
    head = " | ".join(f"{i.label}: s | readers/s | peak MB" for i in interpreters)
    print(f"\n{store}, medians of {args.runs} runs\n")
    print(f"| what | {head} |")
    print("|---|" + "---:|---:|---:|" * len(interpreters))
    for case in cases:
        cells = []
        for interpreter in interpreters:
            samples = interpreter.times[case.name]
            wall = statistics.median(s for s, _ in samples)
            peak = statistics.median(m for _, m in samples)
            cells.append(f"{wall:,.1f} | {case.readers / wall:,.0f} | {peak:,.0f}")
        print(f"| {case.name} | {' | '.join(cells)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
