"""OAI-PMH ListRecords/GetRecord pages (arXiv and arXivRaw metadata) into FeedBatches."""

from __future__ import annotations

import datetime as dt

import pytest
from fixtures_path import own_fixture, real_fixture, shared_fixtures

from paperwire.errors import FeedFormatError
from paperwire.models import Route
from paperwire.sources.arxiv.oai import parse_oai

URL = "https://export.arxiv.org/oai2?verb=ListRecords"
NEW_ENDPOINT = "oai/oai_NEW-ENDPOINT_oaipmh.arxiv.org_ListRecords_arXiv_2026-01-05_3rec.xml"
UTC = dt.UTC


def error_page(code: str, text: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2026-09-25T06:00:00Z</responseDate>"
        f'<error code="{code}">{text}</error></OAI-PMH>'
    ).encode()


def test_own_page_skips_deleted_records() -> None:
    batch = parse_oai(own_fixture("oai_arXiv_2records_token.xml"), URL)
    assert [paper.arxiv_id for paper in batch.papers] == ["2609.01234", "2301.00042"]


def test_resumption_token_and_complete_list_size_are_read() -> None:
    batch = parse_oai(own_fixture("oai_arXiv_2records_token.xml"), URL)
    assert batch.next_token == "8675309|1001"
    assert batch.total_results == 5


def test_arxiv_format_authors_are_forenames_then_keyname() -> None:
    paper = parse_oai(own_fixture("oai_arXiv_2records_token.xml"), URL).papers[0]
    assert paper.authors == ["Borja Rodríguez-Gálvez", "Jörg Müller Jr", "The Sparse Collaboration"]


def test_arxiv_format_fields_are_cleaned() -> None:
    paper = parse_oai(own_fixture("oai_arXiv_2records_token.xml"), URL).papers[0]
    assert paper.title == r"Sparse Kernels for $\mathcal{O}(n \log n)$ Attention"
    assert paper.abstract.startswith(r"We replace the $\mathcal{O}(n^2)$ attention map")
    assert "$k < n$" in paper.abstract
    assert paper.categories == ["cs.LG", "stat.ML"]
    assert paper.primary_category == "cs.LG"
    assert paper.comments == "12 pages, 4 figures"
    assert paper.license == "http://creativecommons.org/licenses/by/4.0/"
    assert paper.route is Route.OAI


def test_arxiv_format_has_no_version_but_created_and_updated_days() -> None:
    paper = parse_oai(own_fixture("oai_arXiv_2records_token.xml"), URL).papers[1]
    assert paper.version is None
    assert paper.submitted == dt.datetime(2023, 1, 2, tzinfo=UTC)
    assert paper.updated == dt.datetime(2026, 9, 23, tzinfo=UTC)
    assert paper.doi == "10.1000/example.2026.42"
    assert paper.announced is None


def test_no_records_match_is_an_empty_batch() -> None:
    batch = parse_oai(error_page("noRecordsMatch", "No records match."), URL)
    assert batch.papers == []
    assert batch.next_token is None


def test_other_oai_errors_raise_with_code_and_text() -> None:
    with pytest.raises(FeedFormatError) as caught:
        parse_oai(error_page("badResumptionToken", "  The token\n is expired. "), URL)
    assert caught.value.reason == "OAI-PMH error badResumptionToken: The token is expired."


def test_non_oai_document_is_rejected() -> None:
    with pytest.raises(FeedFormatError, match="not an OAI-PMH response"):
        parse_oai(b"<rss><channel/></rss>", URL)


