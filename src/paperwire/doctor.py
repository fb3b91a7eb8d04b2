"""Check that paperwire can do its work here: configuration, database, SMTP and sources.

Every check only looks: no migration is applied, no mail is sent (SMTP goes as far as LOGIN and
then says QUIT), and each source gets one plain GET. Each check is a function of what it is
given (settings, a session, a clock) and returns `Check` rows; `run_checks` runs them all.
Secrets never reach a row: database passwords are masked in URLs, and every configured secret
is replaced by "***" should a server's reply echo it.
"""

from __future__ import annotations

import os
import ssl
import tempfile
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from paperwire.config import ENV_PREFIX, Settings, SmtpSettings
from paperwire.delivery.email.smtp import SmtpTransport
from paperwire.errors import FetchError, PaperwireError, SmtpUnavailable, redact_url
from paperwire.http import PoliteSession
from paperwire.sources import configured
from paperwire.sources.base import Probe
from paperwire.store import open_store
from paperwire.store.engine import short_error
from paperwire.text import plural

__all__ = [
    "SECTIONS",
    "Check",
    "Status",
    "check_configuration",
    "check_database",
    "check_outbox",
    "check_smtp",
    "check_sources",
    "run_checks",
    "shown_database_url",
]

Status = Literal["ok", "warn", "fail", "skip"]
Clock = Callable[[], float]

# The parts a caller may leave out (`paperwire doctor --skip ...`).
SECTIONS = ("database", "smtp", "sources")


@dataclass(frozen=True, slots=True)
class Check:
    """One row of the report: what was checked, how it went, and one line saying why."""

    name: str
    status: Status
    detail: str

    def __post_init__(self) -> None:
        # One line whatever a server said: replies and driver errors can span several.
        object.__setattr__(self, "detail", " ".join(self.detail.split()))

    @property
    def failed(self) -> bool:
        return self.status == "fail"


def run_checks(
    settings: Settings,
    config_path: Path | None,
    env: Mapping[str, str],
    http: PoliteSession,
    *,
    skip: Collection[str] = (),
    ssl_context: ssl.SSLContext | None = None,
    clock: Clock = time.monotonic,
) -> list[Check]:
    """Run every check in order (configuration, database, SMTP or outbox, sources).

    `config_path` is the file the settings came from (None: built-in defaults) and `env` the
    environment they were read with (only the names of PAPERWIRE_ overrides are shown).
    `skip` names sections of SECTIONS to leave out; `ssl_context` replaces the one built from
    smtp.verify and smtp.ca_file.
    """
    unknown = set(skip) - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown sections to skip: {', '.join(sorted(unknown))}")
    checks = [check_configuration(settings, config_path, env)]
    if "database" in skip:
        checks.append(_skipped("database"))
    else:
        checks.append(check_database(settings.database.url))
    if "smtp" in skip:
        checks.append(_skipped("smtp"))
    elif settings.smtp.host:
        checks.append(check_smtp(settings.smtp, ssl_context=ssl_context, clock=clock))
    else:
        outbox = Path(settings.delivery.outbox)
        checks.append(Check("smtp", "skip", f"no smtp.host: send writes .eml files to {outbox}"))
        checks.append(check_outbox(outbox))
    if "sources" in skip:
        checks.append(_skipped("sources"))
    else:
        checks += check_sources(settings, http, clock=clock)
    mask = settings.masker()  # a reply or a driver's error may echo a secret
    return [Check(c.name, c.status, mask(c.detail)) for c in checks]


# -- configuration ------------------------------------------------------------------------------


def check_configuration(
    settings: Settings, config_path: Path | None, env: Mapping[str, str]
) -> Check:
    """Which file was read, the environment overrides by name, subscribers and categories.

    Always "ok": settings that fail to load never get this far (ConfigError, exit 2).
    """
    where = str(config_path) if config_path is not None else "built-in defaults"
    subscribers = len(settings.subscribers)
    parts = [
        where,
        plural(subscribers, "configured subscriber"),
        f"categories {', '.join(settings.sources.arxiv.categories)}",
    ]
    overrides = sorted(name for name in env if name.startswith(ENV_PREFIX) and "__" in name)
    if overrides:
        parts.append(f"overridden by {', '.join(overrides)}")
    return Check("configuration", "ok", "; ".join(parts))


# -- database -----------------------------------------------------------------------------------


