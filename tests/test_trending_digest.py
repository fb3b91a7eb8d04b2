"""Trending digests from the command line and around failures: filters, --send, fresh stores,
a source down, a day Hugging Face keeps refusing, and readers who switch mode."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from email.message import EmailMessage

import pytest
import time_machine
from arxiv_world import ArxivWorld
from conftest import PaperwireCLI
from hf_world import HuggingFaceWorld
from loopback import LoopbackServer, Reply
from smtpserver import SmtpTestServer
from test_run import received, run_at, ticks

from paperwire.sources.huggingface import fetch as trending
from paperwire.store import Store, open_store

UTC = dt.UTC


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def invoke(paperwire: PaperwireCLI, when: dt.datetime, *args: str, **env: str):  # type: ignore[no-untyped-def]
    with time_machine.travel(when, tick=False):
        return paperwire(*args, env=env)


@pytest.fixture
def hf(arxiv: LoopbackServer) -> HuggingFaceWorld:
    return HuggingFaceWorld(arxiv, ArxivWorld(arxiv))


def _ids(result) -> list[str]:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return [p["arxiv_id"] for p in json.loads(result.stdout)["papers"]]


def test_excluded_words_and_the_query_leave_papers_out_of_a_trending_digest(
    paperwire: PaperwireCLI, hf: HuggingFaceWorld
) -> None:
    def trending_ids(*args: str) -> list[str]:
        base = ("digest", "--trending", "--date", "2026-11-18", "--format", "json")
        return _ids(invoke(paperwire, at(19, 9), *base, *args))

    everything = trending_ids()
    # By upvotes: diffusion (30+), the agents paper (20+), optimisers (10+), graph (5+).
    assert everything == ["2611.17001", "2611.18009", "2611.17003", "2611.17002"]
    assert trending_ids("--exclude", "agents") == ["2611.17001", "2611.17003", "2611.17002"]
    assert trending_ids("--query", "graph OR diffusion") == ["2611.17001", "2611.17002"]
    # A keyword lifts its paper; an excluded word still removes what it names.
    assert trending_ids("-k", "graph neural networks", "--exclude", "optimisers") == [
        "2611.17002",
        "2611.17001",
        "2611.18009",
    ]


def test_only_matching_without_topics_is_a_usage_error(
    paperwire: PaperwireCLI, hf: HuggingFaceWorld
) -> None:
    result = invoke(paperwire, at(19, 9), "digest", "--trending", "--only-matching", "-c", "cs.LG")

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "paperwire: error: --only-matching needs topics: --keyword, --author, --query, "
        "--description or --like"
    )


def test_on_a_fresh_store_before_todays_list_opens_the_day_before_is_shown(
    paperwire: PaperwireCLI, arxiv: LoopbackServer
) -> None:
    HuggingFaceWorld(arxiv, ArxivWorld(arxiv), opens_at=dt.time(10))

    result = invoke(paperwire, at(23, 9), "digest", "--trending", "--format", "json")

    document = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert document["window"] == {"from": "2026-11-20", "to": "2026-11-20"}  # Friday's
    assert len(document["papers"]) == 4


def test_fetch_all_still_fetches_hugging_face_when_arxiv_fails(
    paperwire: PaperwireCLI, hf: HuggingFaceWorld, arxiv: LoopbackServer
) -> None:
    down = arxiv.url + "/down"
    arxiv.add("/down/api/query", Reply(503))
    env = {
        "PAPERWIRE_SOURCES__ARXIV__RSS_URL": down,
        "PAPERWIRE_SOURCES__ARXIV__LISTING_URL": down,
        "PAPERWIRE_SOURCES__ARXIV__API_URL": down + "/api/query",
    }

    result = invoke(paperwire, at(18, 9), "fetch", "--source", "all", **env)

    assert result.exit_code == 1
    assert "2026-11-18 via huggingface: 4 added" in result.stdout
    assert "paperwire: error:" in result.stderr
    assert [r.params["date"] for r in hf.requests()] == ["2026-11-18"]


def _subscriber_config(paperwire: PaperwireCLI, smtp: SmtpTestServer, mode: str) -> None:
    (paperwire.home / "paperwire.toml").write_text(
        f"""
