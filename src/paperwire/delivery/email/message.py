"""Build a digest email: headers no feed text can break, and a 7-bit text + HTML body."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.policy
import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlsplit

from email_validator import EmailNotValidError, validate_email

from paperwire.errors import DeliveryError

__all__ = [
    "Addressing",
    "MessageWriter",
    "compose_message",
    "envelope",
    "message_bytes",
    "message_id",
    "one_line",
    "parsed_message",
    "unsubscribe_mailto_url",
]

# SMTP line ends, and every header and body 7-bit: the message can be relayed by any server,
# with no need for 8BITMIME or SMTPUTF8. Non-ASCII headers become RFC 2047 encoded-words.
POLICY = email.policy.SMTP.clone(cte_type="7bit")
# Serialising a message parsed back from bytes (the ledger keeps bytes): keep each header's
# own folding. Refolding a long List-Unsubscribe line would turn its URL into an encoded-word.
_WIRE_POLICY = POLICY.clone(refold_source="none")

# RFC 5322 2.1.1: a line is at most 998 characters. A 7-bit body keeps its lines as they are
# up to that, so an HTML digest of ASCII costs no quoted-printable escapes.
_MAX_LINE = 998
# Bytes quoted-printable writes as "=XX": 8-bit, "=", and controls other than tab, CR and LF.
_QP_ESCAPED = bytes(range(128, 256)) + b"=" + bytes(c for c in range(32) if c not in b"\t\r\n")
# Anything that ends a line (\r, \n, \x0b, \x0c, \x1c-\x1e, \x85, \u2028, \u2029), any other
# control character (\x00, \x7f…) and any run of spaces: one space in a header.
_BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
# A Message-ID as RFC 5322 3.6.4 writes it (no CFWS, no obsolete forms).
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")
# One element of a List-* header goes on one line of its own; keep it well under 998.
_MAX_HEADER_ELEMENT = 900


@dataclass(frozen=True, slots=True)
class Addressing:
    """Who a digest is from and to, and the List-* headers that go with it."""

    sender: str  # settings.smtp.from_address: "Name <addr>" or "addr" (already validated)
    recipient: str  # the subscriber's address (already validated)
    recipient_name: str = ""
    list_id: str = ""  # "" → "paperwire digests <paperwire.DOMAIN-OF-SENDER>"
    unsubscribe_mailto: str = ""  # an address; "" → the sender's address
    unsubscribe_url: str = ""  # an http(s) URL, or ""; https adds one-click unsubscribe


def one_line(text: str) -> str:
    """`text` as one header-safe line: every run of whitespace or control characters, line
    breaks of any kind included, becomes one space (and a lone surrogate "?")."""
    if not _encodes(text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    # An RFC 2047 encoded word in feed text ("=?utf-8?b?...?=") would be decoded by the email
    # package, CR/LF and all (before Python 3.11.10): break the "=?" so it stays text.
    return _BREAKS.sub(" ", text).replace("=?", "=\u200b?").strip()


def message_id(
    recipient: str, window_from: dt.date, window_to: dt.date, sender: str, kind: str = "topics"
) -> str:
    """The Message-ID of a subscriber's digest for a window: the same every time it is built,
    so a digest sent again (a crash after sending) is recognisable as the same message."""
    key = f"{recipient.strip().lower()}|{window_from.isoformat()}|{window_to.isoformat()}"
    if kind != "topics":  # a trending digest of the same dates is another message
        key += f"|{kind}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    return f"<paperwire.{digest}@{_mailbox(sender).domain}>"


def unsubscribe_mailto_url(addressing: Addressing) -> str:
    """The mailto: URL of List-Unsubscribe (and the footer): a message to the unsubscribe
    address whose subject names the subscriber (RFC 6068 percent-encoding)."""
    if addressing.unsubscribe_mailto.strip():
        target = _ascii_addr_spec(addressing.unsubscribe_mailto.strip())
    else:
        target = _mailbox(addressing.sender).addr_spec
    subject = quote(f"unsubscribe {addressing.recipient.strip()}", safe="")
    return f"mailto:{quote(target, safe='@')}?subject={subject}"


class MessageWriter:
    """Writes one digest email as bytes: multipart/alternative, text/plain then text/html,
    both UTF-8 in a 7-bit transfer encoding, CRLF line ends.

    The headers that do not depend on the content (addresses, Date, Message-ID, List-*) are
    made once; `write` adds a subject and the two bodies, so a digest laid out again with
    fewer papers costs only those. Names and the subject may hold anything a feed sends: they
    are reduced to one line first, so no header can be added through them.
    """

    def __init__(self, *, addressing: Addressing, message_id: str, date: dt.datetime) -> None:
        if date.tzinfo is None or date.utcoffset() is None:
            raise ValueError("date must carry a time zone (the Date header needs an offset)")
        if not _MESSAGE_ID.fullmatch(message_id):
            raise ValueError(f"{message_id!r} is not a Message-ID such as '<id@example.org>'")
        sender = _mailbox(addressing.sender)
        recipient = Address(
            display_name=one_line(addressing.recipient_name),
            addr_spec=_ascii_addr_spec(addressing.recipient.strip()),
        )
        unsubscribe = [f"<{unsubscribe_mailto_url(addressing)}>"]
        one_click = False
        if addressing.unsubscribe_url:
            url = _checked_url(addressing.unsubscribe_url)
            unsubscribe.append(f"<{url}>")
            # RFC 8058 3.1: one-click needs an https URI in List-Unsubscribe.
            one_click = url.startswith("https://")
        self.message_id = message_id
        self._addresses = _header_block([("From", sender), ("To", recipient)])
        rest: list[tuple[str, object]] = [
            ("Date", format_datetime(date)),
            ("Message-ID", message_id),
            ("MIME-Version", "1.0"),
            ("List-Id", _VerbatimHeader("List-Id", [_list_id(addressing.list_id, sender)])),
            ("List-Unsubscribe", _VerbatimHeader("List-Unsubscribe", unsubscribe)),
        ]
        if one_click:
            rest.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
        rest += [
            # RFC 3834 5: "auto-generated" is for messages a program makes on its own
            # ("auto-replied" is for answers); RFC 3834 and Sieve vacation (RFC 5230)
            # responders do not answer them.
            ("Auto-Submitted", "auto-generated"),
            # No standard (RFC 2076 calls it discouraged), but older autoresponders look only
            # at it, and Gmail's bulk-sender guidelines asked for it; newsletter senders set it.
            ("Precedence", "bulk"),
            # Exchange/Outlook: send no out-of-office or other automatic reply to this.
            ("X-Auto-Response-Suppress", "OOF, AutoReply"),
        ]
        self._rest = _header_block(rest)

    def write(self, subject: str, text: str, html: str) -> bytes:
        """The whole message with this subject and these bodies."""
        # "=_" cannot occur in quoted-printable or base64 text, and a hash of the content
        # cannot occur in the content: a boundary that never collides, and the same bytes for
        # the same message (the random default would differ on every build).
        boundary = b"=_paperwire_" + _content_hash(self.message_id, subject, text, html)[
            :32
        ].encode("ascii")
        return b"".join(
            [
                self._addresses,
                _header_block([("Subject", one_line(subject))]),
                self._rest,
                b'Content-Type: multipart/alternative;\r\n boundary="%s"\r\n\r\n' % boundary,
                b"--%s\r\n" % boundary,
                _text_part(text, "plain"),
                b"\r\n--%s\r\n" % boundary,
                _text_part(html, "html"),
                b"\r\n--%s--\r\n" % boundary,
            ]
        )


def compose_message(
    *,
    addressing: Addressing,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    date: dt.datetime,
) -> EmailMessage:
    """The digest email as MessageWriter writes it, as a message object."""
    writer = MessageWriter(addressing=addressing, message_id=message_id, date=date)
    return parsed_message(writer.write(subject, text, html))


def parsed_message(data: bytes) -> EmailMessage:
    """A message read back from its bytes."""
    from email.parser import BytesParser

    message = BytesParser(policy=POLICY).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def message_bytes(message: EmailMessage) -> bytes:
    """Exactly what goes on the wire (CRLF line ends, 7-bit), for a composed message or one
    parsed back from these bytes."""
    return message.as_bytes(policy=_WIRE_POLICY)


def headers_of(data: bytes) -> EmailMessage:
    """A message's headers read from its bytes, the body left unparsed: what a transport
    needs (the envelope, the outbox's file name) to send bytes as they are."""
    from email.parser import BytesHeaderParser

    end = data.find(b"\r\n\r\n")  # the body is not read: only the header block is parsed
    message = BytesHeaderParser(policy=POLICY).parsebytes(data if end < 0 else data[: end + 4])
    assert isinstance(message, EmailMessage)
    return message


def envelope(message: EmailMessage) -> tuple[str, str]:
    """(envelope sender, envelope recipient): the addresses of From and of the one To."""
    senders = _addresses(message, "From")
    recipients = _addresses(message, "To")
    if len(senders) != 1 or len(recipients) != 1:
        raise ValueError("a digest has exactly one From and one To address")
    return senders[0].addr_spec, recipients[0].addr_spec


class _VerbatimHeader(str):
    """A header of ASCII elements written one per line, never re-encoded.

    The email package folds a long unstructured header by turning words into RFC 2047
    encoded-words; in List-Unsubscribe that makes the URL unreadable to mail clients (RFC 2369
    elements are not decoded). A value with a `name` is a header object to the policy, whose
    `fold` is used as it is (email.policy.EmailPolicy.header_store_parse and fold).
    """

    name: str
    elements: tuple[str, ...]

    def __new__(cls, name: str, elements: Sequence[str]) -> _VerbatimHeader:
        for element in elements:
            if not element.isascii() or not element.isprintable() or not element:
                raise ValueError(f"{name}: {element!r} is not printable ASCII")
            if len(element) > _MAX_HEADER_ELEMENT:
                raise ValueError(f"{name}: {element[:40]!r}… is too long")
        value = super().__new__(cls, ", ".join(elements))
        value.name = name
        value.elements = tuple(elements)
        return value

    def fold(self, *, policy: Policy) -> str:
        separator = "," + policy.linesep + " "
        return f"{self.name}: {separator.join(self.elements)}{policy.linesep}"


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@functools.lru_cache(maxsize=64)  # the sender's, once for every digest
def _mailbox(text: str) -> Address:
    """One address from "Name <addr>", "addr" or an RFC 2047-encoded name, domain in ASCII."""
    addresses = POLICY.header_factory("From", text.strip()).addresses
    if len(addresses) != 1 or not addresses[0].domain:
        raise ValueError(f"{text!r} is not one address such as 'paperwire <digest@example.org>'")
    name, addr_spec = one_line(addresses[0].display_name), addresses[0].addr_spec
    return Address(display_name=name, addr_spec=_ascii_addr_spec(addr_spec))


def _ascii_addr_spec(address: str) -> str:
    """The address as 7-bit SMTP can carry it: an internationalised domain in its ASCII
    (IDNA) form. A non-ASCII local part needs SMTPUTF8, which paperwire does not use."""
    if address.isascii():
        return address
    try:
        ascii_email = validate_email(address, check_deliverability=False).ascii_email
    except EmailNotValidError as exc:
        raise DeliveryError(f"{address!r} is not an email address: {exc}") from None
    if not ascii_email:
        raise DeliveryError(
            f"{address}: an address with non-ASCII characters before the @ needs SMTPUTF8, "
            "which paperwire does not send; use the subscriber's ASCII address"
        )
    return ascii_email


def _addresses(message: EmailMessage, name: str) -> tuple[Address, ...]:
    header: Any = message[name]
    return tuple(header.addresses) if header is not None else ()


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"unsubscribe_url must be an https:// (or http://) URL, got {url!r}")
    if not url.isascii() or not url.isprintable() or any(c in url for c in " <>"):
        raise ValueError(f"unsubscribe_url {url!r} must be percent-encoded ASCII")
    return url


