"""The delivery ledger in SQL: which digest went to whom, on which channel, for which window,
with which papers.

Each (reader, kind of digest, channel) has its own sequence of windows: an email refused for
good leaves its days to the next email, whatever the reader's Atom feed got meanwhile.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, func, select, true
from sqlalchemy.exc import IntegrityError

from paperwire.models import DeliveryState, Reason
from paperwire.store.tables import DELIVERIES, DELIVERY_PAPERS

# The reasons that say a paper showed what the reader asked for in full (not "like" papers,
# not partial matches): a reader's strongest past matches are among those.
_FULL_MATCHES = frozenset({"keyword", "query"})  # an author match says nothing of the topic

PENDING, SENT, FAILED, SKIPPED = (
    DeliveryState.PENDING,
    DeliveryState.SENT,
    DeliveryState.FAILED,
    DeliveryState.SKIPPED,
)
EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One row of the ledger."""

    id: int
    subscriber: str
    kind: str
    channel: str
    window_from: dt.date
    window_to: dt.date
    state: DeliveryState
    attempts: int
    message_id: str
    subject: str
    papers: int
    transport: str | None
    reply: str | None
    claimed_by: str | None
    claimed_at: dt.datetime | None
    created_at: dt.datetime
    sent_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    """A digest about to be recorded: its window, its channel's payload, the papers it shows.

    `payload` is what the channel needs to deliver it later (an email's bytes); a channel that
    builds its output at delivery time (a feed file) has none. `state` is PENDING, or SKIPPED
    for a window in which nothing matched."""

    subscriber: str
    window_from: dt.date
    window_to: dt.date
    message_id: str
    subject: str
    payload: bytes | None
    papers: Sequence[tuple[str, float]]  # (paper key, score), in rank order
    kind: str = "topics"  # or "trending": featured days, not announcement days
    channel: str = EMAIL
    state: DeliveryState = DeliveryState.PENDING
    # Papers the digest lists that the channel does not show (beyond the reader's limit, or
    # cut to fit an email): on the digest's page only, never "received".
    unshown: Sequence[tuple[str, float]] = ()
    reasons: Mapping[str, Sequence[Reason]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ListedPaper:
    """One paper of a recorded digest, as its page lists it."""

    key: str
    rank: int
    score: float
    shown: bool
    reasons: tuple[Reason, ...]


def _reasons_json(reasons: Sequence[Reason]) -> list[list[object]]:
    return [[r.kind, r.term, list(r.where), list(r.forms)] for r in reasons]


def _reasons(value: object) -> tuple[Reason, ...]:
    if not isinstance(value, list):
        return ()
    found = []
    for item in value:
        if isinstance(item, list) and len(item) == 4:
            kind, term, where, forms = item
            found.append(
                Reason(str(kind), str(term), tuple(map(str, where)), tuple(map(str, forms)))
            )
    return tuple(found)


def _aware(value: dt.datetime | str) -> dt.datetime:
    """max() of a UTC column may come back naive (SQLite); give the value its zone back."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _delivery(row: object) -> Delivery:
    values = {name: getattr(row, name) for name in Delivery.__slots__}
    values["state"] = DeliveryState(values["state"])
    return Delivery(**values)


_COLUMNS = [DELIVERIES.c[name] for name in Delivery.__slots__]


class Ledger:
    """Reads and writes the deliveries tables. Each method is one short transaction, so a
    crash between two calls leaves every row in a state the next run understands."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def deliveries(self, subscriber: str | None = None) -> list[Delivery]:
        """Every delivery, oldest first (one subscriber's, when given)."""
        query = select(*_COLUMNS).order_by(DELIVERIES.c.id)
        if subscriber is not None:
            query = query.where(DELIVERIES.c.subscriber == subscriber.lower())
        with self.engine.connect() as connection:
            return [_delivery(row) for row in connection.execute(query)]

    def windows(
        self, subscriber: str, kind: str = "topics", channel: str = EMAIL
    ) -> list[tuple[dt.date, dt.date, DeliveryState]]:
        """(first day, last day, state) of each of a subscriber's deliveries of one kind on
        one channel, oldest first."""
        query = (
            select(DELIVERIES.c.window_from, DELIVERIES.c.window_to, DELIVERIES.c.state)
            .where(
                DELIVERIES.c.subscriber == subscriber.lower(),
                DELIVERIES.c.kind == kind,
                DELIVERIES.c.channel == channel,
            )
            .order_by(DELIVERIES.c.id)
        )
        with self.engine.connect() as connection:
            return [(row[0], row[1], DeliveryState(row[2])) for row in connection.execute(query)]

    def last_digests(self, kind: str = "topics") -> dict[str, tuple[dt.datetime, dt.date]]:
        """Per subscriber: when their newest digest of this kind was recorded (on any
        channel), and the last day any of them covered (whatever became of them)."""
        query = (
            select(
                DELIVERIES.c.subscriber,
                func.max(DELIVERIES.c.created_at),
                func.max(DELIVERIES.c.window_to),
            )
            .where(DELIVERIES.c.kind == kind)
            .group_by(DELIVERIES.c.subscriber)
        )
        with self.engine.connect() as connection:
            return {row[0]: (_aware(row[1]), _date(row[2])) for row in connection.execute(query)}

    def strongest(
        self, subscribers: Sequence[str], since: dt.date, limit: int, top: int = 3
    ) -> dict[str, tuple[str, ...]]:
        """Per reader (lower-cased), the `limit` highest-scoring papers among the first `top`
        of each of their topics digests whose window starts on or after `since` (pending or
        sent, shown), counting only papers that matched a keyword or query in full."""
        wanted = sorted({s.strip().lower() for s in subscribers})
        found: dict[str, dict[str, float]] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), 500):  # by the subscriber index, 500 at a time
                query = (
                    select(
                        DELIVERY_PAPERS.c.subscriber,
                        DELIVERY_PAPERS.c.paper_id,
                        DELIVERY_PAPERS.c.score,
                        DELIVERY_PAPERS.c.reasons,
                    )
                    .join(DELIVERIES, DELIVERIES.c.id == DELIVERY_PAPERS.c.delivery_id)
                    .where(
                        # The deliveries by their window index, then each one's papers.
                        DELIVERIES.c.subscriber.in_(wanted[start : start + 500]),
                        DELIVERIES.c.kind == "topics",
                        DELIVERIES.c.window_from >= since,
                        DELIVERY_PAPERS.c.rank <= top,
                        DELIVERY_PAPERS.c.shown == true(),
                        DELIVERIES.c.state.in_((PENDING, SENT)),
                    )
                )
                for subscriber, paper, score, reasons in connection.execute(query):
                    if any(
                        isinstance(r, list) and r and r[0] in _FULL_MATCHES for r in reasons or ()
                    ):
                        scores = found.setdefault(subscriber, {})
                        scores[paper] = max(score, scores.get(paper, score))
        return {
            s: tuple(sorted(scores, key=lambda k: (-scores[k], k))[:limit])
            for s, scores in found.items()
        }

    def received(self, subscriber: str, channel: str = EMAIL) -> set[str]:
        """Keys of the papers the subscriber has received on a channel, or will with a
        pending digest."""
        query = (
            select(DELIVERY_PAPERS.c.paper_id)
            .join(DELIVERIES, DELIVERIES.c.id == DELIVERY_PAPERS.c.delivery_id)
            .where(
                DELIVERY_PAPERS.c.subscriber == subscriber.lower(),
                DELIVERIES.c.channel == channel,
                DELIVERIES.c.state.in_((PENDING, SENT)),
                DELIVERY_PAPERS.c.shown == true(),
            )
        )
        with self.engine.connect() as connection:
            return set(connection.execute(query).scalars())

    def delivered_papers(
        self,
        subscriber: str,
        channel: str,
        limit: int,
        *,
        including: int | None = None,
        now: dt.datetime | None = None,
    ) -> list[tuple[str, dt.datetime]]:
        """The newest `limit` papers delivered to a subscriber on a channel, newest first:
        (paper key, when its digest was delivered). `including`: a delivery being delivered
        right now counts too, as of `now`, and so do the others claimed at this moment (by
        another process, whose file write may come first)."""
        delivered = DELIVERIES.c.state == SENT
        if including is not None:
            in_flight = (DELIVERIES.c.state == PENDING) & DELIVERIES.c.claimed_by.is_not(None)
            delivered = delivered | (DELIVERIES.c.id == including) | in_flight
        query = (
            select(DELIVERY_PAPERS.c.paper_id, DELIVERIES.c.sent_at)
            .join(DELIVERIES, DELIVERIES.c.id == DELIVERY_PAPERS.c.delivery_id)
            .where(
                DELIVERY_PAPERS.c.subscriber == subscriber.lower(),
                DELIVERIES.c.channel == channel,
                DELIVERY_PAPERS.c.shown == true(),
                delivered,
            )
            .order_by(DELIVERIES.c.id.desc(), DELIVERY_PAPERS.c.rank)
            .limit(limit)
        )
        moment = now or dt.datetime.now(dt.UTC)
        with self.engine.connect() as connection:
            return [
                (row[0], _aware(row[1]) if row[1] is not None else moment)
                for row in connection.execute(query)
            ]

    def add(self, planned: PlannedDelivery, now: dt.datetime) -> int | None:
        """Record a digest (pending, or skipped) with its papers, in one transaction. None
        when the subscriber already has a live delivery of this kind on this channel starting
        on that day (another process planned it first)."""
        return self.add_many([planned], now)[0]

    def add_many(self, planned: Sequence[PlannedDelivery], now: dt.datetime) -> list[int | None]:
        """Record digests as `add` does, all in one transaction; should one of them be taken
        already (another process planned it first), each is recorded on its own instead."""
        if not planned:
            return []
        try:
            with self.engine.begin() as connection:
                return list(self._insert(connection, planned, now))
        except IntegrityError:
            if len(planned) == 1:
                return [None]
        return [self.add_many([one], now)[0] for one in planned]

    @staticmethod
    def _insert(
        connection: Connection, planned: Sequence[PlannedDelivery], now: dt.datetime
    ) -> list[int]:
        rows = [
            {
                "subscriber": one.subscriber.lower(),
                "kind": one.kind,
                "channel": one.channel,
                "window_from": one.window_from,
                "window_to": one.window_to,
                "state": one.state,
                "attempts": 0,
                "message_id": one.message_id,
                "subject": one.subject,
                "papers": len(one.papers),
                "message": one.payload,
                "created_at": now,
                "updated_at": now,
            }
            for one in planned
        ]
        if len(rows) == 1:  # insertmanyvalues would add a sort column for nothing
            query = DELIVERIES.insert().returning(DELIVERIES.c.id)
            ids = [int(connection.execute(query, rows[0]).scalar_one())]
        else:
            query = DELIVERIES.insert().returning(DELIVERIES.c.id, sort_by_parameter_order=True)
            ids = [int(i) for i in connection.execute(query, rows).scalars()]
        papers = []
        for one, delivery_id in zip(planned, ids, strict=True):
            listed = [(k, s, True) for k, s in one.papers]
            seen = {k for k, _ in one.papers}
            listed += [(k, s, False) for k, s in one.unshown if k not in seen]
            papers += [
                {
                    "delivery_id": delivery_id,
                    "paper_id": key,
                    "subscriber": one.subscriber.lower(),
                    "rank": rank,
                    "score": score,
                    "shown": shown,
                    "reasons": (_reasons_json(one.reasons[key]) if key in one.reasons else None),
                }
                for rank, (key, score, shown) in enumerate(listed, 1)
            ]
        if papers:
            connection.execute(DELIVERY_PAPERS.insert(), papers)
        return ids

    def listed(
        self, subscriber: str, kind: str, window_from: dt.date, channel: str = EMAIL
    ) -> tuple[Delivery, list[ListedPaper]] | None:
        """A reader's digest of one kind starting on `window_from` (pending or sent) and every
        paper it lists, in rank order; None when there is none."""
        query = select(*_COLUMNS).where(
            DELIVERIES.c.subscriber == subscriber.strip().lower(),
            DELIVERIES.c.kind == kind,
            DELIVERIES.c.channel == channel,
            DELIVERIES.c.window_from == window_from,
            DELIVERIES.c.state.in_((PENDING, SENT)),
        )
        papers = select(
            DELIVERY_PAPERS.c.paper_id,
            DELIVERY_PAPERS.c.rank,
            DELIVERY_PAPERS.c.score,
            DELIVERY_PAPERS.c.shown,
            DELIVERY_PAPERS.c.reasons,
        ).order_by(DELIVERY_PAPERS.c.rank)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
            if row is None:
                return None
            delivery = _delivery(row)
            rows = connection.execute(papers.where(DELIVERY_PAPERS.c.delivery_id == delivery.id))
            return delivery, [
                ListedPaper(r.paper_id, r.rank, r.score, bool(r.shown), _reasons(r.reasons))
                for r in rows
            ]

    def add_reasons(self, delivery_id: int, reasons: Mapping[str, Sequence[Reason]]) -> None:
        """Keep why each of a recorded digest's papers is listed (explained after the fact)."""
        if not reasons:
            return
        statement = (
            DELIVERY_PAPERS.update()
            .where(
                DELIVERY_PAPERS.c.delivery_id == bindparam("delivery"),
                DELIVERY_PAPERS.c.paper_id == bindparam("paper"),
            )
            .values(reasons=bindparam("why"))
        )
        rows = [
            {"delivery": delivery_id, "paper": key, "why": _reasons_json(why)}
            for key, why in reasons.items()
        ]
        with self.engine.begin() as connection:
            connection.execute(statement, rows)

    def pending(self, channels: Collection[str] | None = None) -> list[Delivery]:
        """Digests recorded but not yet delivered, oldest first (on `channels`, when given)."""
        query = select(*_COLUMNS).where(DELIVERIES.c.state == PENDING).order_by(DELIVERIES.c.id)
        if channels is not None:
            query = query.where(DELIVERIES.c.channel.in_(list(channels)))
        with self.engine.connect() as connection:
            return [_delivery(row) for row in connection.execute(query)]

    def payload(self, delivery_id: int) -> bytes | None:
        """What the channel keeps to deliver a pending digest (an email's bytes)."""
        with self.engine.connect() as connection:
            return connection.execute(
                select(DELIVERIES.c.message).where(DELIVERIES.c.id == delivery_id)
            ).scalar_one_or_none()

    def claim(self, delivery: Delivery, owner: str, now: dt.datetime) -> bool:
        """Take a pending delivery for sending and count the attempt, unless another process
        changed it since it was read (compare-and-set on its claim and attempts)."""
        query = DELIVERIES.update().where(
            DELIVERIES.c.id == delivery.id,
            DELIVERIES.c.state == PENDING,
            DELIVERIES.c.attempts == delivery.attempts,
            DELIVERIES.c.claimed_by.is_(None)
            if delivery.claimed_by is None
            else DELIVERIES.c.claimed_by == delivery.claimed_by,
        )
        values = {
            "attempts": delivery.attempts + 1,
            "claimed_by": owner,
            "claimed_at": now,
            "updated_at": now,
        }
        with self.engine.begin() as connection:
            return connection.execute(query.values(**values)).rowcount == 1

    def finish(
        self,
        delivery_id: int,
        state: DeliveryState,
        *,
        reply: str,
        transport: str,
        now: dt.datetime,
        owner: str | None = None,
    ) -> None:
        """Record how it went. A sent or failed delivery drops its payload; a pending one (a
        temporary refusal) keeps it for the next try. With `owner`, only while that process
        still holds the claim."""
        values: dict[str, object] = {
            "state": state,
            "reply": reply,
            "transport": transport,
            "claimed_by": None,
            "claimed_at": None,
            "updated_at": now,
        }
        if state == SENT:
            values["sent_at"] = now
        if state in (SENT, FAILED, SKIPPED):
            values["message"] = None
        query = DELIVERIES.update().where(DELIVERIES.c.id == delivery_id)
        if owner is not None:
            query = query.where(DELIVERIES.c.claimed_by == owner)
        with self.engine.begin() as connection:
            connection.execute(query.values(**values))

    def claim_batch(
        self,
        channel: str,
        owner: str,
        now: dt.datetime,
        *,
        size: int,
        lease: dt.timedelta,
        ids: Collection[int] | None = None,
        exclude: Collection[int] = (),
    ) -> list[tuple[Delivery, bytes | None]]:
        """Take up to `size` pending deliveries of a channel for sending, oldest first: (each,
        its payload). An attempt is counted for each only when it begins (`attempt`).

        Claimable: unclaimed, claimed by `owner` before (an interrupted run), or claimed longer
        than `lease` ago (a process elsewhere that is gone). On PostgreSQL the rows are picked
        with FOR UPDATE SKIP LOCKED, so senders on several machines each take a batch of their
        own without waiting for one another; SQLite's single writer does the same in turn.
        `ids` limits the choice to those deliveries, `exclude` leaves some out."""
        stale = now - lease
        picked = (
            select(DELIVERIES.c.id)
            .where(
                DELIVERIES.c.state == PENDING,
                DELIVERIES.c.channel == channel,
                DELIVERIES.c.claimed_by.is_(None)
                | (DELIVERIES.c.claimed_by == owner)
                | DELIVERIES.c.claimed_at.is_(None)
                | (DELIVERIES.c.claimed_at < stale),
            )
            .order_by(DELIVERIES.c.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        )
        if ids is not None:
            picked = picked.where(DELIVERIES.c.id.in_(list(ids)))
        if exclude:
            picked = picked.where(DELIVERIES.c.id.not_in(list(exclude)))
        query = (
            DELIVERIES.update()
            .where(DELIVERIES.c.id.in_(picked.scalar_subquery()))
            .values(claimed_by=owner, claimed_at=now, updated_at=now)
            .returning(*_COLUMNS, DELIVERIES.c.message)
        )
        with self.engine.begin() as connection:
            rows = connection.execute(query).all()
        return [(_delivery(row), row.message) for row in sorted(rows, key=lambda r: r.id)]

    def attempt(self, delivery_id: int, owner: str, now: dt.datetime) -> bool:
        """Count an attempt on a delivery `owner` claimed, before it is made (a crash during
        it leaves the attempt counted); False when the claim was lost meanwhile."""
        query = (
            DELIVERIES.update()
            .where(
                DELIVERIES.c.id == delivery_id,
                DELIVERIES.c.state == PENDING,
                DELIVERIES.c.claimed_by == owner,
            )
            .values(attempts=DELIVERIES.c.attempts + 1, claimed_at=now, updated_at=now)
        )
        with self.engine.begin() as connection:
            return connection.execute(query).rowcount == 1

    def unclaim(self, delivery_ids: Collection[int], owner: str) -> None:
        """Give back claimed deliveries that were not tried."""
        if not delivery_ids:
            return
        query = (
            DELIVERIES.update()
            .where(DELIVERIES.c.id.in_(list(delivery_ids)), DELIVERIES.c.claimed_by == owner)
            .values(claimed_by=None, claimed_at=None)
        )
        with self.engine.begin() as connection:
            connection.execute(query)

    def clear_claim(self, delivery: Delivery) -> bool:
        """Drop a claim whose process is known to be gone (compare-and-set: only the claim that
        was read); the attempt it made stays counted."""
        query = (
            DELIVERIES.update()
            .where(
                DELIVERIES.c.id == delivery.id,
                DELIVERIES.c.state == PENDING,
                DELIVERIES.c.claimed_by == delivery.claimed_by,
            )
            .values(claimed_by=None, claimed_at=None)
        )
        with self.engine.begin() as connection:
            return connection.execute(query).rowcount == 1

    def release(self, delivery_id: int, owner: str, now: dt.datetime) -> None:
        """Give back a claim whose attempt never reached a server (it does not count)."""
        with self.engine.begin() as connection:
            connection.execute(
                DELIVERIES.update()
                .where(DELIVERIES.c.id == delivery_id, DELIVERIES.c.claimed_by == owner)
                .values(
                    attempts=DELIVERIES.c.attempts - 1,
                    claimed_by=None,
                    claimed_at=None,
                    updated_at=now,
                )
            )
