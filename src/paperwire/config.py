"""Load the TOML configuration and its environment overrides into validated, typed settings."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from paperwire import __version__
from paperwire.errors import ConfigError, Masker, ProfileError, UsageError, redact_url
from paperwire.models import DEFAULT_CHANNELS, AnnounceType, Origin, Profile, Reader
from paperwire.sources.arxiv.ids import parse_arxiv_id
from paperwire.syntax import parse_query, split_weight

log = logging.getLogger(__name__)
ENV_PREFIX = "PAPERWIRE_"
MIN_SECRET = 32  # characters of delivery.secret, which signs the links in every digest
# Categories are checked against arXiv's taxonomy (sources/arxiv/taxonomy.py).


class _Section(BaseModel):
    # A misspelt key is an error that names it, not a silently ignored setting; inf and nan are
    # no durations.
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)


def _split_commas(value: Any) -> Any:
    """Let a list be written as "a, b" (handy in environment variables)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http:// or https:// URL, got {redact_url(value)!r}")
    return value.rstrip("/")


def _categories(value: list[str]) -> list[str]:
    from paperwire.sources.arxiv import taxonomy

    for category in value:
        if not taxonomy.known(category):
            near = taxonomy.suggestions(category)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise ValueError(
                f"{category!r} is not an arXiv category such as 'cs.LG' or 'astro-ph'{hint}"
            )
    return value


def _weighted(text: str, what: str) -> str:
    """The term of "term^weight", checking the weight; a bad one is a ValueError naming it."""
    try:
        return split_weight(text, what)[0]
    except ProfileError as exc:
        raise ValueError(str(exc)) from None


def _weighted_terms(value: list[str]) -> list[str]:
    for term in value:
        if not _weighted(term, "term"):
            raise ValueError(f"{term!r} has no words")
    return value


def _profile_categories(value: list[str]) -> list[str]:
    """A reader's categories may carry weights: "cs.CL^0.5"."""
    _categories([_weighted(c, "category") for c in value])
    return value


def _arxiv_ids(value: list[str]) -> list[str]:
    """Liked papers as plain ids, without version: "arXiv:2401.01234v2" → "2401.01234"."""
    return [parse_arxiv_id(v)[0] for v in value]


def _query(value: str) -> str:
    if value.strip():
        try:
            parse_query(value)
        except ProfileError as exc:
            raise ValueError(str(exc)) from None
    return value


def check_categories(values: list[str], option: str) -> list[str]:
    """Validate categories given on the command line (weights allowed: "cs.CL^0.5"); a bad one
    is a UsageError naming it."""
    try:
        return _profile_categories(list(values))
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def _timezone(value: str) -> str:
    """An IANA time zone name ("Europe/Berlin"); empty means "the default"."""
    value = value.strip()
    if value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a time zone such as 'Europe/Berlin' or 'UTC'"
            ) from None
    return value


def _clock_time(value: str) -> str:
    """A time of day "HH:MM" (24-hour, "7:00" too); empty means "as soon as a digest is due"."""
    value = value.strip()
    if value:
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValueError(f"{value!r} is not a time of day such as '07:00'")
        value = f"{int(match[1]):02d}:{match[2]}"
    return value


# Where a digest can go (delivery's channels).
CHANNELS = ("email", "atom")

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(value: str) -> str:
    """A day of the week, in full or its first three letters, any case: "mon", "Monday"."""
    key = value.strip().lower()
    for day in WEEKDAYS:
        if key and (key == day or key == day[:3]):
            return day
    raise ValueError(f"{value!r} is not a day of the week such as 'monday'")


class DatabaseSettings(_Section):
    url: str = Field(
        default="", description="SQLAlchemy URL; empty: a SQLite file in XDG_DATA_HOME"
    )


class ArxivSettings(_Section):
    categories: list[str] = ["cs.LG", "cs.CL"]
    rss_url: str = "https://rss.arxiv.org"
    listing_url: str = "https://arxiv.org"
    api_url: str = "https://export.arxiv.org/api/query"
    # OAI-PMH, arXiv's bulk route: `fetch --since` over more than `oai_after_days` days.
    oai_url: str = "https://oaipmh.arxiv.org/oai"
    oai_after_days: int = Field(default=7, ge=0, le=3650)
    announce_types: list[AnnounceType] = [AnnounceType.NEW, AnnounceType.CROSS]
    api_page_size: int = Field(default=200, ge=1, le=2000)

    _split = field_validator("categories", "announce_types", mode="before")(_split_commas)
    _urls = field_validator("rss_url", "listing_url", "api_url", "oai_url")(_http_url)
    _cats = field_validator("categories")(_categories)

    @field_validator("categories")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one arXiv category")
        return value


