"""arXiv's announcement calendar: which mailing date is current, and when a submission appears.

arXiv announces at 20:00 US Eastern from Sunday to Thursday; each announcement is dated the next
day (the feed's pubDate, the listing's "Showing new listings for …"), so announcement dates fall
on Monday to Friday. Submissions received before the 14:00 Eastern deadline go out in that
evening's announcement.

Holidays: arXiv skips a few dates a year (its schedule: https://info.arxiv.org/help/availability.html).
New Year's Day, US Thanksgiving and Christmas Day are built in; a deployment adds the rest of a
year's list with `schedule.holidays`. A holiday missing from the list does no harm: it shows up
as a feed that still carries the previous date, which the fetcher records as "no announcement".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
SUBMISSION_DEADLINE = dt.time(14, 0)
_SATURDAY = 5


_THURSDAY = 3


def builtin_holidays(year: int) -> frozenset[dt.date]:
    """The dates arXiv announces nothing every year: 1 January, US Thanksgiving (the fourth
    Thursday of November) and 25 December."""
    first = dt.date(year, 11, 1)
    thanksgiving = first + dt.timedelta(days=(_THURSDAY - first.weekday()) % 7 + 21)
    return frozenset({dt.date(year, 1, 1), thanksgiving, dt.date(year, 12, 25)})


def is_holiday(day: dt.date, holidays: Collection[dt.date] = ()) -> bool:
    """A weekday arXiv announces nothing: a built-in holiday or one of `holidays`."""
    return day in holidays or day in builtin_holidays(day.year)


def _back_to_weekday(day: dt.date, holidays: Collection[dt.date] = ()) -> dt.date:
    while day.weekday() >= _SATURDAY or is_holiday(day, holidays):
        day -= dt.timedelta(days=1)
    return day


def _next_weekday(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= _SATURDAY:
        day += dt.timedelta(days=1)
    return day


def latest_announcement_date(now: dt.datetime, holidays: Collection[dt.date] = ()) -> dt.date:
    """The date of the newest announcement arXiv should have published by `now` (aware).

    The feeds for date D are built around midnight Eastern at the start of D, so on a weekday
    it is today's date (Eastern), on a weekend Friday's, and on a holiday the day before's.
    """
    return _back_to_weekday(now.astimezone(EASTERN).date(), holidays)


def next_announcement_date(now: dt.datetime, holidays: Collection[dt.date] = ()) -> dt.date:
    """The date of the announcement after the one out at `now`: the day a paper another
    source brings in now is announced with (no digest sent so far can have missed it)."""
    day = latest_announcement_date(now, holidays) + dt.timedelta(days=1)
    while not is_announcement_day(day, holidays):
        day += dt.timedelta(days=1)
    return day


ANNOUNCEMENT_TIME = dt.time(20, 0)
# Feeds are rebuilt around midnight and listings at 20:00, give or take; clocks drift.
_SKEW = dt.timedelta(hours=1)


def newest_possible_announcement_date(now: dt.datetime) -> dt.date:
    """The latest date a feed or listing can honestly show at `now`.

    From 20:00 Eastern, Sunday to Thursday, the listing already shows the next day's
    announcement; before that, nothing newer than `latest_announcement_date`. An hour of
    slack covers clock skew.
    """
    local = (now + _SKEW).astimezone(EASTERN)
    if local.time() >= ANNOUNCEMENT_TIME and local.weekday() in (6, 0, 1, 2, 3):
        return _next_weekday(local.date())
    return latest_announcement_date(now + _SKEW)


def is_announcement_day(day: dt.date, holidays: Collection[dt.date] = ()) -> bool:
    """Announcements are dated Monday to Friday, holidays excepted."""
    return day.weekday() < _SATURDAY and not is_holiday(day, holidays)


def announcement_days(
    first: dt.date, last: dt.date, holidays: Collection[dt.date] = ()
) -> list[dt.date]:
    """The dates from `first` to `last` (both included) that should carry an announcement."""
    days = []
    day = first
    while day <= last:
        if is_announcement_day(day, holidays):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def estimated_announcement_date(submitted: dt.datetime) -> dt.date:
    """The mailing date a first version submitted at `submitted` (aware) appeared in.

    Used only where a source gives no announcement date (the API); off by a day around
    holidays and the rare deadline shifts.
    """
    local = submitted.astimezone(EASTERN)
    day = local.date()
    if local.time() >= SUBMISSION_DEADLINE or day.weekday() >= _SATURDAY:
        day = _next_weekday(day)  # missed today's deadline: the next working day's
    return _next_weekday(day)
