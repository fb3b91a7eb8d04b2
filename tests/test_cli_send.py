"""`paperwire send` and `paperwire digest --send` from the command line."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from conftest import PaperwireCLI
from smtpserver import SmtpTestServer
from test_send import DAY1, DAY2, announce, paper

from paperwire.store import open_store


def write_config(home: Path, server: SmtpTestServer | None, *readers: str) -> Path:
    smtp = (
        f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\ntimeout = 2.0\n'
        if server
        else ""
    )
    subscribers = "".join(
        f'[[subscribers]]\nemail = "{r}"\nname = "Reader {i}"\nkeywords = ["diffusion"]\n'
        for i, r in enumerate(readers)
    )
    path = home / "paperwire.toml"
    path.write_text(
        '[sources.arxiv]\ncategories = ["cs.LG"]\n[delivery]\nretry_delay = 0\n'
        + smtp
        + subscribers
    )
    return path


@pytest.fixture
def stocked(sqlite_url: str) -> str:
    with open_store(sqlite_url) as store:
        announce(
            store,
            paper("2611.00001", "Diffusion on Monday", DAY1),
            paper("2611.00002", "Latent diffusion at scale", DAY2),
            paper("2611.00003", "Bandits without regret", DAY2),
        )
    return sqlite_url


def test_send_delivers_once_then_says_nothing_new(
    paperwire: PaperwireCLI, stocked: str, smtp_server: SmtpTestServer
) -> None:
    config = write_config(paperwire.home, smtp_server, "ada@example.org", "bob@example.org")

    first = paperwire("send", "--config", str(config))
    second = paperwire("send", "--config", str(config))

    assert first.exit_code == 0, first.output
    assert "sent 2 digests (2 papers) via 127.0.0.1:" in first.stdout
    assert second.exit_code == 0 and "nothing new for 2 subscribers" in second.stdout
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == [
        "ada@example.org",
        "bob@example.org",
    ]
    message = smtp_server.messages[0].parsed()
    assert message["To"].addresses[0].display_name.startswith("Reader ")
    assert "Latent diffusion at scale" in str(message["Subject"])
    assert message["List-Unsubscribe"].startswith("<mailto:")


def test_verbose_send_names_each_reader_and_counts_in_words(
    paperwire: PaperwireCLI, stocked: str, smtp_server: SmtpTestServer
) -> None:
    config = write_config(paperwire.home, smtp_server, "ada@example.org")

    result = paperwire("send", "-v", "--config", str(config))

    assert result.exit_code == 0, result.output
    assert "sent 1 digest (1 paper) via 127.0.0.1:" in result.stdout
    assert "  ada@example.org: 1 paper, " in result.stdout


def test_send_failure_exits_1_naming_the_reader_and_the_reply(
    paperwire: PaperwireCLI, stocked: str, smtp_server: SmtpTestServer
) -> None:
    smtp_server.reject("bob@example.org")
    config = write_config(paperwire.home, smtp_server, "ada@example.org", "bob@example.org")

    result = paperwire("send", "--config", str(config))

    assert result.exit_code == 1
    assert "sent 1 digest (1 paper)" in result.stdout
    assert "failed: bob@example.org (2026-11-19): 550 5.1.1 Mailbox unavailable" in result.stderr
    assert "Traceback" not in result.output


def test_dry_run_shows_who_would_get_what_and_changes_nothing(
    paperwire: PaperwireCLI, stocked: str, smtp_server: SmtpTestServer
) -> None:
    config = write_config(paperwire.home, smtp_server, "ada@example.org")

    result = paperwire("send", "--dry-run", "--config", str(config))

    assert result.exit_code == 0, result.output
    assert "ada@example.org" in result.stdout and "send" in result.stdout
    assert "Latent" in result.stdout
    assert smtp_server.messages == [] and smtp_server.connections == []
    with open_store(stocked) as store:
        assert store.ledger.deliveries() == []


def test_without_an_smtp_host_digests_go_to_the_outbox(
    paperwire: PaperwireCLI, stocked: str, tmp_path: Path
) -> None:
    config = write_config(paperwire.home, None, "ada@example.org")

    default = paperwire("send", "--config", str(config))
    outbox = paperwire.home / "data" / "paperwire" / "outbox"
    chosen = paperwire("send", "--outbox", str(tmp_path / "elsewhere"), "--config", str(config))

    assert default.exit_code == 0, default.output
    assert f"writing .eml files to outbox {outbox}" in default.stderr
    [written] = list(outbox.glob("*.eml"))
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "ada@example.org"
    assert message.get_content_type() == "multipart/alternative"
    # Outbox deliveries count as sent: the next run has nothing new for ada.
    assert "nothing new" in chosen.stdout and not (tmp_path / "elsewhere").exists()


def test_send_with_no_subscribers_says_so(paperwire: PaperwireCLI, stocked: str) -> None:
    result = paperwire("send")

    assert result.exit_code == 0
    assert "no subscribers: add [[subscribers]]" in result.stderr


def test_digest_send_emails_one_subscriber_and_records_it(
    paperwire: PaperwireCLI, stocked: str, smtp_server: SmtpTestServer
) -> None:
    config = write_config(paperwire.home, smtp_server, "ada@example.org", "bob@example.org")
    args = ["digest", "--subscriber", "ada@example.org", "--date", "2026-11-19", "--no-fetch"]

    sent = paperwire(*args, "--send", "--config", str(config))
    again = paperwire(*args, "--send", "--config", str(config))
    then = paperwire("send", "--config", str(config))

    assert sent.exit_code == 0, sent.output
    assert sent.stdout.startswith("sent 1 digest (1 paper)")  # no table: it went by email
    assert again.exit_code == 0 and "already has a digest" in again.stdout + again.stderr
    assert [m.rcpt_tos for m in smtp_server.messages] == [
        ("ada@example.org",),
        ("bob@example.org",),  # `send` then serves bob only: ada had her digest
    ]
    assert then.exit_code == 0


def test_digest_send_needs_a_subscriber(paperwire: PaperwireCLI, stocked: str) -> None:
    result = paperwire("digest", "-k", "diffusion", "--send", "--no-fetch")

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "paperwire: error: --send needs --subscriber EMAIL: the subscriber it goes to"
    )


def test_digest_writes_the_email_html_and_plain_text(
    paperwire: PaperwireCLI, stocked: str, tmp_path: Path
) -> None:
    args = ["digest", "-c", "cs.LG", "-k", "diffusion", "--date", "2026-11-19", "--no-fetch"]

    html = paperwire(*args, "--format", "html", "-o", str(tmp_path / "d.html"))
    text = paperwire(*args, "-o", str(tmp_path / "d.txt"))

    assert html.exit_code == 0 and text.exit_code == 0, html.output + text.output
    page = (tmp_path / "d.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html") and "Latent diffusion" in page
    plain = (tmp_path / "d.txt").read_text()
    assert "Latent diffusion at scale" in plain and "<" not in plain.split("\n", 1)[0]
    assert "https://arxiv.org/abs/2611.00002" in plain


def test_send_help_ends_with_examples(paperwire: PaperwireCLI) -> None:
    result = paperwire("send", "--help")

    assert result.exit_code == 0
    assert result.stdout.rstrip().splitlines()[-1].strip().startswith("paperwire send")
    assert "--dry-run" in result.stdout and "--outbox" in result.stdout
