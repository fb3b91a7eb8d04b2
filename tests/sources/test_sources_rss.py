"""rss.arxiv.org RSS 2.0 and Atom feeds into FeedBatches."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest
from fixtures_path import own_fixture, real_fixture, shared_fixtures

from paperwire.errors import FeedFormatError
from paperwire.models import AnnounceType, FeedBatch, Route
from paperwire.sources._text import ABSTRACT_LIMIT, TITLE_LIMIT
from paperwire.sources.arxiv.rss import feed_url, parse_feed

URL = "https://rss.arxiv.org/rss/cs.LG+stat.ML"

STAT_FEED = "rss2/rss_stat_2024-03-26_full.xml"
TRIMMED_2026 = "rss2/rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_4items_TRIMMED.xml"
ATOM_TRUNCATED = "rss-atom/atom_cs.AI_2025-08-20_zotero-arxiv-daily_TRUNCATED.xml"


def own_feed() -> FeedBatch:
    return parse_feed(own_fixture("rss2_2026_3items.xml"), URL)


def one_item_feed(title: str = "T", description: str = "", extra: str = "") -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>'
        "<pubDate>Thu, 24 Sep 2026 00:00:00 -0400</pubDate><item>"
        f"<title>{title}</title>"
        f"<description>{description or 'arXiv:2609.00001v1 Announce Type: new '}</description>"
        "<guid isPermaLink='false'>oai:arXiv.org:2609.00001v1</guid>"
        f"<category>cs.LG</category>{extra}"
        "<arxiv:announce_type>new</arxiv:announce_type>"
        "<dc:creator>A. Author</dc:creator></item></channel></rss>"
    ).encode()


# --- URLs -----------------------------------------------------------------------------------


def test_feed_url_combines_all_categories_in_one_request() -> None:
    assert (
        feed_url("https://rss.arxiv.org/", ["cs.LG", "stat.ML"])
        == "https://rss.arxiv.org/rss/cs.LG+stat.ML"
    )


def test_feed_url_needs_a_category() -> None:
    with pytest.raises(ValueError):
        feed_url("https://rss.arxiv.org", [])


# --- own fixtures ---------------------------------------------------------------------------


def test_own_feed_has_three_items_with_their_announce_types() -> None:
    types = [paper.announce_type for paper in own_feed().papers]
    assert types == [AnnounceType.NEW, AnnounceType.CROSS, AnnounceType.REPLACE]


def test_every_paper_gets_the_channel_date_in_new_york() -> None:
    batch = own_feed()
    assert batch.announced == dt.date(2026, 9, 24)
    assert {paper.announced for paper in batch.papers} == {dt.date(2026, 9, 24)}


def test_id_and_version_come_from_the_guid() -> None:
    replaced = own_feed().papers[2]
    assert (replaced.arxiv_id, replaced.version) == ("2301.00042", 3)


def test_abstract_is_the_text_after_the_abstract_prefix() -> None:
    paper = own_feed().papers[1]
    assert paper.abstract == (
        "We propose change-point tests for panels that stay valid under heavy tails."
    )


def test_tex_accents_in_dc_creator_are_decoded() -> None:
    assert own_feed().papers[0].authors == ["Borja Rodríguez-Gálvez", "Jörg Müller", "Ana Pižurica"]


def test_tex_math_in_title_and_abstract_is_kept_verbatim() -> None:
    paper = own_feed().papers[0]
    assert paper.title == r"Sparse Kernels for $\mathcal{O}(n \log n)$ Attention"
    assert r"$\mathcal{O}(n^2)$" in paper.abstract
    assert "$k < n$" in paper.abstract  # &lt; is text, not markup


def test_cross_item_lists_other_archive_first_as_primary() -> None:
    cross = own_feed().papers[1]
    assert cross.categories == ["stat.ME", "cs.LG"]
    assert cross.primary_category == "stat.ME"


def test_doi_journal_ref_and_license_are_read() -> None:
    cross = own_feed().papers[1]
    assert cross.doi == "10.1000/example.2026.5678"
    assert cross.journal_ref == "J. Invented Stat. 12 (2026) 1-20"
    assert cross.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


def test_papers_are_marked_as_coming_from_rss() -> None:
    assert {paper.route for paper in own_feed().papers} == {Route.RSS}


def test_weekend_feed_without_items_is_an_empty_batch_with_its_date() -> None:
    batch = parse_feed(own_fixture("rss2_weekend_empty.xml"), URL)
    assert batch.papers == []
    assert batch.announced == dt.date(2026, 9, 26)


def test_atom_feed_date_is_its_updated_element_in_new_york() -> None:
    batch = parse_feed(own_fixture("atom_2entries.xml"), URL)
    assert batch.announced == dt.date(2025, 8, 20)


def test_atom_entries_read_dc_creator_and_author_names() -> None:
    papers = parse_feed(own_fixture("atom_2entries.xml"), URL).papers
    assert papers[0].authors == ["Ana Silva", "Balázs Kovács"]
    assert papers[1].authors == ["Yun Ge", "Ming Jin"]


def test_atom_categories_come_from_the_term_attribute() -> None:
    papers = parse_feed(own_fixture("atom_2entries.xml"), URL).papers
    assert papers[1].categories == ["cs.LG", "cs.AI"]
    assert papers[1].announce_type is AnnounceType.REPLACE_CROSS
    assert papers[1].version == 2


def test_channel_pubdate_at_midnight_eastern_is_that_day_not_the_utc_day() -> None:
    # 03:59 UTC is still Wednesday evening in New York.
    eastern_midnight, utc_before = (
        b"Thu, 24 Sep 2026 00:00:00 -0400",
        b"Thu, 24 Sep 2026 03:59 +0000",
    )
    body = one_item_feed().replace(eastern_midnight, utc_before)
    assert parse_feed(body, URL).announced == dt.date(2026, 9, 23)


def test_well_formed_xml_that_is_not_a_feed_is_rejected() -> None:
    with pytest.raises(FeedFormatError, match="not an RSS or Atom feed"):
        parse_feed(b"<?xml version='1.0'?><opml version='2.0'><body/></opml>", URL)


def test_html_error_page_is_reported_as_an_html_page() -> None:
    with pytest.raises(FeedFormatError, match="HTML page"):
        parse_feed(b"<!DOCTYPE html>\n<html><body>Service Unavailable</body></html>", URL)


def test_empty_body_is_a_format_error() -> None:
    with pytest.raises(FeedFormatError, match="empty response"):
        parse_feed(b"", URL)


def test_item_without_a_usable_id_is_skipped() -> None:
    body = one_item_feed(description="Announce Type: new").replace(
        b"oai:arXiv.org:2609.00001v1", b"no id here"
    )
    batch = parse_feed(body, URL)
    assert batch.papers == []
    assert batch.announced == dt.date(2026, 9, 24)


def test_id_falls_back_to_the_description_prefix() -> None:
    body = one_item_feed(description="arXiv:2609.00002v4 Announce Type: replace \nAbstract: x")
    body = body.replace(b"<guid isPermaLink='false'>oai:arXiv.org:2609.00001v1</guid>", b"")
    paper = parse_feed(body, URL).papers[0]
    assert (paper.arxiv_id, paper.version) == ("2609.00002", 4)


def test_script_in_a_title_stays_literal_text() -> None:
    body = one_item_feed(title="&lt;script&gt;alert(1)&lt;/script&gt; Attention")
    assert parse_feed(body, URL).papers[0].title == "<script>alert(1)</script> Attention"


def test_invalid_utf8_in_a_title_becomes_a_replacement_character() -> None:
    body = one_item_feed(title="Caf_ Society").replace(b"Caf_", b"Caf\xe9")
    assert parse_feed(body, URL).papers[0].title == "Caf\ufffd Society"


def test_ten_megabyte_abstract_is_clipped_without_crashing() -> None:
    huge = "arXiv:2609.00001v1 Announce Type: new \nAbstract: " + "long " * 2_000_000
    started = time.perf_counter()
    paper = parse_feed(one_item_feed(title="x" * 5000, description=huge), URL).papers[0]
    assert ABSTRACT_LIMIT - 10 < len(paper.abstract) <= ABSTRACT_LIMIT
    assert len(paper.title) <= TITLE_LIMIT
    assert paper.abstract.endswith("…")
    assert time.perf_counter() - started < 5


# --- real fixtures --------------------------------------------------------------------------


@shared_fixtures
def test_real_stat_feed_has_123_items_by_announce_type() -> None:
    batch = parse_feed(real_fixture(STAT_FEED), "https://rss.arxiv.org/rss/stat")
    assert len(batch.papers) == 123
    assert Counter(paper.announce_type for paper in batch.papers) == {
        AnnounceType.NEW: 35,
        AnnounceType.CROSS: 27,
        AnnounceType.REPLACE: 41,
        AnnounceType.REPLACE_CROSS: 20,
    }


@shared_fixtures
def test_real_stat_feed_is_dated_2024_03_26() -> None:
    batch = parse_feed(real_fixture(STAT_FEED), "https://rss.arxiv.org/rss/stat")
    assert batch.announced == dt.date(2024, 3, 26)
    assert {paper.announced for paper in batch.papers} == {dt.date(2024, 3, 26)}


@shared_fixtures
def test_real_stat_feed_first_item_in_full() -> None:
    paper = parse_feed(real_fixture(STAT_FEED), "u").papers[0]
    assert paper.arxiv_id == "2403.15527"
    assert paper.version == 1
    assert paper.title == "Conformal online model aggregation"
    assert paper.authors == ["Matteo Gasparin", "Aaditya Ramdas"]
    assert paper.categories == ["stat.ML", "cs.LG"]
    assert paper.abstract.startswith("Conformal prediction equips machine learning models")
    assert paper.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


@shared_fixtures
def test_real_stat_feed_decodes_tex_accented_authors() -> None:
    papers = parse_feed(real_fixture(STAT_FEED), "u").papers
    authors = {name for paper in papers for name in paper.authors}
    assert "Borja Rodríguez-Gálvez" in authors
    assert not any("\\" in name for name in authors)


@shared_fixtures
def test_real_stat_feed_keeps_tex_math_in_abstracts() -> None:
    papers = parse_feed(real_fixture(STAT_FEED), "u").papers
    assert any(r"$\mathcal{O}(n^3)$" in paper.abstract for paper in papers)


@shared_fixtures
def test_real_stat_feed_reads_doi_and_journal_reference() -> None:
    papers = parse_feed(real_fixture(STAT_FEED), "u").papers
    assert sum(paper.doi is not None for paper in papers) == 8
    assert sum(paper.journal_ref is not None for paper in papers) == 5
    assert any(paper.journal_ref == "Computational Statistics, 2024" for paper in papers)


@shared_fixtures
def test_real_2026_feed_carries_replace_version_and_cross_doi() -> None:
    papers = parse_feed(real_fixture(TRIMMED_2026), "u").papers
    assert [(p.arxiv_id, p.version, p.announce_type) for p in papers][2:] == [
        ("2205.06398", 2, AnnounceType.CROSS),
        ("2009.13987", 3, AnnounceType.REPLACE),
    ]
    assert papers[2].primary_category == "stat.ME"
    assert papers[2].doi == "10.1093/bioinformatics/btac431"


@shared_fixtures
def test_real_atom_feed_date_once_repaired() -> None:
    body = real_fixture(ATOM_TRUNCATED)
    repaired = body[: body.rfind(b"<entry>")] + b"</feed>"  # drop the cut-off 87th entry
    batch = parse_feed(repaired, "https://rss.arxiv.org/atom/cs.AI")
    assert batch.announced == dt.date(2025, 8, 20)
    assert len(batch.papers) == 86
    assert batch.papers[0].authors[:2] == ["Weizhen Li", "Jianbo Lin"]


@shared_fixtures
def test_real_truncated_atom_feed_is_a_format_error_naming_the_url() -> None:
    url = "https://rss.arxiv.org/atom/cs.AI"
    with pytest.raises(FeedFormatError) as caught:
        parse_feed(real_fixture(ATOM_TRUNCATED), url)
    assert url in str(caught.value)
    assert "not well-formed XML" in str(caught.value)
