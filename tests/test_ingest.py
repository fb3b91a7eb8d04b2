"""Fetching arXiv into the store through a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import OWN_FIXTURES, make_ingestor
from fixtures_path import real_fixture
from loopback import LoopbackServer, Reply

from paperwire.errors import FeedFormatError, FetchError, HTTPError
from paperwire.store import Store

ROUTES = OWN_FIXTURES / "routes"
STAT_FEED = "rss2/rss_stat_2024-03-26_full.xml"
LISTING = "listing-html/listing_new_cs.AI_2026-08-12_EXCERPT_6entries.html"
# 14:00 UTC on the day the own fixtures are dated: the feed is current, nothing is stale.
NOV_17 = dt.datetime(2026, 11, 17, 14, 0, tzinfo=dt.UTC)


def _own(name: str) -> bytes:
    return (ROUTES / name).read_bytes()


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_feed_stores_every_item_once(arxiv: LoopbackServer, store: Store) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, real_fixture(STAT_FEED)))
    now = dt.datetime(2024, 3, 26, 12, tzinfo=dt.UTC)

    report = make_ingestor(arxiv, store, now).fetch_latest("rss")

    counts = report.counts
    assert (counts.added, counts.updated, counts.unchanged) == (123, 0, 0)
    assert dict(counts.by_type) == {"new": 35, "cross": 27, "replace": 41, "replace-cross": 20}
    assert store.count_papers() == 123
    assert _count(store, "announcements") == 123
    assert report.results[0].announced == dt.date(2024, 3, 26)


def test_second_fetch_of_the_same_feed_adds_nothing(arxiv: LoopbackServer, store: Store) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, real_fixture(STAT_FEED)))
    now = dt.datetime(2024, 3, 26, 12, tzinfo=dt.UTC)
    make_ingestor(arxiv, store, now).fetch_latest("rss")

    again = make_ingestor(arxiv, store, now + dt.timedelta(hours=1)).fetch_latest("rss")

    assert (again.counts.added, again.counts.updated, again.counts.unchanged) == (0, 0, 123)
    assert store.count_papers() == 123


def test_unchanged_feed_costs_a_conditional_request(arxiv: LoopbackServer, store: Store) -> None:
    arxiv.serve_file("/rss/cs.LG+cs.AI", _own("rss.xml"), "application/rss+xml", etag='"v1"')
    make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")

    again = make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")

    assert arxiv.requests[-1].headers["If-None-Match"] == '"v1"'
    assert again.results[0].status == "not-modified"
    assert again.results[0].announced == dt.date(2026, 11, 17)


def test_cross_list_seen_in_two_category_listings_is_stored_once(
    arxiv: LoopbackServer, store: Store
) -> None:
    page = real_fixture(LISTING)
    arxiv.add("/list/cs.LG/new", Reply(200, page))
    arxiv.add("/list/cs.AI/new", Reply(200, page))
    now = dt.datetime(2026, 8, 12, 12, tzinfo=dt.UTC)

    report = make_ingestor(arxiv, store, now).fetch_latest("listing")

    assert store.count_papers() == 6
    assert _count(store, "announcements") == 6
    assert report.counts.added == 6


def test_feed_listing_and_api_store_the_same_fields(arxiv: LoopbackServer, tmp_path: Path) -> None:
    """Three routes to one announcement give three stores with the same papers."""
    from paperwire.store import open_store

    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, _own("rss.xml")))
    arxiv.add("/list/cs.LG/new", Reply(200, _own("listing.html")))
    arxiv.add("/list/cs.AI/new", Reply(200, _own("listing.html")))
    arxiv.add("/api/query", Reply(200, _own("api.xml")))
    stores = {name: open_store(f"sqlite:///{tmp_path / name}.db") for name in ("rss", "li", "api")}
    make_ingestor(arxiv, stores["rss"], NOV_17).fetch_latest("rss")
    make_ingestor(arxiv, stores["li"], NOV_17).fetch_latest("listing")
    make_ingestor(arxiv, stores["api"], NOV_17).backfill(dt.date(2026, 11, 17))

    def fields(store: Store) -> dict[str, tuple[object, ...]]:
        papers = store.papers_announced(dt.date(2026, 11, 17), dt.date(2026, 11, 17))
        return {
            p.arxiv_id: (
                p.title,
                p.abstract,
                tuple(p.authors),
                tuple(p.categories),
                p.primary_category,
                p.announce_type,
                p.announced,
            )
            for p in papers
        }

    from_feed = fields(stores["rss"])
    assert set(from_feed) == {"2611.10001", "2611.10002"}
    assert from_feed["2611.10001"][2] == ("Ana Rodríguez", "Jörg Müller")
    assert fields(stores["li"]) == from_feed
    assert fields(stores["api"]) == from_feed


def test_paper_seen_by_feed_and_api_merges_onto_one_row(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, _own("rss.xml")))
    arxiv.add("/api/query", Reply(200, _own("api.xml")))
    ingestor = make_ingestor(arxiv, store, NOV_17)
    ingestor.fetch_latest("rss")

    report = ingestor.fetch_ids(["2611.10001", "2611.10002"])

    assert store.count_papers() == 2
    paper = store.get_paper("2611.10001")
    assert paper is not None
    assert paper.submitted == dt.datetime(2026, 11, 16, 15, 1, 2, tzinfo=dt.UTC)
    assert paper.license == "http://creativecommons.org/licenses/by/4.0/"  # kept from the feed
    assert report.counts.updated == 2
    assert _count(store, "announcements") == 2


def test_truncated_feed_fails_naming_the_url_and_changes_nothing(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, _own("rss.xml")))
    make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")
    truncated = real_fixture("rss-atom/atom_cs.AI_2025-08-20_zotero-arxiv-daily_TRUNCATED.xml")
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, truncated))

    with pytest.raises(FeedFormatError) as error:
        make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")

    assert "/rss/cs.LG+cs.AI" in str(error.value)
    assert store.count_papers() == 2
    assert store.validators(arxiv.url + "/rss/cs.LG+cs.AI") == (None, None)


def test_server_errors_after_retries_fail_and_the_next_run_works(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(503), Reply(503), Reply(200, _own("rss.xml")))

    with pytest.raises(HTTPError, match="503"):
        make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")
    assert store.count_papers() == 0

    make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")
    assert store.count_papers() == 2


def test_feed_failure_falls_back_to_the_listing_pages(arxiv: LoopbackServer, store: Store) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, b"<html><body>We are down</body></html>"))
    arxiv.add("/list/cs.LG/new", Reply(200, _own("listing.html")))
    arxiv.add("/list/cs.AI/new", Reply(200, _own("listing.html")))

    report = make_ingestor(arxiv, store, NOV_17).fetch_latest("auto")

    assert "HTML page" in report.warnings[0]
    assert [r.route for r in report.results] == ["listing"]
    assert store.count_papers() == 2


def test_weekend_feed_without_items_records_no_announcement(
    arxiv: LoopbackServer, store: Store
) -> None:
    empty = _own("rss.xml").split(b"<item>")[0] + b"</channel></rss>"
    empty = empty.replace(b"Tue, 17 Nov 2026", b"Sat, 21 Nov 2026")
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, empty))
    saturday = dt.datetime(2026, 11, 21, 14, tzinfo=dt.UTC)

    report = make_ingestor(arxiv, store, saturday).fetch_latest("rss")

    assert report.results[0].status == "empty"
    assert store.feed_day("cs.AI+cs.LG", dt.date(2026, 11, 21)) == "empty"
    assert store.count_papers() == 0


def _dated(day: bytes, *ids: bytes) -> bytes:
    """The own feed, dated `day` (e.g. b"16 Nov 2026"), its two papers renamed to `ids`."""
    feed = _own("rss.xml").replace(b"17 Nov 2026", day)
    return feed.replace(b"2611.10001", ids[0]).replace(b"2611.10002", ids[1])


def test_feed_still_serving_a_stored_older_day_is_stale(
    arxiv: LoopbackServer, store: Store
) -> None:
    yesterday = _dated(b"16 Nov 2026", b"2611.09991", b"2611.09992")
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, yesterday), Reply(200, _own("rss.xml")))
    make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")
    make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, yesterday))

    report = make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")

    assert report.results[0].status == "stale"
    assert report.counts.total == 0
    assert store.feed_day("cs.AI+cs.LG", dt.date(2026, 11, 16)) == "announced"


def test_an_older_day_never_stored_is_stored_late_not_dropped(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, _own("rss.xml")))
    make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, _dated(b"16 Nov 2026", b"2611.09991", b"2611.09992")))

    report = make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")

    assert report.results[0].status == "stored"
    paper = store.get_paper("2611.09991")
    assert paper is not None and paper.announced == dt.date(2026, 11, 16)


def test_tomorrows_feed_before_the_evening_announcement_is_refused(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, _own("rss.xml").replace(b"17 Nov", b"18 Nov")))

    with pytest.raises(FeedFormatError, match="claims announcement date 2026-11-18"):
        make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")  # 09:00 Eastern


def test_stale_feed_is_completed_from_the_listing_pages(
    arxiv: LoopbackServer, store: Store
) -> None:
    yesterday = _own("rss.xml").replace(b"17 Nov 2026", b"16 Nov 2026")
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, yesterday))
    arxiv.add("/list/cs.LG/new", Reply(200, _own("listing.html")))
    arxiv.add("/list/cs.AI/new", Reply(200, _own("listing.html")))

    report = make_ingestor(arxiv, store, NOV_17).fetch_latest("auto")

    assert [(r.route, r.announced) for r in report.results] == [
        ("rss", dt.date(2026, 11, 16)),
        ("listing", dt.date(2026, 11, 17)),
    ]
    assert store.feed_day("cs.AI+cs.LG", dt.date(2026, 11, 17)) == "announced"


def test_announce_types_not_configured_are_not_stored(arxiv: LoopbackServer, store: Store) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, real_fixture(STAT_FEED)))
    now = dt.datetime(2024, 3, 26, 12, tzinfo=dt.UTC)

    make_ingestor(arxiv, store, now, announce_types=["new"]).fetch_latest("rss")

    assert store.count_papers() == 35


def _api_page(ids: list[str], total: int) -> bytes:
    entries = "".join(
        f"""<entry><id>http://arxiv.org/abs/{i}v1</id><title>Paper {i}</title>
        <summary>About {i}.</summary><published>2026-11-16T15:00:00Z</published>
        <updated>2026-11-16T15:00:00Z</updated><author><name>A B</name></author>
        <arxiv:primary_category term="cs.LG"/><category term="cs.LG"/></entry>"""
        for i in ids
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
 xmlns:arxiv="http://arxiv.org/schemas/atom"><id>https://arxiv.org/api/x</id><title>q</title>
<updated>2026-11-17T00:00:00Z</updated><opensearch:totalResults>{total}</opensearch:totalResults>
<opensearch:startIndex>0</opensearch:startIndex><opensearch:itemsPerPage>3</opensearch:itemsPerPage>
{entries}</feed>""".encode()


