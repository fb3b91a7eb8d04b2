"""Words and dates a digest's texts share, whatever its kind: the window, the reader's terms."""

from __future__ import annotations

import datetime as dt

from paperwire.errors import ProfileError
from paperwire.models import Digest
from paperwire.syntax import split_weight

EN_DASH = "\u2013"
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_month(day: dt.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]}"


def format_window(window_from: dt.date, window_to: dt.date, *, year: bool = True) -> str:
    """ "Mon 23 Nov 2026" for one day, "18-23 Nov 2026" or "30 Nov - 2 Dec 2026" for several,
    with en dashes (locale-independent: the email is in English whatever the server's locale)."""
    suffix = f" {window_to.year}" if year else ""
    if window_from >= window_to:
        return f"{_WEEKDAYS[window_to.weekday()]} {day_month(window_to)}{suffix}"
    if window_from.year != window_to.year:
        start = f"{day_month(window_from)} {window_from.year}"
        return f"{start} {EN_DASH} {day_month(window_to)}{suffix}"
    if window_from.month != window_to.month:
        return f"{day_month(window_from)} {EN_DASH} {day_month(window_to)}{suffix}"
    return f"{window_from.day}{EN_DASH}{day_month(window_to)}{suffix}"


def display_term(raw: str) -> str:
    try:
        return split_weight(raw)[0]
    except ProfileError:  # a weight the profile check would refuse: show it as written
        return raw.strip()


def on_topics(digest: Digest) -> int:
    """How many of the papers shown matched the reader's topics (a trending digest lists
    others too)."""
    return sum(1 for s in digest.papers if s.matched or s.reasons)
