"""Turn an arXiv OAI-PMH ListRecords/GetRecord page (arXiv or arXivRaw format) into a FeedBatch."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

from paperwire.errors import FeedFormatError, OaiError
from paperwire.models import ARXIV, FeedBatch, Paper, Route
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
from paperwire.sources._xml import OAI_ARXIV, OAI_ARXIV_RAW, OAI_PMH, element_text, parse_xml, qname
from paperwire.sources.arxiv.ids import arxiv_links, split_arxiv_id

_ROOT = qname(OAI_PMH, "OAI-PMH")
_ERROR = qname(OAI_PMH, "error")
_LIST_RECORDS = qname(OAI_PMH, "ListRecords")
_GET_RECORD = qname(OAI_PMH, "GetRecord")
_RECORD = qname(OAI_PMH, "record")
_HEADER = qname(OAI_PMH, "header")
_METADATA = qname(OAI_PMH, "metadata")
_RESUMPTION_TOKEN = qname(OAI_PMH, "resumptionToken")

_ARXIV = qname(OAI_ARXIV, "arXiv")
_ARXIV_RAW = qname(OAI_ARXIV_RAW, "arXivRaw")


def _tags(namespace: str) -> dict[str, str]:
    # Both formats use the same local names, each in its own namespace.
    names = (
        "id created updated authors author keyname forenames suffix title categories comments "
        "journal-ref doi license abstract version date"
    )
    return {name: qname(namespace, name) for name in names.split()}


_A = _tags(OAI_ARXIV)
_R = _tags(OAI_ARXIV_RAW)


_IDENTIFY = qname(OAI_PMH, "Identify")


def identify_url(base: str) -> str:
    """The OAI-PMH request that asks a repository who it is: what `doctor` sends."""
    return f"{base}?verb=Identify"


def _response(body: bytes, url: str) -> tuple[ET.Element, ET.Element | None]:
    """An OAI-PMH response's root and its <error>, if any; FeedFormatError for anything else."""
    root = parse_xml(body, url)
    if root.tag != _ROOT:
        raise FeedFormatError(url, "not an OAI-PMH response")
    return root, root.find(_ERROR)


def _error(url: str, error: ET.Element) -> OaiError:
    code = error.get("code", "unknown")
    message = clean_field(element_text(error), FIELD_LIMIT)
    return OaiError(url, code, f"OAI-PMH error {code}: {message}".rstrip(": "))


def read_identify(body: bytes, url: str) -> None:
    """Raise FeedFormatError unless `body` is an OAI-PMH answer to Identify."""
    root, error = _response(body, url)
    if error is not None:
        raise _error(url, error)
    if root.find(_IDENTIFY) is None:
        raise FeedFormatError(url, "OAI-PMH response without Identify")


def parse_oai(body: bytes, url: str) -> FeedBatch:
    """Parse one OAI-PMH page; `next_token` is "" on the last page, None when there is none."""
    root, error = _response(body, url)
    if error is not None:
        # An empty harvest window (weekend, holiday, quiet set) is reported as an error.
        if error.get("code") == "noRecordsMatch":
            return FeedBatch(papers=[], announced=None, url=url, total_results=0, next_token=None)
        raise _error(url, error)

    container = root.find(_LIST_RECORDS)
    if container is None:
        container = root.find(_GET_RECORD)
    if container is None:
        raise FeedFormatError(url, "OAI-PMH response without ListRecords or GetRecord")

    papers: list[Paper] = []
    for record in container.iterfind(_RECORD):
        header = record.find(_HEADER)
        if header is not None and header.get("status") == "deleted":
            continue  # withdrawn from OAI: the header survives, the metadata does not
        metadata = record.find(_METADATA)
        if metadata is None or not len(metadata):
            continue
        payload = metadata[0]
        if payload.tag == _ARXIV:
            paper = _arxiv(payload)
        elif payload.tag == _ARXIV_RAW:
            paper = _arxiv_raw(payload)
        else:
            raise FeedFormatError(
                url, f"unsupported OAI metadata format {payload.tag!r} (use arXiv or arXivRaw)"
            )
        if paper is not None:
            papers.append(paper)

    next_token, total = _resumption(container.find(_RESUMPTION_TOKEN))
    return FeedBatch(
        papers=papers, announced=None, url=url, total_results=total, next_token=next_token
    )


def _resumption(token: ET.Element | None) -> tuple[str | None, int | None]:
    # The last page of a list still has the element, but empty: "" means "complete".
    if token is None:
        return None, None
    size = token.get("completeListSize")
    try:
        total = int(size) if size else None
    except ValueError:
        total = None
    return (token.text or "").strip(), total


