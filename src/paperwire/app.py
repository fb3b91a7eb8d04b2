"""The library's front door: one configured paperwire, and what a program does with it.

    import paperwire
    pw = paperwire.Paperwire.from_config()          # or Paperwire(settings)
    pw.fetch()                                      # every active source's latest
    result = pw.digest(paperwire.Profile(categories=["cs.LG"], keywords=["diffusion"]))
    print(paperwire.render(result.digest, "markdown"))
    pw.send_due()                                   # every due digest, through the ledger
    pw.close()

The command-line interface is a thin shell over this class: each command parses its options,
calls one method and prints what comes back. Configuration is passed in (no global state);
the store and the HTTP session are opened on first use.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from paperwire.config import Settings, load_settings
from paperwire.errors import FetchError, UsageError
from paperwire.models import Digest, Paper, Profile, Reader

if TYPE_CHECKING:
    from paperwire.delivery.base import Channel, SendSummary
    from paperwire.doctor import Check
    from paperwire.http import PoliteSession
    from paperwire.scheduling.due import DueReport
    from paperwire.scheduling.tick import Plan, TickReport
    from paperwire.scoring.semantic import Embedder
    from paperwire.sources.base import FetchReport, FetchRequest, ProgressFactory, Source
    from paperwire.store import Store
    from paperwire.subscriptions import Subscriptions

log = logging.getLogger(__name__)


@dataclass(slots=True)
class DigestResult:
    """A one-off digest, what was fetched for it, and (with `send`) how its sending went."""

    digest: Digest
    fetched: FetchReport
    sent: SendSummary | None = None

    @property
    def failed(self) -> bool:
        return bool(self.fetched.problems) or (self.sent is not None and self.sent.failed)


@dataclass(slots=True)
class SendResult:
    """What `send_due` did: the outcomes, who is due and who waits, and the days digests
    are held for."""

    summary: SendSummary
    due: DueReport
    plan: Plan
    readers: list[Reader] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.summary.failed or bool(self.plan.holes)


class Paperwire:
    """One configured paperwire: its settings, store, HTTP session and clock.

    `settings` come from `load_settings` (or `Paperwire.from_config`); `clock` gives the
    current time (tests and benchmarks pass a fixed one); `env` is the environment the
    settings were read with (the lock file's default place depends on it).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        store: Store | None = None,
        http: PoliteSession | None = None,
    ) -> None:
        self.settings = settings
        self.env = dict(os.environ if env is None else env)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._store = store
        self._http = http

    @classmethod
    def from_config(
        cls, path: Path | None = None, env: Mapping[str, str] | None = None
    ) -> Paperwire:
        """Settings found and read as SPEC.md says (--config, $PAPERWIRE_CONFIG,
        ./paperwire.toml, XDG); a bad file is a ConfigError naming the key."""
        return cls(load_settings(path, env), env=env)

    # --- what everything works with ------------------------------------------------------------

    def now(self) -> dt.datetime:
        return self._clock()

    @property
    def store(self) -> Store:
        """The database, opened (and migrated) on first use."""
        if self._store is None:
            from paperwire.store import open_store

            self._store = open_store(self.settings.database.url)
        return self._store

    @property
    def http(self) -> PoliteSession:
        """The polite HTTP session every source fetches through."""
        if self._http is None:
            from paperwire.http import PoliteSession

            http = self.settings.http
            self._http = PoliteSession(
                user_agent=http.user_agent,
                min_interval=http.min_interval,
                timeout=http.timeout,
                retries=http.retries,
                max_wait=http.max_wait,
                deadline=http.deadline,
            )
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Paperwire:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- readers and sources -------------------------------------------------------------------

    def readers(self, *, sync: bool = True) -> list[Reader]:
        """Every reader: the configuration file's (written to the database first, unless not
        `sync`) and those added with `paperwire subscribers add`."""
        from paperwire.readers import all_readers

        return all_readers(self.store, self.settings, self.now(), sync=sync)

    def reader(self, email: str) -> Reader | None:
        """The reader with this address, from the file or the database."""
        from paperwire.readers import find_reader

        return find_reader(self.store, self.settings, email)

    def subscriptions(self) -> Subscriptions:
        """The readers kept in the database, to add, change, remove, import and export
        (what `paperwire subscribers` does)."""
        from paperwire.subscriptions import Subscriptions

        return Subscriptions(self.store, self.settings, self.now)

    def sources(self, readers: Sequence[Reader] = ()) -> list[Source]:
        """The configured sources (sources.configured), arXiv's categories widened to those
        of `readers`."""
        from paperwire.sources import configured

        return configured(self.settings, readers)

    # --- fetch ---------------------------------------------------------------------------------

    def fetch(
        self,
        source: str | None = None,
        request: FetchRequest | None = None,
        *,
        progress: ProgressFactory | None = None,
    ) -> FetchReport:
        """Fetch from `source` (a name, "all", or None: the active sources): the latest, or
        what `request` asks for. Every source checks the request before any is fetched; a
        source that fails is reported in the result and the others still go ahead."""
        from paperwire.sources import select
        from paperwire.sources.base import (
            FetchContext,
            FetchReport,
            FetchRequest,
            no_progress,
            unexpected_failure,
        )

        request = request or FetchRequest()
        if request.categories:
            from paperwire.config import check_categories

            check_categories(list(request.categories), "--category")
        chosen = select(self.sources(), source)
        if source in (None, "all") and request.ids:
            chosen = [s for s in chosen if s.name == "arxiv"]  # ids are arXiv's
        elif source in (None, "all") and not request.latest:
            # A journal's feed has no past days: a backfill is the other sources'.
            left_out = [s.name for s in chosen if not s.past_days]
            if left_out:
                log.info("no past days to fetch from %s", ", ".join(left_out))
            chosen = [s for s in chosen if s.past_days]
        now = self.now()
        # arXiv's own options (--route, --category) go to arXiv; another source named by
        # default fetches its latest as usual.
        requests = {
            one.name: request
            if source is not None or one.name == "arxiv"
            else dataclasses.replace(request, route="auto", categories=())
            for one in chosen
        }
        for one in chosen:
            one.check(requests[one.name], now)
        context = FetchContext(self.store, self.http, now, progress or no_progress)
        report = FetchReport()
        for one in chosen:
            try:
                report.extend(one.fetch(context, requests[one.name]))
            except FetchError as exc:
                if len(chosen) == 1:
                    raise
                report.problems.append(str(exc))  # the other sources are still worth it
            except (RecursionError, MemoryError, ValueError, KeyError, TypeError) as exc:
                # A parser beaten by a hostile answer: that source fails, in one line.
                log.debug("%s failed", one.label, exc_info=True)
                reason = unexpected_failure(exc)
                if len(chosen) == 1:
                    raise FetchError(one.label, reason) from None
                report.problems.append(f"{one.label}: {reason}")
        return report

    # --- digests -------------------------------------------------------------------------------

    def digest(
        self,
        who: Profile | Reader,
        *,
        kind: str | None = None,
        date: dt.date | None = None,
        since: dt.date | None = None,
        limit: int | None = None,
        min_score: float | None = None,
        only_matching: bool | None = None,
        semantic: bool | None = None,
        fetch: bool = True,
        send: bool = False,
    ) -> DigestResult:
        """One digest: a reader's (their profile, kind and limits) or a profile's, for the
        newest day (`date`: one day; `since`: every day since). What the store lacks is
        fetched first (unless not `fetch`), papers the profile likes included. With `send`
        (a reader only), it goes to them through the ledger like `send_due`'s: papers they
        have received are left out, and a trending digest only covers days that ended."""
        from paperwire.config import check_categories
        from paperwire.digest.kinds import OneOff, kind_named
        from paperwire.digest.select import DigestBuilder
        from paperwire.sources.base import FetchContext, FetchRequest
        from paperwire.syntax import check_profile, split_weight

        if date and since:
            raise UsageError("give --date or --since, not both")
        reader = who if isinstance(who, Reader) else None
        if send and reader is None:
            raise UsageError("--send needs --subscriber EMAIL: the subscriber it goes to")
        profile = who.profile if isinstance(who, Reader) else who
        if reader is not None:  # their 👍, 👎 and past matches, as their emails have them
            from paperwire.delivery.planner import reader_feedback
            from paperwire.scoring.feedback import with_feedback

            judged = reader_feedback(self.store, [reader.email], self.now())
            if reader.email.lower() in judged:
                profile = with_feedback(profile, judged[reader.email.lower()])
        kind_name = kind or (reader.mode if reader else "topics")
        only = reader.only_matching if (reader and only_matching is None) else bool(only_matching)
        if only and kind_name != "trending":
            raise UsageError("--only-matching goes with --trending")
        if only:
            from paperwire.scoring.trending import has_topics

            if not has_topics(profile):
                raise UsageError(
                    "--only-matching needs topics: --keyword, --author, --query, "
                    "--description or --like"
                )
        settings = self.settings
        check_profile(profile)
        if profile.categories:
            check_categories(profile.categories, "--category")
        else:  # no categories of their own: the configured ones
            profile = dataclasses.replace(
                profile, categories=list(settings.sources.arxiv.categories)
            )
        embedder = self._embedder(semantic)  # before fetching: a missing extra fails fast
        sources = self.sources()
        kind_object = kind_named(kind_name, sources)
        now = self.now()
        newest_possible = kind_object.newest_asked(now)
        for option, day in (("--date", date), ("--since", since)):
            if day is not None and day > newest_possible:
                raise UsageError(
                    f"{option} {day} is after the latest {kind_object.days_noun} day, "
                    f"{newest_possible}"
                )
        context = FetchContext(self.store, self.http, now)
        categories = [split_weight(c)[0] for c in profile.categories]
        report, (newest_first, newest) = kind_object.prepare(
            context, OneOff(date, since, categories, fetch=fetch, send=send)
        )
        if profile.like and fetch:  # liked papers define the topic: fetch their text
            stored = self.store.get_papers(profile.like)
            missing = [i for i in profile.like if i not in stored]
            if missing:
                liked = self.fetch("arxiv", FetchRequest(ids=tuple(missing)))
                report.extend(liked)
        last = date or newest
        first = date or since or newest_first
        builder = DigestBuilder.from_settings(self.store, settings, now=now, embedder=embedder)

        def build(skip: set[str]) -> Digest:
            return builder.build(
                profile,
                first,
                last,
                limit=limit
                or (reader.max_papers if reader else None)
                or settings.digest.max_papers,
                min_score=settings.digest.min_score if min_score is None else min_score,
                skip=skip,
                kind=kind_name,
                only_matching=only,
                sources=reader.sources if reader else (),
            )

        if not (send and reader is not None):
            return DigestResult(build(set()), report)
        if not reader.channels:
            raise UsageError(f"{reader.email} has no channel to send on")
        # On each of the reader's channels, without the papers that channel has delivered.
        results = []
        for channel in reader.channels:
            built = build(self.store.ledger.received(reader.email, channel))
            results.append(
                DigestResult(built, report, self.send_digest(reader, built, channel=channel))
            )
        for other in results[1:]:
            assert results[0].sent is not None and other.sent is not None
            results[0].sent.merge(other.sent)
        return results[0]

    def send_digest(self, reader: Reader, digest: Digest, *, channel: str = "email") -> SendSummary:
        """Deliver one digest already built (with the papers `channel` has delivered to
        `reader` left out: `store.ledger.received`) on `channel`, recorded in the ledger like
        any other."""
        from paperwire.delivery import configured
        from paperwire.delivery.planner import send_digest

        chosen = configured(self.settings, self.store)[channel]
        return send_digest(self.store, self.settings, reader, digest, chosen, self.now())

    def _embedder(self, semantic: bool | None) -> Embedder | None:
        if not (self.settings.scoring.semantic if semantic is None else semantic):
            return None
        from paperwire.scoring.semantic import load_embedder

        return load_embedder()

    # --- sending -------------------------------------------------------------------------------

    def channels(self, *, outbox: str | None = None) -> dict[str, Channel]:
        """Every channel, by name (delivery.configured)."""
        from paperwire.delivery import configured

        return configured(self.settings, self.store, outbox=outbox)

    def send_due(
        self,
        *,
        dry_run: bool = False,
        outbox: str | None = None,
        deliver_only: bool = False,
        plan_only: bool = False,
    ) -> SendResult:
        """Build and deliver every due digest (or, with `dry_run`, say what would be done:
        nothing is written or sent). `outbox`: email goes to .eml files there. Readers whose
        kind of digest waits for missing days are held (the result's plan says which). With
        `deliver_only`, nothing is planned: the digests already planned are delivered (as a
        second sender sharing the database does); with `plan_only`, the due digests are
        recorded and none is delivered."""
        from paperwire.delivery.base import SendSummary
        from paperwire.delivery.planner import send_due
        from paperwire.digest.kinds import kinds_for
        from paperwire.scheduling.due import due_readers
        from paperwire.scheduling.tick import plan_limits

        now = self.now()
        everyone = self.readers(sync=not dry_run)
        kinds = kinds_for(self.sources(everyone))
        due = due_readers(self.store, everyone, now, kinds, self.settings.digest)
        plan = plan_limits(self.store, kinds, now, everyone)
        if not everyone:
            return SendResult(SendSummary(), due, plan, everyone)
        summary = send_due(
            self.store,
            self.settings,
            [] if deliver_only else plan.plannable(due.due),
            self.channels(outbox=outbox),
            now,
            limits=plan.limits,
            dry_run=dry_run,
            embedder=self._embedder(None),
            deliver_to=[one.email for one in everyone if not one.paused],
            deliver=not plan_only,
        )
        return SendResult(summary, due, plan, everyone)

    def tick(self, *, fetch: bool = True, force_fetch: bool = False) -> TickReport | None:
        """One tick of `run`: fetch what is due, then send what is due, under the lock that
        keeps ticks apart. None when another tick holds the lock."""
        from paperwire.scheduling.lock import LONG_HOLD, held_since, run_lock
        from paperwire.scheduling.tick import tick

        with run_lock(self.store, self.settings, self.env) as holder:
            if holder is not None:
                since = held_since(holder)
                if since is not None and self.now() - since > LONG_HOLD:
                    minutes = int((self.now() - since).total_seconds() // 60)
                    log.warning(
                        "another paperwire run has held the lock for %d minutes (%s): it may "
                        "be stuck; no digest goes out until it ends",
                        minutes,
                        holder,
                    )
                else:
                    log.info("another paperwire run is at work (%s); nothing to do", holder)
                return None
            return tick(
                self.store,
                self.settings,
                lambda: self.http,
                self.now(),
                self.channels,
                fetch=fetch,
                force_fetch=force_fetch,
                embedder=lambda: self._embedder(None),
            )

    # --- looking --------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 20) -> list[Paper]:
        """Stored papers matching a web-search style query, best first."""
        if not query.strip():
            raise UsageError("QUERY is empty")
        return self.store.search(query, limit)

    def doctor(self, skip: Sequence[str] = (), config_path: Path | None = None) -> list[Check]:
        """Check configuration, database, SMTP login and sources, changing nothing."""
        from paperwire.doctor import run_checks
        from paperwire.http import PoliteSession

        http = self.settings.http
        # One GET per source and no retries: the question is whether it answers now.
        with PoliteSession(
            user_agent=http.user_agent,
            min_interval=http.min_interval,
            timeout=http.timeout,
            retries=0,
            max_wait=http.max_wait,
            deadline=http.deadline,
        ) as session:
            return run_checks(self.settings, config_path, self.env, session, skip=skip)
