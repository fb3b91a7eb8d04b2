"""Turn an rss.arxiv.org feed (RSS 2.0 or Atom, 2024+ format) into a FeedBatch of Papers."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from email.utils import parsedate_to_datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from paperwire.errors import FeedFormatError
from paperwire.models import ARXIV, AnnounceType, FeedBatch, Paper, Route
from paperwire.sources._text import (
    ABSTRACT_LIMIT,
    FIELD_LIMIT,
    MAX_AUTHORS,
    TITLE_LIMIT,
    author_name,
    author_names,
    clean_categories,
    clean_field,
    optional_field,
)
from paperwire.sources._xml import ARXIV_NS, ATOM, DC, element_text, parse_xml, qname
from paperwire.sources.arxiv.ids import arxiv_links, split_arxiv_id

# arXiv announces on its own (US Eastern) calendar: the mailing of "Tuesday" is stamped
# 00:00 -0400 or 04:00 +0000, so the date must be taken in New York, not in UTC or locally.
ARXIV_TZ = ZoneInfo("America/New_York")

_ATOM_FEED = qname(ATOM, "feed")
_ATOM_ENTRY = qname(ATOM, "entry")
_ATOM_ID = qname(ATOM, "id")
_ATOM_TITLE = qname(ATOM, "title")
_ATOM_SUMMARY = qname(ATOM, "summary")
_ATOM_CATEGORY = qname(ATOM, "category")
_ATOM_AUTHOR = qname(ATOM, "author")
_ATOM_NAME = qname(ATOM, "name")
_ATOM_RIGHTS = qname(ATOM, "rights")
_ATOM_UPDATED = qname(ATOM, "updated")
_ATOM_PUBLISHED = qname(ATOM, "published")
_ANNOUNCE_TYPE = qname(ARXIV_NS, "announce_type")
# rss.arxiv.org spells these differently from the API (arxiv:doi, arxiv:journal_ref).
_DOI = qname(ARXIV_NS, "DOI")
_JOURNAL_REF = qname(ARXIV_NS, "journal_reference")
_DC_CREATOR = qname(DC, "creator")
_DC_RIGHTS = qname(DC, "rights")

# The description/summary is `arXiv:<id>v<n> Announce Type: <type> \nAbstract: <text>`
# (note the space before the newline); the abstract proper is everything after "Abstract:".
_DESCRIPTION = re.compile(
    r"\s*arXiv:(?P<id>\S{1,64})\s+Announce Type:\s*(?P<type>[\w-]{1,32})\s*Abstract:\s?"
)
_ABSTRACT_MARK = "Abstract:"


def feed_url(rss_url: str, categories: Sequence[str]) -> str:
    """The one combined feed URL for all categories: `{rss_url}/rss/cs.AI+cs.LG`."""
    if isinstance(categories, str):
        categories = [categories]
    cats = [quote(c.strip(), safe=".-_") for c in categories if c.strip()]
    if not cats:
        raise ValueError("feed_url needs at least one category")
    return f"{rss_url.rstrip('/')}/rss/{'+'.join(cats)}"


def parse_feed(body: bytes, url: str) -> FeedBatch:
    """Parse an rss.arxiv.org RSS 2.0 or Atom feed; every paper gets the feed's own date."""
    root = parse_xml(body, url)
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise FeedFormatError(url, "not an RSS or Atom feed")
        items = channel.findall("item")
        announced = _rss_date(channel, items)
        parsed = [_item(item, _RSS_FIELDS, announced) for item in items]
    elif root.tag == _ATOM_FEED:
        entries = root.findall(_ATOM_ENTRY)
        announced = _atom_date(root, entries)
        parsed = [_item(e, _ATOM_FIELDS, announced) for e in entries]
    else:
        raise FeedFormatError(url, "not an RSS or Atom feed")
    papers = [p for p in parsed if p is not None]
    return FeedBatch(papers, announced, url, skipped=len(parsed) - len(papers))


# --- dates ---------------------------------------------------------------------------------


def _eastern_date(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:  # "-0000" / no zone: RFC 5322 says UTC of unknown origin
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ARXIV_TZ).date()


def _rfc822_date(text: str | None) -> dt.date | None:
    if not text or not text.strip():
        return None
    try:
        return _eastern_date(parsedate_to_datetime(text.strip()[:100]))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _iso_date(text: str | None) -> dt.date | None:
    if not text or not text.strip():
        return None
    try:
        return _eastern_date(dt.datetime.fromisoformat(text.strip()[:64]))
    except (ValueError, OverflowError):  # OverflowError: 9999-12-31T23:59-12:00 has no UTC
        return None


def _rss_date(channel: ET.Element, items: list[ET.Element]) -> dt.date | None:
    # The channel <pubDate> is the mailing date; lastBuildDate is a few minutes later the same
    # night. Early-2024 items carry no <pubDate> of their own, later ones repeat the channel's.
    for tag in ("pubDate", "lastBuildDate"):
        date = _rfc822_date(channel.findtext(tag))
        if date is not None:
            return date
    for item in items:
        date = _rfc822_date(item.findtext("pubDate"))
        if date is not None:
            return date
    return None


