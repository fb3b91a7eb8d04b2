"""`paperwire run` against a loopback arXiv that follows a travelling clock (time-machine).

Two weeks of cron ticks across a weekend, Thanksgiving and three days with the machine off;
the assertions are who received which papers, and when.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from arxiv_world import ArxivWorld
from conftest import PaperwireCLI
from loopback import LoopbackServer
from smtpserver import SmtpTestServer
from test_send import announce, paper, shown_ids

from paperwire.sources.arxiv.calendar import latest_announcement_date
from paperwire.store import open_store

UTC = dt.UTC
START = dt.datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # Monday 16 November, 19:00 Sunday Eastern


def write_config(home: Path, smtp: SmtpTestServer, extra: str = "") -> Path:
    path = home / "paperwire.toml"
    path.write_text(
        f"""
[sources.arxiv]
categories = ["cs.LG"]
[smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "none"
timeout = 2.0
[delivery]
retry_delay = 0

[[subscribers]]
email = "ada@example.org"        # daily at 07:00 in Berlin (06:00 UTC)
keywords = ["diffusion"]
send_at = "07:00"
timezone = "Europe/Berlin"

[[subscribers]]
email = "bob@example.org"        # as soon as an announcement is stored
keywords = ["graph neural networks"]

[[subscribers]]
email = "cy@example.org"         # weekly, Mondays at 08:00 in New York (13:00 UTC)
keywords = ["diffusion"]
frequency = "weekly"
weekday = "monday"
send_at = "08:00"
timezone = "America/New_York"
{extra}"""
    )
    return path


@dataclass(frozen=True)
class Received:
    to: str
    at: dt.datetime
    ids: list[str]


def received(smtp: SmtpTestServer) -> list[Received]:
    out = []
    for message in smtp.messages:
        parsed = message.parsed()
        at = email.utils.parsedate_to_datetime(str(parsed["Date"])).astimezone(UTC)
        out.append(Received(message.rcpt_tos[0], at, shown_ids(parsed)))
    return out


def day_ids(*days: int, kind: str = "001") -> list[str]:
    """The world's paper of one kind for each day of November 2026, oldest first."""
    return [f"2611.{d:02d}{kind}" for d in days]


@pytest.fixture
def world(arxiv: LoopbackServer) -> ArxivWorld:
    return ArxivWorld(arxiv)


def ticks(first: dt.datetime, last: dt.datetime, every: dt.timedelta) -> Iterator[dt.datetime]:
    when = first
    while when <= last:
        yield when
        when += every


def run_at(paperwire: PaperwireCLI, when: dt.datetime) -> tuple[int, str, str]:
    with time_machine.travel(when, tick=False):
        result = paperwire("run")
    return result.exit_code, result.stdout, result.stderr


def test_two_weeks_of_cron_ticks_across_weekend_holiday_and_downtime(
    paperwire: PaperwireCLI, world: ArxivWorld, smtp_server: SmtpTestServer
) -> None:
    write_config(paperwire.home, smtp_server)
    down_from = dt.datetime(2026, 11, 17, 12, 0, tzinfo=UTC)  # off Tuesday noon …
    down_to = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # … to Friday noon: three days
    outputs: dict[dt.datetime, tuple[int, str, str]] = {}
    for when in ticks(START, dt.datetime(2026, 11, 30, 23, 0, tzinfo=UTC), dt.timedelta(hours=1)):
        if down_from <= when < down_to:
            continue
        outputs[when] = run_at(paperwire, when)

    failures = {w: o for w, o in outputs.items() if o[0] != 0 or o[2]}
    assert failures == {}
    # The weekend and Thanksgiving: nothing fetched, nothing sent, nothing printed.
    quiet_days = (21, 22, 26, 28, 29)
    assert [o for w, o in outputs.items() if w.day in quiet_days and o[1]] == []
    mail = received(smtp_server)
    ada = [(m.at, m.ids) for m in mail if m.to == "ada@example.org"]
    bob = [(m.at, m.ids) for m in mail if m.to == "bob@example.org"]
    cy = [(m.at, m.ids) for m in mail if m.to == "cy@example.org"]

    def at(day: int, hour: int) -> dt.datetime:
        return dt.datetime(2026, 11, day, hour, tzinfo=UTC)

    # Ada: at 06:00 UTC on each announcement day; Wednesday's and Thursday's papers in one
    # catch-up digest when the machine came back on Friday (after Friday's own 06:00, so at
    # noon, with Friday's paper too); nothing on the weekend nor on Thanksgiving (26th).
    assert ada == [
        (at(16, 6), day_ids(16)),
        (at(17, 6), day_ids(17)),
        (at(20, 12), day_ids(18, 19, 20)),
        (at(23, 6), day_ids(23)),
        (at(24, 6), day_ids(24)),
        (at(25, 6), day_ids(25)),
        (at(27, 6), day_ids(27)),
        (at(30, 6), day_ids(30)),
    ]
    # Bob has no send time: at the tick that stored the announcement (05:00 UTC, midnight
    # in New York), and his catch-up at noon on Friday.
    assert bob == [
        (at(16, 5), day_ids(16, kind="002")),
        (at(17, 5), day_ids(17, kind="002")),
        (at(20, 12), day_ids(18, 19, 20, kind="002")),
        (at(23, 5), day_ids(23, kind="002")),
        (at(24, 5), day_ids(24, kind="002")),
        (at(25, 5), day_ids(25, kind="002")),
        (at(27, 5), day_ids(27, kind="002")),
        (at(30, 5), day_ids(30, kind="002")),
    ]
    # Cy, weekly on Mondays at 08:00 New York: the first digest is that Monday's
    # announcement; then each a week of announcements, newest first in rank is fine but
    # every day exactly once.
    assert [w for w, _ in cy] == [at(16, 13), at(23, 13), at(30, 13)]
    assert cy[0][1] == day_ids(16)
    assert sorted(cy[1][1]) == day_ids(17, 18, 19, 20, 23)
    assert sorted(cy[2][1]) == day_ids(24, 25, 27, 30)
    # Nobody ever got a paper twice.
    for reader in ("ada@example.org", "bob@example.org", "cy@example.org"):
        ids = [i for m in mail if m.to == reader for i in m.ids]
        assert len(ids) == len(set(ids))
    # arXiv's feed was read once per announcement day once it was out, not every hour:
    # the missed Wednesday and Thursday came from the API in one catch-up query.
    assert len(world.requests("/api/query")) == 1
    # The feed: at the first tick (Sunday evening in New York), then once on each day it
    # carried an announcement; never on the weekend nor on Thanksgiving.
    assert len(world.requests("/rss/cs.LG")) == 1 + 8
    store = open_store(paperwire.env["PAPERWIRE_DATABASE__URL"])
    stored = {p.arxiv_id for p in store.papers_announced(at(16, 0).date(), at(30, 0).date())}
    store.close()
    weekdays = [16, 17, 18, 19, 20, 23, 24, 25, 27, 30]
    assert stored == {
        i for d in weekdays for k in ("001", "002", "003") for i in day_ids(d, kind=k)
    }


def test_run_is_silent_when_nothing_happened(
    paperwire: PaperwireCLI, world: ArxivWorld, smtp_server: SmtpTestServer
) -> None:
    write_config(paperwire.home, smtp_server)
    first = run_at(paperwire, dt.datetime(2026, 11, 16, 6, 5, tzinfo=UTC))
    again = run_at(paperwire, dt.datetime(2026, 11, 16, 6, 10, tzinfo=UTC))

    assert first[0] == 0, first
    assert "2026-11-16 via rss: 3 added" in first[1]
    assert "sent 2 digests" in first[1]  # ada (after 06:00 UTC) and bob; cy waits for 13:00
    assert again == (0, "", "")


def test_a_hole_that_cannot_be_filled_holds_digests_instead_of_losing_days(
    paperwire: PaperwireCLI, world: ArxivWorld, smtp_server: SmtpTestServer, arxiv: LoopbackServer
) -> None:
    write_config(paperwire.home, smtp_server)
    assert run_at(paperwire, dt.datetime(2026, 11, 16, 6, 0, tzinfo=UTC))[0] == 0
    arxiv.add("/api/query", 503)  # the API is down when the machine comes back on Thursday

    code, _out, err = run_at(paperwire, dt.datetime(2026, 11, 19, 7, 0, tzinfo=UTC))

    assert code == 1
    assert "holding new digests until these announcements are stored: 2026-11-17, 2026-11-18" in err
    assert {m.to for m in received(smtp_server) if m.at.day == 19} == set()
    world_api = ArxivWorld(arxiv)  # the API is back
    assert world_api.announced(dt.date(2026, 11, 17))
    code, _out, err = run_at(paperwire, dt.datetime(2026, 11, 19, 8, 0, tzinfo=UTC))
    assert code == 0, err
    ada = [m.ids for m in received(smtp_server) if m.to == "ada@example.org"]
    assert ada == [day_ids(16), day_ids(17, 18, 19)]


@pytest.mark.parametrize(
    ("backend", "shared_lock"),
    [
        ("sqlite", True),  # the lock file
        ("sqlite", False),  # each its own lock file: the ledger alone
        pytest.param("postgres", True, marks=pytest.mark.postgres),  # the advisory lock
    ],
)
def test_two_run_processes_started_together_send_each_digest_once(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    smtp_server: SmtpTestServer,
    backend: str,
    shared_lock: bool,
) -> None:
    db_url = str(request.getfixturevalue(f"{backend}_url"))
    readers = [f"reader{i:02d}@example.org" for i in range(30)]
    config = tmp_path / "paperwire.toml"
    config.write_text(
        f"""
[sources.arxiv]
categories = ["cs.LG"]
[smtp]
host = "127.0.0.1"
port = {smtp_server.port}
security = "none"
[delivery]
retry_delay = 0
"""
        + "".join(f'[[subscribers]]\nemail = "{r}"\nkeywords = ["diffusion"]\n' for r in readers)
    )
    today = latest_announcement_date(dt.datetime.now(UTC))
    store = open_store(db_url)
    announce(store, *(paper(f"2611.{n:05d}", f"Diffusion study {n}", today) for n in range(5)))
    store.close()

    def start(lock: Path) -> subprocess.Popen[str]:
        env = os.environ | {
            "PAPERWIRE_CONFIG": str(config),
            "PAPERWIRE_DATABASE__URL": db_url,
            "PAPERWIRE_SCHEDULE__LOCK_FILE": str(lock),
            "HOME": str(tmp_path),
        }
        command = [sys.executable, "-m", "paperwire", "run", "--no-fetch"]
        return subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    first = start(tmp_path / "run.lock")
    second = start(tmp_path / ("run.lock" if shared_lock else "other.lock"))
    results = [(*p.communicate(timeout=120), p.returncode) for p in (first, second)]

    assert [code for _, _, code in results] == [0, 0], results
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == readers
    if shared_lock:  # one did the work; the other stepped aside without a word
        said = sorted(out for out, _, _ in results)
        assert said[0] == ""
        assert said[1].startswith("sent 30 digests (150 papers)")
    again = subprocess.run(
        [sys.executable, "-m", "paperwire", "run", "--no-fetch"],
        env=os.environ
        | {
            "PAPERWIRE_CONFIG": str(config),
            "PAPERWIRE_DATABASE__URL": db_url,
            "HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (again.returncode, again.stdout) == (0, "")
    assert len(smtp_server.messages) == 30


ZONES = """
[[subscribers]]
email = "tokyo@example.org"       # 07:00 Tokyo is 17:00 New York the evening before
keywords = ["diffusion"]
send_at = "07:00"
timezone = "Asia/Tokyo"
[[subscribers]]
email = "la@example.org"          # 22:00 Los Angeles is 01:00 New York the next day
keywords = ["diffusion"]
send_at = "22:00"
timezone = "America/Los_Angeles"
"""


def test_send_times_far_east_and_west_follow_the_readers_clock(
    paperwire: PaperwireCLI, world: ArxivWorld, smtp_server: SmtpTestServer
) -> None:
    config = write_config(paperwire.home, smtp_server, ZONES)
    config.write_text(config.read_text().split("[[subscribers]]")[0] + ZONES)
    for when in ticks(START, dt.datetime(2026, 11, 21, 0, 0, tzinfo=UTC), dt.timedelta(minutes=30)):
        code, _out, err = run_at(paperwire, when)
        assert code == 0, err
    mail = received(smtp_server)
    tokyo = [(m.at, m.ids) for m in mail if m.to == "tokyo@example.org"]
    la = [(m.at, m.ids) for m in mail if m.to == "la@example.org"]
    # Tokyo at 07:00 (22:00 UTC the day before): each morning the announcement arXiv made
    # the evening before (Friday's on Saturday morning).
    assert tokyo == [
        (dt.datetime(2026, 11, d - 1, 22, 0, tzinfo=UTC), day_ids(d - 1))
        for d in (17, 18, 19, 20, 21)
    ]
    # Los Angeles at 22:00 (06:00 UTC the next day): the announcement dated the next day,
    # out at midnight New York, two hours before.
    assert la == [
        (dt.datetime(2026, 11, d, 6, 0, tzinfo=UTC), day_ids(d)) for d in (16, 17, 18, 19, 20)
    ]


def test_a_category_change_during_downtime_still_fetches_the_missed_days(
    paperwire: PaperwireCLI, world: ArxivWorld, smtp_server: SmtpTestServer, arxiv: LoopbackServer
) -> None:
    ArxivWorld(arxiv, categories="cs.AI+cs.LG")
    arxiv.add("/list/cs.AI/new", 503)
    dan = '[[subscribers]]\nemail = "dan@example.org"\ncategories = ["cs.AI"]\nkeywords = ["x"]\n'
    write_config(paperwire.home, smtp_server, dan)
    assert run_at(paperwire, dt.datetime(2026, 11, 16, 6, 0, tzinfo=UTC))[0] == 0
    write_config(paperwire.home, smtp_server)  # off Tuesday and Wednesday; dan leaves

    code, _out, err = run_at(paperwire, dt.datetime(2026, 11, 19, 7, 0, tzinfo=UTC))

    assert code == 0, err
    ada = [m.ids for m in received(smtp_server) if m.to == "ada@example.org"]
    assert ada == [day_ids(16), day_ids(17, 18, 19)]


def test_while_the_api_is_down_it_is_asked_once_per_retry_period(
    paperwire: PaperwireCLI, world: ArxivWorld, smtp_server: SmtpTestServer, arxiv: LoopbackServer
) -> None:
    write_config(paperwire.home, smtp_server)
    assert run_at(paperwire, dt.datetime(2026, 11, 16, 6, 0, tzinfo=UTC))[0] == 0
    arxiv.add("/api/query", 503)
    first = dt.datetime(2026, 11, 19, 7, 0, tzinfo=UTC)
    outputs = [
        run_at(paperwire, w)
        for w in ticks(first, first + dt.timedelta(minutes=55), dt.timedelta(minutes=5))
    ]

    # Tries at 07:00 and 07:30 (schedule.fetch_retry = 30 minutes); the ticks between say
    # nothing, so cron does not mail the same error every five minutes.
    assert [o[0] for o in outputs] == [1] + [0] * 5 + [1] + [0] * 5
    assert [bool(o[2]) for o in outputs] == [o[0] == 1 for o in outputs]
    assert len(arxiv.requests_to("/api/query")) == 2 * 2  # each try: the page, asked twice
    assert [m for m in received(smtp_server) if m.at >= first] == []


def test_send_holds_new_digests_over_a_missed_day_too(
    paperwire: PaperwireCLI, world: ArxivWorld, smtp_server: SmtpTestServer, arxiv: LoopbackServer
) -> None:
    write_config(paperwire.home, smtp_server)
    assert run_at(paperwire, dt.datetime(2026, 11, 16, 6, 0, tzinfo=UTC))[0] == 0
    arxiv.add("/api/query", 503)
    assert run_at(paperwire, dt.datetime(2026, 11, 19, 7, 0, tzinfo=UTC))[0] == 1
    with time_machine.travel(dt.datetime(2026, 11, 19, 7, 10, tzinfo=UTC), tick=False):
        result = paperwire("send")

    assert result.exit_code == 1
    assert "holding new digests until these announcements are stored: 2026-11-17" in result.stderr
    assert [m for m in received(smtp_server) if m.at.day == 19] == []
