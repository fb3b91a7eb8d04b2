"""Scholarly RSS/Atom/RDF feeds (`[[sources.feeds]]`): every real feed read right, polled
politely, each article stored once whatever feeds (or arXiv) list it, and in digests."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from conftest import PaperwireCLI
from fixtures_path import own_fixture, real_fixture, shared_fixtures
from loopback import LoopbackServer, Reply

from paperwire.errors import FeedFormatError
from paperwire.models import Paper
from paperwire.sources.feeds.parse import canonical_link, parse_feed, split_creators
from paperwire.sources.feeds.source import edition_date
from paperwire.store import open_store

UTC = dt.UTC
JOURNAL = own_fixture("feeds/journal_rss2_3items.xml")
MONDAY_NOON = dt.datetime(2026, 11, 16, 12, tzinfo=UTC)  # arXiv's latest: Mon 16 Nov


def _papers(name: str, source: str = "feed") -> list[Paper]:
    return parse_feed(real_fixture(f"feeds/{name}"), name, source).papers


def _tagless(text: str) -> bool:
    return re.search(r"<[a-zA-Z/!]", text) is None


# --- reading real feeds ----------------------------------------------------------------------


@shared_fixtures
@pytest.mark.parametrize(
    ("name", "items"),
    [
        ("aasnova_rss2_2023-06-26_MALFORMED-leading-newline.xml", 4),
        ("biorxiv_genomics_rss1_2023-12-16_1item_TRIMMED.xml", 1),
        ("biorxiv_plant-biology_rss1_2019-08-27.xml", 30),
        ("cambridge_canadian-entomologist_rss1_2021-12-21.xml", 15),
        ("iacr_eprint_rss2_2026-07-18_3items_TRIMMED.xml", 3),
        ("nature_rss1_2024-08-20.xml", 75),
        ("oup_zool-j-linn-soc_rss2_2021-12-21.xml", 14),
        ("pubmed_search_rss2_2021-12-21.xml", 15),
        ("sciencedirect_mol-phylogenet-evol_rss2_2021-12-21.xml", 51),
        ("tandf_neotrop-fauna-env_rss1_2021-12-21.xml", 95),
        ("wiley_taxon_rss2_2021-12-21.xml", 66),
    ],
)
def test_every_real_feed_gives_one_paper_per_item_as_plain_text(name: str, items: int) -> None:
    papers = _papers(name)

    assert len(papers) == items
    assert len({p.key for p in papers}) == items
    for paper in papers:
        assert paper.title and _tagless(paper.title) and "\n" not in paper.title
        assert _tagless(paper.abstract)
        assert paper.source == "feed" and paper.categories == []
        assert paper.links["url"].startswith("http") and " " not in paper.links["url"]


@shared_fixtures
def test_biorxiv_gives_dois_full_abstracts_and_surname_initial_authors() -> None:
    first = _papers("biorxiv_plant-biology_rss1_2019-08-27.xml")[0]

    assert (first.key, first.doi) == ("doi:10.1101/743294", "10.1101/743294")
    assert first.title.startswith("Wheat inositol pyrophosphate kinase (TaVIH2-3B)")
    assert first.authors[:3] == ["Kaur, M.", "Shukla, A.", "Kanwar, S."]
    assert first.authors[-1] == "Pandey, A. K."
    assert len(first.abstract) > 1000 and first.abstract.startswith("Inositol pyrophosphates")
    assert first.submitted == dt.datetime(2019, 8, 27, tzinfo=UTC)


@shared_fixtures
def test_nature_drops_its_citation_line_and_keeps_the_standfirst() -> None:
    papers = _papers("nature_rss1_2024-08-20.xml")
    by_doi = {p.doi: p for p in papers}

    war = by_doi["10.1038/d41586-024-02711-z"]
    assert war.abstract.startswith("More studies are needed on the long-term environmental")
    assert "Published online" not in war.abstract
    assert war.journal_ref == "Nature"
    assert all("<sub>" not in p.title for p in papers)
    assert any("Treg" in p.title for p in papers)  # T<sub>reg</sub> read as text
    assert sum(1 for p in papers if not p.authors) == 8
    assert max(len(p.authors) for p in papers) == 71


@shared_fixtures
def test_pubmed_gives_the_full_abstract_from_content_not_the_truncated_description() -> None:
    first = _papers("pubmed_search_rss2_2021-12-21.xml")[0]

    assert first.doi == "10.1016/j.parint.2021.102531"
    assert first.abstract.startswith("A new species of Gyrodactylus was described")
    assert not first.abstract.endswith("...") and len(first.abstract) > 600
    assert "Online ahead of print" not in first.abstract  # the citation line went
    assert first.journal_ref == "Parasitology international"
    assert " " not in first.links["url"]  # "Mobile Safari UI" percent-encoded
    assert "Mobile%20Safari%20UI" in first.links["url"]


@shared_fixtures
def test_sciencedirect_has_no_abstract_but_names_its_authors_in_the_description() -> None:
    papers = _papers("sciencedirect_mol-phylogenet-evol_rss2_2021-12-21.xml")

    first = papers[0]
    assert first.abstract == "" and first.doi is None
    assert first.authors == ["David R. Bickel"]
    assert first.journal_ref == "Molecular Phylogenetics and Evolution"
    assert first.key == "feed:https://www.sciencedirect.com/science/article/pii/S1055790321002906"
    assert all(p.abstract == "" for p in papers)


@shared_fixtures
def test_wiley_reads_dc_description_and_splits_one_creator_into_names() -> None:
    papers = _papers("wiley_taxon_rss2_2021-12-21.xml")
    first = papers[0]

    assert first.doi == "10.1002/tax.12650"
    assert first.authors == [
        "Rachel M. Binks",
        "Margaret Heslewood",
        "Peter G. Wilson",
        "Margaret Byrne",
    ]
    assert first.abstract.startswith("Leptospermum is an ecologically")
    assert sum(1 for p in papers if not p.abstract) == 38  # proposals, notes, front matter
    assert not any(p.abstract.startswith("TAXON") for p in papers)


@shared_fixtures
def test_taylor_and_francis_volume_lines_are_no_abstracts_and_its_title_is_no_journal() -> None:
    papers = _papers("tandf_neotrop-fauna-env_rss1_2021-12-21.xml")

    assert all(p.abstract == "" for p in papers)
    assert all(p.doi and p.doi.startswith("10.1080/") for p in papers)
    assert {p.journal_ref for p in papers} == {"Studies on Neotropical Fauna and Environment"}


@shared_fixtures
def test_oup_entity_escaped_abstracts_and_author_lists() -> None:
    first = _papers("oup_zool-j-linn-soc_rss2_2021-12-21.xml")[0]

    assert first.doi == "10.1093/zoolinnean/zlab078"
    assert first.abstract.startswith("The Southern Ocean (SO) is the least understood")
    assert first.authors == ["Brandão S", "Saeedi H", "Brandt A"]


@shared_fixtures
def test_cambridge_and_iacr_keep_their_markup_as_text_and_tex_as_written() -> None:
    cambridge = _papers("cambridge_canadian-entomologist_rss1_2021-12-21.xml")
    iacr = _papers("iacr_eprint_rss2_2026-07-18_3items_TRIMMED.xml")

    assert cambridge[0].doi == "10.4039/tce.2021.38"
    assert cambridge[0].abstract.startswith("The water scavenger beetle, Hydrophilus acuminatus")
    assert any("$" in p.abstract for p in iacr)  # $\lambda$ kept for rendering to read
    assert iacr[0].authors[:2] == ["Akshaya Kumar", "Carolina Ortega Pérez"]
    assert iacr[0].key == "feed:https://eprint.iacr.org/2026/488"


@shared_fixtures
def test_a_captcha_page_served_as_the_feed_is_one_clear_error() -> None:
    body = real_fixture("feeds/oup_zool-j-linn-soc_2021-11-24_NOT-A-FEED_captcha.html")

    with pytest.raises(FeedFormatError, match="returned an HTML page, not a feed"):
        parse_feed(body, "https://academic.oup.com/rss/site_5579/3435.xml", "oup")


def test_entity_declarations_are_refused_never_expanded() -> None:
    with pytest.raises(FeedFormatError, match="declares XML entities"):
        parse_feed(own_fixture("feeds/hostile_entities.xml"), "https://evil.example/", "evil")


def test_an_entity_declaration_behind_a_long_comment_is_refused_too() -> None:
    padding = b"<!--" + b"x" * 70_000 + b"-->"
    body = own_fixture("feeds/hostile_entities.xml").replace(b"<!DOCTYPE", padding + b"<!DOCTYPE")

    with pytest.raises(FeedFormatError, match="declares XML entities"):
        parse_feed(body, "https://evil.example/", "evil")


def test_own_feed_finds_doi_arxiv_id_and_drops_citation_and_heading() -> None:
    doi, arxiv, editorial = parse_feed(JOURNAL, "https://journal.example.org/rss", "jir").papers

    assert (doi.key, doi.doi, doi.arxiv_id) == (
        "doi:10.5555/jir.2026.101",
        "10.5555/jir.2026.101",
        None,
    )
    assert doi.title == "Diffusion of nutrients in layered soils"
    assert doi.abstract == (
        "We measure the diffusion of nutrients through layered soils and find that clay "
        "layers slow it tenfold."
    )
    assert doi.aliases == (
        "jir:jir:2026.101",
        "url:https://journal.example.org/articles/jir.2026.101",
    )
    assert (arxiv.key, arxiv.arxiv_id) == ("2609.01234", "2609.01234")
    assert arxiv.links["abs"] == "https://arxiv.org/abs/2609.01234"
    assert arxiv.authors == ["Borja Rodríguez-Gálvez", "Jörg Müller"]
    assert (
        editorial.abstract == ""
        and editorial.key == "jir:https://journal.example.org/articles/editorial-7"
    )


@shared_fixtures
def test_a_doi_link_with_a_fragment_and_tracking_gives_the_doi_alone() -> None:
    aasnova = _papers("aasnova_rss2_2023-06-26_MALFORMED-leading-newline.xml", "aas")

    # Its link: https://doi.org/10.3847/1538-4365/aca4c6#new_tab?utm_source=rss&…
    assert [p.doi for p in aasnova if p.doi] == ["10.3847/1538-4365/aca4c6"]
    assert "url:https://doi.org/10.3847/1538-4365/aca4c6" in aasnova[1].aliases


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("https://j.example/article.php?id=101", "https://j.example/article.php?id=102", False),
        ("https://j.example/a/1?utm_source=rss&af=R", "https://J.example/a/1?rss=1#top", True),
        ("https://j.example/a?b=2&a=1", "https://j.example/a?a=1&b=2&dgcid=rss", True),
    ],
)
def test_links_name_one_article_only_when_they_differ_in_tracking_alone(
    first: str, second: str, same: bool
) -> None:
    assert (canonical_link(first) == canonical_link(second)) is same


def test_articles_of_one_page_told_apart_by_a_parameter_stay_apart() -> None:
    items = "".join(
        f"<item><title>Article {n}</title><link>https://j.example/article.php?id={n}</link></item>"
        for n in (101, 102, 103)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'

    papers = parse_feed(body.encode(), "https://j.example/rss", "j").papers

    assert [p.key for p in papers] == [
        "j:https://j.example/article.php?id=101",
        "j:https://j.example/article.php?id=102",
        "j:https://j.example/article.php?id=103",
    ]


@pytest.mark.parametrize(
    ("creators", "names"),
    [
        ("Kaur, M., Shukla, A., Plaumann, P.-L.", ["Kaur, M.", "Shukla, A.", "Plaumann, P.-L."]),
        ("LAPALU, N., Lu, A.", ["LAPALU, N.", "Lu, A."]),
        ("Brandão S, Saeedi H, et al.", ["Brandão S", "Saeedi H"]),
        ("Ada Lovelace, Mary Somerville", ["Ada Lovelace", "Mary Somerville"]),
    ],
)
def test_one_creator_field_splits_into_names(creators: str, names: list[str]) -> None:
    assert split_creators(creators) == names


def test_an_item_is_announced_with_arxivs_next_announcement() -> None:
    monday_noon = MONDAY_NOON
    friday_night = dt.datetime(2026, 11, 21, 2, tzinfo=UTC)  # Fri 20 Nov, 21:00 Eastern

    assert edition_date(monday_noon) == dt.date(2026, 11, 17)
    assert edition_date(friday_night) == dt.date(2026, 11, 23)  # the weekend: Monday's
    assert edition_date(dt.datetime(2026, 11, 25, 12, tzinfo=UTC)) == dt.date(2026, 11, 27)


# --- polling ---------------------------------------------------------------------------------


def _config(home: Path, server: LoopbackServer, extra: str = "") -> None:
    (home / "paperwire.toml").write_text(
        f"""