class HuggingFaceSettings(_Section):
    enabled: bool = False
    api_url: str = "https://huggingface.co/api/daily_papers"  # ?date=YYYY-MM-DD
    # The Daily Papers page, read when the API fails (empty: never).
    page_url: str = "https://huggingface.co/papers"
    # `run` and `serve` fetch the current day again after this many minutes: its upvotes grow.
    refresh: float = Field(default=120.0, ge=5, le=24 * 60)

    _urls = field_validator("api_url")(_http_url)

    @field_validator("page_url")
    @classmethod
    def _page(cls, value: str) -> str:
        return _http_url(value) if value else value


class FeedSettings(_Section):
    """One scholarly RSS/Atom/RDF feed (`[[sources.feeds]]`): a journal, a preprint server's
    subject, a saved search."""

    # A short name: `fetch --source NAME`, readers' `sources`, shown in digests.
    name: str
    url: str
    title: str = ""  # what a person reads; empty: the name
    refresh: float = Field(default=60.0, ge=5, le=7 * 24 * 60)  # minutes between polls

    _url = field_validator("url")(_http_url)

    @field_validator("name")
    @classmethod
    def _short_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,47}", value):
            raise ValueError(
                f"{value!r}: a short name of lower-case letters, digits, '.', '-' or '_'"
            )
        if value in ("arxiv", "huggingface", "all"):
            raise ValueError(f"{value!r} is taken (arxiv, huggingface and all are built in)")
        return value


class SourcesSettings(_Section):
    arxiv: ArxivSettings = ArxivSettings()
    huggingface: HuggingFaceSettings = HuggingFaceSettings()
    feeds: list[FeedSettings] = []

    @field_validator("feeds")
    @classmethod
    def _unique_names(cls, value: list[FeedSettings]) -> list[FeedSettings]:
        names = [feed.name for feed in value]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ValueError(f"[{index}].name: {name!r} names two feeds")
        return value


class HttpSettings(_Section):
    user_agent: str = f"paperwire/{__version__} (+https://pypi.org/project/paperwire/)"

    @field_validator("user_agent")
    @classmethod
    def _one_printable_line(cls, value: str) -> str:
        value = value.strip()
        # HTTP headers are Latin-1 on the wire; ASCII is what every server accepts.
        if not value or not value.isprintable() or not value.isascii():
            raise ValueError("must be one line of printable ASCII, e.g. 'paperwire (mailto:me@x)'")
        return value

    min_interval: float = Field(default=3.0, ge=0)
    timeout: float = Field(default=30.0, gt=0)
    # Few: a source that is down is reported at once (cron mails it) and tried again by a
    # later tick; arXiv's 503s at announcement time pass within seconds.
    retries: int = Field(default=2, ge=0, le=20)
    max_wait: float = Field(default=120.0, ge=0)
    # Seconds one request may take in all (retries and the body included).
    deadline: float = Field(default=60.0, gt=0)


def _email_address(value: str) -> str:
    """An address a digest can go to, normalised (domain lower-cased, IDNA checked)."""
    # Imported here: a configuration without addresses (cron's idle tick) does not pay for it.
    from email_validator import EmailNotValidError, validate_email

    try:
        # No SMTPUTF8: digests go out as 7-bit mail, so the part before @ must be ASCII.
        return validate_email(
            value.strip(), check_deliverability=False, allow_smtputf8=False
        ).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not an email address: {exc}") from None


DEFAULT_FROM = "paperwire <digest@example.org>"


def _mailbox(value: str) -> str:
    """A From line: "Name <address>" or a bare address; the address must be valid."""
    if value == DEFAULT_FROM:  # known good: the address checker loads only for a real address
        return value
    if "\r" in value or "\n" in value:
        raise ValueError("must be one line")
    name, address = parseaddr(value.strip())
    if not address:
        raise ValueError(f"{value!r} is not an address such as 'paperwire <digest@example.org>'")
    address = _email_address(address)
    return formataddr((name, address)) if name else address


