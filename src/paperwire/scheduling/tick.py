"""One tick: fetch what each source's calendar says is due, then send the digests that are due.

`paperwire run` is one tick; `paperwire serve` runs ticks on a schedule. A tick is cheap when
there is nothing to do (a few queries, no HTTP), so cron can call it every few minutes.

Never losing a day: a source with missed days fetches them first (sources.arxiv.source), and a
kind of digest holds its new digests while days it covers are missing (digest.kinds). After
downtime a reader gets one catch-up digest covering every missed day (up to
`digest.max_age_days`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from paperwire.config import Settings
from paperwire.delivery.base import Channel, OutcomeStatus, SendSummary
from paperwire.digest.kinds import DigestKind, Limits, kinds_for
from paperwire.models import Reader
from paperwire.readers import all_readers
from paperwire.scheduling.due import DueReport, due_readers
from paperwire.sources import configured
from paperwire.sources.base import FetchContext, FetchReport, Source, unexpected_failure
from paperwire.store import Store

if TYPE_CHECKING:
    from paperwire.http import PoliteSession
    from paperwire.scoring.semantic import Embedder


log = logging.getLogger(__name__)


@dataclass(slots=True)
class FetchedSource:
    """What a tick fetched from one source."""

    source: Source
    report: FetchReport


@dataclass(slots=True)
class TickReport:
    """What a tick did; `eventful` says whether a person needs to hear about it."""

    fetched: list[FetchedSource] = field(default_factory=list)  # the sources that were due
    holes: list[dt.date] = field(default_factory=list)  # days still missing: digests held
    due: DueReport | None = None
    sent: SendSummary | None = None

    @property
    def problems(self) -> list[str]:
        return [p for f in self.fetched for p in f.report.problems]

    @property
    def held(self) -> bool:
        """Digests are held for missing days, and this tick tried to fetch them (in between
        tries, a tick says nothing: cron would mail the same line every few minutes)."""
        return bool(self.holes) and any(f.source.newsworthy for f in self.fetched)

    @property
    def failed(self) -> bool:
        """Exit status 1: a fetch or a delivery failed, or missing days could not be fetched."""
        return bool(self.problems or self.held or (self.sent is not None and self.sent.failed))

    @property
    def eventful(self) -> bool:
        """Papers a newsworthy source announced stored, digests sent or refused, or something
        wrong. (Lists refreshed all day, such as Hugging Face's, are no news.)"""
        stored = any(f.source.newsworthy and f.report.counts.added > 0 for f in self.fetched)
        delivered = self.sent is not None and any(
            o.status in (OutcomeStatus.SENT, OutcomeStatus.FAILED, OutcomeStatus.DEFERRED)
            for o in self.sent.outcomes
        )
        return stored or delivered or self.failed


@dataclass(frozen=True, slots=True)
class Plan:
    """What bounds new digests, for `run` and `send` alike: each kind's limits."""

    limits: Mapping[str, Limits]

    @property
    def holes(self) -> list[dt.date]:
        return sorted({d for limit in self.limits.values() for d in limit.holes})

    def plannable(self, due: Sequence[Reader]) -> list[Reader]:
        """The due readers whose digests may be planned: not those whose kind waits for
        missing days (a trending reader's featured days do not wait on arXiv's)."""
        return [r for r in due if not self.limits[r.mode].holes]


def plan_limits(
    store: Store, kinds: Mapping[str, DigestKind], now: dt.datetime, readers: Sequence[Reader]
) -> Plan:
    """No digest jumps over a missed day, and none ends on a day stored for fewer categories
    than the readers'."""
    wanted = {r.mode for r in readers} | {"topics"}
    return Plan({name: kinds[name].limits(store, now) for name in sorted(wanted)})


def hold_notice(holes: Sequence[dt.date]) -> str:
    """The one line that says why new digests wait."""
    days = ", ".join(str(d) for d in holes)
    return f"holding new digests until these announcements are stored: {days}"


def fetch_due(
    context: FetchContext, sources: Sequence[Source], *, force: bool = False
) -> list[FetchedSource]:
    """Each active source's due fetch, in order; a source that raises is reported and the
    others still go ahead."""
    from paperwire.errors import PaperwireError

    fetched = []
    for source in sources:
        if not source.active:
            continue
        try:
            report = source.fetch_due(context, force=force)
        except PaperwireError as exc:
            report = FetchReport(problems=[f"{source.label}: {exc}"])
        except Exception as exc:  # a bug or a hostile answer in one source: not the others'
            log.debug("%s failed", source.label, exc_info=True)
            report = FetchReport(problems=[f"{source.label}: {unexpected_failure(exc)}"])
        if report is not None:
            fetched.append(FetchedSource(source, report))
    return fetched


def tick(
    store: Store,
    settings: Settings,
    http: PoliteSession | Callable[[], PoliteSession],
    now: dt.datetime,
    channels: Callable[[], dict[str, Channel]],
    *,
    fetch: bool = True,
    force_fetch: bool = False,
    embedder: Callable[[], Embedder | None] = lambda: None,
    sleep: Callable[[float], None] = time.sleep,
) -> TickReport:
    """Fetch what is due (unless `fetch` is off), then plan and send what is due. `http` may
    be a function making the session, called only when something is fetched."""
    report = TickReport()
    everyone = all_readers(store, settings, now)
    sources = configured(settings, everyone)
    if fetch:
        report.fetched = fetch_due(FetchContext(store, http, now), sources, force=force_fetch)
    kinds = kinds_for(sources)
    plan = plan_limits(store, kinds, now, everyone)
    report.holes = plan.holes
    active = [one for one in everyone if not one.paused]
    report.due = due_readers(store, everyone, now, kinds, settings.digest)
    planned = plan.plannable(report.due.due)
    if not planned and not store.ledger.pending():
        return report
    from paperwire.delivery.planner import send_due  # ranking and mail: only when due

    report.sent = send_due(
        store,
        settings,
        planned,
        channels(),
        now,
        limits=plan.limits,
        embedder=embedder() if planned else None,
        sleep=sleep,
        deliver_to=[one.email for one in active],
    )
    return report
