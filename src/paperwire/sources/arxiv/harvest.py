"""arXiv's bulk route: OAI-PMH ListRecords, page by page, resumable.

`paperwire fetch --since` over more than `sources.arxiv.oai_after_days` days harvests the
categories' OAI sets (cs; physics:astro-ph…) in arXivRaw format, whose version dates give each
paper an estimated announcement date (as an API backfill does). Each page is stored as it
arrives, in one transaction with the resumption token of the next page, so a harvest cut short
(a failure, Ctrl-C, a reboot) goes on where it stopped when the same command runs again, and
memory holds one page at a time. A token the server no longer knows starts the harvest again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from paperwire.config import ArxivSettings
from paperwire.errors import OaiError
from paperwire.models import AnnounceType, UpsertCounts
from paperwire.sources.arxiv.calendar import latest_announcement_date
from paperwire.sources.arxiv.fetch import date_estimate
from paperwire.sources.arxiv.oai import parse_oai
from paperwire.sources.base import FetchReport, Progress, RouteResult, RouteStatus
from paperwire.store import Store
from paperwire.syntax import in_categories

if TYPE_CHECKING:
    from paperwire.http import PoliteSession

log = logging.getLogger(__name__)

STATE = "arxiv-oai"  # the plugin_state namespace of unfinished harvests
METADATA_PREFIX = "arXivRaw"  # every version's date: a first version's is its submission
# Submissions reach an announcement up to a few days later (weekends, holidays).
_SUBMISSION_LEAD = dt.timedelta(days=5)
# arXiv's OAI sets: physics' archives are sets of the physics group ("physics:astro-ph").
_PHYSICS = frozenset(
    {
        *("astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th"),
        *("math-ph", "nlin", "nucl-ex", "nucl-th", "physics", "quant-ph"),
    }
)


def oai_set(category: str) -> str:
    """The OAI set holding a category's papers: "cs.LG" → "cs", "astro-ph.CO" →
    "physics:astro-ph"."""
    archive = category.split(".")[0]
    return f"physics:{archive}" if archive in _PHYSICS else archive


def list_url(base: str, **params: str) -> str:
    return f"{base}?{urlencode({'verb': 'ListRecords', **params})}"


@dataclass
class Harvest:
    """A backfill of `categories` from OAI-PMH into `store`, through `http`."""

    settings: ArxivSettings
    store: Store
    http: PoliteSession
    now: dt.datetime
    categories: Sequence[str]
    holidays: Sequence[dt.date] = ()
    progress: Progress | None = None

    def run(self, since: dt.date, until: dt.date | None = None) -> FetchReport:
        """Store what was announced from `since` to `until` (default: the latest day)."""
        until = until or latest_announcement_date(self.now, self.holidays)
        self._wanted = {AnnounceType(t) for t in self.settings.announce_types}
        report = FetchReport()
        for name in sorted({oai_set(c) for c in self.categories}):
            counts = self._harvest(name, since, until)
            report.results.append(
                RouteResult(
                    "oai",
                    list_url(self.settings.oai_url, set=name, metadataPrefix=METADATA_PREFIX),
                    until,
                    RouteStatus.BACKFILLED,
                    counts,
                    note=f"{since} to {until}, set {name}, dates estimated",
                )
            )
        return report

    def _harvest(self, name: str, since: dt.date, until: dt.date) -> UpsertCounts:
        state = self.store.state(STATE)
        first = since - _SUBMISSION_LEAD
        # Keyed by what the listing asks for, not by its last day: a harvest cut short
        # resumes the next day too (a run after the next announcement has a later `until`).
        key = f"{name}|{METADATA_PREFIX}|{first}"
        saved: dict[str, Any] = state.get(key) or {}
        for other in state.items():
            if other != key and other.startswith(f"{name}|"):
                state.delete(other)  # another --since's harvest, abandoned: it never resumes
        counts = UpsertCounts()
        done = int(saved.get("done", 0))
        if saved.get("token"):
            log.info("resuming the OAI-PMH harvest of %s after %d records", name, done)
        restarted = False
        asked: set[str] = set()
        while True:
            token = saved.get("token")
            if token:
                url = list_url(self.settings.oai_url, resumptionToken=token)
                if token in asked:  # a server that hands a token back would be asked forever
                    state.delete(key)
                    raise OaiError(url, "loop", "the server gave this resumption token twice")
                asked.add(token)
            else:
                url = list_url(
                    self.settings.oai_url,
                    metadataPrefix=METADATA_PREFIX,
                    set=name,
                    # OAI datestamps are a record's last change: papers submitted since
                    # `first` all have one from then on.
                    **{"from": first.isoformat(), "until": self.now.date().isoformat()},
                )
            response = self.http.get(url)
            try:
                batch = parse_oai(response.content, url)
            except OaiError as exc:
                if exc.code != "badResumptionToken" or not token or restarted:
                    raise
                log.info("the OAI-PMH server no longer knows the saved token: starting again")
                saved, done, restarted = {}, 0, True
                asked.clear()
                state.delete(key)
                continue
            papers = []
            for paper in batch.papers:
                if not in_categories(paper.categories, self.categories):
                    continue  # the set's other categories
                date_estimate(paper, self.categories)
                day = paper.announced
                if day and since <= day <= until and paper.announce_type in self._wanted:
                    papers.append(paper)
            done += len(batch.papers)
            next_token = batch.next_token or ""
            saved = {"token": next_token, "done": done, "total": batch.total_results}
            with self.store.transaction() as connection:
                counts += self.store.upsert_papers(
                    connection, papers, self.now, estimated_dates=True
                )
                if next_token:
                    state.put(key, saved, self.now, connection)
                else:
                    state.delete(key, connection)
            if self.progress:
                self.progress(done, batch.total_results)
            if not next_token:
                return counts
