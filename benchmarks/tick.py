"""What a cron tick costs: `paperwire run` when nothing is due, and the due check at scale.

    python benchmarks/tick.py [--subscribers 1000 10000] [--runs 5] [--cold-runs 7]
                              [--compare-python PATH]

`run` is meant to be called every few minutes, so its idle cost is what a server pays all
day. Rows:
- `paperwire --help`, cold: a fresh `python -m paperwire --help` process (interpreter start,
  imports, the command line's help). Wall time of the whole process.
- `paperwire run`, idle, cold: a fresh `python -m paperwire run` as cron starts it
  (interpreter, imports, settings, store, lock, subscriber sync, arXiv's calendar and the
  store's fetch history, due check) with 20 readers (half with a send time), every reader's
  digest already sent and no fetch due. The store is built by that interpreter's own
  paperwire: `subscribers import`, a `fetch` from a feed served on 127.0.0.1 dated arXiv's
  newest announcement, and one `run` that sends the digests. Each timed run must exit 0, print
  nothing and make no HTTP request; the benchmark stops if one does not.
- readers + due check: Paperwire.send_due(dry_run=True) for N readers kept in the database,
  half with a send time, every digest already recorded (the due check is not public on its
  own: this is the public call that reads every reader and decides who is due, and plans
  nothing when nobody is).
- idle tick in-process: Paperwire.tick(fetch=False) with nothing due, for N readers.
Cold rows are medians of --cold-runs runs (7), the in-process rows of --runs runs (5), on a
SQLite file. The in-process rows run at a fixed "now"; the cold rows at the real time, which
is why their store is dated by it.

--compare-python PATH runs the cold rows with another interpreter as well (a virtualenv of
another commit, with its own paperwire installed), in the same run and interleaved with this
checkout's (the machine is shared and its speed varies: only figures of one run compare).
The in-process rows are this checkout's only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from paperwire import Paperwire, Profile, Reader, Settings, open_store

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)  # a Tuesday
DAY = dt.date(2026, 11, 24)
COLD_READERS = 20
FEED_ITEMS = 50
EASTERN = ZoneInfo("America/New_York")


# --- arXiv's calendar and a feed on 127.0.0.1 -----------------------------------------------------


def latest_announcement(now: dt.datetime) -> dt.date:
    """arXiv's newest announcement date at `now`: today in US Eastern, back over weekends and
    the built-in holidays (1 January, US Thanksgiving, 25 December). A local copy of the
    calendar paperwire keeps private (sources.arxiv.calendar.latest_announcement_date, with no
    `schedule.holidays`), so that the cold store can be dated for any interpreter's paperwire."""

    def holiday(day: dt.date) -> bool:
        first = dt.date(day.year, 11, 1)
        thanksgiving = first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)
        return day in (dt.date(day.year, 1, 1), thanksgiving, dt.date(day.year, 12, 25))

    day = now.astimezone(EASTERN).date()
    while day.weekday() >= 5 or holiday(day):
        day -= dt.timedelta(days=1)
    return day


def feed_xml(day: dt.date, count: int) -> bytes:
    """arXiv's RSS for cs.LG announced on `day`: `count` new papers."""
    date = f"{day:%a, %d %b %Y} 00:00:00 -0500"
    items = "".join(
        f"""
    <item>
      <title>Paper {n}</title>
      <link>https://arxiv.org/abs/{day:%y%m}.{n:05d}</link>
      <description>arXiv:{day:%y%m}.{n:05d}v1 Announce Type: new
Abstract: words</description>
      <guid isPermaLink="false">oai:arXiv.org:{day:%y%m}.{n:05d}v1</guid>
      <category>cs.LG</category>
      <pubDate>{date}</pubDate>
      <arxiv:announce_type>new</arxiv:announce_type>
      <dc:creator>A. Author</dc:creator>
    </item>"""
        for n in range(1, count + 1)
    )
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
     version="2.0">
  <channel>
    <title>cs.LG updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/cs.LG</link>
    <description>cs.LG updates on the arXiv.org e-print archive.</description>
    <pubDate>{date}</pubDate>{items}
  </channel>
</rss>
""".encode()


class FeedServer:
    """arXiv's RSS on 127.0.0.1: GET /YYYY-MM-DD/rss/cs.LG is the feed announced that day, so
    `sources.arxiv.rss_url` http://127.0.0.1:PORT/YYYY-MM-DD fetches that day. Anything else
    is a 404. Counts the requests, so an idle run can be shown to have made none."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                head, _, rest = self.path.lstrip("/").partition("/")
                try:
                    day = dt.date.fromisoformat(head)
                except ValueError:
                    day = None
                if day is None or not rest.startswith("rss/"):
                    self.send_error(404)
                    return
                body = feed_xml(day, FEED_ITEMS)
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, day: dt.date) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{day.isoformat()}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- cold processes -------------------------------------------------------------------------------