class SmtpSettings(_Section):
    model_config = ConfigDict(
        extra="forbid", validate_default=True, allow_inf_nan=False, populate_by_name=True
    )

    host: str = ""
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "starttls"
    username: str = ""
    password: SecretStr = SecretStr("")
    from_address: str = Field(default=DEFAULT_FROM, alias="from")
    timeout: float = Field(default=30.0, gt=0)
    # Seconds to wait for the server's answer after a whole message: RFC 5321 (4.5.3.2.6)
    # gives a server 10 minutes, and a message given up early may be sent twice.
    reply_timeout: float = Field(default=600.0, gt=0)
    # Check the server's certificate and name (ssl, starttls). Turn off only for a test server.
    verify: bool = True
    # A PEM file of CAs to trust instead of the system's (a server with a private CA).
    ca_file: str = ""

    _from = field_validator("from_address")(_mailbox)

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip()
        if value and (not value.isprintable() or " " in value or "/" in value):
            raise ValueError(f"{value!r} is not a host name")
        return value

    @field_validator("ca_file")
    @classmethod
    def _ca_file(cls, value: str) -> str:
        if value and not Path(value).expanduser().is_file():
            raise ValueError(f"{value!r} is not a file")
        return str(Path(value).expanduser()) if value else value


class DeliverySettings(_Section):
    """How digests leave: retries, the outbox, and what the footer and List-* headers offer."""

    # Directory for .eml files. Used instead of SMTP when smtp.host is empty (default: the
    # outbox/ folder beside the default database) or when `paperwire send --outbox` says so.
    outbox: str = ""
    # A digest refused with a temporary error (4xx) is tried again by later runs, up to this
    # many attempts in all; then it is recorded as failed.
    max_attempts: int = Field(default=5, ge=1, le=100)
    # Within one run, a 4xx is tried again this many times after retry_delay seconds (doubling).
    retries_per_run: int = Field(default=1, ge=0, le=10)
    retry_delay: float = Field(default=5.0, ge=0, le=600)
    # Processes that compose emails while a run plans many digests: 0, one per CPU; 1, none
    # beside the run itself.
    workers: int = Field(default=0, ge=0, le=64)
    # https address of pages that handle unsubscribe and preferences; adds one-click unsubscribe
    # (List-Unsubscribe-Post) and links in the footer. Needs `secret` for the links' tokens.
    base_url: str = ""
    # Key for the tokens in those links (better: PAPERWIRE_DELIVERY__SECRET).
    secret: SecretStr = SecretStr("")
    # Where unsubscribe requests go by mail; empty: the From address.
    unsubscribe: str = ""
    # The List-Id header; empty: "paperwire digests <paperwire.<domain of From>>".
    list_id: str = ""
    # Where readers' private Atom feeds are written (channels = ["atom"]): one file each,
    # named by a random token (default: the feeds/ folder beside the default database).
    feeds_dir: str = ""
    # How many papers a reader's feed keeps, newest first.
    feed_size: int = Field(default=100, ge=1, le=10_000)

    @field_validator("base_url")
    @classmethod
    def _https(cls, value: str) -> str:
        parts = urlsplit(value)
        # http:// only on this machine, to try the pages before a proxy gives them TLS.
        loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
        if value and parts.scheme != "https" and not loopback:
            raise ValueError(
                "must be an https:// URL (one-click unsubscribe needs https; "
                "http:// only for 127.0.0.1 or localhost)"
            )
        if value and (parts.query or parts.fragment):
            raise ValueError("must not have a ?query or #fragment (pages are added to its path)")
        return _http_url(value) if value else value

    @field_validator("unsubscribe")
    @classmethod
    def _unsubscribe(cls, value: str) -> str:
        return _email_address(value) if value.strip() else ""

    @field_validator("list_id")
    @classmethod
    def _list_id(cls, value: str) -> str:
        if value and (not value.isprintable() or not value.isascii()):
            raise ValueError("must be one line of printable ASCII")
        return value

    @field_validator("secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if secret and (len(secret) < MIN_SECRET or len(set(secret)) < 8):
            # Anyone who guesses it can unsubscribe or change any reader.
            raise ValueError(
                f"too weak ({len(secret)} characters): use {MIN_SECRET} or more random ones, "
                "e.g. the output of: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    @model_validator(mode="after")
    def _secret_with_base_url(self) -> DeliverySettings:
        secret = self.secret.get_secret_value()
        if self.base_url and not secret:
            raise ValueError("secret: needed when base_url is set (it signs the links)")

        return self


class DigestSettings(_Section):
    max_papers: int = Field(default=25, ge=1)
    min_score: float = 0.0
    # Also list papers that show only some words of a keyword (after the full matches).
    partial_matches: bool = False
    # A digest covers the announcements since the reader's last one, but never more than this
    # many days back (a reader away for a month gets the last week, not a month).
    max_age_days: int = Field(default=7, ge=1, le=60)
    # When nothing matched in a window: "skip" (send nothing) or "note" (a short email).
    empty: Literal["skip", "note"] = "skip"
    # When digests go out, in each reader's time zone: "07:00", or empty for as soon as a new
    # announcement is stored. Subscribers may set their own.
    send_at: str = ""
    timezone: str = "UTC"

    _send_at = field_validator("send_at")(_clock_time)
    _tz = field_validator("timezone")(_timezone)

    @field_validator("timezone")
    @classmethod
    def _some_timezone(cls, value: str) -> str:
        return value or "UTC"

    @property
    def lookback_days(self) -> int:
        """How many days back any digest can reach (a weekly one a week further)."""
        return self.max_age_days + 7


DEFAULT_FETCH_CRON = "30 0 * * mon-fri"


class ScheduleSettings(_Section):
    """When `paperwire serve` and `paperwire run` fetch, and how `run` guards itself."""

    # `serve` fetches at these times (cron: minute hour day month day-of-week) in `timezone`.
    # arXiv's feeds are rebuilt around midnight US Eastern, Monday to Friday.
    fetch_cron: str = DEFAULT_FETCH_CRON
    timezone: str = "America/New_York"
    # `serve` looks for due digests (and a fetch still missing) every this many minutes.
    interval: float = Field(default=5.0, gt=0, le=24 * 60)
    # A day still not published (a holiday, a late feed) is looked for again after this many
    # minutes.
    fetch_retry: float = Field(default=30.0, ge=0, le=24 * 60)
    # A job that could not start on time (the machine slept) still runs this late, in seconds.
    misfire_grace: int = Field(default=3600, ge=1)
    # Dates arXiv announces nothing, besides weekends and the built-in New Year's Day,
    # Thanksgiving and Christmas (https://info.arxiv.org/help/availability.html).
    holidays: list[dt.date] = []
    # The lock file `run` holds while it works (SQLite; PostgreSQL uses an advisory lock).
    # Empty: beside the database file, or in the data directory.
    lock_file: str = ""

    _split = field_validator("holidays", mode="before")(_split_commas)
    _tz = field_validator("timezone")(_timezone)

    @field_validator("fetch_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if value == DEFAULT_FETCH_CRON:
            return value  # known good: a cron tick need not import APScheduler to load
        from apscheduler.triggers.cron import CronTrigger

        fields = value.split()
        if len(fields) == 5 and any(c.isdigit() for c in fields[4]):
            # APScheduler counts 0 as Monday, crontab as Sunday: names mean the same to both.
            raise ValueError(
                f"{value!r}: write the day of the week as names, e.g. 'mon-fri', not numbers"
            )
        try:
            CronTrigger.from_crontab(value)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"{value!r} is not a cron expression such as '30 0 * * mon-fri' ({exc})"
            ) from None
        return value


class ScoringSettings(_Section):
    # The sentence-embedding layer (pip install 'paperwire[semantic]'), fused with the lexical
    # score; off by default.
    semantic: bool = False
    semantic_weight: float = Field(default=8.0, ge=0, le=100)
    author_weight: float = Field(default=8.0, ge=0, le=100)
    topic_weight: float = Field(default=100.0, ge=0, le=1000)
    # Hugging Face's upvotes as a signal in topics digests: a listed paper gains this times
    # log2(1 + upvotes) (0: off). In trending digests, a paper on the reader's topics ranks as
    # if it had 2^trending_bonus times its upvotes.
    trending_weight: float = Field(default=0.0, ge=0, le=100)
    trending_bonus: float = Field(default=3.0, ge=0, le=30)


class SubscriberSettings(_Section):
    email: str
    name: str = ""

    _email = field_validator("email")(_email_address)

    @field_validator("name")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())  # a display name is one line, whatever the file says

    categories: list[str] = []
    keywords: list[str] = []
    exclude: list[str] = []
    authors: list[str] = []
    description: str = ""
    like: list[str] = []
    query: str = ""

    _split = field_validator("categories", "keywords", "exclude", "authors", "like", mode="before")(
        _split_commas
    )
    _cats = field_validator("categories")(_profile_categories)
    _terms = field_validator("keywords", "exclude", "authors")(_weighted_terms)
    _likes = field_validator("like")(_arxiv_ids)
    _query = field_validator("query")(_query)

    # When this reader's digest goes out; empty values fall back to [digest].
    timezone: str = ""
    send_at: str = ""
    # "topics": arXiv's papers on the reader's topics; "trending": Hugging Face's Daily
    # Papers by upvotes, papers on the reader's topics first (only those, with
    # trending_filter).
    mode: Literal["topics", "trending"] = "topics"
    trending_filter: bool = False
    frequency: Literal["daily", "weekly"] = "daily"
    weekday: str = "monday"  # the day of a weekly digest
    max_papers: int | None = Field(default=None, ge=1)
    min_score: float | None = None
    paused: bool = False
    # The sources whose papers this reader gets (empty: every configured source), and where
    # their digests go: "email", and "atom" (a private feed file in delivery.feeds_dir).
    sources: list[str] = []
    channels: list[str] = list(DEFAULT_CHANNELS)

    _tz = field_validator("timezone")(_timezone)
    _send_at = field_validator("send_at")(_clock_time)
    _weekday = field_validator("weekday")(_weekday)
    _lists = field_validator("sources", "channels", mode="before")(_split_commas)

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in CHANNELS]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a channel ({', '.join(CHANNELS)})")
        if not value:
            raise ValueError('name at least one channel, e.g. ["email"]')
        return list(dict.fromkeys(value))

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(s.strip() for s in value if s.strip()))

    @model_validator(mode="after")
    def _trending_filter_needs_trending(self) -> SubscriberSettings:
        if self.trending_filter and self.mode != "trending":
            raise ValueError('trending_filter: only for mode = "trending"')
        return self

    def to_reader(self, origin: str = Origin.CONFIG) -> Reader:
        """This subscriber as the one Reader type every stage of paperwire uses."""
        return Reader(
            email=self.email,
            profile=Profile(
                categories=list(self.categories),
                keywords=list(self.keywords),
                exclude=list(self.exclude),
                authors=list(self.authors),
                email=self.email,
                description=self.description,
                like=list(self.like),
                query=self.query,
            ),
            name=self.name,
            mode=self.mode,
            only_matching=self.trending_filter,
            timezone=self.timezone,
            send_at=self.send_at,
            frequency=self.frequency,
            weekday=self.weekday,
            max_papers=self.max_papers,
            min_score=self.min_score,
            paused=self.paused,
            sources=tuple(self.sources),
            channels=tuple(self.channels),
            origin=origin,
        )


