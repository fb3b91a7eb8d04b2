"""The pages a digest links to: preferences, one-click unsubscribe, the whole digest, 👍/👎,
and readers' Atom feeds; each reached only with a token for its purpose and reader."""

from __future__ import annotations

import datetime as dt
import html
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sitekit import Site, announce, paper

from paperwire import tokens
from paperwire.config import Settings
from paperwire.delivery.links import ReaderLinks
from paperwire.delivery.planner import DigestRun
from paperwire.errors import UsageError
from paperwire.models import Origin, Reason
from paperwire.store import open_store
from paperwire.subscriptions import Subscriptions


def _papers(site: Site, count: int = 5) -> None:
    announce(
        site.store,
        *[
            paper(f"2611.{10000 + n}", f"Diffusion models for protein design, part {n}")
            for n in range(count)
        ],
        paper("2611.19999", "Graph neural networks for weather"),
    )


def _reader(site: Site, email: str = "ada@example.org", **settings: Any) -> None:
    site.wire().subscriptions().add({"email": email, "keywords": ["diffusion"], **settings})


def _send(site: Site) -> list[EmailMessage]:
    site.wire().send_due()
    return [m.parsed() for m in site.smtp.messages]


def _links(site: Site, email: str = "ada@example.org") -> ReaderLinks:
    return ReaderLinks.of(site.settings.delivery, email, site.clock())


def _form_fields(page: str) -> dict[str, str]:
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    }


# --- preferences ---


def test_preferences_show_the_readers_settings_and_save_changes(site: Site) -> None:
    _reader(site, authors=["Yann LeCun"], categories=["cs.LG"])
    page = site.http.get(_links(site).preferences)

    assert page.status_code == 200
    assert ">diffusion</textarea>" in page.text
    assert ">Yann LeCun</textarea>" in page.text
    assert 'value="cs.LG" checked' in page.text
    fields = _form_fields(page.text)
    saved = site.http.post(
        site.url + "/preferences",
        data=fields
        | {
            "keywords": "diffusion\nflow matching",
            "authors": "",
            "categories": ["cs.LG", "stat.ML"],
            "mode": "topics",
            "frequency": "daily",
            "paused": "1",
        },
    )

    assert saved.status_code == 200
    assert "Saved:" in saved.text
    reader = site.store.subscribers.get("ada@example.org")
    assert reader is not None
    assert reader.profile.keywords == ["diffusion", "flow matching"]
    assert reader.profile.authors == []
    assert reader.profile.categories == ["cs.LG", "stat.ML"]
    assert reader.paused


def test_preferences_need_their_own_token_for_that_reader_and_it_expires(site: Site) -> None:
    _reader(site)
    _reader(site, "bob@example.org")
    links = _links(site)
    bob = _links(site, "bob@example.org")
    wrong_purpose = links.unsubscribe.replace("/unsubscribe?", "/preferences?")
    someone_else = links.preferences.replace("ada%40example.org", "bob%40example.org")

    assert site.http.get(wrong_purpose).status_code == 403
    assert site.http.get(someone_else).status_code == 403
    assert site.http.get(bob.preferences).status_code == 200
    good = links.preferences
    site.clock.advance(days=61)
    assert site.http.get(good).status_code == 403


def test_a_preferences_form_without_its_csrf_token_changes_nothing(site: Site) -> None:
    _reader(site)
    fields = _form_fields(site.http.get(_links(site).preferences).text)
    fields.pop("csrf")

    answer = site.http.post(site.url + "/preferences", data=fields | {"keywords": "quantum"})

    assert answer.status_code == 403
    reader = site.store.subscribers.get("ada@example.org")
    assert reader is not None and reader.profile.keywords == ["diffusion"]


def test_a_bad_setting_is_named_and_nothing_is_saved(site: Site) -> None:
    _reader(site)
    fields = _form_fields(site.http.get(_links(site).preferences).text)

    answer = site.http.post(
        site.url + "/preferences", data=fields | {"keywords": "x", "timezone": "Nowhere/City"}
    )

    assert answer.status_code == 400
    assert "Time zone:" in html.unescape(answer.text)
    reader = site.store.subscribers.get("ada@example.org")
    assert reader is not None and reader.profile.keywords == ["diffusion"]


def test_the_preview_lists_what_the_next_digest_would(site: Site) -> None:
    _papers(site, 3)
    _reader(site)
    query = urlsplit(_links(site).preferences).query

    page = site.http.get(f"{site.url}/preview?{query}")

    assert page.status_code == 200
    assert page.text.count('class="p"') == 3
    assert "Graph neural networks" not in page.text


