"""Secrets and tokens (issue 18, item 8): a weak delivery.secret is refused; the links in a
digest carry tokens bound to a purpose and a reader, and the preferences one expires."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import PaperwireCLI
from test_cli_send import stocked

from paperwire import tokens

__all__ = ["stocked"]

SECRET = "k3Y-" + "x7Qa9" * 7  # 39 characters, random enough for a test
NOW = dt.datetime(2026, 11, 20, 7, tzinfo=dt.UTC)


@pytest.mark.parametrize("secret", [" ", "a", "short-secret", "a" * 40])
def test_a_weak_delivery_secret_is_refused_naming_the_key(
    paperwire: PaperwireCLI, secret: str
) -> None:
    env = {
        "PAPERWIRE_DELIVERY__SECRET": secret,
        "PAPERWIRE_DELIVERY__BASE_URL": "https://digest.example.org",
    }

    result = paperwire("send", "--dry-run", env=env)

    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert "delivery.secret" in line and ("too weak" in line or "needed" in line)
    assert len(secret) < 6 or secret not in line  # the value is never echoed


def test_a_token_opens_only_its_own_door_and_the_preferences_one_expires() -> None:
    unsubscribe = tokens.sign(SECRET, tokens.UNSUBSCRIBE, "ada@example.org", NOW)
    preferences = tokens.sign(SECRET, tokens.PREFERENCES, "Ada@Example.org", NOW)
    later = NOW + dt.timedelta(days=61)

    assert tokens.verify(SECRET, unsubscribe, "unsubscribe", "ada@example.org", later)
    assert tokens.verify(SECRET, preferences, "preferences", "ada@example.org", NOW)
    assert not tokens.verify(SECRET, preferences, "preferences", "ada@example.org", later)
    assert not tokens.verify(SECRET, unsubscribe, "preferences", "ada@example.org", NOW)
    assert not tokens.verify(SECRET, unsubscribe, "unsubscribe", "bob@example.org", NOW)
    assert not tokens.verify(SECRET + "!", unsubscribe, "unsubscribe", "ada@example.org", NOW)
    stamp, _, signature = preferences.partition(".")
    stretched = f"{int(stamp, 16) + 10**8:x}.{signature}"  # a later expiry, same signature
    assert not tokens.verify(SECRET, stretched, "preferences", "ada@example.org", later)


def test_the_links_in_a_sent_digest_carry_tokens_that_verify(
    paperwire: PaperwireCLI, stocked: str
) -> None:
    (paperwire.home / "paperwire.toml").write_text(
        f'[delivery]\nbase_url = "https://digest.example.org"\nsecret = "{SECRET}"\n'
        f'outbox = "{paperwire.home / "outbox"}"\n'
        '[[subscribers]]\nemail = "ada@example.org"\nkeywords = ["diffusion"]\n'
    )

    result = paperwire("send")

    assert result.exit_code == 0, result.output
    [eml] = (paperwire.home / "outbox").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    url = str(message["List-Unsubscribe"]).split("<")[-1].rstrip(">")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.path == "/unsubscribe" and query["email"] == ["ada@example.org"]
    assert tokens.verify(SECRET, query["token"][0], "unsubscribe", "ada@example.org", NOW)
    assert not tokens.verify(SECRET, query["token"][0], "preferences", "ada@example.org", NOW)
