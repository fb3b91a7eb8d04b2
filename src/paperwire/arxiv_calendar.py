"""arXiv's announcement calendar: which mailing date is current, and when a submission appears.

arXiv announces at 20:00 US Eastern from Sunday to Thursday; each announcement is dated the next
day (the feed's pubDate, the listing's "Showing new listings for …"), so announcement dates fall
on Monday to Friday. Submissions received before the 14:00 Eastern deadline go out in that
evening's announcement. Holidays are not modelled here: a holiday simply shows up as a feed that
still carries the previous date, which the fetcher treats as "no new announcement".
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
SUBMISSION_DEADLINE = dt.time(14, 0)
_SATURDAY = 5


def _back_to_weekday(day: dt.date) -> dt.date:
    while day.weekday() >= _SATURDAY:
        day -= dt.timedelta(days=1)
    return day


def _next_weekday(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= _SATURDAY:
        day += dt.timedelta(days=1)
    return day


def latest_announcement_date(now: dt.datetime) -> dt.date:
    """The date of the newest announcement arXiv should have published by `now` (aware).

    The feeds for date D are built around midnight Eastern at the start of D, so on a weekday
    it is today's date (Eastern) and on a weekend it is Friday's.
    """
    return _back_to_weekday(now.astimezone(EASTERN).date())


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


def is_announcement_day(day: dt.date) -> bool:
    """Announcements are dated Monday to Friday (holidays aside)."""
    return day.weekday() < _SATURDAY


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