def test_api_backfill_pages_through_all_results(arxiv: LoopbackServer, store: Store) -> None:
    arxiv.add(
        "/api/query",
        Reply(200, _api_page(["2611.00001", "2611.00002", "2611.00003"], 5)),
        Reply(200, _api_page(["2611.00004", "2611.00005"], 5)),
    )

    report = make_ingestor(arxiv, store, NOV_17, api_page_size=3).backfill(dt.date(2026, 11, 17))

    starts = [r.params["start"] for r in arxiv.requests_to("/api/query")]
    assert starts == ["0", "3"]
    assert "submittedDate:[" in arxiv.requests[0].params["search_query"]
    assert report.counts.added == 5
    assert report.problems == []


def test_api_short_page_is_asked_again_then_reported(arxiv: LoopbackServer, store: Store) -> None:
    arxiv.add(
        "/api/query",
        Reply(200, _api_page(["2611.00001", "2611.00002", "2611.00003"], 6)),
        Reply(200, _api_page(["2611.00004"], 6)),
    )

    report = make_ingestor(arxiv, store, NOV_17, api_page_size=3).backfill(dt.date(2026, 11, 17))

    assert len(arxiv.requests_to("/api/query")) >= 3  # the short page was asked for twice
    assert "returned 1 of 3 entries at start=3" in report.problems[0]
    assert store.count_papers() == 4