class Settings(_Section):
    """Everything paperwire can be told. Built by `load_settings`; passed in, never global."""

    database: DatabaseSettings = DatabaseSettings()
    sources: SourcesSettings = SourcesSettings()
    http: HttpSettings = HttpSettings()
    smtp: SmtpSettings = SmtpSettings()
    delivery: DeliverySettings = DeliverySettings()
    digest: DigestSettings = DigestSettings()
    scoring: ScoringSettings = ScoringSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    subscribers: list[SubscriberSettings] = []
    _file: Path | None = PrivateAttr(default=None)

    @property
    def config_file(self) -> Path | None:
        """The file these settings were read from; None for built-in defaults."""
        return self._file

    def masker(self) -> Masker:
        """What hides every configured secret (the SMTP password, delivery.secret, the
        database URL's password) in anything printed or stored."""
        from urllib.parse import unquote, urlsplit

        try:
            database = urlsplit(self.database.url).password or ""
        except ValueError:
            database = ""
        secrets = [
            self.smtp.password.get_secret_value(),
            self.delivery.secret.get_secret_value(),
            database,
            unquote(database),
        ]
        return Masker(secrets, [self.smtp.username])

    def source_names(self) -> list[str]:
        """The names readers' `sources` may use: arXiv, Hugging Face, each configured feed."""
        return ["arxiv", "huggingface", *(feed.name for feed in self.sources.feeds)]

    def readers(self) -> list[Reader]:
        """The configuration file's subscribers (not those kept only in the database)."""
        return [s.to_reader(Origin.CONFIG) for s in self.subscribers]

    @model_validator(mode="after")
    def _one_entry_per_address(self) -> Settings:
        seen: set[str] = set()
        known = self.source_names()
        for index, subscriber in enumerate(self.subscribers):
            key = subscriber.email.lower()
            if key in seen:
                raise ValueError(f"subscribers[{index}].email: {subscriber.email} is listed twice")
            seen.add(key)
            for name in subscriber.sources:
                if name not in known:
                    raise ValueError(
                        f"subscribers[{index}].sources: {name!r} is not a configured source "
                        f"({', '.join(known)})"
                    )
        return self


