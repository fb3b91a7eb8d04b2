"""Read Hugging Face's Daily Papers: the JSON API and, as a fallback, the papers page.

`{api_url}?date=YYYY-MM-DD` answers with a JSON list, one object per featured paper; the page
`{page_url}?date=YYYY-MM-DD` carries the same objects HTML-escaped in the `data-props` attribute
of `<div data-target="DailyPapers">`. Which keys a paper has varies (GitHub repository and stars,
project page, `ai_summary` / `ai_keywords`, organization), and older pages spell some
differently, so every key is optional here and a value of the wrong type counts as absent.
Everything read stays text: links are kept only when they are http(s) URLs.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from paperwire.errors import FeedFormatError
from paperwire.models import FeedBatch, Paper, Route, Trending
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
from paperwire.sources.arxiv.ids import arxiv_links, parse_arxiv_id
from paperwire.text import is_plain_url

SOURCE_NAME = "huggingface"
PAPER_PAGE = "https://huggingface.co/papers"  # a paper's page: {PAPER_PAGE}/{arxiv id}
URL_LIMIT = 2_048
MAX_KEYWORDS = 50
_COUNT_LIMIT = 10**9  # upvotes, comments and stars beyond this are not real


def day_url(base_url: str, day: dt.date) -> str:
    """The API's or the page's address for one featured day."""
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}{urlencode({'date': day.isoformat()})}"


def parse_daily_papers(content: bytes, url: str, day: dt.date) -> FeedBatch:
    """The papers of an API response for `day` (each carries its own featured date)."""
    try:
        document = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedFormatError(url, f"not JSON: {exc}") from None
    except RecursionError:  # "[" x 100,000: hostile, or broken beyond use
        raise FeedFormatError(url, "JSON nested too deeply to read") from None
    if isinstance(document, dict) and isinstance(document.get("error"), str):
        raise FeedFormatError(url, f"Hugging Face says: {clean_field(document['error'], 200)}")
    if not isinstance(document, list):
        raise FeedFormatError(url, "expected a JSON list of papers")
    return _batch(document, url, day)


def parse_papers_page(content: bytes, url: str, day: dt.date) -> FeedBatch:
    """The papers of a Daily Papers page (the data in its `DailyPapers` element)."""
    from bs4 import BeautifulSoup, Tag  # the page is the fallback: BeautifulSoup only then

    soup = BeautifulSoup(content, "html.parser")
    element = soup.select_one('[data-target="DailyPapers"]')
    props = element.get("data-props") if isinstance(element, Tag) else None
    if not isinstance(props, str):
        raise FeedFormatError(url, "no Daily Papers data on the page (data-target=DailyPapers)")
    try:
        document = json.loads(props)
    except json.JSONDecodeError as exc:
        raise FeedFormatError(url, f"the page's data-props is not JSON: {exc}") from None
    except RecursionError:
        raise FeedFormatError(url, "the page's data-props is nested too deeply to read") from None
    entries = document.get("dailyPapers") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise FeedFormatError(url, "the page's data-props has no dailyPapers list")
    shown = _date(document.get("date")) if isinstance(document, dict) else None
    return _batch(entries, url, shown or day)


def _batch(entries: list[Any], url: str, day: dt.date) -> FeedBatch:
    papers, skipped = unique_papers(_paper(entry, day) for entry in entries)
    return FeedBatch(papers, day, url, skipped=skipped)


def _paper(entry: Any, day: dt.date) -> Paper | None:
    """One Daily Papers object as a Paper with its Trending facts; None without an arXiv id."""
    if not isinstance(entry, dict):
        return None
    inner = entry.get("paper")
    paper = inner if isinstance(inner, dict) else {}
    raw_id = paper.get("id")
    if not isinstance(raw_id, str):
        return None
    try:
        arxiv_id, _ = parse_arxiv_id(raw_id)  # a version is arXiv's to say
    except ValueError:
        return None
    title = clean_field(_text(paper.get("title")) or _text(entry.get("title")), TITLE_LIMIT)
    if not title:
        return None
    abstract = _text(paper.get("summary")) or _text(entry.get("summary"))
    trending = Trending(
        featured=_date(paper.get("submittedOnDailyAt")) or day,
        upvotes=_count(paper.get("upvotes")) or 0,
        comments=_count(entry.get("numComments")) or 0,
        github_repo=_url(paper.get("githubRepo")),
        github_stars=_count(paper.get("githubStars")) if _url(paper.get("githubRepo")) else None,
        project_page=_url(paper.get("projectPage")),
        ai_summary=optional_field(_text(paper.get("ai_summary")), ABSTRACT_LIMIT // 10),
        ai_keywords=_keywords(paper.get("ai_keywords")),
        organization=_organization(entry.get("organization"))
        or _organization(paper.get("organization")),
    )
    return Paper(
        key=arxiv_id,
        title=title,
        abstract=clean_field(abstract, ABSTRACT_LIMIT),
        authors=_authors(paper.get("authors")),
        submitted=_datetime(paper.get("publishedAt")),
        source=SOURCE_NAME,
        route=Route.HUGGINGFACE,
        links=arxiv_links(arxiv_id) | {"huggingface": f"{PAPER_PAGE}/{arxiv_id}"},
        trending=trending,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _count(value: Any) -> int | None:
    """A non-negative count, or None (bool is an int to Python, not a count)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value or not 0 <= value < _COUNT_LIMIT:  # NaN, negative, absurd
        return None
    return int(value)


def _url(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    url = value.strip()
    if len(url) > URL_LIMIT or not is_plain_url(url):
        return None
    return url


def _date(value: Any) -> dt.date | None:
    moment = _datetime(value)
    if moment is not None:
        return moment.date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _datetime(value: Any) -> dt.datetime | None:
    """An ISO 8601 time ("2026-07-31T00:00:00.000Z") as aware UTC; None when it is not one."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:
        return None


def _authors(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    names = []
    for author in value[:MAX_AUTHORS]:
        name = author.get("name") if isinstance(author, dict) else author
        cleaned = clean_field(_text(name), AUTHOR_NAME_LIMIT)
        if cleaned:
            names.append(cleaned)
    return names


def _keywords(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    words = [clean_field(_text(v), 100) for v in value[: MAX_KEYWORDS * 2]]
    return tuple(dict.fromkeys(w for w in words if w))[:MAX_KEYWORDS]


def _organization(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    return optional_field(_text(value.get("fullname")) or _text(value.get("name")), FIELD_LIMIT)
