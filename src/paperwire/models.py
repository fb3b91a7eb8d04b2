"""Plain data that flows between the stages: sources → store → scoring → digest → delivery."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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


class Route(StrEnum):
    """How a source read a paper. Values double as bit positions in the store (`route_bit`)."""

    RSS = "rss"
    LISTING = "listing"
    API = "api"
    OAI = "oai"
    HUGGINGFACE = "huggingface"
    FEED = "feed"  # any RSS/Atom/RDF feed read with feedparser


ROUTE_ORDER: tuple[Route, ...] = tuple(Route)
# arXiv's own routes: what they say about a paper is arXiv's metadata, which wins over what
# any other source says about the same paper.
ARXIV_ROUTES = frozenset({Route.RSS, Route.LISTING, Route.API, Route.OAI})
ARXIV = "arxiv"  # the name of arXiv as a source
# Sources whose papers are arXiv papers: their key is the arXiv id.
ARXIV_BACKED = frozenset({ARXIV, "huggingface"})


def route_bit(route: Route) -> int:
    return 1 << ROUTE_ORDER.index(route)


def routes_from_bits(bits: int) -> list[Route]:
    return [r for r in ROUTE_ORDER if bits & route_bit(r)]


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
    """One paper as a source saw it, or as the store holds it.

    `key` is its identity in paperwire: the arXiv id (without version) for a paper on arXiv,
    else "doi:<doi>" or "<source>:<the source's id>". The same work seen by two sources is one
    paper: the store matches it by arXiv id, DOI and the sources' own ids (`aliases`).
    `source` names the source that first had it, arXiv preferred ("arxiv", "huggingface", a
    feed's name); `links` come from that source ("abs", "pdf", "html" for arXiv; "url" for a
    feed item's page).
    """

    key: str
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # arXiv's, primary first
    primary_category: str | None = None
    version: int | None = None
    announce_type: AnnounceType | None = None
    announced: dt.date | None = None  # the announcement date: arXiv's mailing, or first seen
    submitted: dt.datetime | None = None  # first version (a journal: published), UTC
    updated: dt.datetime | None = None  # latest version, UTC
    comments: str | None = None
    journal_ref: str | None = None  # a journal item: the journal's name and issue
    doi: str | None = None
    license: str | None = None
    source: str = ARXIV
    route: Route | None = None
    arxiv_id: str | None = None  # set from `key` for arXiv's and Hugging Face's papers
    links: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()  # "doi:…", "url:…", "<source>:<id>": how others name it
    trending: Trending | None = None  # known when Hugging Face featured the paper

    def __post_init__(self) -> None:
        if self.arxiv_id is None and self.source in ARXIV_BACKED:
            self.arxiv_id = self.key

    @property
    def url(self) -> str:
        """The paper's page: arXiv's abstract page, or the feed item's link ("" if none)."""
        return self.links.get("abs") or self.links.get("url") or ""


@dataclass(slots=True)
class UpsertCounts:
    """What one batch did to the store, overall and by announce type (store.upsert_papers)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    by_type: Counter[str] = field(default_factory=Counter)

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.by_type.update(other.by_type)
        return self

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


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
    skipped: int = 0  # items without a usable id, left out


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
    like: list[str] = field(default_factory=list)  # ids of papers that define a topic
    query: str = ""  # boolean: ("graph neural" OR GNN) AND (molecule OR protein) NOT survey
    # Papers the reader gave a 👎 (their feedback, not a setting): papers much like them
    # rank lower.
    dislike: list[str] = field(default_factory=list)
    # The reader's strongest matches in their earlier digests (not a setting): with no likes,
    # papers like them are listed too, on closer evidence (pseudo-relevance feedback).
    past: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Judgments:
    """What one reader said of papers: the keys they gave a 👍 and a 👎, newest first."""

    liked: tuple[str, ...] = ()
    disliked: tuple[str, ...] = ()
    # Not a judgment: the reader's strongest keyword matches in their earlier digests.
    past: tuple[str, ...] = ()


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
    """One reader's papers for one window of days, best first.

    `kind` names what the digest lists (see digest.kinds): "topics", the papers announced in
    the window on the reader's topics; "trending", the papers Hugging Face featured in the
    window (featured dates), by upvotes, and `announced_count` is then how many were featured.
    """

    profile: Profile
    window_from: dt.date
    window_to: dt.date
    announced_count: int  # papers announced in the window in the reader's categories
    papers: list[ScoredPaper]  # the papers shown, best first
    generated_at: dt.datetime
    matched_count: int = -1  # papers that matched, shown or not; -1: as many as shown
    kind: str = "topics"
    # Matched papers after those shown, for the digest's page (paperwire web): ranked, not
    # explained (DigestBuilder.explain does that when the page is first opened); empty
    # unless the builder was asked to keep them.
    rest: list[ScoredPaper] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.matched_count < len(self.papers):
            self.matched_count = len(self.papers)

    @property
    def more(self) -> int:
        """Papers that matched but are not shown (beyond the limit, or cut to fit an email)."""
        return self.matched_count - len(self.papers)


class DeliveryState(StrEnum):
    """What became of one digest on one channel (the delivery ledger's `state`)."""

    PENDING = "pending"  # composed, not yet accepted (its message is kept for the next try)
    SENT = "sent"
    FAILED = "failed"  # refused for good, or too many temporary refusals: its days go on
    SKIPPED = "skipped"  # nothing matched, and empty windows are skipped


class Origin(StrEnum):
    """Where a reader was added: the configuration file wins for its own readers."""

    CONFIG = "config"
    CLI = "cli"
    WEB = "web"  # subscribed on the readers' pages (paperwire web)


DEFAULT_CHANNELS = ("email",)


@dataclass(frozen=True, slots=True)
class Reader:
    """A subscriber: who they are, what they want, how and when their digests go.

    Built at the edges — from the configuration file (config.SubscriberSettings), from the
    database (store.subscribers), from `paperwire digest` flags — and the same thing to every
    stage. Empty `timezone` and `send_at`, and None limits, mean "[digest]'s"; empty
    `profile.categories` means "the configured arXiv categories" and empty `sources` "every
    configured source".
    """

    email: str
    profile: Profile
    name: str = ""
    mode: str = "topics"  # the digest kind: "topics" or "trending"
    only_matching: bool = False  # trending: only papers on the reader's topics
    timezone: str = ""
    send_at: str = ""  # "07:00", or "" for as soon as a digest is due
    frequency: str = "daily"  # or "weekly"
    weekday: str = "monday"  # the day of a weekly digest
    max_papers: int | None = None
    min_score: float | None = None
    paused: bool = False
    sources: tuple[str, ...] = ()
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    origin: str = field(default=Origin.CONFIG, compare=False)
    created_at: dt.datetime | None = field(default=None, compare=False)
    updated_at: dt.datetime | None = field(default=None, compare=False)

    @property
    def weekly(self) -> bool:
        return self.frequency == "weekly"

    def settings(self) -> dict[str, Any]:
        """The settings as a `[[subscribers]]` table writes them: only what differs from the
        defaults, so an export stays short and a later default applies."""
        data: dict[str, Any] = {"email": self.email}
        profile = self.profile
        values: dict[str, Any] = {
            "name": self.name,
            "categories": list(profile.categories),
            "keywords": list(profile.keywords),
            "exclude": list(profile.exclude),
            "authors": list(profile.authors),
            "description": profile.description,
            "like": list(profile.like),
            "query": profile.query,
            "timezone": self.timezone,
            "send_at": self.send_at,
            "mode": self.mode,
            "trending_filter": self.only_matching,
            "frequency": self.frequency,
            "weekday": self.weekday,
            "max_papers": self.max_papers,
            "min_score": self.min_score,
            "paused": self.paused,
            "sources": list(self.sources),
            "channels": list(self.channels),
        }
        for key, value in values.items():
            if value != _SETTING_DEFAULTS[key]:
                data[key] = value
        return data

    @classmethod
    def from_settings(
        cls,
        data: dict[str, Any],
        *,
        origin: str = Origin.CONFIG,
        created_at: dt.datetime | None = None,
        updated_at: dt.datetime | None = None,
    ) -> Reader:
        """A reader from settings written by `settings()` (checked when they were written).
        Raises ValueError when `data` is not such a mapping."""
        unknown = set(data) - set(_SETTING_DEFAULTS) - {"email"}
        if not isinstance(data.get("email"), str) or unknown:
            raise ValueError(f"not a reader's settings: {sorted(unknown) or 'no email'}")
        values = _SETTING_DEFAULTS | data

        def strings(key: str) -> list[str]:
            items = values[key]
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ValueError(f"{key}: not a list of strings")
            return list(items)

        return cls(
            email=data["email"],
            profile=Profile(
                categories=strings("categories"),
                keywords=strings("keywords"),
                exclude=strings("exclude"),
                authors=strings("authors"),
                email=data["email"],
                description=str(values["description"]),
                like=strings("like"),
                query=str(values["query"]),
            ),
            name=str(values["name"]),
            mode=str(values["mode"]),
            only_matching=bool(values["trending_filter"]),
            timezone=str(values["timezone"]),
            send_at=str(values["send_at"]),
            frequency=str(values["frequency"]),
            weekday=str(values["weekday"]),
            max_papers=None if values["max_papers"] is None else int(values["max_papers"]),
            min_score=None if values["min_score"] is None else float(values["min_score"]),
            paused=bool(values["paused"]),
            sources=tuple(strings("sources")),
            channels=tuple(strings("channels")),
            origin=origin,
            created_at=created_at,
            updated_at=updated_at,
        )


# A reader's settings left out of a `[[subscribers]]` table (config.SubscriberSettings has the
# same defaults; a test keeps the two in step).
_SETTING_DEFAULTS: dict[str, Any] = {
    "name": "",
    "categories": [],
    "keywords": [],
    "exclude": [],
    "authors": [],
    "description": "",
    "like": [],
    "query": "",
    "timezone": "",
    "send_at": "",
    "mode": "topics",
    "trending_filter": False,
    "frequency": "daily",
    "weekday": "monday",
    "max_papers": None,
    "min_score": None,
    "paused": False,
    "sources": [],
    "channels": list(DEFAULT_CHANNELS),
}
