"""Whose digest is due now: each reader's send time, time zone, frequency and pause.

A digest is due when its reader's latest scheduled moment (the "slot") has passed since their
last digest; whether there is anything to send is the ledger's question (`next_window`), asked
after this one. A reader without a send time has a slot at every moment: their digest goes out
as soon as a new announcement is stored.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from paperwire.config import WEEKDAYS, DigestSettings, Settings, SubscriberSettings
from paperwire.delivery.batch import Recipient, recipient
from paperwire.sources.arxiv.calendar import latest_announcement_date
from paperwire.sources.huggingface.fetch import latest_final_day
from paperwire.store import Store
from paperwire.store.ledger import TRENDING
from paperwire.store.subscribers import CONFIG, SyncReport


@dataclass(frozen=True, slots=True)
class SendSchedule:
    """When one reader's digests go out."""

    timezone: ZoneInfo
    send_at: dt.time | None  # None: as soon as due
    weekly: bool = False
    weekday: int = 0  # Monday; for weekly digests

    @classmethod
    def of(cls, subscriber: SubscriberSettings, digest: DigestSettings) -> SendSchedule:
        """The subscriber's own schedule, blanks filled from [digest]."""
        send_at = subscriber.send_at or digest.send_at
        return cls(
            timezone=ZoneInfo(subscriber.timezone or digest.timezone),
            send_at=dt.time.fromisoformat(send_at) if send_at else None,
            weekly=subscriber.frequency == "weekly",
            weekday=WEEKDAYS.index(subscriber.weekday),
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
        latest: Callable[[dt.datetime], dt.date] = latest_announcement_date,
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
        Monday digest waits for Monday). For trending digests, `latest` gives the newest
        featured day that had ended by a moment, in place of arXiv's calendar."""
        slot = self.last_slot(now)
        if slot is None or unsent is None:
            return True
        if unsent > latest(slot):
            return False
        if last_digest is not None:
            return last_digest < slot
        return now - slot < dt.timedelta(days=1)

    def describe(self) -> str:
        """ "daily at 07:00 (Europe/Berlin)", "weekly on monday", "as announced"."""
        if not self.weekly and self.send_at is None:
            return "as announced"
        when = f"weekly on {WEEKDAYS[self.weekday]}" if self.weekly else "daily"
        if self.send_at is not None:
            when += f" at {self.send_at:%H:%M}"
        return f"{when} ({self.timezone.key})"


@dataclass(frozen=True, slots=True)
class Reader:
    """A subscriber: who they are to delivery, when their digests go, whether paused."""

    recipient: Recipient
    schedule: SendSchedule
    paused: bool = False


def reader(subscriber: SubscriberSettings, settings: Settings) -> Reader:
    return Reader(
        recipient(subscriber, settings),
        SendSchedule.of(subscriber, settings.digest),
        subscriber.paused,
    )


def sync_subscribers(store: Store, settings: Settings, now: dt.datetime) -> SyncReport:
    """Write the configuration file's subscribers to the database (the file wins for them).
    Readers the file no longer lists are removed only when a file was read: a command run
    without one (built-in defaults) must not empty the list."""
    return store.subscribers.sync(
        settings.subscribers, now, remove_missing=settings.config_file is not None
    )


def subscribers(
    store: Store, settings: Settings, now: dt.datetime, *, sync: bool = True
) -> list[SubscriberSettings]:
    """Every subscriber: the configuration file's and those kept in the database.

    With `sync`, the file's subscribers are written to the database first (the file wins for
    them; readers it no longer lists are removed). Without it (a dry run), the same merge is
    made in memory and nothing is written.
    """
    if sync:
        sync_subscribers(store, settings, now)
        return [s.settings for s in store.subscribers.all()]
    configured = {s.email.lower(): s for s in settings.subscribers}
    kept = [
        s.settings
        for s in store.subscribers.all()
        if s.email.lower() not in configured and s.origin != CONFIG
    ]
    return sorted([*configured.values(), *kept], key=lambda s: s.email.lower())


def readers(
    store: Store, settings: Settings, now: dt.datetime, *, sync: bool = True
) -> list[Reader]:
    """Every subscriber as a Reader (see `subscribers`)."""
    return [reader(s, settings) for s in subscribers(store, settings, now, sync=sync)]


@dataclass(frozen=True, slots=True)
class DueReport:
    due: list[Recipient]
    waiting: list[tuple[Reader, dt.datetime | None]]  # not yet: the next slot
    paused: list[Reader]
    current: list[Reader] = field(default_factory=list)  # every announcement already covered


def due_readers(store: Store, everyone: Sequence[Reader], now: dt.datetime) -> DueReport:
    """Split readers into those whose send time has come, those still waiting, and paused."""
    last = store.ledger.last_digests()
    since = now.date() - dt.timedelta(days=90)
    announced = store.announcement_dates(since)
    featured: list[dt.date] = []
    last_trending: dict[str, tuple[dt.datetime, dt.date]] = {}
    if any(one.recipient.trending for one in everyone):
        records = store.trending_days(since, now.date())
        featured = sorted(day for day, record in records.items() if record.final)
        last_trending = store.ledger.last_digests(TRENDING)
    due, waiting, paused, current = [], [], [], []
    for one in everyone:
        trending = one.recipient.trending
        dates = featured if trending else announced
        digests = last_trending if trending else last
        when, covered = digests.get(one.recipient.email.lower(), (None, None))
        later = dates[bisect.bisect_right(dates, covered) :] if covered else dates[-1:]
        calendar = latest_final_day if trending else latest_announcement_date
        if one.paused:
            paused.append(one)
        elif covered is not None and not later:
            current.append(one)  # nothing announced since their last digest: nothing to plan
        elif one.schedule.is_due(now, when, later[0] if later else None, calendar):
            due.append(one.recipient)
        else:
            waiting.append((one, one.schedule.next_slot(now)))
    return DueReport(due, waiting, paused, current)
