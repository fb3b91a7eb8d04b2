"""The library a program uses (README, "Use it as a library"): what the command does, without
the command, against a loopback arXiv."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from conftest import polite_session
from fixtures_path import own_fixture
from loopback import LoopbackServer, Reply

import paperwire

MONDAY = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)


def test_a_program_fetches_builds_renders_and_sends_through_the_public_api(
    arxiv: LoopbackServer, sqlite_url: str, tmp_path: Path
) -> None:
    arxiv.add("/rss/cs.LG", Reply(200, own_fixture("routes/rss.xml")))
    settings = paperwire.Settings.model_validate(
        {
            "database": {"url": sqlite_url},
            "sources": {"arxiv": {"categories": ["cs.LG"], "rss_url": arxiv.url}},
            "delivery": {"outbox": str(tmp_path / "outbox")},
            "subscribers": [{"email": "ada@example.org", "keywords": ["graph"]}],
        }
    )
    clock = lambda: dt.datetime(2026, 11, 17, 12, tzinfo=dt.UTC)  # noqa: E731

    with paperwire.Paperwire(settings, clock=clock, http=polite_session()) as pw:
        fetched = pw.fetch(request=paperwire.FetchRequest(route="rss"))
        result = pw.digest(paperwire.Profile(keywords=["graph"]), fetch=False)
        document = json.loads(paperwire.render(result.digest, "json"))
        sent = pw.send_due()

    assert fetched.counts.added == 2 and not fetched.problems
    assert [p["id"] for p in document["papers"]] == ["2611.10002"]
    assert document["window"] == {"from": "2026-11-17", "to": "2026-11-17"}
    assert sent.summary.count("sent") == 1 and not sent.failed
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_a_program_manages_readers_without_the_command(sqlite_url: str) -> None:
    settings = paperwire.Settings.model_validate(
        {
            "database": {"url": sqlite_url},
            "sources": {"feeds": [{"name": "biorxiv", "url": "http://127.0.0.1:9/b.xml"}]},
            "subscribers": [{"email": "file@example.org"}],
        }
    )
    names = {"keywords": "Your keywords", "sources": "Sources"}

    with paperwire.Paperwire(settings, clock=lambda: MONDAY) as pw:
        readers = pw.subscriptions()
        readers.sync()
        readers.add({"email": "ada@example.org", "keywords": ["LoRA^2"]}, names=names)
        edited = readers.edit(
            "ADA@example.org", {"sources": ["biorxiv"]}, add_keywords=["lora", "MTL"]
        )
        problems = []
        for change in ({"keywords": ["x^y"]}, {"sources": ["nature"]}):
            try:
                readers.edit("ada@example.org", change, names=names)
            except paperwire.UsageError as exc:
                problems.append(str(exc))
        try:
            readers.remove("file@example.org")
        except paperwire.UsageError as exc:
            problems.append(str(exc))
        stored = {r.email: r for r in pw.readers()}

    assert edited.changed == ["keywords", "sources"]
    assert list(stored["ada@example.org"].profile.keywords) == ["lora", "MTL"]
    assert list(stored["ada@example.org"].sources) == ["biorxiv"]
    assert problems[0].startswith("Your keywords: term 'x^y'")
    assert problems[1].startswith("Sources: 'nature' is not a configured source")
    assert problems[2] == "file@example.org is in the configuration; remove it there"
    assert "file@example.org" in stored


def test_parse_reads_a_journal_feed_without_storing_it() -> None:
    batch = paperwire.parse(
        "feed", own_fixture("feeds/journal_rss2_3items.xml"), "https://j.example/rss", source="j"
    )

    assert {p.source for p in batch.papers} == {"j"}
    assert [p.key for p in batch.papers] == [
        "doi:10.5555/jir.2026.101",
        "2609.01234",  # an item with arXiv's DOI is that arXiv paper
        "j:https://journal.example.org/articles/editorial-7",
    ]


def test_editing_a_reader_never_reaches_another(sqlite_url: str) -> None:
    settings = paperwire.Settings.model_validate({"database": {"url": sqlite_url}})

    with paperwire.Paperwire(settings, clock=lambda: MONDAY) as pw:
        readers = pw.subscriptions()
        readers.add({"email": "ada@example.org", "keywords": ["LoRA"]})
        readers.add({"email": "bob@example.org", "keywords": ["MTL"]})
        try:
            readers.edit("ada@example.org", {"email": "bob@example.org", "keywords": ["x"]})
        except paperwire.UsageError as exc:
            refused = str(exc)
        same = readers.edit("ada@example.org", {"email": "ADA@example.org", "paused": True})
        entries = [{"email": "cy@example.org", "origin": "db"}]
        readers.import_entries(entries)
        stored = {r.email: r for r in pw.readers()}

    assert refused == "email: an address cannot be changed"
    assert list(stored["bob@example.org"].profile.keywords) == ["MTL"]
    assert list(stored["ada@example.org"].profile.keywords) == ["LoRA"]
    assert same.changed == ["paused"] and stored["ada@example.org"].paused
    assert entries == [{"email": "cy@example.org", "origin": "db"}]  # the caller's, unchanged
    assert "cy@example.org" in stored
