"""Trending digests end to end: `paperwire run` ticks against a loopback arXiv and Hugging Face
that follow a travelling clock, delivered over real SMTP through the ledger."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from arxiv_world import ArxivWorld
from conftest import PaperwireCLI
from hf_world import HuggingFaceWorld, upvotes
from loopback import LoopbackServer
from smtpserver import SmtpTestServer
from test_run import received, run_at, ticks

UTC = dt.UTC
START = dt.datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # Monday


@pytest.fixture
def worlds(arxiv: LoopbackServer) -> tuple[ArxivWorld, HuggingFaceWorld]:
    world = ArxivWorld(arxiv)
    return world, HuggingFaceWorld(arxiv, world)


def write_config(paperwire: PaperwireCLI, smtp: SmtpTestServer, hf: HuggingFaceWorld) -> None:
    (paperwire.home / "paperwire.toml").write_text(
        f"""
[sources.arxiv]
categories = ["cs.LG"]
[sources.huggingface]
enabled = true
api_url = "{hf.url}"
page_url = ""
[smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "none"
timeout = 2.0

[[subscribers]]
email = "tia@example.org"       # trending, at 07:00 in Berlin (06:00 UTC)
mode = "trending"
keywords = ["graph neural networks"]
send_at = "07:00"
timezone = "Europe/Berlin"

[[subscribers]]
email = "fay@example.org"       # trending, only her topics, as soon as a day is final
mode = "trending"
trending_filter = true
keywords = ["agents"]

[[subscribers]]
email = "bob@example.org"       # arXiv's papers on his topics, as announced
keywords = ["graph neural networks"]
"""
    )


def _ordered(day: int) -> list[str]:
    """What a graph-neural-networks reader should get of a featured November day: the graph
    paper first (on topic, though the least upvoted), then the others by upvotes."""
    announced = {13: 12, 16: 13, 17: 16, 18: 17, 19: 18, 20: 19}[day]
    stem = f"2611.{announced:02d}"
    return [f"{stem}002", f"{stem}001", f"2611.{day:02d}009", f"{stem}003"]


def at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=UTC)


def test_a_week_of_ticks_sends_each_finished_featured_day_once(
    paperwire: PaperwireCLI,
    worlds: tuple[ArxivWorld, HuggingFaceWorld],
    smtp_server: SmtpTestServer,
) -> None:
    _, hf = worlds
    write_config(paperwire, smtp_server, hf)
    outputs = {}
    for when in ticks(START, at(23, 12), dt.timedelta(hours=2)):
        outputs[when] = run_at(paperwire, when)

    assert {w: o for w, o in outputs.items() if o[0] != 0 or o[2]} == {}
    mail = received(smtp_server)
    tia = [(m.at, m.ids) for m in mail if m.to == "tia@example.org"]
    # A first digest at once (Sunday's 07:00 slot was hours ago; Friday's list is final),
    # then at 07:00 Berlin each day the featured day that ended at midnight UTC; nothing on
    # Sunday or Monday: no papers are featured at weekends, and Monday's day is not over.
    assert tia == [
        (at(16, 0), _ordered(13)),
        (at(17, 6), _ordered(16)),
        (at(18, 6), _ordered(17)),
        (at(19, 6), _ordered(18)),
        (at(20, 6), _ordered(19)),
        (at(21, 6), _ordered(20)),
    ]
    # The upvotes shown are those after the day ended (the final fetch at midnight), and a
    # paper arXiv announced keeps arXiv's title (Hugging Face's ends in "[HF]").
    third = [m.parsed() for m in smtp_server.messages if m.rcpt_tos == ("tia@example.org",)][2]
    text = third.get_body(("plain",)).get_content()
    graph = upvotes("2611.16002", dt.date(2026, 11, 17), at(18, 0))
    assert graph == 29
    assert f"Hugging Face: {graph} upvotes, 2 comments · GitHub: 7 stars" in text
    assert "Graph neural networks for molecules (Monday 16 November)" in text
    assert "[HF]" not in text
    # Fay hears only of agents, as soon as each day is final (the first tick after midnight).
    fay = [(m.at, m.ids) for m in mail if m.to == "fay@example.org"]
    assert fay == [(at(d, 0), [f"2611.{f:02d}009"]) for d, f in _NEXT]
    # Topics readers are as before: Bob gets arXiv's graph paper of each announcement day.
    bob = [i for m in mail if m.to == "bob@example.org" for i in m.ids]
    assert bob == [f"2611.{d}002" for d in (16, 17, 18, 19, 20, 23)]


# (the day a featured day's digest goes, the featured day)
_NEXT = [(16, 13), (17, 16), (18, 17), (19, 18), (20, 19), (21, 20)]


def test_a_paper_in_both_sources_is_one_paper_with_arxivs_metadata_and_upvotes(
    paperwire: PaperwireCLI,
    worlds: tuple[ArxivWorld, HuggingFaceWorld],
    smtp_server: SmtpTestServer,
) -> None:
    _, hf = worlds
    write_config(paperwire, smtp_server, hf)
    for when in ticks(at(17, 0), at(19, 8), dt.timedelta(hours=4)):
        run_at(paperwire, when)

    with time_machine.travel(at(19, 9), tick=False):
        topics = paperwire(
            "digest", "--no-fetch", "-k", "graph neural networks", "--date", "2026-11-17",
            "--format", "json",
        )  # fmt: skip
        trending = {
            kind: paperwire(
                "digest",
                "--no-fetch",
                "--trending",
                "-k",
                "graph neural networks",
                "--date",
                "2026-11-18",
                "--format",
                kind,
            )
            for kind in ("json", "markdown", "html", "text")
        }

    assert topics.exit_code == 0, topics.output
    papers = json.loads(topics.stdout)["papers"]
    graph = [p for p in papers if p["arxiv_id"] == "2611.17002"]
    assert len(graph) == 1
    assert graph[0]["title"] == "Graph neural networks for molecules (Tuesday 17 November)"
    assert graph[0]["categories"] == ["cs.LG"]
    final = upvotes("2611.17002", dt.date(2026, 11, 18), at(19, 0))
    assert graph[0]["upvotes"] == final == 29
    assert graph[0]["huggingface"]["featured"] == "2026-11-18"
    assert graph[0]["huggingface"]["github_repo"] == "https://github.com/example/2611.17002"

    assert all(r.exit_code == 0 for r in trending.values()), trending
    document = json.loads(trending["json"].stdout)
    assert document["mode"] == "trending"
    assert document["window"] == {"from": "2026-11-18", "to": "2026-11-18"}
    assert [p["arxiv_id"] for p in document["papers"]] == [
        "2611.17002",
        "2611.17001",
        "2611.18009",
        "2611.17003",
    ]
    assert [p["upvotes"] for p in document["papers"]] == [29, 54, 44, 34]
    assert "Hugging Face: 29 upvotes, 2 comments · GitHub: 7 stars" in trending["markdown"].stdout
    assert "# Trending on Hugging Face · Wed 18 Nov 2026" in trending["markdown"].stdout
    assert "Hugging Face: 29 upvotes, 2 comments · GitHub: 7 stars" in trending["html"].stdout
    # The terminal table has an upvotes column.
    assert "upvotes" in trending["text"].stdout
    assert "54" in trending["text"].stdout
