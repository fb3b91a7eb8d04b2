"""export.arxiv.org/api/query URLs and Atom responses (2016 and 2026 formats)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from fixtures_path import own_fixture, real_fixture, shared_fixtures

from paperwire.errors import FeedFormatError
from paperwire.models import Route
from paperwire.sources.arxiv.api import parse_api_response, query_url

API = "https://export.arxiv.org/api/query"
UTC = dt.UTC


def test_query_url_encodes_the_search_query_and_paging() -> None:
    url = query_url(API, search_query='cat:cs.AI AND ti:"large model"', start=200, max_results=50)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(API + "?")
    assert query == {
        "search_query": ['cat:cs.AI AND ti:"large model"'],
        "start": ["200"],
        "max_results": ["50"],
        "sortBy": ["submittedDate"],
        "sortOrder": ["descending"],
    }


def test_query_url_joins_an_id_list_with_commas() -> None:
    url = query_url(API, id_list=["2401.01234v2", "astro-ph/0601001"], sort_by="relevance")
    assert "id_list=2401.01234v2,astro-ph/0601001" in url
    assert "sortBy=relevance" in url


def test_query_url_needs_a_query_or_ids() -> None:
    with pytest.raises(ValueError):
        query_url(API)


def test_own_response_gives_entries_and_total_results() -> None:
    batch = parse_api_response(own_fixture("api_2entries.xml"), API)
    assert [p.arxiv_id for p in batch.papers] == ["2609.01234", "2301.00042"]
    assert batch.total_results == 57
    assert batch.announced is None


def test_api_papers_have_no_announce_type_or_date() -> None:
    papers = parse_api_response(own_fixture("api_2entries.xml"), API).papers
    assert {(p.announce_type, p.announced, p.route) for p in papers} == {(None, None, Route.API)}


def test_published_and_updated_become_aware_utc_datetimes() -> None:
    paper = parse_api_response(own_fixture("api_2entries.xml"), API).papers[1]
    assert paper.submitted == dt.datetime(2023, 1, 2, 10, 0, tzinfo=UTC)
    assert paper.updated == dt.datetime(2026, 9, 23, 9, 15, tzinfo=UTC)
    assert paper.version == 3


def test_primary_category_comes_first_without_duplicates() -> None:
    paper = parse_api_response(own_fixture("api_2entries.xml"), API).papers[1]
    assert paper.primary_category == "cs.LG"
    assert paper.categories == ["cs.LG", "math.OC"]


def test_hard_wrapped_title_and_summary_become_one_line() -> None:
    paper = parse_api_response(own_fixture("api_2entries.xml"), API).papers[1]
    assert paper.title == "Learning Rates That Do Not Need Tuning"
    assert paper.abstract == "A third version with corrected proofs."


def test_comment_journal_ref_and_doi_are_read() -> None:
    paper = parse_api_response(own_fixture("api_2entries.xml"), API).papers[1]
    assert paper.comments == "v3: proofs corrected"
    assert paper.journal_ref == "Invented Optimization Letters 3 (2026)"
    assert paper.doi == "10.1000/example.2026.42"
    assert paper.authors == ["Zoltán Harman"]


def test_api_error_feed_raises_with_the_api_reason() -> None:
    with pytest.raises(FeedFormatError) as caught:
        parse_api_response(own_fixture("api_error.xml"), API)
    assert caught.value.reason == "arXiv API error: incorrect id format for abc"


def test_non_atom_document_is_rejected() -> None:
    with pytest.raises(FeedFormatError, match="not an arXiv API response"):
        parse_api_response(b"<rss version='2.0'><channel/></rss>", API)


@shared_fixtures
def test_real_search_page_has_100_entries_of_214881() -> None:
    batch = parse_api_response(real_fixture("api/arxivpy_q_testing_start0_max100.body.xml"), API)
    assert len(batch.papers) == 100
    assert batch.total_results == 214881


@shared_fixtures
def test_real_search_page_first_entry_in_full() -> None:
    body = real_fixture("api/arxivpy_q_testing_start0_max100.body.xml")
    paper = parse_api_response(body, API).papers[0]
    assert (paper.arxiv_id, paper.version) == ("2202.12139", 1)
    assert paper.primary_category == "cs.SE"
    assert paper.categories == ["cs.SE", "cs.LG"]
    assert paper.authors == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    assert paper.doi == "10.1109/ICSTW55395.2022.00035"
    assert paper.submitted == dt.datetime(2022, 2, 24, 15, 5, 19, tzinfo=UTC)


@shared_fixtures
def test_real_2016_format_with_per_element_namespaces() -> None:
    batch = parse_api_response(real_fixture("api/old2016_api_search_au_del_maestro.xml"), API)
    assert len(batch.papers) == 10
    assert batch.total_results == 31
    first = batch.papers[0]
    assert first.arxiv_id == "1201.4869"
    assert first.doi == "10.1142/S021797921244002X"
    assert first.primary_category == "cond-mat.mes-hall"
    assert "\n" not in first.abstract
    assert first.abstract.startswith("As helium-4 is cooled below 2.17 K")


@shared_fixtures
def test_real_2016_hard_wrapped_title_is_joined() -> None:
    body = real_fixture("api/old2016_api_id_list_1111.2011v2.xml")
    paper = parse_api_response(body, API).papers[0]
    assert paper.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert (paper.arxiv_id, paper.version) == ("1111.2011", 2)
    assert paper.updated == dt.datetime(2012, 4, 2, 12, 38, 54, tzinfo=UTC)


@shared_fixtures
def test_real_http_400_error_body_raises_format_error() -> None:
    with pytest.raises(FeedFormatError, match="arXiv API error: incorrect id format for abc"):
        parse_api_response(real_fixture("api/arxivpy_error_id_abc_http400.body.xml"), API)


@shared_fixtures
def test_real_empty_result_is_an_empty_batch_with_total_zero() -> None:
    batch = parse_api_response(real_fixture("api/arxivpy_empty_id_0000.0000.body.xml"), API)
    assert batch.papers == []
    assert batch.total_results == 0


@shared_fixtures
def test_real_old_style_id_keeps_its_archive_prefix() -> None:
    body = real_fixture("api/arxivpy_id_astro-ph_0601001.body.xml")
    paper = parse_api_response(body, API).papers[0]
    assert (paper.arxiv_id, paper.version) == ("astro-ph/0601001", 1)
    assert paper.journal_ref == "ActaAstron.56:1-50,2006"
    assert paper.categories == ["astro-ph"]


@shared_fixtures
def test_real_2026_response_with_root_namespaces() -> None:
    body = real_fixture("api/api_cat_cs.AI_OR_cs.LG_OR_cs.CL_25entries_2026-08-02.xml")
    batch = parse_api_response(body, API)
    assert len(batch.papers) == 25
    assert batch.total_results == 449736
    assert batch.papers[0].categories == ["hep-th", "cs.AI", "cs.LG", "hep-ph"]
