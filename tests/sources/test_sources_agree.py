"""The same paper read from different sources comes out the same."""

from __future__ import annotations

from fixtures_path import own_fixture

from paperwire.models import Paper
from paperwire.sources.arxiv.api import parse_api_response
from paperwire.sources.arxiv.listing import parse_listing
from paperwire.sources.arxiv.oai import parse_oai
from paperwire.sources.arxiv.rss import parse_feed


def identity(paper: Paper) -> tuple[object, ...]:
    return (paper.arxiv_id, paper.title, paper.authors, paper.categories)


def test_rss_and_listing_agree_on_the_same_papers() -> None:
    rss = parse_feed(own_fixture("rss2_2026_3items.xml"), "rss").papers
    listing = parse_listing(own_fixture("listing_new_2entries.html"), "listing").papers
    assert [identity(p) for p in rss[:2]] == [identity(p) for p in listing]


def test_rss_and_listing_agree_on_announce_type_and_date() -> None:
    rss = parse_feed(own_fixture("rss2_2026_3items.xml"), "rss").papers[:2]
    listing = parse_listing(own_fixture("listing_new_2entries.html"), "listing").papers
    assert [(p.announce_type, p.announced) for p in rss] == [
        (p.announce_type, p.announced) for p in listing
    ]


def test_rss_api_and_oai_agree_on_abstract_and_tex_decoded_authors() -> None:
    rss = parse_feed(own_fixture("rss2_2026_3items.xml"), "rss").papers[0]
    api = parse_api_response(own_fixture("api_2entries.xml"), "api").papers[0]
    oai = parse_oai(own_fixture("oai_arXiv_2records_token.xml"), "oai").papers[0]
    assert rss.abstract == api.abstract == oai.abstract
    assert rss.title == api.title == oai.title
    assert rss.authors == api.authors  # TeX in the feed, Unicode in the API
    assert rss.authors[0] == oai.authors[0]  # forenames + keyname from OAI
