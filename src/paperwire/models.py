"""Plain data that flows between the stages: sources → store → scoring → digest → delivery."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class AnnounceType(StrEnum):
    """How arXiv announced a paper on a given day (the RSS `arxiv:announce_type`)."""

    NEW = "new"
    CROSS = "cross"
    REPLACE = "replace"
    REPLACE_CROSS = "replace-cross"


# When one paper is seen with two announce types on the same day (a combined feed says "new",
# another category's listing says "cross"), the stronger one wins.
ANNOUNCE_TYPE_RANK: dict[AnnounceType, int] = {
    AnnounceType.NEW: 4,
    AnnounceType.CROSS: 3,
    AnnounceType.REPLACE: 2,
    AnnounceType.REPLACE_CROSS: 1,
}


class Source(StrEnum):
    """Where a paper was seen. Values double as bit positions in the store (see `source_bit`)."""

    RSS = "rss"
    LISTING = "listing"
    API = "api"
    OAI = "oai"
    HUGGINGFACE = "huggingface"


SOURCE_ORDER: tuple[Source, ...] = tuple(Source)


def source_bit(source: Source) -> int:
    return 1 << SOURCE_ORDER.index(source)


def sources_from_bits(bits: int) -> list[Source]:
    return [s for s in SOURCE_ORDER if bits & source_bit(s)]


@dataclass(frozen=True, slots=True)
class Trending:
    """What Hugging Face's Daily Papers say about a paper: featured on a day, and how it fares.

    `featured` is the UTC date it was featured (Hugging Face's `submittedOnDailyAt`). Links are
    kept only when they are http(s) URLs.
    """

    featured: dt.date
    upvotes: int = 0
    comments: int = 0
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    organization: str | None = None


@dataclass(slots=True)
class Paper:
    """One paper as a source saw it. `arxiv_id` never carries a version suffix."""

    arxiv_id: str
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # all of them, primary first
    primary_category: str | None = None
    version: int | None = None
    announce_type: AnnounceType | None = None
    announced: dt.date | None = None  # the arXiv announcement (mailing) date
    submitted: dt.datetime | None = None  # first version, UTC
    updated: dt.datetime | None = None  # latest version, UTC
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    source: Source = Source.RSS
    trending: Trending | None = None  # known when Hugging Face featured the paper

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"

    @property
    def html_url(self) -> str:
        return f"https://arxiv.org/html/{self.arxiv_id}"


@dataclass(slots=True)
class FeedBatch:
    """What one response said: its papers and the announcement date it claims to be for.

    `announced` is read from the response itself (the feed's pubDate, the listing's heading).
    It is None when the response carries no date (API search results).
    """

    papers: list[Paper]
    announced: dt.date | None
    url: str = ""
    total_results: int | None = None  # API / OAI: how many the server says exist
    next_token: str | None = None  # OAI resumptionToken; None or "" at the end
    skipped: int = 0  # items without a usable arXiv id, left out


@dataclass(slots=True)
class Profile:
    """What one reader wants: the same shape for config subscribers, the database and `digest`
    flags. Keywords, authors and categories may carry a weight after a caret: "LoRA^2"."""

    categories: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    email: str | None = None
    description: str = ""  # free text: what the reader works on
    like: list[str] = field(default_factory=list)  # arXiv ids of papers that define a topic
    query: str = ""  # boolean: ("graph neural" OR GNN) AND (molecule OR protein) NOT survey


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a paper is in a digest: what matched, where, and the words as the paper writes them.

    kind is "keyword", "author", "query", "description", "like", "semantic" or "partial" (some
    words of a term, which add a little to the score); term is what the reader wrote; where
    lists "title", "abstract" or "authors"; forms are for highlighting.
    """

    kind: str
    term: str
    where: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()


@dataclass(slots=True)
class ScoredPaper:
    paper: Paper
    score: float
    matched: list[str] = field(default_factory=list)  # the reader's terms that matched
    reasons: list[Reason] = field(default_factory=list)  # filled for papers that are shown


@dataclass(slots=True)
class Digest:
    """One reader's papers for one window of announcement dates, best first.

    A trending digest (`trending`) lists the papers Hugging Face featured in the window (its
    dates are featured dates), by upvotes; `announced_count` is then how many were featured.
    """

    profile: Profile
    window_from: dt.date
    window_to: dt.date
    announced_count: int  # papers announced in the window in the reader's categories
    papers: list[ScoredPaper]  # the papers shown, best first
    generated_at: dt.datetime
    matched_count: int = -1  # papers that matched, shown or not; -1: as many as shown
    trending: bool = False

    def __post_init__(self) -> None:
        if self.matched_count < len(self.papers):
            self.matched_count = len(self.papers)

    @property
    def more(self) -> int:
        """Papers that matched but are not shown (beyond the limit, or cut to fit an email)."""
        return self.matched_count - len(self.papers)
