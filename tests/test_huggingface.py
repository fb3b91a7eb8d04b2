"""Hugging Face's Daily Papers: the API and page parsers, the store's merge with arXiv, the
TrendingIngestor over loopback HTTP with its calendar, and `paperwire fetch --source huggingface`.

Expected values are read from the fixtures themselves (json.load, or the page's data-props read
with the standard library's HTML parser), or written out as literals taken from the files.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from conftest import PaperwireCLI, polite_session
from fixtures_path import own_fixture, real_fixture, shared_fixtures
from loopback import LoopbackServer, RecordedRequest, Reply

from paperwire.config import HuggingFaceSettings
from paperwire.errors import FeedFormatError, UsageError
from paperwire.models import AnnounceType, Paper, Route, Trending
from paperwire.sources.arxiv.api import parse_api_response
from paperwire.sources.huggingface import fetch as trending
from paperwire.sources.huggingface.parse import day_url, parse_daily_papers, parse_papers_page
from paperwire.store import Store, TrendingDay, open_store

UTC = dt.UTC
API = "https://huggingface.co/api/daily_papers"
PAGE = "https://huggingface.co/papers"

# Shared real fixtures (../shared/fixtures/real, see PROVENANCE.md there).
HF_JUNE_12 = "hf/hf_api_daily_papers_2026-06-12_30papers_sotawhat.json"
HF_JULY_30 = "hf/hf_api_daily_papers_2026-07-30_3papers_prettyprinted.json"
HF_JULY_31 = "hf/hf_api_daily_papers_2026-07-31_30papers_scout.json"
HF_PAGE_2024 = "hf/hf_papers_page_2024-08-01_13papers.html"
# The arXiv API response from the same repository as HF_JULY_31: three ids in common.
ARXIV_API_AUG_02 = "api/api_cat_cs.AI_OR_cs.LG_OR_cs.CL_25entries_2026-08-02.xml"

# Own fixtures (tests/fixtures/hf/), hand-written.
OWN_API = "hf/api_2026-09-14_3papers.json"  # three papers featured Monday 2026-09-14
OWN_ODD = "hf/api_odd_entries.json"  # missing keys, wrong types, hostile strings, bad ids
OWN_PAGE = "hf/page_2026-09-11_2papers.html"  # two papers in data-props, Friday 2026-09-11

THU, FRI, SAT, SUN, MON, TUE = (dt.date(2026, 9, d) for d in (10, 11, 12, 13, 14, 15))


def _at(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), UTC)


# --- helpers ------------------------------------------------------------------------------------


class _DailyPapersProps(HTMLParser):
    """The data-props of the DailyPapers element, read by the standard library (not bs4)."""

    def __init__(self) -> None:
        super().__init__()
        self.props: str | None = None
        self.articles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("data-target") == "DailyPapers":
            self.props = values.get("data-props")
        if tag == "article":
            self.articles += 1


def _page(raw: bytes) -> tuple[dict[str, Any], int]:
    """(the page's data-props as JSON, how many <article> cards it shows)."""
    parser = _DailyPapersProps()
    parser.feed(raw.decode("utf-8"))
    assert parser.props is not None
    return json.loads(parser.props), parser.articles


def _by_id(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entry["paper"]["id"]: entry for entry in entries}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _one_paper(paper: dict[str, Any] | None = None, **outer: Any) -> bytes:
    """An API response of one paper; `paper` keys go inside "paper", `outer` beside it."""
    inner = {"id": "2609.40001", "title": "A Title", **(paper or {})}
    return json.dumps([{"paper": inner, **outer}]).encode()


def _facts(store: Store, arxiv_ids: list[str]) -> dict[str, Trending]:
    """What the store knows from Hugging Face about these papers, by id."""
    return {i: p.trending for i, p in store.get_papers(arxiv_ids).items() if p.trending}


def _upsert_trending(store: Store, papers: list[Paper], now: dt.datetime) -> tuple[int, int, int]:
    with store.transaction() as connection:
        counts = store.upsert_trending(connection, papers, now)
    return counts.added, counts.updated, counts.unchanged


def _upsert_papers(store: Store, papers: list[Paper], now: dt.datetime) -> tuple[int, int, int]:
    with store.transaction() as connection:
        counts = store.upsert_papers(connection, papers, now)
    return counts.added, counts.updated, counts.unchanged


def _record(store: Store, day: dt.date, status: str, final: bool, now: dt.datetime) -> None:
    with store.transaction() as connection:
        store.record_trending_day(
            connection,
            featured=day,
            route=trending.ROUTE_API,
            status=status,
            items=0 if status != "featured" else 3,
            final=final,
            now=now,
        )


def hf_settings(server: LoopbackServer, **overrides: object) -> HuggingFaceSettings:
    values: dict[str, object] = {
        "enabled": True,
        "api_url": server.url + "/api/daily_papers",
        "page_url": server.url + "/papers",
    }
    values.update(overrides)
    return HuggingFaceSettings.model_validate(values)


def make_trending(
    server: LoopbackServer, store: Store, now: dt.datetime, **overrides: object
) -> trending.TrendingIngestor:
    return trending.TrendingIngestor(hf_settings(server, **overrides), store, polite_session(), now)


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    """For tests that barely touch the database: SQLite only."""
    opened = open_store(sqlite_url)
    yield opened
    opened.close()


# Paper 2609.10001 as arXiv announced it; OWN_API has it too, as Hugging Face tells it.
ARXIV_10001 = Paper(
    key="2609.10001",
    title="Analytical engines as sparse mixtures of experts (arXiv's title)",
    abstract="arXiv's abstract of the analytical engine paper.",
    authors=["A. Lovelace", "C. Babbage", "L. Menabrea"],
    categories=["cs.LG", "stat.ML"],
    primary_category="cs.LG",
    version=1,
    announce_type=AnnounceType.NEW,
    announced=MON,
    submitted=dt.datetime(2026, 9, 11, 17, 30, 5, tzinfo=UTC),
    route=Route.RSS,
)


# --- day_url ------------------------------------------------------------------------------------


def test_day_url_asks_for_one_date() -> None:
    assert day_url(API, FRI) == API + "?date=2026-09-11"
    assert day_url(API + "?limit=50", FRI) == API + "?limit=50&date=2026-09-11"


# --- the real API files -------------------------------------------------------------------------


@shared_fixtures
@pytest.mark.parametrize(
    ("name", "asked", "count", "featured"),
    [
        (HF_JUNE_12, dt.date(2026, 6, 12), 30, dt.date(2026, 6, 12)),
        # Named 07-30 by the repo it came from, but its papers say they were featured on 3 August:
        # a paper's own submittedOnDailyAt wins over the day asked for.
        (HF_JULY_30, dt.date(2026, 7, 30), 3, dt.date(2026, 8, 3)),
        (HF_JULY_31, dt.date(2026, 7, 31), 30, dt.date(2026, 7, 31)),
    ],
)
def test_real_api_file_gives_every_paper_with_its_facts(
    name: str, asked: dt.date, count: int, featured: dt.date
) -> None:
    raw = real_fixture(name)
    entries = json.loads(raw)

    batch = parse_daily_papers(raw, day_url(API, asked), asked)

    assert len(entries) == count
    assert [p.arxiv_id for p in batch.papers] == [e["paper"]["id"] for e in entries]
    assert batch.skipped == 0
    assert batch.announced == asked
    for paper, entry in zip(batch.papers, entries, strict=True):
        inner = entry["paper"]
        facts = paper.trending
        assert facts is not None, paper.arxiv_id
        assert paper.route is Route.HUGGINGFACE
        assert paper.title == _one_line(inner["title"])
        assert paper.abstract == _one_line(inner["summary"])
        assert paper.authors == [_one_line(a["name"]) for a in inner["authors"]]
        assert facts.featured == featured
        assert facts.featured.isoformat() == inner["submittedOnDailyAt"][:10]
        assert (facts.upvotes, facts.comments) == (inner["upvotes"], entry["numComments"])
        assert facts.github_repo == inner.get("githubRepo")
        assert facts.github_stars == inner.get("githubStars")
        assert facts.project_page == inner.get("projectPage")
        assert facts.ai_keywords == tuple(inner.get("ai_keywords", ()))
        organization = entry.get("organization") or inner.get("organization")
        assert facts.organization == (organization["fullname"] if organization else None)


@shared_fixtures
def test_real_july_31_papers_keep_their_counts_and_links() -> None:
    raw = real_fixture(HF_JULY_31)
    entries = _by_id(json.loads(raw))
    papers = {p.arxiv_id: p for p in parse_daily_papers(raw, API, dt.date(2026, 7, 31)).papers}

    askchem = papers["2607.28618"].trending
    assert askchem is not None
    assert (askchem.upvotes, askchem.comments, askchem.github_stars) == (292, 2, 8)
    assert askchem.github_repo == "https://github.com/bingyan4science/askchem"
    assert askchem.project_page == "https://www.askchem.org"
    assert askchem.organization == "New York University"
    assert askchem.featured == dt.date(2026, 7, 31)
    assert entries["2607.28618"]["paper"]["upvotes"] == 292  # the literal is the file's
    # githubStars 0 is a count of zero, not "no repository stars known".
    assert entries["2607.18806"]["paper"]["githubStars"] == 0
    assert papers["2607.18806"].trending is not None
    assert papers["2607.18806"].trending.github_stars == 0
    # A paper without the optional keys.
    plain = papers["2607.28308"].trending
    assert plain is not None
    assert "githubRepo" not in entries["2607.28308"]["paper"]
    assert (plain.github_repo, plain.github_stars, plain.project_page) == (None, None, None)


@shared_fixtures
def test_real_june_12_papers_carry_ai_summary_and_keywords() -> None:
    raw = real_fixture(HF_JUNE_12)
    entry = _by_id(json.loads(raw))["2606.13392"]["paper"]
    paper = {p.arxiv_id: p for p in parse_daily_papers(raw, API, dt.date(2026, 6, 12)).papers}

    facts = paper["2606.13392"].trending
    assert facts is not None
    assert (facts.upvotes, facts.github_stars) == (103, 251)
    assert facts.github_repo == "https://github.com/MiniMax-AI/MSA"
    assert facts.ai_summary == _one_line(entry["ai_summary"])
    assert facts.ai_keywords == tuple(entry["ai_keywords"])
    first = paper["2606.00467"].trending
    assert first is not None
    assert first.ai_keywords[:2] == ("zero-shot annotation", "LLM-as-a-judge")
    assert first.organization == "California institute of technology"


@shared_fixtures
def test_real_pretty_printed_file_reads_like_the_minified_ones() -> None:
    raw = real_fixture(HF_JULY_30)
    papers = parse_daily_papers(raw, API, dt.date(2026, 7, 30)).papers

    assert [p.arxiv_id for p in papers] == ["2607.26654", "2607.28229", "2607.27851"]
    facts = papers[0].trending
    assert facts is not None
    assert (facts.upvotes, facts.comments, facts.github_stars) == (3, 1, 2)
    assert facts.project_page == "https://www.lesswrong.com/posts/n5htoDGvKKJFAjji2"
    assert facts.organization == "University of Oxford"
    assert papers[2].trending is not None
    assert papers[2].trending.organization == "KinaMind"


# --- the real 2024 page -------------------------------------------------------------------------


@shared_fixtures
def test_real_page_gives_the_papers_of_its_data_props() -> None:
    raw = real_fixture(HF_PAGE_2024)
    props, cards = _page(raw)
    entries = props["dailyPapers"]

    batch = parse_papers_page(raw, day_url(PAGE, dt.date(2024, 8, 1)), dt.date(2024, 8, 1))

    assert len(batch.papers) == len(entries) == cards == 13
    assert [p.arxiv_id for p in batch.papers] == [e["paper"]["id"] for e in entries]
    for paper, entry in zip(batch.papers, entries, strict=True):
        assert paper.title == _one_line(entry["paper"]["title"])
        assert paper.trending is not None
        assert paper.trending.upvotes == entry["paper"]["upvotes"]
        assert paper.trending.comments == entry["numComments"]
        # The 2024 layout has no submittedOnDailyAt: the page's own date is the featured day.
        assert "submittedOnDailyAt" not in entry["paper"]
        assert paper.trending.featured == dt.date(2024, 8, 1)
    llama = batch.papers[0]
    assert (llama.arxiv_id, llama.title) == ("2407.21783", "The Llama 3 Herd of Models")
    assert llama.trending is not None
    assert (llama.trending.upvotes, llama.trending.comments) == (94, 5)
    # An April paper featured on 1 August is featured on 1 August.
    older = {p.arxiv_id: p for p in batch.papers}["2404.01300"]
    assert older.trending is not None
    assert older.trending.featured == dt.date(2024, 8, 1)


@shared_fixtures
def test_real_page_date_is_the_one_it_shows() -> None:
    raw = real_fixture(HF_PAGE_2024)
    props, _ = _page(raw)

    batch = parse_papers_page(raw, PAGE, dt.date(2024, 8, 2))

    assert props["date"].startswith("2024-08-01")
    assert batch.announced == dt.date(2024, 8, 1)
    assert {p.trending.featured for p in batch.papers if p.trending} == {dt.date(2024, 8, 1)}


# --- own fixtures -------------------------------------------------------------------------------


def test_own_api_file_gives_three_papers_with_their_facts() -> None:
    raw = own_fixture(OWN_API)
    entries = json.loads(raw)

    papers = parse_daily_papers(raw, API, MON).papers

    assert [p.arxiv_id for p in papers] == ["2609.10001", "2609.10002", "2609.10003"]
    assert [p.trending.upvotes for p in papers if p.trending] == [
        e["paper"]["upvotes"] for e in entries
    ]
    engines = papers[0]
    assert engines.authors == ["Ada Lovelace", "Charles Babbage"]
    assert engines.abstract == "We revisit the analytical engine as a mixture of experts."
    assert engines.submitted == dt.datetime(2026, 9, 11, tzinfo=UTC)
    assert engines.trending is not None
    assert engines.trending.organization == "Engines Lab"
    assert engines.trending.github_repo == "https://github.com/example/engines"
    assert engines.trending.project_page == "https://engines.example.org/"
    assert engines.trending.ai_summary == "Engines are experts."
    assert engines.trending.ai_keywords == ("mixture of experts", "analytical engine")
    assert papers[1].trending is not None
    assert papers[1].trending.github_stars is None  # no key
    assert papers[2].trending is not None
    assert papers[2].trending.github_stars == 0  # a real zero


def test_odd_entries_are_read_safely_or_skipped() -> None:
    raw = own_fixture(OWN_ODD)
    entries = json.loads(raw)

    batch = parse_daily_papers(raw, API, FRI)

    # A made-up id, an empty title and a string are left out; the two others are kept.
    assert [p.arxiv_id for p in batch.papers] == ["2609.20001", "2609.20002"]
    assert batch.skipped == len(entries) - 2 == 3
    bare, hostile = batch.papers
    # Almost nothing given: defaults, and the day asked for as the featured day.
    assert bare.trending is not None
    assert bare.trending.featured == FRI
    assert (bare.trending.upvotes, bare.trending.comments) == (0, 0)
    assert (bare.abstract, bare.authors, bare.submitted) == ("", [], None)
    assert bare.trending.organization is None
    # Wrong types count as absent; markup stays inert text, exactly as written.
    assert hostile.version is None  # "v2" in its id: a version is arXiv's to say
    assert hostile.title == "<script>alert(1)</script> Robust Transformers"
    assert hostile.abstract == "<img src=x onerror=alert(1)> abstract"
    assert hostile.authors == ["Mallory Example", "Trent Example"]
    assert hostile.submitted is None  # "not a date"
    facts = hostile.trending
    assert facts is not None
    assert facts.upvotes == 0  # "12" is a string
    assert facts.comments == 0  # -4 is no count
    assert facts.github_stars is None  # true is a bool
    assert facts.github_repo is None  # javascript:
    assert facts.project_page is None  # quotes in a URL
    assert facts.ai_summary is None  # 5
    assert facts.ai_keywords == ("robustness", "attention")
    assert facts.organization == "odd-org"
    assert facts.featured == FRI


def test_own_page_unescapes_its_data_props() -> None:
    raw = own_fixture(OWN_PAGE)
    props, _ = _page(raw)

    batch = parse_papers_page(raw, PAGE, FRI)

    assert [p.arxiv_id for p in batch.papers] == [e["paper"]["id"] for e in props["dailyPapers"]]
    assert [p.title for p in batch.papers] == [
        "Symmetries & Conserved Losses",
        "Incomplete Reward Models",
    ]
    assert batch.papers[1].authors == ["Kurt Gödel"]
    assert [p.trending.upvotes for p in batch.papers if p.trending] == [15, 4]
    assert {p.trending.featured for p in batch.papers if p.trending} == {FRI}


# --- hostile and broken content -----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"papers": []}',
        b"null",
        b'"a string"',
        b'{"error": 404}',
        b"<!DOCTYPE html><html><body>Too Many Requests</body></html>",
        b'[{"paper": {"id": "2609.40001"',
        b"",
        b"\xff\xfe\xfd\x00",
    ],
    ids=["object", "null", "string", "error-not-text", "html", "cut-off", "empty", "not-utf8"],
)
def test_api_body_that_is_not_a_list_of_papers_names_the_url(body: bytes) -> None:
    url = day_url(API, FRI)
    with pytest.raises(FeedFormatError) as caught:
        parse_daily_papers(body, url, FRI)
    assert str(caught.value).startswith(url + ": ")


