"""The readers' pages under load: 50 keep-alive clients against `paperwire web` on 127.0.0.1.

    python benchmarks/web.py [--readers 100000] [--clients 50] [--seconds 10] [--workers 2]
                             [--database URL] [--json]

The issue's targets, with 50 concurrent clients on loopback and 100,000 subscribers in the
store: p95 ≤ 50 ms for the pages, ≤ 20 ms for one-click unsubscribe and feedback.

The store (a SQLite file, or a fresh schema of the PostgreSQL database --database names,
dropped afterwards):
- 1,000 real cs papers (the fixtures' OAI-PMH page; without it the repository's 3-paper
  feed, repeated), announced on one day;
- --digest-readers (200) readers spread over the address range, with two topics each, whose
  digests `Paperwire.send_due` records (to an outbox folder): the whole-digest pages and the
  feedback links are theirs, with the papers and reasons a real digest lists. With
  delivery.base_url set, as here, a digest keeps the matched papers its email leaves out
  (up to 200 more) for its page; --emailed-only records them without base_url, so that a
  page lists the emailed papers only (25);
- then the other readers up to --readers (100,000), inserted in bulk into the subscribers
  table (reflected from the store's engine) as `subscribers import` would store them: the
  settings `Reader.settings()` gives, origin "web". (`Subscriptions.import_entries` adds
  one reader per transaction: about 40 s for 100,000 on SQLite, minutes on PostgreSQL.)

`paperwire web --config FILE --port PORT --workers W -q` then serves them (a subprocess, as
an operator starts it), and the clients ask, for --seconds each after --warmup seconds:
- GET /subscribe: the form (a CSRF cookie and token);
- GET /preferences: a reader's settings, by a signed link (readers drawn from all of them);
- GET /digest: every paper of a recorded digest, with 👍/👎 buttons;
- POST /feedback: the button of the page an email's 👍 link opens, which records the vote
  (opening the link records nothing: mail scanners open every link);
- POST /unsubscribe: RFC 8058's one-click unsubscribe (`List-Unsubscribe=One-Click`), a
  different reader each request (each one removed from the store).
POST /subscribe is left out: it is rate limited per client (10 an hour), so under load it
answers 429 from the second request on.

Each client is one HTTP/1.1 keep-alive connection, written on asyncio streams with minimal
parsing (status line, Content-Length or chunked), so that the load generator costs little CPU:
it runs on the same machine as the server. It is closed-loop: a client sends its next request
when the previous answer has arrived, so with 50 clients the latency is 50 / throughput once
the server is saturated. Latency is measured per request (time.perf_counter, from writing the
request to the end of the answer). Any status other than the expected one is counted as an
error. The table also gives the CPU time per request of the server (every process of
`paperwire web`, from /proc) and of the load generator.

The signed links are built with `paperwire.delivery.links.ReaderLinks`, the one class that
builds them (a digest's email carries the same URLs); it is the one paperwire submodule this
benchmark imports.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from common import load_papers, postgres_schema

from paperwire import Paperwire, Profile, Reader, Settings, open_store
from paperwire.delivery.links import ReaderLinks

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
PAGE_TARGET, CLICK_TARGET = 50.0, 20.0  # p95, milliseconds


def address(n: int) -> str:
    return f"reader{n:06d}@example.org"


def topics(n: int) -> list[str]:
    """Two topics of TOPICS for reader n (the same ones in every run)."""
    return random.Random(n).sample(TOPICS, 2)


# --- the store ------------------------------------------------------------------------------------


@dataclass
class Fixture:
    """What the store holds, and what the clients ask for."""

    readers: int
    digest_readers: list[int]
    digests: list[tuple[str, str, dt.date]]  # (address, kind, first day)
    listed: list[tuple[str, str]]  # (address, paper key) of those digests
    papers_per_digest: list[int]
    papers_source: str
    seconds: dict[str, float] = field(default_factory=dict)


def build_store(url: str, settings: Settings, count: int, sampled: int) -> Fixture:
    """Papers, `sampled` readers with a recorded digest (by send_due), then the others up to
    `count` in bulk."""
    papers, source = load_papers(DAY)
    step = max(1, count // max(1, sampled))
    digest_readers = list(range(0, count, step))[:sampled]
    timings: dict[str, float] = {}
    started = time.perf_counter()
    store = open_store(url)
    with store.transaction() as connection:
        store.upsert_papers(connection, papers, NOW)
    with Paperwire(settings, store=store, clock=lambda: NOW) as pw:
        entries = [{"email": address(n), "keywords": topics(n)} for n in digest_readers]
        report = pw.subscriptions().import_entries(entries)
        assert report.imported == len(entries), report
        result = pw.send_due()
        assert not result.failed, result.summary.problems
    timings["papers, digest readers, send_due"] = time.perf_counter() - started

    started = time.perf_counter()
    engine = store.engine
    table = sa.Table("subscribers", sa.MetaData(), autoload_with=engine)
    sqlite = engine.dialect.name == "sqlite"
    when = NOW.replace(tzinfo=None) if sqlite else NOW
    chosen = set(digest_readers)
    rest = (n for n in range(count) if n not in chosen)
    while True:
        rows = []
        for n in rest:
            reader = Reader(address(n), Profile(keywords=topics(n)))
            rows.append(
                {
                    "email": reader.email,
                    "origin": "web",
                    "paused": False,
                    "settings": reader.settings(),
                    "created_at": when,
                    "updated_at": when,
                }
            )
            if len(rows) == 10_000:
                break
        if not rows:
            break
        with engine.begin() as connection:
            connection.execute(table.insert(), rows)
    with engine.connect() as connection:
        stored = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    assert stored == count, (stored, count)
    timings["bulk insert of the other readers"] = time.perf_counter() - started

    digests, listed, sizes = [], [], []
    for delivery in store.ledger.deliveries():
        if delivery.papers == 0:
            continue  # a skipped window: nothing matched
        found = store.ledger.listed(delivery.subscriber, delivery.kind, delivery.window_from)
        assert found is not None
        digests.append((delivery.subscriber, delivery.kind, delivery.window_from))
        listed += [(delivery.subscriber, p.key) for p in found[1]]
        sizes.append(len(found[1]))
    store.close()
    assert digests, "no digest was recorded"
    return Fixture(count, digest_readers, digests, listed, sizes, source, timings)


# --- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


def write_config(path: Path, url: str, base_url: str, secret: str, work: Path) -> None:
    def quoted(text: str) -> str:
        return json.dumps(text)  # a TOML basic string

    path.write_text(
        f"""[database]
