"""OutboxTransport: .eml files written atomically, named safely, replaced when sent again."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from paperwire.delivery.email.message import Addressing, compose_message, message_bytes, message_id
from paperwire.delivery.email.outbox import OutboxTransport
from paperwire.errors import OutboxError, PaperwireError

SENDER = "paperwire <digest@example.org>"
WINDOW = (dt.date(2025, 1, 1), dt.date(2025, 1, 3))
NOW = dt.datetime(2025, 1, 3, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


def digest_message(
    recipient: str = "ada@example.org",
    subject: str = "3 new papers",
    window: tuple[dt.date, dt.date] = WINDOW,
) -> EmailMessage:
    return compose_message(
        addressing=Addressing(sender=SENDER, recipient=recipient),
        subject=subject,
        text="Zoë 李 🚀\n",
        html="<p>Zoë 李 🚀</p>\n",
        message_id=message_id(recipient, *window, SENDER),
        date=NOW,
    )


def test_message_is_written_as_the_bytes_smtp_would_carry(tmp_path: Path) -> None:
    directory = tmp_path / "new" / "outbox"  # created on first use
    message = digest_message()

    with OutboxTransport(directory) as outbox:
        result = outbox.send(message)

    (path,) = directory.iterdir()
    # The day is the Date header's own (its offset, not UTC's).
    assert re.fullmatch(r"2025-01-03-ada@example\.org-[0-9a-f]{12}\.eml", path.name)
    assert result.status == "sent" and result.reply == f"written to {path}"
    assert path.read_bytes() == message_bytes(message)
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == message["Message-ID"]
    plain = parsed.get_body(("plain",))
    assert plain is not None and plain.get_content().replace("\r\n", "\n") == "Zoë 李 🚀\n"


def test_same_message_id_replaces_the_same_file(tmp_path: Path) -> None:
    outbox = OutboxTransport(tmp_path)

    outbox.send(digest_message(subject="first try"))
    outbox.send(digest_message(subject="second try"))

    (path,) = tmp_path.iterdir()
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "second try"


def test_another_window_is_another_file(tmp_path: Path) -> None:
    outbox = OutboxTransport(tmp_path)

    outbox.send(digest_message())
    outbox.send(digest_message(window=(WINDOW[1], WINDOW[1])))

    assert len(list(tmp_path.iterdir())) == 2


def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    outbox = OutboxTransport(tmp_path)

    for i in range(3):
        outbox.send(digest_message(f"r{i}@example.org"))

    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".eml"] * 3


def test_unwritable_directory_is_one_line_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    directory = blocker / "outbox"  # fails for root too, unlike a chmod

    with pytest.raises(OutboxError) as caught:
        OutboxTransport(directory).send(digest_message())

    assert isinstance(caught.value, PaperwireError) and caught.value.exit_code == 1
    assert str(caught.value) == f"outbox {directory}: cannot write: Not a directory"


@pytest.mark.parametrize(
    "recipient",
    [
        '"../../etc/passwd"@example.org',
        '"..\\\\..\\\\boot.ini"@example.org',
        "a/b.c/d@example.org",
        '"dot..dot"@example.org',
        "ada@bücher.example",
        '"' + "x" * 60 + '"@' + "y" * 60 + ".example.org",
    ],
)
def test_hostile_recipient_gives_a_safe_name_inside_the_directory(
    tmp_path: Path, recipient: str
) -> None:
    outbox = OutboxTransport(tmp_path / "outbox")

    result = outbox.send(digest_message(recipient))

    (path,) = (tmp_path / "outbox").iterdir()
    assert path.resolve().parent == (tmp_path / "outbox").resolve()
    assert re.fullmatch(r"2025-01-03-[a-z0-9@._+-]{1,64}-[0-9a-f]{12}\.eml", path.name)
    assert ".." not in path.name
    assert result.reply == f"written to {path}"


def test_describe_names_the_directory(tmp_path: Path) -> None:
    assert OutboxTransport(tmp_path).describe() == f"outbox {tmp_path}"


def test_bytes_are_written_as_they_are_named_from_their_own_headers(tmp_path: Path) -> None:
    # What the ledger keeps is sent as it is: no parsing of the body, no new serialisation.
    data = message_bytes(digest_message(recipient="Ada.Lovelace+papers@Example.org"))

    OutboxTransport(tmp_path).send_bytes(data)

    (path,) = tmp_path.iterdir()
    assert path.read_bytes() == data
    assert re.fullmatch(
        r"2025-01-03-ada.lovelace\+papers@example\.org-[0-9a-f]{12}\.eml", path.name
    )
