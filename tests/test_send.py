"""`paperwire send` and the ledger: windows, never a paper twice, retries, crashes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import os
import random
import socket
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from delivering import email_channels, readers_of
from smtpserver import SmtpTestServer

from paperwire import tokens
from paperwire.config import Settings
from paperwire.delivery.email.compose import MESSAGE_BUDGET, compose_digest
from paperwire.delivery.email.outbox import OutboxTransport
from paperwire.delivery.email.smtp import SmtpTransport
from paperwire.delivery.links import digest_subject, feedback_subject
from paperwire.delivery.planner import send_due
from paperwire.models import AnnounceType, Digest, Paper, Profile, Reader, ScoredPaper
from paperwire.sources.arxiv.ids import arxiv_links
from paperwire.store import Store, open_store
from paperwire.store.ledger import PlannedDelivery

DAY1, DAY2, DAY3 = dt.date(2026, 11, 18), dt.date(2026, 11, 19), dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 7, tzinfo=dt.UTC)


def paper(arxiv_id: str, title: str, day: dt.date, kind: str = "new", **extra: object) -> Paper:
    values: dict[str, object] = {
        "abstract": f"We study {title.lower()} in depth and report results.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG"],
        "primary_category": "cs.LG",
        "version": 1,
        "announce_type": AnnounceType(kind),
        "announced": day,
    }
    values.update(extra)
    return Paper(arxiv_id, title, links=arxiv_links(arxiv_id), **values)  # type: ignore[arg-type]


def announce(store: Store, *papers: Paper) -> None:
    with store.transaction() as connection:
        store.upsert_papers(connection, list(papers), NOW)


def settings(**sections: dict[str, object]) -> Settings:
    values: dict[str, object] = {
        "sources": {"arxiv": {"categories": ["cs.LG"], "announce_types": ["new", "replace"]}},
        "delivery": {"retry_delay": 0},
        "subscribers": [
            {"email": "ada@example.org", "name": "Ada", "keywords": ["diffusion"]},
            {"email": "bob@example.org", "keywords": ["transformer"]},
        ],
    }
    values.update(sections)
    return Settings.model_validate(values)


def outbox_messages(directory: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(directory.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def by_recipient(messages: list[EmailMessage]) -> dict[str, list[EmailMessage]]:
    grouped: dict[str, list[EmailMessage]] = {}
    for message in messages:
        grouped.setdefault(message["To"].addresses[0].addr_spec, []).append(message)
    return grouped


def shown_ids(message: EmailMessage) -> list[str]:
    """The arXiv ids a digest's text part links to, in order."""
    body = message.get_body(("plain",))
    assert body is not None
    ids = []
    for line in body.get_content().splitlines():
        if "arxiv.org/abs/" in line:
            found = line.split("arxiv.org/abs/", 1)[1].split()[0].rstrip(").,>")
            if found not in ids:
                ids.append(found)
    return ids


def run(store: Store, config: Settings, outbox: Path, now: dt.datetime = NOW):  # type: ignore[no-untyped-def]
    return send_due(
        store, config, readers_of(config), email_channels(config, OutboxTransport(outbox)), now
    )


def test_first_digest_is_the_newest_day_and_a_second_send_sends_nothing(
    store: Store, tmp_path: Path
) -> None:
    announce(
        store,
        paper("2611.00001", "Diffusion models for graphs", DAY1),
        paper("2611.00002", "Latent diffusion at scale", DAY2),
        paper("2611.00003", "A transformer for tables", DAY2),
        paper("2611.00004", "Bandits without regret", DAY2),
    )
    config = settings()

    first = run(store, config, tmp_path)
    second = run(store, config, tmp_path / "second")

    mail = by_recipient(outbox_messages(tmp_path))
    assert [shown_ids(m) for m in mail["ada@example.org"]] == [["2611.00002"]]
    assert [shown_ids(m) for m in mail["bob@example.org"]] == [["2611.00003"]]
    assert first.count("sent") == 2 and not first.failed
    assert [o.status for o in second.outcomes] == ["nothing", "nothing"]
    assert not (tmp_path / "second").exists() or outbox_messages(tmp_path / "second") == []
    rows = store.ledger.deliveries()
    assert [(r.subscriber, r.state, r.window_from, r.window_to, r.attempts) for r in rows] == [
        ("ada@example.org", "sent", DAY2, DAY2, 1),
        ("bob@example.org", "sent", DAY2, DAY2, 1),
    ]
    assert store.ledger.received("ada@example.org") == {"2611.00002"}