def test_api_error_object_says_what_hugging_face_said_on_one_line() -> None:
    url = day_url(API, FRI)
    body = json.dumps({"error": "Invalid date\n\x1b[31m" + "x" * 5000}).encode()

    with pytest.raises(FeedFormatError) as caught:
        parse_daily_papers(body, url, FRI)

    message = str(caught.value)
    assert message.startswith(url + ": ")
    assert "Invalid date" in message
    assert "\n" not in message and "\x1b" not in message
    assert len(message) < len(url) + 400


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><h1>Daily Papers</h1><p>Rate limited</p></body></html>",
        b'<div data-target="DailyPapers"></div>',
        b"<div data-target=\"DailyPapers\" data-props='{not json'></div>",
        b'<div data-target="DailyPapers" data-props=\'{"date": "2026-09-11"}\'></div>',
        b"<div data-target=\"DailyPapers\" data-props='[1, 2]'></div>",
        b'[{"paper": {"id": "2609.40001", "title": "the API answer, not the page"}}]',
    ],
    ids=["no-element", "no-props", "props-not-json", "no-dailyPapers", "props-a-list", "json"],
)
def test_page_without_daily_papers_data_names_the_url(body: bytes) -> None:
    url = day_url(PAGE, FRI)
    with pytest.raises(FeedFormatError) as caught:
        parse_papers_page(body, url, FRI)
    assert str(caught.value).startswith(url + ": ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(7, 7), (7.0, 7), ("12", 0), (True, 0), (-3, 0), (10**12, 0), (float("nan"), 0), (None, 0)],
)
def test_upvotes_that_are_no_count_are_zero(value: object, expected: int) -> None:
    papers = parse_daily_papers(_one_paper({"upvotes": value}), API, FRI).papers
    assert papers[0].trending is not None
    assert papers[0].trending.upvotes == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, 5), (0, 0), (True, None), (False, None), ("5", None), (-1, None), ([5], None)],
)
def test_github_stars_of_the_wrong_type_are_unknown(value: object, expected: int | None) -> None:
    body = _one_paper({"githubStars": value, "githubRepo": "https://github.com/a/b"})
    papers = parse_daily_papers(body, API, FRI).papers
    assert papers[0].trending is not None
    assert papers[0].trending.github_stars == expected