url = {quoted(url)}

[sources.arxiv]
categories = ["cs"]

[delivery]
base_url = {quoted(base_url)}
secret = {quoted(secret)}
outbox = {quoted(str(work / "outbox"))}
feeds_dir = {quoted(str(work / "feeds"))}
""",
        encoding="utf-8",
    )


def _clean_environment(home: Path) -> dict[str, str]:
    dropped = ("PAPERWIRE_",)
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return env | {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
    }


class Server:
    """`paperwire web` in a subprocess, until stop()."""

    def __init__(
        self, config: Path, port: int, workers: int, home: Path, python: str = sys.executable
    ) -> None:
        self.port = port
        self.log_path = home / "web.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [python, "-m", "paperwire", "web", "--config", str(config),
             "--port", str(port), "--workers", str(workers), "-q"],
            cwd=home,
            env=_clean_environment(home),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"paperwire web exited {self.process.returncode}:\n{self.output()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(
                        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    )
                    if sock.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"paperwire web did not answer /healthz in {timeout:.0f} s")

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_bytes().decode(errors="replace")[-4000:]

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process and its descendants (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        stats: dict[int, tuple[int, float]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = text[text.rindex(")") + 2 :].split()
            stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
        tree, total, frontier = {self.process.pid}, 0.0, [self.process.pid]
        while frontier:
            parent = frontier.pop()
            total += stats.get(parent, (0, 0.0))[1]
            children = [
                pid for pid, (ppid, _) in stats.items() if ppid == parent and pid not in tree
            ]
            tree.update(children)
            frontier += children
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# --- the load generator ---------------------------------------------------------------------------


async def read_response(reader: asyncio.StreamReader) -> tuple[int, int]:
    """One HTTP/1.1 response: (status, body length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked = -1, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        size = 0
        while True:
            line = await reader.readuntil(b"\r\n")
            chunk = int(line.split(b";")[0], 16)
            await reader.readexactly(chunk + 2)
            size += chunk
            if chunk == 0:
                return status, size
    if length > 0:
        await reader.readexactly(length)
    return status, max(length, 0)


@dataclass
class Scenario:
    name: str
    target: float
    requests: Callable[[], Iterator[bytes]]  # a fresh supply of raw requests
    expect: int = 200


@dataclass
class Outcome:
    name: str
    clients: int
    target: float
    latencies: list[float]
    statuses: Counter[int]
    expect: int
    seconds: float
    server_cpu: float
    client_cpu: float
    exhausted: bool
    body_bytes: int

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != self.expect)

    def row(self) -> dict[str, object]:
        p95 = self.percentile(0.95)
        return {
            "scenario": self.name,
            "clients": self.clients,
            "requests": self.requests,
            "req_per_s": self.requests / self.seconds,
            "p50_ms": self.percentile(0.50),
            "p95_ms": p95,
            "p99_ms": self.percentile(0.99),
            "target_p95_ms": self.target,
            "met": p95 <= self.target,
            "errors": self.errors,
            "statuses": dict(self.statuses),
            "server_cpu_ms_per_request": self.server_cpu * 1000 / max(1, self.requests),
            "client_cpu_ms_per_request": self.client_cpu * 1000 / max(1, self.requests),
            "mean_body_bytes": self.body_bytes / max(1, self.requests),
            "ran_out_of_requests": self.exhausted,
        }