def test_missed_days_are_caught_up_in_one_digest_bounded_by_max_age(
    store: Store, tmp_path: Path
) -> None:
    announce(store, paper("2611.00001", "Diffusion one", DAY1))
    config = settings()
    run(store, config, tmp_path / "a")
    announce(
        store,
        paper("2611.00002", "Diffusion two", DAY2),
        paper("2611.00003", "Diffusion three", DAY3),
    )
    run(store, config, tmp_path / "b")
    # Away for weeks: the next digest reaches back max_age_days only.
    later = DAY3 + dt.timedelta(days=20)
    announce(
        store,
        paper("2612.00001", "Diffusion old news", later - dt.timedelta(days=7)),
        paper("2612.00002", "Diffusion recent", later - dt.timedelta(days=6)),
        paper("2612.00003", "Diffusion today", later),
    )
    run(store, config, tmp_path / "c", dt.datetime.combine(later, dt.time(12), dt.UTC))

    ada = [by_recipient(outbox_messages(tmp_path / d))["ada@example.org"] for d in "abc"]
    assert [[sorted(shown_ids(m)) for m in messages] for messages in ada] == [
        [["2611.00001"]],
        [["2611.00002", "2611.00003"]],
        [["2612.00002", "2612.00003"]],
    ]
    windows = [(r.window_from, r.window_to) for r in store.ledger.deliveries("ada@example.org")]
    assert windows == [
        (DAY1, DAY1),
        (DAY2, DAY3),
        (later - dt.timedelta(days=6), later),
    ]


def test_a_paper_announced_again_is_never_sent_twice(store: Store, tmp_path: Path) -> None:
    announce(store, paper("2611.00001", "Diffusion models, first version", DAY1))
    config = settings()
    run(store, config, tmp_path / "a")
    # Replaced the next day (announce type "replace", which this reader's config includes).
    announce(
        store,
        paper("2611.00001", "Diffusion models, second version", DAY2, "replace", version=2),
        paper("2611.00009", "Diffusion newcomer", DAY2),
    )
    run(store, config, tmp_path / "b")

    ada = by_recipient(outbox_messages(tmp_path / "b"))["ada@example.org"]
    assert [shown_ids(m) for m in ada] == [["2611.00009"]]


def test_empty_windows_are_skipped_or_get_a_note(store: Store, tmp_path: Path) -> None:
    announce(store, paper("2611.00001", "Bandits without regret", DAY1))

    skipped = run(store, settings(), tmp_path / "skip")
    assert [o.status for o in skipped.outcomes] == ["skipped", "skipped"]
    assert not (tmp_path / "skip").exists() or not list((tmp_path / "skip").iterdir())
    assert {r.state for r in store.ledger.deliveries()} == {"skipped"}
    # The skipped window is spoken for: the same day is not looked at again.
    assert [o.status for o in run(store, settings(), tmp_path / "x").outcomes] == [
        "nothing",
        "nothing",
    ]

    announce(store, paper("2611.00002", "Bandits again", DAY2))
    noted = run(store, settings(digest={"empty": "note"}), tmp_path / "note")
    messages = outbox_messages(tmp_path / "note")
    assert noted.count("sent") == 2 and len(messages) == 2
    assert all(shown_ids(m) == [] for m in messages)
    assert all("nothing matched" in m.get_body(("plain",)).get_content().lower() for m in messages)


def test_dry_run_plans_without_recording_or_sending(store: Store, tmp_path: Path) -> None:
    announce(store, paper("2611.00002", "Latent diffusion at scale", DAY2))
    config = settings()

    summary = send_due(
        store,
        config,
        readers_of(config),
        email_channels(config, OutboxTransport(tmp_path)),
        NOW,
        dry_run=True,
    )

    assert [(o.subscriber, o.status, o.papers) for o in summary.outcomes] == [
        ("ada@example.org", "planned", 1),
        ("bob@example.org", "skipped", 0),
    ]
    assert store.ledger.deliveries() == []
    assert not tmp_path.exists() or outbox_messages(tmp_path) == []


