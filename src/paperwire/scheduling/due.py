"""Whose digest is due now: each reader's send time, time zone, frequency and pause.

A digest is due when its reader's latest scheduled moment (the "slot") has passed since their
last digest; whether there is anything to send is the ledger's question (`next_window`), asked
after this one. Which days count is the reader's digest kind's (digest.kinds). A reader
without a send time has a slot at every moment: their digest goes out as soon as a new
announcement is stored.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from paperwire.config import WEEKDAYS, DigestSettings
from paperwire.digest.kinds import DigestKind
from paperwire.models import Reader
from paperwire.store import Store


@dataclass(frozen=True, slots=True)
class SendSchedule:
    """When one reader's digests go out."""

    timezone: ZoneInfo
    send_at: dt.time | None  # None: as soon as due
    weekly: bool = False
    weekday: int = 0  # Monday; for weekly digests

    @classmethod
    def of(cls, reader: Reader, digest: DigestSettings) -> SendSchedule:
        """The reader's own schedule, blanks filled from [digest]."""
        send_at = reader.send_at or digest.send_at
        return cls(
            timezone=ZoneInfo(reader.timezone or digest.timezone),
            send_at=dt.time.fromisoformat(send_at) if send_at else None,
            weekly=reader.weekly,
            weekday=WEEKDAYS.index(reader.weekday),
        )

    def _slot_on(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.send_at or dt.time(0), self.timezone)

    def _is_slot_day(self, day: dt.date) -> bool:
        return not self.weekly or day.weekday() == self.weekday

    def last_slot(self, now: dt.datetime) -> dt.datetime | None:
        """The latest scheduled moment at or before `now`; None when every moment is one (a
        daily digest without a send time)."""
        if not self.weekly and self.send_at is None:
            return None
        day = now.astimezone(self.timezone).date()
        for _ in range(8):
            if self._is_slot_day(day) and self._slot_on(day) <= now:
                return self._slot_on(day)
            day -= dt.timedelta(days=1)
        raise AssertionError("a weekly schedule has a slot every seven days")

    def next_slot(self, now: dt.datetime) -> dt.datetime | None:
        """The first scheduled moment after `now` (None: any moment)."""
        if not self.weekly and self.send_at is None:
            return None
        day = now.astimezone(self.timezone).date()
        for _ in range(9):
            if self._is_slot_day(day) and self._slot_on(day) > now:
                return self._slot_on(day)
            day += dt.timedelta(days=1)
        raise AssertionError("a weekly schedule has a slot every seven days")

    def is_due(
        self,
        now: dt.datetime,
        last_digest: dt.datetime | None,
        unsent: dt.date | None,
        latest: Callable[[dt.datetime], dt.date],
    ) -> bool:
        """True when a slot has passed since the last digest and something arXiv had
        announced by the slot waits (`unsent`: the oldest announcement date no digest of the
        reader has covered; None when none, and then nothing will be planned anyway).

        Announcement dates are arXiv's (US Eastern), so the slot is compared with the
        announcement arXiv had out at that moment: Monday's papers, stored at 06:00 Berlin,
        wait for Monday's 07:00 rather than going out in Sunday's unused slot; a 07:00 Tokyo
        reader gets the announcement of the evening before. A late announcement goes out
        when it arrives; after downtime across a slot, the catch-up goes at once. A reader's
        first digest comes at a slot of the last day (one added on Tuesday with a weekly
        Monday digest waits for Monday). `latest` is the digest kind's calendar: the newest
        day out by a moment (for trending digests, the newest featured day that had ended)."""
        slot = self.last_slot(now)
        if slot is None or unsent is None:
            return True
        if unsent > latest(slot):
            return False
        if last_digest is not None:
            return last_digest < slot
        return now - slot < dt.timedelta(days=1)

    def describe(self, as_published: str = "as announced") -> str:
        """ "daily at 07:00 (Europe/Berlin)", "weekly on monday", or `as_published` (the
        digest kind's words for "as soon as there is something")."""
        if not self.weekly and self.send_at is None:
            return as_published
        when = f"weekly on {WEEKDAYS[self.weekday]}" if self.weekly else "daily"
        if self.send_at is not None:
            when += f" at {self.send_at:%H:%M}"
        return f"{when} ({self.timezone.key})"


@dataclass(frozen=True, slots=True)
class DueReport:
    due: list[Reader]
    waiting: list[tuple[Reader, dt.datetime | None]]  # not yet: the next slot
    paused: list[Reader]
    current: list[Reader] = field(default_factory=list)  # nothing announced to send them


def due_readers(
    store: Store,
    everyone: Sequence[Reader],
    now: dt.datetime,
    kinds: Mapping[str, DigestKind],
    defaults: DigestSettings,
) -> DueReport:
    """Split readers into those whose send time has come, those still waiting, and paused.
    Each reader's days are their digest kind's (`kinds`, by name)."""
    since = now.date() - dt.timedelta(days=90)
    wanted = {one.mode for one in everyone}
    days = {name: kinds[name].published_days(store, since, now) for name in wanted}
    last = {name: store.ledger.last_digests(name) for name in wanted}
    due, waiting, paused, current = [], [], [], []
    for one in everyone:
        kind = kinds[one.mode]
        dates = days[one.mode]
        when, covered = last[one.mode].get(one.email.lower(), (None, None))
        later = dates[bisect.bisect_right(dates, covered) :] if covered else dates[-1:]
        schedule = SendSchedule.of(one, defaults)
        if one.paused:
            paused.append(one)
        elif not later:
            # Nothing announced since their last digest (or, before their first, nothing
            # stored yet): nothing to plan, and an idle tick need not load the ranker.
            current.append(one)
        elif schedule.is_due(now, when, later[0], kind.latest_by):
            due.append(one)
        else:
            waiting.append((one, schedule.next_slot(now)))
    return DueReport(due, waiting, paused, current)