def test_stars_without_a_usable_repository_are_unknown() -> None:
    body = _one_paper({"githubStars": 5, "githubRepo": "javascript:alert(1)"})
    facts = parse_daily_papers(body, API, FRI).papers[0].trending
    assert facts is not None
    assert (facts.github_repo, facts.github_stars) == (None, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://github.com/a/b", "https://github.com/a/b"),
        ("http://example.org/p", "http://example.org/p"),
        ("  https://github.com/a/b \n", "https://github.com/a/b"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)//https://", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("ftp://example.org/", None),
        ("//example.org/p", None),
        ("https://example.org/a b", None),
        ('https://example.org/"><script>alert(1)</script>', None),
        ("https://example.org/" + "a" * 3000, None),
        # What would end a Markdown link and open another, or show a remote image.
        ("https://github.com/x)[pwn](http://evil.example/phish", None),
        ("https://ex.org/p)[![x](https://evil.example/t.png)](https://evil.example", None),
        ("https://ex.org/\u202egnp.exe", None),
        ("https://github.com/a/b?q=1&r=%20#top", "https://github.com/a/b?q=1&r=%20#top"),
        (["https://github.com/a/b"], None),
        (42, None),
    ],
)
def test_only_http_links_are_kept(value: object, expected: str | None) -> None:
    body = _one_paper({"githubRepo": value, "projectPage": value})
    facts = parse_daily_papers(body, API, FRI).papers[0].trending
    assert facts is not None
    assert (facts.github_repo, facts.project_page) == (expected, expected)


