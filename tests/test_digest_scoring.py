"""Ranking inside the real flow: statistics kept in the store, digest flags, JSON reasons."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from conftest import OWN_FIXTURES, PaperwireCLI
from fixtures_path import own_fixture
from loopback import LoopbackServer, Reply

from paperwire.digest.corpus import refresh_corpus_stats
from paperwire.models import AnnounceType, Paper
from paperwire.scoring import CorpusStats
from paperwire.store import Store

FEED = (OWN_FIXTURES / "routes" / "rss.xml").read_bytes()
LIKED = (OWN_FIXTURES / "routes" / "api_liked.xml").read_bytes()  # 2610.09999, not in FEED
NOW = dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC)


def _store_papers(store: Store, now: dt.datetime, *ids: str) -> None:
    papers = [
        Paper(
            i,
            f"Paper {i} on diffusion models",
            "We define multi-task learning (MTL) and use MTL.",
            ["Ana Rodríguez"],
            ["cs.LG"],
            "cs.LG",
            1,
            AnnounceType.NEW,
            dt.date(2026, 11, 23),
        )
        for i in ids
    ]
    with store.transaction() as connection:
        store.upsert_papers(connection, papers, now)


def test_corpus_statistics_count_each_stored_paper_once(store: Store) -> None:
    _store_papers(store, NOW, "2611.00001", "2611.00002")

    first = refresh_corpus_stats(store, NOW)
    again = refresh_corpus_stats(store, NOW)
    _store_papers(store, NOW + dt.timedelta(hours=1), "2611.00003", "2611.00001")  # one new
    later = refresh_corpus_stats(store, NOW)

    assert (first.documents, again.documents, later.documents) == (2, 2, 3)
    blob, version = store.corpus_stats()
    assert blob is not None and CorpusStats.from_bytes(blob).documents == 3
    assert version == 2  # saved twice: "again" had nothing new to count
    assert later.expansion("mtl") == "multitask learn"


def test_a_paper_committed_late_is_still_counted(store: Store) -> None:
    # A slow fetch that started earlier commits after a count ran: its papers carry an older
    # first-seen time than papers already counted, and must be counted all the same.
    _store_papers(store, NOW, "2611.00005")
    refresh_corpus_stats(store, NOW)
    _store_papers(store, NOW - dt.timedelta(hours=2), "2611.00001")

    assert refresh_corpus_stats(store, NOW).documents == 2


def test_a_second_process_counting_at_once_never_double_counts(store: Store) -> None:
    _store_papers(store, NOW, "2611.00001")
    refresh_corpus_stats(store, NOW)
    _, version = store.corpus_stats()
    _store_papers(store, NOW + dt.timedelta(hours=1), "2611.00002")
    refresh_corpus_stats(store, NOW)  # the other process saved first

    # This process counted from the old version: its save must be refused, writing nothing.
    saved = store.save_corpus_stats(b"stale", 99, ["2611.00002"], version, NOW)

    assert saved is False
    assert refresh_corpus_stats(store, NOW).documents == 2


def test_acronyms_seen_once_a_day_are_learnt_over_days(store: Store) -> None:
    for day in range(3):
        _store_papers(store, NOW + dt.timedelta(days=day), f"2611.0000{day}")
        stats = refresh_corpus_stats(store, NOW + dt.timedelta(days=day))

    assert stats.expansion("mtl") == "multitask learn"


def test_unreadable_statistics_are_counted_again(store: Store) -> None:
    _store_papers(store, NOW, "2611.00001", "2611.00002")
    refresh_corpus_stats(store, NOW)
    _, version = store.corpus_stats()
    assert store.save_corpus_stats(b"\0" * 8 + b"garbage", 2, [], version, NOW)

    assert refresh_corpus_stats(store, NOW).documents == 2


def _fetched(paperwire: PaperwireCLI, arxiv: LoopbackServer) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, FEED))
    assert paperwire("fetch", "--route", "rss", "-c", "cs.LG", "-c", "cs.AI").exit_code == 0


def _digest_json(paperwire: PaperwireCLI, *args: str) -> dict:
    result = paperwire(
        "digest", "--no-fetch", "--date", "2026-11-17", "-c", "cs.LG", "--format", "json", *args
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_reasons_name_the_term_the_place_and_the_words(
    paperwire: PaperwireCLI, arxiv: LoopbackServer
) -> None:
    _fetched(paperwire, arxiv)

    document = _digest_json(paperwire, "-k", "multitask learning", "--author", "Jorg Muller")

    [paper] = document["papers"]
    assert paper["matched"] == ["multitask learning", "Jorg Muller"]
    keyword, author = paper["reasons"]
    assert keyword["kind"] == "keyword" and keyword["term"] == "multitask learning"
    assert keyword["where"] == ["title", "abstract"]
    # As the paper writes it, the acronym it defines included, for highlighting.
    assert set(keyword["forms"]) == {"Multi-Task", "Learning", "multi-task", "learning", "MTL"}
    assert author["where"] == ["authors"] and author["forms"] == ["Jörg Müller"]


def test_query_flag_filters_the_digest(paperwire: PaperwireCLI, arxiv: LoopbackServer) -> None:
    _fetched(paperwire, arxiv)

    document = _digest_json(paperwire, "--query", '"graph neural" AND (protein OR molecule)')

    assert [p["arxiv_id"] for p in document["papers"]] == ["2611.10002"]


def test_bad_query_flag_exits_2_with_one_line(paperwire: PaperwireCLI) -> None:
    result = paperwire("digest", "--no-fetch", "--query", "(graph OR")

    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "paperwire: error: --query: query '(graph OR': ends where a word was expected"
    ]


def test_bad_weight_exits_2_naming_the_keyword(paperwire: PaperwireCLI) -> None:
    result = paperwire("digest", "--no-fetch", "-k", "lora^0")

    assert result.exit_code == 2
    assert "lora^0" in result.stderr and "Traceback" not in result.stderr


def test_like_flag_refuses_what_is_not_an_arxiv_id(paperwire: PaperwireCLI) -> None:
    result = paperwire("digest", "--no-fetch", "--like", "attention is all you need")

    assert result.exit_code == 2
    assert result.stderr.startswith("paperwire: error: --like: 'attention is all you need'")


def test_liked_paper_missing_from_the_store_is_fetched_by_id(
    paperwire: PaperwireCLI, arxiv: LoopbackServer
) -> None:
    arxiv.add("/rss/cs.LG", Reply(200, FEED))
    arxiv.add("/list/cs.LG/new", Reply(200, own_fixture("routes/listing.html")))  # as behind
    arxiv.add("/api/query", Reply(200, LIKED))

    result = paperwire(
        "digest", "--date", "2026-11-17", "-c", "cs.LG", "--like", "2610.09999", "--format", "json"
    )

    assert result.exit_code == 0, result.output
    [request] = arxiv.requests_to("/api/query")
    assert "id_list=2610.09999" in request.query
    document = json.loads(result.stdout)
    # Only the paper on the liked paper's topic (adapters, many tasks), not the protein one.
    assert [p["arxiv_id"] for p in document["papers"]] == ["2611.10001"]
    assert document["papers"][0]["matched"] == ["like 2610.09999"]


def test_subscriber_profile_from_the_config_file(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, tmp_path: Path
) -> None:
    _fetched(paperwire, arxiv)
    config = tmp_path / "paperwire.toml"
    config.write_text(
        """
