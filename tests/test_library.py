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