@dataclass
class Interpreter:
    """One Python with its own paperwire, its own idle store and its own figures."""

    python: str
    home: Path
    env: dict[str, str] = field(default_factory=dict)
    label: str = ""
    times: dict[str, list[float]] = field(default_factory=dict)

    def paperwire(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [self.python, "-m", "paperwire", *args],
            env=self.env,
            cwd=self.home,  # no ./paperwire.toml here
            capture_output=True,
            text=True,
            check=False,
        )
        if check and done.returncode != 0:
            raise SystemExit(
                f"{self.python} -m paperwire {' '.join(args)} exited {done.returncode}:\n"
                f"{done.stdout}{done.stderr}"
            )
        return done


def _clean_environment() -> dict[str, str]:
    """This process's environment without what would steer another interpreter's paperwire
    (or its imports) elsewhere."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PAPERWIRE_")
    return {k: v for k, v in os.environ.items() if not k.startswith(dropped)}


def _describe(python: str, env: dict[str, str], cwd: Path) -> str:
    """Which paperwire an interpreter runs: its source folder and, in a git checkout, the
    commit (with "+" when the tree has changes)."""
    done = subprocess.run(
        [python, "-c", "import paperwire, sys; print(paperwire.__file__)"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{python} cannot import paperwire:\n{done.stderr}")
    folder = Path(done.stdout.strip()).parent
    head = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    if head.returncode != 0:
        return str(folder)
    dirty = subprocess.run(
        ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{head.stdout.strip()}{'+' if dirty else ''}"


def prepare_idle(interpreter: Interpreter, server: FeedServer) -> None:
    """An idle store written by the interpreter's own paperwire: readers imported, arXiv's
    newest announcement fetched from `server`, every due digest sent once."""
    home = interpreter.home
    home.mkdir(parents=True)
    now = dt.datetime.now(dt.UTC)
    interpreter.env = _clean_environment() | {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "PAPERWIRE_DATABASE__URL": f"sqlite:///{home / 'idle.sqlite3'}",
        "PAPERWIRE_SOURCES__ARXIV__CATEGORIES": "cs.LG",
        # Every arXiv URL on 127.0.0.1: an unexpected request would never reach arXiv.
        "PAPERWIRE_SOURCES__ARXIV__RSS_URL": server.url(latest_announcement(now)),
        "PAPERWIRE_SOURCES__ARXIV__LISTING_URL": server.url(latest_announcement(now)),
        "PAPERWIRE_SOURCES__ARXIV__API_URL": server.url(latest_announcement(now)) + "/api",
        "PAPERWIRE_DELIVERY__OUTBOX": str(home / "outbox"),
    }
    interpreter.label = _describe(interpreter.python, interpreter.env, home)
    readers = [
        {"email": f"r{n}@example.org", "keywords": ["x"]}
        | ({"send_at": "07:00", "timezone": "Europe/Berlin"} if n % 2 else {})
        for n in range(COLD_READERS)
    ]
    (home / "readers.json").write_text(json.dumps(readers), encoding="utf-8")
    interpreter.paperwire("subscribers", "import", "readers.json")
    before = len(server.requests)
    interpreter.paperwire("fetch")
    if len(server.requests) == before:
        raise SystemExit(f"{interpreter.python}: `paperwire fetch` asked 127.0.0.1 for nothing")
    interpreter.paperwire("run")  # sends (records) every due digest


def check_idle(interpreter: Interpreter, done: subprocess.CompletedProcess[str]) -> None:
    """An idle run exits 0 and prints nothing."""
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", (
        f"{interpreter.python} -m paperwire run was not idle (exit {done.returncode}):\n"
        f"{done.stdout}{done.stderr}"
    )


COLD_ROWS = {
    "help": ("paperwire --help, cold process", ("--help",)),
    "run": (f"paperwire run, idle, cold process ({COLD_READERS} readers)", ("run",)),
}


def cold_rows(interpreters: Sequence[Interpreter], runs: int, server: FeedServer) -> None:
    """Each cold command `runs` times per interpreter, interleaved: run i of every interpreter
    before run i + 1 of any, so that a slower minute of the machine hits them alike."""
    for interpreter in interpreters:  # warm the file cache and the bytecode, untimed
        interpreter.paperwire("--help")
        check_idle(interpreter, interpreter.paperwire("run", check=False))
    requests = len(server.requests)
    for _ in range(runs):
        for interpreter in interpreters:
            for key, (_, args) in COLD_ROWS.items():
                started = time.perf_counter()
                done = interpreter.paperwire(*args, check=False)
                interpreter.times.setdefault(key, []).append(time.perf_counter() - started)
                if key == "run":
                    check_idle(interpreter, done)
                else:
                    assert done.returncode == 0 and "run" in done.stdout, done.stderr
    assert len(server.requests) == requests, f"idle runs fetched: {server.requests[requests:]}"


# --- in-process rows (this checkout) --------------------------------------------------------------


def _stock(url: str, count: int, home: Path, server: FeedServer) -> Settings:
    """A store with DAY's announcement (fetched from `server` at NOW) and `count` readers in
    the database, half with a send time."""
    settings = Settings.model_validate(
        {
            "database": {"url": url},
            "sources": {"arxiv": {"categories": ["cs.LG"], "rss_url": server.url(DAY)}},
            "delivery": {"outbox": str(home / "outbox")},
            "http": {"min_interval": 0, "retries": 0},
        }
    )
    store = open_store(url)
    with Paperwire(settings, clock=lambda: NOW, store=store) as pw:
        report = pw.fetch("arxiv")
        assert report.counts.added == FEED_ITEMS and not report.problems, report
        for n in range(count):
            extra = {"send_at": "07:00", "timezone": "Europe/Berlin"} if n % 2 else {}
            reader = Reader(f"r{n}@example.org", Profile(keywords=["x"]), **extra)
            store.subscribers.add(reader, NOW)
    return settings


def _ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:,.0f} ms"


def in_process_rows(
    home: Path, counts: Sequence[int], runs: int, server: FeedServer
) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    env = {"HOME": str(home)}
    for count in counts:
        url = f"sqlite:///{home / f'readers{count}.sqlite3'}"
        settings = _stock(url, count, home, server)
        with Paperwire(settings, env=env, clock=lambda: NOW) as pw:
            pw.send_due()  # every reader's (empty, skipped) digest recorded: nobody is due
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                result = pw.send_due(dry_run=True)
                times.append(time.perf_counter() - started)
                assert len(result.readers) == count and not result.due.due, result.due
        rows.append((f"readers + due check, {count:,} readers", _ms(times)))
    # An idle tick: every digest sent, nothing due to fetch.
    count = counts[0]
    url = f"sqlite:///{home / 'tick.sqlite3'}"
    settings = _stock(url, count, home, server)
    with Paperwire(settings, env=env, clock=lambda: NOW) as pw:
        first = pw.tick(fetch=False)
        assert first is not None and not first.failed
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            report = pw.tick(fetch=False)
            times.append(time.perf_counter() - started)
            assert report is not None and not report.eventful
    rows.append((f"idle tick in-process, {count:,} readers", _ms(times)))
    return rows


# --- the table ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5, help="runs of the in-process rows (5)")
    parser.add_argument(
        "--cold-runs", type=int, default=7, help="runs of the cold-process rows (7)"
    )
    parser.add_argument(
        "--compare-python",
        metavar="PATH",
        help="also time the cold rows with this interpreter (another commit's virtualenv)",
    )
    args = parser.parse_args()
    if min(args.runs, args.cold_runs, *args.subscribers) < 1:
        parser.error("--runs, --cold-runs and --subscribers must be at least 1")

    server = FeedServer()
    try:
        with tempfile.TemporaryDirectory(prefix="paperwire-tick-") as folder:
            home = Path(folder)
            interpreters = [Interpreter(sys.executable, home / "cold-this")]
            if args.compare_python:
                interpreters.append(Interpreter(args.compare_python, home / "cold-compare"))
            for interpreter in interpreters:
                prepare_idle(interpreter, server)
            cold_rows(interpreters, args.cold_runs, server)
            rows = in_process_rows(home / "in-process", args.subscribers, args.runs, server)
    finally:
        server.close()

    sides = ["this checkout", "compare"]
    names = [f"{side} ({i.label})" for side, i in zip(sides, interpreters, strict=False)]
    table: list[list[str]] = [["what", *names]]
    if len(interpreters) > 1:
        table[0].append("this / compare")
    for key, (label, _) in COLD_ROWS.items():
        cells = [label, *(_ms(i.times[key]) for i in interpreters)]
        if len(interpreters) > 1:
            medians = [statistics.median(i.times[key]) for i in interpreters]
            cells.append(f"{medians[0] / medians[1]:.2f}")
        table.append(cells)
    for label, value in rows:
        table.append([label, value, *(["", ""] if len(interpreters) > 1 else [])])
    print(
        f"medians: cold rows of {args.cold_runs} runs, in-process rows of {args.runs}; "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    for side, interpreter in zip(sides, interpreters, strict=False):
        print(f"{side}: {interpreter.python}")
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for number, row in enumerate(table):
        print(
            "  ".join(
                cell.ljust(width) if i == 0 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            )
        )
        if number == 0:
            print("  ".join("-" * width for width in widths))


if __name__ == "__main__":
    main()
