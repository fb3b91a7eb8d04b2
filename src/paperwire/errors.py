"""PaperwireError and every child; each knows the exit status the CLI should use.

PaperwireError (1)
├── ConfigError (2), UsageError (2), ProfileError (2)
├── FetchError (1) ── HTTPError, FeedFormatError
├── StoreError (1) ── SubscriberExists
├── LockError (1)
└── DeliveryError (1) ── OutboxError, SmtpUnavailable
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


def redact_url(url: str) -> str:
    """`url` without the user:password part, so a message never shows a credential."""
    return _USERINFO.sub("***@", url)


class PaperwireError(Exception):
    """Base of every error paperwire reports to a user: one line, no traceback."""

    exit_code: int = 1


class ConfigError(PaperwireError):
    """The configuration file or an override is wrong (exit 2)."""

    exit_code = 2


class UsageError(PaperwireError):
    """A command was called with arguments that cannot work (exit 2)."""

    exit_code = 2


class FetchError(PaperwireError):
    """A source could not be fetched or its response could not be used (exit 1).

    The message names the URL and the reason.
    """

    def __init__(self, url: str, reason: str) -> None:
        url = redact_url(url)
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class HTTPError(FetchError):
    """The server kept answering with an error status after all retries."""

    def __init__(self, url: str, status: int, reason: str, body: bytes = b"") -> None:
        super().__init__(url, reason)
        self.status = status
        self.body = body  # the arXiv API explains a 400 in an Atom body


class FeedFormatError(FetchError):
    """The response is not the feed, page or record list it should be."""


class OaiError(FeedFormatError):
    """An OAI-PMH server answered with an <error> (code: badResumptionToken, badArgument…)."""

    def __init__(self, url: str, code: str, reason: str) -> None:
        super().__init__(url, reason)
        self.code = code


class StoreError(PaperwireError):
    """The database could not be opened, migrated or written (exit 1)."""


class Masker:
    """Replaces secrets in a text with ***, in every form a server or a driver may echo them:
    as typed, base64 (SMTP's AUTH LOGIN, and AUTH PLAIN with each username), percent-encoded.
    A secret of six characters or more is masked wherever it appears; a shorter one where it
    stands alone (inside a word it is not recognisable, and masking it there would mangle
    ordinary words)."""

    def __init__(self, secrets: Iterable[str], usernames: Iterable[str] = ()) -> None:
        import base64
        from urllib.parse import quote

        def b64(text: str) -> list[str]:
            encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
            return [encoded, encoded.rstrip("=")]

        long: set[str] = set()
        short: set[str] = set()
        for secret in filter(None, secrets):
            forms = {secret, quote(secret, safe=""), *b64(secret)}
            for user in usernames:
                forms.update(b64(f"\0{user}\0{secret}") + b64(f"{user}\0{user}\0{secret}"))
            for form in forms:
                (long if len(form) >= 6 else short).add(form)
        # Longest first: a form inside another is masked as part of the longer one.
        alone = [rf"(?<![\w]){re.escape(f)}(?![\w])" for f in sorted(short, key=len, reverse=True)]
        anywhere = [re.escape(f) for f in sorted(long, key=len, reverse=True)]
        self._pattern = re.compile("|".join(anywhere + alone)) if long or short else None

    def __call__(self, text: str) -> str:
        return text if self._pattern is None else self._pattern.sub("***", text)


# What SQLite says when it may not create or write its files; it never says why.
_SQLITE_ACCESS = ("unable to open database file", "attempt to write a readonly database")


def database_reason(exc: BaseException) -> str:
    """A database error's first line (the driver's own words, under SQLAlchemy's wrapper), with
    the likely cause where SQLite gives none."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    message = lines[0] if lines else type(exc).__name__
    if any(words in message for words in _SQLITE_ACCESS):
        return (
            f"{message} (check that the database file and its folder exist and are writable "
            "by this user: SQLite writes a journal beside the file)"
        )
    return message


def as_store_error(exc: BaseException) -> StoreError | None:
    """A database driver's error anywhere (SQLAlchemy's, raised from a query the store did
    not wrap) as one line; None for any other exception. Looked up by module, so that
    nothing here imports SQLAlchemy."""
    if not type(exc).__module__.startswith("sqlalchemy"):
        return None
    return StoreError(f"database error: {database_reason(exc)}")


class SubscriberExists(StoreError):
    """A subscriber was added with an address the database already holds."""


class ProfileError(PaperwireError):
    """A keyword, weight or query cannot be understood (exit 2). The message names it."""

    exit_code = 2


class LockError(PaperwireError):
    """The lock that keeps ticks apart cannot be created or opened (exit 1)."""


class DeliveryError(PaperwireError):
    """A digest could not be handed over: the SMTP server cannot be used, the outbox cannot be
    written, or an address cannot be put in a message (exit 1)."""


class OutboxError(DeliveryError):
    """The outbox directory cannot be created or written (exit 1)."""


class SmtpUnavailable(DeliveryError):
    """The SMTP server cannot be used for any message: no connection, TLS or its certificate
    failed, login refused, or the connection was lost and could not be made again (exit 1).

    One line: "SMTP server HOST:PORT: REASON". It never holds the password.
    """

    def __init__(self, where: str, reason: str) -> None:
        reason = " ".join(reason.split())
        super().__init__(f"SMTP server {where}: {reason}")
        self.where = where
        self.reason = reason