async def run_scenario(
    scenario: Scenario, server: Server, clients: int, warmup: float, seconds: float
) -> Outcome:
    supply = scenario.requests()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    body = 0
    exhausted = False
    connections = [
        await asyncio.open_connection("127.0.0.1", server.port, limit=1 << 20)
        for _ in range(clients)
    ]
    begin = time.perf_counter()
    measure_from, end = begin + warmup, begin + warmup + seconds
    cpu: dict[str, float] = {}

    async def sample() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        cpu["server"], cpu["client"] = server.cpu_seconds(), time.process_time()
        await asyncio.sleep(max(0.0, end - time.perf_counter()))
        cpu["server"] = server.cpu_seconds() - cpu["server"]
        cpu["client"] = time.process_time() - cpu["client"]

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal body, exhausted
        while True:
            request = next(supply, None)
            if request is None:
                exhausted = True
                return
            started = time.perf_counter()
            if started >= end:
                writer.close()
                return
            writer.write(request)
            try:
                status, size = await read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                # The server closed the connection: an error (status 0); a new connection.
                status, size = 0, 0
                writer.close()
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", server.port, limit=1 << 20
                )
            if started >= measure_from:
                latencies.append(time.perf_counter() - started)
                statuses[status] += 1
                body += size

    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(client(r, w) for r, w in connections))
    await sampler
    for _, writer in connections:
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return Outcome(
        scenario.name, clients, scenario.target, latencies, statuses, scenario.expect,
        seconds, cpu["server"], cpu["client"], exhausted, body,
    )  # fmt: skip


def get(target: str, host: str) -> bytes:
    return f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