def find_config_file(explicit: Path | None, env: Mapping[str, str], cwd: Path) -> Path | None:
    """The file to read, in SPEC order: --config, $PAPERWIRE_CONFIG, ./paperwire.toml, XDG."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} does not exist (from --config)")
        return explicit
    if env.get("PAPERWIRE_CONFIG"):
        path = Path(env["PAPERWIRE_CONFIG"]).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist (from $PAPERWIRE_CONFIG)")
        return path
    local = cwd / "paperwire.toml"
    if local.is_file():
        return local
    xdg = Path(env.get("XDG_CONFIG_HOME") or Path(env.get("HOME", "~")) / ".config")
    candidate = (xdg / "paperwire" / "config.toml").expanduser()
    return candidate if candidate.is_file() else None


def _data_home(env: Mapping[str, str]) -> Path:
    data_home = Path(env.get("XDG_DATA_HOME") or Path(env.get("HOME", "~")) / ".local" / "share")
    return (data_home / "paperwire").expanduser()


def default_database_url(env: Mapping[str, str]) -> str:
    return f"sqlite:///{_data_home(env) / 'paperwire.sqlite3'}"


def default_outbox(env: Mapping[str, str]) -> str:
    return str(_data_home(env) / "outbox")


def default_feeds_dir(env: Mapping[str, str]) -> str:
    return str(_data_home(env) / "feeds")


def _env_value(raw: str) -> Any:
    """Read an override: a TOML array or quoted string as TOML, anything else as text.

    Numbers and booleans stay text on purpose: validation converts "3.0" for a float key, and
    a password of 123456 must stay the string it is.
    """
    if raw.lstrip().startswith(("[", '"', "'")):
        try:
            return tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            return raw
    return raw


def _apply_env_overrides(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """Write PAPERWIRE_<SECTION>__<KEY> values into `data`; return dotted key → variable name."""
    origins: dict[str, str] = {}
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX) :].split("__")]
        if not all(path):
            raise ConfigError(f"environment variable {name}: empty key between '__'")
        node = data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"environment variable {name}: {part} is not a section")
            node = child
        node[path[-1]] = _env_value(env[name])
        origins[".".join(path)] = name
    return origins


def _key_of(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def _describe(exc: ValidationError, origins: Mapping[str, str], where: str) -> str:
    """One line for all that is wrong: unknown keys first (a typo explains a missing key)."""
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    parts = []
    for error in errors[:3]:
        key = _key_of(tuple(error["loc"]))
        top = next((k for k in origins if key == k or key.startswith((k + "[", k + "."))), None)
        origin = f"environment variable {origins[top]}" if top else where
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        parts.append(f"{origin}: {key}: {message}" if key else f"{origin}: {message}")
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more


def load_settings(
    explicit: Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Find, read and validate the configuration. Raises ConfigError with one clear line."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    path = find_config_file(explicit, env, cwd)
    where = str(path) if path else "built-in defaults"
    log.info("configuration: %s", where)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from None
    origins = _apply_env_overrides(data, env)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origins, where)) from None
    settings._file = path
    if not settings.database.url:
        settings.database.url = default_database_url(env)
    if not settings.delivery.outbox:
        settings.delivery.outbox = default_outbox(env)
    settings.delivery.outbox = str(Path(settings.delivery.outbox).expanduser())
    settings.delivery.feeds_dir = str(
        Path(settings.delivery.feeds_dir or default_feeds_dir(env)).expanduser()
    )
    return settings
