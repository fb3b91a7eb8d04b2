"""`paperwire serve`'s schedule: an APScheduler 3 scheduler with a fetch job and a tick job.

- "fetch": at `schedule.fetch_cron` in `schedule.timezone` (default 00:30 US Eastern, Monday to
  Friday, just after arXiv rebuilds its feeds), a tick that fetches at once.
- "tick": every `schedule.interval` minutes, the same tick `paperwire run` does: a fetch
  still missing, then the digests whose send time has come.

Both jobs coalesce missed runs into one, start at most `schedule.misfire_grace` seconds late,
never overlap (one worker thread, one instance each), and the tick job also runs at start-up.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import time
from collections.abc import Callable
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from paperwire.config import ScheduleSettings

log = logging.getLogger(__name__)

Job = Callable[[bool], object]  # job(force_fetch)


def add_jobs(scheduler: BaseScheduler, job: Job, schedule: ScheduleSettings) -> BaseScheduler:
    """Put paperwire's two jobs on `scheduler` (see the module docstring)."""
    options = {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": schedule.misfire_grace,
        "replace_existing": True,
    }
    scheduler.add_job(
        job,
        CronTrigger.from_crontab(schedule.fetch_cron, timezone=schedule.timezone),
        args=[True],
        id="fetch",
        name="fetch arXiv's announcement",
        **options,
    )
    scheduler.add_job(
        job,
        IntervalTrigger(minutes=schedule.interval, timezone=schedule.timezone),
        args=[False],
        id="tick",
        name="send due digests",
        next_run_time=dt.datetime.now(dt.UTC),  # at start-up too: catch up at once
        **options,
    )
    return scheduler


def log_next_runs(scheduler: BaseScheduler) -> None:
    zone = scheduler.timezone
    for job in scheduler.get_jobs():
        when = job.next_run_time
        text = when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if when else "never"
        log.info("%s: next at %s", job.name, text)


def serve(
    job: Job,
    schedule: ScheduleSettings,
    *,
    poll: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Run the schedule until SIGTERM or SIGINT; a job in progress is finished first.

    The scheduler runs in its own thread (a BackgroundScheduler, not a BlockingScheduler):
    a blocking one parks the main thread in a long lock wait, and a signal taken by another
    thread (numpy's BLAS threads take them too) would not reach it until the next job is due;
    and a handler that stops the scheduler from inside the main thread's own scheduler code
    can deadlock on a lock that code holds. So the handlers only note the signal, and the
    main thread, waking every `poll` seconds, does the stopping.
    """
    worker = ThreadPoolExecutor(max_workers=1)  # one job at a time, never two ticks at once
    scheduler = BackgroundScheduler(executors={"default": worker}, timezone=schedule.timezone)
    add_jobs(scheduler, job, schedule)
    received: list[int] = []

    def note(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)

    previous = {s: signal.signal(s, note) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.start()
        log_next_runs(scheduler)
        while not received:
            sleep(poll)
        log.info("%s: stopping after the job in progress", signal.Signals(received[0]).name)
        scheduler.shutdown(wait=True)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if scheduler.running:
            scheduler.shutdown(wait=True)
    log.info("stopped")
