"""A private Atom feed per reader (`channels = ["atom"]`): valid Atom that feed readers accept,
each paper once, newest first, capped; its own windows in the ledger, beside email's."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import time_machine
from conftest import PaperwireCLI
from test_send import DAY1, DAY2, DAY3, announce, paper

from paperwire.delivery.atom import ATOM, AtomChannel, feed_document
from paperwire.models import DeliveryState, Paper
from paperwire.store import open_store
from paperwire.store.ledger import PlannedDelivery

A = f"{{{ATOM}}}"
UTC = dt.UTC


def write_config(
    home: Path, channels: str = '["email", "atom"]', extra: str = "", feeds: Path | None = None
) -> None:
    (home / "paperwire.toml").write_text(
        f"""
[sources.arxiv]
categories = ["cs.LG"]
announce_types = ["new"]
[delivery]
outbox = "{home / "outbox"}"
feeds_dir = "{feeds or home / "feeds"}"
retry_delay = 0
{extra}
[[subscribers]]
email = "ada@example.org"
name = "Ada"
keywords = ["diffusion"]
channels = {channels}

[[subscribers]]
email = "bob@example.org"
keywords = ["diffusion"]
"""
    )


def send_on(paperwire: PaperwireCLI, day: dt.date, *args: str):  # type: ignore[no-untyped-def]
    with time_machine.travel(dt.datetime.combine(day, dt.time(12), UTC), tick=False):
        return paperwire("send", *args)


def feed_of(home: Path) -> Path:
    [path] = (home / "feeds").glob("*.xml")
    return path


def entry_ids(path: Path) -> list[str]:
    """The arXiv ids the feed's entries link to, in the feed's order."""
    root = ET.parse(path).getroot()
    return [
        entry.find(f"{A}link").get("href").rsplit("/", 1)[-1]  # type: ignore[union-attr]
        for entry in root.iter(f"{A}entry")
    ]


def test_a_reader_gets_email_and_a_private_feed_that_feed_readers_accept(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    write_config(paperwire.home)
    with open_store(sqlite_url) as store:
        announce(
            store,
            paper("2611.00001", "Diffusion models for graphs", DAY1),
            paper("2611.00002", "Latent diffusion at scale", DAY1),
            paper("2611.00003", "A transformer for tables", DAY1),
        )

    result = send_on(paperwire, DAY1)

    assert result.exit_code == 0, result.output
    path = feed_of(paperwire.home)
    assert len(path.stem) == 24  # 18 random bytes, URL-safe: nobody guesses it
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0 and parsed.version == "atom10"
    assert sorted(e.link for e in parsed.entries) == [
        "https://arxiv.org/abs/2611.00001",
        "https://arxiv.org/abs/2611.00002",
    ]
    assert len({e.id for e in parsed.entries}) == 2
    assert parsed.feed.title == "paperwire: papers for Ada"
    assert all(e.summary and e.authors for e in parsed.entries)
    # Bob has no feed; both got their email.
    assert len(list((paperwire.home / "feeds").glob("*.xml"))) == 1
    assert len(list((paperwire.home / "outbox").glob("*.eml"))) == 2
    with open_store(sqlite_url) as store:
        channels = {(d.subscriber, d.channel, d.state) for d in store.ledger.deliveries()}
    assert channels == {
        ("ada@example.org", "email", DeliveryState.SENT),
        ("ada@example.org", "atom", DeliveryState.SENT),
        ("bob@example.org", "email", DeliveryState.SENT),
    }
    shown = paperwire("subscribers", "show", "ada@example.org")
    assert f"atom            {path}" in shown.stdout.splitlines()


def test_the_feed_keeps_each_paper_once_newest_first_and_capped(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    write_config(paperwire.home, channels='["atom"]', extra="feed_size = 3")
    days = ((DAY1, "1"), (DAY2, "2"), (DAY3, "3"))
    for day, n in days:
        with open_store(sqlite_url) as store:
            announce(
                store,
                paper(f"2611.0{n}001", f"Diffusion study {n}a", day),
                paper(f"2611.0{n}002", f"Diffusion study {n}b", day),
            )
        assert send_on(paperwire, day).exit_code == 0

    ids = entry_ids(feed_of(paperwire.home))
    assert len(ids) == 3 == len(set(ids))
    assert ids[:2] in (["2611.03001", "2611.03002"], ["2611.03002", "2611.03001"])
    assert ids[2] in ("2611.02001", "2611.02002")
    assert not list((paperwire.home / "outbox").glob("*ada*"))  # no email for Ada


def test_an_email_refused_for_good_does_not_hold_back_the_feed_nor_repeat_in_it(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    write_config(paperwire.home)
    with open_store(sqlite_url) as store:
        announce(store, paper("2611.00001", "Diffusion models for graphs", DAY1))
    send_on(paperwire, DAY1)
    with open_store(sqlite_url) as store:  # Ada's email bounced (a 5xx, recorded)
        [email] = [d for d in store.ledger.deliveries("ada@example.org") if d.channel == "email"]
        store.ledger.finish(
            email.id, DeliveryState.FAILED, reply="550 no", transport="smtp", now=email.created_at
        )
        announce(store, paper("2611.00002", "Diffusion at scale", DAY2))

    send_on(paperwire, DAY2)

    with open_store(sqlite_url) as store:
        windows = {
            channel: store.ledger.windows("ada@example.org", "topics", channel)
            for channel in ("email", "atom")
        }
        assert store.ledger.received("ada@example.org", "email") == {"2611.00001", "2611.00002"}
    # Email's next window starts where the refused one did; the feed's after its last.
    assert [(w[0], w[1]) for w in windows["email"]] == [(DAY1, DAY1), (DAY1, DAY2)]
    assert [(w[0], w[1]) for w in windows["atom"]] == [(DAY1, DAY1), (DAY2, DAY2)]
    assert sorted(entry_ids(feed_of(paperwire.home))) == ["2611.00001", "2611.00002"]


def test_a_feed_folder_that_cannot_be_written_fails_the_feed_alone_in_one_line(
    paperwire: PaperwireCLI, sqlite_url: str, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    write_config(paperwire.home, feeds=blocker / "feeds")
    with open_store(sqlite_url) as store:
        announce(store, paper("2611.00001", "Diffusion models for graphs", DAY1))

    result = send_on(paperwire, DAY1)

    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert errors == [
        f"paperwire: error: feeds folder {blocker / 'feeds'}: cannot write: Not a directory"
    ]
    assert len(list((paperwire.home / "outbox").glob("*.eml"))) == 2  # email went on
    with open_store(sqlite_url) as store:
        [atom] = [d for d in store.ledger.deliveries() if d.channel == "atom"]
        assert (atom.state, atom.attempts) == (DeliveryState.PENDING, 0)  # tried again later


def test_hostile_titles_stay_text_in_valid_xml() -> None:
    hostile = Paper(
        "2611.00666",
        'Evil <script>alert(1)</script> & "quotes" \x00\x1b control',
        "An abstract with ]]> and <b>markup</b>.",
        authors=["</name><name>Injected"],
        categories=["cs.LG\x01", '"><entry>'],
        links={"abs": "https://arxiv.org/abs/2611.00666"},
    )

    document = feed_document("feed", "token", [(hostile, dt.datetime(2026, 11, 20, tzinfo=UTC))],
                             dt.datetime(2026, 11, 20, tzinfo=UTC))  # fmt: skip

    root = ET.fromstring(document)
    entry = root.find(f"{A}entry")
    assert entry is not None
    assert entry.findtext(f"{A}title") == 'Evil <script>alert(1)</script> & "quotes" control'
    assert entry.findtext(f"{A}author/{A}name") == "</name><name>Injected"
    terms = [c.get("term") for c in entry.iter(f"{A}category")]
    assert terms == ["cs.LG", '"><entry>']
    assert feedparser.parse(document).bozo == 0


def test_a_one_off_sent_digest_goes_on_the_readers_channels_only(
    paperwire: PaperwireCLI, sqlite_url: str
) -> None:
    write_config(paperwire.home, channels='["atom"]')
    with open_store(sqlite_url) as store:
        announce(store, paper("2611.00001", "Diffusion models for graphs", DAY1))

    with time_machine.travel(dt.datetime.combine(DAY1, dt.time(12), UTC), tick=False):
        result = paperwire("digest", "--subscriber", "ada@example.org", "--send", "--no-fetch")
        again = paperwire("digest", "--subscriber", "ada@example.org", "--send", "--no-fetch")

    assert result.exit_code == 0, result.output
    assert again.exit_code == 0, again.output
    assert not list((paperwire.home / "outbox").glob("*.eml"))  # Ada reads no email
    assert entry_ids(feed_of(paperwire.home)) == ["2611.00001"]  # once, not twice
    with open_store(sqlite_url) as store:
        sent = [(d.channel, d.state) for d in store.ledger.deliveries()]
    assert sent == [("atom", DeliveryState.SENT)]


def test_a_delivery_another_process_is_writing_is_not_written_out_of_the_feed(
    sqlite_url: str, tmp_path: Path
) -> None:
    # `send` and cron's `run` deliver Ada's topics and trending digests at the same moment:
    # the topics one is claimed by the other process, not yet marked sent.
    now = dt.datetime.combine(DAY1, dt.time(12), UTC)
    with open_store(sqlite_url) as store:
        announce(
            store,
            paper("2611.00001", "Diffusion models for graphs", DAY1),
            paper("2611.00002", "Latent diffusion at scale", DAY1),
        )
        ids = [
            store.ledger.add(
                PlannedDelivery(
                    "ada@example.org", DAY1, DAY1, f"m{n}", "s", None, [(key, 1.0)],
                    kind=kind, channel="atom",
                ),
                now,
            )
            for n, (key, kind) in enumerate(
                (("2611.00001", "topics"), ("2611.00002", "trending"))
            )
        ]  # fmt: skip
        theirs, ours = sorted(store.ledger.deliveries(), key=lambda d: ids.index(d.id))
        assert store.ledger.claim(theirs, "other-host pid 1", now)
        assert store.ledger.claim(ours, "this process", now)

        AtomChannel(tmp_path / "feeds", store).deliver(ours, None, now)

        [path] = (tmp_path / "feeds").glob("*.xml")
        assert sorted(entry_ids(path)) == ["2611.00001", "2611.00002"]