def test_a_paper_listed_twice_is_kept_once() -> None:
    first = {"paper": {"id": "2609.40001", "title": "First", "upvotes": 3}}
    again = {"paper": {"id": "2609.40001v2", "title": "Again", "upvotes": 9}}

    papers = parse_daily_papers(json.dumps([first, again]).encode(), API, FRI).papers

    assert [(p.arxiv_id, p.title) for p in papers] == [("2609.40001", "First")]


# --- the store ----------------------------------------------------------------------------------


def test_upsert_trending_adds_then_updates_grown_upvotes(store: Store) -> None:
    raw = own_fixture(OWN_API)
    entries = json.loads(raw)
    grown = copy.deepcopy(entries)
    grown[1]["paper"]["upvotes"] += 50  # 2609.10002: 7 -> 57, now the most upvoted
    t0, t1 = _at(MON, 9), _at(MON, 15)

    first = _upsert_trending(store, parse_daily_papers(raw, API, MON).papers, t0)
    second = _upsert_trending(
        store, parse_daily_papers(json.dumps(grown).encode(), API, MON).papers, t1
    )
    third = _upsert_trending(
        store, parse_daily_papers(json.dumps(grown).encode(), API, MON).papers, t1
    )

    assert (first, second, third) == ((3, 0, 0), (0, 1, 2), (0, 0, 3))
    assert store.count_papers() == 3
    facts = _facts(store, ["2609.10001", "2609.10002", "2609.99999"])
    assert set(facts) == {"2609.10001", "2609.10002"}
    assert facts["2609.10002"].upvotes == grown[1]["paper"]["upvotes"] == 57
    assert facts["2609.10001"].upvotes == entries[0]["paper"]["upvotes"]
    assert facts["2609.10001"].ai_keywords == tuple(entries[0]["paper"]["ai_keywords"])
    ranked = store.trending_papers(MON, MON)
    expected = sorted(grown, key=lambda e: -e["paper"]["upvotes"])
    assert [p.arxiv_id for p in ranked] == [e["paper"]["id"] for e in expected]
    assert [p.arxiv_id for p in ranked] == ["2609.10002", "2609.10001", "2609.10003"]
    assert [p.trending.upvotes for p in ranked if p.trending] == [57, 42, 19]
    assert store.trending_papers(FRI, SUN) == []


def test_a_paper_featured_again_keeps_its_first_featured_day(store: Store) -> None:
    monday = _one_paper({"submittedOnDailyAt": "2026-09-14T00:00:00.000Z", "upvotes": 5})
    tuesday = _one_paper({"submittedOnDailyAt": "2026-09-15T00:00:00.000Z", "upvotes": 9})
    _upsert_trending(store, parse_daily_papers(monday, API, MON).papers, _at(MON, 9))

    counts = _upsert_trending(store, parse_daily_papers(tuesday, API, TUE).papers, _at(TUE, 9))

    assert counts == (0, 1, 0)
    facts = _facts(store, ["2609.40001"])["2609.40001"]
    assert (facts.featured, facts.upvotes) == (MON, 9)
    assert [p.arxiv_id for p in store.trending_papers(MON, MON)] == ["2609.40001"]
    assert store.trending_papers(TUE, TUE) == []


@shared_fixtures
def test_real_day_is_ranked_by_upvotes(store: Store) -> None:
    raw = real_fixture(HF_JULY_31)
    entries = json.loads(raw)
    day = dt.date(2026, 7, 31)

    counts = _upsert_trending(store, parse_daily_papers(raw, API, day).papers, _at(day, 20))

    assert counts == (30, 0, 0)
    ranked = store.trending_papers(day, day)
    expected = sorted(entries, key=lambda e: (-e["paper"]["upvotes"], e["paper"]["id"]))
    assert [p.arxiv_id for p in ranked] == [e["paper"]["id"] for e in expected]
    assert ranked[0].arxiv_id == "2607.28618"


