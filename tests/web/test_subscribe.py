"""Subscribing on the page: double opt-in by a signed, expiring link; CSRF; limits that bound
mail-bombing; and a page that never tells whether an address is subscribed."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from sitekit import Site

from paperwire.models import Origin
from paperwire.web.guard import Limits, client_key


def _form(site: Site, **fields: Any) -> dict[str, Any]:
    page = site.http.get(site.url + "/subscribe")
    assert page.status_code == 200
    data: dict[str, Any] = {"csrf": site.csrf_of(page.text), "mode": "topics"}
    data |= fields
    return data


def _subscribe(site: Site, **fields: Any) -> Any:
    return site.http.post(site.url + "/subscribe", data=_form(site, **fields))


def test_subscribing_takes_effect_only_once_the_mailed_link_is_confirmed(site: Site) -> None:
    answer = _subscribe(
        site,
        email="Grace@Example.org",
        keywords="state space models\nMamba",
        authors="Albert Gu",
        categories=["cs.LG", "cs.CL"],
        frequency="weekly",
        weekday="friday",
        send_at="07:30",
        timezone="Europe/Berlin",
    )

    assert answer.status_code == 200
    assert "Check your inbox" in answer.text
    assert site.store.subscribers.get("grace@example.org") is None  # not before confirming
    [mail] = site.mails_to("Grace@Example.org")
    assert mail["Subject"] == "Confirm your paperwire subscription"
    assert mail["Auto-Submitted"] == "auto-generated"
    confirm = site.link_in(mail, "confirm")
    # Opening the link (a mail scanner may) only shows a button.
    page = site.http.get(confirm)
    assert page.status_code == 200 and "Yes, subscribe me" in page.text
    assert site.store.subscribers.get("grace@example.org") is None

    data = dict(re.findall(r'name="(data|token)" value="([^"]+)"', page.text))
    done = site.http.post(site.url + "/confirm", data=data)

    assert done.status_code == 200 and "You are subscribed" in done.text
    reader = site.store.subscribers.get("grace@example.org")
    assert reader is not None
    assert reader.origin == Origin.WEB
    assert reader.profile.keywords == ["state space models", "Mamba"]
    assert reader.profile.authors == ["Albert Gu"]
    assert reader.profile.categories == ["cs.LG", "cs.CL"]
    assert (reader.frequency, reader.weekday, reader.send_at, reader.timezone) == (
        "weekly",
        "friday",
        "07:30",
        "Europe/Berlin",
    )


def test_a_confirmation_link_expires_and_cannot_be_altered(site: Site) -> None:
    _subscribe(site, email="grace@example.org", keywords="LoRA")
    confirm = site.link_in(site.mails_to("grace@example.org")[0], "confirm")
    data = dict(re.findall(r'name="(data|token)" value="([^"]+)"', site.http.get(confirm).text))
    # Someone edits the signed subscription (another address) and keeps the token.
    forged = dict(data, data=data["data"][:-4] + "AAAA")
    assert site.http.post(site.url + "/confirm", data=forged).status_code == 403

    site.clock.advance(days=2, minutes=1)

    assert site.http.get(confirm).status_code == 403
    assert site.http.post(site.url + "/confirm", data=data).status_code == 403
    assert site.store.subscribers.get("grace@example.org") is None


def test_a_form_without_its_csrf_token_changes_nothing_and_sends_nothing(site: Site) -> None:
    site.http.get(site.url + "/subscribe")  # the cookie, but not the token
    answer = site.http.post(
        site.url + "/subscribe", data={"email": "grace@example.org", "keywords": "LoRA"}
    )

    assert answer.status_code == 403
    assert "expired" in answer.text
    assert site.mails_to("grace@example.org") == []


def test_a_form_posted_from_another_site_is_refused(site: Site) -> None:
    data = _form(site, email="grace@example.org", keywords="LoRA")
    answer = site.http.post(
        site.url + "/subscribe", data=data, headers={"Origin": "https://evil.example"}
    )

    assert answer.status_code == 403
    assert site.mails_to("grace@example.org") == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-address"}, "Email address:"),
        (
            {"email": "g@example.org", "categories": ["cs.XX"]},
            "Categories: 'cs.XX' is not an arXiv",
        ),
        ({"email": "g@example.org", "timezone": "Mars/Olympus"}, "Time zone:"),
        ({"email": "g@example.org", "send_at": "25:00"}, "Send at:"),
    ],
)
def test_a_bad_field_is_named_and_the_form_keeps_what_was_typed(
    site: Site, fields: dict[str, Any], message: str
) -> None:
    answer = _subscribe(site, keywords="Mamba", **fields)

    assert answer.status_code == 400
    assert message in html.unescape(answer.text)
    assert 'role="alert"' in answer.text
    assert ">Mamba</textarea>" in answer.text  # nothing typed is lost
    assert site.smtp.messages == []


def test_the_page_never_tells_whether_an_address_is_subscribed(site: Site) -> None:
    site.wire().subscriptions().add({"email": "ada@example.org", "keywords": ["LoRA"]})

    known = _subscribe(site, email="ada@example.org", keywords="diffusion")
    unknown = _subscribe(site, email="eve@example.org", keywords="diffusion")

    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("ada@", "X@") == unknown.text.replace("eve@", "X@")
    # The subscriber learns by mail, with their preferences link; nothing changed.
    [mail] = site.mails_to("ada@example.org")
    assert mail["Subject"] == "You are subscribed to paperwire already"
    assert site.link_in(mail, "preferences")
    reader = site.store.subscribers.get("ada@example.org")
    assert reader is not None and reader.profile.keywords == ["LoRA"]


def test_confirmation_mails_to_one_address_are_bounded(make_site: Any) -> None:
    site: Site = make_site(limits=Limits(per_client=100, per_address=3))

    answers = [_subscribe(site, email="victim@example.org", keywords="x") for _ in range(5)]

    assert [a.status_code for a in answers] == [200] * 5
    assert len({a.text for a in answers}) == 1  # the same page, sent or not
    assert len(site.mails_to("victim@example.org")) == 3
    site.clock.advance(days=1, minutes=1)
    _subscribe(site, email="victim@example.org", keywords="x")
    assert len(site.mails_to("victim@example.org")) == 4


def test_one_client_cannot_subscribe_many_addresses(make_site: Any) -> None:
    site: Site = make_site(limits=Limits(per_client=3, per_address=3))

    answers = [_subscribe(site, email=f"r{n}@example.org", keywords="x") for n in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "Too many attempts" in answers[3].text
    assert len(site.smtp.messages) == 3


def test_an_unsubscribed_reader_may_subscribe_again(site: Site) -> None:
    site.wire().subscriptions().add({"email": "ada@example.org", "keywords": ["LoRA"]})
    site.store.unsubscribed.add("ada@example.org", "web", site.clock())
    site.store.subscribers.remove("ada@example.org")

    _subscribe(site, email="ada@example.org", keywords="diffusion")
    [mail] = site.mails_to("ada@example.org")
    assert mail["Subject"] == "Confirm your paperwire subscription"
    page = site.http.get(site.link_in(mail, "confirm"))
    data = dict(re.findall(r'name="(data|token)" value="([^"]+)"', page.text))
    site.http.post(site.url + "/confirm", data=data)

    assert "ada@example.org" not in site.store.unsubscribed
    reader = site.store.subscribers.get("ada@example.org")
    assert reader is not None and reader.profile.keywords == ["diffusion"]


def test_simultaneous_requests_cannot_pass_the_address_limit(make_site: Any) -> None:
    site: Site = make_site(limits=Limits(per_client=1000, per_address=3))
    data = _form(site, email="victim@example.org", keywords="x")
    cookies = site.http.cookies.get_dict()

    def send(_: int) -> int:
        with requests.Session() as http:
            http.cookies.update(cookies)
            return http.post(site.url + "/subscribe", data=data, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(send, range(24)))

    assert statuses == [200] * 24
    assert len(site.mails_to("victim@example.org")) == 3


def test_the_site_sends_a_bounded_number_of_confirmation_mails(make_site: Any) -> None:
    site: Site = make_site(limits=Limits(per_client=100, per_address=3, per_site=4))

    for n in range(6):
        assert _subscribe(site, email=f"r{n}@example.org", keywords="x").status_code == 200

    assert len(site.smtp.messages) == 4


def test_typos_do_not_count_against_a_client(make_site: Any) -> None:
    site: Site = make_site(limits=Limits(per_client=2, per_address=3))

    for _ in range(5):
        assert _subscribe(site, email="grace@example", keywords="x").status_code == 400
    answers = [_subscribe(site, email=f"r{n}@example.org", keywords="x") for n in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]


def test_a_confirmation_link_works_once(site: Site) -> None:
    _subscribe(site, email="grace@example.org", keywords="LoRA")
    page = site.http.get(site.link_in(site.mails_to("grace@example.org")[0], "confirm"))
    data = dict(re.findall(r'name="(data|token)" value="([^"]+)"', page.text))
    assert site.http.post(site.url + "/confirm", data=data).status_code == 200
    site.store.unsubscribed.add("grace@example.org", "one-click", site.clock(), forget=True)

    again = site.http.post(site.url + "/confirm", data=data)

    assert again.status_code == 403
    assert "grace@example.org" in site.store.unsubscribed  # a replay does not undo leaving
    assert site.store.subscribers.get("grace@example.org") is None


def test_a_large_form_is_refused_also_when_sent_in_chunks(site: Site) -> None:
    data = _form(site, email="grace@example.org")
    body = urlencode(data | {"keywords": "x" * 200_000}).encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    answer = site.http.post(
        site.url + "/subscribe",
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert answer.status_code == 413
    assert site.smtp.messages == []


def test_a_form_gives_at_most_fifty_keywords_of_a_hundred_characters(site: Site) -> None:
    many = _subscribe(site, email="g@example.org", keywords="\n".join(f"k{n}" for n in range(51)))
    long = _subscribe(site, email="g@example.org", keywords="y" * 101)

    assert many.status_code == long.status_code == 400
    assert "Keywords: at most 50, one per line" in html.unescape(many.text)
    assert "at most 100 characters" in html.unescape(long.text)
    assert site.smtp.messages == []


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
    ],
)
def test_one_client_is_an_ipv4_address_or_an_ipv6_network(host: str, key: str) -> None:
    assert client_key(host) == key