def test_one_live_digest_per_window_start(store: Store) -> None:
    planned = PlannedDelivery("ada@example.org", DAY1, DAY2, "<a@x>", "s", b"m", [("1", 1.0)])

    first = store.ledger.add(planned, NOW)
    twice = store.ledger.add(planned, NOW)
    longer = store.ledger.add(
        PlannedDelivery("ADA@example.org", DAY1, DAY3, "<b@x>", "s", b"m", []), NOW
    )

    assert first is not None and twice is None and longer is None
    assert len(store.ledger.deliveries()) == 1


def _long_digest(count: int, matched: int, first: dt.date = DAY1) -> Digest:
    """`count` papers with long abstracts and 40 authors each, of `matched` that matched."""
    long_abstract = ("Diffusion " + "models learn to reverse a noising process. " * 60)[:1900]
    papers = [
        ScoredPaper(
            paper(
                f"2611.{i:05d}",
                f"Diffusion paper number {i} with a long title about score matching",
                DAY2,
                abstract=long_abstract,
                authors=[f"Author {n} Surname{n}" for n in range(40)],
            ),
            10.0 - i / 100,
            ["diffusion"],
        )
        for i in range(count)
    ]
    return Digest(Profile(keywords=["diffusion"]), first, DAY2, 500, papers, NOW, matched)


def test_a_long_digest_is_cut_to_fit_the_message_budget() -> None:
    digest = _long_digest(120, 150, first=DAY2)
    reader = Reader("ada@example.org", digest.profile, name="Ada")
    config = settings()

    composed = compose_digest(digest, reader, config.smtp.from_address, config.delivery, NOW)
    message, data, shown = composed.message, composed.data, composed.shown

    assert len(data) <= MESSAGE_BUDGET
    assert 10 <= len(shown.papers) < 120
    assert shown.more == 150 - len(shown.papers)
    text = message.get_body(("plain",)).get_content()
    assert f"{shown.more} more" in text


PAGES = "https://pages.example.org"
SECRET = "test-secret-2f8c1d9a7b3e4f60a1c2d3e4f5a6b7c8"


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("pages", [False, True])
def test_a_cut_digest_keeps_the_most_papers_that_fit(seed: int, pages: bool) -> None:
    """Papers of very different sizes (a line through two sizes mispredicts the cut): the
    digest shown is the longest prefix that fits, one paper more does not."""
    rng = random.Random(seed)
    digest = _long_digest(60, matched=70)
    papers = []
    for scored in digest.papers:
        abstract = ("Score matching " + "reverses noise. " * rng.randint(1, 160))[:2400]
        authors = [f"Author {n} Surname{n}" for n in range(rng.choice([1, 3, 40, 200]))]
        paper_ = dataclasses.replace(scored.paper, abstract=abstract, authors=authors)
        papers.append(dataclasses.replace(scored, paper=paper_))
    digest = dataclasses.replace(digest, papers=papers)
    reader = Reader("ada@example.org", digest.profile)
    config = settings(delivery={"base_url": PAGES, "secret": SECRET}) if pages else settings()

    def compose(candidate: Digest) -> tuple[bytes, Digest]:
        composed = compose_digest(candidate, reader, config.smtp.from_address, config.delivery, NOW)
        return composed.data, composed.shown

    data, shown = compose(digest)
    count = len(shown.papers)
    assert len(data) <= MESSAGE_BUDGET and 0 < count < 60
    one_more = dataclasses.replace(digest, papers=digest.papers[: count + 1])
    _, shown_one_more = compose(one_more)
    assert len(shown_one_more.papers) == count  # count + 1 papers do not fit


def _query(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(url).query))


