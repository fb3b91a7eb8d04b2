"""parse_xml: every way a response can fail to be XML becomes one FeedFormatError line."""

from __future__ import annotations

import time

import pytest
from fixtures_path import real_fixture, shared_fixtures

from paperwire.errors import FeedFormatError
from paperwire.sources._xml import parse_xml

URL = "https://rss.arxiv.org/rss/cs.LG"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title></channel></rss>
"""


def reason_of(body: bytes) -> str:
    with pytest.raises(FeedFormatError) as caught:
        parse_xml(body, URL)
    assert caught.value.url == URL
    return caught.value.reason


def test_well_formed_body_gives_its_root_element() -> None:
    assert parse_xml(b"<rss><channel/></rss>", URL).tag == "rss"


@pytest.mark.parametrize("body", [b"", b"   \n\t  "])
def test_empty_body_is_reported_as_empty_response(body: bytes) -> None:
    assert reason_of(body) == "empty response"


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body>Rate limited</body></html>",
        b"\xef\xbb\xbf  \n<!doctype HTML>\n<html lang=en>",
        b"<HTML><HEAD><TITLE>502 Bad Gateway</TITLE></HEAD></HTML>",
        b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x.dtd">',
    ],
)
def test_html_page_is_reported_as_html_not_as_xml_syntax(body: bytes) -> None:
    assert "HTML page" in reason_of(body)


def test_truncated_xml_names_line_and_problem() -> None:
    reason = reason_of(b"<?xml version='1.0'?>\n<rss>\n<channel>\n<item><title>Cut")
    assert reason.startswith("not well-formed XML (line 4): ")
    assert "column" not in reason  # expat's ": line 4, column 15" suffix is not repeated


def test_error_message_names_the_url() -> None:
    with pytest.raises(FeedFormatError) as caught:
        parse_xml(b"<rss><channel>", URL)
    assert str(caught.value).startswith(f"{URL}: not well-formed XML")


def test_billion_laughs_is_refused_quickly() -> None:
    started = time.perf_counter()
    assert "entity" in reason_of(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1.0


def test_external_entity_is_refused() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    assert "entity" in reason_of(body)


def test_entity_bomb_in_utf16_is_refused_too() -> None:
    # A UTF-16 document hides "<!DOCTYPE" from a bytes search; it must still be defused.
    assert "entity" in reason_of(BILLION_LAUGHS.decode().encode("utf-16"))


def test_invalid_utf8_bytes_are_replaced_not_fatal() -> None:
    body = b"<?xml version='1.0' encoding='UTF-8'?><rss><title>Caf\xe9 \xff ok</title></rss>"
    root = parse_xml(body, URL)
    assert root.findtext("title") == "Caf\ufffd \ufffd ok"


def test_invalid_utf8_with_a_real_syntax_error_still_reports_the_syntax_error() -> None:
    assert reason_of(b"<rss><title>\xff</title>").startswith("not well-formed XML")


@shared_fixtures
def test_truncated_real_atom_feed_is_a_format_error() -> None:
    body = real_fixture("rss-atom/atom_cs.AI_2025-08-20_zotero-arxiv-daily_TRUNCATED.xml")
    assert reason_of(body).startswith("not well-formed XML (line ")


def test_document_with_a_harmless_doctype_still_parses() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "rss.dtd"><rss><channel/></rss>'
    assert parse_xml(body, URL).tag == "rss"


def test_latin1_declared_document_parses() -> None:
    body = "<?xml version='1.0' encoding='ISO-8859-1'?><r>Café</r>".encode("latin-1")
    assert parse_xml(body, URL).text == "Café"


def test_raw_control_characters_are_dropped_not_fatal() -> None:
    root = parse_xml(b"<rss><title>Graphs\x01 for\x1b Molecules</title></rss>", URL)
    assert root.findtext("title") == "Graphs for Molecules"


def test_character_references_to_control_characters_are_dropped() -> None:
    root = parse_xml(b"<rss><title>A&#1;B&#x1F;C&#10;D</title></rss>", URL)
    assert root.findtext("title") == "ABC\nD"
