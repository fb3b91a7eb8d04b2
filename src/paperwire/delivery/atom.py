"""A private Atom feed per reader: each digest's papers added to a file any feed reader reads.

A reader with `channels = ["atom"]` (or ["email", "atom"]) gets `delivery.feeds_dir/<token>.xml`,
where the token is random and kept in the store (the file's name is the secret: whoever
knows it can read the feed, nobody can guess it). Each delivery rewrites the file from the
ledger — the reader's newest `delivery.feed_size` papers, each once, newest first — in one
rename, so a reader never sees half a file and writing it twice is harmless.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from paperwire.delivery.base import Channel, DeliveryResult, Prepared
from paperwire.digest.view import why_items
from paperwire.errors import DeliveryError
from paperwire.files import turn, write_into
from paperwire.models import Digest, Paper, Reader
from paperwire.store import Store
from paperwire.store.ledger import Delivery
from paperwire.tex import tex_to_text
from paperwire.text import clip, one_line, plain_url, plural

ATOM = "http://www.w3.org/2005/Atom"
STATE = "atom"  # plugin_state: each reader's feed token, by address
FEED_NAME = re.compile(r"[A-Za-z0-9_-]{16,64}\.xml")  # a feed file's name: "<token>.xml"
# Characters XML 1.0 cannot hold at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SUMMARY_CHARS = 1200


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _urn(name: str) -> str:
    """A permanent, unique IRI for a feed or an entry (RFC 4287 4.2.6)."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'paperwire:' + name)}"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    cleaned = {name: _text(value) for name, value in attributes.items()}
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", cleaned)
    if text is not None:
        element.text = _text(text)
    return element


def feed_document(
    title: str,
    token: str,
    entries: list[tuple[Paper, dt.datetime]],
    updated: dt.datetime,
    self_url: str = "",
) -> bytes:
    """An Atom 1.0 document (RFC 4287) of `entries` (paper, when it was delivered), in the
    order given."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", _urn(f"feed/{token}"))
    _add(feed, "title", title)
    _add(feed, "updated", _stamp(updated))
    author = _add(feed, "author")
    _add(author, "name", "paperwire")
    _add(feed, "generator", "paperwire")
    if self_url:
        _add(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    for paper, delivered in entries:
        entry = _add(feed, "entry")
        _add(entry, "id", _urn(f"paper/{paper.key}"))
        _add(entry, "title", tex_to_text(one_line(paper.title)), type="text")
        _add(entry, "updated", _stamp(delivered))
        if paper.submitted is not None:
            _add(entry, "published", _stamp(paper.submitted))
        link = plain_url(paper.url)
        if link:
            _add(entry, "link", rel="alternate", href=link, type="text/html")
        for name in paper.authors[:50]:
            _add(_add(entry, "author"), "name", one_line(name))
        for category in paper.categories:
            _add(entry, "category", term=category)
        abstract = clip(tex_to_text(one_line(paper.abstract)), _SUMMARY_CHARS)
        _add(entry, "summary", abstract or one_line(paper.title), type="text")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


class AtomChannel(Channel):
    """Writes each reader's private feed into `directory`. `base_url`: where the files are
    served (`{base_url}/feeds/<token>.xml`), for the feed's self link; `size`: how many
    papers a feed keeps."""

    name = "atom"

    def __init__(self, directory: Path, store: Store, *, base_url: str = "", size: int = 100):
        self.directory = Path(directory)
        self.store = store
        self.base_url = base_url
        self.size = size

    def token(self, email: str, now: dt.datetime | None = None) -> str:
        """The reader's feed token: made once, random, kept in the store."""
        made = secrets.token_urlsafe(18)
        moment = now or dt.datetime.now(dt.UTC)
        token: str = self.store.state(STATE).put_new(email.lower(), made, moment)
        return token

    def path(self, email: str, now: dt.datetime | None = None) -> Path:
        return self.directory / f"{self.token(email, now)}.xml"

    def url(self, email: str) -> str:
        return self._url(self.token(email))

    def _url(self, token: str) -> str:
        return f"{self.base_url}/feeds/{token}.xml" if self.base_url else ""

    def _known_token(self, email: str) -> str | None:
        """The reader's feed token if one was made (none is made here)."""
        token = self.store.state(STATE).get(email.strip().lower())
        return token if isinstance(token, str) and FEED_NAME.fullmatch(f"{token}.xml") else None

    def existing_url(self, email: str) -> str:
        """The reader's feed URL if they have a feed token, else ""."""
        token = self._known_token(email)
        return self._url(token) if token else ""

    def forget(self, email: str) -> None:
        """Delete the reader's feed file (a reader who left); their token stays unused."""
        token = self._known_token(email)
        if token:
            (self.directory / f"{token}.xml").unlink(missing_ok=True)

    def served(self, name: str) -> Path | None:
        """The feed file a request names ("<token>.xml"), if it is one and exists."""
        if not FEED_NAME.fullmatch(name):
            return None
        path = self.directory / name
        return path if path.is_file() else None

    def prepare(self, digest: Digest, reader: Reader, now: dt.datetime) -> Prepared:
        """Nothing to keep but the papers: the file is built from the ledger when delivered.
        The subject is the digest's first why, for `send --dry-run`."""
        subject = f"{plural(len(digest.papers), 'paper')} for the feed"
        if digest.papers and digest.papers[0].reasons:
            subject += f" ({why_items(digest.papers[0].reasons)[0].text})"
        return Prepared("", subject, None, digest)

    def deliver(
        self, delivery: Delivery, payload: bytes | None, now: dt.datetime
    ) -> DeliveryResult:
        """Rebuild the reader's feed from the ledger, this delivery's papers included. Two
        processes delivering to one reader at once (`send` beside cron's `run`) take turns,
        and each counts the other's claimed delivery: neither writes the other's papers out."""
        name = self.path(delivery.subscriber, now).name
        try:
            self.directory.mkdir(mode=0o711, parents=True, exist_ok=True)
            with turn(self.directory / f".{name}.lock"):
                document, count = self._document(delivery, now)
                # Readable by the web server that serves them; the folder cannot be listed,
                # so only a reader who has its unguessable name finds a feed.
                path = write_into(self.directory, name, document, mode=0o644)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise DeliveryError(f"feeds folder {self.directory}: cannot write: {reason}") from None
        return DeliveryResult("sent", f"{plural(count, 'paper')} in {path}")

    def _document(self, delivery: Delivery, now: dt.datetime) -> tuple[bytes, int]:
        keys = self.store.ledger.delivered_papers(
            delivery.subscriber, self.name, self.size, including=delivery.id, now=now
        )
        found = self.store.get_papers([key for key, _ in keys])
        entries, seen = [], set()
        for key, delivered in keys:
            paper = found.get(key)
            if paper is not None and paper.key not in seen:
                seen.add(paper.key)
                entries.append((paper, delivered))
        reader = self.store.subscribers.get(delivery.subscriber)
        who = (reader.name if reader and reader.name else "") or delivery.subscriber
        document = feed_document(
            f"paperwire: papers for {who}",
            self.token(delivery.subscriber, now),
            entries,
            now,
            self.url(delivery.subscriber),
        )
        return document, len(entries)

    def describe(self) -> str:
        return f"feeds {self.directory}"

    def reader_note(self, reader: Reader) -> str:
        url = self.url(reader.email)
        return f"{self.path(reader.email)}" + (f" ({url})" if url else "")