def shown_database_url(url: str) -> str:
    """`url` as it may be shown: the user name kept, the password as ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return redact_url(url)


def check_database(url: str) -> Check:
    """Open the database without migrating it: its revision against the newest one, and what it
    holds. A missing SQLite file is not created (a warning: the first fetch makes it)."""
    shown = shown_database_url(url)
    unwritable = _unwritable_sqlite(url)
    if unwritable:
        return Check("database", "fail", f"{shown}: {unwritable}")
    missing = _missing_sqlite_file(url)
    if missing is not None:
        return Check("database", "warn", f"{shown}: no such file yet; paperwire fetch creates it")
    try:
        store = open_store(url, upgrade=False)
    except PaperwireError as exc:  # a URL it cannot use, a folder it cannot create
        return Check("database", "fail", str(exc))
    with store:
        try:
            current, head = store.schema_revision()
            if current != head:
                have = f"at revision {current}" if current else "empty (no schema yet)"
                return Check(
                    "database",
                    "warn",
                    f"{shown}: {have}, paperwire needs revision {head}: run paperwire db upgrade",
                )
            papers = store.count_papers()
            newest = store.latest_announcement()
        except PaperwireError as exc:  # unreachable, refused, written by a newer paperwire
            return Check("database", "fail", str(exc))
        except SQLAlchemyError as exc:  # the connection dropped between two queries, …
            return Check("database", "fail", f"database {shown}: {short_error(exc)}")
    latest = f"newest announcement {newest}" if newest else "no announcements yet"
    counted = plural(papers, "paper")
    return Check("database", "ok", f"{shown}: revision {head}, {counted}, {latest}")


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None: another database, or in memory)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None  # open_store explains what is wrong with it
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL when it does not exist yet (opening it would create it)."""
    path = _sqlite_file(url)
    return None if path is None or path.exists() else path


def _unwritable_sqlite(url: str) -> str:
    """Why paperwire could not write a SQLite database ("": it can, as far as one can tell).
    SQLite needs the folder too: it writes its journal (WAL) and lock files beside the file."""
    path = _sqlite_file(url)
    if path is None:
        return ""
    folder = next((p for p in (path.parent, *path.parent.parents) if p.exists()), None)
    if folder is not None and not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"the folder {folder} is not writable by this user; SQLite writes its journal "
            "beside the database file"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"the file {path} is not writable by this user"
    return ""


# -- SMTP and the outbox -------------------------------------------------------------------------


def check_smtp(
    settings: SmtpSettings,
    *,
    ssl_context: ssl.SSLContext | None = None,
    clock: Clock = time.monotonic,
) -> Check:
    """Connect, EHLO, STARTTLS and LOGIN as configured, then QUIT: never MAIL, RCPT or DATA.

    Uses the very connection code `paperwire send` uses, so a pass here means send can log in.
    """
    transport = SmtpTransport(settings, ssl_context=ssl_context)
    started = clock()
    try:
        # The transport's own connect (TLS, certificate checks, login and their one-line
        # errors); it opens the session without starting a transaction.
        connection = transport._connect()
    except SmtpUnavailable as exc:
        return Check("smtp", "fail", f"{exc} ({_took(clock() - started)})")
    try:
        took = _took(clock() - started)
        reply = connection.ehlo_resp or connection.helo_resp or b""
        server = reply.decode("utf-8", "replace").splitlines()[0] if reply.strip() else "?"
        parts = [f"{transport.describe()}: {server} answered in {took}"]
        status: Status = "ok"
        if settings.username:
            parts.append(f"login ok as {settings.username}")
        elif connection.has_extn("auth"):
            status = "warn"
            parts.append("the server offers AUTH but smtp.username is empty: it may refuse mail")
        else:
            parts.append("no login (smtp.username is empty)")
        if settings.security != "none" and not settings.verify and ssl_context is None:
            status = "warn"
            parts.append("certificate not checked (smtp.verify = false)")
    finally:
        transport.close()  # QUIT
    return Check("smtp", status, "; ".join(parts))


def check_outbox(directory: Path) -> Check:
    """Whether .eml files can be written to `directory`, or it can be created."""
    if directory.is_dir():
        try:
            with tempfile.TemporaryFile(dir=directory, prefix=".paperwire-doctor-"):
                pass
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            return Check("outbox", "fail", f"{directory}: cannot write: {reason}")
        return Check("outbox", "ok", f"{directory} is writable")
    if directory.exists():
        return Check("outbox", "fail", f"{directory} is not a directory")
    ancestor = directory.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return Check("outbox", "fail", f"{directory} cannot be created: {ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return Check("outbox", "fail", f"{directory} cannot be created: {ancestor} is not writable")
    return Check("outbox", "ok", f"{directory} does not exist yet; the first send creates it")


# -- sources ------------------------------------------------------------------------------------


def check_sources(
    settings: Settings, http: PoliteSession, *, clock: Clock = time.monotonic
) -> list[Check]:
    """One GET to each URL each configured source fetches (sources.configured; arXiv: its
    feed, a listing page and a one-record API query). Through `http`, so its user agent and
    per-host interval apply. A source that is not in use gets a "skip" row."""
    checks = []
    for source in configured(settings):
        if not source.active:
            checks.append(Check(source.name, "skip", source.inactive_note))
            continue
        checks += [_probe(probe, http, clock) for probe in source.probes()]
    return checks


def _probe(probe: Probe, http: PoliteSession, clock: Clock) -> Check:
    started = clock()
    try:
        response = http.get(probe.url)
        if probe.read is not None:  # answered, but with what? (a captcha page, an error)
            probe.read(response.content, probe.url)
    except FetchError as exc:  # names the URL and the reason (status, refused, timed out…)
        return Check(probe.name, "fail", f"{exc} ({_took(clock() - started)})")
    took = _took(clock() - started)
    return Check(probe.name, "ok", f"HTTP {response.status} in {took}: {redact_url(probe.url)}")


# -- helpers ------------------------------------------------------------------------------------


def _skipped(name: str) -> Check:
    return Check(name, "skip", "not checked (skipped on request)")


def _took(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"
