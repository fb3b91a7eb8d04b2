"""A journal's feed beside arXiv: cron ticks for three days, over real SMTP, and who got what.

The feed's articles go to readers whose topics they match, with arXiv's next announcement
after they were first seen, never to a reader whose `sources` leave the feed out, and never
to a reader who names no topic (arXiv's category mailing) unless they name the feed.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re

import time_machine
from arxiv_world import ArxivWorld
from conftest import PaperwireCLI
from loopback import LoopbackServer, RecordedRequest, Reply
from smtpserver import SmtpTestServer

UTC = dt.UTC
START = dt.datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # Monday 16 November, 19:00 Sunday Eastern
SECOND_ARTICLE_FROM = dt.datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # after Monday's digests
_ID = re.compile(r"(?:arxiv\.org/abs/|journal\.example\.org/articles/)(\S+)")


def _item(number: int, title: str) -> str:
    return f"""<item><title>{title}</title>
<link>https://journal.example.org/articles/jir.{number}</link>
<guid isPermaLink="false">jir:{number}</guid><dc:creator>Mary Somerville</dc:creator>
<prism:doi>10.5555/jir.{number}</prism:doi>
<description>We study {title.lower()} in depth.</description></item>"""


def journal(_request: RecordedRequest) -> Reply:
    """The journal's feed at the travelling clock's time: a second article from Monday 15:00."""
    items = [_item(101, "Diffusion of nutrients in layered soils")]
    if dt.datetime.now(UTC) >= SECOND_ARTICLE_FROM:
        items.append(_item(102, "Diffusion limits of coral reefs"))
    body = f"""<?xml version="1.0"?><rss version="2.0"
xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">
<channel><title>Journal of Invented Results</title>{"".join(items)}</channel></rss>"""
    return Reply(200, body.encode())


def write_config(paperwire: PaperwireCLI, arxiv: LoopbackServer, smtp: SmtpTestServer) -> None:
    (paperwire.home / "paperwire.toml").write_text(
        f"""
[sources.arxiv]
categories = ["cs.LG"]

[[sources.feeds]]
name = "jir"
url = "{arxiv.url}/jir.xml"
refresh = 60

[smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "none"

[[subscribers]]
email = "ada@example.org"        # diffusion, from every source
keywords = ["diffusion"]

[[subscribers]]
email = "bob@example.org"        # diffusion, from arXiv only
keywords = ["diffusion"]
sources = ["arxiv"]

[[subscribers]]
email = "cy@example.org"         # every cs.LG paper: arXiv's own mailing
categories = ["cs.LG"]
"""
    )


def mail(smtp: SmtpTestServer) -> dict[str, list[tuple[dt.datetime, list[str]]]]:
    """Per reader: (when, the ids and article numbers its text part links to)."""
    got: dict[str, list[tuple[dt.datetime, list[str]]]] = {}
    for message in smtp.messages:
        parsed = message.parsed()
        at = email.utils.parsedate_to_datetime(str(parsed["Date"])).astimezone(UTC)
        body = parsed.get_body(("plain",))
        assert body is not None
        ids = sorted(dict.fromkeys(_ID.findall(body.get_content())))  # rank apart
        got.setdefault(message.rcpt_tos[0], []).append((at, ids))
    return got


def test_a_journals_articles_reach_the_readers_who_want_them_with_the_next_announcement(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, smtp_server: SmtpTestServer
) -> None:
    ArxivWorld(arxiv)
    arxiv.route("/jir.xml", journal)
    write_config(paperwire, arxiv, smtp_server)
    problems = []
    when = START
    while when <= dt.datetime(2026, 11, 17, 12, 0, tzinfo=UTC):
        with time_machine.travel(when, tick=False):
            result = paperwire("run")
        if result.exit_code != 0 or result.stderr:
            problems.append((when, result.exit_code, result.stderr))
        when += dt.timedelta(hours=1)

    assert problems == []
    got = mail(smtp_server)

    def at(day: int, hour: int) -> dt.datetime:
        return dt.datetime(2026, 11, day, hour, tzinfo=UTC)

    # Ada: Monday's arXiv diffusion paper with the article seen on Sunday evening (Eastern);
    # the article of Monday afternoon with Tuesday's announcement, not a day late.
    assert got["ada@example.org"] == [
        (at(16, 5), ["2611.16001", "jir.101"]),
        (at(17, 5), ["2611.17001", "jir.102"]),
    ]
    assert got["bob@example.org"] == [(at(16, 5), ["2611.16001"]), (at(17, 5), ["2611.17001"])]
    # Cy takes every cs.LG paper arXiv announces, and no journal's.
    assert [ids for _, ids in got["cy@example.org"]] == [
        ["2611.16001", "2611.16002", "2611.16003"],
        ["2611.17001", "2611.17002", "2611.17003"],
    ]
    # A digest with a journal's articles is not called arXiv's, and says where they are from.
    texts = {
        m.rcpt_tos[0]: m.parsed().get_body(("plain",)).get_content()  # type: ignore[union-attr]
        for m in smtp_server.messages[:3]
    }
    assert texts["ada@example.org"].lstrip().startswith("Research digest · ")
    assert (
        "2 of 4 papers announced in cs.LG or published in jir matched." in texts["ada@example.org"]
    )
    assert texts["bob@example.org"].lstrip().startswith("arXiv digest · ")


def test_a_one_off_digest_shows_an_article_fetched_today(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, smtp_server: SmtpTestServer
) -> None:
    ArxivWorld(arxiv)
    arxiv.route("/jir.xml", journal)
    write_config(paperwire, arxiv, smtp_server)
    monday_noon = dt.datetime(2026, 11, 16, 17, 0, tzinfo=UTC)

    with time_machine.travel(monday_noon, tick=False):
        fetched = paperwire("fetch")  # arXiv and the feed: the sources in use
        shown = paperwire("digest", "-k", "diffusion", "--format", "json", "--no-fetch")

    assert fetched.exit_code == 0, fetched.output
    assert shown.exit_code == 0, shown.output
    import json

    document = json.loads(shown.stdout)
    assert document["window"] == {"from": "2026-11-16", "to": "2026-11-17"}
    by_id = {p["id"]: p for p in document["papers"]}
    assert set(by_id) == {"2611.16001", "doi:10.5555/jir.101", "doi:10.5555/jir.102"}
    article = by_id["doi:10.5555/jir.101"]
    assert (article["arxiv_id"], article["source"], article["doi"]) == (
        None,
        "jir",
        "10.5555/jir.101",
    )
    assert article["url"] == "https://journal.example.org/articles/jir.101"
    assert article["abs_url"] is None


def test_a_backfill_with_a_feed_configured_is_arxivs_and_naming_the_feed_is_refused(
    paperwire: PaperwireCLI, arxiv: LoopbackServer, smtp_server: SmtpTestServer
) -> None:
    world = ArxivWorld(arxiv)
    arxiv.route("/jir.xml", journal)
    write_config(paperwire, arxiv, smtp_server)

    with time_machine.travel(dt.datetime(2026, 11, 17, 17, 0, tzinfo=UTC), tick=False):
        backfill = paperwire("fetch", "--since", "2026-11-16")
        named = paperwire("fetch", "--source", "jir", "--since", "2026-11-16")

    assert backfill.exit_code == 0, backfill.output
    assert world.requests("/api/query")  # arXiv's past days came from its API
    assert arxiv.requests_to("/jir.xml") == []  # a feed has no past days to ask for
    assert named.exit_code == 2
    assert named.stderr.strip() == (
        "paperwire: error: jir has no past days to fetch; leave out --date/--since"
    )
