"""Stalls: one bad server must not stop everyone's mail (issue 18, items 1-4).

Each case runs the real command against loopback servers that misbehave on purpose.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import time_machine
from arxiv_world import ArxivWorld
from conftest import PaperwireCLI
from fixtures_path import own_fixture
from loopback import LoopbackServer, Reply
from smtpserver import SmtpTestServer

from paperwire.scheduling.lock import file_lock

UTC = dt.UTC


def test_a_source_dripping_its_answer_is_given_up_at_the_deadline(
    paperwire: PaperwireCLI, arxiv: LoopbackServer
) -> None:
    # Headers at once, then a byte every 0.2 s: a 5 s read timeout never fires.
    dripping = Reply(200, b"<rss>" + b" " * 10_000, {"Content-Type": "text/xml"}, drip=0.2)
    arxiv.add("/rss/cs.LG", dripping)
    arxiv.add("/list/cs.LG/new", dripping)
    env = {"PAPERWIRE_HTTP__TIMEOUT": "5", "PAPERWIRE_HTTP__DEADLINE": "1.5"}

    started = time.monotonic()
    result = paperwire("fetch", "-c", "cs.LG", env=env)
    took = time.monotonic() - started

    assert result.exit_code == 1, result.output
    assert took < 10, took  # two routes, each cut at 1.5 s (plus the polite interval)
    [line] = result.stderr.splitlines()
    assert "no complete answer within http.deadline (1.5 s)" in line
    assert "Traceback" not in result.output


def test_a_tick_finding_the_lock_held_for_long_says_so_on_stderr(
    paperwire: PaperwireCLI, tmp_path: Path
) -> None:
    lock = tmp_path / "run.lock"
    env = {"PAPERWIRE_SCHEDULE__LOCK_FILE": str(lock)}
    taken = dt.datetime.now(UTC)

    with file_lock(lock) as holder:
        assert holder is None  # this test holds it, as a stuck run would
        with time_machine.travel(taken + dt.timedelta(minutes=5), tick=False):
            soon = paperwire("run", "--no-fetch", env=env)
        with time_machine.travel(taken + dt.timedelta(minutes=45), tick=False):
            late = paperwire("run", "--no-fetch", env=env)

    assert (soon.exit_code, soon.stdout, soon.stderr) == (0, "", "")  # an overlap is normal
    assert late.exit_code == 0
    [line] = late.stderr.splitlines()
    assert "another paperwire run has held the lock for 45 minutes" in line
    assert "it may be stuck" in line


def test_a_hostile_hugging_face_answer_fails_alone_and_arxivs_digest_goes_out(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, smtp_server: SmtpTestServer
) -> None:
    ArxivWorld(arxiv)
    arxiv.add("/api/daily_papers", Reply(200, b"[" * 100_000, {"Content-Type": "application/json"}))
    (paperwire.home / "paperwire.toml").write_text(
        f"""
[sources.arxiv]
categories = ["cs.LG"]
[sources.huggingface]
enabled = true
api_url = "{arxiv.url}/api/daily_papers"
page_url = ""
[smtp]
host = "127.0.0.1"
port = {smtp_server.port}
security = "none"
[[subscribers]]
email = "bob@example.org"
keywords = ["diffusion"]
"""
    )

    with time_machine.travel(dt.datetime(2026, 11, 17, 6, tzinfo=UTC), tick=False):
        result = paperwire("run")

    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()  # one line for each featured day asked for
    assert lines and all("JSON nested too deeply to read" in line for line in lines)
    assert all(line.startswith("paperwire: error: Hugging Face") for line in lines)
    assert "Traceback" not in result.output
    assert [list(m.rcpt_tos) for m in smtp_server.messages] == [["bob@example.org"]]


def test_a_stale_feed_with_failing_listing_pages_is_reported_by_cron(
    paperwire: PaperwireCLI, arxiv: LoopbackServer
) -> None:
    # The feed still shows Thursday 24 September; the listing pages answer 503.
    arxiv.add("/rss/cs.LG", Reply(200, own_fixture("rss2_2026_3items.xml")))
    arxiv.add("/list/cs.LG/new", Reply(503))
    (paperwire.home / "paperwire.toml").write_text(
        '[sources.arxiv]\ncategories = ["cs.LG"]\n'
        '[[subscribers]]\nemail = "ada@example.org"\nkeywords = ["graph"]\n'
    )
    env = {"PAPERWIRE_HTTP__RETRIES": "1"}

    with time_machine.travel(dt.datetime(2026, 12, 1, 6, tzinfo=UTC), tick=False):
        result = paperwire("run", env=env)

    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    assert "the feed is behind and the listing pages failed" in line
    assert "/list/cs.LG/new: HTTP 503" in line