def _list_id(configured: str, sender: Address) -> str:
    value = one_line(configured) or f"paperwire digests <paperwire.{sender.domain}>"
    if "<" not in value:
        value = f"<{value}>"  # RFC 2919 2: the identifier is always in angle brackets
    return value


def _header_block(headers: Sequence[tuple[str, object]]) -> bytes:
    """Headers as the email package writes them (RFC 2047 words for non-ASCII, folded at 78
    characters), CRLF after each."""
    block = EmailMessage(policy=POLICY)
    for name, value in headers:
        block[name] = value
    return block.as_bytes()[: -len(b"\r\n")]  # without the blank line that ends a header block


def _text_part(body: str, subtype: str) -> bytes:
    """One body part, its headers included: UTF-8 in the smallest 7-bit transfer encoding,
    lines ended by CRLF, the last one too."""
    if not _encodes(body):
        body = body.encode("utf-8", "replace").decode("utf-8")
    data = b"\r\n".join(body.encode("utf-8").splitlines()) + b"\r\n"
    encoding = _transfer_encoding(data)
    if encoding == "quoted-printable":
        data = binascii.b2a_qp(data, istext=True)  # keeps the CRLFs; "=" CRLF soft breaks
    elif encoding == "base64":
        data = base64.encodebytes(data).replace(b"\n", b"\r\n")  # 76 characters a line
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
    return f"{head}Content-Transfer-Encoding: {encoding}\r\n\r\n".encode("ascii") + data


def _transfer_encoding(data: bytes) -> str:
    """7bit when the body is ASCII with lines of at most 998 characters; otherwise whichever
    of quoted-printable and base64 comes out smaller.

    The email package decides from the first ten lines only, so an HTML digest whose head is
    ASCII and whose titles are Chinese would be quoted-printable (9 bytes per character) and
    not base64 (4); and it quotes any ASCII line longer than 78 characters.
    """
    ascii_lines = data.isascii() and b"\0" not in data
    if ascii_lines and max(map(len, data.splitlines()), default=0) <= _MAX_LINE:
        return "7bit"
    escaped = len(data) - len(data.translate(None, _QP_ESCAPED))
    quoted_printable = (len(data) + 2 * escaped) * 79 // 76  # "=\r\n" every 76 characters
    base64 = (len(data) + 2) // 3 * 4 * 78 // 76  # 76 characters and CRLF a line
    return "base64" if base64 < quoted_printable else "quoted-printable"


def _content_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()
