"""A loopback arXiv whose announcements follow the clock, for tests that travel in time.

`ArxivWorld(server)` answers, at whatever time the (time-machine) clock says:
- the RSS feed `/rss/<categories>`: the announcement dated today (US Eastern) on an
  announcement day, else an empty feed dated today (weekends and holidays), as rss.arxiv.org
  does; responses are shaped like tests/fixtures/rss2_2026_3items.xml.
- the API `/api/query`: every paper whose submission time falls in the query's
  `submittedDate:[… TO …]` range, shaped like tests/fixtures/api_2entries.xml.
- the listing pages: 503 (the feed is the route under test).

Each announcement day D carries three papers, ids `YYMM.DD00n`: a diffusion paper, a graph
paper and a survey; each was submitted at 10:00 Eastern on the working day before D.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass
from email.utils import format_datetime
from xml.sax.saxutils import escape

from loopback import LoopbackServer, RecordedRequest, Reply

from paperwire.sources.arxiv.calendar import EASTERN


@dataclass(frozen=True)
class WorldPaper:
    arxiv_id: str
    title: str
    abstract: str
    announced: dt.date

    @property
    def submitted(self) -> dt.datetime:
        day = self.announced - dt.timedelta(days=1)
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(10, 0), EASTERN)


def papers_of(day: dt.date) -> list[WorldPaper]:
    stem = f"{day:%y%m}.{day.day:02d}"
    when = f"{day:%A %d %B}"
    return [
        WorldPaper(
            f"{stem}001",
            f"Diffusion models for tables ({when})",
            "We train a diffusion model on tabular data and study its samples.",
            day,
        ),
        WorldPaper(
            f"{stem}002",
            f"Graph neural networks for molecules ({when})",
            "A graph neural network predicts molecular properties from structure.",
            day,
        ),
        WorldPaper(
            f"{stem}003",
            f"Optimisers, revisited ({when})",
            "We compare optimisers on standard benchmarks.",
            day,
        ),
    ]


def _rss(day: dt.date, papers: list[WorldPaper], categories: str) -> bytes:
    published = format_datetime(dt.datetime.combine(day, dt.time(0), EASTERN))
    items = "".join(
        f"""
    <item>
      <title>{escape(p.title)}</title>
      <link>https://arxiv.org/abs/{p.arxiv_id}</link>
      <description>arXiv:{p.arxiv_id}v1 Announce Type: new
Abstract: {escape(p.abstract)}</description>
      <guid isPermaLink="false">oai:arXiv.org:{p.arxiv_id}v1</guid>
      <category>cs.LG</category>
      <pubDate>{published}</pubDate>
      <arxiv:announce_type>new</arxiv:announce_type>
      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
      <dc:creator>Ada Lovelace, Alan Turing</dc:creator>
    </item>"""
        for p in papers
    )
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" \
xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
  <channel>
    <title>{categories} updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/{categories}</link>
    <description>{categories} updates on the arXiv.org e-print archive.</description>
    <language>en-us</language>
    <pubDate>{published}</pubDate>
    <skipDays><day>Sunday</day><day>Saturday</day></skipDays>{items}
  </channel>
</rss>
""".encode()


def _atom(papers: list[WorldPaper], start: int, total: int) -> bytes:
    entries = "".join(
        f"""
  <entry>
    <id>http://arxiv.org/abs/{p.arxiv_id}v1</id>
    <title>{escape(p.title)}</title>
    <updated>{p.submitted.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}</updated>
    <summary>{escape(p.abstract)}</summary>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <published>{p.submitted.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}</published>
    <arxiv:primary_category term="cs.LG"/>
    <author><name>Ada Lovelace</name></author>
    <author><name>Alan Turing</name></author>
  </entry>"""
        for p in papers
    )
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" \
xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/world</id>
  <title>arXiv Query</title>
  <updated>2026-11-01T00:00:00Z</updated>
  <opensearch:itemsPerPage>{len(papers)}</opensearch:itemsPerPage>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>{start}</opensearch:startIndex>{entries}
</feed>
""".encode()


_RANGE = re.compile(r"submittedDate:\[(\d{8})\d{4} TO (\d{8})\d{4}\]")


class ArxivWorld:
    """Serves arXiv's feed and API for `categories` on `server`, following the clock."""

    def __init__(
        self,
        server: LoopbackServer,
        categories: str = "cs.LG",
        holidays: Collection[dt.date] = (dt.date(2026, 11, 26),),  # Thanksgiving
        first_day: dt.date = dt.date(2026, 10, 1),
    ) -> None:
        self.server = server
        self.categories = categories
        self.holidays = holidays
        self.first_day = first_day
        server.route(f"/rss/{categories}", self._feed)
        server.route("/api/query", self._api)
        server.add(f"/list/{categories}/new", Reply(503))

    def announced(self, day: dt.date) -> bool:
        # The world's own calendar, not paperwire's: a test must be able to catch it wrong.
        return day >= self.first_day and day.weekday() < 5 and day not in self.holidays

    def _feed(self, _request: RecordedRequest) -> Reply:
        today = dt.datetime.now(dt.UTC).astimezone(EASTERN).date()
        papers = papers_of(today) if self.announced(today) else []
        body = _rss(today, papers, self.categories)
        return Reply(200, body, {"Content-Type": "application/rss+xml"})

    def _api(self, request: RecordedRequest) -> Reply:
        params = request.params
        match = _RANGE.search(params.get("search_query", ""))
        assert match, f"unexpected API query {params}"
        low = dt.datetime.strptime(match[1], "%Y%m%d").date()
        high = dt.datetime.strptime(match[2], "%Y%m%d").date()
        today = dt.datetime.now(dt.UTC).astimezone(EASTERN).date()
        found = []
        day = low
        while day <= today + dt.timedelta(days=5):
            if self.announced(day) and day <= today:
                found += [p for p in papers_of(day) if low <= p.submitted.date() <= high]
            day += dt.timedelta(days=1)
        start = int(params.get("start", "0"))
        size = int(params.get("max_results", "100"))
        page = found[start : start + size]
        return Reply(200, _atom(page, start, len(found)), {"Content-Type": "application/atom+xml"})

    def requests(self, path: str) -> list[RecordedRequest]:
        return self.server.requests_to(path)