def _atom_date(feed: ET.Element, entries: list[ET.Element]) -> dt.date | None:
    # Feed <updated> is 04:00 UTC of the mailing night (2025-08-20T04:00:19.866337+00:00).
    date = _iso_date(feed.findtext(_ATOM_UPDATED))
    if date is not None:
        return date
    for entry in entries:
        date = _iso_date(entry.findtext(_ATOM_PUBLISHED)) or _iso_date(
            entry.findtext(_ATOM_UPDATED)
        )
        if date is not None:
            return date
    return None


# --- items ---------------------------------------------------------------------------------


def _announce_type(text: str | None) -> AnnounceType | None:
    if not text:
        return None
    try:
        return AnnounceType(text.strip().lower())
    except ValueError:
        return None


def _build(
    *,
    guid: str,
    title: str,
    description: str,
    categories: list[str],
    authors: list[str],
    announce_text: str | None,
    license_: str | None,
    doi: str | None,
    journal_ref: str | None,
    announced: dt.date | None,
) -> Paper | None:
    description = description[: ABSTRACT_LIMIT * 4 + 200]
    match = _DESCRIPTION.match(description)
    if match:
        abstract = description[match.end() :]
        described_id, described_type = match.group("id"), match.group("type")
    else:
        mark = description.find(_ABSTRACT_MARK)
        abstract = description[mark + len(_ABSTRACT_MARK) :] if mark >= 0 else description
        described_id = described_type = None
    # guid/id `oai:arXiv.org:2403.15527v1` carries the version; fall back to the description.
    arxiv_id: str | None = None
    version: int | None = None
    for candidate in (guid[:FIELD_LIMIT], described_id):
        if not candidate:
            continue
        try:
            found_id, found_version = split_arxiv_id(candidate)
        except ValueError:
            continue
        if arxiv_id is None:
            arxiv_id, version = found_id, found_version
        elif found_id == arxiv_id and version is None:
            version = found_version
    if arxiv_id is None:
        return None  # no usable id: skip the item rather than lose the whole feed
    cats = clean_categories(categories)
    return Paper(
        key=arxiv_id,
        title=clean_field(title, TITLE_LIMIT),
        abstract=clean_field(abstract, ABSTRACT_LIMIT),
        authors=authors[:MAX_AUTHORS],
        categories=cats,
        # The feed names no primary category, but lists it first: for a `cross` item that is
        # the other archive's category (stat.ME for a paper cross-listed into stat.ML).
        primary_category=cats[0] if cats else None,
        version=version,
        announce_type=_announce_type(announce_text) or _announce_type(described_type),
        announced=announced,
        license=optional_field(license_),
        doi=optional_field(doi),
        journal_ref=optional_field(journal_ref),
        source=ARXIV,
        route=Route.RSS,
        links=arxiv_links(arxiv_id),
    )


# What each child element of an RSS <item> or an Atom <entry> holds. One reader serves both:
# rss.arxiv.org's two formats carry the same fields under different names.
_RSS_FIELDS = {
    "title": "title",
    "description": "abstract",
    "guid": "id",
    "link": "link",
    "category": "category",
    _DC_CREATOR: "creator",
    _ANNOUNCE_TYPE: "announce_type",
    _DC_RIGHTS: "license",
    _DOI: "doi",
    _JOURNAL_REF: "journal_ref",
}
_ATOM_FIELDS = {
    _ATOM_TITLE: "title",
    _ATOM_SUMMARY: "abstract",
    _ATOM_ID: "id",
    _ATOM_CATEGORY: "category",
    # rss.arxiv.org's Atom feed uses dc:creator (comma-separated) like its RSS feed; other
    # Atom producers use <author><name>.
    _DC_CREATOR: "creator",
    _ATOM_AUTHOR: "author",
    _ANNOUNCE_TYPE: "announce_type",
    _DC_RIGHTS: "license",
    _ATOM_RIGHTS: "license",
    _DOI: "doi",
    _JOURNAL_REF: "journal_ref",
}


def _item(element: ET.Element, fields: dict[str, str], announced: dt.date | None) -> Paper | None:
    """One RSS <item> or Atom <entry>, read through its format's field table."""
    found: dict[str, str] = {}
    creators: list[str] = []
    names: list[str] = []
    categories: list[str] = []
    for child in element:
        field = fields.get(child.tag)
        if field is None:
            continue
        if field == "category":  # RSS: the text; Atom: the term attribute
            categories.append(child.get("term") or child.text or "")
        elif field == "creator":
            if len(creators) < MAX_AUTHORS:
                creators.append(element_text(child))
        elif field == "author":
            if len(names) < MAX_AUTHORS:
                names.append(child.findtext(_ATOM_NAME) or "")
        elif field in ("title", "abstract"):
            found[field] = element_text(child)
        else:
            found.setdefault(field, child.text or "")
    if names:
        authors = [name for name in map(author_name, names) if name]
    else:
        authors = [name for creator in creators for name in author_names(creator)]
    return _build(
        guid=found.get("id") or found.get("link", ""),
        title=found.get("title", ""),
        description=found.get("abstract", ""),
        categories=categories,
        authors=authors,
        announce_text=found.get("announce_type"),
        license_=found.get("license"),
        doi=found.get("doi"),
        journal_ref=found.get("journal_ref"),
        announced=announced,
    )
