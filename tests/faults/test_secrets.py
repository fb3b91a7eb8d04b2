"""Secrets a server echoes (issue 18, item 7): masked by value, in every form, before anything
is printed or stored."""

from __future__ import annotations

import base64
from pathlib import Path

import sqlalchemy as sa
from conftest import PaperwireCLI
from smtpserver import SmtpTestServer
from test_cli_send import stocked

__all__ = ["stocked"]

USER, PASSWORD = "digest-sender", "pw1"  # short: it was never masked


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_a_password_echoed_by_the_server_is_never_printed_or_stored(
    paperwire: PaperwireCLI, stocked: str, tmp_path: Path
) -> None:
    with SmtpTestServer(credentials=(USER, PASSWORD), auth_required=True) as server:
        server.refuse("ada@example.org", 550, f"5.7.1 sender {USER} with {PASSWORD} refused")
        plain = _b64(f"\0{USER}\0{PASSWORD}")
        server.refuse("bob@example.org", 421, f"4.7.0 AUTH {plain} throttled", times=None)
        config = tmp_path / "paperwire.toml"
        config.write_text(
            f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\n'
            f'username = "{USER}"\npassword = "{PASSWORD}"\n[delivery]\nretry_delay = 0\n'
            '[[subscribers]]\nemail = "ada@example.org"\nkeywords = ["diffusion"]\n'
            '[[subscribers]]\nemail = "bob@example.org"\nkeywords = ["diffusion"]\n'
        )

        result = paperwire("send", "-v", "--config", str(config))

    engine = sa.create_engine(stocked)
    with engine.connect() as connection:
        replies = connection.execute(sa.text("SELECT reply FROM deliveries")).scalars().all()
    engine.dispose()
    said = result.output + "\n".join(r or "" for r in replies)
    assert "5.7.1 sender digest-sender with *** refused" in said  # the reply, still readable
    assert "4.7.0 AUTH *** throttled" in said
    for form in (PASSWORD, _b64(PASSWORD), plain, plain.rstrip("=")):
        assert form not in said, form