def test_arxivraw_record_reads_versions_and_tex_authors() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><GetRecord><record>
<header><identifier>oai:arXiv.org:0801.3674</identifier></header><metadata>
<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>0801.3674</id>
<version version="v1"><date>Wed, 23 Jan 2008 21:13:53 GMT</date></version>
<version version="v2"><date>Mon, 4 Feb 2008 15:05:55 GMT</date></version>
<title>A Study</title><authors>J\\"org M\\"uller (Bonn) and Bal\\'azs Kov\\'acs</authors>
<categories>hep-th astro-ph</categories></arXivRaw></metadata></record></GetRecord></OAI-PMH>"""
    batch = parse_oai(body, URL)
    paper = batch.papers[0]
    assert paper.version == 2
    assert paper.submitted == dt.datetime(2008, 1, 23, 21, 13, 53, tzinfo=UTC)
    assert paper.updated == dt.datetime(2008, 2, 4, 15, 5, 55, tzinfo=UTC)
    assert paper.authors == ["Jörg Müller", "Balázs Kovács"]
    assert batch.next_token is None


@shared_fixtures
def test_real_arxiv_page_has_token_and_complete_list_size() -> None:
    body = real_fixture("oai/oai_ListRecords_arXiv_resumption_2013-05-25_1000rec.xml")
    batch = parse_oai(body, URL)
    assert len(batch.papers) == 1000
    assert batch.next_token == "436115|406001"
    assert batch.total_results == 846926


@shared_fixtures
def test_real_last_page_has_an_empty_token() -> None:
    body = real_fixture("oai/oai_ListRecords_arXiv_set-cs_LASTPAGE_empty-token_2016-03_538rec.xml")
    batch = parse_oai(body, URL)
    assert len(batch.papers) == 538
    assert batch.next_token == ""
    assert batch.total_results == 102538


@shared_fixtures
def test_real_no_records_match_is_empty() -> None:
    batch = parse_oai(real_fixture("oai/oai_error_noRecordsMatch_2016.xml"), URL)
    assert batch.papers == []


@shared_fixtures
def test_real_arxivraw_page_counts_versions() -> None:
    body = real_fixture("oai/oai_ListRecords_arXivRaw_from-2016-10-20_387rec_reindented.xml")
    batch = parse_oai(body, URL)
    assert len(batch.papers) == 387
    assert (batch.next_token, batch.total_results) == ("1403493|1001", 1440)
    first = batch.papers[0]
    assert (first.arxiv_id, first.version) == ("0803.4354", 6)
    assert first.submitted == dt.datetime(2008, 3, 30, 23, 26, 50, tzinfo=UTC)
    assert first.updated == dt.datetime(2016, 10, 20, 16, 58, 38, tzinfo=UTC)
    assert first.title.endswith("Linear Programming Model of the Traveling Salesman Problem")


@shared_fixtures
def test_real_arxivraw_affiliations_are_dropped_from_names() -> None:
    body = real_fixture("oai/oai_ListRecords_arXivRaw_resumption_2014-01-16_1000rec.xml")
    by_id = {paper.arxiv_id: paper for paper in parse_oai(body, URL).papers}
    assert by_id["0801.3674"].authors == [
        "Robert H. Brandenberger",
        "Keshav Dasgupta",
        "Anne-Christine Davis",
    ]
    assert by_id["0801.3674"].version == 4


@shared_fixtures
def test_real_getrecord_arxivraw_splits_wrapped_author_list() -> None:
    paper = parse_oai(real_fixture("oai/oai_GetRecord_arXivRaw_0804.2273_2016.xml"), URL).papers[0]
    assert paper.arxiv_id == "0804.2273"
    assert paper.authors == [
        "Carl Lagoze",
        "Herbert Van de Sompel",
        "Michael L. Nelson",
        "Simeon Warner",
        "Robert Sanderson",
        "Pete Johnston",
    ]
    assert paper.title == "Object Re-Use & Exchange: A Resource-Centric Approach"


@shared_fixtures
def test_real_new_endpoint_page_has_three_records() -> None:
    batch = parse_oai(real_fixture(NEW_ENDPOINT), URL)
    assert len(batch.papers) == 3
    assert [p.arxiv_id for p in batch.papers[:2]] == ["2504.11237", "2508.21012"]
    first = batch.papers[0]
    assert first.authors == ["Chunhai Lyu", "Christoph H. Keitel", "Zoltán Harman"]
    assert first.abstract.startswith("Mendeleev's periodic table")
    assert first.categories[0] == "physics.atom-ph"
    assert batch.next_token is None


@shared_fixtures
def test_real_oai_dc_page_is_refused_as_unsupported() -> None:
    with pytest.raises(FeedFormatError, match="unsupported OAI metadata format"):
        parse_oai(real_fixture("oai/oai_GetRecord_oai_dc_1507.03011_2015.xml"), URL)