def test_with_pages_each_paper_offers_a_signed_vote_and_the_rest_a_signed_page() -> None:
    digest = _long_digest(3, matched=8)
    reader = Reader("ada@example.org", digest.profile, name="Ada")
    config = settings(delivery={"base_url": PAGES, "secret": SECRET})

    composed = compose_digest(digest, reader, config.smtp.from_address, config.delivery, NOW)
    message, shown = composed.message, composed.shown

    html = message.get_body(("html",)).get_content()
    soup = BeautifulSoup(html, "html.parser")
    for scored in shown.papers:
        key = scored.paper.key
        cell = soup.find("td", id=f"p{shown.papers.index(scored) + 1}")
        up, down = cell.find("p", class_="fb").find_all("a")
        for link, vote in ((up, "up"), (down, "down")):
            assert link["href"].startswith(f"{PAGES}/feedback?")
            query = _query(link["href"])
            assert (query["email"], query["paper"], query["vote"]) == ("ada@example.org", key, vote)
            subject = feedback_subject("ada@example.org", key)
            assert tokens.verify(SECRET, query["token"], tokens.FEEDBACK, subject, NOW)
    [page] = soup.find("td", class_="more").find_all("a")
    query = _query(page["href"])
    assert page["href"].startswith(f"{PAGES}/digest?")
    assert (query["kind"], query["day"]) == ("topics", DAY1.isoformat())
    subject = digest_subject("ada@example.org", "topics", DAY1)
    assert tokens.verify(SECRET, query["token"], tokens.DIGEST, subject, NOW)
    text = (
        message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    )  # as read off the wire: CRLF
    assert text.count(f"    👍 More like this: {PAGES}/feedback?") == 3
    assert f"5 more papers matched.\nSee every paper of this digest:\n    {PAGES}/digest?" in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"<{PAGES}/unsubscribe?email=ada%40example.org&token=" in message["List-Unsubscribe"]


def test_without_pages_no_vote_and_the_rest_are_a_command_away() -> None:
    digest = _long_digest(3, matched=8)
    reader = Reader("ada@example.org", digest.profile, name="Ada")
    config = settings()

    message = compose_digest(digest, reader, config.smtp.from_address, config.delivery, NOW).message

    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "like this" not in part and "/feedback" not in part
    assert (
        "5 more papers matched.\nTo see them:\n"
        f"    paperwire digest --subscriber ada@example.org --since {DAY1} --limit 8\n"
    ) in text
    assert message["List-Unsubscribe-Post"] is None


def test_a_long_digest_with_its_vote_links_still_fits_the_budget() -> None:
    digest = _long_digest(120, matched=150)
    reader = Reader("ada@example.org", digest.profile, name="Ada")
    config = settings(delivery={"base_url": PAGES, "secret": SECRET})
    without = settings()

    composed = compose_digest(digest, reader, config.smtp.from_address, config.delivery, NOW)
    message, data, shown = composed.message, composed.data, composed.shown
    shown_without = compose_digest(
        digest, reader, without.smtp.from_address, without.delivery, NOW
    ).shown

    assert len(data) <= MESSAGE_BUDGET
    assert 10 <= len(shown.papers) < len(shown_without.papers)  # the links cost some papers
    for kind in ("plain", "html"):
        part = message.get_body((kind,)).get_content()
        assert part.count("vote=up") == len(shown.papers)
    assert shown.more == 150 - len(shown.papers)


@pytest.mark.parametrize(
    "hostile",
    [
        "Evil\r\nBcc: victim@example.net",
        "Evil\nX-Injected: 1",
        # An RFC 2047 encoded word hiding "\r\nBcc: victim@example.net\r\n\r\nPhish"
        "Evil =?utf-8?b?DQpCY2M6IHZpY3RpbUBleGFtcGxlLm5ldA0KDQpQaGlzaA==?=",
    ],
)
def test_feed_text_cannot_inject_a_header(store: Store, tmp_path: Path, hostile: str) -> None:
    announce(store, paper("2611.00002", f"Diffusion {hostile}", DAY2))

    run(store, settings(), tmp_path)

    [message] = outbox_messages(tmp_path)
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert "\n" not in str(message["Subject"]) and "Evil" in str(message["Subject"])


# --- over a real SMTP server --------------------------------------------------------------


def smtp_config(server: SmtpTestServer, *emails: str, **delivery: object) -> Settings:
    return settings(
        smtp={"host": "127.0.0.1", "port": server.port, "security": "none", "timeout": 2.0},
        delivery={"retry_delay": 0} | delivery,
        subscribers=[{"email": e, "keywords": ["diffusion"]} for e in emails],
    )


def smtp_run(store: Store, config: Settings, sleep: list[float] | None = None):  # type: ignore[no-untyped-def]
    return send_due(
        store,
        config,
        readers_of(config),
        email_channels(config, SmtpTransport(config.smtp)),
        NOW,
        sleep=(sleep.append if sleep is not None else lambda _s: None),
    )


