"""`paperwire serve`: its schedule driven by a travelling clock, and the real daemon's start
and stop."""

from __future__ import annotations

import datetime as dt
import os
import queue
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from arxiv_world import ArxivWorld, papers_of
from conftest import PaperwireCLI
from loopback import LoopbackServer
from smtpserver import SmtpTestServer
from test_run import received, write_config

from paperwire.cli import AppContext
from paperwire.cli.serve import job
from paperwire.scheduling.service import add_jobs

UTC = dt.UTC


def ids(*days: dt.date, kind: str = "001") -> list[str]:
    return [p.arxiv_id for d in days for p in papers_of(d) if p.arxiv_id.endswith(kind)]


class Daemon:
    """serve's scheduler and jobs, run in this process on a clock the test moves."""

    def __init__(self, paperwire: PaperwireCLI, traveller: time_machine.Coordinates) -> None:
        self.app = AppContext(
            env=paperwire.env | {"PAPERWIRE_CONFIG": str(paperwire.home / "paperwire.toml")}
        )
        self.traveller = traveller
        self.events: queue.Queue[JobEvent] = queue.Queue()
        # DebugExecutor runs each job in the scheduler's thread, so that after a wake-up the
        # test can wait for exactly the jobs that were due.
        self.scheduler = BackgroundScheduler(
            executors={"default": DebugExecutor()}, timezone=self.app.settings.schedule.timezone
        )
        add_jobs(self.scheduler, lambda force: job(self.app, force), self.app.settings.schedule)
        self.scheduler.add_listener(
            self.events.put, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR
        )
        self.ran: list[tuple[str, dt.datetime]] = []

    def __enter__(self) -> Daemon:
        due = self._due()
        self.scheduler.start()
        self._collect(due)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.scheduler.shutdown(wait=True)
        self.app.close()

    def _due(self) -> int:
        now = dt.datetime.now(UTC)
        jobs = self.scheduler.get_jobs()
        # Before start() only the tick job has a next run time ("now"); the cron job's is
        # worked out at start.
        times = [getattr(j, "next_run_time", None) for j in jobs]
        return sum(1 for t in times if t is not None and t <= now)

    def _collect(self, count: int) -> None:
        for _ in range(count):
            event = self.events.get(timeout=20)
            assert event.code != EVENT_JOB_ERROR, event.exception
            if event.code == EVENT_JOB_EXECUTED:
                self.ran.append((event.job_id, dt.datetime.now(UTC)))

    def move_to(self, when: dt.datetime) -> None:
        self.traveller.move_to(when)
        due = self._due()
        self.scheduler.wakeup()
        self._collect(due)


def steps(first: dt.datetime, last: dt.datetime, every: dt.timedelta) -> Iterator[dt.datetime]:
    when = first
    while when <= last:
        yield when
        when += every