[sources.arxiv]
categories = ["cs.LG"]

[[sources.feeds]]
name = "jir"
title = "Journal of Invented Results"
url = "{server.url}/jir.xml"
refresh = 60
{extra}"""
    )


def _run(paperwire: PaperwireCLI, when: dt.datetime, *args: str):  # type: ignore[no-untyped-def]
    with time_machine.travel(when, tick=False):
        return paperwire(*args)


def test_fetch_stores_a_feed_once_and_asks_again_with_its_validators(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, sqlite_url: str
) -> None:
    _config(paperwire.home, arxiv)
    arxiv.add(
        "/jir.xml",
        Reply(200, JOURNAL, {"ETag": '"v1"'}),
        Reply(304, b"", {"ETag": '"v1"'}),
    )

    first = _run(paperwire, MONDAY_NOON, "fetch", "--source", "jir")
    second = _run(paperwire, MONDAY_NOON + dt.timedelta(hours=2), "fetch", "--source", "jir")

    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == "2026-11-17 via jir: 3 added, 0 updated, 0 unchanged"
    assert second.exit_code == 0 and "unchanged since the last poll (HTTP 304)" in second.stdout
    assert arxiv.requests_to("/jir.xml")[1].headers["If-None-Match"] == '"v1"'
    with open_store(sqlite_url) as store:
        announced = store.papers_announced(dt.date(2026, 11, 17), dt.date(2026, 11, 17))
        assert {p.key for p in announced} == {
            "doi:10.5555/jir.2026.101",
            "2609.01234",
            "jir:https://journal.example.org/articles/editorial-7",
        }
        assert {p.source for p in announced} == {"jir"}


def test_an_article_in_two_feeds_and_on_arxiv_is_one_paper_announced_once(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, sqlite_url: str
) -> None:
    _config(
        paperwire.home,
        arxiv,
        f'[[sources.feeds]]\nname = "mirror"\nurl = "{arxiv.url}/mirror.xml"\n',
    )
    arxiv.add("/jir.xml", Reply(200, JOURNAL))
    # The mirror lists the DOI article under another guid and link, with the DOI as a URL.
    mirror = (
        JOURNAL.replace(b"jir:2026.101", b"mirror-101")
        .replace(
            b"<prism:doi>10.5555/JIR.2026.101</prism:doi>",
            b"<dc:identifier>https://doi.org/10.5555/jir.2026.101</dc:identifier>",
        )
        .replace(b"/articles/jir.2026.101", b"/mirror/101")
    )
    arxiv.add("/mirror.xml", Reply(200, mirror))

    first = _run(paperwire, MONDAY_NOON, "fetch", "--source", "jir")
    later = _run(paperwire, MONDAY_NOON + dt.timedelta(days=1), "fetch", "--source", "mirror")

    assert first.exit_code == later.exit_code == 0
    assert later.stdout.strip() == "2026-11-18 via mirror: 0 added, 0 updated, 3 unchanged"
    with open_store(sqlite_url) as store:
        assert store.count_papers() == 3
        assert store.papers_announced(dt.date(2026, 11, 18), dt.date(2026, 11, 18)) == []
        assert store.get_paper("doi:10.5555/jir.2026.101") is not None
        found = store.get_paper("mirror:mirror-101")  # the mirror's own name finds it
        assert found is not None and found.key == "doi:10.5555/jir.2026.101"


def test_a_feed_item_on_arxiv_merges_onto_arxivs_row_keeping_arxivs_metadata(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, sqlite_url: str
) -> None:
    _config(paperwire.home, arxiv)
    arxiv.add("/jir.xml", Reply(200, JOURNAL))
    with open_store(sqlite_url) as store, store.transaction() as connection:
        store.upsert_papers(
            connection,
            [Paper("2609.01234", "Sparse Kernels for Attention (arXiv)", "arXiv's abstract.",
                   authors=["B. Rodríguez-Gálvez"], version=1, announced=dt.date(2026, 9, 24))],
            MONDAY_NOON,
        )  # fmt: skip

    _run(paperwire, MONDAY_NOON, "fetch", "--source", "jir")

    with open_store(sqlite_url) as store:
        paper = store.get_paper("2609.01234")
        assert paper is not None
        assert (paper.title, paper.source) == ("Sparse Kernels for Attention (arXiv)", "arxiv")
        assert paper.links["url"] == "https://arxiv.org/abs/2609.01234"  # the feed's link kept
        assert store.count_papers() == 3


def test_a_captcha_wall_fails_the_feed_alone_in_one_line(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, sqlite_url: str
) -> None:
    _config(paperwire.home, arxiv)
    arxiv.add("/jir.xml", Reply(200, b"<!DOCTYPE html>\n<html><body>Validate User</body></html>"))

    result = _run(paperwire, MONDAY_NOON, "fetch", "--source", "jir")

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"paperwire: error: feed jir: {arxiv.url}/jir.xml: returned an HTML page, not a feed"
    ]
    with open_store(sqlite_url) as store:
        assert store.count_papers() == 0


def test_run_polls_a_feed_every_refresh_minutes_and_after_a_failure_waits_fetch_retry(
    paperwire: PaperwireCLI, arxiv: LoopbackServer
) -> None:
    _config(paperwire.home, arxiv)
    # 503 twice: the request and the one retry the tests' HTTP settings allow.
    arxiv.add("/jir.xml", Reply(200, JOURNAL), Reply(503), Reply(503), Reply(200, JOURNAL))
    saturday = dt.datetime(2026, 11, 21, 12, tzinfo=UTC)  # nothing due from arXiv
    asked, complaints = {}, {}

    for minutes in (0, 30, 59, 61, 80, 92):
        result = _run(paperwire, saturday + dt.timedelta(minutes=minutes), "run")
        asked[minutes] = len(arxiv.requests_to("/jir.xml"))
        complaints[minutes] = [line for line in result.stderr.splitlines() if "jir" in line]

    # Polled at 0; not again before `refresh` (60); at 61 it fails; the next try waits
    # schedule.fetch_retry (30), so not at 80 but at 92.
    assert asked == {0: 1, 30: 1, 59: 1, 61: 3, 80: 3, 92: 4}
    assert {m: len(lines) for m, lines in complaints.items()} == {
        0: 0, 30: 0, 59: 0, 61: 1, 80: 0, 92: 0
    }  # fmt: skip
    assert "HTTP 503" in complaints[61][0]


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("feeds", "readers", "message"),
    [
        (
            [{"name": "Bio Rxiv", "url": "https://x.example/"}],
            [],
            "sources.feeds[0].name: 'Bio Rxiv'",
        ),
        ([{"name": "arxiv", "url": "https://x.example/"}], [], "'arxiv' is taken"),
        (
            [{"name": "jir", "url": "https://x.example/a"}, {"name": "jir", "url": "https://x"}],
            [],
            "'jir' names two feeds",
        ),
        ([{"name": "jir", "url": "ftp://x.example/"}], [], "sources.feeds[0].url: must be an http"),
        (
            [{"name": "jir", "url": "https://x.example/"}],
            [{"email": "a@example.org", "sources": ["jri"]}],
            "'jri' is not a configured source (arxiv, huggingface, jir)",
        ),
    ],
)
def test_bad_feed_entries_are_one_line_naming_the_key(
    tmp_path: Path, feeds: list[dict[str, str]], readers: list[dict[str, object]], message: str
) -> None:
    import tomli_w

    from paperwire.config import load_settings
    from paperwire.errors import ConfigError

    path = tmp_path / "paperwire.toml"
    path.write_text(tomli_w.dumps({"sources": {"feeds": feeds}, "subscribers": readers}))

    with pytest.raises(ConfigError) as raised:
        load_settings(path, env={}, cwd=tmp_path)

    assert message in str(raised.value) and "\n" not in str(raised.value)
