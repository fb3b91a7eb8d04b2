"""Mail servers that misbehave mid-message (issue 18, items 2 and 5): readers behind a
failing one are still served, and a digest whose fate is unknown goes out at most twice."""

from __future__ import annotations

from conftest import PaperwireCLI
from smtpserver import SmtpTestServer
from test_cli_send import stocked, write_config

from paperwire.store import open_store

__all__ = ["stocked"]  # the fixture, imported for these tests

READERS = ("ada@example.org", "bob@example.org", "cy@example.org")


def _states(url: str) -> dict[str, tuple[str, int]]:
    with open_store(url) as store:
        return {
            d.subscriber: (str(d.state), d.attempts)
            for r in READERS
            for d in store.ledger.deliveries(r)
        }


def test_a_421_at_rcpt_for_one_reader_stops_nobody_behind_and_counts_its_attempts(
    paperwire: PaperwireCLI, stocked: str, smtp_server: SmtpTestServer
) -> None:
    config = write_config(paperwire.home, smtp_server, *READERS)
    smtp_server.refuse("bob@example.org", 421, "4.7.0 Too busy for you", times=None)

    runs = [paperwire("send", "--config", str(config)) for _ in range(6)]

    received = sorted(r for m in smtp_server.messages for r in m.rcpt_tos)
    assert received == ["ada@example.org", "cy@example.org"]  # once each, in the first run
    assert "sent 2 digests" in runs[0].stdout
    assert runs[0].exit_code == 1
    assert "paperwire: will retry: bob@example.org" in runs[0].stderr
    assert "connection lost at RCPT again after reconnecting (421 4.7.0" in runs[0].stderr
    assert all("Traceback" not in r.output for r in runs)
    states = _states(stocked)
    assert states["bob@example.org"] == ("failed", 5)  # max_attempts, then failed
    assert runs[-1].exit_code == 0 and "nothing new" in runs[-1].stdout


def test_a_message_never_answered_after_its_dot_goes_out_at_most_twice(
    paperwire: PaperwireCLI, stocked: str, smtp_server: SmtpTestServer
) -> None:
    config = write_config(paperwire.home, smtp_server, "ada@example.org")
    smtp_server.hold()  # DATA is never answered
    env = {"PAPERWIRE_SMTP__REPLY_TIMEOUT": "0.5"}

    runs = [paperwire("send", "--config", str(config), env=env) for _ in range(6)]
    smtp_server.release()

    sent_to_ada = [m for m in smtp_server.arrivals if "ada@example.org" in m.rcpt_tos]
    assert len(sent_to_ada) == 2
    # Counted as delivered, not failed: its papers are not put in the next digest again.
    assert _states(stocked)["ada@example.org"][0] == "sent"
    assert all("Traceback" not in r.output for r in runs)


def test_an_unreachable_server_is_said_first_and_dry_run_lists_each_reader_once(
    paperwire: PaperwireCLI, stocked: str, smtp_server: SmtpTestServer
) -> None:
    config = write_config(paperwire.home, smtp_server, *READERS)
    config.write_text(config.read_text().replace(f"port = {smtp_server.port}", "port = 9"))

    down = paperwire("send", "--config", str(config))
    plan = paperwire("send", "--dry-run", "--config", str(config))

    assert down.exit_code == 1
    assert down.stderr.splitlines() == [
        "paperwire: error: SMTP server 127.0.0.1:9: cannot connect: Connection refused",
        "paperwire: will retry: 3 digests not tried "
        "(ada@example.org, bob@example.org, cy@example.org): they wait for the next run",
    ]
    rows = [line for line in plan.stdout.splitlines() if "@example.org" in line]
    assert len(rows) == 3 and all("retry" in row for row in rows)


def test_a_refused_digest_says_how_to_send_it_once_fixed(
    paperwire: PaperwireCLI, stocked: str, smtp_server: SmtpTestServer
) -> None:
    config = write_config(paperwire.home, smtp_server, "ada@example.org")
    smtp_server.reject("ada@example.org", times=1)

    refused = paperwire("send", "--config", str(config))
    hint = refused.stderr.strip().rpartition("once fixed: ")[2].split()[1:]

    again = paperwire(*hint, "--no-fetch", "--config", str(config))

    assert refused.exit_code == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("paperwire: failed: ada@example.org (2026-11-19): 550 5.1.1")
    assert line.endswith(
        "once fixed: paperwire digest --subscriber ada@example.org --since 2026-11-19 --send"
    )
    assert again.exit_code == 0, again.output
    assert [list(m.rcpt_tos) for m in smtp_server.messages] == [["ada@example.org"]]
