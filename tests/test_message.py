"""Composing digest emails: structure, 7-bit bytes, List-* headers, and no header injection."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from email.message import EmailMessage
from email.utils import formataddr

import pytest

from paperwire.delivery.email.message import (
    Addressing,
    compose_message,
    envelope,
    message_bytes,
    message_id,
    one_line,
    unsubscribe_mailto_url,
)
from paperwire.errors import DeliveryError, PaperwireError

SENDER = "paperwire <digest@example.org>"
WINDOW = (dt.date(2025, 1, 1), dt.date(2025, 1, 3))
NOW = dt.datetime(2025, 1, 3, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
TEXT = "Zoë Müller — naïve café\n李雷 大型语言模型\nRockets 🚀 and ✓\n"
HTML = "<!DOCTYPE html><html><body><p>Zoë Müller — naïve café</p><p>李雷 🚀</p></body></html>\n"
UNSUBSCRIBE_URL = "https://digest.example.org/unsubscribe?email=ada%40example.org&token=" + "a" * 64
EXPECTED_HEADERS = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Auto-Submitted",
    "Precedence",
    "X-Auto-Response-Suppress",
    "Content-Type",
]


def compose(
    addressing: Addressing | None = None,
    *,
    subject: str = "3 new papers for you",
    text: str = TEXT,
    html: str = HTML,
) -> EmailMessage:
    addressing = addressing or Addressing(sender=SENDER, recipient="ada@example.org")
    return compose_message(
        addressing=addressing,
        subject=subject,
        text=text,
        html=html,
        message_id=message_id(addressing.recipient, *WINDOW, addressing.sender),
        date=NOW,
    )


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_digest_is_alternative_with_plain_text_first_and_html_second() -> None:
    received = parse(message_bytes(compose()))

    assert received.get_content_type() == "multipart/alternative"
    plain, html = received.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"


def test_accents_chinese_and_emoji_survive_the_trip_in_both_parts() -> None:
    received = parse(message_bytes(compose()))

    plain, html = received.iter_parts()
    assert plain.get_content().replace("\r\n", "\n") == TEXT
    assert html.get_content().replace("\r\n", "\n") == HTML


def test_wire_bytes_are_7bit_lines_ending_in_crlf() -> None:
    data = message_bytes(compose(subject="Zoë 李 🚀 " * 20))

    assert data.isascii()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998


def test_mostly_ascii_html_with_long_lines_goes_as_is() -> None:
    html = "<p>" + "x" * 900 + "</p>\n"

    message = compose(text="plain ascii\n", html=html)

    html_part = list(message.iter_parts())[1]
    assert html_part["Content-Transfer-Encoding"] == "7bit"
    assert html_part.get_content().replace("\r\n", "\n") == html  # read off the wire: CRLF


def test_html_mostly_in_chinese_is_base64_even_after_an_ascii_head() -> None:
    head = "".join(f'<meta name="m{i}" content="ascii">\n' for i in range(20))
    html = head + "<p>" + "大型语言模型的推理能力研究" * 400 + "</p>\n"

    message = compose(html=html)

    html_part = list(message.iter_parts())[1]
    assert html_part["Content-Transfer-Encoding"] == "base64"
    received = parse(message_bytes(message)).get_body(("html",))
    assert received is not None
    assert received.get_content().replace("\r\n", "\n") == html


def test_typical_digest_costs_little_more_than_its_text_on_the_wire() -> None:
    title = "Sparse attention for long-context language models by Zoë Müller et al."
    link = '<a href="https://arxiv.org/abs/2501.01234" style="color:#0645ad">'
    row = f'<tr><td style="padding:8px;font:15px/1.4 sans-serif">{link}{title}</a></td></tr>\n'
    html = "<table>\n" + row * 280 + "</table>\n"  # about 60 KB
    text = (title + "\nhttps://arxiv.org/abs/2501.01234\n\n") * 280

    data = message_bytes(compose(text=text, html=html))

    assert len(data) < 1.2 * (len(text) + len(html))


def test_headers_are_exactly_those_written() -> None:
    addressing = Addressing(
        sender=SENDER,
        recipient="ada@example.org",
        recipient_name="Ada Lovelace",
        unsubscribe_url=UNSUBSCRIBE_URL,
    )

    received = parse(message_bytes(compose(addressing)))

    assert list(received.keys()) == EXPECTED_HEADERS
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Precedence"] == "bulk"
    assert received["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert received["MIME-Version"] == "1.0"
    assert str(received["From"]) == SENDER
    assert str(received["To"]) == "Ada Lovelace <ada@example.org>"


HOSTILE_SUBJECTS = [
    "Great paper\r\nBcc: victim@example.net",
    "Great paper\nBcc: victim@example.net",
    "Great paper\rBcc: victim@example.net",
    "Great\x0bpaper\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00Bcc: victim@example.net",
    "Great paper\r\n\r\n<html>body injected</html>",
    "Great paper\udcff with a lone surrogate",
]


@pytest.mark.parametrize("subject", HOSTILE_SUBJECTS)
def test_subject_from_feed_text_cannot_add_a_header_or_a_body(subject: str) -> None:
    received = parse(message_bytes(compose(subject=subject)))

    assert list(received.keys()) == [h for h in EXPECTED_HEADERS if h != "List-Unsubscribe-Post"]
    assert received["Bcc"] is None
    assert str(received["Subject"]) == one_line(subject)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", str(received["Subject"]))
    assert received.get_content_type() == "multipart/alternative"


def test_subject_line_breaks_become_single_spaces() -> None:
    received = parse(message_bytes(compose(subject="  A\r\n\tB \u2028\u2029 C\x00D  ")))

    assert str(received["Subject"]) == "A B C D"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ('Ada "the" Lovelace, Ph.D.', 'Ada "the" Lovelace, Ph.D.'),
        ("Zoë 李", "Zoë 李"),
        ("O'Brien <boss@example.net>", "O'Brien <boss@example.net>"),
        ("Eve\r\nBcc: victim@example.net", "Eve Bcc: victim@example.net"),
        ("Eve\u2028To: victim@example.net;", "Eve To: victim@example.net;"),
    ],
)
def test_display_name_round_trips_as_one_name_of_one_address(name: str, shown: str) -> None:
    addressing = Addressing(sender=SENDER, recipient="ada@example.org", recipient_name=name)

    received = parse(message_bytes(compose(addressing)))

    (address,) = received["To"].addresses
    assert address.display_name == shown
    assert address.addr_spec == "ada@example.org"
    assert received["Bcc"] is None and received["Cc"] is None
    assert len(received.get_all("To")) == 1


def test_sender_with_an_encoded_name_from_the_settings_round_trips() -> None:
    sender = formataddr(("Zoë's digest, Ph.D.", "digest@example.org"))  # as config writes it

    received = parse(message_bytes(compose(Addressing(sender=sender, recipient="a@example.org"))))

    (address,) = received["From"].addresses
    assert (address.display_name, address.addr_spec) == (
        "Zoë's digest, Ph.D.",
        "digest@example.org",
    )


def test_international_domain_goes_out_in_its_ascii_form() -> None:
    message = compose(Addressing(sender=SENDER, recipient="ada@bücher.example"))

    assert envelope(message) == ("digest@example.org", "ada@xn--bcher-kva.example")
    assert str(parse(message_bytes(message))["To"]) == "ada@xn--bcher-kva.example"


def test_non_ascii_local_part_is_a_delivery_error() -> None:
    with pytest.raises(DeliveryError, match="SMTPUTF8") as caught:
        compose(Addressing(sender=SENDER, recipient="zoë@example.org"))

    assert isinstance(caught.value, PaperwireError) and caught.value.exit_code == 1


def test_message_id_is_stable_for_a_reader_and_window() -> None:
    first = message_id("Ada@Example.org", *WINDOW, SENDER)
    again = message_id("ada@example.org", *WINDOW, "Other name <digest@example.org>")
    next_window = message_id("ada@example.org", WINDOW[1], WINDOW[1], SENDER)
    other_reader = message_id("bob@example.org", *WINDOW, SENDER)

    assert first == again
    assert len({first, next_window, other_reader}) == 3
    assert re.fullmatch(r"<paperwire\.[0-9a-f]{24}@example\.org>", first)


def test_composed_message_carries_the_given_message_id_and_date() -> None:
    received = parse(message_bytes(compose()))

    assert received["Message-ID"] == message_id("ada@example.org", *WINDOW, SENDER)
    assert received["Date"] == "Fri, 03 Jan 2025 07:30:00 +0100"
    assert received["Date"].datetime == NOW


def test_naive_date_and_malformed_message_id_are_refused() -> None:
    addressing = Addressing(sender=SENDER, recipient="ada@example.org")
    common = {"addressing": addressing, "subject": "s", "text": "t", "html": "<p>h</p>"}

    with pytest.raises(ValueError, match="time zone"):
        compose_message(**common, message_id="<a@example.org>", date=dt.datetime(2025, 1, 3))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Message-ID"):
        compose_message(**common, message_id="<a@example.org>\r\nBcc: x@y", date=NOW)  # type: ignore[arg-type]


def test_list_unsubscribe_without_url_is_mailto_only_and_not_one_click() -> None:
    received = parse(message_bytes(compose()))

    assert received["List-Unsubscribe"] == (
        "<mailto:digest@example.org?subject=unsubscribe%20ada%40example.org>"
    )
    assert received["List-Unsubscribe-Post"] is None


def test_list_unsubscribe_with_https_url_offers_one_click() -> None:
    addressing = Addressing(
        sender=SENDER, recipient="ada@example.org", unsubscribe_url=UNSUBSCRIBE_URL
    )

    data = message_bytes(compose(addressing))

    received = parse(data)
    assert received["List-Unsubscribe"] == (
        f"<mailto:digest@example.org?subject=unsubscribe%20ada%40example.org>, <{UNSUBSCRIBE_URL}>"
    )
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"<{UNSUBSCRIBE_URL}>".encode() in data  # whole on one line, never an encoded-word


def test_plain_http_url_is_listed_but_gives_no_one_click() -> None:
    url = "http://digest.example.org/unsubscribe?token=abc"
    addressing = Addressing(sender=SENDER, recipient="ada@example.org", unsubscribe_url=url)

    received = parse(message_bytes(compose(addressing)))

    assert str(received["List-Unsubscribe"]).endswith(f", <{url}>")
    assert received["List-Unsubscribe-Post"] is None


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "https://x.example/a b",
        "https://x.example/\r\nBcc: x@y",
        "https://x.example/ü",
    ],
)
def test_unsubscribe_url_that_cannot_be_a_header_element_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="unsubscribe_url"):
        compose(Addressing(sender=SENDER, recipient="ada@example.org", unsubscribe_url=url))


def test_unsubscribe_address_replaces_the_sender_in_the_mailto() -> None:
    addressing = Addressing(
        sender=SENDER, recipient="ada+ml@example.org", unsubscribe_mailto="leave@example.org"
    )

    assert unsubscribe_mailto_url(addressing) == (
        "mailto:leave@example.org?subject=unsubscribe%20ada%2Bml%40example.org"
    )


def test_list_id_defaults_to_the_senders_domain_and_accepts_a_bare_identifier() -> None:
    default = parse(message_bytes(compose()))
    bare = compose(
        Addressing(sender=SENDER, recipient="a@example.org", list_id="digests.example.org")
    )
    named = compose(
        Addressing(sender=SENDER, recipient="a@example.org", list_id="ML <ml.example.org>")
    )

    assert default["List-Id"] == "paperwire digests <paperwire.example.org>"
    assert parse(message_bytes(bare))["List-Id"] == "<digests.example.org>"
    assert parse(message_bytes(named))["List-Id"] == "ML <ml.example.org>"


def test_bytes_kept_in_the_ledger_serialise_back_unchanged() -> None:
    addressing = Addressing(
        sender=SENDER, recipient="ada@example.org", unsubscribe_url=UNSUBSCRIBE_URL
    )
    data = message_bytes(compose(addressing, subject="Zoë 李 🚀 " * 12))

    for policy in (email.policy.SMTP, email.policy.default):
        again = email.message_from_bytes(data, policy=policy)
        assert isinstance(again, EmailMessage)
        assert message_bytes(again) == data
        assert envelope(again) == ("digest@example.org", "ada@example.org")


def test_same_input_gives_the_same_bytes() -> None:
    assert message_bytes(compose()) == message_bytes(compose())
