"""The polite HTTP layer every source fetches through.

All politeness rules live here, in one place, so that no source can forget one:

* one `requests.Session` (one connection pool) for the whole process, and the configured
  User-Agent on every request, so operators can see who we are and contact us;
* per host, at most one request in flight and at least `min_interval` seconds between the end of
  one request and the start of the next (arXiv's terms of use: no more than one request every
  3 seconds, a single connection at a time);
* bounded retries with exponential backoff and jitter on transient failures, honouring the
  server's Retry-After, and giving up at once when the server asks for an unreasonable wait;
* conditional GET (If-None-Match / If-Modified-Since), so unchanged feeds cost the server almost
  nothing;
* a hard cap on the size of a body, so a broken or hostile server cannot exhaust memory.

Every failure surfaces as `paperwire.errors.FetchError` (or its subclass `HTTPError`) naming the
URL and the reason; no `requests` exception escapes.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from types import MappingProxyType, TracebackType
from typing import Self
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

from paperwire.errors import FetchError, HTTPError

__all__ = ["HttpResponse", "PoliteSession"]

log = logging.getLogger("paperwire.http")

# Redirect hops are followed here, one by one, so that each hop goes through the per-host spacing
# (requests would otherwise fire them back to back, behind the politeness rules' back).
MAX_REDIRECTS = 10
# Error bodies are only kept for the message (the arXiv API explains a 400 in its body); there is
# no reason to read more than this of them.
ERROR_BODY_LIMIT = 1024 * 1024
_CHUNK_SIZE = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A successful (2xx) or not-modified (304) response, body fully read."""

    url: str
    """The final URL, after redirects."""
    status: int
    """200 (or another 2xx), or 304 when `not_modified`."""
    content: bytes = field(repr=False)
    """The (decompressed) body; b"" for a 304."""
    headers: Mapping[str, str]
    """The response headers, read-only, case-insensitive."""
    etag: str | None
    """The ETag to send next time; for a 304 without one, the ETag the request was made with."""
    last_modified: str | None
    """Last-Modified to send next time; for a 304 without one, the one the request was made with."""

    @property
    def not_modified(self) -> bool:
        """True when the server answered 304: the caller's stored copy is still current."""
        return self.status == HTTPStatus.NOT_MODIFIED


class _HostSlot:
    """Per-host state: the lock that allows one request at a time, and when the next may start."""

    __slots__ = ("lock", "not_before")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.not_before: float | None = None


@dataclass(slots=True)
class _Exchange:
    """One HTTP exchange that got a status line (any status), body read as far as useful."""

    response: requests.Response
    body: bytes


@dataclass(slots=True)
class _Failure:
    """One attempt that got no usable answer: 'timeout' or 'connection', with a short reason."""

    kind: str
    reason: str