def test_arxiv_first_then_hugging_face_keeps_arxiv_metadata(store: Store) -> None:
    raw = own_fixture(OWN_API)
    hf_entry = json.loads(raw)[0]
    _upsert_papers(store, [copy.deepcopy(ARXIV_10001)], _at(MON, 1))

    counts = _upsert_trending(store, parse_daily_papers(raw, API, MON).papers, _at(MON, 9))

    assert counts == (3, 0, 0)  # trending rows: all three are new to the trending table
    assert store.count_papers() == 3  # 2609.10001 is one row
    paper = store.get_paper("2609.10001")
    assert paper is not None
    assert paper.title == ARXIV_10001.title != hf_entry["paper"]["title"]
    assert paper.abstract == ARXIV_10001.abstract
    assert paper.authors == ARXIV_10001.authors
    assert paper.categories == ARXIV_10001.categories
    assert paper.primary_category == "cs.LG"
    assert paper.route is Route.RSS
    assert paper.trending is not None
    assert paper.trending.upvotes == hf_entry["paper"]["upvotes"]
    assert paper.trending.github_repo == hf_entry["paper"]["githubRepo"]
    announced = store.papers_announced(MON, MON)
    assert [p.arxiv_id for p in announced] == ["2609.10001"]  # once; HF-only papers have no date
    assert announced[0].announce_type is AnnounceType.NEW
    assert announced[0].title == ARXIV_10001.title
    assert announced[0].trending is not None
    assert announced[0].trending.upvotes == hf_entry["paper"]["upvotes"]


def test_hugging_face_first_then_arxiv_replaces_its_metadata(store: Store) -> None:
    raw = own_fixture(OWN_API)
    hf_entry = json.loads(raw)[0]
    _upsert_trending(store, parse_daily_papers(raw, API, MON).papers, _at(MON, 9))
    before = store.get_paper("2609.10001")
    assert before is not None
    assert (before.title, before.source) == (hf_entry["paper"]["title"], "huggingface")
    assert store.papers_announced(MON, MON) == []

    counts = _upsert_papers(store, [copy.deepcopy(ARXIV_10001)], _at(MON, 10))

    assert counts == (0, 1, 0)
    paper = store.get_paper("2609.10001")
    assert paper is not None
    assert paper.title == ARXIV_10001.title
    assert paper.abstract == ARXIV_10001.abstract
    assert paper.authors == ARXIV_10001.authors
    assert paper.categories == ARXIV_10001.categories
    assert paper.trending is not None
    assert paper.trending.upvotes == hf_entry["paper"]["upvotes"]
    announced = store.papers_announced(MON, MON)
    assert [p.arxiv_id for p in announced] == ["2609.10001"]
    assert announced[0].trending is not None
    assert announced[0].trending.upvotes == hf_entry["paper"]["upvotes"]
    # Hugging Face again, upvotes grown: arXiv's title stays.
    grown = json.loads(raw)
    grown[0]["paper"]["upvotes"] += 1
    again = _upsert_trending(
        store, parse_daily_papers(json.dumps(grown).encode(), API, MON).papers, _at(MON, 15)
    )
    assert again == (0, 1, 2)
    after = store.get_paper("2609.10001")
    assert after is not None
    assert after.title == ARXIV_10001.title
    assert after.trending is not None
    assert after.trending.upvotes == hf_entry["paper"]["upvotes"] + 1


def test_merge_rule_holds_when_versions_do_not_decide(store: Store) -> None:
    """The rule matters where versions alone would get it wrong: a listing entry has no
    version (like Hugging Face's ids), and Hugging Face may name a higher version than arXiv's."""
    listing = copy.deepcopy(ARXIV_10001)
    listing.version, listing.route = None, Route.LISTING
    listing.key = listing.arxiv_id = "2609.10002"
    hf_v3 = _one_paper({"id": "2609.10001v3", "title": "HF's title", "upvotes": 5})
    _upsert_trending(store, parse_daily_papers(own_fixture(OWN_API), API, MON).papers, _at(MON, 1))
    _upsert_papers(store, [copy.deepcopy(ARXIV_10001)], _at(MON, 2))

    _upsert_papers(store, [listing], _at(MON, 3))  # after Hugging Face's 2609.10002
    _upsert_trending(store, parse_daily_papers(hf_v3, API, MON).papers, _at(MON, 4))

    papers = store.get_papers(["2609.10001", "2609.10002"])
    assert papers["2609.10002"].title == listing.title
    assert papers["2609.10002"].authors == listing.authors
    assert papers["2609.10001"].title == ARXIV_10001.title
    assert papers["2609.10001"].authors == ARXIV_10001.authors


def test_papers_hugging_face_never_featured_have_no_trending(store: Store) -> None:
    other = copy.deepcopy(ARXIV_10001)
    other.arxiv_id = "2609.55555"
    _upsert_papers(store, [other], _at(MON, 1))

    assert [p.trending for p in store.papers_announced(MON, MON)] == [None]
    paper = store.get_paper("2609.55555")
    assert paper is not None
    assert paper.trending is None
    assert _facts(store, ["2609.55555"]) == {}


@shared_fixtures
@pytest.mark.parametrize("arxiv_first", [True, False], ids=["arxiv-first", "hf-first"])
def test_real_arxiv_and_hugging_face_views_of_the_same_papers_merge(
    store: Store, arxiv_first: bool
) -> None:
    arxiv = parse_api_response(real_fixture(ARXIV_API_AUG_02), "https://export.arxiv.org/api/query")
    raw = real_fixture(HF_JULY_31)
    hf_title = _by_id(json.loads(raw))["2607.28582"]["paper"]["title"]
    hf = parse_daily_papers(raw, API, dt.date(2026, 7, 31))
    arxiv_paper = {p.arxiv_id: p for p in arxiv.papers}["2607.28582"]
    now = dt.datetime(2026, 8, 2, 12, tzinfo=UTC)

    if arxiv_first:
        _upsert_papers(store, arxiv.papers, now)
        _upsert_trending(store, hf.papers, now)
    else:
        _upsert_trending(store, hf.papers, now)
        _upsert_papers(store, arxiv.papers, now)

    assert store.count_papers() == 25 + 30 - 3  # three ids in common
    paper = store.get_paper("2607.28582")
    assert paper is not None
    assert hf_title.startswith("β-OPSD")
    assert paper.title.startswith("$β$-OPSD")  # arXiv's spelling, in either order
    assert paper.abstract == arxiv_paper.abstract
    assert paper.categories == ["cs.LG"]
    assert paper.trending is not None
    assert (paper.trending.upvotes, paper.trending.featured) == (19, dt.date(2026, 7, 31))


def test_record_trending_day_is_kept_per_day_and_replaced(store: Store) -> None:
    _record(store, FRI, "featured", False, _at(FRI, 10))
    _record(store, MON, "failed", False, _at(MON, 10))
    _record(store, FRI, "featured", True, _at(SAT, 1))

    days = store.trending_days(FRI, MON)

    assert days == {
        FRI: TrendingDay("featured", trending.ROUTE_API, 3, True, _at(SAT, 1)),
        MON: TrendingDay("failed", trending.ROUTE_API, 0, False, _at(MON, 10)),
    }
    assert store.trending_days(SAT, SUN) == {}