def accepted(server: SmtpTestServer) -> list[str]:
    return sorted(r for m in server.messages for r in m.rcpt_tos)


READERS = ("ada@example.org", "bob@example.org", "cy@example.org")


def test_a_451_for_one_reader_is_retried_by_the_next_send_only(
    store: Store, smtp_server: SmtpTestServer
) -> None:
    announce(store, paper("2611.00002", "Latent diffusion at scale", DAY2))
    smtp_server.refuse("bob@example.org", 451, "4.3.0 Try again later", times=2)
    config = smtp_config(smtp_server, *READERS, retries_per_run=1, retry_delay=2.0)
    pauses: list[float] = []

    first = smtp_run(store, config, pauses)
    after_first = accepted(smtp_server)
    second = smtp_run(store, config)
    third = smtp_run(store, config)

    assert after_first == ["ada@example.org", "cy@example.org"]
    assert first.failed and pauses == [2.0]  # one pause, then one more try within the run
    [deferred] = [o for o in first.outcomes if o.status == "deferred"]
    assert deferred.subscriber == "bob@example.org"
    assert "451 4.3.0 Try again later" in deferred.detail
    assert [o.status for o in second.outcomes if o.subscriber == "bob@example.org"] == ["sent"]
    assert not second.failed and second.count("sent") == 1
    assert accepted(smtp_server) == sorted(READERS)  # each exactly once
    assert third.count("sent") == 0 and len(smtp_server.messages) == 3
    bob = store.ledger.deliveries("bob@example.org")
    assert [(d.state, d.attempts) for d in bob] == [("sent", 3)]
    assert bob[0].reply is not None and bob[0].reply.startswith("250")


def test_temporary_refusals_give_up_after_max_attempts(
    store: Store, smtp_server: SmtpTestServer
) -> None:
    announce(store, paper("2611.00002", "Latent diffusion at scale", DAY2))
    smtp_server.refuse("ada@example.org", 452, "4.2.2 Mailbox full", times=None)
    config = smtp_config(smtp_server, "ada@example.org", max_attempts=3, retries_per_run=0)

    states = []
    for _ in range(4):
        smtp_run(store, config)
        [delivery] = store.ledger.deliveries()
        states.append((delivery.state, delivery.attempts))

    assert states == [("pending", 1), ("pending", 2), ("failed", 3), ("failed", 3)]
    assert "gave up after 3 attempts: 452 4.2.2 Mailbox full" in (delivery.reply or "")
    assert smtp_server.messages == []


def test_a_5xx_is_recorded_and_its_days_go_to_the_next_digest(
    store: Store, smtp_server: SmtpTestServer
) -> None:
    announce(store, paper("2611.00002", "Latent diffusion at scale", DAY2))
    smtp_server.reject("ada@example.org", times=1)
    config = smtp_config(smtp_server, "ada@example.org")

    first = smtp_run(store, config)
    again = smtp_run(store, config)  # nothing newer: the failed digest is not re-sent
    announce(store, paper("2611.00003", "Diffusion for proteins", DAY3))
    catch_up = smtp_run(store, config)

    assert [(o.status, o.detail) for o in first.outcomes] == [
        ("failed", "550 5.1.1 Mailbox unavailable")
    ]
    assert [o.status for o in again.outcomes] == ["nothing"] and not again.failed
    assert catch_up.count("sent") == 1
    [message] = smtp_server.messages
    assert sorted(shown_ids(message.parsed())) == ["2611.00002", "2611.00003"]
    assert [(d.state, d.window_from, d.window_to) for d in store.ledger.deliveries()] == [
        ("failed", DAY2, DAY2),
        ("sent", DAY2, DAY3),
    ]


