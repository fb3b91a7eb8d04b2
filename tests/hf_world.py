"""A loopback Hugging Face Daily Papers API whose lists and upvotes follow the clock.

`HuggingFaceWorld(server, arxiv)` answers `/api/daily_papers?date=YYYY-MM-DD` at whatever time
the (time-machine) clock says, in the shape of the real API (see ../shared/fixtures/real/hf):
- featured day D (a weekday, UTC) lists, from D 00:00 UTC on, the three papers the arXiv
  world announced on the announcement day before D (arXiv's metadata differs a little from
  Hugging Face's: titles here end in "[HF]"), and one paper arXiv never showed, `YYMM.DD009`;
- each paper's upvotes are its base plus one an hour since D began, for 48 hours:
  `upvotes(paper_id, D, at)`;
- weekends, and days not begun yet (before `opens_at` UTC), are an empty list.
"""

from __future__ import annotations

import datetime as dt
import json

from arxiv_world import ArxivWorld, papers_of
from loopback import LoopbackServer, RecordedRequest, Reply

BASE_UPVOTES = {"001": 30, "002": 5, "003": 10, "009": 20}


def previous_announcement(arxiv: ArxivWorld, day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while not arxiv.announced(day):
        day -= dt.timedelta(days=1)
    return day


def upvotes(arxiv_id: str, featured: dt.date, at: dt.datetime) -> int:
    start = dt.datetime.combine(featured, dt.time(0), dt.UTC)
    hours = int((at - start).total_seconds() // 3600)
    return BASE_UPVOTES[arxiv_id[-3:]] + max(0, min(hours, 48))


class HuggingFaceWorld:
    """Serves Daily Papers at `/api/daily_papers` on `server`, following the clock."""

    PATH = "/api/daily_papers"

    def __init__(
        self, server: LoopbackServer, arxiv: ArxivWorld, opens_at: dt.time = dt.time(0)
    ) -> None:
        self.server = server
        self.arxiv = arxiv
        self.opens_at = opens_at  # a day's list is empty before this time (UTC)
        server.route(self.PATH, self._api)

    @property
    def url(self) -> str:
        return self.server.url + self.PATH

    def featured(self, day: dt.date) -> list[tuple[str, str, str]]:
        """(id, title, abstract) of the papers featured on `day`."""
        if day.weekday() >= 5:
            return []
        announced = previous_announcement(self.arxiv, day)
        papers = [(p.arxiv_id, p.title + " [HF]", p.abstract) for p in papers_of(announced)]
        own = f"{day:%y%m}.{day.day:02d}009"
        papers.append((own, f"Agents that plan ({day:%A %d %B})", "Language agents plan."))
        return papers

    def _api(self, request: RecordedRequest) -> Reply:
        day = dt.date.fromisoformat(request.params["date"])
        now = dt.datetime.now(dt.UTC)
        begun = now >= dt.datetime.combine(day, self.opens_at, dt.UTC)
        entries = []
        for arxiv_id, title, abstract in self.featured(day) if begun else []:
            entries.append(
                {
                    "paper": {
                        "id": arxiv_id,
                        "authors": [{"_id": "x", "name": "Grace Hopper", "hidden": False}],
                        "publishedAt": f"{day - dt.timedelta(days=1)}T00:00:00.000Z",
                        "submittedOnDailyAt": f"{day}T00:00:00.000Z",
                        "title": title,
                        "summary": abstract,
                        "upvotes": upvotes(arxiv_id, day, now),
                        "discussionId": "d",
                        "githubRepo": f"https://github.com/example/{arxiv_id}",
                        "githubStars": 7,
                    },
                    "publishedAt": f"{day - dt.timedelta(days=1)}T20:00:00.000Z",
                    "title": title,
                    "summary": abstract,
                    "numComments": 2,
                    "isAuthorParticipating": False,
                }
            )
        body = json.dumps(entries).encode()
        return Reply(200, body, {"Content-Type": "application/json"})

    def requests(self) -> list[RecordedRequest]:
        return self.server.requests_to(self.PATH)