# --- Hugging Face never overrides arXiv's dates or versions -------------------------------------


@pytest.mark.parametrize("arxiv_first", [True, False], ids=["arxiv-first", "hf-first"])
def test_hugging_face_never_replaces_arxivs_submission_time(
    sqlite_store: Store, arxiv_first: bool
) -> None:
    hf = parse_daily_papers(own_fixture(OWN_API), API, MON).papers
    if arxiv_first:
        _upsert_papers(sqlite_store, [copy.deepcopy(ARXIV_10001)], _at(MON, 1))
        _upsert_trending(sqlite_store, hf, _at(MON, 9))
    else:
        _upsert_trending(sqlite_store, hf, _at(MON, 9))
        _upsert_papers(sqlite_store, [copy.deepcopy(ARXIV_10001)], _at(MON, 10))

    paper = sqlite_store.get_paper("2609.10001")
    assert paper is not None
    assert paper.submitted == ARXIV_10001.submitted  # 2026-09-11 17:30:05, not 00:00


def test_a_version_only_hugging_face_gave_does_not_block_arxivs_replacement(
    sqlite_store: Store,
) -> None:
    _upsert_papers(sqlite_store, [copy.deepcopy(ARXIV_10001)], _at(MON, 1))
    versioned = _one_paper({"id": "2609.10001v2", "title": "HF's title", "upvotes": 5})
    _upsert_trending(sqlite_store, parse_daily_papers(versioned, API, MON).papers, _at(MON, 9))
    replaced = copy.deepcopy(ARXIV_10001)
    replaced.version, replaced.title = 2, "The v2 title"
    replaced.announce_type, replaced.announced = AnnounceType.REPLACE, TUE

    _upsert_papers(sqlite_store, [replaced], _at(TUE, 1))

    paper = sqlite_store.get_paper("2609.10001")
    assert paper is not None
    assert paper.title == "The v2 title"


# --- the calendar -------------------------------------------------------------------------------


def test_featured_days_are_weekdays() -> None:
    assert [trending.is_featured_day(d) for d in (THU, FRI, SAT, SUN, MON)] == [
        True,
        True,
        False,
        False,
        True,
    ]
    assert trending.featured_days(THU, TUE) == [THU, FRI, MON, TUE]
    assert trending.featured_days(SAT, SUN) == []


@pytest.mark.parametrize(
    ("now", "latest", "final"),
    [
        (_at(FRI, 10), FRI, THU),
        (_at(SAT, 0), FRI, FRI),
        (_at(SUN, 23, 59), FRI, FRI),
        (_at(MON, 0), MON, FRI),
        (_at(MON, 23, 59), MON, FRI),
        (_at(TUE, 0), TUE, MON),
        # Monday 03:00 at UTC+5 is Sunday 22:00 UTC; Friday 20:00 at UTC-7 is Saturday 03:00.
        (dt.datetime(2026, 9, 14, 3, tzinfo=dt.timezone(dt.timedelta(hours=5))), FRI, FRI),
        (dt.datetime(2026, 9, 11, 20, tzinfo=dt.timezone(dt.timedelta(hours=-7))), FRI, FRI),
    ],
)
def test_latest_featured_and_final_days(now: dt.datetime, latest: dt.date, final: dt.date) -> None:
    assert trending.latest_featured_day(now) == latest
    assert trending.latest_final_day(now) == final


def test_a_day_ends_at_midnight_utc() -> None:
    assert trending.day_end(FRI) == dt.datetime(2026, 9, 12, tzinfo=UTC)


def test_days_for_date_and_since(sqlite_store: Store, loopback: LoopbackServer) -> None:
    sunday = make_trending(loopback, sqlite_store, _at(SUN, 10))
    monday = make_trending(loopback, sqlite_store, _at(MON, 10))

    assert sunday.days() == [FRI]
    assert monday.days() == [MON]
    assert monday.days(on_date=MON) == [MON]  # today, while it lasts
    assert monday.days(on_date=THU) == [THU]
    assert monday.days(since=THU) == [THU, FRI, MON]
    with pytest.raises(UsageError, match=r"--date 2026-09-12: .* Saturdays"):
        monday.days(on_date=SAT)
    with pytest.raises(UsageError, match="--date 2026-09-15"):
        monday.days(on_date=TUE)
    with pytest.raises(UsageError, match="--since 2026-09-14"):
        sunday.days(since=MON)
    assert loopback.requests == []


# --- TrendingIngestor over loopback HTTP --------------------------------------------------------


def _papers_for_day(raw: bytes) -> Any:
    """A route answering OWN_API's papers as featured on the day asked for."""

    def answer(request: RecordedRequest) -> Reply:
        entries = json.loads(raw)
        for entry in entries:
            entry["paper"]["submittedOnDailyAt"] = request.params["date"] + "T00:00:00.000Z"
        return Reply(200, json.dumps(entries).encode(), {"Content-Type": "application/json"})

    return answer


@shared_fixtures
def test_ingestor_reads_the_api_for_the_day(loopback: LoopbackServer, store: Store) -> None:
    raw = real_fixture(HF_JULY_31)
    entries = json.loads(raw)
    day = dt.date(2026, 7, 31)
    now = dt.datetime(2026, 8, 1, 9, tzinfo=UTC)  # Saturday: Friday has ended
    loopback.add("/api/daily_papers", Reply(200, raw, {"Content-Type": "application/json"}))

    report = make_trending(loopback, store, now).fetch_days([day])

    assert (report.problems, report.warnings) == ([], [])
    [result] = report.results
    assert (result.route, result.status, result.announced) == ("huggingface", "stored", day)
    assert result.url == loopback.url + "/api/daily_papers?date=2026-07-31"
    assert (result.counts.added, result.counts.updated) == (len(entries), 0)
    [request] = loopback.requests
    assert (request.path, request.params) == ("/api/daily_papers", {"date": "2026-07-31"})
    assert request.headers["User-Agent"] == "paperwire-tests"
    assert store.trending_days(day, day) == {
        day: TrendingDay("featured", "huggingface", 30, True, now)
    }
    top = max(entries, key=lambda e: e["paper"]["upvotes"])
    assert store.trending_papers(day, day)[0].arxiv_id == top["paper"]["id"] == "2607.28618"