def test_a_connection_dropped_mid_batch_loses_and_repeats_nothing(
    store: Store, smtp_server: SmtpTestServer
) -> None:
    announce(store, paper("2611.00002", "Latent diffusion at scale", DAY2))
    readers = [f"reader{i}@example.org" for i in range(5)]
    smtp_server.drop_after(2)  # the third message's DATA gets no reply: the line goes dead
    config = smtp_config(smtp_server, *readers)

    first = smtp_run(store, config)
    after_first, connections = accepted(smtp_server), len(smtp_server.connections)
    second = smtp_run(store, config)
    third = smtp_run(store, config)

    # The rest of the batch goes on over a new connection; the message whose reply never
    # came may have arrived, so it waits for the next run instead of going out twice at once.
    assert first.count("sent") == 4 and first.failed
    [deferred] = [o for o in first.outcomes if o.status == "deferred"]
    assert deferred.subscriber == "reader2@example.org"
    assert "no reply after the message was sent" in deferred.detail
    assert after_first == sorted(r for r in readers if r != "reader2@example.org")
    assert smtp_server.dropped == 1 and connections == 2
    assert second.count("sent") == 1 and not second.failed
    assert third.count("sent") == 0
    assert accepted(smtp_server) == sorted(readers)  # each exactly once
    assert {d.state for d in store.ledger.deliveries()} == {"sent"}


def test_a_pending_digest_that_fails_later_leaves_its_days_to_the_next(
    store: Store, smtp_server: SmtpTestServer
) -> None:
    announce(store, paper("2611.00002", "Latent diffusion at scale", DAY2))
    smtp_server.refuse("ada@example.org", 452, "4.2.2 Mailbox full", times=2)
    config = smtp_config(smtp_server, "ada@example.org", max_attempts=2, retries_per_run=0)

    smtp_run(store, config)  # deferred (attempt 1 of 2)
    announce(store, paper("2611.00003", "Diffusion for proteins", DAY3))
    smtp_run(store, config)  # attempt 2 fails for good; no new window while it was pending
    smtp_run(store, config)  # the next digest takes over its days

    [message] = smtp_server.messages
    assert sorted(shown_ids(message.parsed())) == ["2611.00002", "2611.00003"]
    assert [(d.state, d.window_from, d.window_to) for d in store.ledger.deliveries()] == [
        ("failed", DAY2, DAY2),
        ("sent", DAY2, DAY3),
    ]


def test_an_unreachable_server_keeps_every_digest_pending(store: Store, tmp_path: Path) -> None:
    announce(store, paper("2611.00002", "Latent diffusion at scale", DAY2))
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    config = settings(
        smtp={"host": "127.0.0.1", "port": port, "security": "none", "timeout": 1.0},
    )

    summary = smtp_run(store, config)

    assert summary.failed and summary.problems and str(port) in summary.problems[0]
    ada = store.ledger.deliveries("ada@example.org")
    assert [(d.state, d.attempts) for d in ada] == [("pending", 0)]
    assert [o.status for o in summary.outcomes if o.subscriber == "ada@example.org"] == ["deferred"]


def test_a_process_killed_mid_batch_resends_at_most_the_message_in_flight(
    sqlite_url: str, smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    readers = [f"reader{i}@example.org" for i in range(4)]
    with open_store(sqlite_url) as store:
        announce(store, paper("2611.00002", "Latent diffusion at scale", DAY2))
    config = tmp_path / "paperwire.toml"
    config.write_text(
        f'[database]\nurl = "{sqlite_url}"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\nsecurity = "none"\n'
        '[sources.arxiv]\ncategories = ["cs.LG"]\n'
        + "".join(f'[[subscribers]]\nemail = "{r}"\nkeywords = ["diffusion"]\n' for r in readers)
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    command = [sys.executable, "-m", "paperwire", "send", "--config", str(config)]
    smtp_server.hold(after=1)  # the first message is answered, the second is held

    killed = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        smtp_server.wait_for_arrivals(2, timeout=60)
    finally:
        killed.kill()
        killed.wait()
    smtp_server.release()
    rerun = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120)

    assert rerun.returncode == 0, rerun.stderr
    assert accepted(smtp_server) == sorted(readers)  # every digest, each accepted once
    in_flight = [m for m in smtp_server.arrivals if m not in smtp_server.messages]
    assert len(in_flight) == 1  # the one killed mid-send, sent again by the rerun
    resent = [m for m in smtp_server.messages if m.rcpt_tos == in_flight[0].rcpt_tos]
    assert resent[0].parsed()["Message-ID"] == in_flight[0].parsed()["Message-ID"]
    with open_store(sqlite_url) as store:
        assert {d.state for d in store.ledger.deliveries()} == {"sent"}