def test_api_error_feed_is_reported_with_its_message(arxiv: LoopbackServer, store: Store) -> None:
    body = real_fixture("api/arxivpy_error_id_abc_http400.body.xml")
    arxiv.add("/api/query", Reply(400, body, {"Content-Type": "application/atom+xml"}))

    with pytest.raises(FetchError, match="incorrect id format for abc"):
        make_ingestor(arxiv, store, NOV_17).fetch_ids(["abc"])


def test_api_ids_it_does_not_know_are_reported(arxiv: LoopbackServer, store: Store) -> None:
    body = real_fixture("api/arxivpy_id_list_two_ids_one_missing.body.xml")
    arxiv.add("/api/query", Reply(200, body))

    report = make_ingestor(arxiv, store, NOV_17).fetch_ids(["0808.05394", "1707.08567"])

    assert report.problems == ["arXiv API does not know: 0808.05394"]
    assert store.get_paper("1707.08567") is not None


def test_hostile_markup_is_stored_as_inert_text(arxiv: LoopbackServer, store: Store) -> None:
    hostile = _own("rss.xml").replace(
        b"Protein Graphs for Molecule Design",
        b"&lt;script&gt;alert(1)&lt;/script&gt; Graphs\x01",
    )
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, hostile))

    make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")

    paper = store.get_paper("2611.10002")
    assert paper is not None
    assert paper.title == "<script>alert(1)</script> Graphs"