# --- unsubscribe ---


def test_one_click_unsubscribe_from_the_header_stops_every_digest(site: Site) -> None:
    _papers(site, 2)
    _reader(site)
    [first] = _send(site)
    header = first["List-Unsubscribe"]
    url = re.search(r"<(http[^>]+)>", header)
    assert url is not None

    # As a mail provider does it (RFC 8058): a POST, no cookie, no CSRF token.
    answer = site.http.post(
        url.group(1), data={"List-Unsubscribe": "One-Click"}, headers={"Origin": "null"}
    )

    assert answer.status_code == 200
    assert "ada@example.org" in site.store.unsubscribed
    assert site.store.subscribers.get("ada@example.org") is None
    announce(site.store, paper("2611.20001", "Diffusion for materials", day=site.clock().date()))
    site.clock.advance(days=1)
    announce(
        site.store,
        paper("2611.20002", "Diffusion transformers", day=site.clock().date()),
    )
    site.wire().send_due()
    assert len(site.smtp.messages) == 1  # nothing after


def test_a_digest_planned_before_unsubscribing_is_not_sent(site: Site) -> None:
    _papers(site, 2)
    _reader(site)
    _reader(site, "bob@example.org")
    wire = site.wire()
    run = DigestRun(site.store, site.settings, site.clock(), wire.channels())
    run.plan(wire.readers())
    assert len(site.store.ledger.pending()) == 2
    site.http.post(_links(site).unsubscribe, data={"List-Unsubscribe": "One-Click"})

    wire.send_due()

    assert [m.rcpt_tos for m in site.smtp.messages] == [("bob@example.org",)]
    [delivery] = site.store.ledger.deliveries("ada@example.org")
    assert delivery.state == "skipped"
    assert delivery.reply == "not sent: the reader unsubscribed"


def test_opening_the_unsubscribe_link_only_asks(site: Site) -> None:
    _reader(site)
    assert site.http.head(_links(site).unsubscribe).status_code == 200  # a link checker
    assert site.http.options(_links(site).unsubscribe).status_code == 405
    page = site.http.get(_links(site).unsubscribe)

    assert page.status_code == 200
    assert ">Unsubscribe</button>" in page.text
    assert "ada@example.org" not in site.store.unsubscribed
    answer = site.http.post(site.url + "/unsubscribe", data=_form_fields(page.text))
    assert answer.status_code == 200
    assert "ada@example.org" in site.store.unsubscribed


def test_a_forged_unsubscribe_changes_nothing(site: Site) -> None:
    _reader(site)
    _reader(site, "bob@example.org")
    forged = _links(site).unsubscribe.replace("ada%40example.org", "bob%40example.org")

    answer = site.http.post(forged, data={"List-Unsubscribe": "One-Click"})

    assert answer.status_code == 403
    assert "bob@example.org" not in site.store.unsubscribed
    assert site.store.subscribers.get("bob@example.org") is not None


def test_a_reader_of_the_configuration_file_unsubscribes_too(make_site: Any) -> None:
    site: Site = make_site(subscribers=[{"email": "cat@example.org", "keywords": ["diffusion"]}])
    _papers(site, 2)
    site.http.post(
        _links(site, "cat@example.org").unsubscribe, data={"List-Unsubscribe": "One-Click"}
    )

    site.wire().send_due()

    assert site.smtp.messages == []
    assert site.store.subscribers.get("cat@example.org") is not None  # the file keeps them


# --- the whole digest, and feedback ---


def test_the_digest_page_lists_the_matched_papers_the_email_left_out_with_why_lines(
    site: Site,
) -> None:
    _papers(site, 5)
    _reader(site, max_papers=2)
    _send(site)
    [delivery] = site.store.ledger.deliveries("ada@example.org")
    assert delivery.papers == 2  # the email shows two
    day = delivery.window_from
    found = site.store.ledger.listed("ada@example.org", "topics", day)
    assert found is not None
    # Planning explains only what the email shows; the page explains the rest when opened.
    assert [bool(p.reasons) for p in found[1]] == [True, True, False, False, False]

    page = site.http.get(_links(site).digest("topics", day))

    assert page.status_code == 200
    assert page.text.count('<article class="p">') == 5
    assert "Not in the email:" in page.text
    assert page.text.count("Why: <b>diffusion</b>") == 5
    assert "Graph neural networks" not in page.text
    found = site.store.ledger.listed("ada@example.org", "topics", day)
    assert found is not None and all(p.reasons for p in found[1])  # kept for the next visit
    # Not received: the next digest may still show them.
    assert len(site.store.ledger.received("ada@example.org")) == 2


