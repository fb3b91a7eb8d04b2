"""Bad input a new user typed (issue 18, items 10 and 15): refused in one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import time_machine
from conftest import PaperwireCLI
from fixtures_path import own_fixture

import paperwire
from paperwire.sources.arxiv import taxonomy


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("digest", "--since", "2027-01-01", "--no-fetch"),
            "--since 2027-01-01 is after the latest announced day, 2026-11-20",
        ),
        (
            ("digest", "--date", "2026-11-21", "--no-fetch"),  # a Saturday: no announcement yet
            "--date 2026-11-21 is after the latest announced day, 2026-11-20",
        ),
        (
            ("digest", "-c", "cs.XX", "--no-fetch"),
            "--category: 'cs.XX' is not an arXiv category such as 'cs.LG' or 'astro-ph' "
            "(did you mean ",
        ),
        (
            ("subscribers", "add", "ada@example.org", "-c", "cs.lg"),
            "--category: 'cs.lg' is not an arXiv category such as 'cs.LG' or 'astro-ph' "
            "(did you mean cs.LG?)",
        ),
    ],
)
def test_future_days_and_unknown_categories_are_refused(
    paperwire: PaperwireCLI, args: tuple[str, ...], message: str
) -> None:
    with time_machine.travel("2026-11-21 12:00Z", tick=False):
        result = paperwire(*args)

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"paperwire: error: {message}")
    assert len(result.stderr.splitlines()) == 1


def test_the_taxonomy_knows_the_categories_arxiv_lists_and_suggests_spellings() -> None:
    listed = set()
    for fixture, format in (
        ("rss2_2026_3items.xml", "arxiv-rss"),
        ("api_2entries.xml", "arxiv-api"),
    ):
        for paper in paperwire.parse(format, own_fixture(fixture)).papers:
            listed.update(paper.categories)
    assert listed and {c for c in listed if not taxonomy.known(c)} == set()
    for name in ("astro-ph", "astro-ph.GA", "physics.bio-ph", "q-fin.ST", "quant-ph"):
        assert taxonomy.known(name), name
    for name in ("cs.XX", "cs.lg", "hep-th.LG", "math.NA.x"):
        assert not taxonomy.known(name), name
    assert taxonomy.suggestions("cs.lg") == ["cs.LG"]
    assert taxonomy.suggestions("stat.ml") == ["stat.ML"]
    assert "math" in taxonomy.suggestions("mathh")


def test_a_database_sqlite_cannot_open_says_what_to_check(
    paperwire: PaperwireCLI, tmp_path: Path
) -> None:
    # A folder where the file should be: SQLite says only "unable to open database file".
    (tmp_path / "db.sqlite3").mkdir()
    env = {"PAPERWIRE_DATABASE__URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}

    listed = paperwire("subscribers", "list", env=env)
    checked = paperwire("doctor", "--skip", "smtp", "--skip", "sources", env=env)

    assert listed.exit_code == 1
    [line] = listed.stderr.splitlines()
    assert "unable to open database file (check that the database file and its folder" in line
    assert checked.exit_code == 1
    assert "writable" in checked.stdout.replace("\n", " ")


def test_a_feed_that_trips_feedparser_is_refused_in_one_line() -> None:
    body = b"<item<authors<a A</authors</author<"  # feedparser's loose parser: IndexError
    # Found by fuzz/fuzz.py (minimised): the parser's own errors must not escape.
    from paperwire.errors import FeedFormatError

    with pytest.raises(FeedFormatError) as caught:
        paperwire.parse("feed", body, "https://journal.example.org/rss")

    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("https://journal.example.org/rss: ")