def test_serve_schedule_across_weekend_holiday_and_three_days_down(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, smtp_server: SmtpTestServer
) -> None:
    world = ArxivWorld(arxiv)
    write_config(paperwire.home, smtp_server)
    half_hour = dt.timedelta(minutes=30)
    start = dt.datetime(2026, 11, 20, 0, 0, tzinfo=UTC)  # Thursday 19:00 in New York
    stop = dt.datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday night: the machine goes off
    back = dt.datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # three days later
    with time_machine.travel(start, tick=False) as traveller:
        with Daemon(paperwire, traveller) as daemon:
            for when in steps(start + half_hour, stop, half_hour):
                daemon.move_to(when)
            first_run = daemon.ran
        traveller.move_to(back)
        with Daemon(paperwire, traveller) as daemon:
            for when in steps(back + half_hour, back + dt.timedelta(hours=10), half_hour):
                daemon.move_to(when)
            second_run = daemon.ran

    def at(month: int, day: int, hour: int) -> dt.datetime:
        return dt.datetime(2026, month, day, hour, tzinfo=UTC)

    def d(month: int, day: int) -> dt.date:
        return dt.date(2026, month, day)

    mail = received(smtp_server)
    ada = [(m.at, m.ids) for m in mail if m.to == "ada@example.org"]
    bob = [(m.at, m.ids) for m in mail if m.to == "bob@example.org"]
    cy = [(m.at, sorted(m.ids)) for m in mail if m.to == "cy@example.org"]
    # The fetch job fires at 00:30 New York (05:30 UTC) on weekdays; the tick job every half
    # hour here (the clock moves in half hours), and at start-up.
    fetches = [w for name, w in first_run + second_run if name == "fetch"]
    assert fetches == [
        at(11, day, 5) + dt.timedelta(minutes=30) for day in (20, 23, 24, 25, 26, 27)
    ] + [at(12, 3, 5) + dt.timedelta(minutes=30)]
    # Bob (as announced): Thursday's announcement at start-up, then each one at midnight New
    # York (05:00 UTC), when the tick finds it; nothing on the weekend nor Thanksgiving; the
    # three missed days in one catch-up the moment the daemon is back.
    assert bob == [
        (at(11, 20, 0), ids(d(11, 19), kind="002")),
        (at(11, 20, 5), ids(d(11, 20), kind="002")),
        (at(11, 23, 5), ids(d(11, 23), kind="002")),
        (at(11, 24, 5), ids(d(11, 24), kind="002")),
        (at(11, 25, 5), ids(d(11, 25), kind="002")),
        (at(11, 27, 5), ids(d(11, 27), kind="002")),
        (at(12, 3, 2), ids(d(11, 30), d(12, 1), d(12, 2), kind="002")),
        (at(12, 3, 5), ids(d(12, 3), kind="002")),
    ]
    # Ada, daily at 07:00 Berlin (06:00 UTC): her first digest at start-up, for her slot of
    # Thursday 07:00 (less than a day ago), then Friday's at 07:00. Her slots of the 30th,
    # 1st and 2nd passed while the machine was off: one catch-up as soon as it is back, then
    # the 3rd's announcement at her own time.
    assert ada == [
        (at(11, 20, 0), ids(d(11, 19))),
        (at(11, 20, 6), ids(d(11, 20))),
        (at(11, 23, 6), ids(d(11, 23))),
        (at(11, 24, 6), ids(d(11, 24))),
        (at(11, 25, 6), ids(d(11, 25))),
        (at(11, 27, 6), ids(d(11, 27))),
        (at(12, 3, 2), ids(d(11, 30), d(12, 1), d(12, 2))),
        (at(12, 3, 6), ids(d(12, 3))),
    ]
    # Cy, weekly on Monday 08:00 New York: the 23rd, then Monday the 30th was missed while
    # the machine was off, so the catch-up goes at once when it is back.
    assert cy == [
        (at(11, 23, 13), ids(d(11, 23))),
        (at(12, 3, 2), sorted(ids(d(11, 24), d(11, 25), d(11, 27), d(11, 30), d(12, 1), d(12, 2)))),
    ]
    assert len(world.requests("/api/query")) == 1  # the missed days, in one query


def _serve(home: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "paperwire", "serve"],
        cwd=home,
        env=os.environ | env | {"PAPERWIRE_CONFIG": str(home / "paperwire.toml")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_line(process: subprocess.Popen[str], needle: str, timeout: float = 30) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} never logged: {lines}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_logs_next_runs_and_stops_cleanly_on_a_signal(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, smtp_server: SmtpTestServer, signum: int
) -> None:
    ArxivWorld(arxiv)
    write_config(paperwire.home, smtp_server)
    process = _serve(paperwire.home, paperwire.env)
    try:
        lines = _wait_for_line(process, "next at")
        lines += _wait_for_line(process, "next at")
        assert sum("fetch arXiv's announcement: next at" in line for line in lines) == 1
        assert sum("send due digests: next at" in line for line in lines) == 1
        process.send_signal(signum)
        _out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "stopping after the job in progress" in err
    assert "Traceback" not in err