def test_a_digest_page_needs_its_own_token(site: Site) -> None:
    _papers(site, 2)
    _reader(site)
    _reader(site, "bob@example.org")
    _send(site)
    day = site.store.ledger.deliveries("ada@example.org")[0].window_from
    url = _links(site).digest("topics", day)

    assert site.http.get(url.replace("ada%40", "bob%40")).status_code == 403
    assert site.http.get(url.replace("kind=topics", "kind=trending")).status_code == 403
    assert (
        site.http.get(_links(site).preferences.replace("/preferences", "/digest")).status_code
        == 403
    )


def test_an_email_vote_link_asks_and_its_button_records(site: Site) -> None:
    _papers(site, 2)
    _reader(site)
    link = _links(site).feedback("2611.10001", "up")

    # Mail scanners fetch every link (GET, HEAD): that records nothing.
    page = site.http.get(link)
    site.http.head(link)
    assert page.status_code == 200
    assert site.store.feedback.votes("ada@example.org") == []
    forms = re.findall(r'<form method="post" action="[^"]+/feedback">(.*?)</form>', page.text, re.S)
    assert len(forms) == 2 and ">👍 More like this</button>" in forms[0]

    answer = site.http.post(site.url + "/feedback", data=_form_fields(forms[0]) | {"vote": "up"})

    assert answer.status_code == 200
    [vote] = site.store.feedback.votes("ada@example.org")
    assert (vote.paper, vote.vote, vote.via) == ("2611.10001", 1, "email")
    # Changing one's mind: the same token, the other vote.
    site.http.post(site.url + "/feedback", data=_form_fields(forms[0]) | {"vote": "down"})
    assert [v.vote for v in site.store.feedback.votes("ada@example.org")] == [-1]
    forged = _form_fields(forms[0]) | {"vote": "up", "paper": "2611.10002"}
    assert site.http.post(site.url + "/feedback", data=forged).status_code == 403
    assert site.http.get(link.replace("2611.10001", "2611.10002")).status_code == 403
    elsewhere = site.http.post(
        site.url + "/feedback",
        data=_form_fields(forms[0]) | {"vote": "up"},
        headers={"Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    assert [v.vote for v in site.store.feedback.votes("ada@example.org")] == [-1]


def test_feedback_on_the_digest_page_returns_to_the_page_and_never_elsewhere(site: Site) -> None:
    _papers(site, 3)
    _reader(site)
    _send(site)
    day = site.store.ledger.deliveries("ada@example.org")[0].window_from
    page = site.http.get(_links(site).digest("topics", day))
    forms = re.findall(
        r'<form class="votes" method="post" action="([^"]+/feedback\?[^"]+)">(.*?)</form>',
        page.text,
        re.S,
    )
    assert len(forms) == 3
    action = html.unescape(forms[0][0])
    fields = _form_fields(forms[0][1]) | {"vote": "up"}  # the 👍 button's name and value

    answer = site.http.post(
        action, data=fields | {"back": "https://evil.example/"}, allow_redirects=False
    )
    assert answer.status_code == 200  # recorded, but no redirect to anywhere it names
    site.store.feedback.remove("ada@example.org", fields["paper"])
    answer = site.http.post(action, data=fields, allow_redirects=False)

    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith("/digest?")
    assert parse_qs(urlsplit(location).query)["kind"] == ["topics"]
    assert [v.via for v in site.store.feedback.votes("ada@example.org")] == ["web"]
    again = site.http.get(site.url + location)
    assert again.text.count('aria-pressed="true"') == 1
    # Pressed again, the button takes the vote back.
    site.http.post(action, data=fields, allow_redirects=False)
    assert site.store.feedback.votes("ada@example.org") == []


def test_hostile_text_in_a_paper_stays_text_on_the_page(site: Site) -> None:
    announce(
        site.store,
        paper("2611.10000", 'Diffusion <script>alert("x")</script> <img src=x onerror=alert(1)>'),
    )
    _reader(site)
    _send(site)
    day = site.store.ledger.deliveries("ada@example.org")[0].window_from

    page = site.http.get(_links(site).digest("topics", day))

    assert "<script>" not in page.text and "<img" not in page.text
    assert "&lt;script&gt;" in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert page.headers["content-security-policy"].startswith("default-src 'none'")


def test_stored_reasons_are_what_the_page_shows(site: Site) -> None:
    _papers(site, 1)
    _reader(site)
    _send(site)
    [(_delivery, listed)] = [
        site.store.ledger.listed("ada@example.org", "topics", site.clock().date())
    ]
    [item] = listed

    assert item.shown
    assert item.reasons == (
        Reason("keyword", "diffusion", ("title", "abstract"), ("Diffusion", "diffusion")),
    )


# --- feeds and headers ---


def test_a_readers_atom_feed_is_served_by_its_secret_name(site: Site) -> None:
    _papers(site, 2)
    _reader(site, channels=["atom"])
    site.wire().send_due()
    [feed] = list(Path(site.settings.delivery.feeds_dir).glob("*.xml"))

    answer = site.http.get(f"{site.url}/feeds/{feed.name}")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/atom+xml")
    assert "Diffusion models for protein design" in answer.text
    assert site.http.get(f"{site.url}/feeds/{'A' * 24}.xml").status_code == 404
    assert site.http.get(f"{site.url}/feeds/..%2Fpaperwire.sqlite3").status_code == 404


def test_every_page_forbids_scripts_framing_and_referrers_elsewhere(site: Site) -> None:
    for path in ("/subscribe", "/preferences?email=x&token=y", "/static/paperwire.css"):
        headers = site.http.get(site.url + path).headers

        assert "default-src 'none'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-content-type-options"] == "nosniff"
    assert site.http.get(site.url + "/subscribe").headers["cache-control"] == "no-store"


def test_tokens_are_bound_to_their_purpose() -> None:
    secret = "x" * 8 + "abcdefghijklmnopqrstuvwxyz"
    now = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    token = tokens.sign(secret, tokens.FEEDBACK, "ada@example.org\0p1", now)

    assert tokens.verify(secret, token, tokens.FEEDBACK, "ada@example.org\0p1", now)
    assert not tokens.verify(secret, token, tokens.DIGEST, "ada@example.org\0p1", now)
    assert not tokens.verify(secret, token, tokens.FEEDBACK, "ada@example.org\0p2", now)


def test_the_operator_cannot_add_back_a_reader_who_unsubscribed(site: Site) -> None:
    _reader(site)
    site.http.post(_links(site).unsubscribe, data={"List-Unsubscribe": "One-Click"})
    subscriptions = site.wire().subscriptions()

    with pytest.raises(UsageError, match=r"ada@example\.org unsubscribed; only they can"):
        subscriptions.add({"email": "ada@example.org", "keywords": ["x"]})
    report = subscriptions.import_entries([{"email": "ada@example.org"}, {"email": "b@x.org"}])

    assert (report.imported, report.unsubscribed) == (1, ["ada@example.org"])
    assert site.store.subscribers.get("ada@example.org") is None


def test_unsubscribing_forgets_the_readers_votes_and_feed(site: Site) -> None:
    _papers(site, 2)
    _reader(site, channels=["email", "atom"])
    site.wire().send_due()
    [feed] = list(Path(site.settings.delivery.feeds_dir).glob("*.xml"))
    site.store.feedback.record("ada@example.org", "2611.10000", 1, "web", site.clock())

    site.http.post(_links(site).unsubscribe, data={"List-Unsubscribe": "One-Click"})

    assert site.store.feedback.votes("ada@example.org") == []
    assert not feed.exists()
    assert site.http.get(f"{site.url}/feeds/{feed.name}").status_code == 404


def test_subscribers_show_says_who_subscribed_on_the_pages_and_who_left(
    paperwire: Any, sqlite_url: str
) -> None:
    store = open_store(sqlite_url)
    settings = Settings.model_validate({"database": {"url": sqlite_url}})
    now = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)
    subscriptions = Subscriptions(store, settings, lambda: now)
    subscriptions.add({"email": "web@example.org"}, origin=Origin.WEB)
    subscriptions.add({"email": "cli@example.org"})
    store.unsubscribed.add("cli@example.org", "one-click", now)

    web = paperwire("subscribers", "show", "web@example.org")
    left = paperwire("subscribers", "show", "cli@example.org")

    assert re.search(r"origin +web \(subscribed on the readers' pages, paperwire web\)", web.output)
    assert "unsubscribed" not in web.output
    assert re.search(
        r"unsubscribed +2026-11-24 09:00 UTC \(one-click\): gets no digest", left.output
    )
    store.close()
