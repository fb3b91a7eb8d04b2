"""Send every due digest: plan each reader's window on each channel, build, record, deliver.

The rules the ledger enforces, per reader, kind of digest and channel:
- A window runs from the day after the reader's last digest (sent, pending or skipped) to the
  newest day of its kind, never more than `digest.max_age_days` back; a reader's first
  digest covers the newest day only.
- One live digest per reader and window start (a unique index), and never a paper the reader
  has received or is about to receive.
- A digest is written to the ledger, with what its channel needs to deliver it, *before* it
  is delivered; a crash between delivering and recording re-delivers at most that one.
- A temporary refusal (4xx) leaves the digest pending for the next run, up to
  `delivery.max_attempts`; a permanent one (5xx) marks it failed with the server's words and
  leaves its days to the reader's next digest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import multiprocessing
import os
import socket
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from paperwire.config import Settings
from paperwire.delivery.base import NOT_TRIED, Channel, Outcome, Prepared, SendSummary
from paperwire.delivery.base import OutcomeStatus as Status
from paperwire.delivery.email.channel import EmailChannel
from paperwire.digest.kinds import DigestRequest, Limits, kind_named
from paperwire.digest.select import DigestBuilder
from paperwire.errors import DeliveryError
from paperwire.models import DeliveryState, Digest, Judgments, Profile, Reader
from paperwire.scoring.feedback import MAX_EXAMPLES, PAST_DAYS, PAST_EXAMPLES, with_feedback
from paperwire.sources.arxiv.calendar import latest_announcement_date
from paperwire.store import Store
from paperwire.store.ledger import Delivery, PlannedDelivery
from paperwire.text import plural

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

    from paperwire.scoring.semantic import Embedder

log = logging.getLogger(__name__)

PENDING, SENT, FAILED, SKIPPED = (
    DeliveryState.PENDING,
    DeliveryState.SENT,
    DeliveryState.FAILED,
    DeliveryState.SKIPPED,
)
# The reply kept for a digest that may have reached the reader (no answer after its message
# was sent): it is sent once more at most, and never counted as failed.
MAYBE_SENT = "fate unknown: "
# The reply kept for a digest planned before its reader unsubscribed: it is never sent.
UNSUBSCRIBED = "not sent: the reader unsubscribed"
# A claim by a process on another machine is taken over after this long without news.
CLAIM_LEASE = dt.timedelta(minutes=30)
# How many pending digests a sender claims at a time (several senders share the rest).
CLAIM_BATCH = 20
# From this many emails to compose in one chunk, worker processes compose them.
PARALLEL_MIN = 64
# Readers planned together: ranked in one pass, composed, recorded, then let go.
PLAN_CHUNK = 500
# How many matched papers beyond those an email shows a digest's page lists.
PAGE_PAPERS = 200


def process_owner() -> str:
    """Who holds a claim: "host:pid", and where /proc tells, "@" when that process started
    (the boot's id and the start time), so that another process given the same PID after a
    crash or a reboot is not taken for the claimant."""
    start = _process_start(os.getpid())
    return f"{socket.gethostname()}:{os.getpid()}" + (f"@{start}" if start else "")


def _process_start(pid: int) -> str | None:
    """ "<boot id>.<start time in clock ticks>" of a process of this machine (None: unknown)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
    return f"{boot[:8]}.{fields[19]}" if len(fields) > 19 else None


def effective_profile(
    reader: Reader, categories: Sequence[str], judged: Judgments | None = None
) -> Profile:
    """The reader's profile with their categories, or the configured ones when they name
    none, and what their 👍 and 👎 make of it (scoring.feedback)."""
    profile = with_feedback(reader.profile, judged) if judged else reader.profile
    if profile.categories:
        return profile
    return dataclasses.replace(profile, categories=list(categories))


def reader_feedback(store: Store, emails: Sequence[str], now: dt.datetime) -> dict[str, Judgments]:
    """Per reader (lower-cased), their votes and their strongest past matches (the
    feedback model's input: scoring.feedback)."""
    judged = store.feedback.judgments(list(emails), MAX_EXAMPLES)
    since = (now - dt.timedelta(days=PAST_DAYS)).date()
    past = store.ledger.strongest(emails, since, PAST_EXAMPLES)
    return {
        email: dataclasses.replace(judged.get(email, Judgments()), past=past.get(email, ()))
        for email in judged.keys() | past.keys()
    }


def next_window(
    store: Store,
    subscriber: str,
    newest: dt.date | None,
    max_age_days: int,
    kind: str = "topics",
    channel: str = "email",
) -> tuple[dt.date, dt.date] | None:
    """The window a reader's next digest of a kind on a channel covers, or None when nothing
    new was announced.

    It starts the day after the reader's last live digest (sent, pending or skipped), or at
    the first failed one after it (its papers never arrived); a first digest covers the newest
    day only. It never reaches back more than `max_age_days`.
    """
    if newest is None:
        return None
    windows = store.ledger.windows(subscriber, kind, channel)
    if windows and newest <= max(last for _, last, _ in windows):
        return None  # every announcement is in a digest already (or in one that failed)
    live_ends = [last for _, last, state in windows if state != FAILED]
    live_end = max(live_ends, default=None)
    failed_starts = [
        first
        for first, _, state in windows
        if state == FAILED and (live_end is None or first > live_end)
    ]
    if live_end is not None:
        start = live_end + dt.timedelta(days=1)
    else:
        start = min(failed_starts, default=newest)
    oldest = newest - dt.timedelta(days=max_age_days - 1)
    return max(start, oldest), newest


@dataclass(slots=True)
class _Due:
    """One reader's digest due on one channel."""

    reader: Reader
    channel: Channel
    request: DigestRequest


@dataclass
class DigestRun:
    """One `paperwire send`: plans the due digests, then delivers every pending one.

    `channels` are the channels this run may use, by name; a reader's channel that is not
    among them is left for another run (its digests are neither planned nor delivered)."""

    store: Store
    settings: Settings
    now: dt.datetime
    channels: Mapping[str, Channel]
    embedder: Embedder | None = None
    sleep: Callable[[float], None] = time.sleep
    owner: str = field(default_factory=process_owner)
    # Claims are stamped with the time they are made (a batch can outlast CLAIM_LEASE).
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    builder: DigestBuilder | None = None
    _pool: Pool | None = field(default=None, init=False, repr=False)

    def _builder(self) -> DigestBuilder:
        if self.builder is None:
            # With readers' pages, a digest's page lists the matched papers the email leaves out.
            keep = PAGE_PAPERS if self.settings.delivery.base_url else 0
            self.builder = DigestBuilder.from_settings(
                self.store, self.settings, now=self.now, embedder=self.embedder, keep_rest=keep
            )
        return self.builder

    def plan(
        self,
        readers: Sequence[Reader],
        limits: Mapping[str, Limits] | None = None,
        *,
        dry_run: bool = False,
    ) -> list[Outcome]:
        """Build and record (unless `dry_run`) the next digest of each reader on each of
        their channels, its window ending at its kind's newest day (`limits`; default: the
        newest announcement stored, the newest featured day that ended). Outcomes:
        "planned" (pending now), "skipped" (nothing matched), "nothing"."""
        if limits is None:
            limits = default_limits(self.store, self.now, {r.mode for r in readers})
        digest_settings = self.settings.digest
        categories = list(self.settings.sources.arxiv.categories)
        outcomes: list[Outcome] = []
        due: list[_Due] = []
        waiting = {(d.subscriber, d.channel) for d in self.store.ledger.pending()}
        unsubscribed = self.store.unsubscribed.all()
        readers = [r for r in readers if r.email.lower() not in unsubscribed]
        judged = reader_feedback(self.store, [r.email for r in readers], self.now)
        for reader in readers:
            bound = limits.get(reader.mode)
            for name in reader.channels:
                channel = self.channels.get(name)
                if channel is None:
                    continue
                if (reader.email.lower(), name) in waiting:
                    # Its pending digest goes first; should it fail, its days join the next.
                    outcomes.append(Outcome(reader.email, Status.NOTHING, channel=name))
                    continue
                max_age = digest_settings.max_age_days
                # A weekly digest reaches back over its week, and a missed week's catch-up.
                window = next_window(
                    self.store,
                    reader.email,
                    bound.newest if bound else None,
                    max_age + 7 if reader.weekly else max_age,
                    reader.mode,
                    name,
                )
                if window is None:
                    outcomes.append(Outcome(reader.email, Status.NOTHING, channel=name))
                    continue
                request = DigestRequest(
                    effective_profile(reader, categories, judged.get(reader.email.lower())),
                    *window,
                    self.store.ledger.received(reader.email, name),
                    reader.mode,
                    reader.only_matching,
                    reader.sources,
                )
                due.append(_Due(reader, channel, request))
        # Readers with the same limits are built together (one ranking pass per window).
        groups: dict[tuple[int, float], list[_Due]] = {}
        for one in due:
            reader = one.reader
            limits_of = (
                reader.max_papers or digest_settings.max_papers,
                digest_settings.min_score if reader.min_score is None else reader.min_score,
            )
            groups.setdefault(limits_of, []).append(one)
        # In chunks, so that a run for many readers keeps only two chunks of digests in memory;
        # worker processes compose one chunk's emails while this process ranks the next.
        previous: tuple[list[tuple[Reader, Digest, Channel]], Iterator[Prepared | None]] | None
        previous = None
        try:
            for (limit, min_score), members in groups.items():
                for start in range(0, len(members), PLAN_CHUNK):
                    chunk = members[start : start + PLAN_CHUNK]
                    digests = self._build(chunk, limit=limit, min_score=min_score)
                    jobs = [
                        (one.reader, digest, one.channel)
                        for one, digest in zip(chunk, digests, strict=True)
                    ]
                    ready = self._start_preparing(jobs)
                    if previous is not None:
                        outcomes += self._record_all(*previous, dry_run=dry_run)
                    previous = (jobs, ready)
            if previous is not None:
                outcomes += self._record_all(*previous, dry_run=dry_run)
        finally:
            if self._pool is not None:
                self._pool.terminate()
                self._pool = None
        return outcomes

    def _record_all(
        self,
        jobs: Sequence[tuple[Reader, Digest, Channel]],
        ready: Iterator[Prepared | None],
        *,
        dry_run: bool,
    ) -> list[Outcome]:
        """Record a chunk's digests in one transaction (one by one should another planner
        have recorded one of them meanwhile)."""
        entries = [
            self._entry(reader, digest, channel, prepared)
            for (reader, digest, channel), prepared in zip(jobs, ready, strict=True)
        ]
        if dry_run:
            return [outcome for _, outcome in entries]
        ids = self.store.ledger.add_many([planned for planned, _ in entries], self.now)
        return [
            outcome if delivery_id is not None else self._taken(reader, digest, channel)
            for (reader, digest, channel), (_, outcome), delivery_id in zip(
                jobs, entries, ids, strict=True
            )
        ]

    def _start_preparing(
        self, jobs: Sequence[tuple[Reader, Digest, Channel]]
    ) -> Iterator[Prepared | None]:
        """Each job's digest prepared for its channel, in order: by worker processes
        (`delivery.workers`) when there are many emails to compose, else None (record
        prepares it). Composing is most of planning's work and uses one CPU; the workers
        start at once and compose while this process ranks and records."""
        wanted = [
            index
            for index, (_, digest, channel) in enumerate(jobs)
            if isinstance(channel, EmailChannel)
            and (digest.papers or self.settings.digest.empty != "skip")
        ]
        pool = self._worker_pool() if len(wanted) >= PARALLEL_MIN else None
        if pool is None:
            return iter([None] * len(jobs))
        work = [
            (jobs[i][0], dataclasses.replace(jobs[i][1], rest=[]), jobs[i][2].name, self.now)
            for i in wanted
        ]
        log.info("composing %d emails in worker processes", len(work))
        results = pool.imap(_compose_in_worker, work, chunksize=4)  # they start now
        return self._collect(jobs, set(wanted), results)

    @staticmethod
    def _collect(
        jobs: Sequence[tuple[Reader, Digest, Channel]],
        chosen: set[int],
        results: Iterator[tuple[str, str, bytes | None, int] | str],
    ) -> Iterator[Prepared | None]:
        for index, (_, digest, _) in enumerate(jobs):
            if index not in chosen:
                yield None
                continue
            result = next(results)
            if isinstance(result, str):  # it failed there: record prepares it and says why
                log.debug("a worker could not compose a digest: %s", result)
                yield None
                continue
            message_id, subject, payload, shown = result
            cut = dataclasses.replace(digest, papers=digest.papers[:shown])
            yield Prepared(message_id, subject, payload, cut)

    def _worker_pool(self) -> Pool | None:
        """The run's composing processes (forks of it), started at first need; None when
        `delivery.workers` is 1, there is one CPU, or processes cannot be forked."""
        if self._pool is None:
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
            workers = min(self.settings.delivery.workers or cpus, os.cpu_count() or 1)
            if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
                return None
            log.info("starting %d worker processes", workers)
            self._pool = multiprocessing.get_context("fork").Pool(
                workers, initializer=_worker_start, initargs=(self.store, dict(self.channels))
            )
        return self._pool

    def _build(self, members: Sequence[_Due], *, limit: int, min_score: float) -> list[Digest]:
        """One digest per member; a reader's channels that ask for the same window without
        the same papers received share one build."""
        unique: list[DigestRequest] = []
        slot: list[int] = []
        seen: dict[tuple[str, dt.date, dt.date, str], list[int]] = {}
        for one in members:
            request = one.request
            key = (one.reader.email, request.window_from, request.window_to, request.kind)
            found = next((i for i in seen.get(key, []) if unique[i].skip == request.skip), None)
            if found is None:
                found = len(unique)
                unique.append(request)
                seen.setdefault(key, []).append(found)
            slot.append(found)
        built = self._builder().build_many(unique, limit=limit, min_score=min_score)
        return [built[i] for i in slot]

    def record(
        self,
        reader: Reader,
        digest: Digest,
        channel: Channel,
        *,
        dry_run: bool = False,
        ready: Prepared | None = None,
    ) -> tuple[Outcome, int | None]:
        """Prepare a digest for its channel (unless `ready`) and write it to the ledger as
        pending (or skipped, when nothing matched and empty windows are skipped): (the
        outcome, the delivery's id)."""
        planned, outcome = self._entry(reader, digest, channel, ready)
        if dry_run:
            return outcome, None
        delivery_id = self.store.ledger.add(planned, self.now)
        if delivery_id is None:
            return self._taken(reader, digest, channel), None
        return outcome, delivery_id

    def _entry(
        self, reader: Reader, digest: Digest, channel: Channel, ready: Prepared | None
    ) -> tuple[PlannedDelivery, Outcome]:
        """What the ledger records of a digest, and the outcome once it is recorded."""
        window = (digest.window_from, digest.window_to)
        if not digest.papers and self.settings.digest.empty == "skip":
            planned = PlannedDelivery(
                reader.email,
                *window,
                message_id="",
                subject="",
                payload=None,
                papers=[],
                kind=digest.kind,
                channel=channel.name,
                state=SKIPPED,
            )
            detail = f"nothing matched among {plural(digest.announced_count, 'paper')}"
            return planned, Outcome(reader.email, Status.SKIPPED, 0, window, detail, channel.name)
        prepared = ready or channel.prepare(digest, reader, self.now)
        shown = prepared.shown
        outcome = Outcome(
            reader.email, Status.PLANNED, len(shown.papers), window, prepared.subject, channel.name
        )
        unshown = digest.papers[len(shown.papers) :] + digest.rest
        planned = PlannedDelivery(
            reader.email,
            *window,
            message_id=prepared.message_id,
            subject=prepared.subject,
            payload=prepared.payload,
            papers=[(s.paper.key, s.score) for s in shown.papers],
            kind=digest.kind,
            channel=channel.name,
            unshown=[(s.paper.key, s.score) for s in unshown],
            reasons={s.paper.key: s.reasons for s in [*shown.papers, *unshown] if s.reasons},
        )
        return planned, outcome

    @staticmethod
    def _taken(reader: Reader, digest: Digest, channel: Channel) -> Outcome:
        """The outcome when the ledger already holds a digest for this window's first day."""
        window = (digest.window_from, digest.window_to)
        detail = f"already has a digest for the window from {digest.window_from}"
        return Outcome(reader.email, Status.NOTHING, 0, window, detail, channel.name)

    def deliver(
        self,
        summary: SendSummary,
        only: Sequence[int] | None = None,
        subscribers: Collection[str] | None = None,
    ) -> None:
        """Deliver every pending digest (or those with ids in `only`) on its channel, claiming
        them CLAIM_BATCH at a time, so that several senders (processes, machines sharing one
        PostgreSQL store) each deliver their own; temporary refusals are tried again after
        the batch (`delivery.retries_per_run` times, backing off); a channel that cannot be
        used at all stops its own queue and leaves the rest pending."""
        wanted = None if subscribers is None else {e.lower() for e in subscribers}
        # A reader who left still has their pending digests closed (never sent).
        leaving = self.store.unsubscribed.all() if wanted is not None else set()
        for name, channel in self.channels.items():
            pending = self.store.ledger.pending([name])
            if only is not None:
                pending = [d for d in pending if d.id in only]
            # Left alone: a reader removed from the configuration gets nothing, and a claim
            # of a live process is its own.
            keep_out = {
                d.id
                for d in pending
                if (
                    wanted is not None
                    and d.subscriber not in wanted
                    and d.subscriber not in leaving
                )
                or not _claim_is_stale(d, self.owner, self.clock())
            }
            for delivery in pending:
                if delivery.id in keep_out:
                    continue
                if delivery.claimed_by not in (None, self.owner):
                    self.store.ledger.clear_claim(delivery)  # its process is gone
                if delivery.attempts >= self.settings.delivery.max_attempts:
                    keep_out.add(delivery.id)
                    summary.outcomes.append(self._give_up(channel, delivery))
            self._deliver_queue(channel, summary, only, keep_out)

    def _give_up(self, channel: Channel, delivery: Delivery) -> Outcome:
        """Close a digest tried `delivery.max_attempts` times. One that may have arrived counts
        as delivered: failed, its papers would go out again in the next digest."""
        maybe_sent = (delivery.reply or "").startswith(MAYBE_SENT)
        reply = f"gave up after {delivery.attempts} attempts: {delivery.reply or ''}".strip()
        state = SENT if maybe_sent else FAILED
        self.store.ledger.finish(delivery.id, state, reply=reply, transport="", now=self.now)
        status = Status.SENT if maybe_sent else Status.FAILED
        return Outcome(
            delivery.subscriber, status, delivery.papers, _window(delivery), reply, channel.name
        )

    def _deliver_queue(
        self,
        channel: Channel,
        summary: SendSummary,
        only: Sequence[int] | None,
        keep_out: set[int],
    ) -> None:
        delivery_settings = self.settings.delivery
        ledger, described = self.store.ledger, False
        choose: Collection[int] | None = only
        for round_ in range(delivery_settings.retries_per_run + 1):
            if round_:
                self.sleep(delivery_settings.retry_delay * 2 ** (round_ - 1))
            tried: set[int] = set()  # this round's: a digest refused for now waits its round
            retry: list[int] = []
            while batch := ledger.claim_batch(
                channel.name,
                self.owner,
                self.clock(),
                size=CLAIM_BATCH,
                lease=CLAIM_LEASE,
                ids=choose,
                exclude=keep_out | tried,
            ):
                if not described:
                    where, described = channel.describe(), True
                    summary.transport = (
                        f"{summary.transport}, {where}" if summary.transport else where
                    )
                gone = self.store.unsubscribed.all()
                for position, (delivery, payload) in enumerate(batch):
                    tried.add(delivery.id)
                    try:
                        outcome, again = self._deliver_one(channel, delivery, payload, gone)
                    except DeliveryError as exc:  # the server or the outbox cannot be used
                        ledger.unclaim([d.id for d, _ in batch[position + 1 :]], self.owner)
                        summary.problems.append(str(exc))
                        summary.outcomes.extend(
                            Outcome(
                                d.subscriber,
                                Status.DEFERRED,
                                d.papers,
                                _window(d),
                                NOT_TRIED,
                                d.channel,
                            )
                            for d in self._untried(channel.name, choose, keep_out | tried, delivery)
                        )
                        return
                    if again and round_ < delivery_settings.retries_per_run:
                        retry.append(delivery.id)
                        continue
                    if outcome is not None:
                        summary.outcomes.append(outcome)
            if not retry:
                return
            choose = retry

    def _untried(
        self, channel: str, choose: Collection[int] | None, done: set[int], current: Delivery
    ) -> list[Delivery]:
        """The digest a channel failed on, and every other one this run would have tried."""
        rest = [
            d
            for d in self.store.ledger.pending([channel])
            if d.id not in done
            and (choose is None or d.id in choose)
            and _claim_is_stale(d, self.owner, self.clock())
        ]
        return [current, *rest]

    def _claimable(self, pending: list[Delivery]) -> list[Delivery]:
        """Pending deliveries no live process is delivering right now."""
        return [d for d in pending if _claim_is_stale(d, self.owner, self.clock())]

    def _deliver_one(
        self, channel: Channel, delivery: Delivery, payload: bytes | None, gone: Collection[str]
    ) -> tuple[Outcome | None, bool]:
        """Deliver one claimed digest: (its outcome, whether it is worth another try)."""
        ledger, window = self.store.ledger, _window(delivery)
        max_attempts = self.settings.delivery.max_attempts

        def outcome(status: Status, detail: str, papers: int = delivery.papers) -> Outcome:
            return Outcome(delivery.subscriber, status, papers, window, detail, channel.name)

        finish = functools.partial(
            ledger.finish, delivery.id, transport=channel.transport_name, owner=self.owner
        )
        if delivery.subscriber in gone:  # since it was planned
            finish(SKIPPED, reply=UNSUBSCRIBED, transport="", now=self.clock())
            return outcome(Status.SKIPPED, UNSUBSCRIBED, 0), False
        maybe_sent = (delivery.reply or "").startswith(MAYBE_SENT)
        if not ledger.attempt(delivery.id, self.owner, self.clock()):
            return None, False  # another run took it over (a claim held past CLAIM_LEASE)
        try:
            result = channel.deliver(delivery, payload, self.clock())
        except DeliveryError:  # nothing reached a server: the attempt does not count
            ledger.release(delivery.id, self.owner, self.clock())
            raise
        attempts = delivery.attempts + 1
        finish = functools.partial(finish, now=self.clock())
        if result.status == "sent":
            finish(SENT, reply=result.reply)
            return outcome(Status.SENT, result.reply), False
        if result.status == "unknown" and maybe_sent:
            # Its fate unknown twice: it went out at least once, perhaps twice. A third copy
            # is worse than none; it counts as delivered.
            reply = f"{MAYBE_SENT}sent twice, no reply either time; counted as delivered"
            finish(SENT, reply=f"{reply} ({result.reply})")
            return outcome(Status.SENT, reply), False
        if result.status == "unknown" and attempts < max_attempts:
            # It may have arrived: never again in this run; the next run sends it once more.
            finish(PENDING, reply=MAYBE_SENT + result.reply)
            detail = f"{result.reply} (attempt {attempts} of {max_attempts}; next run)"
            return outcome(Status.DEFERRED, detail), False
        if result.status == "temporary" and attempts < max_attempts:
            # A digest that may have arrived keeps saying so (a second unknown ends it).
            reply = (MAYBE_SENT if maybe_sent else "") + result.reply
            finish(PENDING, reply=reply)
            detail = f"{result.reply} (attempt {attempts} of {max_attempts}; will retry)"
            return outcome(Status.DEFERRED, detail), True
        reply = result.reply
        if result.status in ("temporary", "unknown"):
            reply = f"gave up after {attempts} attempts: {reply}"
        if maybe_sent or result.status == "unknown":
            finish(SENT, reply=MAYBE_SENT + reply)  # it may have arrived: see above
            return outcome(Status.SENT, MAYBE_SENT + reply), False
        finish(FAILED, reply=reply)
        return outcome(Status.FAILED, reply), False

    def pending_outcomes(self) -> list[Outcome]:
        """What a run would retry (for --dry-run)."""
        return [
            Outcome(
                d.subscriber,
                Status.RETRY,
                d.papers,
                _window(d),
                d.reply or "not yet tried",
                d.channel,
            )
            for d in self._claimable(self.store.ledger.pending(list(self.channels)))
        ]


# The channels a composing worker process was given (it is a fork of the run; see
# DigestRun._prepare_all). Nothing else in paperwire reads or writes it.
_WORKER_CHANNELS: dict[str, Channel] = {}


def _worker_start(store: Store, channels: dict[str, Channel]) -> None:
    """In a forked worker: leave the run's database connections to the run."""
    store.engine.dispose(close=False)
    _WORKER_CHANNELS.update(channels)


def _compose_in_worker(
    job: tuple[Reader, Digest, str, dt.datetime],
) -> tuple[str, str, bytes | None, int] | str:
    """(Message-ID, subject, bytes, papers shown) of one digest's email, or why not."""
    reader, digest, name, now = job
    try:
        prepared = _WORKER_CHANNELS[name].prepare(digest, reader, now)
    except Exception as exc:  # the run prepares it again, and reports what went wrong
        return f"{type(exc).__name__}: {exc}"
    return prepared.message_id, prepared.subject, prepared.payload, len(prepared.shown.papers)


def default_limits(store: Store, now: dt.datetime, kinds: Collection[str]) -> dict[str, Limits]:
    """Limits without the sources' fetch history: topics digests end on the newest
    announcement stored, trending ones on the newest featured day that ended."""
    limits = {"topics": Limits(store.latest_announcement(latest_announcement_date(now)))}
    for name in set(kinds) - {"topics"}:
        limits[name] = kind_named(name).limits(store, now)
    return limits


def _window(delivery: Delivery) -> tuple[dt.date, dt.date]:
    return delivery.window_from, delivery.window_to


def _claim_is_stale(delivery: Delivery, owner: str, now: dt.datetime) -> bool:
    """True when nobody is delivering this one: never claimed, claimed by this process
    before (an interrupted run), by a process of this machine that is gone, or by another
    machine longer than CLAIM_LEASE ago."""
    if delivery.claimed_by is None or delivery.claimed_by == owner:
        return True
    claimant, _, started = delivery.claimed_by.partition("@")
    host, _, pid = claimant.rpartition(":")
    if host == owner.partition("@")[0].rpartition(":")[0] and pid.isdigit():
        if not _process_alive(int(pid)):
            return True
        # Alive: the claimant, or another process that was given its PID since.
        return bool(started) and _process_start(int(pid)) != started
    return delivery.claimed_at is None or now - delivery.claimed_at > CLAIM_LEASE


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, and someone else's
        return True
    return True


def send_due(
    store: Store,
    settings: Settings,
    readers: Sequence[Reader],
    channels: Mapping[str, Channel],
    now: dt.datetime,
    *,
    limits: Mapping[str, Limits] | None = None,
    dry_run: bool = False,
    embedder: Embedder | None = None,
    sleep: Callable[[float], None] = time.sleep,
    deliver_to: Sequence[str] | None = None,
    deliver: bool = True,
) -> SendSummary:
    """Plan each reader's due digests and deliver every pending one (of `deliver_to`,
    default the `readers`: a reader no longer subscribed gets nothing). Idempotent: a second
    run with nothing newly announced sends nothing. With `dry_run`, nothing is written or
    delivered; without `deliver`, the digests are recorded and left for senders (the
    summary lists them as planned). Closes the channels."""
    run = DigestRun(store, settings, now, channels, embedder=embedder, sleep=sleep)
    summary = SendSummary()
    try:
        if dry_run:
            summary.outcomes = run.pending_outcomes() + run.plan(readers, limits, dry_run=True)
            return summary
        planned = run.plan(readers, limits)
        wanted = [r.email for r in readers] if deliver_to is None else deliver_to
        if deliver:
            run.deliver(summary, subscribers=wanted)
    finally:
        for channel in channels.values():
            channel.close()
    delivered = {(o.subscriber, o.channel) for o in summary.outcomes}
    summary.outcomes += [
        o
        for o in planned
        if o.status == Status.SKIPPED
        or (o.status == Status.PLANNED and not deliver)
        or (o.status == Status.NOTHING and (o.subscriber, o.channel) not in delivered)
    ]
    return summary


def send_digest(
    store: Store,
    settings: Settings,
    reader: Reader,
    digest: Digest,
    channel: Channel,
    now: dt.datetime,
) -> SendSummary:
    """Record one digest already built (by `paperwire digest --send`) and deliver it alone,
    under the ledger's rules: build it with `skip=ledger.received(...)` first."""
    run = DigestRun(store, settings, now, {channel.name: channel})
    summary = SendSummary()
    try:
        outcome, delivery_id = run.record(reader, digest, channel)
        if delivery_id is None or outcome.status != Status.PLANNED:
            summary.outcomes.append(outcome)
        else:
            run.deliver(summary, only=[delivery_id])
    finally:
        channel.close()
    return summary
