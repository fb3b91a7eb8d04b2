"""Papers from a source other than arXiv, announced with arXiv's next announcement: planned
digests wait for that day; a one-off digest shows them at once."""

from __future__ import annotations

import datetime as dt
import json

import time_machine
from conftest import PaperwireCLI

from paperwire.models import AnnounceType, Paper
from paperwire.sources.arxiv.ids import arxiv_links
from paperwire.store import open_store

MONDAY, TUESDAY = dt.date(2026, 11, 16), dt.date(2026, 11, 17)
MONDAY_NOON = dt.datetime(2026, 11, 16, 17, tzinfo=dt.UTC)


def _store_papers(url: str) -> None:
    arxiv = Paper(
        "2611.16001",
        "Diffusion on graphs",
        "Diffusion models for graphs.",
        categories=["cs.LG"],
        announce_type=AnnounceType.NEW,
        announced=MONDAY,
        links=arxiv_links("2611.16001"),
    )
    journal = Paper(
        "doi:10.5555/j.1",
        "Diffusion in soils",
        "Diffusion of water in soils.",
        announce_type=AnnounceType.NEW,
        announced=TUESDAY,  # seen on Monday afternoon: Tuesday's announcement
        source="journal",
        links={"url": "https://journal.example.org/1"},
    )
    with open_store(url) as store, store.transaction() as connection:
        store.upsert_papers(connection, [arxiv, journal], MONDAY_NOON)


def test_planned_digests_never_reach_past_arxivs_latest_announcement(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    _store_papers(sqlite_url)
    config = paperwire.home / "paperwire.toml"
    config.write_text('[[subscribers]]\nemail = "ada@example.org"\nkeywords = ["diffusion"]\n')

    with time_machine.travel(MONDAY_NOON, tick=False):
        result = paperwire("send", "--outbox", str(paperwire.home / "out"))

    assert result.exit_code == 0, result.output
    with open_store(sqlite_url) as store:
        [delivery] = store.ledger.deliveries()
        assert (delivery.window_from, delivery.window_to) == (MONDAY, MONDAY)
        assert store.ledger.received("ada@example.org") == {"2611.16001"}


def test_a_one_off_digest_shows_papers_waiting_for_the_next_announcement(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    _store_papers(sqlite_url)

    with time_machine.travel(MONDAY_NOON, tick=False):
        result = paperwire("digest", "-c", "cs.LG", "-k", "diffusion", "--no-fetch",
                           "--format", "json")  # fmt: skip

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["window"] == {"from": "2026-11-16", "to": "2026-11-17"}
    assert {p["id"] for p in document["papers"]} == {"2611.16001", "doi:10.5555/j.1"}