def test_credentials_in_a_source_url_never_reach_a_message(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(404))
    url = arxiv.url.replace("http://", "http://reader:s3cret@")

    with pytest.raises(HTTPError) as error:
        make_ingestor(arxiv, store, NOV_17, rss_url=url).fetch_latest("rss")

    assert "s3cret" not in str(error.value)
    assert "/rss/cs.LG+cs.AI" in str(error.value)


NOV_23 = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)


def _entry_submitted(arxiv_id: str, published: str) -> bytes:
    page = _api_page([arxiv_id], 1)
    return page.replace(b"2026-11-16T15:00:00Z", published.encode())


def test_feed_dated_in_the_future_is_refused_and_blocks_nothing(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, _own("rss.xml").replace(b"2026", b"2099")))

    with pytest.raises(FeedFormatError, match="claims announcement date 2099-11-17"):
        make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")

    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, _own("rss.xml")))
    assert make_ingestor(arxiv, store, NOV_17).fetch_latest("rss").counts.added == 2


def test_day_the_calendar_expects_but_no_source_shows_is_recorded(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, _own("rss.xml")))
    arxiv.add("/list/cs.LG/new", Reply(200, _own("listing.html")))
    arxiv.add("/list/cs.AI/new", Reply(200, _own("listing.html")))

    report = make_ingestor(arxiv, store, NOV_23).fetch_latest("auto")

    assert "no announcement dated 2026-11-23 yet" in report.warnings[-1]
    assert store.feed_day("cs.AI+cs.LG", dt.date(2026, 11, 23)) == "none"
    assert store.count_papers() == 2  # the 17th, still stored once


def test_a_late_feed_for_a_day_never_stored_is_not_called_stale(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, b"<html>down</html>"))
    arxiv.add("/list/cs.LG/new", Reply(503))
    arxiv.add("/list/cs.AI/new", Reply(503))
    with pytest.raises(FetchError):
        make_ingestor(arxiv, store, NOV_23).fetch_latest("auto")
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, _own("rss.xml")))

    report = make_ingestor(arxiv, store, NOV_23).fetch_latest("rss")

    assert report.results[0].status == "stored"


def test_when_feed_and_listing_both_fail_both_reasons_are_named(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(503))
    arxiv.add("/list/cs.LG/new", Reply(404))

    with pytest.raises(FetchError) as error:
        make_ingestor(arxiv, store, NOV_17).fetch_latest("auto")

    message = str(error.value)
    assert "/rss/cs.LG+cs.AI: HTTP 503" in message
    assert "listing pages failed too" in message and "/list/cs.LG/new: HTTP 404" in message


def test_listing_that_is_not_newer_than_the_feed_is_not_stored(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, _own("rss.xml")))
    arxiv.add("/list/cs.LG/new", Reply(200, _own("listing.html")))
    arxiv.add("/list/cs.AI/new", Reply(200, _own("listing.html")))

    report = make_ingestor(arxiv, store, NOV_23).fetch_latest("auto")

    assert [r.route for r in report.results] == ["rss"]
    paper = store.get_paper("2611.10001")
    assert paper is not None and paper.route is not None and paper.route.value == "rss"
    with store.engine.connect() as connection:
        sources = connection.execute(sa.text("SELECT routes FROM papers")).scalars().all()
    assert set(sources) == {1}  # the feed's bit only


