"""SmtpTransport against a real SMTP server on 127.0.0.1: TLS, login, refusals, lost links."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import ssl
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from smtpserver import TEST_CREDENTIALS, SmtpTestServer, smtp_settings

from paperwire.config import SmtpSettings
from paperwire.delivery.base import DeliveryResult
from paperwire.delivery.email.message import Addressing, compose_message, message_bytes, message_id
from paperwire.delivery.email.smtp import SmtpTransport
from paperwire.errors import PaperwireError, SmtpUnavailable

SENDER = "paperwire <digest@example.org>"
WINDOW = (dt.date(2025, 1, 1), dt.date(2025, 1, 3))
NOW = dt.datetime(2025, 1, 3, 7, 0, tzinfo=dt.UTC)
TEXT = "Zoë Müller — naïve café\n李雷 大型语言模型\nRockets 🚀\n"
HTML = "<html><body><p>Zoë Müller — naïve café</p><p>李雷 🚀</p></body></html>\n"


def digest_message(recipient: str = "ada@example.org", name: str = "") -> EmailMessage:
    addressing = Addressing(sender=SENDER, recipient=recipient, recipient_name=name)
    return compose_message(
        addressing=addressing,
        subject=f"3 new papers for {recipient}",
        text=TEXT,
        html=HTML,
        message_id=message_id(recipient, *WINDOW, SENDER),
        date=NOW,
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_plain_smtp_delivers_the_message_as_composed(smtp_server: SmtpTestServer) -> None:
    message = digest_message(name="Ada Lovelace")

    with SmtpTransport(smtp_settings(smtp_server)) as transport:
        result = transport.send(message)

    assert result.status == "sent" and result.code == 250
    assert result.reply.startswith("250 2.0.0 Ok: queued as ")
    (received,) = smtp_server.wait_for(1)
    assert received.mail_from == "digest@example.org"
    assert received.rcpt_tos == ("ada@example.org",)
    assert received.data == message_bytes(message)
    parsed = received.parsed()
    assert str(parsed["To"]) == "Ada Lovelace <ada@example.org>"
    assert parsed["Subject"] == "3 new papers for ada@example.org"
    assert parsed.get_content_type() == "multipart/alternative"
    plain, html = parsed.iter_parts()
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert plain.get_content().replace("\r\n", "\n") == TEXT
    assert html.get_content().replace("\r\n", "\n") == HTML


def test_starttls_with_login_delivers(smtp_tls_server: SmtpTestServer) -> None:
    settings = smtp_settings(smtp_tls_server)

    with SmtpTransport(settings, ssl_context=smtp_tls_server.client_context()) as transport:
        result = transport.send(digest_message())

    assert result.status == "sent"
    assert smtp_tls_server.logins == [(TEST_CREDENTIALS[0], True)]
    (received,) = smtp_tls_server.wait_for(1)
    assert received.parsed()["Subject"] == "3 new papers for ada@example.org"


def test_implicit_tls_delivers(smtp_ssl_server: SmtpTestServer) -> None:
    settings = smtp_settings(smtp_ssl_server)

    with SmtpTransport(settings, ssl_context=smtp_ssl_server.client_context()) as transport:
        result = transport.send(digest_message())

    assert result.status == "sent"
    assert smtp_ssl_server.wait_for(1)[0].rcpt_tos == ("ada@example.org",)


def test_ca_file_setting_trusts_a_private_ca(
    smtp_tls_server: SmtpTestServer, tmp_path: Path
) -> None:
    settings = smtp_settings(smtp_tls_server, ca_file=str(smtp_tls_server.ca_file(tmp_path)))

    with SmtpTransport(settings) as transport:
        assert transport.send(digest_message()).status == "sent"


def test_untrusted_certificate_stops_before_login(smtp_tls_server: SmtpTestServer) -> None:
    transport = SmtpTransport(smtp_settings(smtp_tls_server))  # the system's CAs only

    with pytest.raises(SmtpUnavailable, match="certificate verification failed") as caught:
        transport.send(digest_message())

    assert f"127.0.0.1:{smtp_tls_server.port}" in str(caught.value)
    assert smtp_tls_server.logins == [] and smtp_tls_server.mail_froms == []


def test_verify_off_delivers_and_warns_once(
    smtp_tls_server: SmtpTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    settings = smtp_settings(smtp_tls_server, verify=False)

    with caplog.at_level(logging.WARNING), SmtpTransport(settings) as transport:
        results = [transport.send(digest_message(f"r{i}@example.org")) for i in range(2)]
        transport.close()
        results.append(transport.send(digest_message("again@example.org")))  # reconnects

    assert [r.status for r in results] == ["sent"] * 3
    assert sum("not checked" in r.getMessage() for r in caplog.records) == 1


def test_wrong_password_is_one_line_without_the_password(smtp_tls_server: SmtpTestServer) -> None:
    settings = smtp_settings(smtp_tls_server, password="wrong-Pa55word-xyz")
    transport = SmtpTransport(settings, ssl_context=smtp_tls_server.client_context())

    with pytest.raises(SmtpUnavailable) as caught:
        transport.send(digest_message())

    text = str(caught.value)
    assert "\n" not in text
    assert "wrong-Pa55word-xyz" not in text and TEST_CREDENTIALS[1] not in text
    assert f"127.0.0.1:{smtp_tls_server.port}" in text and "login" in text and "535" in text
    assert caught.value.exit_code == 1 and isinstance(caught.value, PaperwireError)
    assert smtp_tls_server.mail_froms == []


def test_starttls_missing_means_nothing_is_sent_in_plain_text(smtp_server: SmtpTestServer) -> None:
    settings = smtp_settings(smtp_server, security="starttls", username="u", password="p")

    with pytest.raises(SmtpUnavailable, match="does not offer STARTTLS"):
        SmtpTransport(settings).send(digest_message())

    assert smtp_server.mail_froms == [] and smtp_server.logins == []


def test_password_without_tls_to_another_host_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("looked up or connected")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    settings = SmtpSettings(
        host="smtp.example.org", port=25, security="none", username="u", password="hunter2-secret"
    )
    started = time.monotonic()

    with pytest.raises(SmtpUnavailable, match="refusing to send the password") as caught:
        SmtpTransport(settings).send(digest_message())

    assert time.monotonic() - started < 0.5
    assert "hunter2-secret" not in str(caught.value)
    assert "smtp.example.org:25" in str(caught.value)


def test_password_without_tls_to_loopback_is_allowed() -> None:
    with SmtpTestServer(credentials=("u", "pw"), auth_required=True) as server:
        with SmtpTransport(smtp_settings(server)) as transport:
            assert transport.send(digest_message()).status == "sent"
        assert server.logins == [("u", True)]


def test_server_demanding_login_stops_the_run_instead_of_failing_each_message() -> None:
    with SmtpTestServer(credentials=("u", "pw"), auth_required=True) as server:
        settings = smtp_settings(server, username="", password="")
        with pytest.raises(SmtpUnavailable, match="530"):
            SmtpTransport(settings).send(digest_message())


def test_one_temporary_refusal_among_three_on_one_connection(smtp_server: SmtpTestServer) -> None:
    smtp_server.refuse("bob@example.org", code=451, text="4.3.0 Try again later")
    recipients = ["ada@example.org", "bob@example.org", "carol@example.org"]

    with SmtpTransport(smtp_settings(smtp_server)) as transport:
        results = [transport.send(digest_message(r)) for r in recipients]

    assert results[1] == DeliveryResult("temporary", "451 4.3.0 Try again later", 451)
    assert [r.status for r in results] == ["sent", "temporary", "sent"]
    delivered = [m.rcpt_tos for m in smtp_server.wait_for(2)]
    assert delivered == [("ada@example.org",), ("carol@example.org",)]
    assert len(smtp_server.connections) == 1


def test_permanent_refusal_is_permanent_and_the_next_message_goes(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.reject("gone@example.org")

    with SmtpTransport(smtp_settings(smtp_server)) as transport:
        refused = transport.send(digest_message("gone@example.org"))
        sent = transport.send(digest_message("ada@example.org"))

    assert refused == DeliveryResult("permanent", "550 5.1.1 Mailbox unavailable", 550)
    assert sent.status == "sent"
    assert len(smtp_server.connections) == 1


def test_refusal_at_the_end_of_data_is_classified_too(smtp_server: SmtpTestServer) -> None:
    smtp_server.refuse("ada@example.org", code=452, text="4.3.1 Insufficient storage", at="data")

    with SmtpTransport(smtp_settings(smtp_server)) as transport:
        first = transport.send(digest_message())
        second = transport.send(digest_message())

    assert first == DeliveryResult("temporary", "452 4.3.1 Insufficient storage", 452)
    assert second.status == "sent"
    assert len(smtp_server.wait_for(1)) == 1 and len(smtp_server.connections) == 1


def test_connection_dropped_mid_batch_reconnects_once_and_loses_nothing(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.drop_after(2)  # the third message's DATA gets no reply
    recipients = [f"reader{i}@example.org" for i in range(5)]

    with SmtpTransport(smtp_settings(smtp_server)) as transport:
        results = [transport.send(digest_message(r)) for r in recipients]

    # The one in flight is not sent again at once (it may have arrived): the ledger keeps it.
    assert [r.status for r in results] == ["sent", "sent", "unknown", "sent", "sent"]
    delivered = [m.rcpt_tos[0] for m in smtp_server.wait_for(4)]
    assert delivered == [r for r in recipients if r != "reader2@example.org"]
    assert [m.rcpt_tos[0] for m in smtp_server.arrivals].count("reader2@example.org") == 1
    assert smtp_server.dropped == 1 and len(smtp_server.connections) == 2


def test_unanswered_data_is_not_sent_again_at_once() -> None:
    with SmtpTestServer() as server:
        release = server.hold()
        settings = smtp_settings(server, timeout=0.3)
        with SmtpTransport(settings) as transport:
            result = transport.send(digest_message())
            release.set()
            after = transport.send(digest_message("bob@example.org"))  # a new connection

        assert result.status == "unknown" and "no reply after the message was sent" in result.reply
        assert len(server.arrivals) == 2 and after.status == "sent"
        assert [m.rcpt_tos for m in server.messages] == [("bob@example.org",)]


def test_server_gone_between_messages_is_unavailable_fast() -> None:
    server = SmtpTestServer()
    transport = SmtpTransport(smtp_settings(server))
    assert transport.send(digest_message()).status == "sent"
    server.stop()
    started = time.monotonic()

    with pytest.raises(SmtpUnavailable, match="cannot connect"):
        transport.send(digest_message("bob@example.org"))

    assert time.monotonic() - started < 1.0
    transport.close()  # never raises


def test_closed_port_is_unavailable_fast() -> None:
    port = closed_port()
    settings = SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=0.5)
    started = time.monotonic()

    with pytest.raises(SmtpUnavailable) as caught:
        SmtpTransport(settings).send(digest_message())

    assert time.monotonic() - started < 1.0
    assert str(caught.value) == (
        f"SMTP server 127.0.0.1:{port}: cannot connect: Connection refused"
    )


def test_many_messages_share_one_connection(smtp_server: SmtpTestServer) -> None:
    with SmtpTransport(smtp_settings(smtp_server)) as transport:
        results = [transport.send(digest_message(f"r{i}@example.org")) for i in range(10)]

    assert all(r.status == "sent" for r in results)
    assert len(smtp_server.wait_for(10)) == 10
    assert len(smtp_server.connections) == 1


def test_describe_names_host_port_and_security() -> None:
    settings = SmtpSettings(host="smtp.example.org", port=587, security="starttls")

    assert SmtpTransport(settings).describe() == "smtp.example.org:587 (starttls)"


def test_tls_failure_against_a_plain_port_is_unavailable(smtp_server: SmtpTestServer) -> None:
    settings = smtp_settings(smtp_server, security="ssl")
    context = ssl.create_default_context()

    with pytest.raises(SmtpUnavailable, match=f"127.0.0.1:{smtp_server.port}"):
        SmtpTransport(settings, ssl_context=context).send(digest_message())


def test_held_message_is_answered_only_once_released(smtp_server: SmtpTestServer) -> None:
    release = smtp_server.hold()
    results: list[DeliveryResult] = []
    with SmtpTransport(smtp_settings(smtp_server)) as transport:
        sender = threading.Thread(target=lambda: results.append(transport.send(digest_message())))
        sender.start()
        smtp_server.wait_for_arrivals(1)
        assert smtp_server.messages == [] and results == []

        release.set()
        sender.join(timeout=2)

    assert [r.status for r in results] == ["sent"]
    assert len(smtp_server.messages) == 1


def test_stopping_the_server_ends_a_held_session() -> None:
    server = SmtpTestServer()
    server.hold()
    errors: list[Exception] = []
    transport = SmtpTransport(smtp_settings(server))

    outcomes: list[str] = []

    def send() -> None:
        try:
            outcomes.append(transport.send(digest_message()).status)
        except SmtpUnavailable as exc:
            errors.append(exc)

    sender = threading.Thread(target=send)
    sender.start()
    server.wait_for_arrivals(1)
    started = time.monotonic()
    server.stop()
    sender.join(timeout=3)

    assert time.monotonic() - started < 1.0
    assert errors == [] and outcomes == ["unknown"] and server.messages == []