[[subscribers]]
email = "ada@example.org"
categories = ["cs.LG"]
keywords = ["low-rank adapters^2"]
query = "NOT protein"
description = "Parameter-efficient fine-tuning."
""",
        encoding="utf-8",
    )

    result = paperwire(
        "--config", str(config), "digest", "--no-fetch", "--date", "2026-11-17",
        "--subscriber", "ada@example.org", "--format", "json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["subscriber"] == "ada@example.org"
    assert [p["arxiv_id"] for p in document["papers"]] == ["2611.10001"]


def test_bad_query_in_the_config_exits_2_naming_the_key(
    paperwire: PaperwireCLI, tmp_path: Path
) -> None:
    config = tmp_path / "paperwire.toml"
    config.write_text('[[subscribers]]\nemail = "a@example.org"\nquery = "(gnn"\n')

    result = paperwire("--config", str(config), "digest", "--no-fetch")

    assert result.exit_code == 2
    assert "subscribers.0.query" in result.stderr or "subscribers[0].query" in result.stderr
    assert "parenthesis is not closed" in result.stderr


def test_markdown_digest_highlights_what_matched(
    paperwire: PaperwireCLI, arxiv: LoopbackServer
) -> None:
    _fetched(paperwire, arxiv)

    result = paperwire(
        "digest", "--no-fetch", "--date", "2026-11-17", "-c", "cs.LG",
        "-k", "multitask learning", "--author", "Jorg Muller", "--format", "markdown",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "[**Multi-Task Learning** with Shared Low-Rank Adapters]" in result.stdout
    assert "We study **multi-task learning** (**MTL**) with" in result.stdout
    assert "Why: **multitask learning** in title and abstract" in result.stdout
    assert "**Jörg Müller** · cs.LG" in result.stdout  # a followed author, in the author line
