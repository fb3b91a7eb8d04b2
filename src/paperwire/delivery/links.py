"""The signed links a digest gives its reader, to the pages `paperwire web` serves.

Every link names the reader and carries a token for its one purpose (paperwire.tokens): the
one-click unsubscribe, the preferences page, the whole digest of one window, and a 👍/👎 on
one paper. The web app checks them with the same subjects built here; nothing else builds
these URLs. Without `delivery.base_url` there are no pages, and no links.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from urllib.parse import urlencode

from paperwire import tokens
from paperwire.config import DeliverySettings


def digest_subject(email: str, kind: str, window_from: dt.date) -> str:
    """What a whole-digest link's token signs: one reader's digest of one kind and window."""
    return f"{email.strip().lower()}\0{kind}\0{window_from.isoformat()}"


def feedback_subject(email: str, paper: str) -> str:
    """What a 👍/👎 link's token signs: one reader and one paper (either vote)."""
    return f"{email.strip().lower()}\0{paper}"


@dataclass(frozen=True)
class ReaderLinks:
    """Builds one reader's links; empty strings when no pages are configured."""

    base_url: str
    secret: str
    email: str
    now: dt.datetime

    @classmethod
    def of(cls, delivery: DeliverySettings, email: str, now: dt.datetime) -> ReaderLinks:
        return cls(delivery.base_url, delivery.secret.get_secret_value(), email, now)

    def _url(self, path: str, purpose: str, subject: str, **query: str) -> str:
        if not self.base_url:
            return ""
        token = tokens.sign(self.secret, purpose, subject, self.now)
        return f"{self.base_url}/{path}?{urlencode(query | {'token': token})}"

    @functools.cached_property
    def _email_query(self) -> str:
        return urlencode({"email": self.email})

    @property
    def unsubscribe(self) -> str:
        """The one-click unsubscribe URL (List-Unsubscribe; POST unsubscribes, GET asks)."""
        return self._url("unsubscribe", tokens.UNSUBSCRIBE, self.email, email=self.email)

    @property
    def preferences(self) -> str:
        """The preferences page; expires after tokens.PREFERENCES_LIFETIME."""
        return self._url("preferences", tokens.PREFERENCES, self.email, email=self.email)

    def digest(self, kind: str, window_from: dt.date) -> str:
        """The page with every paper of the reader's digest starting on `window_from`."""
        subject = digest_subject(self.email, kind, window_from)
        day = window_from.isoformat()
        return self._url("digest", tokens.DIGEST, subject, email=self.email, kind=kind, day=day)

    def feedback(self, paper: str, vote: str) -> str:
        """A 👍 ("up") or 👎 ("down") on one paper, recorded by following the link."""
        if not self.base_url:
            return ""
        # One for every paper of every digest: the reader's part of the query is encoded once.
        token = tokens.sign(
            self.secret, tokens.FEEDBACK, feedback_subject(self.email, paper), self.now
        )
        rest = urlencode({"paper": paper, "vote": vote, "token": token})
        return f"{self.base_url}/feedback?{self._email_query}&{rest}"