def one_click(target: str, host: str) -> bytes:
    body = b"List-Unsubscribe=One-Click"
    return (
        f"POST {target} HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def vote_post(link: str, host: str) -> bytes:
    """The button of the page an email's 👍 link opens: a POST of the link's fields."""
    parts = urlsplit(link)
    body = parts.query.encode()  # email, paper, vote, token: the form's fields
    return (
        f"POST {parts.path} HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def target_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def scenarios(
    fixture: Fixture, base_url: str, secret: str, unsubscribe_pool: int
) -> list[Scenario]:
    host = urlsplit(base_url).netloc
    now = dt.datetime.now(dt.UTC)  # the server checks the tokens against its own clock
    rng = random.Random(16)
    digest_set = set(fixture.digest_readers)
    # Even numbers: preferences; odd ones: unsubscribed one by one (never both).
    shown = [n for n in rng.sample(range(0, fixture.readers, 2), min(2000, fixture.readers // 2))]
    preferences = [
        get(target_of(ReaderLinks(base_url, secret, address(n), now).preferences), host)
        for n in shown
    ]
    digests = [
        get(target_of(ReaderLinks(base_url, secret, email, now).digest(kind, first)), host)
        for email, kind, first in fixture.digests
    ]
    pairs = rng.sample(fixture.listed, min(5000, len(fixture.listed)))
    feedback = [
        vote_post(ReaderLinks(base_url, secret, email, now).feedback(key, "up"), host)
        for email, key in pairs
    ]
    leaving = [n for n in range(1, fixture.readers, 2) if n not in digest_set]
    rng.shuffle(leaving)
    leaving = leaving[:unsubscribe_pool]
    unsubscribe = iter(
        [
            one_click(target_of(ReaderLinks(base_url, secret, address(n), now).unsubscribe), host)
            for n in leaving
        ]
    )  # shared by every run: each reader leaves once

    def cycle(requests: list[bytes]) -> Callable[[], Iterator[bytes]]:
        def supply() -> Iterator[bytes]:
            while True:
                yield from requests

        return supply

    return [
        Scenario("GET /subscribe (form)", PAGE_TARGET, cycle([get("/subscribe", host)])),
        Scenario("GET /preferences", PAGE_TARGET, cycle(preferences)),
        Scenario("GET /digest (whole digest)", PAGE_TARGET, cycle(digests)),
        Scenario("POST /feedback (👍 button, records)", CLICK_TARGET, cycle(feedback)),
        Scenario(
            "POST /unsubscribe (one-click)",
            CLICK_TARGET,
            lambda: unsubscribe,
        ),
    ]


# --- the table ------------------------------------------------------------------------------------


def print_table(rows: list[dict[str, object]]) -> None:
    header = (
        "| scenario | clients | requests | req/s | p50 ms | p95 ms | p99 ms | target p95 | met? "
        "| errors | server CPU ms/req | client CPU ms/req |"
    )
    print(header)
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    for row in rows:
        met = "yes" if row["met"] else "**no**"
        note = " (ran out of readers)" if row["ran_out_of_requests"] else ""
        print(
            f"| {row['scenario']}{note} | {row['clients']} | {row['requests']:,} "
            f"| {row['req_per_s']:,.0f} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} "
            f"| {row['p99_ms']:.1f} | ≤ {row['target_p95_ms']:.0f} | {met} | {row['errors']} "
            f"| {row['server_cpu_ms_per_request']:.2f} | {row['client_cpu_ms_per_request']:.2f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--readers", type=int, default=100_000, help="subscribers in the store")
    parser.add_argument(
        "--digest-readers", type=int, default=200, help="readers with a recorded digest (200)"
    )
    parser.add_argument(
        "--clients", type=int, nargs="+", default=[50], help="concurrent clients (50); several: "
        "each scenario with each"
    )  # fmt: skip
    parser.add_argument("--seconds", type=float, default=10.0, help="measured, per scenario")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured, per scenario")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--server-python",
        default=sys.executable,
        help="the Python whose paperwire serves the pages (another commit's venv, to compare "
        "in one run: the store is filled by this one)",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="a PostgreSQL database to use (a fresh schema, dropped afterwards), e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5432/test; default: a SQLite file",
    )
    parser.add_argument(
        "--only", nargs="+", metavar="WORD", help="only the scenarios whose name has a WORD"
    )
    parser.add_argument(
        "--emailed-only",
        action="store_true",
        help="record the digests as without readers' pages: a digest's page then lists only "
        "the papers its email shows (up to 25), not the matched papers it leaves out too",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args()
    if args.readers < 2 * args.digest_readers or args.digest_readers < 1:
        parser.error("--readers must be at least twice --digest-readers (at least 1)")

    with tempfile.TemporaryDirectory(prefix="paperwire-web-") as folder:
        work = Path(folder)
        drop = None
        if args.database:
            url, drop = postgres_schema(args.database)
            store_name = "PostgreSQL"
        else:
            url, store_name = f"sqlite:///{work / 'web.sqlite3'}", "SQLite (WAL)"
        try:
            return bench(args, work, url, store_name)
        finally:
            if drop is not None:
                drop()


def bench(args: argparse.Namespace, work: Path, url: str, store_name: str) -> int:
    port = free_port()
    base_url, secret = f"http://127.0.0.1:{port}", secrets.token_urlsafe(32)
    delivery = {"outbox": str(work / "outbox")}
    if not args.emailed_only:
        delivery |= {"base_url": base_url, "secret": secret}
    settings = Settings.model_validate(
        {
            "database": {"url": url},
            "sources": {"arxiv": {"categories": ["cs"]}},
            "delivery": delivery,
        }
    )
    print(f"building the store: {args.readers:,} readers on {store_name} …", file=sys.stderr)
    fixture = build_store(url, settings, args.readers, args.digest_readers)
    for what, seconds in fixture.seconds.items():
        print(f"  {what}: {seconds:.1f} s", file=sys.stderr)
    config = work / "paperwire.toml"
    write_config(config, url, base_url, secret, work)

    # More one-click readers than the fastest server could take (2,000 a second).
    wanted = int(2_000 * (args.warmup + args.seconds) * len(args.clients))
    pool = min(args.readers // 2 - args.digest_readers, wanted)
    server = Server(config, port, args.workers, work, args.server_python)
    results: list[dict[str, object]] = []
    try:
        server.wait_ready()
        chosen = scenarios(fixture, base_url, secret, pool)  # links signed just now
        for clients, scenario in [(c, s) for c in args.clients for s in chosen]:
            if args.only and not any(w.lower() in scenario.name.lower() for w in args.only):
                continue
            print(f"  {scenario.name}, {clients} clients …", file=sys.stderr)
            outcome = asyncio.run(
                run_scenario(scenario, server, clients, args.warmup, args.seconds)
            )
            results.append(outcome.row())
    finally:
        server.stop()
    if any(row["errors"] for row in results):
        print(f"paperwire web's output (its end):\n{server.output()}", file=sys.stderr)

    papers = fixture.papers_per_digest
    kept = "emailed papers only" if args.emailed_only else "emailed and left-out matches"
    print(
        f"{store_name}, {args.readers:,} readers in the store ({len(fixture.digests)} with a "
        f"recorded digest: {statistics.median(papers):.0f} papers on the median digest page, "
        f"{min(papers)} to {max(papers)}, {kept}); papers: {fixture.papers_source}"
    )
    print(
        f"paperwire web --workers {args.workers}; closed-loop keep-alive clients, "
        f"{args.warmup:g} s warm-up + {args.seconds:g} s per scenario; python "
        f"{sys.version.split()[0]}, {os.cpu_count()} CPUs (client and server share them)\n"
    )
    print_table(results)
    if args.json:
        print(json.dumps({"store": store_name, "readers": args.readers,
                          "workers": args.workers, "results": results}, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