class PoliteSession:
    """Polite GETs for all sources: one per host at a time, spaced, retried, size-capped.

    Share one instance between all sources (it is thread-safe). Every attribute below is a rule
    of politeness or robustness; the defaults are the ones arXiv asks for.

    Validators (ETag / Last-Modified) are *not* stored here. The caller passes the ones it has to
    `get()` and keeps the new ones from the `HttpResponse` in its own database, saving them only
    after the data itself has been stored, in the same transaction if it can. Were the layer to
    remember them, a crash between the fetch and the store would make the next run get a 304 for
    data that was never stored, and that day's papers would be lost.
    """

    user_agent: str
    """Sent on every request. arXiv and Hugging Face ask clients to identify themselves (name,
    version, contact URL or e-mail) so that operators can reach us rather than block us."""
    min_interval: float
    """Seconds between the end of one request to a host and the start of the next one to that
    host. arXiv's terms of use: at most one request every 3 seconds. Different hosts do not wait
    for each other; retries and redirect hops wait like any other request."""
    timeout: float
    """Seconds allowed to connect, and then allowed between two reads of the response (requests'
    semantics), so a stalled server cannot hang a run."""
    retries: int
    """Retries after the first attempt on connection errors, timeouts, 429 and 5xx. Transient
    errors are common on arXiv (503 during its announcement window); other 4xx never heal by
    themselves and are not retried."""
    backoff: float
    """Base of the exponential wait before retry n (from 0): backoff * 2**n * (1 + jitter), where
    jitter is in [0, 1), so clients that failed together do not retry together. A Retry-After
    header replaces this wait."""
    max_wait: float
    """The longest wait before a retry. A longer Retry-After is not slept (a cron job should not
    hang for an hour): the request fails at once saying how long the server asked to wait. The
    computed backoff is capped at this value."""
    deadline: float
    """Seconds one `get` may take in all, retries, waits and the body included. `timeout` bounds
    each wait for the next bytes; a server that keeps sending a byte a second never trips it,
    and would hold a cron tick (and its lock) for ever without this."""
    max_bytes: int
    """The largest body accepted (after decompression). The body is streamed and the transfer
    stopped as soon as it is exceeded: a runaway response cannot exhaust memory."""

    def __init__(
        self,
        *,
        user_agent: str,
        min_interval: float = 3.0,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 2.0,
        max_wait: float = 120.0,
        deadline: float = 120.0,
        max_bytes: int = 64 * 1024 * 1024,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        """Configure the rules; `clock`, `sleep` and `jitter` are injectable for tests.

        `session` is used as is (its own headers, proxies, adapters apply) and is then not closed
        by `close()`; without it, a new `requests.Session` is created and owned.
        """
        if not user_agent.strip():
            raise ValueError("user_agent must not be empty")
        if min_interval < 0 or backoff < 0 or max_wait < 0:
            raise ValueError("min_interval, backoff and max_wait must not be negative")
        if timeout <= 0 or deadline <= 0:
            raise ValueError("timeout and deadline must be positive")
        if retries < 0:
            raise ValueError("retries must not be negative")
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.user_agent = user_agent
        self.min_interval = min_interval
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.deadline = deadline
        self.max_bytes = max_bytes
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._state_lock = threading.Lock()  # guards _hosts and every slot's not_before
        self._hosts: dict[str, _HostSlot] = {}

    # -- public API -------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> HttpResponse:
        """GET `url` (with `params` as query string) politely and return the whole body.

        With `etag` and/or `last_modified` (the validators of the copy the caller has stored),
        the request is conditional and a 304 comes back as `HttpResponse.not_modified`. Store
        the returned validators only after storing the data (see the class docstring).

        Raises `HTTPError` (with `.status` and `.body`) for a 4xx other than 429, or when 429/5xx
        persist after all retries; `FetchError` for connection failures, timeouts, oversized
        bodies and unusable URLs.
        """
        headers = {"User-Agent": self.user_agent}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            prepared = self._session.prepare_request(
                requests.Request("GET", url, params=dict(params or {}), headers=headers)
            )
        except (requests.RequestException, ValueError) as exc:
            raise FetchError(url, f"invalid URL: {_short_reason(exc)}") from None
        shown_url = prepared.url or url
        conditional = bool(etag or last_modified)
        ends = self._clock() + self.deadline
        failures = 0
        redirects = 0
        while True:
            hop_url = prepared.url or shown_url
            where = "" if hop_url == shown_url else f" (redirected to {hop_url})"
            result, finished = self._attempt(prepared, shown_url, ends)
            retry_after: float | None = None
            if isinstance(result, _Exchange):
                resp = result.response
                status = resp.status_code
                if resp.is_redirect and resp.next is not None:
                    redirects += 1
                    if redirects > MAX_REDIRECTS:
                        raise FetchError(shown_url, f"more than {MAX_REDIRECTS} redirects")
                    prepared = resp.next
                    log.debug("%s redirected (%d) to %s", hop_url, status, prepared.url)
                    continue
                if 200 <= status < 300:
                    return _response(resp, result.body, status)
                if status == HTTPStatus.NOT_MODIFIED and conditional:
                    return _not_modified(resp, etag, last_modified)
                reason = _status_text(resp)
                if not (status == HTTPStatus.TOO_MANY_REQUESTS or 500 <= status < 600):
                    raise _http_error(shown_url, status, reason + where, result.body)
                retry_after = _retry_after(resp.headers)
                if retry_after is not None and retry_after > self.max_wait:
                    raise _http_error(
                        shown_url,
                        status,
                        f"{reason}{where}: the server asked to wait {_seconds(retry_after)} s "
                        f"before retrying, more than max_wait ({_seconds(self.max_wait)} s)",
                        result.body,
                    )
            elif result.kind == "timeout":
                reason = f"timed out after {_seconds(self.timeout)} s"
            else:
                reason = f"connection failed: {result.reason}"
            failures += 1
            if failures > self.retries:
                raise self._final_error(shown_url, result, failures, where)
            if retry_after is not None:
                wait = retry_after
            else:
                wait = min(self.backoff * 2 ** (failures - 1) * (1 + self._jitter()), self.max_wait)
            wait = max(wait, self.min_interval)
            if finished + wait >= ends:
                raise FetchError(
                    shown_url,
                    f"{reason}{where}; no retry: http.deadline ({_seconds(self.deadline)} s) "
                    f"would pass first ({failures} {'try' if failures == 1 else 'tries'})",
                )
            self._defer(prepared.url or shown_url, finished + wait)
            log.info(
                "%s%s: %s; retry %d of %d in %.1f s",
                shown_url,
                where,
                reason,
                failures,
                self.retries,
                wait,
            )

    def close(self) -> None:
        """Close the connection pool (only if this object created the session)."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- one attempt ------------------------------------------------------------------------

    def _slot(self, url: str) -> _HostSlot:
        key = _host_key(url)
        with self._state_lock:
            slot = self._hosts.get(key)
            if slot is None:
                slot = self._hosts[key] = _HostSlot()
            return slot

    def _defer(self, url: str, not_before: float) -> None:
        """No request to `url`'s host may start before `not_before` (on `clock`)."""
        slot = self._slot(url)
        with self._state_lock:
            if slot.not_before is None or slot.not_before < not_before:
                slot.not_before = not_before

    def _attempt(
        self, prepared: requests.PreparedRequest, shown_url: str, ends: float
    ) -> tuple[_Exchange | _Failure, float]:
        """One exchange with the host, alone on it and after its interval; returns when it ended."""
        url = prepared.url or shown_url
        slot = self._slot(url)
        with slot.lock:
            with self._state_lock:
                not_before = slot.not_before
            if not_before is not None:
                wait = not_before - self._clock()
                if wait > 0:
                    log.debug("waiting %.2f s before the next request to %s", wait, _host_key(url))
                    self._sleep(wait)
            log.debug("GET %s", url)
            try:
                result = self._send(prepared, shown_url, ends)
            finally:
                finished = self._clock()
                self._defer(url, finished + self.min_interval)
        return result, finished

    def _send(
        self, prepared: requests.PreparedRequest, shown_url: str, ends: float
    ) -> _Exchange | _Failure:
        url = prepared.url or shown_url
        try:
            settings = self._session.merge_environment_settings(url, {}, True, None, None)
            resp = self._session.send(
                prepared, allow_redirects=False, timeout=self.timeout, **settings
            )
            with resp:
                status = resp.status_code
                chunks = self._chunks(resp, shown_url, ends)
                if 200 <= status < 300:
                    body = self._read_body(resp, shown_url, chunks)
                elif status == HTTPStatus.NOT_MODIFIED or resp.is_redirect:
                    body = b""  # no body, or already consumed by requests for the redirect
                else:
                    body = _read_error_body(chunks)
            return _Exchange(resp, body)
        except FetchError:
            raise
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            failure = _classify(exc)
            if failure is None:
                raise FetchError(shown_url, f"request failed: {_short_reason(exc)}") from None
            return failure

    def _chunks(self, resp: requests.Response, shown_url: str, ends: float) -> Iterator[bytes]:
        """The body as it arrives (decoded), each read returning what one arrived; past `ends`
        (the request's deadline) the transfer stops with a FetchError."""
        raw = resp.raw
        while True:
            if self._clock() > ends:
                raise FetchError(
                    shown_url,
                    f"no complete answer within http.deadline ({_seconds(self.deadline)} s): "
                    "the server sends too slowly",
                )
            chunk = raw.read1(_CHUNK_SIZE, decode_content=True)
            if not chunk:
                return
            yield chunk

    def _read_body(self, resp: requests.Response, shown_url: str, chunks: Iterator[bytes]) -> bytes:
        too_large = f"response larger than {_size(self.max_bytes)}"
        declared = resp.headers.get("Content-Length", "")
        encoding = resp.headers.get("Content-Encoding", "identity").strip().lower()
        if declared.isdigit() and encoding == "identity" and int(declared) > self.max_bytes:
            raise FetchError(shown_url, too_large)
        body = bytearray()
        for chunk in chunks:
            body += chunk
            if len(body) > self.max_bytes:
                raise FetchError(shown_url, too_large)  # closing the response drops the transfer
        return bytes(body)

    def _final_error(
        self, url: str, result: _Exchange | _Failure, attempts: int, where: str
    ) -> FetchError:
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if isinstance(result, _Exchange):
            status = result.response.status_code
            reason = f"{_status_text(result.response)}{where} after {tries}"
            return _http_error(url, status, reason, result.body)
        if result.kind == "timeout":
            return FetchError(url, f"timed out{where} after {_seconds(self.timeout)} s ({tries})")
        return FetchError(url, f"connection failed{where} after {tries}: {result.reason}")


# -- helpers ----------------------------------------------------------------------------------


def _host_key(url: str) -> str:
    """The politeness key: the host name, plus the port when it is not the scheme's default."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return host
    return f"{host}:{port}"


def _read_error_body(chunks: Iterator[bytes]) -> bytes:
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) >= ERROR_BODY_LIMIT:
            return bytes(body[:ERROR_BODY_LIMIT])
    return bytes(body)


def _response(resp: requests.Response, body: bytes, status: int) -> HttpResponse:
    return HttpResponse(
        url=resp.url,
        status=status,
        content=body,
        headers=MappingProxyType(CaseInsensitiveDict(resp.headers)),
        etag=resp.headers.get("ETag"),
        last_modified=resp.headers.get("Last-Modified"),
    )


def _not_modified(
    resp: requests.Response, etag: str | None, last_modified: str | None
) -> HttpResponse:
    return HttpResponse(
        url=resp.url,
        status=int(HTTPStatus.NOT_MODIFIED),
        content=b"",
        headers=MappingProxyType(CaseInsensitiveDict(resp.headers)),
        etag=resp.headers.get("ETag") or etag,
        last_modified=resp.headers.get("Last-Modified") or last_modified,
    )


def _status_text(resp: requests.Response) -> str:
    """'HTTP 404 Not Found': the server's reason phrase, or the standard one."""
    phrase = (resp.reason or "").strip()
    if not phrase:
        try:
            phrase = HTTPStatus(resp.status_code).phrase
        except ValueError:
            phrase = ""
    return f"HTTP {resp.status_code} {phrase}".rstrip()


def _http_error(url: str, status: int, reason: str, body: bytes) -> HTTPError:
    return HTTPError(url, status, reason, body)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds asked for by Retry-After (delta-seconds or HTTP-date), or None if absent/garbled.

    An HTTP-date is measured against the response's own Date header when there is one, so that
    a skewed local clock does not matter; otherwise against the local wall clock.
    """
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    now = _http_date(headers.get("Date") or "") or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def _http_date(value: str) -> dt.datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _causes(exc: BaseException) -> Iterator[tuple[int, BaseException]]:
    """`exc` and what it wraps (args, urllib3's .reason, __cause__), each with its depth."""
    seen: set[int] = set()
    todo: list[tuple[int, BaseException]] = [(0, exc)]
    while todo:
        depth, current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield depth, current
        inner = [arg for arg in current.args if isinstance(arg, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            inner.append(reason)
        if current.__cause__ is not None:
            inner.append(current.__cause__)
        todo.extend((depth + 1, wrapped) for wrapped in inner)


def _classify(exc: BaseException) -> _Failure | None:
    """A retryable transport failure, or None when retrying cannot help (bad URL, bad TLS cert…)."""
    causes = [cause for _, cause in _causes(exc)]
    if isinstance(exc, requests.Timeout) or any(
        isinstance(c, urllib3.exceptions.ReadTimeoutError | TimeoutError) for c in causes
    ):
        return _Failure("timeout", _short_reason(exc))
    if isinstance(exc, requests.exceptions.SSLError) and "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return None
    if any(
        isinstance(c, socket.gaierror) and c.errno in (socket.EAI_NONAME, socket.EAI_NODATA)
        for c in causes
    ):
        # The name does not exist: no network, or a typo in a URL. Retrying for half a minute
        # per URL only delays the one useful message. (EAI_AGAIN, a resolver hiccup, is
        # retried like any connection error.)
        return None
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return _Failure("connection", _short_reason(exc))
    if isinstance(exc, requests.RequestException):
        return None  # InvalidURL, MissingSchema, TooManyRedirects, ContentDecodingError, …
    return _Failure("connection", _short_reason(exc))  # socket / http.client / urllib3 errors


def _short_reason(exc: BaseException) -> str:
    """The innermost message, e.g. '[Errno 111] Connection refused', without pool/object noise."""
    deepest = max(depth for depth, _ in _causes(exc))
    innermost = next(cause for depth, cause in _causes(exc) if depth == deepest)
    text = re.sub(r"^(<[^>]*>|HTTPS?ConnectionPool\([^)]*\)):\s*", "", str(innermost)).strip()
    if len(text) > 200:
        text = text[:197] + "..."
    return text or type(innermost).__name__


def _seconds(value: float) -> str:
    """30.0 → '30', 0.3 → '0.3', 600.4 → '600'."""
    return str(round(value)) if value >= 10 else f"{value:g}"


def _size(n: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"
