"""What keeps the readers' pages safe: response headers, CSRF tokens, and rate limits.

- Every response carries a strict Content-Security-Policy (no scripts at all; styles from
  this site only), referrers only to this site (links carry tokens; a browser then
  sends the Origin header the forms are checked against), no framing, and `no-store` for pages.
- A form carries a CSRF token signed for a random cookie value (double submit, signed): a
  page elsewhere cannot read the cookie, so it cannot make the token. A form that also carries
  a reader's link token is bound to that token as well. The Origin header, when a browser
  sends one, must be this site's.
- Subscribing is limited per client (an IPv4 address, an IPv6 /64), per address and in all;
  the counts are kept in the store (hashed), each checked and counted in one locked
  transaction, so that every worker process sees the same ones and simultaneous requests
  cannot all pass. A confirmation link works once.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from paperwire import tokens
from paperwire.store import Store
from paperwire.store.feedback import attempt_key
from paperwire.tokens import CONFIRM_LIFETIME

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
    """How often one client may ask to subscribe, how many confirmation mails one address may
    receive (what bounds mail-bombing a stranger) and the site may send in all, per window."""

    per_client: int = 10
    client_window: dt.timedelta = dt.timedelta(hours=1)
    per_address: int = 3
    address_window: dt.timedelta = dt.timedelta(days=1)
    per_site: int = 300
    site_window: dt.timedelta = dt.timedelta(hours=1)

    @property
    def longest(self) -> dt.timedelta:
        """How long attempts must be kept (a used confirmation link too)."""
        return max(self.client_window, self.address_window, self.site_window, CONFIRM_LIFETIME)


def client_key(host: str) -> str:
    """What one client is: its IPv4 address, or its IPv6 /64 (one machine's whole range)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class RateLimiter:
    """Counts attempts in the store, each count and its check one transaction under a lock:
    `allow_*` says whether one more is allowed and, when it is, counts it."""

    def __init__(self, store: Store, limits: Limits) -> None:
        self.store = store
        self.limits = limits

    def _allow(self, key: str, limit: int, window: dt.timedelta, now: dt.datetime) -> bool:
        return self.store.attempts.allow(key, limit, now - window, now)

    def allow_client(self, client: str, now: dt.datetime) -> bool:
        limits = self.limits
        key = attempt_key("client", client_key(client))
        return self._allow(key, limits.per_client, limits.client_window, now)

    def allow_address(self, email: str, now: dt.datetime) -> bool:
        limits = self.limits
        key = attempt_key("address", email)
        return self._allow(key, limits.per_address, limits.address_window, now)

    def allow_site(self, now: dt.datetime) -> bool:
        limits = self.limits
        return self._allow(attempt_key("site", ""), limits.per_site, limits.site_window, now)

    def first_use(self, token: str, now: dt.datetime) -> bool:
        """Whether a one-time link (a confirmation) is used for the first time; counts it."""
        key = attempt_key("used", token)
        return self._allow(key, 1, CONFIRM_LIFETIME, now)

    def forget_old(self, now: dt.datetime) -> None:
        self.store.attempts.forget(now - self.limits.longest)