def _day(text: str | None) -> dt.datetime | None:
    # arXiv format: <created>2011-01-23</created>, a date only; midnight UTC stands for it.
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip()[:10]).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _rfc822(text: str | None) -> dt.datetime | None:
    # arXivRaw: <date>Sun, 30 Mar 2008 23:26:50 GMT</date>
    if not text:
        return None
    try:
        moment = parsedate_to_datetime(text.strip()[:100])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _paper(
    fields: dict[str, str],
    authors: list[str],
    version: int | None,
    submitted: dt.datetime | None,
    updated: dt.datetime | None,
) -> Paper | None:
    try:
        arxiv_id = split_arxiv_id(fields.get("id", "")[:FIELD_LIMIT])[0]
    except ValueError:
        return None
    # "stat.ML cs.LG math.FA": space-separated, the primary first.
    categories = clean_categories(fields.get("categories", "").split())
    return Paper(
        key=arxiv_id,
        # Titles and abstracts are hard-wrapped (and re-indented in some saved pages).
        title=clean_field(fields.get("title"), TITLE_LIMIT),
        abstract=clean_field(fields.get("abstract"), ABSTRACT_LIMIT),
        authors=authors,
        categories=categories,
        primary_category=categories[0] if categories else None,
        version=version,
        announce_type=None,
        announced=None,  # OAI datestamps are metadata changes, not announcements
        submitted=submitted,
        updated=updated,
        comments=optional_field(fields.get("comments")),
        journal_ref=optional_field(fields.get("journal-ref")),
        doi=optional_field(fields.get("doi")),
        license=optional_field(fields.get("license")),
        source=ARXIV,
        route=Route.OAI,
        links=arxiv_links(arxiv_id),
    )


_ARXIV_FIELDS = {
    _A[name]: name
    for name in (
        "id",
        "created",
        "updated",
        "title",
        "categories",
        "comments",
        "journal-ref",
        "doi",
        "license",
        "abstract",
    )
}


def _arxiv(payload: ET.Element) -> Paper | None:
    fields: dict[str, str] = {}
    authors: list[str] = []
    authors_tag = _A["authors"]
    keyname_tag, forenames_tag, suffix_tag = _A["keyname"], _A["forenames"], _A["suffix"]
    for child in payload:  # one pass over the record's fields
        name = _ARXIV_FIELDS.get(child.tag)
        if name is not None:
            fields[name] = child.text or ""
        elif child.tag == authors_tag:
            for author in child[:MAX_AUTHORS]:
                # <author><keyname>Song</keyname><forenames>Guohui</forenames></author>;
                # collaborations have a keyname only, some names carry a <suffix> (Jr.).
                keyname = forenames = suffix = ""
                for part in author:
                    if part.tag == keyname_tag:
                        keyname = part.text or ""
                    elif part.tag == forenames_tag:
                        forenames = part.text or ""
                    elif part.tag == suffix_tag:
                        suffix = part.text or ""
                name_text = author_name(f"{forenames} {keyname} {suffix}")
                if name_text:
                    authors.append(name_text)
    # The arXiv format does not say which version it describes; <updated> only exists once
    # there is a second version, so a v1-only paper was last updated when it was created.
    submitted = _day(fields.get("created"))
    updated = _day(fields.get("updated")) or submitted
    return _paper(fields, authors, None, submitted, updated)


_RAW_FIELDS = {
    _R[name]: name
    for name in (
        "id",
        "title",
        "authors",
        "categories",
        "comments",
        "journal-ref",
        "doi",
        "license",
        "abstract",
    )
}


def _arxiv_raw(payload: ET.Element) -> Paper | None:
    fields: dict[str, str] = {}
    versions: list[ET.Element] = []
    version_tag = _R["version"]
    for child in payload:
        name = _RAW_FIELDS.get(child.tag)
        if name is not None:
            fields[name] = child.text or ""
        elif child.tag == version_tag:
            versions.append(child)
    version = None
    submitted = updated = None
    if versions:
        last = versions[-1].get("version", "")
        version = int(last[1:]) if last[:1] == "v" and last[1:].isdigit() else len(versions)
        submitted = _rfc822(versions[0].findtext(_R["date"]))
        updated = _rfc822(versions[-1].findtext(_R["date"])) if len(versions) > 1 else submitted
    # arXivRaw keeps the authors as typed: one string, "A, B and C", TeX accents, affiliations.
    authors = author_names(fields.get("authors"))
    return _paper(fields, authors, version, submitted, updated)