def test_small_backfill_is_not_reported_as_a_short_page(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/api/query", Reply(200, _api_page(["2611.00001", "2611.00002"], 2)))

    report = make_ingestor(arxiv, store, NOV_17, api_page_size=200).backfill(NOV_17.date())

    assert report.problems == []
    assert len(arxiv.requests_to("/api/query")) == 1


def test_api_repeating_the_same_page_stops_the_backfill(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/api/query", Reply(200, _api_page(["2611.00001", "2611.00002"], 20_000)))

    report = make_ingestor(arxiv, store, NOV_17, api_page_size=2).backfill(NOV_17.date())

    assert len(arxiv.requests_to("/api/query")) == 2
    assert "repeated a page" in report.problems[0]
    assert store.count_papers() == 2


def test_backfill_matching_more_than_the_api_serves_is_refused_at_once(
    arxiv: LoopbackServer, store: Store
) -> None:
    from paperwire.errors import UsageError

    arxiv.add("/api/query", Reply(200, _api_page(["2611.00001", "2611.00002"], 40_000)))

    with pytest.raises(UsageError, match="matched 40000 papers"):
        make_ingestor(arxiv, store, NOV_17, api_page_size=2).backfill(NOV_17.date())

    assert len(arxiv.requests_to("/api/query")) == 1
    assert store.count_papers() == 0


def test_estimated_date_never_adds_an_announcement_to_a_paper_the_feed_announced(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, _own("rss.xml")))
    make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")
    # Submitted on the 12th but held until the 17th: the estimate would say the 13th.
    arxiv.add("/api/query", Reply(200, _entry_submitted("2611.10001", "2026-11-12T15:00:00Z")))

    make_ingestor(arxiv, store, NOV_17).backfill(dt.date(2026, 11, 12))

    assert store.papers_announced(dt.date(2026, 11, 12), dt.date(2026, 11, 16)) == []
    paper = store.get_paper("2611.10001")
    assert paper is not None and paper.announced == dt.date(2026, 11, 17)


def test_real_announcement_replaces_an_estimated_one(arxiv: LoopbackServer, store: Store) -> None:
    arxiv.add("/api/query", Reply(200, _entry_submitted("2611.10001", "2026-11-12T15:00:00Z")))
    make_ingestor(arxiv, store, NOV_17).backfill(dt.date(2026, 11, 12))
    assert [p.arxiv_id for p in store.papers_announced(dt.date(2026, 11, 13), NOV_17.date())] == [
        "2611.10001"
    ]
    arxiv.add("/rss/cs.LG+cs.AI", Reply(200, _own("rss.xml")))

    make_ingestor(arxiv, store, NOV_17).fetch_latest("rss")

    assert store.papers_announced(dt.date(2026, 11, 13), dt.date(2026, 11, 16)) == []
    paper = store.get_paper("2611.10001")
    assert paper is not None and paper.announced == dt.date(2026, 11, 17)
    assert _count(store, "announcements") == 2


@pytest.mark.parametrize(
    ("on_date", "message"),
    [
        (dt.date(2099, 1, 5), "latest announcement is dated 2026-11-17"),
        (dt.date(2026, 11, 14), "announces nothing on Saturdays"),
    ],
)
def test_impossible_dates_are_refused_before_any_request(
    arxiv: LoopbackServer, store: Store, on_date: dt.date, message: str
) -> None:
    from paperwire.errors import UsageError

    with pytest.raises(UsageError, match=message):
        make_ingestor(arxiv, store, NOV_17).run("auto", on_date=on_date)

    assert arxiv.requests == []


def test_fetching_by_id_keeps_a_papers_estimated_announcement(
    arxiv: LoopbackServer, store: Store
) -> None:
    arxiv.add("/api/query", Reply(200, _entry_submitted("2611.10001", "2026-11-12T15:00:00Z")))
    make_ingestor(arxiv, store, NOV_17).backfill(dt.date(2026, 11, 12))

    make_ingestor(arxiv, store, NOV_17).fetch_ids(["2611.10001"])

    [paper] = store.papers_announced(dt.date(2026, 11, 13), dt.date(2026, 11, 13))
    assert paper.arxiv_id == "2611.10001"
