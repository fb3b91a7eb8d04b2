"""Read any scholarly RSS 1.0/RDF, RSS 2.0 or Atom feed with feedparser into papers.

Journals and preprint servers fill the same few elements in different ways; every rule here
comes from a real feed (tests: ../shared/fixtures/real/feeds, see its PROVENANCE.md):
- the abstract is the longest of the item's description and content (bioRxiv puts it in the
  description, PubMed and Wiley in content:encoded, Nature gives only a standfirst), without
  the citation line some put first ("Nature, Published online: …; doi:…") and without a
  leading "Abstract"; a description that is only "Volume 56, Issue 3, …" is no abstract;
- authors come one per dc:creator, or all in one ("Kaur, M., Shukla, A." as Surname, Initials
  pairs; "Rachel M. Binks, \\nMargaret Heslewood"), or in ScienceDirect's description
  ("Author(s): …");
- the DOI comes from prism:doi, dc:identifier ("doi:…"), a DOI-shaped guid or a doi.org link.
Everything read becomes one line of inert text: HTML is reduced to its text, entities decoded,
scripts dropped. A document with entity declarations is refused before feedparser sees it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from paperwire.doi import arxiv_id_of_doi, normal_doi
from paperwire.errors import FeedFormatError
from paperwire.models import AnnounceType, FeedBatch, Paper, Route
from paperwire.sources._text import (
    ABSTRACT_LIMIT,
    AUTHOR_NAME_LIMIT,
    FIELD_LIMIT,
    MAX_AUTHORS,
    TITLE_LIMIT,
    clean_field,
    optional_field,
    unique_papers,
)
from paperwire.sources.arxiv.ids import arxiv_links
from paperwire.text import one_line

# A declared entity can expand to gigabytes ("billion laughs") or read a local file (XXE).
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_HTML_PAGE = re.compile(rb"\A\s*(?:<!--.*?-->\s*)*<(?:!DOCTYPE\s+html|html)[\s>]", re.I | re.S)
_TAG_OR_ENTITY = re.compile(r"[<&]")
# "Kaur, M." / "Plaumann, P.-L." / "O'Connell, R. J.": the initials half of a pair (its last
# full stop taken off).
_INITIALS = re.compile(r"[A-Z]\.?(?:[\s\-]*[A-Z]\.?){0,4}")
# A leading citation line: "Nature, Published online: 20 August 2024; doi:10.1038/…".
_CITATION = re.compile(r"\A.{0,200}?Published online:[^;]{0,60};\s*doi:\s*\S+\s*", re.S)
# A description that only says where the article appeared.
_WHERE_ONLY = re.compile(
    r"\A(?:volume\s+\d+|vol\.\s*\d+|[\w ]{0,60},\s*(?:earlyview|volume\s+\d+)|\.)", re.I
)
_ABSTRACT_HEADING = re.compile(r"\A\s*(?:abstract|summary)\s*[:.]?\s+", re.IGNORECASE)
_ARXIV_IN_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([a-z\-.]*/?\d{4}\.?\d{4,5})", re.I)
# Query parameters that only say where a click came from: two feeds' links to one article
# differ in them (utm_*, Wiley's and T&F's af, bioRxiv's and OUP's rss, Cambridge's rft_dat,
# ScienceDirect's dgcid, PubMed's fc and ff).
_TRACKING = frozenset({"af", "rss", "rft_dat", "dgcid", "fc", "ff", "fbclid", "gclid"})
_SCIENCEDIRECT_AUTHORS = re.compile(r"Author\(s\):\s*(.+?)\s*(?:$|Publication date:|Source:)")
_SCIENCEDIRECT_SOURCE = re.compile(r"Source:\s*(.+?)(?:,\s*Volume|\s*Author\(s\):|$)")


def html_to_text(value: str, separator: str = " ") -> str:
    """The text of an HTML fragment (scripts and styles dropped, entities decoded), one line.
    Plain text comes back as it was, made one line."""
    if not _TAG_OR_ENTITY.search(value):
        return one_line(value)
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(value, "html.parser")
    for hidden in soup(["script", "style"]):
        hidden.decompose()
    return one_line(soup.get_text(separator))


def _abstract_html(value: str) -> str:
    """An abstract's HTML with the short citation paragraphs some feeds lead with dropped
    (PubMed: "Parasitol Int. 2021 Dec 17. doi: …"; Nature: "Nature, Published online …")."""
    if "<p" not in value.lower():
        return html_to_text(value)
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(value, "html.parser")
    for hidden in soup(["script", "style"]):
        hidden.decompose()
    for paragraph in soup.find_all("p", limit=2):
        text = paragraph.get_text(" ")
        if "doi" in text.lower() and len(text) < 300:
            paragraph.decompose()
    return one_line(soup.get_text(" "))


def _abstract(entry: Any) -> str:
    candidates = [c.get("value", "") for c in entry.get("content", []) if isinstance(c, dict)]
    candidates.append(entry.get("summary", "") or "")
    best = ""
    for raw in candidates:
        if not isinstance(raw, str) or not raw.strip():
            continue
        text = _CITATION.sub("", _abstract_html(raw[: ABSTRACT_LIMIT * 4]))
        text = _ABSTRACT_HEADING.sub("", text)
        if text.startswith("Publication date:"):  # ScienceDirect: where, when and who only
            continue
        if len(text) < 200 and _WHERE_ONLY.match(text):
            continue
        if len(text) > len(best):
            best = text
    return clean_field(best, ABSTRACT_LIMIT)


def split_creators(value: str) -> list[str]:
    """One creator field holding every author: "Kaur, M., Shukla, A." (Surname, Initials
    pairs) or "Rachel M. Binks, \\nMargaret Heslewood" or "Brandão S, Saeedi H, Brandt A."."""
    parts = [one_line(p).strip(" .") for p in value.split(",")]
    parts = [p for p in parts if p and p.lower() not in ("et al", "and")]
    if len(parts) >= 2 and len(parts) % 2 == 0:
        surnames, initials = parts[::2], parts[1::2]
        if all(_INITIALS.fullmatch(given) for given in initials):
            return [f"{s}, {g}." for s, g in zip(surnames, initials, strict=True)]
    return parts


def _authors(entry: Any) -> list[str]:
    names: list[str] = []
    for author in entry.get("authors", []) or []:
        name = author.get("name") if isinstance(author, dict) else None
        if isinstance(name, str) and name.strip():
            names += split_creators(name) if "," in name else [one_line(name)]
    if not names:
        summary = html_to_text(entry.get("summary", "") or "")
        found = _SCIENCEDIRECT_AUTHORS.search(summary)
        if found:
            names = split_creators(found.group(1))
    cleaned = [clean_field(name, AUTHOR_NAME_LIMIT) for name in names[:MAX_AUTHORS]]
    return [name for name in cleaned if name]


def _doi(entry: Any) -> str | None:
    for key in ("prism_doi", "dc_identifier", "id", "link"):
        value = entry.get(key)
        if not isinstance(value, str):
            continue
        if key in ("id", "link") and "doi" not in value.lower():
            continue
        doi = normal_doi(value)
        if doi:
            return doi
    return None


def _arxiv_id(entry: Any, doi: str | None) -> str | None:
    from_doi = arxiv_id_of_doi(doi)
    if from_doi:
        return from_doi
    for key in ("link", "id"):
        value = entry.get(key)
        if isinstance(value, str):
            found = _ARXIV_IN_URL.search(value)
            if found:
                return found.group(1)
    return None


def _when(entry: Any) -> dt.datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            try:
                return dt.datetime.fromtimestamp(calendar.timegm(value), dt.UTC)
            except (OverflowError, ValueError, OSError, TypeError):
                continue
    return None


def safe_link(value: str) -> str:
    """A link as it can be shown and followed: spaces and other unsafe characters
    percent-encoded (PubMed's links carry "Mobile Safari UI/WKWebView")."""
    return quote(value.strip()[: FIELD_LIMIT * 2], safe=":/?#@!$&'()*+,;=%~-._")


def canonical_link(link: str) -> str:
    """A link without its fragment and tracking parameters (they differ from feed to feed),
    its other parameters in order: two feeds naming one article's page name one paper, and
    two articles of one page (`article.php?id=101`, `?id=102`) stay two."""
    parts = urlsplit(link)
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name.lower() not in _TRACKING and not name.lower().startswith("utm_")
    )
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path, urlencode(query), "")
    )