def test_ingestor_fetch_during_the_day_is_not_final(loopback: LoopbackServer, store: Store) -> None:
    loopback.add("/api/daily_papers", Reply(200, own_fixture(OWN_API)))
    now = _at(MON, 14)

    report = make_trending(loopback, store, now).run(on_date=MON)

    assert [r.counts.added for r in report.results] == [3]
    assert loopback.requests[0].params == {"date": "2026-09-14"}
    assert store.trending_days(MON, MON) == {
        MON: TrendingDay("featured", "huggingface", 3, False, now)
    }


def test_ingestor_falls_back_to_the_page_when_the_api_fails(
    loopback: LoopbackServer, store: Store
) -> None:
    loopback.add("/api/daily_papers", Reply(500, b"Internal Server Error"))
    loopback.add("/papers", Reply(200, own_fixture(OWN_PAGE), {"Content-Type": "text/html"}))
    now = _at(FRI, 15)

    report = make_trending(loopback, store, now).fetch_days([FRI])

    assert report.problems == []
    [result] = report.results
    assert (result.route, result.status, result.counts.added) == ("huggingface-page", "stored", 2)
    assert result.url == loopback.url + "/papers?date=2026-09-11"
    [warning] = report.warnings
    assert "page" in warning and loopback.url + "/api/daily_papers?date=2026-09-11" in warning
    assert [r.params for r in loopback.requests_to("/papers")] == [{"date": "2026-09-11"}]
    assert store.trending_days(FRI, FRI) == {
        FRI: TrendingDay("featured", "huggingface-page", 2, False, now)
    }
    assert [p.trending.upvotes for p in store.trending_papers(FRI, FRI) if p.trending] == [15, 4]


@shared_fixtures
def test_ingestor_falls_back_to_the_real_page_when_the_api_answers_html(
    loopback: LoopbackServer, store: Store
) -> None:
    day = dt.date(2024, 8, 1)
    loopback.add("/api/daily_papers", Reply(200, b"<html><body>Rate limited</body></html>"))
    loopback.add("/papers", Reply(200, real_fixture(HF_PAGE_2024)))

    report = make_trending(loopback, store, dt.datetime(2024, 8, 2, 6, tzinfo=UTC)).run(day)

    assert [(r.route, r.counts.added) for r in report.results] == [("huggingface-page", 13)]
    assert len(report.warnings) == 1
    assert store.trending_papers(day, day)[0].arxiv_id == "2407.21783"  # 94 upvotes


def test_both_failing_is_a_problem_and_the_day_is_recorded_failed(
    loopback: LoopbackServer, store: Store
) -> None:
    loopback.add("/api/daily_papers", Reply(200, own_fixture(OWN_API)), Reply(500))
    loopback.add("/papers", Reply(404))
    make_trending(loopback, store, _at(MON, 9)).fetch_days([MON])  # a first fetch works

    report = make_trending(loopback, store, _at(MON, 12)).fetch_days([MON])

    assert report.results == []
    [problem] = report.problems
    assert "2026-09-14" in problem
    assert loopback.url + "/api/daily_papers?date=2026-09-14" in problem
    assert "papers page failed too" in problem
    assert loopback.requests_to("/papers")  # the page was tried
    record = store.trending_days(MON, MON)[MON]
    assert (record.status, record.final, record.fetched_at) == ("failed", False, _at(MON, 12))
    assert store.count_papers() == 3  # what the first fetch stored stays


def test_without_a_page_url_there_is_no_fallback(loopback: LoopbackServer, store: Store) -> None:
    loopback.add("/api/daily_papers", Reply(200, b'{"error": "Invalid date"}'))

    report = make_trending(loopback, store, _at(MON, 9), page_url="").fetch_days([MON])

    [problem] = report.problems
    assert "Invalid date" in problem
    assert loopback.requests_to("/papers") == []
    assert store.trending_days(MON, MON)[MON].status == "failed"


def test_a_failing_day_does_not_stop_the_others(loopback: LoopbackServer, store: Store) -> None:
    good = _papers_for_day(own_fixture(OWN_API))

    def answer(request: RecordedRequest) -> Reply:
        return Reply(503) if request.params["date"] == "2026-09-11" else good(request)

    loopback.route("/api/daily_papers", answer)

    report = make_trending(loopback, store, _at(MON, 12), page_url="").run(since=FRI)

    assert [r.announced for r in report.results] == [MON]
    assert len(report.problems) == 1 and "2026-09-11" in report.problems[0]
    days = store.trending_days(FRI, MON)
    assert {d: r.status for d, r in days.items()} == {FRI: "failed", MON: "featured"}


def test_empty_day_is_recorded_empty(loopback: LoopbackServer, store: Store) -> None:
    loopback.add("/api/daily_papers", Reply(200, b"[]"))

    report = make_trending(loopback, store, _at(SAT, 1)).fetch_days([FRI])

    assert [(r.status, r.counts.total) for r in report.results] == [("empty", 0)]
    assert store.trending_days(FRI, FRI)[FRI] == TrendingDay(
        "empty", "huggingface", 0, True, _at(SAT, 1)
    )


# --- due_days and newest_final_day --------------------------------------------------------------

REFRESH, RETRY, LOOKBACK = dt.timedelta(hours=2), dt.timedelta(hours=1), 7


