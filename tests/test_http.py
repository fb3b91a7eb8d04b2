"""PoliteSession against a real HTTP server on 127.0.0.1 (see loopback.py).

Waiting is checked with a fake clock whose sleep() only records and advances it, so the suite
stays fast; a few tests use the real clock to show the spacing really happens on the wire.
"""

from __future__ import annotations

import gzip
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from loopback import LoopbackServer, Reply

from paperwire.errors import FetchError, HTTPError
from paperwire.http import HttpResponse, PoliteSession

UA = "paperwire-tests/0.1 (+mailto:tests@example.invalid)"


class FakeClock:
    """A monotonic clock that only moves when slept on (or advanced by the test)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_session(clock: FakeClock) -> Iterator[Callable[..., PoliteSession]]:
    """PoliteSession on the fake clock, no jitter, no proxies (nothing leaves 127.0.0.1)."""
    made: list[requests.Session] = []

    def make(**overrides: Any) -> PoliteSession:
        transport = requests.Session()
        transport.trust_env = False  # ignore *_proxy variables: talk to 127.0.0.1 directly
        made.append(transport)
        options: dict[str, Any] = {
            "user_agent": UA,
            "timeout": 5.0,
            "session": transport,
            "clock": clock,
            "sleep": clock.sleep,
            "jitter": lambda: 0.0,
        }
        options.update(overrides)
        return PoliteSession(**options)

    yield make
    for transport in made:
        transport.close()


def real_clock_session(
    make_session: Callable[..., PoliteSession], **overrides: Any
) -> PoliteSession:
    return make_session(clock=time.monotonic, sleep=time.sleep, **overrides)


# -- basics --------------------------------------------------------------------------------------


def test_sends_the_configured_user_agent_on_every_request(server, make_session):
    server.add("/a", Reply(200, b"ok"))
    session = make_session()
    session.get(server.url_for("/a"))
    session.get(server.url_for("/a"))
    assert [r.headers["User-Agent"] for r in server.requests] == [UA, UA]


def test_returns_body_final_url_headers_and_validators(server, make_session):
    server.add(
        "/feed",
        Reply(
            200,
            b"<rss/>",
            {
                "Content-Type": "application/rss+xml",
                "ETag": '"v1"',
                "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT",
            },
        ),
    )
    response = make_session().get(server.url_for("/feed"))
    assert response == HttpResponse(
        url=server.url_for("/feed"),
        status=200,
        content=b"<rss/>",
        headers=response.headers,
        etag='"v1"',
        last_modified="Mon, 01 Jan 2024 00:00:00 GMT",
    )
    assert response.headers["content-type"] == "application/rss+xml"
    assert not response.not_modified


def test_params_are_sent_as_the_query_string(server, make_session):
    server.add("/api", Reply(200))
    make_session().get(server.url_for("/api"), params={"search_query": "cat:cs.AI", "start": "0"})
    assert server.requests[0].params == {"search_query": "cat:cs.AI", "start": "0"}


def test_a_bad_url_raises_fetch_error_not_a_requests_exception(make_session):
    with pytest.raises(FetchError, match="invalid URL"):
        make_session().get("not a url")


# -- spacing -------------------------------------------------------------------------------------


def test_second_request_to_a_host_waits_min_interval(server, make_session, clock):
    server.add("/a", Reply(200))
    session = make_session(min_interval=3.0)
    session.get(server.url_for("/a"))
    assert clock.sleeps == []
    session.get(server.url_for("/a"))
    assert clock.sleeps == [3.0]


def test_time_already_passed_counts_towards_the_interval(server, make_session, clock):
    server.add("/a", Reply(200))
    session = make_session(min_interval=3.0)
    session.get(server.url_for("/a"))
    clock.advance(1.0)
    session.get(server.url_for("/a"))
    assert clock.sleeps == [2.0]


def test_different_hosts_do_not_wait_for_each_other(make_session, clock):
    with LoopbackServer() as one, LoopbackServer() as two:
        one.add("/x", Reply(200))
        two.add("/x", Reply(200))
        session = make_session(min_interval=3.0)
        session.get(one.url_for("/x"))
        session.get(two.url_for("/x"))
        assert clock.sleeps == []
        session.get(one.url_for("/x"))
        assert clock.sleeps == [3.0]


def test_real_requests_to_one_host_are_at_least_min_interval_apart(server, make_session):
    server.add("/a", Reply(200, b"ok"))
    session = real_clock_session(make_session, min_interval=0.2)
    session.get(server.url_for("/a"))
    session.get(server.url_for("/a"))
    first, second = server.requests
    assert second.time - first.time >= 0.2


def test_interval_counts_from_the_end_of_the_previous_request(server, make_session):
    server.add("/slow", Reply(200, b"late", delay=0.15))
    session = real_clock_session(make_session, min_interval=0.2)
    session.get(server.url_for("/slow"))
    session.get(server.url_for("/slow"))
    first, second = server.requests
    assert second.time - first.time >= 0.15 + 0.2


def test_threads_sharing_a_session_use_one_connection_at_a_time_per_host(server, make_session):
    server.add("/a", Reply(200, b"ok", delay=0.02))
    session = real_clock_session(make_session, min_interval=0.05)
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            session.get(server.url_for("/a"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert server.max_in_flight == 1
    times = [r.time for r in server.requests]
    assert all(later - earlier >= 0.05 + 0.02 for earlier, later in itertools.pairwise(times))


# -- retries -------------------------------------------------------------------------------------


def test_503_then_200_is_retried_after_a_backoff(server, make_session, clock):
    server.add("/a", Reply(503), Reply(200, b"ok"))
    response = make_session(min_interval=0.0, backoff=2.0).get(server.url_for("/a"))
    assert response.content == b"ok"
    assert len(server.requests) == 2
    assert clock.sleeps == [2.0]


def test_backoff_doubles_each_retry_and_adds_jitter(server, make_session, clock):
    server.add("/a", Reply(500), Reply(502), Reply(504), Reply(200))
    session = make_session(min_interval=0.0, backoff=2.0, jitter=lambda: 0.5)
    session.get(server.url_for("/a"))
    assert clock.sleeps == [3.0, 6.0, 12.0]


def test_backoff_is_capped_at_max_wait(server, make_session, clock):
    server.add("/a", Reply(503), Reply(503), Reply(200))
    make_session(min_interval=0.0, backoff=50.0, max_wait=60.0).get(server.url_for("/a"))
    assert clock.sleeps == [50.0, 60.0]


def test_retries_still_respect_the_host_interval(server, make_session, clock):
    server.add("/a", Reply(503), Reply(200))
    make_session(min_interval=3.0, backoff=0.5).get(server.url_for("/a"))
    assert clock.sleeps == [3.0]


def test_429_with_retry_after_seconds_waits_that_long(server, make_session, clock):
    server.add("/a", Reply(429, headers={"Retry-After": "7"}), Reply(200, b"ok"))
    response = make_session(min_interval=3.0).get(server.url_for("/a"))
    assert response.content == b"ok"
    assert clock.sleeps == [7.0]


def test_retry_after_as_http_date_counts_from_the_server_date(server, make_session, clock):
    headers = {
        "Date": "Wed, 21 Oct 2015 07:28:00 GMT",
        "Retry-After": "Wed, 21 Oct 2015 07:28:09 GMT",
    }
    server.add("/a", Reply(503, headers=headers), Reply(200))
    make_session(min_interval=0.0).get(server.url_for("/a"))
    assert clock.sleeps == [9.0]


def test_unreadable_retry_after_falls_back_to_backoff(server, make_session, clock):
    server.add("/a", Reply(503, headers={"Retry-After": "soon"}), Reply(200))
    make_session(min_interval=0.0, backoff=2.0).get(server.url_for("/a"))
    assert clock.sleeps == [2.0]


def test_retry_after_beyond_max_wait_fails_at_once_saying_how_long(server, make_session, clock):
    server.add("/a", Reply(429, b"slow down", {"Retry-After": "3600"}), Reply(200))
    with pytest.raises(HTTPError) as caught:
        make_session(max_wait=120.0).get(server.url_for("/a"))
    assert caught.value.status == 429
    assert "server asked to wait 3600 s" in str(caught.value)
    assert clock.sleeps == []
    assert len(server.requests) == 1


def test_404_is_not_retried_and_raises_http_error_with_status_and_body(server, make_session):
    server.add("/missing", Reply(404, b"no such listing"), Reply(200))
    with pytest.raises(HTTPError) as caught:
        make_session().get(server.url_for("/missing"))
    assert caught.value.status == 404
    assert caught.value.reason == "HTTP 404 Not Found"
    assert caught.value.body == b"no such listing"
    assert len(server.requests) == 1


def test_400_keeps_the_api_error_message_in_the_body(server, make_session):
    server.add("/api/query", Reply(400, b"<feed><summary>bad query</summary></feed>"))
    with pytest.raises(HTTPError) as caught:
        make_session().get(server.url_for("/api/query"), params={"search_query": "(("})
    assert b"bad query" in caught.value.body


def test_persistent_5xx_names_the_url_and_the_attempt_count(server, make_session):
    server.add("/a", Reply(503, b"down"))
    url = server.url_for("/a")
    with pytest.raises(HTTPError) as caught:
        make_session(retries=2).get(url, params={"id": "2401.00001"})
    assert caught.value.status == 503
    assert caught.value.url == url + "?id=2401.00001"
    assert (
        str(caught.value) == f"{url}?id=2401.00001: HTTP 503 Service Unavailable after 3 attempts"
    )
    assert caught.value.body == b"down"
    assert len(server.requests) == 3


def test_dropped_connection_is_retried(server, make_session):
    server.add("/a", Reply.dropped(), Reply(200, b"ok"))
    assert make_session().get(server.url_for("/a")).content == b"ok"
    assert len(server.requests) == 2


def test_dropped_connection_every_time_raises_fetch_error(server, make_session):
    server.add("/a", Reply.dropped())
    with pytest.raises(FetchError) as caught:
        make_session(retries=2).get(server.url_for("/a"))
    assert not isinstance(caught.value, HTTPError)
    assert caught.value.reason.startswith("connection failed after 3 attempts: ")
    assert "Remote end closed connection" in caught.value.reason
    assert len(server.requests) == 3


def test_refused_connection_gives_a_short_reason(make_session):
    with LoopbackServer() as gone:
        url = gone.url_for("/a")
    with pytest.raises(FetchError) as caught:
        make_session(retries=0).get(url)
    assert caught.value.reason.startswith("connection failed after 1 attempt: ")
    assert "Connection refused" in caught.value.reason
    assert "HTTPConnectionPool" not in caught.value.reason


def test_timeout_raises_fetch_error_mentioning_the_timeout(server, make_session):
    server.add("/slow", Reply(200, b"late", delay=3.0))
    with pytest.raises(FetchError) as caught:
        make_session(timeout=0.3, retries=1).get(server.url_for("/slow"))
    assert caught.value.reason == "timed out after 0.3 s (2 attempts)"
    assert len(server.requests) == 2


def test_a_server_dripping_its_body_is_cut_off_at_the_deadline(server, make_session):
    # A byte every 0.1 s never trips a 5 s read timeout; the whole answer would take 100 s.
    server.add("/drip", Reply(200, b"x" * 1000, drip=0.1))
    session = real_clock_session(make_session, timeout=5.0, deadline=1.0, retries=3)

    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        session.get(server.url_for("/drip"))

    assert time.monotonic() - started < 3.0
    assert "no complete answer within http.deadline (1 s)" in caught.value.reason
    assert len(server.requests) == 1  # a deadline spent is not retried


def test_retries_stop_before_they_would_pass_the_deadline(server, make_session, clock):
    server.add("/busy", Reply(503))

    with pytest.raises(FetchError) as caught:
        make_session(retries=10, backoff=2.0, deadline=10.0).get(server.url_for("/busy"))

    # Waits 2, 4 (t=6), then 8 would end at 14 > 10: three tries, not eleven.
    assert len(server.requests) == 3
    assert "no retry: http.deadline (10 s) would pass first (3 tries)" in caught.value.reason


def test_each_retry_is_logged_at_info_with_the_wait(server, make_session, caplog):
    server.add("/a", Reply(503), Reply(200))
    with caplog.at_level(logging.INFO, logger="paperwire.http"):
        make_session(min_interval=0.0, backoff=2.0).get(server.url_for("/a"))
    retries = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(retries) == 1
    assert "HTTP 503 Service Unavailable; retry 1 of 4 in 2.0 s" in retries[0].getMessage()


# -- redirects -----------------------------------------------------------------------------------


def test_redirect_is_followed_and_the_hop_is_spaced_like_any_request(server, make_session, clock):
    server.add("/old", Reply(301, headers={"Location": "/new"}))
    server.add("/new", Reply(200, b"moved"))
    response = make_session(min_interval=3.0).get(server.url_for("/old"))
    assert (response.url, response.content) == (server.url_for("/new"), b"moved")
    assert [r.path for r in server.requests] == ["/old", "/new"]
    assert clock.sleeps == [3.0]


# -- conditional GET -----------------------------------------------------------------------------

LAST_MODIFIED = "Tue, 02 Jan 2024 03:04:05 GMT"


def test_conditional_get_sends_the_validators_and_returns_not_modified(server, make_session):
    server.serve_file(
        "/f.xml", b"<x/>", "application/xml", etag='"v1"', last_modified=LAST_MODIFIED
    )
    response = make_session().get(
        server.url_for("/f.xml"), etag='"v1"', last_modified=LAST_MODIFIED
    )
    sent = server.requests[0].headers
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == ('"v1"', LAST_MODIFIED)
    assert response.not_modified
    assert (response.status, response.content) == (304, b"")
    assert (response.etag, response.last_modified) == ('"v1"', LAST_MODIFIED)


def test_if_modified_since_alone_can_give_not_modified(server, make_session):
    server.serve_file("/f.xml", b"<x/>", "application/xml", last_modified=LAST_MODIFIED)
    response = make_session().get(server.url_for("/f.xml"), last_modified=LAST_MODIFIED)
    assert "If-None-Match" not in server.requests[0].headers
    assert response.not_modified


def test_changed_resource_returns_200_with_its_new_validators(server, make_session):
    server.serve_file("/f.xml", b"<new/>", "application/xml", etag='"v2"')
    response = make_session().get(server.url_for("/f.xml"), etag='"v1"')
    assert (response.status, response.content, response.etag) == (200, b"<new/>", '"v2"')


def test_304_without_validators_keeps_the_ones_sent(server, make_session):
    server.add("/f.xml", Reply(304))
    response = make_session().get(
        server.url_for("/f.xml"), etag='"v1"', last_modified=LAST_MODIFIED
    )
    assert (response.etag, response.last_modified) == ('"v1"', LAST_MODIFIED)


def test_unconditional_get_sends_no_validators(server, make_session):
    server.serve_file("/f.xml", b"<x/>", "application/xml", etag='"v1"')
    make_session().get(server.url_for("/f.xml"))
    sent = server.requests[0].headers
    assert "If-None-Match" not in sent and "If-Modified-Since" not in sent


# -- size cap ------------------------------------------------------------------------------------


def test_body_over_max_bytes_is_refused(server, make_session):
    server.add("/big", Reply(200, b"x" * 2048))
    with pytest.raises(FetchError) as caught:
        make_session(max_bytes=1024).get(server.url_for("/big"))
    assert caught.value.reason == "response larger than 1 KB"
    assert len(server.requests) == 1


def test_chunked_body_over_max_bytes_is_refused_while_streaming(server, make_session):
    server.add("/big", Reply(200, b"x" * 100_000, {"Transfer-Encoding": "chunked"}))
    with pytest.raises(FetchError, match="response larger than 64 KB"):
        make_session(max_bytes=64 * 1024).get(server.url_for("/big"))


def test_max_bytes_applies_to_the_decompressed_body(server, make_session):
    bomb = gzip.compress(b"\0" * 100_000)
    server.add("/gz", Reply(200, bomb, {"Content-Encoding": "gzip"}))
    assert len(bomb) < 1024
    with pytest.raises(FetchError, match="response larger than 64 KB"):
        make_session(max_bytes=64 * 1024).get(server.url_for("/gz"))


def test_gzip_body_is_returned_decompressed(server, make_session):
    server.add("/gz", Reply(200, gzip.compress(b"<rss/>"), {"Content-Encoding": "gzip"}))
    assert make_session().get(server.url_for("/gz")).content == b"<rss/>"
