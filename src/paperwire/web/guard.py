"""What keeps the readers' pages safe: response headers, CSRF tokens, and rate limits.

- Every response carries a strict Content-Security-Policy (no scripts at all; styles from
  this site only), referrers only to this site (links carry tokens; a browser then
  sends the Origin header the forms are checked against), no framing, and `no-store` for pages.
- A form carries a CSRF token signed for a random cookie value (double submit, signed): a
  page elsewhere cannot read the cookie, so it cannot make the token. A form that also carries
  a reader's link token is bound to that token as well. The Origin header, when a browser
  sends one, must be this site's.
- Subscribing is limited per client and per address; the counts are kept in the store
  (hashed), so that every worker process sees the same ones.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from paperwire import tokens
from paperwire.store import Store
from paperwire.store.feedback import attempt_key

CSRF_COOKIE = "pw_form"
CSRF_FIELD = "csrf"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class SecurityHeaders:
    """ASGI middleware: the headers above on every response, and `Cache-Control: no-store`
    on every response that did not set its own (a page with a reader's settings must not
    stay in a shared cache); HSTS when the site is served over https."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers = list(HEADERS)
        if https:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in self.headers if n not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def new_form_cookie() -> str:
    """A random value for the CSRF cookie."""
    return secrets.token_urlsafe(18)


def form_token(secret: str, cookie: str, bound: str, now: dt.datetime) -> str:
    """The CSRF token a form carries: signed for the cookie (and what the form acts on)."""
    return tokens.sign(secret, tokens.FORM, f"{cookie}\0{bound}", now)


def form_token_ok(
    secret: str, cookie: str | None, token: str, bound: str, now: dt.datetime
) -> bool:
    if not cookie or not token:
        return False
    return tokens.verify(secret, token, tokens.FORM, f"{cookie}\0{bound}", now)


def same_origin(origin: str | None, base_url: str) -> bool:
    """Whether a request's Origin header (when the browser sent one) is this site's."""
    if not origin or origin == "null":
        return origin is None
    want, got = urlsplit(base_url), urlsplit(origin)
    return (got.scheme, got.netloc.lower()) == (want.scheme, want.netloc.lower())


@dataclass(frozen=True)
class Limits:
    """How often one client may ask to subscribe, and how many confirmation mails one
    address may receive (what bounds mail-bombing a stranger), per window."""

    per_client: int = 10
    client_window: dt.timedelta = dt.timedelta(hours=1)
    per_address: int = 3
    address_window: dt.timedelta = dt.timedelta(days=1)


class RateLimiter:
    """Counts attempts in the store; `allow_*` says whether one more is allowed and, when
    it is, counts it."""

    def __init__(self, store: Store, limits: Limits) -> None:
        self.store = store
        self.limits = limits

    def _allow(self, key: str, limit: int, window: dt.timedelta, now: dt.datetime) -> bool:
        attempts = self.store.attempts
        if attempts.count(key, now - window) >= limit:
            return False
        oldest = now - max(self.limits.client_window, self.limits.address_window)
        attempts.add([key], now, forget_before=oldest)
        return True

    def allow_client(self, client: str, now: dt.datetime) -> bool:
        limits = self.limits
        return self._allow(
            attempt_key("client", client), limits.per_client, limits.client_window, now
        )

    def allow_address(self, email: str, now: dt.datetime) -> bool:
        limits = self.limits
        return self._allow(
            attempt_key("address", email), limits.per_address, limits.address_window, now
        )


def constant_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