def test_due_days_and_final_days_across_a_weekend(loopback: LoopbackServer, store: Store) -> None:
    failing = {"2026-09-14"}
    good = _papers_for_day(own_fixture(OWN_API))

    def answer(request: RecordedRequest) -> Reply:
        return Reply(500) if request.params["date"] in failing else good(request)

    loopback.route("/api/daily_papers", answer)
    loopback.add("/papers", Reply(404))

    def due(now: dt.datetime, force: bool = False) -> list[dt.date]:
        return trending.due_days(
            store, now, lookback_days=LOOKBACK, refresh=REFRESH, retry=RETRY, force=force
        )

    def final(now: dt.datetime) -> dt.date | None:
        return trending.newest_final_day(store, now, lookback_days=LOOKBACK)

    def fetch(now: dt.datetime) -> None:
        make_trending(loopback, store, now).fetch_days(due(now))

    # Friday morning, nothing stored: the day before too, so a first digest has a finished day.
    assert (due(_at(FRI, 10)), final(_at(FRI, 10))) == ([THU, FRI], None)
    fetch(_at(FRI, 10))
    assert final(_at(FRI, 10)) == THU
    assert due(_at(FRI, 11)) == []  # refreshed less than two hours ago
    assert due(_at(FRI, 11), force=True) == [FRI]
    assert due(_at(FRI, 12)) == [FRI]
    fetch(_at(FRI, 12))
    assert due(_at(FRI, 13)) == []
    fetch(_at(FRI, 23, 30))
    assert due(_at(FRI, 23, 59)) == []  # refreshed 29 minutes ago
    # Friday has ended: one more fetch, though refreshed only 30 minutes ago, makes it final.
    assert (due(_at(SAT, 0)), final(_at(SAT, 0))) == ([FRI], THU)
    fetch(_at(SAT, 0))
    assert store.trending_days(FRI, FRI)[FRI].final is True
    assert final(_at(SAT, 0)) == FRI
    assert due(_at(SAT, 12)) == due(_at(SUN, 23, 59)) == []
    assert final(_at(SUN, 23, 59)) == FRI
    # Monday's fetch fails (API and page): retried after `retry`, and digests wait at Friday.
    assert due(_at(MON, 6)) == [MON]
    fetch(_at(MON, 6))
    assert store.trending_days(MON, MON)[MON].status == "failed"
    assert due(_at(MON, 6, 30)) == []
    assert due(_at(MON, 6, 30), force=True) == [MON]
    assert due(_at(MON, 7)) == [MON]
    assert final(_at(TUE, 1)) == FRI
    # Tuesday 01:00, Hugging Face is back: Monday (failed, now final) and Tuesday are due.
    failing.clear()
    assert due(_at(TUE, 1)) == [MON, TUE]
    fetch(_at(TUE, 1))
    assert final(_at(TUE, 1)) == MON
    days = store.trending_days(THU, TUE)
    assert {d: (r.status, r.final) for d, r in days.items()} == {
        THU: ("featured", True),
        FRI: ("featured", True),
        MON: ("featured", True),
        TUE: ("featured", False),
    }


def test_days_missed_while_off_are_due_and_digests_wait_for_them(store: Store) -> None:
    _record(store, THU, "featured", True, _at(FRI, 0, 10))
    _record(store, MON, "featured", True, _at(TUE, 0, 10))  # Friday never fetched

    assert trending.newest_final_day(store, _at(TUE, 10), lookback_days=LOOKBACK) == THU
    assert trending.due_days(
        store, _at(TUE, 10), lookback_days=LOOKBACK, refresh=REFRESH, retry=RETRY
    ) == [FRI, TUE]
    # Beyond reach (lookback 2 days: Monday and Tuesday), Thursday no longer holds digests back.
    assert trending.newest_final_day(store, _at(TUE, 10), lookback_days=2) == MON


# --- the CLI ------------------------------------------------------------------------------------


def _hf_env(server: LoopbackServer, **extra: str) -> dict[str, str]:
    return {
        "PAPERWIRE_SOURCES__HUGGINGFACE__API_URL": server.url + "/api/daily_papers",
        "PAPERWIRE_SOURCES__HUGGINGFACE__PAGE_URL": server.url + "/papers",
        **extra,
    }


def _fetch_at(paperwire: PaperwireCLI, when: dt.datetime, *args: str, env: dict[str, str]) -> Any:
    with time_machine.travel(when, tick=False):
        return paperwire("fetch", *args, env=env)


def test_cli_fetches_a_weekday_from_hugging_face(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, sqlite_url: str
) -> None:
    arxiv.add("/api/daily_papers", Reply(200, own_fixture(OWN_API)))
    env = _hf_env(arxiv)
    args = ("--source", "huggingface", "--date", "2026-09-14")

    first = _fetch_at(paperwire, _at(TUE, 9), *args, env=env)
    again = _fetch_at(paperwire, _at(TUE, 10), *args, env=env)

    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("2026-09-14 via huggingface: 3 added, 0 updated, 0 unchanged")
    assert len(first.stdout.splitlines()) == 1
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("2026-09-14 via huggingface: 0 added, 0 updated, 3 unchanged")
    assert [(r.path, r.params) for r in arxiv.requests] == [
        ("/api/daily_papers", {"date": "2026-09-14"})
    ] * 2
    with open_store(sqlite_url) as store:
        assert store.trending_days(MON, MON)[MON].final is True
        assert store.count_papers() == 3


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("--date", "2026-09-12"), "--date 2026-09-12"),  # a Saturday
        (("--date", "2026-09-15"), "--date 2026-09-15"),  # tomorrow
        (("--since", "2026-09-15"), "--since 2026-09-15"),
        (("--id", "2401.00001"), "--id"),
    ],
    ids=["saturday", "future", "since-future", "id"],
)
def test_cli_refuses_what_hugging_face_cannot_answer(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, args: tuple[str, ...], names: str
) -> None:
    result = _fetch_at(
        paperwire, _at(MON, 10), "--source", "huggingface", *args, env=_hf_env(arxiv)
    )

    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("paperwire: error: ")
    assert names in lines[0]
    assert "Traceback" not in result.output
    assert arxiv.requests == []


def test_cli_failing_day_exits_1_naming_it(paperwire: PaperwireCLI, arxiv: LoopbackServer) -> None:
    arxiv.add("/api/daily_papers", Reply(500))
    arxiv.add("/papers", Reply(500))

    env = _hf_env(arxiv, PAPERWIRE_HTTP__RETRIES="0")  # no backoff sleep before giving up

    result = _fetch_at(
        paperwire, _at(MON, 10), "--source", "huggingface", "--date", "2026-09-11", env=env
    )

    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("paperwire: error: Hugging Face Daily Papers of 2026-09-11: ")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("enabled", [True, False])
def test_cli_default_fetches_hugging_face_only_when_enabled(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, enabled: bool
) -> None:
    feed = own_fixture("routes/rss.xml")  # tests/fixtures/routes/rss.xml: 2026-11-17, 2 papers
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, feed))
    arxiv.route("/api/daily_papers", _papers_for_day(own_fixture(OWN_API)))
    env = _hf_env(arxiv, PAPERWIRE_SOURCES__HUGGINGFACE__ENABLED=str(enabled).lower())
    when = dt.datetime(2026, 11, 17, 14, tzinfo=UTC)  # a Tuesday

    result = _fetch_at(paperwire, when, "--route", "rss", "-c", "cs.LG", "-c", "cs.AI", env=env)

    assert result.exit_code == 0, result.output
    hf_requests = [r.params for r in arxiv.requests_to("/api/daily_papers")]
    assert hf_requests == ([{"date": "2026-11-17"}] if enabled else [])
    assert len(arxiv.requests_to("/rss/cs.LG+cs.AI")) == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2026-11-17 via rss: 2 added")
    if enabled:
        assert lines[1].startswith("2026-11-17 via huggingface: 3 added")
    assert len(lines) == (2 if enabled else 1)
