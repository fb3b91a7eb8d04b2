"""arXiv's announcement calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from paperwire.sources.arxiv.calendar import (
    EASTERN,
    estimated_announcement_date,
    latest_announcement_date,
)


def _eastern(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=EASTERN)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (_eastern(2026, 11, 24, 9, 0), dt.date(2026, 11, 24)),  # Tuesday morning
        (_eastern(2026, 11, 28, 12, 0), dt.date(2026, 11, 27)),  # Saturday: Friday's
        (_eastern(2026, 11, 29, 23, 0), dt.date(2026, 11, 27)),  # Sunday night: still Friday's
        (_eastern(2026, 11, 30, 0, 30), dt.date(2026, 11, 30)),  # Monday just after midnight
    ],
)
def test_latest_announcement_date(now: dt.datetime, expected: dt.date) -> None:
    assert latest_announcement_date(now) == expected


@pytest.mark.parametrize(
    ("submitted", "expected"),
    [
        (_eastern(2026, 11, 23, 10, 0), dt.date(2026, 11, 24)),  # Mon before 14:00 → Tue
        (_eastern(2026, 11, 23, 15, 0), dt.date(2026, 11, 25)),  # Mon after 14:00 → Wed
        (_eastern(2026, 11, 27, 10, 0), dt.date(2026, 11, 30)),  # Fri before 14:00 → Mon
        (_eastern(2026, 11, 27, 15, 0), dt.date(2026, 12, 1)),  # Fri after 14:00 → Tue
        (_eastern(2026, 11, 28, 10, 0), dt.date(2026, 12, 1)),  # Saturday → Tue
    ],
)
def test_estimated_announcement_date(submitted: dt.datetime, expected: dt.date) -> None:
    assert estimated_announcement_date(submitted) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (_eastern(2026, 11, 29, 21, 0), dt.date(2026, 11, 30)),  # Sunday evening: Monday's
        (_eastern(2026, 11, 24, 6, 0), dt.date(2026, 11, 24)),  # Tuesday morning: not Wed
        (_eastern(2026, 11, 24, 19, 30), dt.date(2026, 11, 25)),  # within the hour of slack
        (_eastern(2026, 11, 27, 21, 0), dt.date(2026, 11, 27)),  # Friday evening: no mailing
    ],
)
def test_newest_possible_announcement_date(now: dt.datetime, expected: dt.date) -> None:
    from paperwire.sources.arxiv.calendar import newest_possible_announcement_date

    assert newest_possible_announcement_date(now) == expected
