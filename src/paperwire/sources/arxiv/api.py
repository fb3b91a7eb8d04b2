"""Build export.arxiv.org/api/query URLs and turn their Atom responses into a FeedBatch."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from urllib.parse import quote_plus, urlencode

from paperwire.errors import FeedFormatError
from paperwire.models import ARXIV, FeedBatch, Paper, Route
from paperwire.sources._text import (
    ABSTRACT_LIMIT,
    FIELD_LIMIT,
    MAX_AUTHORS,
    TITLE_LIMIT,
    author_name,
    clean_categories,
    clean_field,
    optional_field,
)
from paperwire.sources._xml import ARXIV_NS, ATOM, OPENSEARCH, element_text, parse_xml, qname
from paperwire.sources.arxiv.ids import arxiv_links, split_arxiv_id
from paperwire.text import one_line

_FEED = qname(ATOM, "feed")
_ENTRY = qname(ATOM, "entry")
_ID = qname(ATOM, "id")
_TITLE = qname(ATOM, "title")
_SUMMARY = qname(ATOM, "summary")
_AUTHOR = qname(ATOM, "author")
_NAME = qname(ATOM, "name")
_CATEGORY = qname(ATOM, "category")
_PUBLISHED = qname(ATOM, "published")
_UPDATED = qname(ATOM, "updated")
_TOTAL_RESULTS = qname(OPENSEARCH, "totalResults")
# The API spells these arxiv:doi / arxiv:journal_ref; rss.arxiv.org says DOI / journal_reference.
_PRIMARY = qname(ARXIV_NS, "primary_category")
_COMMENT = qname(ARXIV_NS, "comment")
_JOURNAL_REF = qname(ARXIV_NS, "journal_ref")
_DOI = qname(ARXIV_NS, "doi")


def query_url(
    api_url: str,
    *,
    search_query: str | None = None,
    id_list: str | Sequence[str] | None = None,
    start: int = 0,
    max_results: int = 100,
    sort_by: str = "submittedDate",
    sort_order: str = "descending",
) -> str:
    """The URL of one API page: `{api_url}?search_query=...&id_list=...&start=...`."""
    if not search_query and not id_list:
        raise ValueError("query_url needs search_query or id_list")
    params: list[tuple[str, str]] = []
    if search_query:
        params.append(("search_query", search_query))
    if id_list:
        ids = [id_list] if isinstance(id_list, str) else list(id_list)
        params.append(("id_list", ",".join(i.strip() for i in ids if i.strip())))
    params += [
        ("start", str(int(start))),
        ("max_results", str(int(max_results))),
        ("sortBy", sort_by),
        ("sortOrder", sort_order),
    ]
    # ':' ',' and '/' stay readable (cat:cs.AI, 2401.01234,astro-ph/0601001); spaces become '+',
    # which the API reads as the separator of its boolean query syntax.
    query = urlencode(params, safe=":,/", quote_via=quote_plus)
    separator = "&" if "?" in api_url else "?"
    return f"{api_url}{separator}{query}"


def parse_api_response(body: bytes, url: str) -> FeedBatch:
    """Parse an API Atom response (2016 or 2026 format); announce type and date stay None."""
    root = parse_xml(body, url)
    if root.tag != _FEED:
        raise FeedFormatError(url, "not an arXiv API response (no Atom feed)")
    papers: list[Paper] = []
    skipped = 0
    for entry in root.iterfind(_ENTRY):
        paper = _entry(entry, url)
        if paper is not None:
            papers.append(paper)
        else:
            skipped += 1
    return FeedBatch(papers, None, url, total_results=_total(root), skipped=skipped)


def _total(root: ET.Element) -> int | None:
    # 2026 responses declare opensearch on the root, 2016 ones on each element: same name.
    text = root.findtext(_TOTAL_RESULTS)
    try:
        return int(text.strip()) if text else None
    except ValueError:
        return None


def _timestamp(text: str | None) -> dt.datetime | None:
    if not text or not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip()[:64])
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # OverflowError: 9999-12-31T23:59-12:00 has no UTC
        return None


def _entry(entry: ET.Element, url: str) -> Paper | None:
    entry_id = title = summary = ""
    published = updated = comment = journal_ref = doi = primary = None
    names: list[str] = []
    terms: list[str] = []
    for child in entry:
        tag = child.tag
        if tag == _ID:
            entry_id = child.text or ""
        elif tag == _TITLE:
            title = element_text(child)
        elif tag == _SUMMARY:
            summary = element_text(child)
        elif tag == _AUTHOR:
            if len(names) < MAX_AUTHORS:
                names.append(child.findtext(_NAME) or "")
        elif tag == _CATEGORY:
            terms.append(child.get("term", ""))
        elif tag == _PRIMARY:
            primary = child.get("term")
        elif tag == _PUBLISHED:
            published = child.text
        elif tag == _UPDATED:
            updated = child.text
        elif tag == _COMMENT:
            comment = child.text
        elif tag == _JOURNAL_REF:
            journal_ref = child.text
        elif tag == _DOI:
            doi = child.text

    # A bad request is still an Atom feed (HTTP 400) with one entry titled "Error" whose
    # summary says what was wrong and whose id is https://arxiv.org/api/errors#...
    if one_line(title) == "Error" and "/abs/" not in entry_id:
        reason = clean_field(summary, FIELD_LIMIT) or "unknown error"
        raise FeedFormatError(url, f"arXiv API error: {reason}")
    try:
        # Entry ids are abs URLs (http://arxiv.org/abs/2401.01234v2); only the *feed* id is
        # the opaque https://arxiv.org/api/<hash> in 2026 responses.
        arxiv_id, version = split_arxiv_id(entry_id[:FIELD_LIMIT])
    except ValueError:
        return None

    categories = clean_categories(([primary] if primary else []) + terms)
    return Paper(
        key=arxiv_id,
        # 2016 responses hard-wrap titles and summaries ("...Large\n  Connectivity Limit").
        title=clean_field(title, TITLE_LIMIT),
        abstract=clean_field(summary, ABSTRACT_LIMIT),
        authors=[name for name in map(author_name, names) if name],
        categories=categories,
        primary_category=categories[0] if categories else None,
        version=version,
        announce_type=None,  # the API does not say how or when a paper was announced
        announced=None,
        submitted=_timestamp(published),
        updated=_timestamp(updated),
        comments=optional_field(comment),
        journal_ref=optional_field(journal_ref),
        doi=optional_field(doi),
        source=ARXIV,
        route=Route.API,
        links=arxiv_links(arxiv_id),
    )