def _journal(entry: Any, title: str) -> str | None:
    for key in ("prism_publicationname", "dc_source"):
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            text = one_line(value)
            if text.lower() != title.lower() and "doi:" not in text.lower():
                return optional_field(text, FIELD_LIMIT)
    summary = html_to_text(entry.get("summary", "") or "")
    found = _SCIENCEDIRECT_SOURCE.search(summary) if "Source:" in summary else None
    return optional_field(found.group(1), FIELD_LIMIT) if found else None


def item_paper(entry: Any, source: str) -> Paper | None:
    """One feed item as a Paper of `source` (not yet announced); None without a title, or
    without any id or link."""
    title = clean_field(html_to_text(entry.get("title", "") or "", ""), TITLE_LIMIT)
    raw_link = entry.get("link") if isinstance(entry.get("link"), str) else ""
    link = safe_link(raw_link) if raw_link and raw_link.strip().lower().startswith("http") else ""
    guid = entry.get("id") if isinstance(entry.get("id"), str) else ""
    guid = one_line(guid)[:FIELD_LIMIT]
    if not title or not (guid or link):
        return None
    doi = _doi(entry)
    arxiv_id = _arxiv_id(entry, doi)
    if arxiv_id:
        key = arxiv_id
    elif doi:
        key = f"doi:{doi}"
    else:
        key = f"{source}:{guid or canonical_link(link)}"
    aliases = [f"{source}:{guid}"] if guid else []
    if link:
        aliases.append(f"url:{canonical_link(link)}")
    links = {"url": link} if link else {}
    if arxiv_id:
        links = arxiv_links(arxiv_id) | links
    return Paper(
        key=key,
        title=title,
        abstract=_abstract(entry),
        authors=_authors(entry),
        submitted=_when(entry),
        journal_ref=_journal(entry, title),
        doi=doi,
        announce_type=AnnounceType.NEW,
        source=source,
        route=Route.FEED,
        arxiv_id=arxiv_id,
        links=links,
        aliases=tuple(aliases),
    )


def parse_feed(body: bytes, url: str, source: str) -> FeedBatch:
    """The items of a feed as papers of `source` (no announcement dates: the source gives
    them). Raises FeedFormatError for an HTML page (a captcha wall served as the feed), for
    entity declarations, and for anything feedparser cannot read as a feed."""
    if _ENTITY_DECLARATION.search(body):
        raise FeedFormatError(url, "declares XML entities; refused (XXE, entity expansion)")
    if _HTML_PAGE.match(body[:4096]):
        raise FeedFormatError(url, "returned an HTML page, not a feed")
    import feedparser

    try:
        document = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # its lenient parsers trip over some broken bodies (fuzz/fuzz.py)
        raise FeedFormatError(url, f"unreadable feed ({type(exc).__name__})") from None
    entries = document.get("entries") or []
    if not document.get("version") and not entries:
        reason = document.get("bozo_exception")
        detail = f" ({one_line(str(reason))[:120]})" if reason else ""
        raise FeedFormatError(url, f"not an RSS, RDF or Atom feed{detail}")
    papers, skipped = unique_papers(item_paper(entry, source) for entry in entries)
    return FeedBatch(papers, None, url, skipped=skipped)
