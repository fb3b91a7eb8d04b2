"""Turn an arxiv.org/list/<category>/new HTML page (and /recent, /pastweek) into a FeedBatch."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any

from bs4 import BeautifulSoup, Tag

from paperwire.errors import FeedFormatError
from paperwire.models import ARXIV, AnnounceType, FeedBatch, Paper, Route
from paperwire.sources._text import (
    ABSTRACT_LIMIT,
    MAX_AUTHORS,
    TITLE_LIMIT,
    author_name,
    clean_categories,
    clean_field,
    optional_field,
)
from paperwire.sources.arxiv.ids import arxiv_links, split_arxiv_id
from paperwire.text import one_line

try:  # lxml is several times faster on the 1 MB /recent pages; html.parser is the fallback.
    import lxml  # noqa: F401

    _PARSER = "lxml"
except ImportError:  # pragma: no cover - depends on the environment
    _PARSER = "html.parser"

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
# "Wednesday, 12 August 2026" (new UI /new), "Thu, 14 Mar 2024" (day headings),
# "Tue, 26 Mar 24" (old UI /new: two-digit year).
_DATE = re.compile(
    r"(?:[A-Za-z]{3,9},\s*)?(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]{3,9})\.?\s+(?P<year>\d{4}|\d{2})\b"
)
_SHOWING = re.compile(r"Showing new listings for\s+(?P<rest>.{0,80})", re.I)
_XML_DECLARATION = re.compile(r"\A\ufeff?\s*<\?xml[^>]{0,200}\?>")
_CATEGORY_CODE = re.compile(r"\(([A-Za-z][A-Za-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?)\)")
_CROSS_MARK = re.compile(r"\(cross-list from [^)]{1,40}\)", re.I)
_REPLACED_MARK = re.compile(r"\(replaced\)", re.I)

# Section headings of the /new page, new UI first, then the pre-2024 UI.
_SECTIONS: tuple[tuple[str, AnnounceType], ...] = (
    ("new submissions", AnnounceType.NEW),
    ("cross submissions", AnnounceType.CROSS),
    ("cross-lists", AnnounceType.CROSS),
    ("replacement submissions", AnnounceType.REPLACE),
    ("replacements", AnnounceType.REPLACE),
)


def listing_url(listing_url: str, category: str) -> str:
    """The /new listing page of one category: `{listing_url}/list/{category}/new`."""
    return f"{listing_url.rstrip('/')}/list/{category.strip()}/new"


def parse_listing(body: bytes, url: str) -> FeedBatch:
    """Parse a listing page; each paper gets its section's announce type and its day's date."""
    if not body or not body.strip():
        raise FeedFormatError(url, "empty response")
    # arxiv.org always serves UTF-8; decoding here spares BeautifulSoup's charset guessing,
    # which gets pages without a <meta charset> (such as excerpts) wrong.
    text = body.decode("utf-8", errors="replace")
    # Old-UI pages are XHTML with an <?xml?> declaration, which only makes BeautifulSoup warn.
    text = _XML_DECLARATION.sub("", text, count=1)
    soup = BeautifulSoup(text, _PARSER)

    page_date = _showing_date(soup)
    section: AnnounceType | None = None
    day: dt.date | None = page_date
    recognised = page_date is not None
    dates: list[dt.date] = [page_date] if page_date else []
    papers: list[Paper] = []
    skipped = 0
    pending_dt: Tag | None = None

    # Walk headings and entries in document order. The new UI puts the <h3> headings inside
    # <dl id='articles'>, the old UI between separate <dl>s, and excerpts have no <dl> at all.
    for element in soup.find_all(("h3", "dt", "dd")):
        if element.name == "h3":
            heading = one_line(element.get_text(" "))
            kind, heading_date = _heading(heading)
            if kind is not None or heading_date is not None:
                recognised = True
            if kind is not None:
                section = kind
            if heading_date is not None:
                if kind is None:  # a day heading of /recent or /pastweek: no section type
                    section = None
                if page_date is None:
                    day = heading_date
                    dates.append(heading_date)
            pending_dt = None
        elif element.name == "dt":
            pending_dt = element
        elif pending_dt is not None:  # the <dd> that belongs to the last <dt>
            paper = _entry(pending_dt, element, section, day)
            pending_dt = None
            if paper is not None:
                papers.append(paper)
            else:
                skipped += 1

    if not recognised and not papers:
        raise FeedFormatError(url, "not an arXiv listing page")
    announced = max(dates) if dates else None
    return FeedBatch(papers=papers, announced=announced, url=url, skipped=skipped)


# --- headings ------------------------------------------------------------------------------


def _parse_date(text: str) -> dt.date | None:
    match = _DATE.search(text)
    if match is None:
        return None
    month = _MONTHS.get(match.group("month")[:3].lower())
    if month is None:
        return None
    year = int(match.group("year"))
    if year < 100:  # old UI: "Tue, 26 Mar 24"
        year += 2000
    try:
        return dt.date(year, month, int(match.group("day")))
    except ValueError:
        return None


def _showing_date(soup: BeautifulSoup) -> dt.date | None:
    # The /new page states its mailing date once: "Showing new listings for Wednesday, ...".
    node = soup.find(string=_SHOWING)
    if node is None:
        return None
    match = _SHOWING.search(one_line(str(node)))
    return _parse_date(match.group("rest")) if match else None


def _heading(text: str) -> tuple[AnnounceType | None, dt.date | None]:
    lowered = text.lower()
    if lowered.startswith("showing new listings"):
        return None, None  # handled by _showing_date
    for prefix, kind in _SECTIONS:
        if lowered.startswith(prefix):
            # Old UI: "New submissions for Tue, 26 Mar 24" also carries the date.
            return kind, _parse_date(text[len(prefix) :])
    # Day headings: "Thu, 14 Mar 2024", "Wed, 12 Feb 2025 (showing 60 of 60 entries )".
    return None, _parse_date(text.split("(", 1)[0])


# --- entries -------------------------------------------------------------------------------


def _classes(tag: Any) -> list[str]:
    value = tag.get("class") if isinstance(tag, Tag) else None
    return value if isinstance(value, list) else []


def _div(dd: Tag, class_name: str) -> Tag | None:
    found = dd.find(class_=class_name)
    return found if isinstance(found, Tag) else None


def _without_descriptor(tag: Tag | None) -> str:
    # "Title:", "Comments:", "Subjects:" are <span class='descriptor'> labels, not content.
    if tag is None:
        return ""
    parts = [
        str(text) for text in tag.find_all(string=True) if "descriptor" not in _classes(text.parent)
    ]
    return "".join(parts)


def _announce_type(section: AnnounceType | None, dt_text: str) -> AnnounceType:
    crossed = _CROSS_MARK.search(dt_text) is not None
    if section is AnnounceType.REPLACE and crossed:
        return AnnounceType.REPLACE_CROSS
    if section is not None:
        return section
    # /recent and /pastweek pages have only day headings; the <dt> marks cross-lists.
    if crossed:
        return AnnounceType.CROSS
    if _REPLACED_MARK.search(dt_text):
        return AnnounceType.REPLACE
    return AnnounceType.NEW


def _identifier(dt_tag: Tag) -> tuple[str, int | None] | None:
    arxiv_id: str | None = None
    version: int | None = None
    for link in dt_tag.find_all("a", href=True):
        href = str(link["href"])
        if arxiv_id is None and "/abs/" in href:
            try:
                arxiv_id = split_arxiv_id(href[:300])[0]
            except ValueError:
                continue
        elif "/html/" in href:
            # The /abs link has no version; the "html" link (when the paper has one) does:
            # https://arxiv.org/html/2608.09949v1.
            with contextlib.suppress(ValueError):
                version = split_arxiv_id(href[:300])[1]
    if arxiv_id is None:
        return None
    return arxiv_id, version


def _categories(subjects: Tag | None) -> list[str]:
    if subjects is None:
        return []
    codes: list[str] = []
    primary = subjects.find(class_="primary-subject")
    if isinstance(primary, Tag):  # "Artificial Intelligence (cs.AI)" -> cs.AI, always first
        codes.extend(_CATEGORY_CODE.findall(primary.get_text(" ")))
    codes.extend(_CATEGORY_CODE.findall(_without_descriptor(subjects)))
    return clean_categories(codes)


def _entry(dt_tag: Tag, dd: Tag, section: AnnounceType | None, day: dt.date | None) -> Paper | None:
    identifier = _identifier(dt_tag)
    if identifier is None:
        return None
    arxiv_id, version = identifier
    dt_text = one_line(dt_tag.get_text(" "))

    authors_div = _div(dd, "list-authors")
    authors: list[str] = []
    if authors_div is not None:
        for link in authors_div.find_all("a", limit=MAX_AUTHORS):
            name = author_name(link.get_text(" "))
            if name:
                authors.append(name)

    abstract_tag = dd.find("p", class_="mathjax")
    categories = _categories(_div(dd, "list-subjects"))
    return Paper(
        key=arxiv_id,
        title=clean_field(_without_descriptor(_div(dd, "list-title")), TITLE_LIMIT),
        abstract=clean_field(
            abstract_tag.get_text() if isinstance(abstract_tag, Tag) else "", ABSTRACT_LIMIT
        ),
        authors=authors,
        categories=categories,
        primary_category=categories[0] if categories else None,
        version=version,
        announce_type=_announce_type(section, dt_text),
        announced=day,
        comments=optional_field(_without_descriptor(_div(dd, "list-comments"))),
        journal_ref=optional_field(_without_descriptor(_div(dd, "list-journal-ref"))),
        doi=optional_field(_without_descriptor(_div(dd, "list-doi"))),
        source=ARXIV,
        route=Route.LISTING,
        links=arxiv_links(arxiv_id),
    )
