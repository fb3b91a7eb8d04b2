"""arxiv.org/list/<category>/new (and /recent, /pastweek) HTML pages into FeedBatches."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from fixtures_path import own_fixture, real_fixture, shared_fixtures

from paperwire.errors import FeedFormatError
from paperwire.models import AnnounceType, Route
from paperwire.sources.arxiv import listing
from paperwire.sources.arxiv.listing import listing_url, parse_listing

URL = "https://arxiv.org/list/cs.LG/new"
EXCERPT = "listing-html/listing_new_cs.AI_2026-08-12_EXCERPT_6entries.html"
OLD_UI = "listing-html/listing_astro-ph.CO_recent-pastweek_OLD-UI_2024-03-14_76entries.html"
NEW_UI_RECENT = "listing-html/listing_astro-ph_recent_NEW-UI_2025-02-12_365entries_raw.html"


def test_listing_url_points_at_the_new_page() -> None:
    assert listing_url("https://arxiv.org/", "cs.LG") == "https://arxiv.org/list/cs.LG/new"


def test_own_listing_date_comes_from_showing_new_listings() -> None:
    batch = parse_listing(own_fixture("listing_new_2entries.html"), URL)
    assert batch.announced == dt.date(2026, 9, 24)
    assert {paper.announced for paper in batch.papers} == {dt.date(2026, 9, 24)}


def test_own_listing_sections_give_announce_types() -> None:
    papers = parse_listing(own_fixture("listing_new_2entries.html"), URL).papers
    assert [p.announce_type for p in papers] == [AnnounceType.NEW, AnnounceType.CROSS]


def test_version_comes_from_the_html_link_when_there_is_one() -> None:
    papers = parse_listing(own_fixture("listing_new_2entries.html"), URL).papers
    assert [(p.arxiv_id, p.version) for p in papers] == [("2609.01234", 1), ("2609.05678", None)]


def test_title_loses_its_descriptor_and_keeps_tex() -> None:
    paper = parse_listing(own_fixture("listing_new_2entries.html"), URL).papers[0]
    assert paper.title == r"Sparse Kernels for $\mathcal{O}(n \log n)$ Attention"


def test_comments_and_journal_ref_lose_their_descriptors() -> None:
    papers = parse_listing(own_fixture("listing_new_2entries.html"), URL).papers
    assert papers[0].comments == "12 pages, 4 figures"
    assert papers[1].journal_ref == "J. Invented Stat. 12 (2026) 1-20"


def test_primary_subject_comes_first_as_a_category_code() -> None:
    cross = parse_listing(own_fixture("listing_new_2entries.html"), URL).papers[1]
    assert cross.categories == ["stat.ME", "cs.LG"]
    assert cross.primary_category == "stat.ME"


def test_listing_papers_are_marked_as_coming_from_the_listing() -> None:
    papers = parse_listing(own_fixture("listing_new_2entries.html"), URL).papers
    assert {paper.route for paper in papers} == {Route.LISTING}


def test_replacement_marked_cross_list_is_replace_cross() -> None:
    page = b"""<html><body><h3>Showing new listings for Friday, 25 September 2026</h3>
    <h3>Replacement submissions (showing 1 of 1 entries)</h3>
    <dt><a href="/abs/2101.00001" title="Abstract">arXiv:2101.00001</a>
      (cross-list from math.ST)</dt>
    <dd><div class='list-title'><span class='descriptor'>Title:</span> T</div></dd>
    </body></html>"""
    paper = parse_listing(page, URL).papers[0]
    assert paper.announce_type is AnnounceType.REPLACE_CROSS


def test_script_in_a_title_stays_literal_text() -> None:
    page = b"""<html><body><h3>New submissions (showing 1 of 1 entries)</h3>
    <dt><a href="/abs/2609.00009" title="Abstract">arXiv:2609.00009</a></dt>
    <dd><div class='list-title'><span class='descriptor'>Title:</span>
    &lt;script&gt;alert(1)&lt;/script&gt; Title</div></dd></body></html>"""
    assert parse_listing(page, URL).papers[0].title == "<script>alert(1)</script> Title"


def test_page_without_listing_structure_is_rejected() -> None:
    with pytest.raises(FeedFormatError, match="not an arXiv listing page"):
        parse_listing(b"<html><body><p>Rate limited, try later</p></body></html>", URL)


def test_empty_page_is_rejected() -> None:
    with pytest.raises(FeedFormatError, match="empty response"):
        parse_listing(b"", URL)


def test_html_parser_fallback_gives_the_same_papers(monkeypatch: pytest.MonkeyPatch) -> None:
    body = own_fixture("listing_new_2entries.html")
    with_lxml = parse_listing(body, URL)
    monkeypatch.setattr(listing, "_PARSER", "html.parser")
    assert parse_listing(body, URL) == with_lxml


@shared_fixtures
def test_real_new_excerpt_has_six_entries_with_their_types() -> None:
    batch = parse_listing(real_fixture(EXCERPT), "https://arxiv.org/list/cs.AI/new")
    assert [(p.arxiv_id, p.announce_type) for p in batch.papers] == [
        ("2608.09949", AnnounceType.NEW),
        ("2608.09967", AnnounceType.NEW),
        ("2505.11635", AnnounceType.CROSS),
        ("2607.28646", AnnounceType.CROSS),
        ("2112.07752", AnnounceType.REPLACE),
        ("2505.23399", AnnounceType.REPLACE),
    ]


@shared_fixtures
def test_real_new_excerpt_is_dated_2026_08_12() -> None:
    batch = parse_listing(real_fixture(EXCERPT), "u")
    assert batch.announced == dt.date(2026, 8, 12)
    assert {paper.announced for paper in batch.papers} == {dt.date(2026, 8, 12)}


@shared_fixtures
def test_real_new_excerpt_puts_the_primary_subject_first() -> None:
    papers = parse_listing(real_fixture(EXCERPT), "u").papers
    assert papers[0].categories == ["cs.AI", "physics.bio-ph"]
    assert papers[2].categories == ["cs.LG", "cs.AI"]
    assert papers[2].primary_category == "cs.LG"
    assert papers[4].categories == ["cs.AI", "cs.GT", "cs.LG"]


@shared_fixtures
def test_real_new_excerpt_reads_fields_and_abstracts() -> None:
    papers = parse_listing(real_fixture(EXCERPT), "u").papers
    assert papers[0].title == "Closed-Loop LLM Co-Pilots for Digital Agriculture"
    assert papers[1].authors == ["Tamar Gozlan", "Claudia V. Goldman"]
    assert papers[3].title.startswith('"YES! YES! I absolutely love this insight!"')
    assert papers[3].journal_ref == "2026 Narrative Inquiry 23 (2)"
    assert papers[4].version == 5
    assert papers[5].comments == "Accepted at NeurIPS 2025. Code available at this https URL"
    assert papers[0].abstract.startswith("This study evaluates the application of Large")
    assert r"5--6\%" in papers[5].abstract


@shared_fixtures
def test_real_old_ui_pastweek_page_dates_each_paper_by_its_day() -> None:
    batch = parse_listing(real_fixture(OLD_UI), "u")
    assert len(batch.papers) == 76
    assert batch.announced == dt.date(2024, 3, 14)
    assert Counter(p.announced for p in batch.papers)[dt.date(2024, 3, 14)] == 16
    assert min(p.announced for p in batch.papers if p.announced) == dt.date(2024, 3, 8)
    assert all(p.abstract == "" for p in batch.papers)


@shared_fixtures
def test_real_old_ui_cross_lists_are_cross() -> None:
    papers = parse_listing(real_fixture(OLD_UI), "u").papers
    by_id = {paper.arxiv_id: paper for paper in papers}
    assert by_id["2403.08759"].announce_type is AnnounceType.CROSS
    assert by_id["2403.08726"].announce_type is AnnounceType.NEW


@shared_fixtures
def test_real_new_ui_recent_page_has_every_entry() -> None:
    batch = parse_listing(real_fixture(NEW_UI_RECENT), "u")
    assert len(batch.papers) == 365
    assert batch.announced == dt.date(2025, 2, 12)
    assert Counter(p.announced for p in batch.papers)[dt.date(2025, 2, 12)] == 60


def test_old_ui_new_page_takes_date_and_types_from_its_section_headings() -> None:
    page = b"""<html><body>
    <h3>New submissions for Tue, 26 Mar 24</h3><dl>
    <dt><span class="list-identifier"><a href="/abs/2403.00001">arXiv:2403.00001</a>
    </span></dt><dd><div class="list-title"><span class="descriptor">Title:</span> A</div></dd></dl>
    <h3>Cross-lists for Tue, 26 Mar 24</h3><dl>
    <dt><span class="list-identifier"><a href="/abs/2403.00002">arXiv:2403.00002</a>
    (cross-list from math.ST)</span></dt><dd><div class="list-title">B</div></dd></dl>
    <h3>Replacements for Tue, 26 Mar 24</h3><dl>
    <dt><span class="list-identifier"><a href="/abs/2301.00003">arXiv:2301.00003</a>
    (replaced)</span></dt><dd><div class="list-title">C</div></dd></dl></body></html>"""
    batch = parse_listing(page, URL)
    assert batch.announced == dt.date(2024, 3, 26)
    assert [p.announce_type for p in batch.papers] == [
        AnnounceType.NEW,
        AnnounceType.CROSS,
        AnnounceType.REPLACE,
    ]