[sources.arxiv]
categories = ["cs.LG"]
[sources.huggingface]
enabled = true
[smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "none"
timeout = 2.0

[[subscribers]]
email = "sam@example.org"
mode = "{mode}"
keywords = ["graph neural networks"]
send_at = "07:00"
timezone = "Europe/Berlin"
"""
    )


def test_send_never_sends_a_featured_day_still_growing(
    paperwire: PaperwireCLI, hf: HuggingFaceWorld, smtp_server: SmtpTestServer, sqlite_url: str
) -> None:
    _subscriber_config(paperwire, smtp_server, "trending")

    refused = invoke(
        paperwire, at(18, 10), "digest", "--subscriber", "sam@example.org", "--send",
        "--date", "2026-11-18",
    )  # fmt: skip
    sent = invoke(paperwire, at(18, 10), "digest", "--subscriber", "sam@example.org", "--send")

    assert refused.exit_code == 2
    assert "2026-11-18 is still growing; the newest finished day is 2026-11-17" in refused.stderr
    assert sent.exit_code == 0, sent.output
    store = open_store(sqlite_url)
    windows = store.ledger.windows("sam@example.org", "trending")
    store.close()
    assert windows == [(dt.date(2026, 11, 17), dt.date(2026, 11, 17), "sent")]
    assert [m.ids for m in received(smtp_server)] == [
        ["2611.16002", "2611.16001", "2611.17009", "2611.16003"]
    ]


def test_a_reader_who_switches_to_trending_loses_no_featured_day(
    paperwire: PaperwireCLI, hf: HuggingFaceWorld, smtp_server: SmtpTestServer
) -> None:
    _subscriber_config(paperwire, smtp_server, "topics")
    for when in ticks(at(18, 0), at(20, 6), dt.timedelta(hours=2)):
        assert run_at(paperwire, when)[0] == 0
    _subscriber_config(paperwire, smtp_server, "trending")  # Friday 08:00 UTC
    for when in ticks(at(20, 8), at(21, 8), dt.timedelta(hours=2)):
        assert run_at(paperwire, when)[0] == 0

    mail = [(m.at, m.ids) for m in received(smtp_server)]
    assert mail == [
        # Topics: arXiv's graph paper of each announcement day (a first digest at once).
        (at(18, 0), ["2611.17002"]),
        (at(18, 6), ["2611.18002"]),
        (at(19, 6), ["2611.19002"]),
        (at(20, 6), ["2611.20002"]),
        # Trending from Friday on: Thursday's list at once (a first digest), then Friday's,
        # though both featured days are older than the last topics digest's day; the graph
        # papers the topics digests carried are not sent again.
        (at(20, 8), ["2611.18001", "2611.19009", "2611.18003"]),
        (at(21, 6), ["2611.19001", "2611.20009", "2611.19003"]),
    ]


def _record(store: Store, day: dt.date, status: str, final: bool, when: dt.datetime) -> None:
    with store.transaction() as connection:
        store.record_trending_day(
            connection, featured=day, route="huggingface", status=status, items=0, final=final,
            now=when,
        )  # fmt: skip


def test_a_day_hugging_face_keeps_refusing_is_passed_over_a_day_after_it_ended(
    store: Store,
) -> None:
    mon, tue, wed = dt.date(2026, 11, 16), dt.date(2026, 11, 17), dt.date(2026, 11, 18)
    _record(store, mon, "featured", True, at(17, 0))
    _record(store, tue, "failed", False, at(18, 0))
    _record(store, wed, "featured", True, at(19, 0))
    retry, refresh = dt.timedelta(minutes=30), dt.timedelta(hours=2)

    def due(now: dt.datetime) -> list[dt.date]:
        return trending.due_days(store, now, lookback_days=14, refresh=refresh, retry=retry)

    # Before: Tuesday holds trending digests at Monday, and is tried again.
    assert trending.newest_final_day(store, at(18, 23), lookback_days=14) == mon
    assert tue in due(at(18, 23))
    # A day after Tuesday ended: passed over, no longer tried; Wednesday goes out.
    assert trending.newest_final_day(store, at(19, 0), lookback_days=14) == wed
    assert tue not in due(at(19, 0))


def test_a_reader_added_from_the_command_line_gets_a_trending_digest_on_request(
    paperwire: PaperwireCLI, hf: HuggingFaceWorld
) -> None:
    outbox = paperwire.home / "outbox"
    env = {"PAPERWIRE_DELIVERY__OUTBOX": str(outbox)}
    added = invoke(
        paperwire, at(19, 9), "subscribers", "add", "sam@example.org", "--mode", "trending",
        "-k", "graph neural networks", **env,
    )  # fmt: skip
    assert added.exit_code == 0, added.output

    shown = invoke(paperwire, at(19, 9), "digest", "--subscriber", "sam@example.org",
                   "--date", "2026-11-18", "--format", "json", **env)  # fmt: skip
    sent = invoke(paperwire, at(19, 9), "digest", "--subscriber", "sam@example.org", "--send",
                  "--limit", "2", **env)  # fmt: skip

    assert json.loads(shown.stdout)["mode"] == "trending"
    assert _ids(shown) == ["2611.17002", "2611.17001", "2611.18009", "2611.17003"]
    assert sent.exit_code == 0, sent.output
    [eml] = list(outbox.glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "2 more papers featured." in text
    # The hint names a command that shows them all: this reader's trending day, no limit cut.
    hint = "paperwire digest --subscriber sam@example.org --trending --date 2026-11-18 --limit 4"
    assert hint in " ".join(text.split())


def test_titles_in_terminal_tables_are_text_not_markup(
    paperwire: PaperwireCLI, hf: HuggingFaceWorld, sqlite_url: str
) -> None:
    from paperwire.models import Paper, Route, Trending

    store = open_store(sqlite_url)
    paper = Paper(
        "2611.18777",
        "On [x] and [bold]y[/bold]",
        "Brackets.",
        source="huggingface",
        route=Route.HUGGINGFACE,
        trending=Trending(dt.date(2026, 11, 18), upvotes=900),
    )
    with store.transaction() as connection:
        store.upsert_trending(connection, [paper], at(19, 0))
    store.close()

    table = invoke(paperwire, at(19, 9), "digest", "--trending", "--date", "2026-11-18",
                   "--no-fetch", "--limit", "1", COLUMNS="200")  # fmt: skip
    found = invoke(paperwire, at(19, 9), "search", "brackets", COLUMNS="200")

    for result in (table, found):
        assert result.exit_code == 0, result.output
        assert "On [x] and [bold]y[/bold]" in result.stdout
